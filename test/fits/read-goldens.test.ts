import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeMap, findColumn, listColumns, readCl, readColumn, readFits, readMap } from "../../src/fits/index.js";
import type { NumericArray } from "../../src/fits/index.js";
import { reorderMap } from "../../src/healpix/pixel.js";
import { UNSEEN } from "../../src/healpix/nside.js";
import { FIXTURES, fixtureBytes, formula, masked, values } from "./golden-data.js";

const at = (file: string): string => join(FIXTURES, file);

/** Same element type and the same bits in every element (so -0 ≠ 0 and UNSEEN must match exactly). */
function expectSame(ours: NumericArray, want: NumericArray): void {
  expect(ours.constructor.name).toBe(want.constructor.name);
  expect(ours.length).toBe(want.length);
  const a = Buffer.from(ours.buffer, ours.byteOffset, ours.byteLength);
  const b = Buffer.from(want.buffer, want.byteOffset, want.byteLength);
  expect(a.equals(b)).toBe(true);
}

describe("readMap on healpy files", () => {
  it("reads a one-value-per-row float32 map (nside 8, plain .fits)", async () => {
    const m = await readMap(at("map-e-n8.fits"));
    expect(m.nside).toBe(8);
    expect(m.ordering).toBe("RING");
    expect(m.partial).toBe(false);
    expect(m.columnNames).toEqual(["T"]);
    expect(m.units).toEqual([undefined]);
    expect(m.fields).toHaveLength(1);
    expectSame(m.fields[0]!, formula("float32", 768, 0));
    expect(m.header.getString("PIXTYPE")).toBe("HEALPIX");
    expect(m.header.getInteger("LASTPIX")).toBe(767);
  });

  it("reads '1024E' rows (nside 16) from .fits.gz", async () => {
    const m = await readMap(at("map-e-n16.fits.gz"));
    expect(m.header.getString("TFORM1")).toBe("1024E");
    expectSame(m.fields[0]!, formula("float32", 3072, 0));
  });

  it("reads float64 maps and converts on request", async () => {
    const m = await readMap(at("map-d-n8.fits.gz"));
    expectSame(m.fields[0]!, formula("float64", 768, 0));
    const f32 = await readMap(at("map-d-n8.fits.gz"), { dtype: "float32" });
    expectSame(f32.fields[0]!, Float32Array.from(formula("float64", 768, 0) as Float64Array));
  });

  it("follows healpy's field semantics on a 3-column file", async () => {
    const file = at("map-e3-n8-units.fits.gz");
    const first = await readMap(file);
    expect(first.columnNames).toEqual(["TEMPERATURE"]);
    expectSame(first.fields[0]!, formula("float32", 768, 0));
    const all = await readMap(file, { field: "all" });
    expect(all.columnNames).toEqual(["TEMPERATURE", "Q_POLARISATION", "U_POLARISATION"]);
    expect(all.units).toEqual(["uK", "uK", "uK"]);
    all.fields.forEach((f, k) => expectSame(f, formula("float32", 768, k)));
    const picked = await readMap(file, { field: [2, 0, 2], dtype: "float64" });
    expect(picked.columnNames).toEqual(["U_POLARISATION", "TEMPERATURE", "U_POLARISATION"]);
    expectSame(picked.fields[0]!, Float64Array.from(formula("float32", 768, 2) as Float32Array));
    expect(picked.fields[2]).not.toBe(picked.fields[0]);
    expectSame(picked.fields[2]!, picked.fields[0]!);
  });

  it("reorders a NESTED file (healpy hp.reorder'ed data) to RING by default, or keeps NESTED with nest: true", async () => {
    const file = at("map-e3-n8-nested.fits.gz");
    const ring = await readMap(file, { field: "all" });
    expect(ring.ordering).toBe("RING");
    expect(ring.header.getString("ORDERING")).toBe("NESTED");
    ring.fields.forEach((f, k) => expectSame(f, formula("float32", 768, k)));
    const nest = await readMap(file, { field: 1, nest: true });
    expect(nest.ordering).toBe("NESTED");
    expectSame(nest.fields[0]!, reorderMap(formula("float32", 768, 1) as Float32Array, "RING", "NESTED"));
  });

  it("reads names, units and COORDSYS of a NESTED float64 file", async () => {
    const file = at("map-d3-n8-nest-g.fits.gz");
    const nest = await readMap(file, { field: "all", nest: true });
    expect(nest.columnNames).toEqual(["I", "Q", "U"]);
    expect(nest.units).toEqual(["K", undefined, "mK"]);
    expect(nest.header.getString("COORDSYS")).toBe("G");
    nest.fields.forEach((f, k) => expectSame(f, formula("float64", 768, k)));
    const ring = await readMap(file, { field: 2 });
    expectSame(ring.fields[0]!, reorderMap(formula("float64", 768, 2) as Float64Array, "NESTED", "RING"));
  });

  it("reads integer maps: I, J, K, B", async () => {
    expectSame((await readMap(at("map-i-n8.fits.gz"))).fields[0]!, formula("int16", 768, 0));
    expectSame((await readMap(at("map-j-n8.fits.gz"))).fields[0]!, formula("int32", 768, 0));
    expectSame((await readMap(at("map-b-n8.fits.gz"))).fields[0]!, formula("uint8", 768, 0));
    // K comes back as Float64Array (exact below 2^53).
    const k = (await readMap(at("map-k-n8.fits.gz"))).fields[0]!;
    expectSame(k, Float64Array.from(formula("int64", 768, 0) as BigInt64Array, (v) => Number(v)));
    const j64 = (await readMap(at("map-j-n8.fits.gz"), { dtype: "float64" })).fields[0]!;
    expectSame(j64, Float64Array.from(formula("int32", 768, 0) as Int32Array));
  });

  it("expands partial-sky files (PIXEL column) with UNSEEN where no pixel is listed", async () => {
    const m = await readMap(at("map-partial-n16.fits.gz"), { field: "all" });
    expect(m.partial).toBe(true);
    expect(m.columnNames).toEqual(["Q_POLARISATION", "U_POLARISATION"]);
    expectSame(m.fields[0]!, masked(formula("float32", 3072, 0) as Float32Array));
    // Field 1 was written only where field 0 is seen.
    expectSame(m.fields[1]!, masked(formula("float32", 3072, 1) as Float32Array));
    expect(m.fields[1]![1]).toBe(Math.fround(UNSEEN));
  });

  it("expands and reorders a NESTED partial-sky file", async () => {
    const m = await readMap(at("map-partial-n16-nested.fits.gz"));
    expect(m.partial).toBe(true);
    expectSame(m.fields[0]!, masked(formula("float64", 3072, 0) as Float64Array));
  });

  it("applies TZERO offsets (unsigned I/J, signed B), TSCAL/TZERO scaling and reads L columns", async () => {
    const file = await readFits(at("map-scaled-n8.fits.gz"));
    const hdu = file.hdus[1]!;
    expect(listColumns(hdu).map((c) => `${c.name}:${c.format}`)).toEqual(["U16:I", "U32:J", "SCALED:I", "I8:B", "FLAG:L"]);
    const idx = Array.from({ length: 768 }, (_, i) => i);
    expectSame(readColumn(hdu, "U16"), Uint16Array.from(idx, (i) => (i * 97 + 30000) % 65536));
    expectSame(readColumn(hdu, "u32"), Uint32Array.from(idx, (i) => (i * 1000003 + 2 ** 31) % 2 ** 32));
    expectSame(readColumn(hdu, 2), Float64Array.from(idx, (i) => 0.5 * (((i * 37) % 30000) - 15000) + 10));
    expectSame(readColumn(hdu, "I8"), Int8Array.from(idx, (i) => (i % 256) - 128));
    expectSame(readColumn(hdu, "FLAG"), Uint8Array.from(idx, (i) => (i % 3 === 0 ? 1 : 0)));
    expectSame(readColumn(hdu, "U16", { dtype: "float32" }), Float32Array.from(idx, (i) => (i * 97 + 30000) % 65536));
    const m = await readMap(at("map-scaled-n8.fits.gz"), { field: [0, 2] });
    expectSame(m.fields[0]!, Uint16Array.from(idx, (i) => (i * 97 + 30000) % 65536));
  });

  it("decodes from bytes without modifying them", () => {
    const bytes = fixtureBytes("map-e3-n8-units.fits.gz");
    const copy = Buffer.from(bytes);
    const m = decodeMap(bytes, { field: "all" });
    expectSame(m.fields[1]!, formula("float32", 768, 1));
    expect(Buffer.compare(bytes, copy)).toBe(0);
  });

  it("reads header cards written through extra_header, CONTINUE strings included", async () => {
    const h = (await readMap(at("map-e-n8-extra.fits.gz"))).header;
    expect(h.get("FOO")).toBe("bar");
    expect(h.comment("FOO")).toBe("a comment");
    expect(h.get("NUM")).toBe(3);
    expect(h.get("R1")).toBe(1);
    expect(h.get("SMALL")).toBe(1e-10);
    expect(h.get("THIRD")).toBe(0.3333333333333333);
    expect(h.getBoolean("T")).toBe(true);
    expect(h.getBoolean("F")).toBe(false);
    expect(h.get("EMPTY")).toBe("");
    expect(h.get("QUOTE")).toBe("it's");
    expect(h.get("LONGSTR")).toBe("word ".repeat(30).trimEnd());
    expect(h.get("LONGC")).toBe("y".repeat(100));
    expect(h.comment("LONGC")).toBe("comm");
    expect(h.get("EXTNAME")).toBe("MAP");
    expect(h.get("lower")).toBe(7);
    expect(h.getString("COORDSYS")).toBe("E");
    expect(h.cards.filter((c) => c.key === "COMMENT").map((c) => c.comment).join("")).toBe("z".repeat(100));
    expect(h.cards.at(-1)).toEqual({ key: "HISTORY", value: undefined, comment: "made by scripts/goldens/fits.py" });
  });
});

