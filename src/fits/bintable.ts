/**
 * Binary tables (XTENSION = 'BINTABLE', FITS 4.0 §7.3): column layout from TFORMn, and bulk
 * decoding of a column into a typed array.
 *
 * | symbol | meaning                                   |
 * |--------|-------------------------------------------|
 * | rowB   | bytes per row, NAXIS1                     |
 * | nrows  | rows, NAXIS2                              |
 * | r      | repeat count of a column (`1024E` → 1024) |
 * | w      | bytes per element (E 4, D 8, …)           |
 */
import type { ColumnDtype, FitsColumn, NumericArray } from "./column.js";
import { HOST_LITTLE_ENDIAN, swapToHost } from "./byte-order.js";
import { FitsError } from "./errors.js";
import type { FitsHdu } from "./hdu.js";

/** Bytes per element of each binary TFORM letter (X counts bits, handled separately). */
const ELEMENT_BYTES: Readonly<Record<string, number>> = {
  L: 1, X: 1, B: 1, I: 2, J: 4, K: 8, A: 1, E: 4, D: 8, C: 8, M: 16, P: 8, Q: 16,
};

/** Formats {@link readBinaryColumn} decodes. */
const READABLE = new Set(["L", "B", "I", "J", "K", "E", "D"]);

/** Parses a binary TFORM value such as `1024E`, `D`, `16X`: repeat count and type letter. */
export function parseBinaryTform(tform: string): { repeat: number; code: string } | undefined {
  const m = /^\s*(\d*)\s*([LXBIJKAEDCMPQ])/i.exec(tform);
  if (!m) return undefined;
  return { repeat: m[1] ? Number(m[1]) : 1, code: m[2]!.toUpperCase() };
}

/** Reads the column descriptions of a BINTABLE HDU; a FitsError (`bad-header`) when TFORMn are missing or inconsistent with NAXIS1. */
export function parseBinaryColumns(hdu: FitsHdu): FitsColumn[] {
  const h = hdu.header;
  const n = h.getInteger("TFIELDS") ?? 0;
  const cols: FitsColumn[] = [];
  let offset = 0;
  for (let k = 1; k <= n; k++) {
    const format = (h.getString(`TFORM${k}`) ?? "").trim();
    const t = parseBinaryTform(format);
    if (!t) {
      throw new FitsError(hdu.path, "bad-header", `TFORM${k} = '${format}' in HDU ${hdu.index} is not a binary table format`);
    }
    const width = ELEMENT_BYTES[t.code]!;
    const bytes = t.code === "X" ? Math.ceil(t.repeat / 8) : t.repeat * width;
    cols.push({
      index: k - 1,
      name: (h.getString(`TTYPE${k}`) ?? "").trim(),
      format,
      code: t.code,
      repeat: t.repeat,
      width,
      offset,
      decimals: 0,
      unit: h.getString(`TUNIT${k}`)?.trim(),
      scale: h.getNumber(`TSCAL${k}`) ?? 1,
      zero: h.getNumber(`TZERO${k}`) ?? 0,
    });
    offset += bytes;
  }
  const naxis1 = h.getInteger("NAXIS1") ?? 0;
  if (offset !== naxis1) {
    throw new FitsError(
      hdu.path,
      "bad-header",
      `the columns of HDU ${hdu.index} take ${offset} bytes per row but NAXIS1 = ${naxis1}`,
    );
  }
  return cols;
}

/**
 * Gathers a column's bytes (row after row) into a fresh, aligned buffer in host byte order.
 * When `consume` is set and the column fills whole rows, the file's own bytes are swapped
 * in place and returned instead (no copy).
 */
function gather(hdu: FitsHdu, col: FitsColumn, consume: boolean): Uint8Array {
  const rowBytes = hdu.header.getInteger("NAXIS1") ?? 0;
  const nrows = hdu.header.getInteger("NAXIS2") ?? 0;
  const chunk = col.repeat * col.width;
  const total = chunk * nrows;
  const src = hdu.bytes;
  const base = hdu.dataOffset + col.offset;
  const width = col.width as 1 | 2 | 4 | 8;
  if (chunk === rowBytes) {
    const view = src.subarray(base, base + total);
    if (consume && (src.byteOffset + base) % width === 0) {
      swapToHost(view, width);
      // A plain Uint8Array even when the file bytes are a Node Buffer.
      return new Uint8Array(view.buffer, view.byteOffset, view.length);
    }
    const out = new Uint8Array(total);
    out.set(view);
    swapToHost(out, width);
    return out;
  }
  const out = new Uint8Array(total);
  if (chunk >= 64) {
    for (let r = 0, p = base, o = 0; r < nrows; r++, p += rowBytes, o += chunk) out.set(src.subarray(p, p + chunk), o);
  } else {
    // Narrow columns (one value per row): a byte loop beats a native call per row.
    for (let r = 0, p = base, o = 0; r < nrows; r++, p += rowBytes) {
      for (let b = 0; b < chunk; b++) out[o++] = src[p + b]!;
    }
  }
  swapToHost(out, width);
  return out;
}

