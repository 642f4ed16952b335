/**
 * Loader for the golden files written by scripts/goldens/sht.py (healpy 1.16.1) into
 * test/fixtures/healpix/sht/, and the input formulas that script uses (bit-identical here: every
 * step is one correctly rounded IEEE operation on exact integers).
 */
import { readFileSync } from "node:fs";
import { almIndex, almSize } from "../../src/healpix/alm.js";
import { UNSEEN } from "../../src/healpix/nside.js";
import type { RandomState } from "../../src/healpix/rng.js";

const DIR = new URL("../fixtures/healpix/sht/", import.meta.url);

/** One golden output: its parameters and the stored values (every `stride`-th element). */
export interface GoldenCase {
  readonly name: string;
  readonly kind:
    | "alm2map" | "alm2map-pixels" | "map2alm" | "anafast" | "synfast" | "smoothing" | "roundtrip"
    | "alm2map-pol" | "alm2map-pol-pixels" | "map2alm-pol" | "anafast-pol"
    | "synfast-pol" | "synalm-pol" | "smoothing-pol" | "pixwin";
  readonly params: Readonly<Record<string, number | boolean | null>>;
  readonly file: string | null;
  readonly length: number;
  /** Stride in elements: pixels, or complex coefficients when `unit` is "complex". */
  readonly stride?: number;
  readonly unit?: "real" | "complex";
  /** Pixel indices of an "alm2map-pixels" case. */
  readonly pixels?: readonly number[];
}

interface Manifest {
  readonly healpy: string;
  readonly cases: readonly GoldenCase[];
}

let manifest: Manifest | undefined;

/** All golden cases of one kind. */
export function goldenCases(kind: GoldenCase["kind"]): GoldenCase[] {
  manifest ??= JSON.parse(readFileSync(new URL("manifest.json", DIR), "utf8")) as Manifest;
  return manifest.cases.filter((c) => c.kind === kind);
}

/** The stored values of a case (little-endian float64). */
export function goldenValues(c: GoldenCase): Float64Array {
  if (c.file === null) throw new Error(`${c.name} has no data file`);
  const bytes = readFileSync(new URL(c.file, DIR));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(bytes.byteLength / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, true);
  if (out.length !== c.length) throw new Error(`${c.file}: ${String(out.length)} values, manifest says ${String(c.length)}`);
  return out;
}

/** Numeric parameter of a case (throws when absent, so typos fail loudly). */
export function num(c: GoldenCase, key: string): number {
  const v = c.params[key];
  if (typeof v !== "number") throw new Error(`${c.name}: parameter ${key} missing`);
  return v;
}

/** a_lm(l, m; s) of the generator: ((131l + 71m + 17s) mod 251)/125.5 − 1 over l + 1, etc. */
export function formulaAlm(lmax: number, mmax: number, s: number): Float64Array {
  const alm = new Float64Array(2 * almSize(lmax, mmax));
  for (let m = 0; m <= mmax; m++) {
    for (let l = m; l <= lmax; l++) {
      const u = ((131 * l + 71 * m + 17 * s) % 251) / 125.5 - 1;
      const v = ((97 * l + 43 * m + 29 * s) % 241) / 120.5 - 1;
      const k = almIndex(l, m, lmax);
      alm[2 * k] = u / (l + 1);
      alm[2 * k + 1] = m === 0 ? 0 : v / (l + 1);
    }
  }
  return alm;
}

/** White a_lm of the generator (gauss_alm): all real parts, then all imaginary parts; Im a_l0 = 0. */
export function gaussAlm(lmax: number, rng: RandomState): Float64Array {
  const n = almSize(lmax);
  const alm = new Float64Array(2 * n);
  rng.fillStandardNormal(alm, 0, 2, n);
  rng.fillStandardNormal(alm, 1, 2, n);
  for (let l = 0; l <= lmax; l++) alm[2 * l + 1] = 0;
  return alm;
}

/** map(p; s) of the generator, optionally with UNSEEN where p mod 97 = 0. */
export function formulaMap(nside: number, s: number, unseen = false): Float64Array {
  const npix = 12 * nside * nside;
  const map = new Float64Array(npix);
  for (let p = 0; p < npix; p++) map[p] = unseen && p % 97 === 0 ? UNSEEN : ((48271 * p + 7919 * s) % 65521) / 32760.5 - 1;
  return map;
}

/** C_l = 1/((l + 1)(l + 2)) for l < n. */
export function formulaCl(n: number): Float64Array {
  const cl = new Float64Array(n);
  for (let l = 0; l < n; l++) cl[l] = 1 / ((l + 1) * (l + 2));
  return cl;
}

/** The generator's TT, EE, BB, TE, EB, TB for l < n (formula_pol_cls; `edge`: TT_3 = 0, TE_1 = 0.05). */
export function formulaPolCls(n: number, edge = false): Float64Array[] {
  const tt = formulaCl(n);
  const [ee, bb, te, eb, tb] = [0, 1, 2, 3, 4].map(() => new Float64Array(n)) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  for (let l = 0; l < n; l++) {
    ee[l] = l < 2 ? 0 : tt[l]! / 10;
    bb[l] = l < 2 ? 0 : tt[l]! / 50;
    te[l] = ((0.3 * ((l % 7) - 3)) / 3) * Math.sqrt(tt[l]! * ee[l]!);
    eb[l] = ((0.05 * ((l % 5) - 2)) / 2) * Math.sqrt(ee[l]! * bb[l]!);
    tb[l] = 0.05 * ((l % 3) - 1) * Math.sqrt(tt[l]! * bb[l]!);
  }
  if (edge) {
    tt[3] = 0;
    te[1] = 0.05;
  }
  return [tt, ee, bb, te, eb, tb];
}

/** max_i |got[start + stride·i] − want[i]| over the stored elements (complex: both parts). */
export function maxStridedError(got: ArrayLike<number>, want: Float64Array, stride: number, complex: boolean): number {
  let err = 0;
  const width = complex ? 2 : 1;
  for (let i = 0; i < want.length / width; i++) {
    for (let c = 0; c < width; c++) err = Math.max(err, Math.abs(got[width * stride * i + c]! - want[width * i + c]!));
  }
  return err;
}
