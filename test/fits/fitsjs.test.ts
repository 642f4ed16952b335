/**
 * An independent reader checks our writer: fitsjs (browser-oriented, 2015) reads the files we
 * write. It fetches paths with XMLHttpRequest, which Node lacks, and finds its classes through a
 * global `astro`; a tiny shim supplies both. Rows are read with getRows (its getColumn returns
 * NaN for '1024E' columns when reading from a Blob).
 */
import { readFileSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeMap } from "../../src/fits/index.js";
import { formula } from "./golden-data.js";

interface FitsjsHeader {
  get(key: string): unknown;
}
interface FitsjsTable {
  rows: number;
  columns: string[];
  getRows(first: number, count: number, callback: (rows: Record<string, unknown>[]) => void): void;
}
interface FitsjsFile {
  getHDU(index: number): { header: FitsjsHeader; data: FitsjsTable };
}
interface FitsjsModule {
  astro: { FITS: new (path: string, callback: (f: FitsjsFile) => void) => unknown };
}

/** Minimal XMLHttpRequest: reads the "URL" as a local path, answers asynchronously as fitsjs expects. */
class FileRequest {
  status = 0;
  response: ArrayBuffer | undefined;
  responseType = "";
  onload: (() => void) | undefined;
  #path = "";
  open(_method: string, path: string): void {
    this.#path = path;
  }
  send(): void {
    const b = readFileSync(this.#path);
    this.response = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    this.status = 200;
    queueMicrotask(() => this.onload?.());
  }
}

const g = globalThis as Record<string, unknown>;
const saved = { XMLHttpRequest: g.XMLHttpRequest, astro: g.astro };
let fitsjs: FitsjsModule;
const dir = mkdtempSync(join(tmpdir(), "cmbflow-fitsjs-"));

beforeAll(() => {
  g.XMLHttpRequest = FileRequest;
  fitsjs = createRequire(import.meta.url)("fitsjs") as FitsjsModule;
  g.astro = fitsjs.astro;
});
afterAll(() => {
  g.XMLHttpRequest = saved.XMLHttpRequest;
  g.astro = saved.astro;
  rmSync(dir, { recursive: true, force: true });
});

function open(path: string): Promise<FitsjsFile> {
  return new Promise((resolve) => new fitsjs.astro.FITS(path, resolve));
}

/** All values of one column, rows concatenated (repeat columns arrive as arrays per row). */
async function column(path: string, name: string): Promise<{ header: FitsjsHeader; values: number[] }> {
  const hdu = (await open(path)).getHDU(1);
  const rows = await new Promise<Record<string, unknown>[]>((resolve) => hdu.data.getRows(0, hdu.data.rows, resolve));
  const values = rows.flatMap((r) => {
    const v = r[name];
    return typeof v === "number" ? [v] : Array.from(v as ArrayLike<number>);
  });
  return { header: hdu.header, values };
}

describe("fitsjs (independent reader) reads our files", () => {
  it("a float32 map in '1024E' rows", async () => {
    const p = join(dir, "e16.fits");
    const m = formula("float32", 3072, 0);
    await writeMap(p, m);
    const { header, values } = await column(p, "T");
    expect(header.get("TFORM1")).toBe("1024E");
    expect(header.get("NSIDE")).toBe(16);
    expect(header.get("ORDERING")).toBe("RING");
    expect(values).toEqual(Array.from(m as Float32Array));
  });

  it("three float64 maps, one value per row, with units", async () => {
    const p = join(dir, "d8.fits");
    const maps = [0, 1, 2].map((k) => formula("float64", 768, k) as Float64Array);
    await writeMap(p, maps, { nest: true, columnUnits: "uK" });
    for (const [k, name] of ["TEMPERATURE", "Q_POLARISATION", "U_POLARISATION"].entries()) {
      const { header, values } = await column(p, name);
      expect(header.get(`TUNIT${k + 1}`)).toBe("uK");
      expect(header.get("ORDERING")).toBe("NESTED");
      expect(values).toEqual(Array.from(maps[k]!));
    }
  });

  it("an int16 map", async () => {
    const p = join(dir, "i8.fits");
    const m = formula("int16", 768, 3);
    await writeMap(p, m);
    expect((await column(p, "T")).values).toEqual(Array.from(m as Int16Array));
  });
});
