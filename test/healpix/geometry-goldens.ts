/**
 * Loader for the golden files written by scripts/goldens/geometry.py (healpy 1.16.1, numpy):
 * test/fixtures/healpix/geometry.json (manifest, small vectors inline) and geometry.bin.gz
 * (little-endian arrays at 8-byte-aligned offsets).
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

const DIR = new URL("../fixtures/healpix/", import.meta.url);

interface ArrayEntry {
  readonly dtype: "f64" | "i32";
  readonly offset: number;
  readonly length: number;
}

/** The manifest's inline content (see the generator for meanings). */
export interface GeometryManifest {
  readonly healpy: string;
  readonly small_nsides: readonly number[];
  readonly ang_nsides: readonly number[];
  readonly rng: {
    readonly fresh: readonly { seed: number; standard_normal: number[]; random_sample: number[] }[];
    readonly interleaved: { seed: number; ops: string; values: number[] };
    readonly reseed_first: number;
    readonly long: { seed: number; n: number; indices: number[]; values: number[]; sum: number };
  };
  readonly synalm: readonly { name: string; seed: number; lmax: number; next_normal: number }[];
  readonly gauss_beam: readonly { name: string; fwhm_rad: number; lmax: number }[];
  readonly arrays: Readonly<Record<string, ArrayEntry>>;
}

let cache: { manifest: GeometryManifest; blob: Buffer } | undefined;

function load(): { manifest: GeometryManifest; blob: Buffer } {
  cache ??= {
    manifest: JSON.parse(readFileSync(new URL("geometry.json", DIR), "utf8")) as GeometryManifest,
    blob: gunzipSync(readFileSync(new URL("geometry.bin.gz", DIR))),
  };
  return cache;
}

/** The golden manifest. */
export function manifest(): GeometryManifest {
  return load().manifest;
}

/** A golden array as float64 (int32 arrays are widened). */
export function goldenArray(name: string): Float64Array {
  const { manifest: m, blob } = load();
  const e = m.arrays[name];
  if (e === undefined) throw new Error(`no golden array ${name}`);
  const bytes = new Uint8Array(e.length * (e.dtype === "f64" ? 8 : 4));
  bytes.set(blob.subarray(e.offset, e.offset + bytes.length));
  return e.dtype === "f64" ? new Float64Array(bytes.buffer) : Float64Array.from(new Int32Array(bytes.buffer));
}
