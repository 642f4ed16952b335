/**
 * The `.npy` codec shared by `NumpyPowerSpectrum` and `NumpyMap`, written from the format
 * description in numpy's NEP 1 ("A simple file format for NumPy arrays"):
 *
 * | bytes       | content                                                              |
 * |-------------|----------------------------------------------------------------------|
 * | 0–5         | magic `\x93NUMPY`                                                      |
 * | 6, 7        | format version, major then minor (we write 1.0; read 1.x, 2.x, 3.x)   |
 * | 8–9 (1.x)   | header length `HEADER_LEN`, little-endian uint16 (uint32 at 8–11 in 2.x/3.x) |
 * | next        | header: a Python dict literal `{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }`, |
 * |             | padded with spaces and ended by `\n`; latin-1 (UTF-8 in 3.x)           |
 * | rest        | the elements, `prod(shape)` of them, in C order unless `fortran_order` |
 *
 * Writing matches `np.save` of numpy 1.24 byte for byte (checked against goldens made by
 * `scripts/goldens/npy.py`): the preamble (magic + version + length + header) is padded to a
 * multiple of 64 bytes, and numpy reserves room for the first axis to grow to 21 digits
 * before padding (so a header that would just fit is pushed to the next 64 bytes); we do the
 * same so the bytes agree.
 */
import { writeFile } from "node:fs/promises";
import { endianness } from "node:os";

import { err, ok } from "../diagnostics/result.js";
import type { Result } from "../diagnostics/result.js";
import { HandlerError } from "./handler.js";
import type { AssetHandler, HandlerOptions } from "./handler.js";
import { describeValue, readHandlerFile, reportedPath } from "./plain-text.js";

/** Element arrays a `.npy` file holds in memory: `'<f4'` ↔ `Float32Array`, `'<f8'` ↔ `Float64Array`. */
export type NpyData = Float32Array | Float64Array;

/** An n-dimensional array: elements in C (row-major) order and the shape (`[]` for a scalar). */
export interface NpyArray {
  readonly data: NpyData;
  readonly shape: readonly number[];
}

/** Why a buffer is not a `.npy` file we can read; `message` is the text a handler reports. */
export interface NpyDecodeFailure {
  readonly reason:
    | "bad-magic"
    | "unsupported-version"
    | "truncated-header"
    | "bad-header"
    | "unsupported-dtype"
    | "data-size-mismatch";
  readonly message: string;
}

/** Why an array cannot be encoded; `message` is the text a handler reports. */
export interface NpyEncodeFailure {
  readonly reason: "bad-shape" | "shape-mismatch" | "unsupported-data";
  readonly message: string;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] as const; // \x93NUMPY
/** numpy aligns the data start to this many bytes. */
const ALIGNMENT = 64;
/** numpy pads the header as if the growth axis had this many digits (room for appending). */
const GROWTH_AXIS_MAX_DIGITS = 21;
/** numpy's limit on the number of dimensions. */
const MAX_DIMS = 32;

const littleEndianHost = endianness() === "LE";

/** Supported element types: byte order, kind and size. */
interface Dtype {
  readonly littleEndian: boolean;
  readonly kind: "f" | "i";
  readonly size: 4 | 8;
}

const DTYPES: ReadonlyMap<string, Dtype> = new Map<string, Dtype>([
  ["<f4", { littleEndian: true, kind: "f", size: 4 }],
  ["<f8", { littleEndian: true, kind: "f", size: 8 }],
  [">f4", { littleEndian: false, kind: "f", size: 4 }],
  [">f8", { littleEndian: false, kind: "f", size: 8 }],
  ["<i4", { littleEndian: true, kind: "i", size: 4 }],
  ["<i8", { littleEndian: true, kind: "i", size: 8 }],
  [">i4", { littleEndian: false, kind: "i", size: 4 }],
  [">i8", { littleEndian: false, kind: "i", size: 8 }],
]);

/** A shape as numpy prints it in the header: `()`, `(3,)`, `(2, 3)`. */
export function formatNpyShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/**
 * Encodes `array` as `.npy` format 1.0 with descr `'<f4'` (Float32Array) or `'<f8'`
 * (Float64Array), C order, byte-identical to `np.save` of the same array.
 */
