/**
 * Writing a FITS file made of an empty primary HDU and one binary table, laid out as astropy
 * writes it (the layout healpy's write_map and write_cl produce): primary header, then the
 * table header (structural cards with astropy's comments, TTYPEn / TFORMn / [TUNITn] per
 * column, then the caller's cards), then the rows, zero-padded to a whole block.
 *
 * The rows can be produced whole ({@link encodeBinaryTableFile}) or in slices of rows into one
 * reused buffer ({@link BinaryTableFile.chunks}), so that writing a 48 MiB map to disk needs
 * no 48 MiB copy: each slice is gathered, byte-swapped to big-endian and written in turn.
 */
import { Buffer } from "node:buffer";
import type { FitsValueInput } from "./card.js";
import { HOST_LITTLE_ENDIAN, swapToBigEndian } from "./byte-order.js";
import { HeaderBuilder, padToBlock } from "./header.js";

/** Binary-table element types the writers produce. */
export type WritableCode = "E" | "D" | "I" | "J" | "K" | "B";

/** Host-order typed array matching each {@link WritableCode}. */
export type CodeArray = Float32Array | Float64Array | Int16Array | Int32Array | BigInt64Array | Uint8Array;

/** Bytes per element of each writable code. */
export const CODE_BYTES: Readonly<Record<WritableCode, 1 | 2 | 4 | 8>> = { E: 4, D: 8, I: 2, J: 4, K: 8, B: 1 };

/** One column to write: its data (already of the type `code` names) and its header cards. */
export interface ColumnToWrite {
  /** TTYPEn. */
  readonly name: string;
  /** Element type (TFORMn letter). */
  readonly code: WritableCode;
  /** TUNITn; no card when undefined. */
  readonly unit?: string | undefined;
  /** The values in host byte order, `repeat · nrows` of them. */
  readonly data: CodeArray;
}

/** A card written after the column cards: key, value, optional comment. */
export type CardToWrite = readonly [key: string, value: FitsValueInput, comment?: string];

/** A laid-out file: its headers, its size, and a way to produce its bytes in order. */
export interface BinaryTableFile {
  /** Size of the whole file in bytes (a multiple of 2880). */
  readonly totalBytes: number;
  /** The whole file in one new buffer. */
  encode(): Buffer;
  /**
   * The file's bytes in order, as a sequence of chunks of at most about `maxBytes` (headers
   * first). Data chunks share one buffer: each is valid only until the next is requested.
   */
  chunks(maxBytes?: number): Iterable<Uint8Array>;
}

function primaryHeader(path: string): Uint8Array {
  return new HeaderBuilder(path)
    .set("SIMPLE", true, "conforms to FITS standard")
    .set("BITPIX", 8, "array data type")
    .set("NAXIS", 0, "number of array dimensions")
    .set("EXTEND", true)
    .encode();
}

