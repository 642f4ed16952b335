import { readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { HandlerError } from "../../src/handlers/handler.js";
import { decodeNpy, encodeNpy, formatNpyShape } from "../../src/handlers/npy.js";
import type { NpyArray } from "../../src/handlers/npy.js";
import { NumpyMap } from "../../src/handlers/numpy-map.js";
import { NumpyPowerSpectrum } from "../../src/handlers/numpy-power-spectrum.js";
import { FIXTURES, goldens, hasNumpy, makeTempDir, numpySkipReason, pyFloat, runPython, sameNumbers } from "./helpers.js";

function goldenArray(name: string): NpyArray {
  const entry = goldens.npy[name];
  if (entry === undefined) throw new Error(`no golden ${name}`);
  const values = entry.values.map(pyFloat);
  const data = entry.descr === "<f4" || entry.descr === ">f4" ? Float32Array.from(values) : Float64Array.from(values);
  return { data, shape: entry.shape };
}

let dir = "";
let cleanup: () => Promise<void> = async () => {};
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterAll(async () => {
  await cleanup();
});

describe("formatNpyShape", () => {
  it("prints shapes as Python tuples", () => {
    expect(formatNpyShape([])).toBe("()");
    expect(formatNpyShape([3])).toBe("(3,)");
    expect(formatNpyShape([2, 3])).toBe("(2, 3)");
    expect(formatNpyShape([2, 3, 4])).toBe("(2, 3, 4)");
  });
});

describe("encodeNpy matches np.save byte for byte (goldens by scripts/goldens/npy.py)", () => {
  const writable = Object.entries(goldens.npy).filter(([, e]) => e.writable === true);
  it("covers f4 and f8, 0-d to 3-d, empty, and headers padded to 128 and 192 bytes", () => {
    expect(writable.map(([name]) => name).sort()).toEqual([
      "f4_1d", "f4_3d", "f4_map_nside8", "f8_1d", "f8_2d", "f8_empty", "f8_map_nside8", "f8_ndim14", "f8_ndim15", "f8_scalar",
    ]);
  });
  it.each(writable)("%s", (name, entry) => {
    const golden = readFileSync(join(FIXTURES, entry.file));
    const encoded = encodeNpy(goldenArray(name));
    expect(encoded.ok).toBe(true);
    if (encoded.ok) expect(Buffer.compare(encoded.value, golden)).toBe(0);
  });
  it("puts the data at a multiple of 64 bytes, growing the header for long shapes as numpy does", () => {
    const preamble = (name: string): number => {
      const bytes = readFileSync(join(FIXTURES, goldens.npy[name]?.file ?? ""));
      return 10 + bytes.readUInt16LE(8);
    };
    expect(preamble("f8_1d")).toBe(128);
    expect(preamble("f8_ndim14")).toBe(128);
    expect(preamble("f8_ndim15")).toBe(192);
  });
});

describe("decodeNpy reads what np.save writes", () => {
  it.each(Object.entries(goldens.npy))("%s", (name, entry) => {
    const decoded = decodeNpy(readFileSync(join(FIXTURES, entry.file)));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value.shape).toEqual(entry.shape);
    const f4 = entry.descr === "<f4" || entry.descr === ">f4";
    expect(decoded.value.data).toBeInstanceOf(f4 ? Float32Array : Float64Array);
    expect(sameNumbers(decoded.value.data, entry.values.map(pyFloat))).toBe(true);
    void name;
  });
  it("reorders Fortran-ordered arrays to C order", () => {
    const decoded = decodeNpy(readFileSync(join(FIXTURES, "npy/f8_fortran.npy")));
    expect(decoded.ok && Array.from(decoded.value.data)).toEqual([
      0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5, 11.5,
    ]);
  });
  it("decodes from a buffer at an unaligned offset", () => {
    const golden = readFileSync(join(FIXTURES, "npy/f8_2d.npy"));
    const shifted = new Uint8Array(golden.length + 3);
    shifted.set(golden, 3);
    const decoded = decodeNpy(shifted.subarray(3));
    expect(decoded.ok && Array.from(decoded.value.data)).toEqual([-1, -0.75, -0.5, -0.25, 0, 0.25]);
  });
});

