/**
 * Angular power spectra of harmonic coefficients and maps (healpy's `alm2cl` and `anafast`).
 *
 * | symbol | meaning                                                        | range          |
 * |--------|----------------------------------------------------------------|----------------|
 * | a, b   | interleaved complex a_lm, b_lm in healpy's m-major layout     |                |
 * | C_l    | [Re a_l0 Re b_l0 + 2 Σ_{m=1}^{min(l,mmax)} Re(a_lm conj b_lm)]/(2l+1) | l = 0 … lmax |
 * | lmax   | largest multipole of the alm (default from the array length) | ≥ 0            |
 * | mmax   | largest m stored (default lmax)                               | 0 … lmax       |
 *
 * As in healpy, Im a_l0 is ignored and the divisor stays 2l + 1 when mmax < l (the missing m
 * count as zero).
 */
import { almShape } from "./alm.js";
import { map2alm } from "./sht.js";
import type { FloatMap } from "./sht.js";
import { map2almPol } from "./sht-spin2.js";
import type { Triple } from "./sht-spin2.js";

/** Options of {@link alm2cl}. */
export interface Alm2ClOptions {
  /** Largest multipole of the alm; default from the length (with `mmax`, or mmax = lmax). */
  readonly lmax?: number;
  /** Largest m stored; default lmax. */
  readonly mmax?: number;
  /** Caller-owned output of lmax + 1 doubles. */
  readonly out?: Float64Array;
}

/** Options of {@link anafast}. */
export interface AnafastOptions {
  /** Largest multipole; default 3·nside − 1. */
  readonly lmax?: number;
  /** Largest m; default lmax. */
  readonly mmax?: number;
  /** map2alm Jacobi iterations; default 3 (healpy's default). */
  readonly iter?: number;
  /** Also return the alm of each map (healpy's `alm=True`); default false. */
  readonly alm?: boolean;
}

/** {@link anafast} result when `alm: true`. */
export interface AnafastResult {
  /** C_l for l = 0 … lmax (auto or cross spectrum). */
  readonly cl: Float64Array;
  /** a_lm of the first map. */
  readonly alm: Float64Array;
  /** a_lm of the second map, for a cross spectrum. */
  readonly alm2?: Float64Array;
}


/**
 * Power spectrum of `alm` (auto) or cross spectrum with `alm2` (same layout), as healpy's
 * `alm2cl(alm, alm2, lmax, mmax)`. Returns C_l for l = 0 … lmax. Throws a RangeError when the
 * sizes do not match lmax/mmax or each other.
 */
export function alm2cl(alm: Float64Array, alm2?: Float64Array, options: Alm2ClOptions = {}): Float64Array {
  const [lmax, mmax] = almShape(alm.length, options.lmax, options.mmax);
  const b = alm2 ?? alm;
  if (b.length !== alm.length) {
    throw new RangeError(`alm2 has ${String(b.length)} doubles, alm has ${String(alm.length)}`);
  }
  const cl = options.out ?? new Float64Array(lmax + 1);
  if (cl.length !== lmax + 1) throw new RangeError(`out has ${String(cl.length)} entries, lmax=${String(lmax)} needs ${String(lmax + 1)}`);
  // m = 0 first (contiguous l run), then every m > 0 column adds 2 Re(a conj b) to its l.
  for (let l = 0; l <= lmax; l++) cl[l] = alm[2 * l]! * b[2 * l]!;
  let k = lmax + 1;
  for (let m = 1; m <= mmax; m++) {
    for (let l = m; l <= lmax; l++, k++) {
      cl[l] = cl[l]! + 2 * (alm[2 * k]! * b[2 * k]! + alm[2 * k + 1]! * b[2 * k + 1]!);
    }
  }
  for (let l = 0; l <= lmax; l++) cl[l] = cl[l]! / (2 * l + 1);
  return cl;
}

/**
 * Power spectrum of a full-sky RING map, or the cross spectrum of two maps, as healpy's
 * `anafast(map, map2, lmax, mmax, iter, alm)`: map2alm of each map (UNSEEN pixels as 0, no
 * monopole or dipole removal), then {@link alm2cl}. With `alm: true` returns the alm as well.
 * Throws a RangeError for mismatched or invalid maps and bad lmax/mmax/iter.
 */
