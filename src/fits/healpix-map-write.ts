/**
 * Writing HEALPix maps as FITS binary tables, byte-identical to healpy 1.16.1's
 * `write_map(path, maps, nest, dtype, fits_IDL, coord, partial, column_names, column_units, extra_header)`:
 *
 * - column type follows each map's type (Float32Array 'E', Float64Array 'D', Int16Array 'I',
 *   Int32Array 'J', BigInt64Array 'K', Uint8Array 'B'; plain number arrays are float64), or `dtype`;
 * - full-sky maps whose length is a multiple of 1024 are written as rows of 1024 values
 *   (`1024E`), others one value per row;
 * - default column names by map count: 1 'T'; 2 Q_POLARISATION, U_POLARISATION; 3 TEMPERATURE,
 *   Q_POLARISATION, U_POLARISATION; 6 II IQ IU QQ QU UU; otherwise COLUMN_1 …;
 * - partial-sky: a PIXEL column (I, J or K by the largest pixel) listing the pixels where the
 *   first map is not UNSEEN, one row per pixel, INDXSCHM = 'EXPLICIT', OBJECT = 'PARTIAL', no FIRSTPIX/LASTPIX.
 *
 * Where healpy fails (Int8Array, Uint16Array, Uint32Array maps; partial maps whose largest pixel
 * is below 128, which healpy 1.16 rejects) we either refuse with a FitsError or, for the latter,
 * write an 'I' PIXEL column.
 */
import type { Buffer } from "node:buffer";
import { UNSEEN, isValidNside } from "../healpix/nside.js";
import type { BinaryTableFile, CardToWrite, CodeArray, ColumnToWrite, WritableCode } from "./bintable-writer.js";
import { layoutBinaryTableFile } from "./bintable-writer.js";
import { BUFFER_PATH, FitsError } from "./errors.js";
import { writeFitsBytes } from "./write-file.js";
import type { WriteFileOptions } from "./write-file.js";

/** Map element types that can be written (healpy's: float32, float64, int16, int32, int64, uint8). */
export type MapDtype = "float32" | "float64" | "int16" | "int32" | "int64" | "uint8";

/** A map to write: a typed array of a {@link MapDtype}, or plain numbers (written as float64). */
export type WritableMap = Float32Array | Float64Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | readonly number[];

/** Options of {@link encodeMap} (healpy's write_map arguments). */
export interface EncodeMapOptions {
  /** Write ORDERING = 'NESTED' instead of 'RING' (the data are written as given, never reordered). Default false. */
  readonly nest?: boolean;
  /** TTYPEn of each map; default depends on the number of maps (see the module comment). */
  readonly columnNames?: readonly string[];
  /** TUNITn: one unit for every map, or one per map (`undefined` entries write no TUNIT). Default none. */
  readonly columnUnits?: string | readonly (string | undefined)[];
  /** Element type written: one for all maps or one per map. Default: each map's own type. */
  readonly dtype?: MapDtype | readonly MapDtype[];
  /** COORDSYS value, e.g. 'G', 'E', 'C'. Default: no COORDSYS card. */
  readonly coord?: string;
  /** Write only the pixels where the first map is not UNSEEN, with a PIXEL column. Default false. */
  readonly partial?: boolean;
  /** Write full-sky maps as rows of 1024 values when the length allows (healpy's `fits_IDL`). Default true. */
  readonly fitsIdl?: boolean;
  /** Cards added after the HEALPix cards, `[key, value, comment?]`; an existing key is updated in place. */
  readonly extraHeader?: readonly CardToWrite[];
}

/** Options of {@link writeMap}. */
export interface WriteMapOptions extends EncodeMapOptions, WriteFileOptions {}

const DTYPE_CODE: Readonly<Record<MapDtype, WritableCode>> = {
  float32: "E",
  float64: "D",
  int16: "I",
  int32: "J",
  int64: "K",
  uint8: "B",
};

function defaultNames(n: number): string[] {
  if (n === 1) return ["T"];
  if (n === 2) return ["Q_POLARISATION", "U_POLARISATION"];
  if (n === 3) return ["TEMPERATURE", "Q_POLARISATION", "U_POLARISATION"];
  if (n === 6) return ["II", "IQ", "IU", "QQ", "QU", "UU"];
  return Array.from({ length: n }, (_, k) => `COLUMN_${k + 1}`);
}

