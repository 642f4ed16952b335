/**
 * Reading HEALPix maps from FITS binary tables, with healpy's `read_map` semantics:
 * `field` indexes the map columns (after the PIXEL column of partial-sky files), NESTED files
 * are reordered to RING unless `nest` is set, and partial-sky (INDXSCHM = 'EXPLICIT') files are
 * expanded to full maps with UNSEEN where no pixel is listed.
 *
 * Deliberate differences from healpy 1.16: a missing NSIDE is an error (healpy guesses it from the
 * column length); 64-bit integer (K) columns come back as Float64Array (exact up to 2^53), and
 * integer partial-sky maps as Float64Array so that UNSEEN can be represented.
 * As in healpy, a missing ORDERING keyword means RING, and BAD_DATA values are left as they are.
 */
import { checkNside, UNSEEN } from "../healpix/nside.js";
import { reorderMap } from "../healpix/pixel.js";
import type { Ordering } from "../healpix/pixel.js";
import { describeColumns, listColumns, readColumn, rowCount } from "./column.js";
import type { FitsColumn, NumericArray } from "./column.js";
import { FitsError } from "./errors.js";
import { decodeFits, loadFitsBytes } from "./file.js";
import { hduAt, parseFits } from "./hdu.js";
import type { FitsFile, FitsHdu } from "./hdu.js";
import type { FitsHeader } from "./header.js";

/** Typed arrays a map field is returned in. */
export type MapArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** Options of {@link readMap} and {@link decodeMap}. */
export interface ReadMapOptions {
  /**
   * Which map columns to read, 0-based, counting only map columns (the PIXEL column of a
   * partial-sky file is not counted), as healpy's `field`. A number, a list, or `"all"`. Default 0.
   */
  readonly field?: number | readonly number[] | "all";
  /** Ordering of the returned data: `false` (default) for RING, `true` for NESTED; files are reordered when needed. */
  readonly nest?: boolean;
  /**
   * Element type of the returned fields: `native` (default; the file's type, E → Float32Array,
   * D → Float64Array, I → Int16Array, J → Int32Array, B → Uint8Array), `float32` or `float64`.
   */
  readonly dtype?: "float32" | "float64" | "native";
  /** HDU holding the map (default 1, the first extension). */
  readonly hdu?: number;
}

/** A map as read from a file. */
export interface HealpixMap {
  /** Resolution, from the NSIDE card. */
  readonly nside: number;
  /** Ordering of the data in {@link HealpixMap.fields} (not necessarily the file's). */
  readonly ordering: Ordering;
  /** One full-sky array of 12·nside² pixels per requested field. */
  readonly fields: MapArray[];
  /** TUNITn of each returned field, `undefined` when the file gives none. */
  readonly units: (string | undefined)[];
  /** TTYPEn of each returned field. */
  readonly columnNames: string[];
  /** True when the file was partial-sky (INDXSCHM = 'EXPLICIT'). */
  readonly partial: boolean;
  /** All cards of the map HDU. */
  readonly header: FitsHeader;
}

function fileOrdering(hdu: FitsHdu): Ordering {
  const raw = hdu.header.getString("ORDERING");
  if (raw === undefined) return "RING";
  const o = raw.trim().toUpperCase();
  if (o === "RING") return "RING";
  if (o.startsWith("NEST")) return "NESTED";
  throw new FitsError(hdu.path, "bad-header", `ORDERING = '${raw}' in HDU ${hdu.index} is neither RING nor NESTED`);
}

function fileNside(hdu: FitsHdu): number {
  const v = hdu.header.get("NSIDE");
  if (v === undefined) throw new FitsError(hdu.path, "bad-nside", `HDU ${hdu.index} has no NSIDE keyword`);
  const nside = typeof v === "number" || typeof v === "bigint" ? Number(v) : NaN;
  try {
    checkNside(nside);
  } catch {
    throw new FitsError(
      hdu.path,
      "bad-nside",
      `NSIDE = ${String(v)} in HDU ${hdu.index} is not a power of two between 1 and 8192`,
    );
  }
  return nside;
}

function isExplicit(hdu: FitsHdu, cols: readonly FitsColumn[]): boolean {
  const scheme = hdu.header.getString("INDXSCHM")?.trim().toUpperCase();
  if (scheme !== undefined) return scheme === "EXPLICIT";
  return cols[0]?.name.toUpperCase() === "PIXEL";
}

function fieldList(field: ReadMapOptions["field"], count: number): number[] {
  if (field === undefined) return [0];
  if (field === "all") return Array.from({ length: count }, (_, k) => k);
  return typeof field === "number" ? [field] : [...field];
}