function bytesOf(a: CodeArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Default data chunk size for {@link BinaryTableFile.chunks}: large enough for few system calls, small enough to stay in cache. */
const CHUNK_BYTES = 1 << 20;

/**
 * Scratch buffers for {@link BinaryTableFile.chunks}, reused from one file to the next: a fresh
 * 1 MiB buffer per file written cost its allocation and first-touch page faults (about 2.5 ms
 * here, as much as the byte swapping). Files written at the same time (their chunks interleave
 * across awaits) each take their own; a buffer goes back when its file's data is done.
 */
const freeScratch: Uint8Array[] = [];

function takeScratch(bytes: number): Uint8Array {
  const i = freeScratch.findIndex((b) => b.length >= bytes);
  return i >= 0 ? (freeScratch.splice(i, 1)[0] ?? new Uint8Array(bytes)) : new Uint8Array(bytes);
}

function giveBack(buffer: Uint8Array): void {
  // A few are kept (one per file being written at once is the usual most).
  if (freeScratch.length < 4 && buffer.length <= 4 * CHUNK_BYTES) freeScratch.push(buffer);
}

/**
 * Lays out primary HDU + binary table. Every column holds `repeat · nrows` values, written as
 * TFORM `<repeat><code>` (plain `<code>` when repeat is 1). `cards` follow the column cards,
 * applied with astropy's update rules (an existing keyword is replaced in place).
 */
export function layoutBinaryTableFile(
  path: string,
  columns: readonly ColumnToWrite[],
  repeat: number,
  cards: readonly CardToWrite[],
): BinaryTableFile {
  const nvalues = columns[0]?.data.length ?? 0;
  const nrows = repeat > 0 ? nvalues / repeat : 0;
  const widths = columns.map((c) => CODE_BYTES[c.code]);
  const chunks = widths.map((w) => repeat * w);
  const rowBytes = chunks.reduce((a, b) => a + b, 0);
  const sameWidth = widths.every((w) => w === widths[0]);
  const sources = columns.map((c) => bytesOf(c.data));

  const h = new HeaderBuilder(path)
    .set("XTENSION", "BINTABLE", "binary table extension")
    .set("BITPIX", 8, "array data type")
    .set("NAXIS", 2, "number of array dimensions")
    .set("NAXIS1", rowBytes, "length of dimension 1")
    .set("NAXIS2", nrows, "length of dimension 2")
    .set("PCOUNT", 0, "number of group parameters")
    .set("GCOUNT", 1, "number of groups")
    .set("TFIELDS", columns.length, "number of table fields");
  columns.forEach((c, k) => {
    h.set(`TTYPE${k + 1}`, c.name);
    h.set(`TFORM${k + 1}`, repeat === 1 ? c.code : `${repeat}${c.code}`);
    if (c.unit !== undefined) h.set(`TUNIT${k + 1}`, c.unit);
  });
  for (const [key, value, comment] of cards) h.set(key, value, comment);
  const headers = [primaryHeader(path), h.encode()];
  const headerBytes = headers[0]!.length + headers[1]!.length;
  const dataBytes = rowBytes * nrows;

  /** Writes rows [first, first + count) big-endian into target[0 … count·rowBytes). */
  const fillRows = (target: Uint8Array, first: number, count: number): void => {
    let offset = 0;
    columns.forEach((_, k) => {
      const chunk = chunks[k]!;
      const w = widths[k]!;
      const src = sources[k]!;
      let s = first * chunk;
      if (columns.length === 1) {
        target.set(src.subarray(s, s + count * chunk)); // rows are contiguous
      } else if (chunk >= 64) {
        for (let r = 0, o = offset; r < count; r++, s += chunk, o += rowBytes) {
          target.set(src.subarray(s, s + chunk), o);
          if (!sameWidth) swapToBigEndian(target.subarray(o, o + chunk), w);
        }
      } else if (sameWidth || !HOST_LITTLE_ENDIAN) {
        for (let r = 0, o = offset; r < count; r++, o += rowBytes) {
          for (let b = 0; b < chunk; b++) target[o + b] = src[s++]!;
        }
      } else {
        // Mixed widths, narrow columns: copy each element with its bytes reversed.
        for (let r = 0, o = offset; r < count; r++, o += rowBytes, s += chunk) {
          for (let b = 0; b < chunk; b++) target[o + b] = src[s + b - (b % w) + (w - 1 - (b % w))]!;
        }
      }
      offset += chunk;
    });
    // With one element width throughout, every element sits at a multiple of that width from the row start.
    if (sameWidth) swapToBigEndian(target.subarray(0, count * rowBytes), widths[0] ?? 1);
  };

  const totalBytes = headerBytes + padToBlock(dataBytes);
  return {
    totalBytes,
    encode(): Buffer {
      const out = Buffer.alloc(totalBytes);
      out.set(headers[0]!, 0);
      out.set(headers[1]!, headers[0]!.length);
      fillRows(out.subarray(headerBytes, headerBytes + dataBytes), 0, nrows);
      return out;
    },
    *chunks(maxBytes = CHUNK_BYTES): Iterable<Uint8Array> {
      yield* headers;
      const rowsPer = Math.max(1, Math.floor(maxBytes / Math.max(rowBytes, 1)));
      const scratch = takeScratch(Math.min(rowsPer, nrows) * rowBytes);
      try {
        for (let r = 0; r < nrows; r += rowsPer) {
          const count = Math.min(rowsPer, nrows - r);
          const view = scratch.subarray(0, count * rowBytes);
          fillRows(view, r, count);
          yield view;
        }
      } finally {
        giveBack(scratch);
      }
      const pad = padToBlock(dataBytes) - dataBytes;
      if (pad > 0) yield new Uint8Array(pad);
    },
  };
}

/** The whole file of {@link layoutBinaryTableFile} in one buffer. */
export function encodeBinaryTableFile(
  path: string,
  columns: readonly ColumnToWrite[],
  repeat: number,
  cards: readonly CardToWrite[],
): Buffer {
  return layoutBinaryTableFile(path, columns, repeat, cards).encode();
}
