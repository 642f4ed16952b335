/**
 * Gaussian beam smoothing of harmonic coefficients and maps (healpy's `smoothalm`/`smoothing`,
 * temperature only).
 *
 * | symbol | meaning                                                 | range           |
 * |--------|---------------------------------------------------------|-----------------|
 * | fwhm   | beam full width at half maximum, radians                | ≥ 0 (0: no-op)  |
 * | b_l    | exp(−l(l+1)σ²/2), σ = fwhm/√(8 ln 2)                    | (0, 1]          |
 * | lmax   | largest multipole (maps: default 3·nside − 1)           | ≥ 0             |
 *
 * healpy 1.16's `smoothing` (checked by experiment): map2alm with `iter` (UNSEEN pixels as 0),
 * a_lm·b_l, alm2map; pixels that were UNSEEN in the input are UNSEEN in the output; the result is
 * double precision whatever the input.
 */
import { almxfl, gaussBeam } from "./beams.js";
import { UNSEEN } from "./nside.js";
import { alm2map, map2alm } from "./sht.js";
import type { FloatMap } from "./sht.js";

/** Options of {@link smoothing}. */
export interface SmoothingOptions {
  /** Largest multipole; default 3·nside − 1. */
  readonly lmax?: number;
  /** map2alm Jacobi iterations; default 3. */
  readonly iter?: number;
  /** Caller-owned output map (float64, 12·nside² pixels). */
  readonly out?: Float64Array;
}

/**
 * a_lm·b_l for a Gaussian beam of `fwhmRad` radians (mmax = lmax), as healpy's
 * `smoothalm(alm, fwhm)`. Writes into `out` (may be `alm` itself); default a new array.
 * Throws a RangeError for a bad fwhm, lmax or alm size.
 */
export function smoothAlm(alm: Float64Array, fwhmRad: number, lmax: number, out?: Float64Array): Float64Array {
  return almxfl(alm, gaussBeam(fwhmRad, lmax), lmax, out);
}

/**
 * Smooths a full-sky RING map with a Gaussian beam of `fwhmRad` radians, as healpy's
 * `smoothing(map, fwhm, lmax, iter)`. Returns a float64 map; UNSEEN input pixels stay UNSEEN.
 * Throws a RangeError for a bad map length, fwhm, lmax or iter.
 */
export function smoothing(map: FloatMap, fwhmRad: number, options: SmoothingOptions = {}): Float64Array {
  const nside = Math.round(Math.sqrt(map.length / 12));
  const lmax = options.lmax ?? 3 * nside - 1;
  const beam = gaussBeam(fwhmRad, lmax); // validates fwhm before the expensive part
  const alm = map2alm(map, { lmax, ...(options.iter !== undefined && { iter: options.iter }) });
  almxfl(alm, beam, lmax, alm);
  const out = alm2map(alm, nside, { lmax, ...(options.out !== undefined && { out: options.out }) });
  for (let i = 0; i < map.length; i++) {
    if (Math.abs(map[i]! - UNSEEN) <= 1e-5 * -UNSEEN) out[i] = UNSEEN;
  }
  return out;
}