/** Map values of a column as a number-valued typed array (K columns and scaled columns as Float64Array). */
function readField(hdu: FitsHdu, col: FitsColumn, dtype: "float32" | "float64" | "native", consume: boolean): MapArray {
  const effective = dtype === "native" && col.code === "K" ? "float64" : dtype;
  return readColumn(hdu, col, { dtype: effective, consumeBytes: consume }) as MapArray;
}

function decodeMapHdu(file: FitsFile, options: ReadMapOptions, consume: boolean): HealpixMap {
  const hdu = hduAt(file, options.hdu ?? 1);
  const cols = listColumns(hdu);
  const nside = fileNside(hdu);
  const npix = 12 * nside * nside;
  const ordering = fileOrdering(hdu);
  const partial = isExplicit(hdu, cols);
  const mapCols = partial ? cols.slice(1) : cols;
  const dtype = options.dtype ?? "native";
  const want: Ordering = options.nest === true ? "NESTED" : "RING";

  const fields = fieldList(options.field, mapCols.length);
  for (const f of fields) {
    if (!Number.isInteger(f) || f < 0 || f >= mapCols.length) {
      throw new FitsError(
        hdu.path,
        "no-such-column",
        `field ${f} is out of range: HDU ${hdu.index} has ${mapCols.length} map column${mapCols.length === 1 ? "" : "s"} (${describeColumns(mapCols)})`,
      );
    }
  }

  let pixels: NumericArray | undefined;
  if (partial) {
    const pixCol = cols[0];
    if (!pixCol) throw new FitsError(hdu.path, "bad-header", `HDU ${hdu.index} is partial-sky but has no PIXEL column`);
    pixels = readColumn(hdu, pixCol, { dtype: "float64" });
    for (let i = 0; i < pixels.length; i++) {
      const p = pixels[i] as number;
      if (!(p >= 0 && p < npix && Number.isInteger(p))) {
        throw new FitsError(
          hdu.path,
          "bad-header",
          `PIXEL value ${p} in row ${i} of HDU ${hdu.index} is outside 0…${npix - 1} (NSIDE = ${nside})`,
        );
      }
    }
  }

  const done = new Map<number, MapArray>();
  const out: MapArray[] = [];
  for (const f of fields) {
    const col = mapCols[f]!;
    const previous = done.get(f);
    if (previous) {
      out.push(previous.slice());
      continue;
    }
    let values = readField(hdu, col, dtype, consume);
    if (pixels) {
      if (values.length !== pixels.length) {
        throw new FitsError(
          hdu.path,
          "bad-header",
          `column ${col.index} (${col.name}) of HDU ${hdu.index} holds ${values.length} values but the PIXEL column ${pixels.length}`,
        );
      }
      const full = values instanceof Float32Array ? new Float32Array(npix) : new Float64Array(npix);
      full.fill(UNSEEN);
      for (let i = 0; i < values.length; i++) full[pixels[i] as number] = values[i]!;
      values = full;
    } else if (values.length !== npix) {
      throw new FitsError(
        hdu.path,
        "bad-nside",
        `NSIDE = ${nside} in HDU ${hdu.index} means ${npix} pixels, but column ${col.index} (${col.name}) holds ${values.length} values (${rowCount(hdu)} rows)`,
      );
    }
    if (ordering !== want) values = reorderMap(values, ordering, want);
    done.set(f, values);
    out.push(values);
  }
  return {
    nside,
    ordering: want,
    fields: out,
    units: fields.map((f) => mapCols[f]!.unit),
    columnNames: fields.map((f) => mapCols[f]!.name),
    partial,
    header: hdu.header,
  };
}

/**
 * Reads a HEALPix map from a FITS file (plain or gzip): one read of the file, one byte-swap pass
 * per column. Throws FitsError for files that are not FITS, truncated, without a valid NSIDE,
 * with NSIDE inconsistent with the data, with unsupported column formats, or when `field`
 * names a column that does not exist (the message lists those that do).
 */
export async function readMap(path: string, options: ReadMapOptions = {}): Promise<HealpixMap> {
  const bytes = await loadFitsBytes(path);
  // The bytes are ours alone: columns may be swapped in place and returned as views of them.
  return decodeMapHdu(parseFits(bytes, path), options, true);
}

/**
 * Synchronous {@link readMap} for bytes already in memory (plain or gzip), e.g. in a worker
 * thread. `bytes` is never modified; `path` names them in error messages.
 */
export function decodeMap(bytes: Uint8Array, options: ReadMapOptions = {}, path?: string): HealpixMap {
  return decodeMapHdu(decodeFits(bytes, path), options, false);
}