export function encodeNpy(array: NpyArray): Result<Buffer, NpyEncodeFailure> {
  const { data, shape } = array;
  if (!(data instanceof Float32Array || data instanceof Float64Array)) {
    return err({ reason: "unsupported-data", message: "data must be a Float32Array or a Float64Array" });
  }
  if (shape.length > MAX_DIMS || !shape.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    return err({
      reason: "bad-shape",
      message: `shape [${shape.join(", ")}] must be at most ${MAX_DIMS} non-negative integers`,
    });
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    return err({
      reason: "shape-mismatch",
      message: `shape ${formatNpyShape(shape)} has ${count} elements but data has ${data.length}`,
    });
  }
  const descr = data instanceof Float32Array ? "<f4" : "<f8";
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${formatNpyShape(shape)}, }`;
  const growth = shape.length > 0 ? GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length : 0;
  const needed = MAGIC.length + 2 + 2 + dict.length + 1 + growth;
  const total = Math.ceil(needed / ALIGNMENT) * ALIGNMENT;
  const headerLength = total - MAGIC.length - 2 - 2;

  const out = Buffer.alloc(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(headerLength, 8);
  out.write(dict.padEnd(headerLength - 1, " ") + "\n", 10, "latin1");
  if (littleEndianHost) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  } else {
    const view = new DataView(out.buffer, out.byteOffset + total, data.byteLength);
    for (let i = 0; i < data.length; i++) {
      if (data instanceof Float32Array) view.setFloat32(4 * i, data[i] ?? 0, true);
      else view.setFloat64(8 * i, data[i] ?? 0, true);
    }
  }
  return ok(out);
}

/**
 * Decodes a `.npy` file (versions 1.x, 2.x, 3.x). Floats keep their width (`f4` → Float32Array,
 * `f8` → Float64Array, either byte order); integers `i4`/`i8` become a Float64Array (`i8` values
 * beyond ±2^53 are rounded to the nearest double). Fortran-ordered arrays are reordered to C order.
 */
export function decodeNpy(bytes: Uint8Array): Result<NpyArray, NpyDecodeFailure> {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    return err({ reason: "bad-magic", message: "bad .npy magic (expected \\x93NUMPY)" });
  }
  const major = bytes[6] ?? 0;
  const minor = bytes[7] ?? 0;
  if (major < 1 || major > 3) {
    return err({ reason: "unsupported-version", message: `unsupported .npy version ${major}.${minor}` });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  const headerStart = 8 + lengthBytes;
  if (bytes.length < headerStart) {
    return err({ reason: "truncated-header", message: "truncated .npy header" });
  }
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = headerStart + headerLength;
  if (bytes.length < dataStart) {
    return err({ reason: "truncated-header", message: "truncated .npy header" });
  }
  const headerText = Buffer.from(bytes.buffer, bytes.byteOffset + headerStart, headerLength).toString(
    major === 3 ? "utf8" : "latin1",
  );
  const header = parseHeader(headerText);
  if (!header.ok) {
    return err({ reason: "bad-header", message: `bad .npy header: ${header.error}` });
  }
  const { descr, fortranOrder, shape } = header.value;
  const dtype = DTYPES.get(descr);
  if (dtype === undefined) {
    return err({
      reason: "unsupported-dtype",
      message: `unsupported .npy dtype '${descr}' (supported: ${[...DTYPES.keys()].join(", ")})`,
    });
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const found = bytes.length - dataStart;
  if (found !== count * dtype.size) {
    return err({
      reason: "data-size-mismatch",
      message:
        `.npy data size mismatch: shape ${formatNpyShape(shape)} of '${descr}' needs ` +
        `${count * dtype.size} bytes, found ${found}`,
    });
  }
  const raw = bytes.subarray(dataStart);
  let data = decodeElements(raw, dtype, count);
  if (fortranOrder) data = fortranToC(data, shape);
  return ok({ data, shape });
}

function decodeElements(raw: Uint8Array, dtype: Dtype, count: number): NpyData {
  if (dtype.kind === "f" && dtype.littleEndian === littleEndianHost) {
    // Copy into a fresh, aligned ArrayBuffer: the file's bytes may sit at any offset (and a
    // Buffer's slice() would not copy).
    const copy = new Uint8Array(raw).buffer;
    return dtype.size === 4 ? new Float32Array(copy) : new Float64Array(copy);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const le = dtype.littleEndian;
  if (dtype.kind === "f" && dtype.size === 4) {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, le);
    return out;
  }
  const out = new Float64Array(count);
  if (dtype.kind === "f") {
    for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, le);
  } else if (dtype.size === 4) {
    for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, le);
  } else {
    for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(8 * i, le));
  }
  return out;
}

/** Reorders column-major elements to row-major for the same shape. */
function fortranToC(data: NpyData, shape: readonly number[]): NpyData {
  const nontrivial = shape.filter((n) => n > 1).length;
  if (nontrivial <= 1) return data;
  const out = data instanceof Float32Array ? new Float32Array(data.length) : new Float64Array(data.length);
  const ndim = shape.length;
  // Fortran strides: axis 0 varies fastest.
  const stride: number[] = [];
  let s = 1;
  for (let k = 0; k < ndim; k++) {
    stride.push(s);
    s *= shape[k] ?? 1;
  }
  const index = new Array<number>(ndim).fill(0);
  let f = 0;
  for (let c = 0; c < out.length; c++) {
    out[c] = data[f] ?? 0;
    // Advance the C-order odometer (last axis fastest), keeping the Fortran offset in step.
    for (let k = ndim - 1; k >= 0; k--) {
      const i = (index[k] ?? 0) + 1;
      if (i < (shape[k] ?? 1)) {
        index[k] = i;
        f += stride[k] ?? 0;
        break;
      }
      index[k] = 0;
      f -= (i - 1) * (stride[k] ?? 0);
    }
  }
  return out;
}

interface NpyHeader {
  readonly descr: string;
  readonly fortranOrder: boolean;
  readonly shape: number[];
}

/** A Python literal as it appears in a `.npy` header. Tuples and lists are both arrays. */
type PyValue = string | number | boolean | null | PyValue[] | Map<string, PyValue>;

function parseHeader(text: string): Result<NpyHeader, string> {
  let value: PyValue;
  try {
    const parser = new PyLiteralParser(text);
    value = parser.parseValue();
    parser.expectEnd();
  } catch (error) {
    if (error instanceof PyLiteralError) return err(error.message);
    throw error;
  }
  if (!(value instanceof Map)) return err("not a dict literal");
  const descr = value.get("descr");
  const fortranOrder = value.get("fortran_order");
  const shape = value.get("shape");
  for (const key of ["descr", "fortran_order", "shape"]) {
    if (!value.has(key)) return err(`missing key '${key}'`);
  }
  if (typeof descr !== "string") {
    if (Array.isArray(descr)) return err("structured dtypes are not supported");
    return err("'descr' must be a string");
  }
  if (typeof fortranOrder !== "boolean") return err("'fortran_order' must be True or False");
  if (
    !Array.isArray(shape) ||
    !shape.every((n): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0)
  ) {
    return err("'shape' must be a tuple of non-negative integers");
  }
  return ok({ descr, fortranOrder, shape });
}

class PyLiteralError extends Error {}

/** Recursive-descent parser for the Python literals numpy writes in headers. */
class PyLiteralParser {
  readonly #text: string;
  #pos = 0;

  constructor(text: string) {
    this.#text = text;
  }

  parseValue(): PyValue {
    this.#skipSpace();
    const c = this.#text[this.#pos];
    if (c === "{") return this.#parseDict();
    if (c === "(") return this.#parseSequence("(", ")", true);
    if (c === "[") return this.#parseSequence("[", "]", false);
    if (c === "'" || c === '"') return this.#parseString();
    const number = /^[-+]?\d+L?/.exec(this.#text.slice(this.#pos));
    if (number !== null) {
      this.#pos += number[0].length;
      return Number.parseInt(number[0], 10);
    }
    for (const [word, value] of [
      ["True", true],
      ["False", false],
      ["None", null],
    ] as const) {
      if (this.#text.startsWith(word, this.#pos)) {
        this.#pos += word.length;
        return value;
      }
    }
    throw this.#unexpected();
  }

  expectEnd(): void {
    this.#skipSpace();
    if (this.#pos < this.#text.length) throw this.#unexpected();
  }

  #parseDict(): Map<string, PyValue> {
    this.#pos++; // {
    const map = new Map<string, PyValue>();
    for (;;) {
      this.#skipSpace();
      if (this.#text[this.#pos] === "}") break;
      const key = this.parseValue();
      if (typeof key !== "string") throw new PyLiteralError(`dict key at offset ${this.#pos} is not a string`);
      this.#expect(":");
      map.set(key, this.parseValue());
      this.#skipSpace();
      if (this.#text[this.#pos] === ",") this.#pos++;
      else if (this.#text[this.#pos] !== "}") throw this.#unexpected();
    }
    this.#pos++; // }
    return map;
  }

  #parseSequence(open: string, close: string, tuple: boolean): PyValue {
    this.#pos += open.length;
    const items: PyValue[] = [];
    let sawComma = false;
    for (;;) {
      this.#skipSpace();
      if (this.#text[this.#pos] === close) break;
      items.push(this.parseValue());
      this.#skipSpace();
      if (this.#text[this.#pos] === ",") {
        this.#pos++;
        sawComma = true;
      } else if (this.#text[this.#pos] !== close) throw this.#unexpected();
    }
    this.#pos++;
    // `(3)` is the number 3 in Python, not a tuple.
    if (tuple && items.length === 1 && !sawComma) return items[0] ?? null;
    return items;
  }

  #parseString(): string {
    const quote = this.#text[this.#pos];
    let out = "";
    for (let i = this.#pos + 1; i < this.#text.length; i++) {
      const c = this.#text[i];
      if (c === quote) {
        this.#pos = i + 1;
        return out;
      }
      if (c === "\\") {
        i++;
        const e = this.#text[i];
        out += e === "n" ? "\n" : e === "t" ? "\t" : (e ?? "");
      } else {
        out += c;
      }
    }
    throw new PyLiteralError(`unterminated string at offset ${this.#pos}`);
  }

  #expect(c: string): void {
    this.#skipSpace();
    if (this.#text[this.#pos] !== c) throw this.#unexpected();
    this.#pos++;
  }

  #skipSpace(): void {
    while (this.#pos < this.#text.length && /\s/.test(this.#text[this.#pos] ?? "")) this.#pos++;
  }

  #unexpected(): PyLiteralError {
    const c = this.#text[this.#pos];
    return new PyLiteralError(
      c === undefined ? "unexpected end of header" : `unexpected ${JSON.stringify(c)} at offset ${this.#pos}`,
    );
  }
}

