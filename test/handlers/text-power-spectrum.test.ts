import { readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { formatE18, formatSpectrumText, parseSpectrumText, TextPowerSpectrum } from "../../src/handlers/text-power-spectrum.js";
import type { SpectrumTable } from "../../src/handlers/text-power-spectrum.js";
import { FIXTURES, goldens, hasNumpy, makeTempDir, numpySkipReason, pyFloat, runPython, sameNumbers } from "./helpers.js";

let dir = "";
let cleanup: () => Promise<void> = async () => {};
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterAll(async () => {
  await cleanup();
});

/** The golden's values as a 1-D array or a table of columns (values are stored in C order). */
function goldenSpectrum(name: string): Float64Array | SpectrumTable {
  const entry = goldens.savetxt[name];
  if (entry === undefined) throw new Error(`no golden ${name}`);
  const values = entry.values.map(pyFloat);
  if (entry.shape.length === 1) return Float64Array.from(values);
  const [rows = 0, cols = 0] = entry.shape;
  return { columns: Array.from({ length: cols }, (_, j) => Float64Array.from({ length: rows }, (_, i) => values[i * cols + j] ?? 0)) };
}

describe("formatE18 is C's %.18e", () => {
  it("formats ordinary and special values as numpy.savetxt does", () => {
    expect(formatE18(1)).toBe("1.000000000000000000e+00");
    expect(formatE18(-2.5)).toBe("-2.500000000000000000e+00");
    expect(formatE18(0)).toBe("0.000000000000000000e+00");
    expect(formatE18(-0)).toBe("-0.000000000000000000e+00");
    expect(formatE18(0.1)).toBe("1.000000000000000056e-01");
    expect(formatE18(1e-300)).toBe("1.000000000000000025e-300");
    expect(formatE18(5e-324)).toBe("4.940656458412465442e-324");
    expect(formatE18(1.7976931348623157e308)).toBe("1.797693134862315708e+308");
    expect(formatE18(Number.NaN)).toBe("nan");
    expect(formatE18(Infinity)).toBe("inf");
    expect(formatE18(-Infinity)).toBe("-inf");
  });
  it("rounds exact ties to even (1 + 2^-19 = 1.0000019073486328125)", () => {
    expect(formatE18(1 + 2 ** -19)).toBe("1.000001907348632812e+00");
    expect(formatE18(1 + 3 * 2 ** -19)).toBe("1.000005722045898438e+00");
    expect(formatE18(-(1 + 2 ** -19))).toBe("-1.000001907348632812e+00");
  });
});

describe("TextPowerSpectrum writes exactly what np.savetxt writes (goldens by scripts/goldens/npy.py)", () => {
  it.each(Object.keys(goldens.savetxt))("%s", (name) => {
    const golden = readFileSync(join(FIXTURES, goldens.savetxt[name]?.file ?? ""), "utf8");
    expect(formatSpectrumText(goldenSpectrum(name))).toBe(golden);
  });
  it.each(Object.keys(goldens.savetxt))("reads %s back to the same values", (name) => {
    const parsed = parseSpectrumText(readFileSync(join(FIXTURES, goldens.savetxt[name]?.file ?? ""), "utf8"));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const expected = goldenSpectrum(name);
    if (expected instanceof Float64Array) {
      expect(parsed.value).toBeInstanceOf(Float64Array);
      expect(sameNumbers(parsed.value as Float64Array, expected)).toBe(true);
    } else {
      const columns = (parsed.value as SpectrumTable).columns;
      expect(columns.length).toBe(expected.columns.length);
      expected.columns.forEach((c, j) => expect(sameNumbers(columns[j] ?? [], c)).toBe(true));
    }
  });
});

describe("parseSpectrumText", () => {
  it("skips comments and blank lines, accepts CRLF and the nan/inf spellings Python accepts", () => {
    const parsed = parseSpectrumText("# ell C_l\n\n1.5 # first\r\n-2e3\n  NaN\n-Infinity\n+inf\n.5\n7.\n");
    expect(parsed.ok && Array.from(parsed.value as Float64Array)).toEqual([1.5, -2000, Number.NaN, -Infinity, Infinity, 0.5, 7]);
  });
  it("reads an empty file as an empty spectrum", () => {
    const parsed = parseSpectrumText("# only a comment\n");
    expect(parsed.ok && (parsed.value as Float64Array).length).toBe(0);
  });
  it("reports the line of a bad value or a ragged row", () => {
    const bad = parseSpectrumText("1.0\n2.0\n\n# c\n3.0\n4.0\nabc\n");
    expect(bad.ok ? "ok" : bad.error.message).toBe('line 7: "abc" is not a number');
    const hex = parseSpectrumText("0x10\n");
    expect(hex.ok ? "ok" : hex.error.message).toBe('line 1: "0x10" is not a number');
    const ragged = parseSpectrumText("1 2\n3 4\n5 6 7\n");
    expect(ragged.ok ? "ok" : ragged.error.message).toBe("line 3: expected 2 values, found 3");
  });
});

describe("TextPowerSpectrum handler", () => {
  it("round-trips a spectrum bit for bit", async () => {
    const path = join(dir, "cl.txt");
    const cl = Float64Array.from({ length: 50 }, (_, l) => (l < 2 ? 0 : 1e-10 / (l * (l + 1))));
    await TextPowerSpectrum.write(path, cl);
    expect(sameNumbers((await TextPowerSpectrum.read(path)) as Float64Array, cl)).toBe(true);
    const table: SpectrumTable = { columns: [Float64Array.from([1, 2]), Float64Array.from([3, 4])] };
    await TextPowerSpectrum.write(path, table);
    expect(await readFile(path, "utf8")).toBe(
      "1.000000000000000000e+00 3.000000000000000000e+00\n2.000000000000000000e+00 4.000000000000000000e+00\n",
    );
    expect(await TextPowerSpectrum.read(path)).toEqual(table);
  });
  it("reports missing and malformed files, and unwritable data, naming the file", async () => {
    const missing = join(dir, "missing.txt");
    await expect(TextPowerSpectrum.read(missing)).rejects.toThrow(`${missing}: file does not exist`);
    const bad = join(dir, "bad.txt");
    await writeFile(bad, "1.0\n2,5\n");
    await expect(TextPowerSpectrum.read(bad)).rejects.toThrow(`${bad}: line 2: "2,5" is not a number`);
    await expect(
      TextPowerSpectrum.write(join(dir, "t"), { columns: [new Float64Array(2), new Float64Array(3)] }, { finalPath: "/out/ps.txt" }),
    ).rejects.toThrow("/out/ps.txt: columns have different lengths: 2, 3");
    await expect(
      TextPowerSpectrum.write(join(dir, "t"), [1, 2] as unknown as Float64Array, { finalPath: "/out/ps.txt" }),
    ).rejects.toThrow("/out/ps.txt: TextPowerSpectrum expects a Float64Array or {columns: Float64Array[]}, got array");
  });
});

describe(`np.loadtxt reads what we write${numpySkipReason}`, () => {
  it.skipIf(!hasNumpy)("random doubles over 600 decades, 1-D and 2-D", async () => {
    let seed = 12345;
    const next = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const values = Float64Array.from({ length: 400 }, () => (next() - 0.5) * 10 ** Math.floor(next() * 600 - 300));
    await TextPowerSpectrum.write(join(dir, "one.txt"), values);
    await TextPowerSpectrum.write(join(dir, "two.txt"), { columns: [values.subarray(0, 200), values.subarray(200)] });
    const out = runPython(
      [
        "import json, sys, numpy as np",
        "a = np.loadtxt(sys.argv[1] + '/one.txt'); b = np.loadtxt(sys.argv[1] + '/two.txt')",
        "print(json.dumps([list(a.shape), [repr(float(v)) for v in a], list(b.shape), [repr(float(v)) for v in b.T.reshape(-1)]]))",
      ].join("\n"),
      [dir],
    );
    const [shapeA, a, shapeB, b] = JSON.parse(out) as [number[], string[], number[], string[]];
    expect(shapeA).toEqual([400]);
    expect(sameNumbers(a.map(pyFloat), values)).toBe(true);
    expect(shapeB).toEqual([200, 2]);
    expect(sameNumbers(b.map(pyFloat), values)).toBe(true);
  });
  it.skipIf(!hasNumpy)("formatE18 equals Python's '%.18e' for random doubles and for many exact ties", () => {
    let seed = 777;
    const next = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const values: number[] = [];
    for (let i = 0; i < 1500; i++) values.push((next() - 0.5) * 10 ** Math.floor(next() * 610 - 305));
    // Ties: m·2^-k with exactly 20 significant digits, the last a 5.
    for (let i = 0; values.length < 2500 && i < 200000; i++) {
      const x = Math.floor(next() * 2 ** 30) * 2 ** -Math.floor(next() * 60 + 1);
      if (x.toExponential(19)[20] === "5" && /^0+$/.test(x.toExponential(40).slice(21, 41))) values.push(x);
    }
    expect(values.length).toBeGreaterThan(1600);
    const out = runPython(
      "import json, sys\nprint(json.dumps(['%.18e' % float(v) for v in json.loads(sys.argv[1])]))",
      [JSON.stringify(values)],
    );
    const expected = JSON.parse(out) as string[];
    const mismatches = values.map((v, i) => [formatE18(v), expected[i]]).filter(([a, b]) => a !== b);
    expect(mismatches).toEqual([]);
  });
});
