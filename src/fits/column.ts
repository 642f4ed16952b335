/**
 * Table columns of either kind (BINTABLE or ASCII TABLE): their descriptions and reading one
 * whole column into a typed array. This is the low-level API behind readMap / readCl and a
 * future `cmbflow fits` command.
 */
import { parseAsciiColumns, readAsciiColumn } from "./ascii-table.js";
import { parseBinaryColumns, readBinaryColumn } from "./bintable.js";
import { FitsError } from "./errors.js";
import type { FitsHdu } from "./hdu.js";

/**
 * Element type of a column as read:
 * - `native`: the file's own type (E → Float32Array, D → Float64Array, I → Int16Array, J → Int32Array,
 *   K → BigInt64Array, B → Uint8Array, L → Uint8Array of 1/0; ASCII numeric columns → Float64Array),
 *   with TZERO offsets that encode unsigned integers (I + 32768, J + 2^31, K + 2^63) or a signed
 *   byte (B − 128) giving Uint16Array / Uint32Array / BigUint64Array / Int8Array; any other
 *   TSCAL/TZERO gives Float64Array of physical values `TZERO + TSCAL · stored`;
 * - `float64` / `float32`: physical values converted to that float type (64-bit integers exactly up to 2^53).
 */
export type ColumnDtype = "native" | "float32" | "float64";

/** Any typed array a column can be read into. */
export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** Description of one table column, from its TTYPEn / TFORMn / TUNITn / TSCALn / TZEROn / TBCOLn cards. */
export interface FitsColumn {
  /** 0-based column number (TTYPE1 is column 0). */
  readonly index: number;
  /** TTYPEn, or "" when absent. */
  readonly name: string;
  /** TFORMn as written, trimmed. */
  readonly format: string;
  /** Type letter of the format: binary L X B I J K A E D C M P Q, ASCII A I F E D. */
  readonly code: string;
  /** Values per row (the binary repeat count; 1 for ASCII tables). */
  readonly repeat: number;
  /** Bytes per value in a binary table; characters per field in an ASCII table. */
  readonly width: number;
  /** Byte offset of the column within a row (TBCOLn − 1 for ASCII tables). */
  readonly offset: number;
  /** Decimal places of an ASCII Fw.d / Ew.d / Dw.d format (for implied decimal points), else 0. */
  readonly decimals: number;
  /** TUNITn, or `undefined` when absent. */
  readonly unit: string | undefined;
  /** TSCALn (default 1). */
  readonly scale: number;
  /** TZEROn (default 0). */
  readonly zero: number;
}

/** Options of {@link readColumn}. */
export interface ReadColumnOptions {
  /** Output element type (default `native`). */
  readonly dtype?: ColumnDtype;
  /**
   * Internal fast path: allow swapping the file's own bytes in place and returning a view of
   * them when the column fills whole rows. Only for callers that own the bytes and read each
   * column once (readMap does).
   */
  readonly consumeBytes?: boolean;
}

const columnCache = new WeakMap<FitsHdu, readonly FitsColumn[]>();

/** The columns of a BINTABLE or TABLE HDU; a FitsError (`not-a-table`) for other HDUs. */
export function listColumns(hdu: FitsHdu): readonly FitsColumn[] {
  let cols = columnCache.get(hdu);
  if (cols) return cols;
  if (hdu.kind === "bintable") cols = parseBinaryColumns(hdu);
  else if (hdu.kind === "table") cols = parseAsciiColumns(hdu);
  else throw new FitsError(hdu.path, "not-a-table", `HDU ${hdu.index} is not a table (XTENSION is not BINTABLE or TABLE)`);
  columnCache.set(hdu, cols);
  return cols;
}

/** Number of rows of a table HDU (NAXIS2). */
export function rowCount(hdu: FitsHdu): number {
  return hdu.header.getInteger("NAXIS2") ?? 0;
}

/** "0 TEMPERATURE, 1 Q_POLARISATION" — the columns as listed in error messages. */
export function describeColumns(cols: readonly FitsColumn[], first = 0): string {
  return cols.map((c, k) => `${k + first} ${c.name || "(unnamed)"}`).join(", ");
}

/**
 * Finds a column by 0-based index or by TTYPE name (case-insensitive).
 * A FitsError (`no-such-column`) lists the columns that exist.
 */
export function findColumn(hdu: FitsHdu, column: number | string): FitsColumn {
  const cols = listColumns(hdu);
  const found =
    typeof column === "number" ? cols[column] : cols.find((c) => c.name.toUpperCase() === column.toUpperCase());
  if (found) return found;
  const what = typeof column === "number" ? `column ${column} is out of range` : `there is no column named "${column}"`;
  throw new FitsError(
    hdu.path,
    "no-such-column",
    `${what}: HDU ${hdu.index} has ${cols.length} column${cols.length === 1 ? "" : "s"} (${describeColumns(cols)})`,
  );
}

/**
 * Reads a whole column (every row, every repeat element, in row order) into a typed array:
 * one pass gathering the column's bytes, one native byte swap, then a view (see {@link ColumnDtype}).
 * A FitsError (`unsupported-tform`) names formats that cannot be read (X, A, C, M, P, Q).
 */
export function readColumn(hdu: FitsHdu, column: number | string | FitsColumn, options: ReadColumnOptions = {}): NumericArray {
  const col = typeof column === "object" ? column : findColumn(hdu, column);
  const dtype = options.dtype ?? "native";
  return hdu.kind === "table"
    ? readAsciiColumn(hdu, col, dtype)
    : readBinaryColumn(hdu, col, dtype, options.consumeBytes === true);
}
