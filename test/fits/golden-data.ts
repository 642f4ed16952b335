/**
 * The closed-form test maps of scripts/goldens/fits.py, rebuilt bit for bit in TypeScript
 * (same IEEE double operations in the same order, then the same cast), and the goldens manifest.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import type { FitsReal, FitsValueInput } from "../../src/fits/index.js";
import type { CardToWrite, EncodeMapOptions, MapDtype, NumericArray, WritableMap } from "../../src/fits/index.js";
import { UNSEEN } from "../../src/healpix/nside.js";

/** Folder of the FITS fixtures. */
export const FIXTURES = join(fileURLToPath(new URL(".", import.meta.url)), "..", "fixtures", "fits");

const PHI = 0.6180339887498949;

/** Element kinds of the formula maps. */
export type Kind = "float32" | "float64" | "int16" | "int32" | "int64" | "uint8";

/** Formula map `k` of `kind` with `npix` values (see fits.py `data`). */
export function formula(kind: Kind, npix: number, k: number): Exclude<WritableMap, readonly number[]> {
  switch (kind) {
    case "float32":
    case "float64": {
      const v = new Float64Array(npix);
      for (let i = 0; i < npix; i++) v[i] = (((i * PHI + k * 0.1) % 1) * 200) - 100;
      v[5 % npix] = -0;
      v[6 % npix] = UNSEEN;
      return kind === "float32" ? Float32Array.from(v) : v;
    }
    case "int16":
      return Int16Array.from({ length: npix }, (_, i) => ((i * 37 + k * 11) % 30000) - 15000);
    case "int32":
      return Int32Array.from({ length: npix }, (_, i) => i * 100003 + k * 7 - 500000000);
    case "int64":
      return BigInt64Array.from({ length: npix }, (_, i) => BigInt(i) * 1000000007n + BigInt(k) - 2n ** 40n);
    case "uint8":
      return Uint8Array.from({ length: npix }, (_, i) => (i * 7 + k) % 251);
  }
}

/** The elements of any column array as a plain array (for comparisons in tests). */
export function values(a: NumericArray): (number | bigint)[] {
  return [...(a as Iterable<number | bigint>)];
}

/** True for the pixels (RING numbering) kept in the partial-sky cases. */
export function seen(i: number): boolean {
  return i % 3 === 0 && i >= 200;
}

/** A formula map with UNSEEN outside the partial-sky mask. */
export function masked<T extends Float32Array | Float64Array>(m: T): T {
  const out = m.slice() as T;
  for (let i = 0; i < out.length; i++) if (!seen(i)) out[i] = UNSEEN;
  return out;
}

type JsonValue = string | number | boolean | FitsReal;

/** One map case of goldens.json. */
export interface MapCase {
  readonly name: string;
  readonly nside: number;
  readonly maps: readonly { readonly kind: Kind; readonly k: number }[];
  readonly options: {
    readonly nest?: boolean;
    readonly coord?: string;
    readonly columnNames?: string[];
    readonly columnUnits?: string | (string | null)[];
    readonly dtype?: MapDtype;
    readonly partial?: boolean;
    readonly fitsIdl?: boolean;
    readonly extraHeader?: [string, JsonValue, string?][];
  };
  readonly mask?: boolean;
  readonly reorder?: "r2n";
  readonly sha256: string;
  readonly bytes: number;
  readonly file?: string;
}

/** One spectra case of goldens.json. */
export interface ClCase {
  readonly name: string;
  readonly length: number;
  readonly spectra: readonly { readonly kind: Kind; readonly k: number }[];
  readonly sha256: string;
  readonly bytes: number;
  readonly file?: string;
}

/** goldens.json as written by scripts/goldens/fits.py. */
export interface Manifest {
  readonly healpy: string;
  readonly maps: readonly MapCase[];
  readonly cls: readonly ClCase[];
  readonly other: readonly { readonly name: string; readonly file?: string; readonly length?: number }[];
}

/** The parsed manifest. */
export const manifest = JSON.parse(readFileSync(join(FIXTURES, "goldens.json"), "utf8")) as Manifest;

/** A case by name (throws when missing, so a renamed case fails loudly). */
export function mapCase(name: string): MapCase {
  const c = manifest.maps.find((m) => m.name === name);
  if (!c) throw new Error(`no golden map case ${name}`);
  return c;
}

/** The raw (gunzipped) bytes of a stored fixture. */
export function fixtureBytes(file: string): Buffer {
  const raw = readFileSync(join(FIXTURES, file));
  return file.endsWith(".gz") ? gunzipSync(raw) : raw;
}

/** The case's options in writeMap form (JSON null units → undefined, {real} kept). */
export function encodeOptions(c: MapCase): EncodeMapOptions {
  const o = c.options;
  const units = typeof o.columnUnits === "string" ? o.columnUnits : o.columnUnits?.map((u) => u ?? undefined);
  return {
    ...(o.nest !== undefined && { nest: o.nest }),
    ...(o.coord !== undefined && { coord: o.coord }),
    ...(o.columnNames !== undefined && { columnNames: o.columnNames }),
    ...(units !== undefined && { columnUnits: units }),
    ...(o.dtype !== undefined && { dtype: o.dtype }),
    ...(o.partial !== undefined && { partial: o.partial }),
    ...(o.fitsIdl !== undefined && { fitsIdl: o.fitsIdl }),
    ...(o.extraHeader !== undefined && {
      extraHeader: o.extraHeader.map(([k, v, cm]): CardToWrite => (cm === undefined ? [k, v as FitsValueInput] : [k, v as FitsValueInput, cm])),
    }),
  };
}
