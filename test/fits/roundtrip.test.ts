import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import {
  decodeFits,
  encodeMap,
  formatCard,
  listColumns,
  readCl,
  readColumn,
  readFits,
  readMap,
  writeCl,
  writeMap,
} from "../../src/fits/index.js";
import type { MapDtype, WritableMap } from "../../src/fits/index.js";
import { reorderMap } from "../../src/healpix/pixel.js";
import { UNSEEN } from "../../src/healpix/nside.js";
import { formula, masked, values } from "./golden-data.js";

const dir = mkdtempSync(join(tmpdir(), "cmbflow-fits-roundtrip-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (ext = ".fits"): string => join(dir, `f${n++}${ext}`);

describe("writeMap → readMap", () => {
  const cases: [MapDtype, WritableMap, string][] = [
    ["float32", formula("float32", 3072, 0), "Float32Array"],
    ["float64", formula("float64", 768, 1), "Float64Array"],
    ["int16", formula("int16", 3072, 2), "Int16Array"],
    ["int32", formula("int32", 768, 3), "Int32Array"],
    ["uint8", formula("uint8", 768, 4), "Uint8Array"],
  ];
  for (const [dtype, m, type] of cases) {
    it(`keeps ${dtype} maps exactly`, async () => {
      const p = fresh();
      await writeMap(p, m);
      const back = (await readMap(p)).fields[0]!;
      expect(back.constructor.name).toBe(type);
      expect(Array.from(back)).toEqual(Array.from(m as ArrayLike<number>));
    });
  }

  it("int64 maps: K column, read as Float64Array by readMap and BigInt64Array by readColumn", async () => {
    const p = fresh();
    const m = formula("int64", 768, 0) as BigInt64Array;
    await writeMap(p, m);
    expect(Array.from((await readMap(p)).fields[0]!)).toEqual(Array.from(m, Number));
    const col = readColumn((await readFits(p)).hdus[1]!, 0);
    expect(col).toBeInstanceOf(BigInt64Array);
    expect(values(col)).toEqual(Array.from(m));
  });

  it("converts to the requested dtype and writes plain number arrays as float64", async () => {
    const p = fresh();
    const m = formula("float64", 768, 0) as Float64Array;
    await writeMap(p, [m, Array.from(m)], { dtype: ["float32", "float64"] });
    const back = await readMap(p, { field: "all" });
    expect(back.header.getString("TFORM1")).toBe("E");
    expect(back.header.getString("TFORM2")).toBe("D");
    expect(Array.from(back.fields[0]!)).toEqual(Array.from(Float32Array.from(m)));
    expect(Array.from(back.fields[1]!)).toEqual(Array.from(m));
  });

  it("reorders RING files to NESTED on request, and NESTED partial maps to RING", async () => {
    const ring = formula("float64", 3072, 0) as Float64Array;
    const p = fresh();
    await writeMap(p, ring);
    const nest = await readMap(p, { nest: true });
    expect(nest.ordering).toBe("NESTED");
    expect(Array.from(nest.fields[0]!)).toEqual(Array.from(reorderMap(ring, "RING", "NESTED")));

    const q = fresh();
    await writeMap(q, reorderMap(masked(ring), "RING", "NESTED"), { partial: true, nest: true });
    const back = await readMap(q);
    expect(back.partial).toBe(true);
    expect(back.header.getString("OBJECT")).toBe("PARTIAL");
    expect(Array.from(back.fields[0]!)).toEqual(Array.from(masked(ring)));
  });

  it("writes gzip for .gz names (same FITS bytes inside) and reads it back", async () => {
    const p = fresh(".fits.gz");
    const m = formula("float32", 768, 0);
    await writeMap(p, m, { columnUnits: "K" });
    const raw = readFileSync(p);
    expect([raw[0], raw[1]]).toEqual([0x1f, 0x8b]);
    expect(Buffer.from(gunzipSync(raw)).equals(Buffer.from(encodeMap(m, { columnUnits: "K" })))).toBe(true);
    const back = await readMap(p);
    expect(back.units).toEqual(["K"]);
    expect(Array.from(back.fields[0]!)).toEqual(Array.from(m as Float32Array));
  });

  it("writes without the temporary file when atomic is false", async () => {
    const p = fresh();
    await writeMap(p, formula("float32", 768, 0), { atomic: false });
    expect((await readMap(p)).nside).toBe(8);
  });

  it("partial maps with a PIXEL column of the right width", async () => {
    const m = new Float32Array(12 * 64 * 64).fill(UNSEEN);
    m[40000] = 1;
    m[49151] = 2;
    const p = fresh();
    await writeMap(p, m, { partial: true });
    const f = await readFits(p);
    expect(listColumns(f.hdus[1]!).map((c) => c.format)).toEqual(["J", "E"]);
    const back = (await readMap(p)).fields[0]!;
    expect([back[40000], back[49151], back[0]]).toEqual([1, 2, Math.fround(UNSEEN)]);
  });
});

describe("writeCl → readCl", () => {
  it("keeps spectra exactly, plain number arrays included", async () => {
    const p = fresh();
    const tt = formula("float64", 50, 0) as Float64Array;
    await writeCl(p, [tt, Array.from(formula("float64", 50, 1) as Float64Array)]);
    const s = await readCl(p);
    expect(s.columnNames).toEqual(["TEMPERATURE", "GRADIENT"]);
    expect(Array.from(s.spectra[0]!)).toEqual(Array.from(tt));
    expect(s.spectra[1]).toHaveLength(50);
  });
});

describe("ASCII tables", () => {
  /** A hand-made TABLE HDU (FITS 4.0 §7.2) with the given rows of text. */
  function asciiTable(cards: [string, string | number][], rows: string[]): Uint8Array {
    const head = (list: [string, string | number | boolean][]): string => {
      const text = list.flatMap(([k, v]) => formatCard(k, v)).join("") + "END".padEnd(80);
      return text.padEnd(Math.ceil(text.length / 2880) * 2880);
    };
    const width = rows[0]!.length;
    const primary = head([["SIMPLE", true], ["BITPIX", 8], ["NAXIS", 0]]);
    const table = head([
      ["XTENSION", "TABLE"], ["BITPIX", 8], ["NAXIS", 2], ["NAXIS1", width], ["NAXIS2", rows.length],
      ["PCOUNT", 0], ["GCOUNT", 1], ...cards,
    ]);
    const data = rows.join("");
    return Buffer.from(primary + table + data.padEnd(Math.ceil(data.length / 2880) * 2880), "latin1");
  }

  it("reads Fortran number forms: D exponents, implied decimals, blanks and TNULL as NaN, TSCAL/TZERO", () => {
    const bytes = asciiTable(
      [
        ["TFIELDS", 3],
        ["TTYPE1", "A"], ["TFORM1", "E12.4"], ["TBCOL1", 1],
        ["TTYPE2", "B"], ["TFORM2", "F6.2"], ["TBCOL2", 13],
        ["TTYPE3", "C"], ["TFORM3", "I4"], ["TBCOL3", 19], ["TSCAL3", 2], ["TZERO3", 1], ["TNULL3", "-99"],
      ],
      ["  1.2500D+02  1234  12", " -3.0000E-01  1.5  -99", "              9.75    "],
    );
    const hdu = decodeFits(bytes).hdus[1]!;
    expect(values(readColumn(hdu, "A"))).toEqual([125, -0.3, NaN]);
    expect(values(readColumn(hdu, "B"))).toEqual([12.34, 1.5, 9.75]);
    expect(values(readColumn(hdu, "C"))).toEqual([25, NaN, NaN]);
  });
});
