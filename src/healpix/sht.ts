/**
 * Spherical-harmonic transforms of temperature maps: synthesis (alm2map) and analysis (map2alm)
 * on RING-ordered HEALPix maps, matching healpy 1.16 (HEALPIX.md "Spherical harmonics"). The
 * polarised (spin-2) transforms in ./sht-spin2.ts reuse this module's ring pairs, chunking and
 * Legendre kernel.
 *
 * | symbol  | meaning                                                           | range              |
 * |---------|-------------------------------------------------------------------|--------------------|
 * | nside   | map resolution                                                    | 2^k ≤ 8192         |
 * | lmax    | largest multipole                                                 | ≥ 0                |
 * | mmax    | largest m (default lmax)                                          | 0 … lmax           |
 * | a_lm    | complex coefficients, healpy m-major layout, interleaved re/im    |                    |
 * | i       | ring pair: northern ring i and its mirror (i = 2·nside: equator)  | 1 … 2·nside        |
 * | F_m     | Σ_l a_lm λ_lm(cos θ) for one ring                                 |                    |
 * | G_m     | F_m e^{im·phi0}: ring Fourier coefficient before aliasing         |                    |
 * | w       | quadrature weight per pixel, 4π/npix                              |                    |
 *
 * Synthesis: per ring, map(φ_j) = Re G_0 + 2 Re Σ_{m≥1} G_m e^{2πimj/nphi}; m terms beyond the
 * ring's Nyquist frequency alias into bin m mod nphi (and their conjugates into −m mod nphi), then
 * one unnormalised inverse real FFT. Analysis is the transpose: forward real FFT of each ring, bin
 * m mod nphi times w e^{−im·phi0}, then a_lm = Σ_rings λ_lm · that.
 *
 * Work is organised in chunks of ring pairs ("lanes"): per chunk, the ring FFT stages (./fft.ts,
 * WebAssembly) and the Legendre kernel (./legendre.ts, WebAssembly SIMD), which runs m by m over
 * all lanes so that one m's coefficients and recurrence tables stay in cache. Both kernels are
 * single-threaded.
 *
 * Memory beyond the input and the output: the chunk's F buffer (≤ {@link chunkBudgetBytes}: 64 MiB,
 * or half a float64 map at nside ≥ 2048), the FFT plan cache (≤ 64 MiB, FFT_TABLE_BUDGET),
 * O(lmax + nside) tables; map2alm adds a copy of the alm in kernel memory and, for iter > 0, one
 * float64 residual map. Kernel memory above 128 MiB is released after each call (WebAssembly
 * memory cannot shrink).
 * Measured at nside 1024, lmax 3071: alm2map raises the resident set by ~2.3 float64 maps
 * including its output.
 */
import { almShape, almSize, checkLmax } from "./alm.js";
import { ringFft } from "./fft.js";
import { LANES_PER_BLOCK, legendreKernel, releaseLegendreKernel } from "./legendre.js";
import type { LegendreKernel } from "./legendre.js";
import { checkNside, UNSEEN } from "./nside.js";
import { ringInfo } from "./rings.js";
import { scratchF64 } from "./scratch.js";

/** A RING-ordered map: double or single precision. */
export type FloatMap = Float64Array | Float32Array;

/** Options of {@link alm2map}. */
export interface Alm2MapOptions {
  /** Largest multipole in `alm`; default: inferred from its length (with `mmax`, or mmax = lmax). */
  readonly lmax?: number;
  /** Largest m in `alm`; default lmax. */
  readonly mmax?: number;
  /** Caller-owned output map of 12·nside² pixels; its type decides the output precision. */
  readonly out?: FloatMap;
  /** Output precision when `out` is not given; default "float64". Computation is always float64. */
  readonly dtype?: "float64" | "float32";
}

