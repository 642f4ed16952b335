/**
 * White (uncorrelated, Gaussian) pixel noise and its spectrum (HEALPIX.md "Beams, windows, noise").
 *
 * | symbol | meaning                                                     | units / range        |
 * |--------|-------------------------------------------------------------|----------------------|
 * | npix   | pixels of the map, 12·nside²                                | 12 … 805 306 368     |
 * | Ω_pix  | pixel solid angle, 4π/npix sr = (4π/npix)(10800/π)² arcmin² | arcmin²              |
 * | Δ      | noise depth                                                 | μK·arcmin, ≥ 0       |
 * | σ_p    | noise standard deviation in pixel p, Δ/√Ω_pix for a depth   | μK (map units), ≥ 0  |
 * | g_p    | standard normal deviate for pixel p                         | N(0, 1)              |
 * | n_p    | noise in pixel p, σ_p·g_p                                   | μK                   |
 * | N_l    | noise power spectrum, flat: (4π/npix)·⟨σ_p²⟩ = (Δ·π/10800)² | μK²·sr               |
 */
import { checkNside } from "./nside.js";
import type { RandomState } from "./rng.js";

/** Solid angle of one pixel at `nside`, in square arcminutes: (4π/npix)·(10800/π)². */
export function pixelAreaArcmin2(nside: number): number {
  checkNside(nside);
  const npix = 12 * nside * nside;
  const arcminPerRad = 10800 / Math.PI;
  return ((4 * Math.PI) / npix) * arcminPerRad * arcminPerRad;
}

/**
 * Per-pixel noise standard deviation σ_p = Δ/√Ω_pix for a white-noise depth Δ.
 * @param depthUkArcmin noise depth Δ in μK·arcmin (any map unit × arcmin), finite and ≥ 0
 * @param nside map resolution
 * @returns σ_p in μK (the depth's map unit)
 */
export function noiseSigmaFromDepth(depthUkArcmin: number, nside: number): number {
  if (!(Number.isFinite(depthUkArcmin) && depthUkArcmin >= 0)) {
    throw new RangeError(`noise depth must be finite and ≥ 0 μK·arcmin, got ${String(depthUkArcmin)}`);
  }
  return depthUkArcmin / Math.sqrt(pixelAreaArcmin2(nside));
}

/**
 * Flat power-spectrum level of white noise, N_l = (4π/npix)·⟨σ_p²⟩, the mean over pixels.
 * @param sigma σ_p in map units: one value for every pixel, or an array of npix values
 * @returns N_l in map units² · sr (μK²·sr for μK maps), the same for every l
 */
export function noiseSpectrumLevel(sigma: number | ArrayLike<number>, nside: number): number {
  checkNside(nside);
  const npix = 12 * nside * nside;
  if (typeof sigma === "number") return ((4 * Math.PI) / npix) * sigma * sigma;
  if (sigma.length !== npix) {
    throw new RangeError(`sigma must hold npix = ${String(npix)} values for nside ${String(nside)}, got ${String(sigma.length)}`);
  }
  let sum = 0;
  for (let p = 0; p < npix; p++) sum += sigma[p]! * sigma[p]!;
  return ((4 * Math.PI) / npix) * (sum / npix);
}

/**
 * N_l of white noise of depth Δ, (Δ·π/10800)² — independent of nside, equal to
 * `noiseSpectrumLevel(noiseSigmaFromDepth(Δ, nside), nside)`.
 * @param depthUkArcmin Δ in μK·arcmin
 * @returns N_l in μK²·sr
 */
export function noiseSpectrumFromDepth(depthUkArcmin: number): number {
  const d = depthUkArcmin * (Math.PI / 10800);
  return d * d;
}

/**
 * White-noise map n_p = σ_p·g_p in RING pixel order: pixel p takes the p-th normal drawn, so
 * the map equals numpy's `sigma * RandomState(s).standard_normal(npix)` (to the last bits of the
 * normals, see rng.ts).
 * @param nside map resolution
 * @param sigma σ_p in map units: one value, or npix values (Float64Array), each finite and ≥ 0
 * @param rng the generator; advanced by exactly npix normals
 * @param out caller-owned buffer of npix values (Float64Array or Float32Array); default new Float64Array
 * @returns `out`
 */
export function whiteNoiseMap<T extends Float64Array | Float32Array = Float64Array>(
  nside: number,
  sigma: number | Float64Array,
  rng: RandomState,
  out?: T,
): T {
  checkNside(nside);
  const npix = 12 * nside * nside;
  const map = out ?? (new Float64Array(npix) as T);
  if (map.length !== npix) {
    throw new RangeError(`noise map output must hold npix = ${String(npix)} values for nside ${String(nside)}, got ${String(map.length)}`);
  }
  if (typeof sigma === "number") {
    if (!(Number.isFinite(sigma) && sigma >= 0)) throw new RangeError(`sigma must be finite and ≥ 0, got ${String(sigma)}`);
    for (let p = 0; p < npix; p++) map[p] = sigma * rng.standardNormal();
    return map;
  }
  if (sigma.length !== npix) {
    throw new RangeError(`sigma must hold npix = ${String(npix)} values for nside ${String(nside)}, got ${String(sigma.length)}`);
  }
  // Validate before drawing so a bad value neither advances the generator nor half-writes `out`.
  for (let p = 0; p < npix; p++) {
    const s = sigma[p]!;
    if (!(Number.isFinite(s) && s >= 0)) throw new RangeError(`sigma[${String(p)}] must be finite and ≥ 0, got ${String(s)}`);
  }
  for (let p = 0; p < npix; p++) map[p] = sigma[p]! * rng.standardNormal();
  return map;
}
