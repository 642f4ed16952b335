/**
 * One FITS header card: the 80-character record `KEYWORD = value / comment` (FITS 4.0 §4),
 * parsed from bytes and formatted the way astropy (and so healpy) lays it out:
 *
 * - keyword in columns 1–8, `= ` in 9–10;
 * - logical, integer and real values right-aligned to column 30;
 * - strings quoted, `'` doubled, padded with spaces to at least 8 characters and the whole
 *   quoted value left-aligned in a 20-character field, so comments start at column 32;
 * - reals as C's `%.16G` with `.0` added when neither a point nor an exponent appears,
 *   shortened to 20 characters by dropping mantissa digits before the exponent;
 * - strings longer than 68 characters continued on `CONTINUE` cards (long-string convention),
 *   wrapped at spaces into pieces of at most 67 characters, each but the last ending in `&`;
 *   a comment then goes on a final `CONTINUE  ''` card;
 * - COMMENT, HISTORY and blank-keyword text split into 72-character pieces;
 * - keywords longer than 8 characters written with the HIERARCH convention.
 */
import { FitsError } from "./errors.js";

/** Card width in bytes. */
export const CARD_BYTES = 80;

/** A parsed header value: strings (trailing spaces removed), numbers, logicals, big integers, or `null` for an undefined value. */
export type FitsValue = string | number | bigint | boolean | null;

/**
 * A value to write. Plain numbers that are integers are written as FITS integers (`1`);
 * wrap a number as `{ real: 1 }` to write it as a real (`1.0`), as Python writes a float.
 */
export type FitsValueInput = string | number | bigint | boolean | FitsReal;

/** A number to be written as a FITS real even when it is integral. */
export interface FitsReal {
  readonly real: number;
}

/** Keywords whose cards hold free text instead of a value. */
export type CommentaryKeyword = "COMMENT" | "HISTORY" | "";

/** One logical header entry (CONTINUE cards already merged into the string they continue). */
export interface FitsCard {
  /** Upper-case keyword ("" for a blank keyword; the name after `HIERARCH ` for HIERARCH cards). */
  readonly key: string;
  /** Parsed value; `undefined` for commentary cards (COMMENT, HISTORY, blank keyword) and other cards without `= `. */
  readonly value: FitsValue | undefined;
  /** Comment after `/`, or the text of a commentary card; "" when absent. */
  readonly comment: string;
}

/** True for keywords whose cards carry text rather than a value. */
export function isCommentaryKeyword(key: string): key is CommentaryKeyword {
  return key === "COMMENT" || key === "HISTORY" || key === "";
}

/** Parses one 80-character card image. `continued` is true when a string value ends with `&` (long-string convention). */
export function parseCard(image: string): { card: FitsCard; continued: boolean } {
  let key = image.slice(0, 8).trimEnd();
  let rest: string;
  if (key === "HIERARCH") {
    const eq = image.indexOf("=", 9);
    if (eq < 0) return { card: { key, value: undefined, comment: image.slice(8).trim() }, continued: false };
    key = image.slice(9, eq).trim().toUpperCase();
    rest = image.slice(eq + 1);
  } else if (image.slice(8, 10) === "= ") {
    rest = image.slice(10);
  } else {
    return { card: { key, value: undefined, comment: image.slice(8).trimEnd() }, continued: false };
  }
  const parsed = parseValueField(rest);
  return { card: { key, value: parsed.value, comment: parsed.comment }, continued: parsed.continued };
}

/**
 * Parses the value-and-comment field of a card (after `= `, or after `CONTINUE  `).
 * Unparseable values (e.g. complex numbers) are kept as their trimmed text.
 */
export function parseValueField(field: string): { value: FitsValue; comment: string; continued: boolean } {
  let i = 0;
  while (i < field.length && field[i] === " ") i++;
  if (field[i] === "'") {
    let s = "";
    let j = i + 1;
    for (; j < field.length; j++) {
      const c = field[j];
      if (c === "'") {
        if (field[j + 1] === "'") {
          s += "'";
          j++;
        } else break;
      } else s += c;
    }
    const after = field.slice(j + 1);
    const slash = after.indexOf("/");
    const comment = slash < 0 ? "" : after.slice(slash + 1).trim();
    const trimmed = s.trimEnd();
    const continued = trimmed.endsWith("&");
    return { value: continued ? trimmed.slice(0, -1) : trimmed, comment, continued };
  }
  const slash = field.indexOf("/", i);
  const text = (slash < 0 ? field.slice(i) : field.slice(i, slash)).trim();
  const comment = slash < 0 ? "" : field.slice(slash + 1).trim();
  return { value: parseScalar(text), comment, continued: false };
}

function parseScalar(text: string): FitsValue {
  if (text === "") return null;
  if (text === "T") return true;
  if (text === "F") return false;
  if (/^[+-]?\d+$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }
  const n = Number(text.replace(/[dD]/, "E"));
  return Number.isNaN(n) ? text : n;
}

