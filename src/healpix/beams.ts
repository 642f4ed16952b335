/**
 * Gaussian beam window functions and multiplication of alm by a function of l
 * (HEALPIX.md "Beams, windows, noise").
 *
 * | symbol | meaning                                           | range          |
 * |--------|---------------------------------------------------|----------------|
 * | fwhm   | beam full width at half maximum (radians)          | ≥ 0            |
 * | σ      | Gaussian width, fwhm/√(8 ln 2) (radians)           | ≥ 0            |
 * | b_l    | beam window, exp(−l(l+1)σ²/2)                      | (0, 1]         |
 * | f_l    | any multiplier per multipole                       | real           |
 * | a_lm   | interleaved complex alm, healpy m-major (alm.ts)   |                |
 */
import { almSize, checkLmax } from "./alm.js";

/** Radians per arcminute, π/10800. */
export const RAD_PER_ARCMIN = Math.PI / 10800;

/** Converts arcminutes to radians. */
export function arcmin2rad(arcmin: number): number {
  return arcmin * RAD_PER_ARCMIN;
}

/** Converts degrees to radians. */
export function deg2rad(deg: number): number {
  return (deg * Math.PI) / 180;
}

/** Gaussian σ (radians) of a beam of full width at half maximum `fwhmRad` (radians): fwhm/√(8 ln 2). */
export function fwhmToSigma(fwhmRad: number): number {
  return fwhmRad / Math.sqrt(8 * Math.log(2));
}

/**
 * Temperature window of a circular Gaussian beam, b_l = exp(−l(l+1)σ²/2) for l = 0…lmax, as
 * healpy's `gauss_beam(fwhm, lmax)` (same order of operations).
 * @param fwhmRad full width at half maximum in radians, finite and ≥ 0 (0 gives b_l = 1)
 * @param lmax largest multipole, a non-negative integer
 * @param out caller-owned buffer of at least lmax + 1 doubles; default new
 * @returns `out` (b_0 … b_lmax in its first lmax + 1 entries)
 */
export function gaussBeam(fwhmRad: number, lmax: number, out?: Float64Array): Float64Array {
  if (!(Number.isFinite(fwhmRad) && fwhmRad >= 0)) {
    throw new RangeError(`fwhm must be a finite non-negative angle in radians, got ${String(fwhmRad)}`);
  }
  checkLmax(lmax);
  const b = out ?? new Float64Array(lmax + 1);
  if (b.length < lmax + 1) throw new RangeError(`beam output must hold lmax + 1 = ${String(lmax + 1)} values, got ${String(b.length)}`);
  const sigma = fwhmToSigma(fwhmRad);
  const sigma2 = sigma * sigma;
  for (let l = 0; l <= lmax; l++) b[l] = Math.exp(-0.5 * l * (l + 1) * sigma2);
  return b;
}

/**
 * Polarised Gaussian beam windows, the columns of healpy's `gauss_beam(fwhm, lmax, pol=True)`:
 * [b^T, b^E = b^B, b^TE] with b^T_l = exp(−l(l+1)σ²/2), b^E_l = b^T_l·exp(2σ²) (the spin-2 window
 * exp(−(l(l+1) − 4)σ²/2)) and b^TE_l = b^T_l·exp(σ²), computed in healpy's order of operations.
 * @param fwhmRad full width at half maximum in radians, finite and ≥ 0
 * @param lmax largest multipole, a non-negative integer
 * @returns [T, E/B, TE] windows of lmax + 1 values each
 */
export function gaussBeamPol(fwhmRad: number, lmax: number): [Float64Array, Float64Array, Float64Array] {
  const t = gaussBeam(fwhmRad, lmax);
  const sigma = fwhmToSigma(fwhmRad);
  const fe = Math.exp(2 * sigma * sigma);
  const fte = Math.exp(sigma * sigma);
  const e = new Float64Array(lmax + 1);
  const te = new Float64Array(lmax + 1);
  for (let l = 0; l <= lmax; l++) {
    e[l] = t[l]! * fe;
    te[l] = t[l]! * fte;
  }
  return [t, e, te];
}

/**
 * Multiplies every a_lm by f_l, as healpy's `almxfl(alm, fl)`: a_lm ← f_l·a_lm, with f_l = 0
 * for l ≥ fl.length (healpy's rule).
 * @param alm interleaved complex alm of 2·(lmax+1)(lmax+2)/2 doubles (mmax = lmax)
 * @param fl multiplier per l from l = 0
 * @param lmax the alm's largest multipole
 * @param out destination of the same length; may be `alm` itself (in place); default new
 * @returns `out`
 */
export function almxfl(alm: Float64Array, fl: ArrayLike<number>, lmax: number, out?: Float64Array): Float64Array {
  checkLmax(lmax);
  const size = almSize(lmax);
  if (alm.length !== 2 * size) {
    throw new RangeError(`alm must hold 2·${String(size)} = ${String(2 * size)} doubles for lmax ${String(lmax)}, got ${String(alm.length)}`);
  }
  const res = out ?? new Float64Array(alm.length);
  if (res.length !== alm.length) throw new RangeError(`almxfl output must hold ${String(alm.length)} doubles, got ${String(res.length)}`);
  const nfl = Math.min(fl.length, lmax + 1);
  let k = 0;
  for (let m = 0; m <= lmax; m++) {
    for (let l = m; l <= lmax; l++, k += 2) {
      const f = l < nfl ? fl[l]! : 0;
      res[k] = alm[k]! * f;
      res[k + 1] = alm[k + 1]! * f;
    }
  }
  return res;
}