/**
 * A `.npy` handler: reads `{data, shape}`; writes `{data, shape}` or a bare typed array (as 1-D).
 * The wider `write` parameter keeps it an `AssetHandler<NpyArray>`.
 */
export interface NpyHandler extends AssetHandler<NpyArray> {
  write(
    path: string,
    data: NpyArray | NpyData,
    options?: HandlerOptions & { readonly finalPath?: string },
  ): Promise<void>;
}

/** Builds the `.npy` handler registered as `name` (NumpyMap and NumpyPowerSpectrum differ only in name). */
export function createNpyHandler(name: string): NpyHandler {
  return {
    name,
    async read(path: string, _options?: HandlerOptions): Promise<NpyArray> {
      const decoded = decodeNpy(await readHandlerFile(path));
      if (!decoded.ok) throw new HandlerError(path, decoded.error.message);
      return decoded.value;
    },
    async write(
      path: string,
      data: NpyArray | NpyData,
      options?: HandlerOptions & { readonly finalPath?: string },
    ): Promise<void> {
      const array: NpyArray = ArrayBuffer.isView(data) ? { data, shape: [data.length] } : data;
      if (typeof array !== "object" || array === null || !("data" in array) || !("shape" in array)) {
        throw new HandlerError(
          reportedPath(path, options),
          `${name} expects {data, shape} or a Float32Array/Float64Array, got ${describeValue(data)}`,
        );
      }
      const encoded = encodeNpy(array);
      if (!encoded.ok) throw new HandlerError(reportedPath(path, options), encoded.error.message);
      await writeFile(path, encoded.value);
    },
  };
}
