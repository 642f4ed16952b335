/**
 * `TextPowerSpectrum`: a power spectrum as text, exactly as numpy's `np.savetxt(path, arr)` writes
 * it with its defaults — every value as C's `%.18e` (19 significant digits, two-digit exponent at
 * least), columns separated by one space, each row ended by `\n`, no header.
 *
 * Reading accepts what `savetxt` (and `np.loadtxt`) accept: whitespace-separated columns,
 * blank lines, and `#` comments (from `#` to the end of the line, as `loadtxt` strips them).
 * Values are decimal numbers or `nan` / `inf` / `infinity` with an optional sign, any case.
 */
import { writeFile } from "node:fs/promises";

import { err, ok } from "../diagnostics/result.js";
import type { Result } from "../diagnostics/result.js";
import { HandlerError } from "./handler.js";
import type { AssetHandler, HandlerOptions } from "./handler.js";
import { describeValue, readHandlerText, reportedPath } from "./plain-text.js";

/** Several spectra side by side (a 2-D `savetxt` array): `columns[j][i]` is row `i`, column `j`. */
export interface SpectrumTable {
  readonly columns: readonly Float64Array[];
}

/**
 * A text power spectrum in memory: one value per line is a `Float64Array`; a file with two or
 * more columns is a {@link SpectrumTable}. Writing a table with one column gives a file that
 * reads back as a `Float64Array`.
 */
export type TextSpectrum = Float64Array | SpectrumTable;

/** Why text is not a readable spectrum; `message` is what the handler reports. */
export interface SpectrumParseFailure {
  readonly reason: "not-a-number" | "ragged-rows";
  readonly line: number;
  readonly message: string;
}

const FLOAT = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const SPECIAL = /^([-+]?)(nan|inf|infinity)$/i;

/** Parses one token as Python's `float()` does for the forms `savetxt` writes; `undefined` if not a number. */
function parseValue(token: string): number | undefined {
  if (FLOAT.test(token)) return Number(token);
  const special = SPECIAL.exec(token);
  if (special === null) return undefined;
  if ((special[2] ?? "").toLowerCase() === "nan") return Number.NaN;
  return special[1] === "-" ? -Infinity : Infinity;
}

/** Parses `savetxt` text into a `Float64Array` (one column) or a table (several columns). Line numbers count from 1. */
export function parseSpectrumText(text: string): Result<TextSpectrum, SpectrumParseFailure> {
  const rows: number[][] = [];
  let width = -1;
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] ?? "";
    const hash = line.indexOf("#");
    const content = (hash >= 0 ? line.slice(0, hash) : line).trim();
    if (content === "") continue;
    const tokens = content.split(/\s+/);
    const row: number[] = [];
    for (const token of tokens) {
      const value = parseValue(token);
      if (value === undefined) {
        return err({ reason: "not-a-number", line: n + 1, message: `line ${n + 1}: "${token}" is not a number` });
      }
      row.push(value);
    }
    if (width === -1) width = row.length;
    else if (row.length !== width) {
      return err({
        reason: "ragged-rows",
        line: n + 1,
        message: `line ${n + 1}: expected ${width} values, found ${row.length}`,
      });
    }
    rows.push(row);
  }
  if (width <= 1) return ok(Float64Array.from(rows, (row) => row[0] ?? 0));
  const columns = Array.from({ length: width }, (_, j) => Float64Array.from(rows, (row) => row[j] ?? 0));
  return ok({ columns });
}

const float64 = new DataView(new ArrayBuffer(8));

/** The exact decimal value of a finite double: `digits × 10^-scale`, digits an integer string. */
function exactDecimal(x: number): { digits: string; scale: number } {
  float64.setFloat64(0, Math.abs(x));
  const hi = float64.getUint32(0);
  const lo = float64.getUint32(4);
  const biased = hi >>> 20;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exponent: number;
  if (biased === 0) exponent = -1074;
  else {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  if (exponent >= 0) return { digits: (mantissa << BigInt(exponent)).toString(), scale: 0 };
  return { digits: (mantissa * 5n ** BigInt(-exponent)).toString(), scale: -exponent };
}

/**
 * Formats `x` as C's `printf("%.18e", x)` does (glibc): correctly rounded to 19 significant
 * digits with ties to even, exponent of at least two digits, `nan`, `inf`, `-inf`, `-0.0…e+00`.
 */
export function formatE18(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  const a = Math.abs(x);
  // toExponential is exact except at a tie, where it rounds half away from zero and C rounds half
  // to even. A tie needs the exact value to have exactly 20 significant digits ending in 5 (e.g.
  // 1 + 2^-19 = 1.0000019073486328125), so only then is the exact expansion (BigInt) consulted.
  let text = a.toExponential(18);
  const twenty = a.toExponential(19);
  if (twenty[20] === "5" && /^0+$/.test(a.toExponential(40).slice(21, 41))) {
    const { digits, scale } = exactDecimal(a);
    const significant = digits.replace(/0+$/, "");
    const last = Number(significant[18]);
    if (significant.length === 20 && significant[19] === "5" && last % 2 === 0) {
      const exponent = digits.length - 1 - scale;
      text = `${significant[0]}.${significant.slice(1, 19)}e${exponent < 0 ? "-" : "+"}${Math.abs(exponent)}`;
    }
  }
  const e = text.indexOf("e");
  const expSign = text[e + 1];
  const expDigits = text.slice(e + 2).padStart(2, "0");
  return `${sign}${text.slice(0, e)}e${expSign}${expDigits}`;
}

/** The `savetxt` text of a spectrum: one value per line, or the table's rows with columns separated by a space. */
export function formatSpectrumText(spectrum: TextSpectrum): string {
  if (spectrum instanceof Float64Array) {
    let out = "";
    for (const x of spectrum) out += formatE18(x) + "\n";
    return out;
  }
  const { columns } = spectrum;
  const n = columns[0]?.length ?? 0;
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(columns.map((column) => formatE18(column[i] ?? Number.NaN)).join(" ") + "\n");
  }
  return parts.join("");
}

/** `TextPowerSpectrum`: `np.savetxt` / `np.loadtxt` text; see {@link TextSpectrum} for the in-memory shape. */
export const TextPowerSpectrum: AssetHandler<TextSpectrum> = {
  name: "TextPowerSpectrum",
  async read(path: string, _options?: HandlerOptions): Promise<TextSpectrum> {
    const parsed = parseSpectrumText(await readHandlerText(path));
    if (!parsed.ok) throw new HandlerError(path, parsed.error.message);
    return parsed.value;
  },
  async write(
    path: string,
    data: TextSpectrum,
    options?: HandlerOptions & { readonly finalPath?: string },
  ): Promise<void> {
    const where = reportedPath(path, options);
    if (!(data instanceof Float64Array)) {
      const columns: unknown = (data as { columns?: unknown } | null)?.columns;
      if (!Array.isArray(columns) || !columns.every((c) => c instanceof Float64Array)) {
        throw new HandlerError(
          where,
          `TextPowerSpectrum expects a Float64Array or {columns: Float64Array[]}, got ${describeValue(data)}`,
        );
      }
      const lengths = new Set(columns.map((c: Float64Array) => c.length));
      if (lengths.size > 1) {
        throw new HandlerError(where, `columns have different lengths: ${columns.map((c: Float64Array) => c.length).join(", ")}`);
      }
    }
    await writeFile(path, formatSpectrumText(data), "utf8");
  },
};