/** Formats a real number as astropy does: `%.16G`, `.0` appended to bare integers, at most 20 characters. */
export function formatReal(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`FITS header values must be finite, got ${String(x)}`);
  let s: string;
  if (x === 0) {
    s = Object.is(x, -0) ? "-0" : "0";
  } else {
    const [mant, expText] = x.toExponential(15).split("e") as [string, string];
    const exp = Number(expText);
    if (exp >= -4 && exp < 16) {
      s = x.toFixed(15 - exp);
      if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
    } else {
      const m = mant.includes(".") ? mant.replace(/0+$/, "").replace(/\.$/, "") : mant;
      const e = Math.abs(exp);
      s = `${m}E${exp < 0 ? "-" : "+"}${e < 10 ? "0" : ""}${String(e)}`;
    }
  }
  if (!s.includes(".") && !s.includes("E")) s += ".0";
  if (s.length > 20) {
    const e = s.indexOf("E");
    s = e < 0 ? s.slice(0, 20) : s.slice(0, 20 - (s.length - e)) + s.slice(e);
  }
  return s;
}

/** The text of a non-string value as it appears in a card (not yet aligned). */
function formatScalar(value: Exclude<FitsValueInput, string>): string {
  if (typeof value === "boolean") return value ? "T" : "F";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : formatReal(value);
  return formatReal(value.real);
}

function quote(s: string): string {
  return s.replace(/'/g, "''");
}

function pad80(s: string): string {
  return s.length >= CARD_BYTES ? s.slice(0, CARD_BYTES) : s + " ".repeat(CARD_BYTES - s.length);
}

/**
 * Splits `text` into lines of at most `width` characters, breaking after runs of spaces where
 * possible and cutting words longer than a line, keeping the spaces (Python's textwrap with
 * `drop_whitespace=False`, minus its hyphen rule).
 */
function wrap(text: string, width: number): string[] {
  const chunks = text.match(/ +|[^ ]+/g) ?? [];
  const lines: string[] = [];
  let line = "";
  for (let k = 0; k < chunks.length; k++) {
    let chunk = chunks[k]!;
    if (line.length + chunk.length <= width) {
      line += chunk;
      continue;
    }
    if (chunk.length > width) {
      const room = width - line.length;
      line += chunk.slice(0, room);
      chunk = chunk.slice(room);
      lines.push(line);
      line = "";
      while (chunk.length > width) {
        lines.push(chunk.slice(0, width));
        chunk = chunk.slice(width);
      }
      line = chunk;
      continue;
    }
    lines.push(line);
    line = chunk;
  }
  if (line !== "" || lines.length === 0) lines.push(line);
  return lines;
}

/**
 * Formats one header entry as one or more 80-character card images.
 * Throws a RangeError for non-finite numbers and keywords or text that are not printable ASCII.
 */
export function formatCard(key: string, value: FitsValueInput | undefined, comment = ""): string[] {
  const kw = key.toUpperCase();
  if (!/^[\x20-\x7e]*$/.test(kw + comment + (typeof value === "string" ? value : ""))) {
    throw new RangeError(`FITS header text must be printable ASCII (keyword ${key})`);
  }
  if (isCommentaryKeyword(kw) || value === undefined) {
    const text = isCommentaryKeyword(kw) && typeof value === "string" ? value : comment;
    const pieces: string[] = [];
    for (let i = 0; i < text.length; i += 72) pieces.push(text.slice(i, i + 72));
    if (pieces.length === 0) pieces.push("");
    return pieces.map((p) => pad80(kw.padEnd(8) + p));
  }
  if (kw.length > 8 || /[^A-Z0-9_-]/.test(kw)) {
    const v = typeof value === "string" ? `'${quote(value)}'` : formatScalar(value);
    return [pad80(`HIERARCH ${kw} = ${v}${comment ? ` / ${comment}` : ""}`)];
  }
  const head = kw.padEnd(8) + "= ";
  if (typeof value !== "string") {
    const v = formatScalar(value).padStart(20);
    return [pad80(head + v + (comment ? ` / ${comment}` : ""))];
  }
  const escaped = quote(value);
  if (escaped.length <= 68) {
    const v = (escaped === "" ? "''" : `'${escaped.padEnd(8)}'`).padEnd(20);
    return [pad80(head + v + (comment ? ` / ${comment}` : ""))];
  }
  const pieces = wrap(escaped, 67);
  const cards = pieces.map((p, k) => {
    const amp = k < pieces.length - 1 || comment ? "&" : "";
    return pad80((k === 0 ? head : "CONTINUE  ") + `'${p}${amp}'`);
  });
  if (comment) cards.push(pad80(`CONTINUE  '' / ${comment}`));
  return cards;
}

/** Converts a RangeError from {@link formatCard} into a FitsError naming `path`. */
export function formatCardFor(path: string, key: string, value: FitsValueInput | undefined, comment?: string): string[] {
  try {
    return formatCard(key, value, comment);
  } catch (e) {
    if (e instanceof RangeError) throw new FitsError(path, "bad-input", e.message);
    throw e;
  }
}