describe("decodeNpy failures", () => {
  const good = readFileSync(join(FIXTURES, "npy/f8_2d.npy"));
  const withHeader = (header: string): Buffer => {
    const text = header.padEnd(117, " ") + "\n";
    const out = Buffer.alloc(128 + 48);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    out.writeUInt16LE(118, 8);
    out.write(text, 10, "latin1");
    return out;
  };
  const message = (bytes: Uint8Array): string => {
    const decoded = decodeNpy(bytes);
    return decoded.ok ? "ok" : `${decoded.error.reason}: ${decoded.error.message}`;
  };
  it("names each problem", () => {
    expect(message(Buffer.from("PK\x03\x04 not numpy"))).toBe("bad-magic: bad .npy magic (expected \\x93NUMPY)");
    expect(message(Buffer.from([0x93, 0x4e, 0x55]))).toBe("bad-magic: bad .npy magic (expected \\x93NUMPY)");
    const v4 = Buffer.from(good);
    v4[6] = 4;
    expect(message(v4)).toBe("unsupported-version: unsupported .npy version 4.0");
    expect(message(good.subarray(0, 50))).toBe("truncated-header: truncated .npy header");
    expect(message(good.subarray(0, good.length - 8))).toBe(
      "data-size-mismatch: .npy data size mismatch: shape (2, 3) of '<f8' needs 48 bytes, found 40",
    );
    expect(message(withHeader("{'descr': '<c16', 'fortran_order': False, 'shape': (3,), }"))).toBe(
      "unsupported-dtype: unsupported .npy dtype '<c16' (supported: <f4, <f8, >f4, >f8, <i4, <i8, >i4, >i8)",
    );
    expect(message(withHeader("{'descr': '<f8', 'shape': (6,), }"))).toBe(
      "bad-header: bad .npy header: missing key 'fortran_order'",
    );
    expect(message(withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (2, -3), }"))).toBe(
      "bad-header: bad .npy header: 'shape' must be a tuple of non-negative integers",
    );
    expect(message(withHeader("{'descr': '<f8', 'fortran_order': Flase, 'shape': (6,), }"))).toBe(
      "bad-header: bad .npy header: unexpected \"F\" at offset 34",
    );
    expect(message(withHeader("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (6,), }"))).toBe(
      "bad-header: bad .npy header: structured dtypes are not supported",
    );
  });
  it("accepts header variations numpy can read (key order, double quotes, no trailing comma)", () => {
    const decoded = decodeNpy(withHeader('{"shape": (6,), "fortran_order": False, "descr": "<f8"}'));
    expect(decoded.ok && decoded.value.shape).toEqual([6]);
  });
});

describe("encodeNpy failures", () => {
  it("rejects a shape that does not match the data", () => {
    const encoded = encodeNpy({ data: new Float64Array(5), shape: [2, 3] });
    expect(encoded.ok ? "ok" : encoded.error.message).toBe("shape (2, 3) has 6 elements but data has 5");
    const bad = encodeNpy({ data: new Float64Array(2), shape: [2.5] });
    expect(bad.ok ? "ok" : bad.error.message).toBe("shape [2.5] must be at most 32 non-negative integers");
  });
});