describe("readCl", () => {
  it("reads healpy write_cl files (6 spectra, D)", async () => {
    const s = await readCl(at("cl-6.fits.gz"));
    expect(s.columnNames).toEqual(["TEMPERATURE", "GRADIENT", "CURL", "G-T", "C-T", "C-G"]);
    s.spectra.forEach((c, k) => expectSame(c, formula("float64", 41, k)));
    expect(s.header.getString("CREATOR")).toBe("healpy");
  });

  it("reads a float32 spectrum as Float64Array", async () => {
    const s = await readCl(at("cl-1-e.fits.gz"));
    expectSame(s.spectra[0]!, Float64Array.from(formula("float32", 33, 0) as Float32Array));
  });

  it("reads HEALPix ASCII-table spectra (TABLE, E15.7) to 8 significant digits", async () => {
    const s = await readCl(at("cl-ascii.fits"));
    expect(s.columnNames).toEqual(["TEMPERATURE", "GRADIENT", "CURL", "G-T"]);
    expect(s.header.getString("XTENSION")).toBe("TABLE");
    s.spectra.forEach((c, k) => {
      const want = formula("float64", 31, k) as Float64Array;
      expect(c).toHaveLength(31);
      for (let l = 0; l < 31; l++) expect(Math.abs(c[l]! - want[l]!)).toBeLessThanOrEqual(5e-8 * Math.abs(want[l]!));
    });
    expect(s.spectra[0]![6]).toBe(UNSEEN);
  });
});

