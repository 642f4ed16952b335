/**
 * Gaussian beam smoothing of harmonic coefficients and maps (healpy's `smoothalm`/`smoothing`):
 * temperature, and I, Q, U with the polarised beam ({@link smoothingPol}).
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
import { almxfl, gaussBeam, gaussBeamPol } from "./beams.js";
import { UNSEEN } from "./nside.js";
import { alm2map, map2alm } from "./sht.js";
import type { FloatMap } from "./sht.js";
import { alm2mapPol, map2almPol } from "./sht-spin2.js";
import type { Triple } from "./sht-spin2.js";

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

/**
 * Applies per-field windows to (T, E, B) alm in place, as healpy's `almxfl` on each: T × fT,
 * E and B × fP (e.g. the T and polarisation columns of {@link gaussBeamPol} or of a pixel window).
 * Returns `alms`. Throws a RangeError for a bad lmax or alm size.
 */
export function almxflPol(alms: Triple<Float64Array>, fT: ArrayLike<number>, fP: ArrayLike<number>, lmax: number): Triple<Float64Array> {
  almxfl(alms[0], fT, lmax, alms[0]);
  almxfl(alms[1], fP, lmax, alms[1]);
  almxfl(alms[2], fP, lmax, alms[2]);
  return alms;
}

/**
 * (T, E, B) a_lm times the polarised Gaussian beam (healpy's `smoothalm(alms, fwhm, pol=True)`):
 * T × b^T_l, E and B × b^T_l·exp(2σ²). In place; returns `alms`.
 */
export function smoothAlmPol(alms: Triple<Float64Array>, fwhmRad: number, lmax: number): Triple<Float64Array> {
  const [bt, bp] = gaussBeamPol(fwhmRad, lmax);
  return almxflPol(alms, bt, bp, lmax);
}

/**
 * Smooths full-sky RING I, Q, U maps with a Gaussian beam of `fwhmRad` radians, as healpy's
 * `smoothing([I, Q, U], fwhm, lmax, iter)` (pol=True): {@link map2almPol} (UNSEEN as 0),
 * {@link smoothAlmPol}, {@link alm2mapPol}. Each field keeps its own UNSEEN pixels. Throws a
 * RangeError for bad map lengths, fwhm, lmax or iter.
 */
export function smoothingPol(maps: Triple<FloatMap>, fwhmRad: number, options: Omit<SmoothingOptions, "out"> = {}): Triple<Float64Array> {
  const nside = Math.round(Math.sqrt(maps[0].length / 12));
  const lmax = options.lmax ?? 3 * nside - 1;
  gaussBeam(fwhmRad, lmax); // validates fwhm before the expensive part
  const alms = map2almPol(maps, { lmax, ...(options.iter !== undefined && { iter: options.iter }) });
  smoothAlmPol(alms, fwhmRad, lmax);
  const out = alm2mapPol(alms, nside, { lmax });
  out.forEach((o, f) => {
    const map = maps[f]!;
    for (let i = 0; i < map.length; i++) {
      if (Math.abs(map[i]! - UNSEEN) <= 1e-5 * -UNSEEN) o[i] = UNSEEN;
    }
  });
  return out;
}