function ownDtype(path: string, m: WritableMap, k: number): MapDtype {
  if (m instanceof Float32Array) return "float32";
  if (m instanceof Float64Array || Array.isArray(m)) return "float64";
  if (m instanceof Int16Array) return "int16";
  if (m instanceof Int32Array) return "int32";
  if (m instanceof BigInt64Array) return "int64";
  if (m instanceof Uint8Array) return "uint8";
  const name = (m as object).constructor.name;
  throw new FitsError(
    path,
    "bad-input",
    `map ${k} is a ${name}, which cannot be written (healpy writes float32, float64, int16, int32, int64 and uint8 maps)`,
  );
}

const ARRAY_OF: Readonly<Record<WritableCode, new (n: number) => CodeArray>> = {
  E: Float32Array,
  D: Float64Array,
  I: Int16Array,
  J: Int32Array,
  K: BigInt64Array,
  B: Uint8Array,
};

/** `m` as an array of the type `code` names: the same array when it already is one, else a converted copy (C-style truncation for integers). */
function asCode(m: WritableMap, code: WritableCode): CodeArray {
  const Ctor = ARRAY_OF[code];
  if (m instanceof Ctor) return m;
  const out = new Ctor(m.length);
  if (out instanceof BigInt64Array) {
    for (let i = 0; i < m.length; i++) out[i] = BigInt(Math.trunc(Number(m[i]!)));
  } else if (m instanceof BigInt64Array) {
    for (let i = 0; i < m.length; i++) out[i] = Number(m[i]!);
  } else {
    out.set(m);
  }
  return out;
}

/** Indices where `m` is not UNSEEN (compared in `m`'s own precision). */
function seenPixels(m: WritableMap): Float64Array {
  const bad = m instanceof Float32Array ? Math.fround(UNSEEN) : UNSEEN;
  const idx: number[] = [];
  for (let i = 0; i < m.length; i++) if (Number(m[i]) !== bad) idx.push(i);
  return Float64Array.from(idx);
}

function gatherAt(m: WritableMap, code: WritableCode, pixels: Float64Array): CodeArray {
  const src = asCode(m, code);
  const out = new ARRAY_OF[code](pixels.length);
  if (out instanceof BigInt64Array) {
    const s = src as BigInt64Array;
    for (let i = 0; i < pixels.length; i++) out[i] = s[pixels[i]!]!;
  } else {
    const s = src as Exclude<CodeArray, BigInt64Array>;
    for (let i = 0; i < pixels.length; i++) out[i] = s[pixels[i]!]!;
  }
  return out;
}

/** Structural keywords the layout depends on; extraHeader may not set them. */
const RESERVED = /^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|PCOUNT|GCOUNT|TFIELDS|EXTEND|END|TFORM\d+|TSCAL\d+|TZERO\d+|TDIM\d+|THEAP)$/;

/**
 * Encodes maps as the bytes of a FITS file identical to healpy's write_map output.
 * `path` only names the file in error messages. FitsError (`bad-input`) for maps of unequal or
 * invalid length (not 12·nside²), unsupported array types, mismatched `columnNames` / `columnUnits`
 * / `dtype` lengths, reserved extraHeader keys, and non-finite or non-ASCII header values.
 */
export function encodeMap(maps: WritableMap | readonly WritableMap[], options: EncodeMapOptions = {}, path = BUFFER_PATH): Buffer {
  return layoutMap(maps, options, path).encode();
}

