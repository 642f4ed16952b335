/**
 * A FITS header: the cards of one HDU, read from 2880-byte blocks up to `END`, with typed
 * look-ups; and a builder that lays out a header for writing with astropy's update rules.
 */
import { CARD_BYTES, formatCardFor, isCommentaryKeyword, parseCard, parseValueField } from "./card.js";
import type { FitsCard, FitsValue, FitsValueInput } from "./card.js";
import { FitsError } from "./errors.js";

/** FITS logical record length in bytes; headers and data are padded to a multiple of it. */
export const BLOCK_BYTES = 2880;

/** Rounds a byte count up to a whole number of 2880-byte blocks. */
export function padToBlock(n: number): number {
  return Math.ceil(n / BLOCK_BYTES) * BLOCK_BYTES;
}

/** The cards of one HDU's header, in file order, with look-ups by keyword (first occurrence wins). */
export class FitsHeader {
  readonly #cards: readonly FitsCard[];
  readonly #index = new Map<string, FitsCard>();

  /** Wraps `cards` (not copied; treat as immutable). */
  constructor(cards: readonly FitsCard[]) {
    this.#cards = cards;
    for (const c of cards) {
      if (c.value !== undefined && !this.#index.has(c.key)) this.#index.set(c.key, c);
    }
  }

  /** Every card in file order, commentary cards included. */
  get cards(): readonly FitsCard[] {
    return this.#cards;
  }

  /** Keywords that carry a value, in file order, without duplicates. */
  keys(): string[] {
    return [...this.#index.keys()];
  }

  /** True when a valued card with keyword `key` (case-insensitive) exists. */
  has(key: string): boolean {
    return this.#index.has(key.toUpperCase());
  }

  /** The value of `key` (case-insensitive), or `undefined` when absent. */
  get(key: string): FitsValue | undefined {
    return this.#index.get(key.toUpperCase())?.value;
  }

  /** The comment of `key`, or `undefined` when absent. */
  comment(key: string): string | undefined {
    return this.#index.get(key.toUpperCase())?.comment;
  }

  /** The string value of `key`, or `undefined` when absent or not a string. */
  getString(key: string): string | undefined {
    const v = this.get(key);
    return typeof v === "string" ? v : undefined;
  }

  /** The numeric value of `key` (integers beyond 2^53 converted to the nearest double), or `undefined` when absent or not a number. */
  getNumber(key: string): number | undefined {
    const v = this.get(key);
    if (typeof v === "number") return v;
    if (typeof v === "bigint") return Number(v);
    return undefined;
  }

  /** The value of `key` when it is an integer, else `undefined`. */
  getInteger(key: string): number | undefined {
    const v = this.getNumber(key);
    return v !== undefined && Number.isInteger(v) ? v : undefined;
  }

  /** The logical value of `key`, or `undefined` when absent or not T/F. */
  getBoolean(key: string): boolean | undefined {
    const v = this.get(key);
    return typeof v === "boolean" ? v : undefined;
  }

  /** Plain-text listing, one `KEY = value / comment` line per card (for display, not a FITS image). */
  toString(): string {
    return this.#cards
      .map((c) => {
        if (c.value === undefined) return `${c.key.padEnd(8)}${c.comment}`;
        const v = typeof c.value === "string" ? `'${c.value}'` : c.value === null ? "" : String(c.value);
        return `${c.key.padEnd(8)}= ${v}${c.comment ? ` / ${c.comment}` : ""}`;
      })
      .join("\n");
  }
}

/** Latin-1 decode of `n` bytes at `offset` (FITS headers are ASCII). */
function ascii(bytes: Uint8Array, offset: number, n: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + n));
}

/**
 * Parses the header that starts at byte `offset` of `bytes`: cards up to `END`, CONTINUE cards merged.
 * Returns the header and the offset of the first byte after its padding (where the data starts).
 * Throws a FitsError (`truncated`) when the file ends before `END`.
 */
export function parseHeaderAt(
  bytes: Uint8Array,
  offset: number,
  path: string,
  hduIndex: number,
): { header: FitsHeader; dataOffset: number } {
  const cards: FitsCard[] = [];
  let pos = offset;
  let open: { key: string; text: string; comment: string } | undefined;
  const close = (): void => {
    if (!open) return;
    cards.push({ key: open.key, value: open.text, comment: open.comment });
    open = undefined;
  };
  for (;;) {
    if (pos + CARD_BYTES > bytes.length) {
      throw new FitsError(
        path,
        "truncated",
        `truncated file: the header of HDU ${hduIndex} has no END card before the end of the file (${bytes.length} bytes)`,
      );
    }
    const image = ascii(bytes, pos, CARD_BYTES);
    pos += CARD_BYTES;
    if (image.startsWith("END") && image.slice(3).trim() === "") break;
    if (open && image.startsWith("CONTINUE")) {
      const f = parseValueField(image.slice(8));
      open.text += typeof f.value === "string" ? f.value : "";
      if (f.comment) open.comment = open.comment ? `${open.comment} ${f.comment}` : f.comment;
      if (!f.continued) close();
      continue;
    }
    close();
    const { card, continued } = parseCard(image);
    if (continued && typeof card.value === "string") {
      open = { key: card.key, text: card.value, comment: card.comment };
      continue;
    }
    cards.push(card);
  }
  close();
  return { header: new FitsHeader(cards), dataOffset: offset + padToBlock(pos - offset) };
}

/** One entry of a header being built: what {@link HeaderBuilder.set} was given. */
interface BuilderEntry {
  key: string;
  value: FitsValueInput | undefined;
  comment: string;
}

/**
 * Builds a header in the order astropy produces it:
 * `set` of an existing keyword replaces its value in place (and its comment when one is given);
 * a new valued keyword goes after the last valued card, before any trailing COMMENT/HISTORY cards;
 * commentary cards always go at the end.
 */
export class HeaderBuilder {
  readonly #entries: BuilderEntry[] = [];
  readonly #path: string;

  /** `path` names the file in error messages. */
  constructor(path: string) {
    this.#path = path;
  }

  /** Sets `key` to `value` (see the class comment for placement); COMMENT/HISTORY/"" append a text card. */
  set(key: string, value: FitsValueInput, comment?: string): this {
    const kw = key.toUpperCase();
    if (isCommentaryKeyword(kw)) {
      this.#entries.push({ key: kw, value: typeof value === "object" ? String(value.real) : typeof value === "string" ? value : String(value), comment: "" });
      return this;
    }
    const existing = this.#entries.find((e) => e.key === kw);
    if (existing) {
      existing.value = value;
      if (comment !== undefined) existing.comment = comment;
      return this;
    }
    let at = this.#entries.length;
    while (at > 0 && isCommentaryKeyword(this.#entries[at - 1]!.key)) at--;
    this.#entries.splice(at, 0, { key: kw, value, comment: comment ?? "" });
    return this;
  }

  /** The header as bytes: card images, `END`, padded with spaces to a multiple of 2880 bytes. */
  encode(): Uint8Array {
    const lines: string[] = [];
    for (const e of this.#entries) lines.push(...formatCardFor(this.#path, e.key, e.value, e.comment));
    lines.push("END".padEnd(CARD_BYTES));
    const text = lines.join("");
    const out = new Uint8Array(padToBlock(text.length)).fill(0x20);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }
}