describe("low-level reader", () => {
  it("walks HDUs and describes columns", async () => {
    const file = await readFits(at("map-partial-n16.fits.gz"));
    expect(file.hdus.map((h) => h.kind)).toEqual(["primary", "bintable"]);
    const hdu = file.hdus[1]!;
    expect(hdu.dataOffset).toBe(5760);
    const cols = listColumns(hdu);
    expect(cols.map((c) => [c.name, c.format, c.code, c.repeat, c.width, c.offset])).toEqual([
      ["PIXEL", "I", "I", 1, 2, 0],
      ["Q_POLARISATION", "E", "E", 1, 4, 2],
      ["U_POLARISATION", "E", "E", 1, 4, 6],
    ]);
    expect(findColumn(hdu, "pixel").index).toBe(0);
    const pixels = readColumn(hdu, "PIXEL");
    expect(pixels).toBeInstanceOf(Int16Array);
    expect(values(pixels).slice(0, 3)).toEqual([201, 204, 207]);
    expect(file.hdus[0]!.header.keys()).toEqual(["SIMPLE", "BITPIX", "NAXIS", "EXTEND"]);
  });

  it("parses buffers, gzip included", async () => {
    const file = await readFits(fixtureBytes("map-e-n16.fits.gz"));
    expect(file.path).toBe("<buffer>");
    expect(readColumn(file.hdus[1]!, 0)).toHaveLength(3072);
  });
});