/** Options of {@link map2alm}. */
export interface Map2AlmOptions {
  /** Largest multipole; default 3·nside − 1. */
  readonly lmax?: number;
  /** Largest m; default lmax. */
  readonly mmax?: number;
  /** Jacobi iterations alm += A(map − S(alm)); default 3 (healpy's default). */
  readonly iter?: number;
  /** Caller-owned output alm (2·almSize(lmax, mmax) doubles); overwritten. */
  readonly out?: Float64Array;
}

/** Geometry of the 2·nside ring pairs, pole to equator. */
export interface RingPairs {
  readonly nside: number;
  readonly npix: number;
  readonly count: number;
  readonly cosTheta: Float64Array;
  readonly sinTheta: Float64Array;
  readonly nphi: Int32Array;
  readonly phi0: Float64Array;
  readonly northFirst: Float64Array;
  /** First pixel of the southern ring, −1 for the equator (no mirror). */
  readonly southFirst: Float64Array;
}

const pairCache = new Map<number, RingPairs>();

/** The ring pairs of `nside` (cached per nside; spin 0 and spin 2 share them). */
export function ringPairs(nside: number): RingPairs {
  let rp = pairCache.get(nside);
  if (rp !== undefined) return rp;
  const info = ringInfo(nside);
  const count = 2 * nside;
  const cosTheta = new Float64Array(count);
  const sinTheta = new Float64Array(count);
  const nphi = new Int32Array(count);
  const phi0 = new Float64Array(count);
  const northFirst = new Float64Array(count);
  const southFirst = new Float64Array(count);
  for (let p = 0; p < count; p++) {
    const north = p; // ring i = p + 1
    const south = 4 * nside - 2 - p;
    cosTheta[p] = info.cosTheta[north]!;
    sinTheta[p] = info.sinTheta[north]!;
    nphi[p] = info.nphi[north]!;
    phi0[p] = info.phi0[north]!;
    northFirst[p] = info.firstPixel[north]!;
    southFirst[p] = south === north ? -1 : info.firstPixel[south]!;
  }
  rp = { nside, npix: 12 * nside * nside, count, cosTheta, sinTheta, nphi, phi0, northFirst, southFirst };
  pairCache.set(nside, rp);
  return rp;
}

/**
 * Bytes of F buffer per chunk: 64 MiB (one chunk up to nside 512, where the per-m tables are then
 * built once per m), or half a float64 map at nside ≥ 2048.
 */
export function chunkBudgetBytes(npix: number): number {
  return Math.max(64 * 1024 * 1024, 4 * npix);
}

/** Kernel memory kept between calls; larger instances are dropped after the transform. */
export const KEEP_KERNEL_BYTES = 128 * 1024 * 1024;

/**
 * Ring pairs per chunk: as many as the F budget holds, in whole kernel blocks. `extraPerLane` is
 * further bytes per lane and m (spin 2: the second F set, 32).
 */
export function lanesPerChunk(pairs: number, mmax: number, npix: number, extraPerLane = 0): number {
  const perLane = (32 + extraPerLane) * (mmax + 1);
  const fit = Math.floor(chunkBudgetBytes(npix) / perLane / LANES_PER_BLOCK) * LANES_PER_BLOCK;
  return Math.max(LANES_PER_BLOCK, Math.min(fit, Math.ceil(pairs / LANES_PER_BLOCK) * LANES_PER_BLOCK));
}

/** True for healpy's UNSEEN sentinel, within 1e-5 relative. */
function isUnseen(v: number): boolean {
  return Math.abs(v - UNSEEN) <= 1e-5 * -UNSEEN;
}