/** The file layout behind {@link encodeMap} and {@link writeMap}. */
function layoutMap(maps: WritableMap | readonly WritableMap[], options: EncodeMapOptions, path: string): BinaryTableFile {
  const list: readonly WritableMap[] = isMapList(maps) ? maps : [maps];
  const n = list.length;
  if (n === 0) throw new FitsError(path, "bad-input", "no maps to write");
  const npix = list[0]!.length;
  list.forEach((m, k) => {
    if (m.length !== npix) {
      throw new FitsError(path, "bad-input", `maps have different lengths: map 0 has ${npix} pixels, map ${k} has ${m.length}`);
    }
  });
  const nside = Math.round(Math.sqrt(npix / 12));
  if (!isValidNside(nside) || 12 * nside * nside !== npix) {
    throw new FitsError(path, "bad-input", `a map of ${npix} pixels is not a HEALPix map (12·nside² with nside a power of two ≤ 8192)`);
  }
  const names = options.columnNames ?? defaultNames(n);
  checkCount(path, "columnNames", names.length, n);
  const units = typeof options.columnUnits === "string" ? list.map(() => options.columnUnits as string) : options.columnUnits;
  if (units) checkCount(path, "columnUnits", units.length, n);
  const dtypes = typeof options.dtype === "string" ? list.map(() => options.dtype as MapDtype) : options.dtype;
  if (dtypes) checkCount(path, "dtype", dtypes.length, n);
  for (const [key] of options.extraHeader ?? []) {
    if (RESERVED.test(key.toUpperCase())) {
      throw new FitsError(path, "bad-input", `extraHeader may not set ${key.toUpperCase()}: it describes the table layout`);
    }
  }
  const codes = list.map((m, k) => DTYPE_CODE[dtypes?.[k] ?? ownDtype(path, m, k)]);

  const columns: ColumnToWrite[] = [];
  let repeat = 1;
  if (options.partial === true) {
    const pixels = seenPixels(list[0]!);
    const max = pixels.length ? pixels[pixels.length - 1]! : 0;
    const pixCode: WritableCode = max <= 32767 ? "I" : max <= 2147483647 ? "J" : "K";
    columns.push({ name: "PIXEL", code: pixCode, data: asCode(pixels, pixCode) });
    list.forEach((m, k) => columns.push({ name: names[k]!, code: codes[k]!, unit: units?.[k], data: gatherAt(m, codes[k]!, pixels) }));
  } else {
    if (options.fitsIdl !== false && npix > 1024 && npix % 1024 === 0) repeat = 1024;
    list.forEach((m, k) => columns.push({ name: names[k]!, code: codes[k]!, unit: units?.[k], data: asCode(m, codes[k]!) }));
  }

  const cards: CardToWrite[] = [
    ["PIXTYPE", "HEALPIX", "HEALPIX pixelisation"],
    ["ORDERING", options.nest === true ? "NESTED" : "RING", "Pixel ordering scheme, either RING or NESTED"],
  ];
  if (options.coord !== undefined) cards.push(["COORDSYS", options.coord, "Ecliptic, Galactic or Celestial (equatorial)"]);
  cards.push(["EXTNAME", "xtension", "name of this binary table extension"], ["NSIDE", nside, "Resolution parameter of HEALPIX"]);
  if (options.partial === true) {
    cards.push(
      ["INDXSCHM", "EXPLICIT", "Indexing: IMPLICIT or EXPLICIT"],
      ["OBJECT", "PARTIAL", "Sky coverage, either FULLSKY or PARTIAL"],
    );
  } else {
    cards.push(
      ["FIRSTPIX", 0, "First pixel # (0 based)"],
      ["LASTPIX", npix - 1, "Last pixel # (0 based)"],
      ["INDXSCHM", "IMPLICIT", "Indexing: IMPLICIT or EXPLICIT"],
      ["OBJECT", "FULLSKY", "Sky coverage, either FULLSKY or PARTIAL"],
    );
  }
  cards.push(...(options.extraHeader ?? []));
  return layoutBinaryTableFile(path, columns, repeat, cards);
}

function isMapList(maps: WritableMap | readonly WritableMap[]): maps is readonly WritableMap[] {
  return Array.isArray(maps) && (maps.length === 0 || typeof maps[0] !== "number");
}

function checkCount(path: string, what: string, got: number, want: number): void {
  if (got !== want) throw new FitsError(path, "bad-input", `${what} has ${got} entries for ${want} map${want === 1 ? "" : "s"}`);
}

/**
 * Writes maps to `path` as healpy's write_map would (see {@link encodeMap}); gzip-compressed when
 * `path` ends in `.gz` (the FITS content is identical, the gzip wrapper is not healpy's).
 * By default refuses to replace an existing file and writes through a temporary file + rename.
 */
export async function writeMap(path: string, maps: WritableMap | readonly WritableMap[], options: WriteMapOptions = {}): Promise<void> {
  await writeFitsBytes(path, layoutMap(maps, options, path), options);
}
