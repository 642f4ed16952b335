import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeMap, encodeMap, FitsError, readCl, readColumn, readFits, readMap, writeMap } from "../../src/fits/index.js";
import { fixtureBytes, formula } from "./golden-data.js";

const dir = mkdtempSync(join(tmpdir(), "cmbflow-fits-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `bytes` to a fresh file in the temporary folder and returns its path. */
function file(name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** Replaces the card whose keyword is `key` (in any header) by `card`. */
function patchCard(bytes: Uint8Array, key: string, card: string): Uint8Array {
  const out = Uint8Array.from(bytes);
  const text = Buffer.from(out).toString("latin1");
  for (let i = 0; i < text.length; i += 80) {
    if (text.slice(i, i + 8).trimEnd() === key) {
      out.set(Buffer.from(card.padEnd(80), "latin1"), i);
      return out;
    }
  }
  throw new Error(`no card ${key}`);
}

/** The message of the FitsError `run` rejects with. */
async function failure(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (e) {
    expect(e).toBeInstanceOf(FitsError);
    return (e as Error).message;
  }
  throw new Error("expected a FitsError");
}

const e8 = fixtureBytes("map-e-n8.fits");

describe("bad files give FitsErrors with the path and a sentence", () => {
  it("not FITS", async () => {
    const p = file("hello.fits", "hello world, not a FITS file");
    expect(await failure(() => readMap(p))).toBe(`${p}: not a FITS file: it does not start with the card SIMPLE = T`);
    const empty = file("empty.fits", "");
    expect(await failure(() => readFits(empty))).toBe(`${empty}: not a FITS file: it does not start with the card SIMPLE = T`);
  });

  it("truncated data: expected versus actual bytes", async () => {
    const p = file("cut.fits", e8.subarray(0, 8000));
    expect(await failure(() => readMap(p))).toBe(
      `${p}: truncated file: expected at least 8832 bytes (HDU 1 data ends there), found 8000`,
    );
  });

  it("truncated header", async () => {
    const p = file("cut-header.fits", e8.subarray(0, 3000));
    expect(await failure(() => readMap(p))).toBe(
      `${p}: truncated file: the header of HDU 1 has no END card before the end of the file (3000 bytes)`,
    );
  });

  it("corrupt gzip", async () => {
    const gz = Buffer.from(fixtureBytes("map-e-n8.fits"));
    const { gzipSync } = await import("node:zlib");
    const p = file("cut.fits.gz", gzipSync(gz).subarray(0, 200));
    expect(await failure(() => readMap(p))).toBe(`${p}: corrupt or truncated gzip data (unexpected end of file)`);
  });

  it("missing NSIDE", async () => {
    const p = file("no-nside.fits", patchCard(e8, "NSIDE", "COMMENT NSIDE removed"));
    expect(await failure(() => readMap(p))).toBe(`${p}: HDU 1 has no NSIDE keyword`);
  });

  it("NSIDE that is not a power of two", async () => {
    const p = file("nside-3.fits", patchCard(e8, "NSIDE", "NSIDE   =                    3"));
    expect(await failure(() => readMap(p))).toBe(`${p}: NSIDE = 3 in HDU 1 is not a power of two between 1 and 8192`);
  });

  it("NSIDE inconsistent with the number of values", async () => {
    const p = file("nside-16.fits", patchCard(e8, "NSIDE", "NSIDE   =                   16"));
    expect(await failure(() => readMap(p))).toBe(
      `${p}: NSIDE = 16 in HDU 1 means 3072 pixels, but column 0 (T) holds 768 values (768 rows)`,
    );
  });

  it("unsupported TFORM, named", async () => {
    const p = file("tform-a.fits", patchCard(e8, "TFORM1", "TFORM1  = '4A      '"));
    expect(await failure(() => readMap(p))).toBe(
      `${p}: column 0 (T) of HDU 1 has TFORM '4A', which cmbflow cannot read (supported: L, B, I, J, K, E, D)`,
    );
  });

  it("TFORM inconsistent with NAXIS1", async () => {
    const p = file("tform-d.fits", patchCard(e8, "TFORM1", "TFORM1  = 'D       '"));
    expect(await failure(() => readMap(p))).toBe(`${p}: the columns of HDU 1 take 8 bytes per row but NAXIS1 = 4`);
  });

  it("ORDERING that is neither RING nor NESTED", async () => {
    const p = file("ordering.fits", patchCard(e8, "ORDERING", "ORDERING= 'SPIRAL  '"));
    expect(await failure(() => readMap(p))).toBe(`${p}: ORDERING = 'SPIRAL' in HDU 1 is neither RING nor NESTED`);
  });

  it("a missing ORDERING is read as RING, as healpy does", async () => {
    const p = file("no-ordering.fits", patchCard(e8, "ORDERING", "COMMENT ORDERING removed"));
    const m = await readMap(p);
    expect(m.ordering).toBe("RING");
    expect(Array.from(m.fields[0]!)).toEqual(Array.from(formula("float32", 768, 0) as Float32Array));
  });

  it("field out of range lists the columns that exist", async () => {
    const p = file("e3.fits", fixtureBytes("map-e3-n8-units.fits.gz"));
    expect(await failure(() => readMap(p, { field: 3 }))).toBe(
      `${p}: field 3 is out of range: HDU 1 has 3 map columns (0 TEMPERATURE, 1 Q_POLARISATION, 2 U_POLARISATION)`,
    );
    const partial = file("partial.fits", fixtureBytes("map-partial-n16.fits.gz"));
    expect(await failure(() => readMap(partial, { field: [0, 2] }))).toBe(
      `${partial}: field 2 is out of range: HDU 1 has 2 map columns (0 Q_POLARISATION, 1 U_POLARISATION)`,
    );
  });

  it("missing HDU, non-table HDU and unknown column names", async () => {
    const p = file("e8.fits", e8);
    expect(await failure(() => readMap(p, { hdu: 5 }))).toBe(`${p}: HDU 5 does not exist: the file has 2 HDUs (0…1)`);
    expect(await failure(() => readCl(p, { hdu: 0 }))).toBe(
      `${p}: HDU 0 is not a table (XTENSION is not BINTABLE or TABLE)`,
    );
    const f = await readFits(p);
    expect(() => readColumn(f.hdus[1]!, "Q")).toThrow(`${p}: there is no column named "Q": HDU 1 has 1 column (0 T)`);
  });

  it("decodeMap names the buffer or the given path", () => {
    expect(() => decodeMap(new Uint8Array(10))).toThrow("<buffer>: not a FITS file");
    expect(() => decodeMap(new Uint8Array(10), {}, "in-memory.fits")).toThrow("in-memory.fits: not a FITS file");
  });
});

describe("writer errors", () => {
  it("refuses to overwrite unless asked, and leaves no temporary file", async () => {
    const p = join(dir, "out.fits");
    const m = formula("float32", 768, 0);
    await writeMap(p, m);
    expect(await failure(() => writeMap(p, m))).toBe(`${p}: the file already exists (pass overwrite: true to replace it)`);
    await writeMap(p, formula("float64", 768, 1), { overwrite: true });
    expect((await readMap(p)).fields[0]).toBeInstanceOf(Float64Array);
    expect(readdirSync(dir).filter((n) => n.includes("out.fits"))).toEqual(["out.fits"]);
  });

  it("rejects inputs healpy cannot write, with the reason", () => {
    const msg = (run: () => unknown): string => {
      try {
        run();
      } catch (e) {
        expect(e).toBeInstanceOf(FitsError);
        return (e as Error).message;
      }
      return "no error";
    };
    expect(msg(() => encodeMap(new Float32Array(100)))).toBe(
      "<buffer>: a map of 100 pixels is not a HEALPix map (12·nside² with nside a power of two ≤ 8192)",
    );
    expect(msg(() => encodeMap(new Uint16Array(768) as unknown as Float32Array))).toBe(
      "<buffer>: map 0 is a Uint16Array, which cannot be written (healpy writes float32, float64, int16, int32, int64 and uint8 maps)",
    );
    expect(msg(() => encodeMap([new Float32Array(768), new Float32Array(192)]))).toBe(
      "<buffer>: maps have different lengths: map 0 has 768 pixels, map 1 has 192",
    );
    expect(msg(() => encodeMap(new Float32Array(768), { columnNames: ["A", "B"] }))).toBe(
      "<buffer>: columnNames has 2 entries for 1 map",
    );
    expect(msg(() => encodeMap(new Float32Array(768), { extraHeader: [["naxis2", 3]] }))).toBe(
      "<buffer>: extraHeader may not set NAXIS2: it describes the table layout",
    );
    expect(msg(() => encodeMap(new Float32Array(768), { extraHeader: [["X", NaN]] }))).toBe(
      "<buffer>: FITS header values must be finite, got NaN",
    );
  });
});
