/**
 * ASCII tables (XTENSION = 'TABLE', FITS 4.0 §7.2), as HEALPix's Fortran tools write power
 * spectra: each field is text at column TBCOLn with format Aw, Iw, Fw.d, Ew.d or Dw.d.
 * Numeric columns decode to Float64Array; a blank field (or one equal to TNULLn) reads as NaN.
 */
import type { ColumnDtype, FitsColumn, NumericArray } from "./column.js";
import { toDtype } from "./bintable.js";
import { FitsError } from "./errors.js";
import type { FitsHdu } from "./hdu.js";

/** Parses an ASCII-table TFORM such as `E15.7`, `I6`, `A8`: type letter, width and decimals. */
export function parseAsciiTform(tform: string): { code: string; width: number; decimals: number } | undefined {
  const m = /^\s*([AIFED])(\d+)(?:\.(\d+))?\s*$/i.exec(tform);
  if (!m) return undefined;
  return { code: m[1]!.toUpperCase(), width: Number(m[2]), decimals: m[3] ? Number(m[3]) : 0 };
}

/** Reads the column descriptions of a TABLE HDU; a FitsError (`bad-header`) for missing or invalid TFORMn / TBCOLn. */
export function parseAsciiColumns(hdu: FitsHdu): FitsColumn[] {
  const h = hdu.header;
  const n = h.getInteger("TFIELDS") ?? 0;
  const naxis1 = h.getInteger("NAXIS1") ?? 0;
  const cols: FitsColumn[] = [];
  for (let k = 1; k <= n; k++) {
    const format = (h.getString(`TFORM${k}`) ?? "").trim();
    const t = parseAsciiTform(format);
    if (!t) {
      throw new FitsError(hdu.path, "bad-header", `TFORM${k} = '${format}' in HDU ${hdu.index} is not an ASCII table format`);
    }
    const tbcol = h.getInteger(`TBCOL${k}`);
    if (tbcol === undefined || tbcol < 1 || tbcol - 1 + t.width > naxis1) {
      throw new FitsError(hdu.path, "bad-header", `TBCOL${k} of HDU ${hdu.index} is missing or outside the ${naxis1}-character row`);
    }
    cols.push({
      index: k - 1,
      name: (h.getString(`TTYPE${k}`) ?? "").trim(),
      format,
      code: t.code,
      repeat: 1,
      width: t.width,
      offset: tbcol - 1,
      decimals: t.decimals,
      unit: h.getString(`TUNIT${k}`)?.trim(),
      scale: h.getNumber(`TSCAL${k}`) ?? 1,
      zero: h.getNumber(`TZERO${k}`) ?? 0,
    });
  }
  return cols;
}

/** Parses one Fortran-formatted number: `D` exponents, exponents without a letter (`1.5-100`), implied decimal points. */
function parseField(text: string, decimals: number): number {
  const t = text.trim();
  if (t === "") return NaN;
  const v = Number(t);
  if (!Number.isNaN(v)) return t.includes(".") || decimals === 0 || /[eEdD]/.test(t) ? v : v / 10 ** decimals;
  const fixed = t.replace(/[dD]/, "E").replace(/^([+-]?[\d.]+)([+-]\d+)$/, "$1E$2");
  return Number(fixed);
}

/** Decodes a numeric ASCII-table column (A columns are a FitsError `unsupported-tform`). */
export function readAsciiColumn(hdu: FitsHdu, col: FitsColumn, dtype: ColumnDtype): NumericArray {
  if (col.code === "A") {
    throw new FitsError(
      hdu.path,
      "unsupported-tform",
      `column ${col.index} (${col.name || "unnamed"}) of HDU ${hdu.index} has TFORM '${col.format}', which cmbflow cannot read as numbers (supported: I, F, E, D)`,
    );
  }
  const rowChars = hdu.header.getInteger("NAXIS1") ?? 0;
  const nrows = hdu.header.getInteger("NAXIS2") ?? 0;
  const tnull = hdu.header.getString(`TNULL${col.index + 1}`)?.trim();
  const out = new Float64Array(nrows);
  const src = hdu.bytes;
  for (let r = 0, p = hdu.dataOffset + col.offset; r < nrows; r++, p += rowChars) {
    const text = String.fromCharCode(...src.subarray(p, p + col.width));
    out[r] = tnull !== undefined && text.trim() === tnull ? NaN : col.zero + col.scale * parseField(text, col.decimals);
  }
  return toDtype(out, dtype);
}
