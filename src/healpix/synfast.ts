/**
 * Gaussian sky simulation from a power spectrum (healpy's `synfast`): temperature, and I, Q, U
 * from TT, EE, BB, TE[, EB, TB] with `new=True` ordering ({@link synfastPol}).
 *
 * | symbol | meaning                                                   | range                         |
 * |--------|-----------------------------------------------------------|-------------------------------|
 * | C_l    | input spectrum from l = 0 (map units²)                    | entries ≤ 0 give a_lm = 0     |
 * | lmax   | largest multipole simulated                               | default min(len − 1, 3nside − 1) |
 * | fwhm   | Gaussian beam full width at half maximum, radians         | ≥ 0, default 0 (no beam)      |
 * | b_l    | exp(−l(l+1)σ²/2), σ = fwhm/√(8 ln 2)                      | (0, 1]                        |
 *
 * The sequence is healpy 1.16's, checked by experiment: a = synalm(C, lmax) from the numpy legacy
 * stream, a ← a·b_l (almxfl with gauss_beam; skipped when fwhm = 0, where b_l = 1 exactly), then
 * alm2map(a, nside, lmax). No pixel window (healpy's pixwin=False default). The returned alm, when
 * asked for, are the beam-smoothed ones, as healpy's `alm=True`.
 */
import { almSize } from "./alm.js";
import { almxfl, gaussBeam, gaussBeamPol } from "./beams.js";
import { checkNside } from "./nside.js";
import { RandomState } from "./rng.js";
import { scratchF64 } from "./scratch.js";
import { alm2map } from "./sht.js";
import type { FloatMap } from "./sht.js";
import { alm2mapPol } from "./sht-spin2.js";
import type { Triple } from "./sht-spin2.js";
import { synalm, synalmPol } from "./synalm.js";

/** Options of {@link synfast}. */
export interface SynfastOptions {
  /** Largest multipole; default min(cl.length − 1, 3·nside − 1). */
  readonly lmax?: number;
  /** Beam FWHM in radians; default 0. */
  readonly fwhm?: number;
  /**
   * Seed for a fresh numpy-compatible generator (`np.random.seed(seed)`), 0 … 2^32 − 1. Ignored
   * when `rng` is given; with neither, a random seed is drawn (not reproducible).
   */
  readonly seed?: number;
  /** Generator to draw from (advanced by 2·(lmax+1)(lmax+2)/2 normals). */
  readonly rng?: RandomState;
  /** Also return the (smoothed) alm; default false. */
  readonly alm?: boolean;
  /** Output precision; default "float64". */
  readonly dtype?: "float64" | "float32";
}

/** {@link synfast} result when `alm: true`. */
export interface SynfastResult<M extends FloatMap = FloatMap> {
  /** The simulated RING map. */
  readonly map: M;
  /** Its beam-smoothed a_lm (lmax as used, mmax = lmax). */
  readonly alm: Float64Array;
}

/**
 * Simulates a RING map of resolution `nside` with power spectrum `cl`, equal to healpy's
 * `np.random.seed(seed); hp.synfast(cl, nside, lmax=lmax, fwhm=fwhm)` (≤ 1e-11 × max|map|).
 * Throws a RangeError for a bad nside, lmax, fwhm or seed, or an empty `cl`.
 */
export function synfast(cl: ArrayLike<number>, nside: number, options: SynfastOptions & { readonly alm: true; readonly dtype: "float32" }): SynfastResult<Float32Array>;
export function synfast(cl: ArrayLike<number>, nside: number, options: SynfastOptions & { readonly alm: true }): SynfastResult<Float64Array>;
export function synfast(cl: ArrayLike<number>, nside: number, options: SynfastOptions & { readonly dtype: "float32"; readonly alm?: false }): Float32Array;
export function synfast(cl: ArrayLike<number>, nside: number, options?: SynfastOptions & { readonly dtype?: "float64"; readonly alm?: false }): Float64Array;
export function synfast(cl: ArrayLike<number>, nside: number, options?: SynfastOptions): FloatMap | SynfastResult;
export function synfast(cl: ArrayLike<number>, nside: number, options: SynfastOptions = {}): FloatMap | SynfastResult {
  checkNside(nside);
  if (cl.length === 0) throw new RangeError("cl must hold at least C_0");
  const lmax = options.lmax ?? Math.min(cl.length - 1, 3 * nside - 1);
  if (!Number.isInteger(lmax) || lmax < 0) throw new RangeError(`lmax must be a non-negative integer, got ${String(lmax)}`);
  const fwhm = options.fwhm ?? 0;
  if (!(Number.isFinite(fwhm) && fwhm >= 0)) throw new RangeError(`fwhm must be a finite non-negative angle in radians, got ${String(fwhm)}`);
  const rng = options.rng ?? new RandomState(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  // The a_lm stay internal unless asked for, so they go into this thread's kept array.
  const wantAlm = options.alm === true;
  const size = 2 * almSize(lmax);
  const alm = synalm(cl, lmax, rng, wantAlm ? new Float64Array(size) : scratchF64("synfast.alm", size));
  if (fwhm > 0) almxfl(alm, gaussBeam(fwhm, lmax), lmax, alm);
  const map = alm2map(alm, nside, { lmax, dtype: options.dtype ?? "float64" });
  return wantAlm ? { map, alm } : map;
}

/** Options of {@link synfastPol}. */
export type SynfastPolOptions = Omit<SynfastOptions, "dtype" | "alm">;

/**
 * Simulates RING I, Q, U maps of resolution `nside` from four (TT, EE, BB, TE) or six (… EB, TB)
 * spectra in healpy's new order, equal to healpy's
 * `np.random.seed(seed); hp.synfast(cls, nside, lmax=lmax, fwhm=fwhm, new=True)` (≤ 1e-11 ×
 * max|map|): {@link synalmPol}, then T × b^T_l and E, B × b^P_l ({@link gaussBeamPol}; skipped
 * when fwhm = 0), then {@link alm2mapPol}. lmax defaults to min(len(TT) − 1, 3·nside − 1).
 * Throws a RangeError for a bad nside, lmax, fwhm, seed or number of spectra.
 */
export function synfastPol(cls: readonly ArrayLike<number>[], nside: number, options: SynfastPolOptions = {}): Triple<Float64Array> {
  checkNside(nside);
  const tt = cls[0];
  if (tt === undefined || tt.length === 0) throw new RangeError("cls must hold at least TT from C_0");
  const lmax = options.lmax ?? Math.min(tt.length - 1, 3 * nside - 1);
  if (!Number.isInteger(lmax) || lmax < 0) throw new RangeError(`lmax must be a non-negative integer, got ${String(lmax)}`);
  const fwhm = options.fwhm ?? 0;
  if (!(Number.isFinite(fwhm) && fwhm >= 0)) throw new RangeError(`fwhm must be a finite non-negative angle in radians, got ${String(fwhm)}`);
  const rng = options.rng ?? new RandomState(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const alms = synalmPol(cls, lmax, rng);
  if (fwhm > 0) {
    const [bt, bp] = gaussBeamPol(fwhm, lmax);
    almxfl(alms[0], bt, lmax, alms[0]);
    almxfl(alms[1], bp, lmax, alms[1]);
    almxfl(alms[2], bp, lmax, alms[2]);
  }
  return alm2mapPol(alms, nside, { lmax });
}