/** Physical values `zero + scale · raw` as Float64Array. */
function scaled(raw: ArrayLike<number>, scale: number, zero: number): Float64Array {
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = zero + scale * raw[i]!;
  return out;
}

/** 64-bit integers (host order, as raw bytes) to doubles, exact below 2^53; `unsigned` for the TZERO = 2^63 encoding. */
function int64ToFloat64(bytes: Uint8Array, unsigned: boolean): Float64Array {
  const n = bytes.length / 8;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, n * 2);
  const out = new Float64Array(n);
  const lo = HOST_LITTLE_ENDIAN ? 0 : 1;
  const hi = 1 - lo;
  for (let i = 0; i < n; i++) {
    const h = words[2 * i + hi]!;
    // unsigned: stored + 2^63 flips the top bit; signed: reinterpret as two's complement.
    const high = unsigned ? (h ^ 0x80000000) >>> 0 : h | 0;
    out[i] = high * 4294967296 + words[2 * i + lo]!;
  }
  return out;
}

/** Decodes a binary-table column; see {@link ColumnDtype} for the output types. */
export function readBinaryColumn(hdu: FitsHdu, col: FitsColumn, dtype: ColumnDtype, consume: boolean): NumericArray {
  if (!READABLE.has(col.code)) {
    throw new FitsError(
      hdu.path,
      "unsupported-tform",
      `column ${col.index} (${col.name || "unnamed"}) of HDU ${hdu.index} has TFORM '${col.format}', which cmbflow cannot read (supported: L, B, I, J, K, E, D)`,
    );
  }
  const bytes = gather(hdu, col, consume);
  const n = bytes.length / col.width;
  const { scale, zero } = col;
  const plain = scale === 1 && zero === 0;
  let native: NumericArray;
  switch (col.code) {
    case "E":
      native = new Float32Array(bytes.buffer, bytes.byteOffset, n);
      break;
    case "D":
      native = new Float64Array(bytes.buffer, bytes.byteOffset, n);
      break;
    case "I":
      if (scale === 1 && zero === 32768) {
        const u = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
        for (let i = 0; i < n; i++) u[i] = u[i]! ^ 0x8000;
        return toDtype(u, dtype);
      }
      native = new Int16Array(bytes.buffer, bytes.byteOffset, n);
      break;
    case "J":
      if (scale === 1 && zero === 2147483648) {
        const u = new Uint32Array(bytes.buffer, bytes.byteOffset, n);
        for (let i = 0; i < n; i++) u[i] = (u[i]! ^ 0x80000000) >>> 0;
        return toDtype(u, dtype);
      }
      native = new Int32Array(bytes.buffer, bytes.byteOffset, n);
      break;
    case "K": {
      const unsigned = scale === 1 && zero === 9223372036854775808;
      if (dtype !== "native" || (!plain && !unsigned)) {
        const f = int64ToFloat64(bytes, unsigned);
        return toDtype(plain || unsigned ? f : scaled(f, scale, zero), dtype);
      }
      if (unsigned) {
        const words = new Uint32Array(bytes.buffer, bytes.byteOffset, n * 2);
        const hi = HOST_LITTLE_ENDIAN ? 1 : 0;
        for (let i = 0; i < n; i++) words[2 * i + hi] = (words[2 * i + hi]! ^ 0x80000000) >>> 0;
        return new BigUint64Array(bytes.buffer, bytes.byteOffset, n);
      }
      return new BigInt64Array(bytes.buffer, bytes.byteOffset, n);
    }
    case "B":
      if (scale === 1 && zero === -128) {
        for (let i = 0; i < n; i++) bytes[i] = bytes[i]! ^ 0x80;
        return toDtype(new Int8Array(bytes.buffer, bytes.byteOffset, n), dtype);
      }
      native = bytes;
      break;
    case "L":
      for (let i = 0; i < n; i++) bytes[i] = bytes[i] === 0x54 ? 1 : 0; // 'T'
      return toDtype(bytes, dtype);
    default:
      throw new Error(`Internal error: unhandled binary TFORM code ${col.code}`);
  }
  return toDtype(plain ? native : scaled(native, scale, zero), dtype);
}

/** Converts a number-valued array to the requested float type (returns it unchanged for `native` or when already of that type). */
export function toDtype(a: Exclude<NumericArray, BigInt64Array | BigUint64Array>, dtype: ColumnDtype): NumericArray {
  if (dtype === "float64") {
    if (a instanceof Float64Array) return a;
    const out = new Float64Array(a.length);
    out.set(a);
    return out;
  }
  if (dtype === "float32") {
    if (a instanceof Float32Array) return a;
    const out = new Float32Array(a.length);
    out.set(a);
    return out;
  }
  return a;
}
