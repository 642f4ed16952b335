/**
 * Angular power spectra in FITS tables.
 *
 * Writing matches healpy 1.16.1's `write_cl`: a binary table with one column per spectrum, one
 * row per multipole l = 0 … lmax, columns TEMPERATURE, GRADIENT, CURL, G-T, C-T, C-G (in that
 * order, as many as there are spectra), type 'D' for Float64Array / plain numbers and 'E' for
 * Float32Array, and a CREATOR = 'healpy' card.
 *
 * Reading accepts that layout and HEALPix's Fortran layout: an ASCII table (XTENSION = 'TABLE')
 * with columns such as `E15.7`. Every column of the HDU is returned, as Float64Array.
 */
import type { Buffer } from "node:buffer";
import type { ColumnToWrite } from "./bintable-writer.js";
import { encodeBinaryTableFile } from "./bintable-writer.js";
import { listColumns, readColumn } from "./column.js";
import { BUFFER_PATH, FitsError } from "./errors.js";
import { decodeFits, loadFitsBytes } from "./file.js";
import { hduAt, parseFits } from "./hdu.js";
import type { FitsFile } from "./hdu.js";
import type { FitsHeader } from "./header.js";
import { writeFitsBytes } from "./write-file.js";
import type { WriteFileOptions } from "./write-file.js";

/** Column names healpy's write_cl gives spectra 1 … 6. */
export const CL_COLUMN_NAMES = ["TEMPERATURE", "GRADIENT", "CURL", "G-T", "C-T", "C-G"] as const;

/** A spectrum to write: Float64Array or plain numbers ('D' columns) or Float32Array ('E'). */
export type WritableCl = Float64Array | Float32Array | readonly number[];

/** Spectra as read from a file. */
export interface PowerSpectra {
  /** One array per column, index l. */
  readonly spectra: Float64Array[];
  /** TTYPEn of each column. */
  readonly columnNames: string[];
  /** TUNITn of each column, `undefined` when absent. */
  readonly units: (string | undefined)[];
  /** All cards of the spectra HDU. */
  readonly header: FitsHeader;
}

/** Options of {@link readCl} / {@link decodeCl}. */
export interface ReadClOptions {
  /** HDU holding the spectra (default 1). */
  readonly hdu?: number;
}

function isClList(cls: WritableCl | readonly WritableCl[]): cls is readonly WritableCl[] {
  return Array.isArray(cls) && cls.length > 0 && typeof cls[0] !== "number";
}

/**
 * Encodes spectra as the bytes of healpy's write_cl output. FitsError (`bad-input`) for no
 * spectra, more than six, or spectra of different lengths. `path` only names errors.
 */
export function encodeCl(cls: WritableCl | readonly WritableCl[], path = BUFFER_PATH): Buffer {
  const list: readonly WritableCl[] = isClList(cls) ? cls : [cls];
  if (list.length === 0 || list.length > CL_COLUMN_NAMES.length) {
    throw new FitsError(path, "bad-input", `write_cl takes 1 to 6 spectra, got ${list.length}`);
  }
  const n = list[0]!.length;
  const columns: ColumnToWrite[] = list.map((c, k) => {
    if (c.length !== n) {
      throw new FitsError(path, "bad-input", `spectra have different lengths: spectrum 0 has ${n} values, spectrum ${k} has ${c.length}`);
    }
    const data = c instanceof Float32Array || c instanceof Float64Array ? c : Float64Array.from(c);
    return { name: CL_COLUMN_NAMES[k]!, code: data instanceof Float32Array ? "E" : "D", data };
  });
  return encodeBinaryTableFile(path, columns, 1, [["CREATOR", "healpy"]]);
}

/** Writes spectra to `path` as healpy's write_cl does (see {@link encodeCl}); refuses to overwrite unless asked; atomic by default. */
export async function writeCl(path: string, cls: WritableCl | readonly WritableCl[], options: WriteFileOptions = {}): Promise<void> {
  await writeFitsBytes(path, encodeCl(cls, path), options);
}

function spectraOf(file: FitsFile, options: ReadClOptions): PowerSpectra {
  const hdu = hduAt(file, options.hdu ?? 1);
  const cols = listColumns(hdu);
  return {
    spectra: cols.map((c) => readColumn(hdu, c, { dtype: "float64" }) as Float64Array),
    columnNames: cols.map((c) => c.name),
    units: cols.map((c) => c.unit),
    header: hdu.header,
  };
}

/** Reads every column of a spectra table (binary or ASCII; plain or gzip file) as Float64Array. */
export async function readCl(path: string, options: ReadClOptions = {}): Promise<PowerSpectra> {
  return spectraOf(parseFits(await loadFitsBytes(path), path), options);
}

/** Synchronous {@link readCl} for bytes in memory; `path` names them in errors. */
export function decodeCl(bytes: Uint8Array, options: ReadClOptions = {}, path?: string): PowerSpectra {
  return spectraOf(decodeFits(bytes, path), options);
}