/** Synthesis core: alm (validated) → out (validated). */
function synthesize(alm: Float64Array, lmax: number, mmax: number, pairs: RingPairs, out: FloatMap): void {
  const kernel = legendreKernel();
  const chunk = lanesPerChunk(pairs.count, mmax, pairs.npix);
  for (let from = 0; from < pairs.count; from += chunk) {
    const count = Math.min(chunk, pairs.count - from);
    kernel.layout(count, lmax, mmax);
    kernel.setLanes(pairs.cosTheta, pairs.sinTheta, from, count);
    const mEnd = legendreSweep(kernel, mmax, (m) => {
      // The a_lm of one m are contiguous in healpy's layout.
      const start = 2 * ((m * (2 * lmax + 1 - m)) / 2 + m);
      kernel.f64.set(alm.subarray(start, start + 2 * (lmax - m + 1)), kernel.colIndex);
      return kernel.synth(m);
    });
    for (let lane = 0; lane < count; lane++) {
      const p = from + lane;
      const ring = ringFft(pairs.nphi[p]!);
      ring.synthesize(kernel.column(lane, false), mEnd, pairs.phi0[p]!, out, pairs.northFirst[p]!);
      const south = pairs.southFirst[p]!;
      if (south >= 0) ring.synthesize(kernel.column(lane, true), mEnd, pairs.phi0[p]!, out, south);
    }
  }
  releaseLegendreKernel(KEEP_KERNEL_BYTES);
}

/**
 * Runs `step` (which returns whether any lane stays live) for m = 0 … mmax after preparing each
 * order; stops once every lane is dead (all further λ_lm negligible). Returns the first m not
 * processed.
 */
export function legendreSweep(kernel: LegendreKernel, mmax: number, step: (m: number) => boolean): number {
  for (let m = 0; m <= mmax; m++) {
    kernel.beginM(m);
    if (!step(m)) return m + 1;
  }
  return mmax + 1;
}

/** Analysis core: adds A(map) into alm (validated sizes); `fresh` when alm is all zeros. */
function analyzeAdd(map: FloatMap, lmax: number, mmax: number, pairs: RingPairs, alm: Float64Array, fresh: boolean): void {
  const kernel = legendreKernel();
  const chunk = lanesPerChunk(pairs.count, mmax, pairs.npix);
  const weight = (4 * Math.PI) / pairs.npix;
  for (let from = 0; from < pairs.count; from += chunk) {
    const count = Math.min(chunk, pairs.count - from);
    // The kernel accumulates into its own copy of alm (offset 0), seeded with the current values.
    kernel.layout(count, lmax, mmax, 8 * alm.length);
    if (from === 0) {
      if (fresh) kernel.f64.fill(0, 0, alm.length);
      else kernel.f64.set(alm, 0);
    }
    kernel.setLanes(pairs.cosTheta, pairs.sinTheta, from, count);
    for (let lane = 0; lane < count; lane++) {
      const p = from + lane;
      const ring = ringFft(pairs.nphi[p]!);
      ring.analyze(map, pairs.northFirst[p]!, pairs.phi0[p]!, weight, mmax, kernel.column(lane, false));
      const south = pairs.southFirst[p]!;
      if (south >= 0) ring.analyze(map, south, pairs.phi0[p]!, weight, mmax, kernel.column(lane, true));
      else kernel.clearColumn(lane, true); // equator: no mirror ring, no southern contribution
    }
    legendreSweep(kernel, mmax, (m) => kernel.analyze(m, 2 * ((m * (2 * lmax + 1 - m)) / 2 + m)));
  }
  alm.set(kernel.f64.subarray(0, alm.length));
  releaseLegendreKernel(KEEP_KERNEL_BYTES);
  // healpy sets Im(a_l0) = 0 (it is zero up to rounding for a real map).
  for (let l = 0; l <= lmax; l++) alm[2 * l + 1] = 0;
}

/** Throws a RangeError naming `what` unless it has 12·nside² pixels. */
export function checkMapLength(length: number, nside: number, what: string): void {
  const npix = 12 * nside * nside;
  if (length !== npix) throw new RangeError(`${what} has ${String(length)} pixels, nside ${String(nside)} needs ${String(npix)}`);
}

/**
 * Spherical-harmonic synthesis: the RING-ordered map Σ_lm a_lm Y_lm of resolution `nside`
 * (healpy's `alm2map(alm, nside, lmax, mmax)`, pixwin and beam not applied). `alm` is interleaved
 * complex in healpy's m-major layout. Throws a RangeError for a bad nside, lmax/mmax, alm size, or
 * `out` length.
 */