describe("NumpyMap and NumpyPowerSpectrum handlers", () => {
  it("round-trip {data, shape} and accept a bare typed array as 1-D", async () => {
    const path = join(dir, "map.npy");
    const data = Float32Array.from([1.5, -2, Number.NaN, 3e-39]);
    await NumpyMap.write(path, { data, shape: [2, 2] });
    const back = await NumpyMap.read(path);
    expect(back.shape).toEqual([2, 2]);
    expect(back.data).toBeInstanceOf(Float32Array);
    expect(sameNumbers(back.data, data)).toBe(true);

    const psPath = join(dir, "ps.npy");
    await NumpyPowerSpectrum.write(psPath, Float64Array.from([0, 0, 1e-10, 2e-10]));
    const ps = await NumpyPowerSpectrum.read(psPath);
    expect(ps.shape).toEqual([4]);
    expect(Array.from(ps.data)).toEqual([0, 0, 1e-10, 2e-10]);
  });
  it("report a missing or malformed file as a HandlerError naming it", async () => {
    const missing = join(dir, "nope.npy");
    await expect(NumpyMap.read(missing)).rejects.toThrow(new HandlerError(missing, "file does not exist"));
    await expect(NumpyMap.read(missing)).rejects.toThrow(`${missing}: file does not exist`);
    const junk = join(dir, "junk.npy");
    await writeFile(junk, "hello");
    await expect(NumpyPowerSpectrum.read(junk)).rejects.toThrow(`${junk}: bad .npy magic (expected \\x93NUMPY)`);
  });
  it("name the final path when the data cannot be written", async () => {
    await expect(
      NumpyMap.write(join(dir, "tmp-1"), { data: new Float64Array(3), shape: [4] }, { finalPath: "/data/out/map.npy" }),
    ).rejects.toThrow("/data/out/map.npy: shape (4,) has 4 elements but data has 3");
    await expect(
      NumpyMap.write(join(dir, "tmp-2"), [1, 2, 3] as unknown as Float64Array, { finalPath: "/data/out/map.npy" }),
    ).rejects.toThrow("/data/out/map.npy: NumpyMap expects {data, shape} or a Float32Array/Float64Array, got array");
  });
});

describe(`numpy interop with ${"/usr/bin/python3"}${numpySkipReason}`, () => {
  it.skipIf(!hasNumpy)("numpy loads what we write, with dtype, shape and values intact", async () => {
    const cases: Record<string, NpyArray> = {
      f8_2d: { data: Float64Array.from([1, -0, Number.NaN, Infinity, 5e-324, 0.1]), shape: [2, 3] },
      f4_1d: { data: Float32Array.from([0.1, -1.5, 1e-45]), shape: [3] },
      f8_scalar: { data: Float64Array.from([Math.PI]), shape: [] },
      f8_empty: { data: new Float64Array(0), shape: [0, 4] },
      f4_4d: { data: Float32Array.from({ length: 120 }, (_, i) => i / 7), shape: [2, 3, 4, 5] },
    };
    for (const [name, array] of Object.entries(cases)) await NumpyMap.write(join(dir, `${name}.npy`), array);
    const out = runPython(
      [
        "import json, sys, numpy as np",
        "res = {}",
        "for name in sys.argv[2:]:",
        "    a = np.load(sys.argv[1] + '/' + name + '.npy')",
        "    res[name] = [a.dtype.str, list(a.shape), [repr(float(v)) for v in a.reshape(-1)]]",
        "print(json.dumps(res))",
      ].join("\n"),
      [dir, ...Object.keys(cases)],
    );
    const loaded = JSON.parse(out) as Record<string, [string, number[], string[]]>;
    for (const [name, array] of Object.entries(cases)) {
      const [descr, shape, values] = loaded[name] ?? ["", [], []];
      expect(descr, name).toBe(array.data instanceof Float32Array ? "<f4" : "<f8");
      expect(shape, name).toEqual(array.shape);
      expect(sameNumbers(values.map(pyFloat), array.data), name).toBe(true);
    }
  });
  it.skipIf(!hasNumpy)("our bytes equal np.save's for a freshly made array", async () => {
    const path = join(dir, "fresh-numpy.npy");
    runPython("import sys, numpy as np; np.save(sys.argv[1], (np.arange(30.0).reshape(5, 6) / 3.0).astype('<f8'))", [path]);
    const ours = encodeNpy({ data: Float64Array.from({ length: 30 }, (_, i) => i / 3), shape: [5, 6] });
    expect(ours.ok && Buffer.compare(ours.value, await readFile(path))).toBe(0);
  });
});