export function anafast(map: FloatMap, map2: FloatMap | undefined, options: AnafastOptions & { readonly alm: true }): AnafastResult;
export function anafast(map: FloatMap, map2?: FloatMap, options?: AnafastOptions & { readonly alm?: false }): Float64Array;
export function anafast(map: FloatMap, map2?: FloatMap, options?: AnafastOptions): Float64Array | AnafastResult;
export function anafast(map: FloatMap, map2?: FloatMap, options: AnafastOptions = {}): Float64Array | AnafastResult {
  if (map2 !== undefined && map2.length !== map.length) {
    throw new RangeError(`map2 has ${String(map2.length)} pixels, map has ${String(map.length)}`);
  }
  const analysis = {
    ...(options.lmax !== undefined && { lmax: options.lmax }),
    ...(options.mmax !== undefined && { mmax: options.mmax }),
    ...(options.iter !== undefined && { iter: options.iter }),
  };
  const a = map2alm(map, analysis);
  const b = map2 === undefined ? undefined : map2alm(map2, analysis);
  const nside = Math.round(Math.sqrt(map.length / 12));
  const lmax = options.lmax ?? 3 * nside - 1;
  const cl = alm2cl(a, b, { lmax, mmax: options.mmax ?? lmax });
  if (options.alm !== true) return cl;
  return b === undefined ? { cl, alm: a } : { cl, alm: a, alm2: b };
}

/** The six spectra of polarised maps, in healpy's order: TT, EE, BB, TE, EB, TB. */
export type SixSpectra = readonly [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];

/** (first, second) field of each of the six spectra (0 = T, 1 = E, 2 = B). */
const SIX_PAIRS: readonly (readonly [number, number])[] = [[0, 0], [1, 1], [2, 2], [0, 1], [1, 2], [0, 2]];

/**
 * The six spectra TT, EE, BB, TE, EB, TB of (T, E, B) alm, as healpy's `alm2cl([T, E, B])`; with
 * `alms2`, the cross spectra T₁T₂, E₁E₂, B₁B₂, T₁E₂, E₁B₂, T₁B₂ (healpy's `alm2cl(alms1, alms2)`).
 * All six alm share one layout. Throws a RangeError for mismatched sizes or a bad lmax/mmax.
 */
export function alm2clPol(alms: Triple<Float64Array>, alms2?: Triple<Float64Array>, options: Omit<Alm2ClOptions, "out"> = {}): SixSpectra {
  const b = alms2 ?? alms;
  for (const [i, a] of [...alms, ...b].entries()) {
    if (a.length !== alms[0].length) {
      throw new RangeError(`alm ${"TEB"[i % 3]!}${i < 3 ? "" : "2"} has ${String(a.length)} doubles, T has ${String(alms[0].length)}`);
    }
  }
  const out = SIX_PAIRS.map(([i, j]) => alm2cl(alms[i]!, b[j], options));
  return [out[0]!, out[1]!, out[2]!, out[3]!, out[4]!, out[5]!];
}

/**
 * The six spectra of full-sky I, Q, U maps (healpy's `anafast([I, Q, U], lmax, mmax, iter)`,
 * pol=True): {@link map2almPol} then {@link alm2clPol}; with `maps2`, the cross spectra (see
 * {@link alm2clPol}). UNSEEN pixels count as 0. Throws a RangeError for mismatched or invalid maps
 * and bad lmax/mmax/iter.
 */
export function anafastPol(maps: Triple<FloatMap>, maps2?: Triple<FloatMap>, options: Omit<AnafastOptions, "alm"> = {}): SixSpectra {
  for (const [i, m] of [...(maps2 ?? [])].entries()) {
    if (m.length !== maps[0].length) {
      throw new RangeError(`map2 ${"IQU"[i]!} has ${String(m.length)} pixels, map I has ${String(maps[0].length)}`);
    }
  }
  const analysis = {
    ...(options.lmax !== undefined && { lmax: options.lmax }),
    ...(options.mmax !== undefined && { mmax: options.mmax }),
    ...(options.iter !== undefined && { iter: options.iter }),
  };
  const a = map2almPol(maps, analysis);
  const b = maps2 === undefined ? undefined : map2almPol(maps2, analysis);
  const nside = Math.round(Math.sqrt(maps[0].length / 12));
  const lmax = options.lmax ?? 3 * nside - 1;
  return alm2clPol(a, b, { lmax, mmax: options.mmax ?? lmax });
}