export function alm2map(alm: Float64Array, nside: number, options: Alm2MapOptions & { readonly dtype: "float32" }): Float32Array;
export function alm2map(alm: Float64Array, nside: number, options: Alm2MapOptions & { readonly out: Float32Array }): Float32Array;
export function alm2map(alm: Float64Array, nside: number, options?: Alm2MapOptions & { readonly dtype?: "float64"; readonly out?: Float64Array }): Float64Array;
export function alm2map(alm: Float64Array, nside: number, options?: Alm2MapOptions): FloatMap;
export function alm2map(alm: Float64Array, nside: number, options: Alm2MapOptions = {}): FloatMap {
  checkNside(nside);
  const [lmax, mmax] = almShape(alm.length, options.lmax, options.mmax);
  const npix = 12 * nside * nside;
  let out: FloatMap;
  if (options.out !== undefined) {
    checkMapLength(options.out.length, nside, "out");
    const outType = options.out instanceof Float32Array ? "float32" : "float64";
    if (options.dtype !== undefined && options.dtype !== outType) {
      throw new RangeError(`dtype "${options.dtype}" does not match the ${outType} out buffer`);
    }
    out = options.out;
  } else {
    out = options.dtype === "float32" ? new Float32Array(npix) : new Float64Array(npix);
  }
  synthesize(alm, lmax, mmax, ringPairs(nside), out);
  return out;
}

/** nside of a full-sky map of `length` pixels; RangeError unless 12·nside² for a valid nside. */
export function nsideOfMap(length: number): number {
  const nside = Math.round(Math.sqrt(length / 12));
  if (12 * nside * nside !== length || (nside & (nside - 1)) !== 0 || nside < 1) {
    throw new RangeError(`map length ${String(length)} is not 12·nside² for a power-of-two nside`);
  }
  checkNside(nside);
  return nside;
}

/**
 * Spherical-harmonic analysis of a full-sky RING-ordered map (healpy's `map2alm(map, lmax, mmax,
 * iter)` with uniform weights 4π/npix): alm = A(map), then `iter` times alm += A(map − S(alm)).
 * Pixels equal to UNSEEN (within 1e-5 relative) count as 0; healpy 1.16 zeroes them within
 * ~1e-7 relative and aborts with "map contains undefined pixels" between 1e-7 and 1e-5.
 * Returns interleaved complex alm in healpy's layout with Im(a_l0) = 0. Throws a RangeError for a
 * map length that is not 12·nside², bad lmax/mmax/iter, or a wrong `out` length.
 */
export function map2alm(map: FloatMap, options: Map2AlmOptions = {}): Float64Array {
  const nside = nsideOfMap(map.length);
  const lmax = options.lmax ?? 3 * nside - 1;
  const mmax = options.mmax ?? lmax;
  checkLmax(lmax, mmax);
  const iter = options.iter ?? 3;
  if (!Number.isInteger(iter) || iter < 0) throw new RangeError(`iter must be a non-negative integer, got ${String(iter)}`);
  const size = 2 * almSize(lmax, mmax);
  let alm: Float64Array;
  if (options.out !== undefined) {
    if (options.out.length !== size) {
      throw new RangeError(`out has ${String(options.out.length)} doubles, lmax=${String(lmax)}, mmax=${String(mmax)} needs ${String(size)}`);
    }
    alm = options.out; // fully overwritten by the first analysis
  } else {
    alm = new Float64Array(size);
  }
  const pairs = ringPairs(nside);
  analyzeAdd(map, lmax, mmax, pairs, alm, true);
  if (iter > 0) {
    const residual = scratchF64("map2alm.residual", map.length);
    for (let it = 0; it < iter; it++) {
      synthesize(alm, lmax, mmax, pairs, residual);
      for (let i = 0; i < residual.length; i++) {
        const v = map[i]!;
        residual[i] = (isUnseen(v) ? 0 : v) - residual[i]!;
      }
      analyzeAdd(residual, lmax, mmax, pairs, alm, false);
    }
  }
  return alm;
}
