/**
 * Map statistics (min, max, mean, standard deviation, count) that skip missing pixels and
 * merge across maps, for per-simulation scans reduced into dataset statistics.
 *
 * | symbol | meaning                                                       | range            |
 * |--------|---------------------------------------------------------------|------------------|
 * | x_i    | a valid pixel value: not NaN and not UNSEEN                   | float            |
 * | n      | number of valid pixels                                        | ≥ 0              |
 * | x̄      | mean, Σ x_i / n                                               |                  |
 * | M2     | sum of squared deviations from the mean, Σ (x_i − x̄)²          | ≥ 0              |
 * | std    | population standard deviation √(M2/n) (ddof = 0, numpy's `np.std` default) | ≥ 0 |
 *
 * A value is UNSEEN when |x − UNSEEN| ≤ 1e-5·|UNSEEN| (healpy's tolerance), UNSEEN = −1.6375e30.
 * ±Infinity is a valid value (and makes the mean and std infinite or NaN).
 *
 * Accuracy: all sums are float64, also for Float32Array input. Each call to
 * {@link accumulateStats} runs a two-pass over its map (mean first, then squared deviations
 * with the compensating term of the corrected two-pass algorithm), and partial results are
 * combined with Chan et al.'s pairwise update
 *   n = n_a + n_b, δ = x̄_b − x̄_a, x̄ = x̄_a + δ·n_b/n, M2 = M2_a + M2_b + δ²·n_a·n_b/n,
 * so merging per-map results equals one pass over all maps to rounding, in any grouping.
 */
import { UNSEEN } from "./nside.js";

/** Half-width of the UNSEEN band: 1e-5·|UNSEEN|. */
const UNSEEN_TOL = 1e-5 * Math.abs(UNSEEN);

/**
 * Mergeable partial statistics: plain data, so it can be cached and sent between threads.
 * An empty accumulator has count 0, mean 0, m2 0, min +Infinity, max −Infinity; merging
 * ignores the min/max of an empty side, so an empty accumulator that lost its infinities in
 * a JSON round trip (they become null) still merges correctly.
 */
export interface StatsAccumulator {
  /** Number of valid pixels seen. */
  readonly count: number;
  /** Mean of the valid pixels (0 when count is 0). */
  readonly mean: number;
  /** Sum of squared deviations from the mean. */
  readonly m2: number;
  /** Smallest valid value (+Infinity when count is 0). */
  readonly min: number;
  /** Largest valid value (−Infinity when count is 0). */
  readonly max: number;
}

/** Final statistics; every field but `count` is NaN when no pixel was valid. */
export interface MapStats {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** Population standard deviation (ddof = 0). */
  readonly std: number;
  /** Number of valid (not NaN, not UNSEEN) pixels. */
  readonly count: number;
}

/** True when `x` is healpy's UNSEEN marker within its relative tolerance 1e-5. */
export function isUnseen(x: number): boolean {
  return Math.abs(x - UNSEEN) <= UNSEEN_TOL;
}

/** The identity of {@link mergeStats}: no pixels. */
export function emptyStats(): StatsAccumulator {
  return { count: 0, mean: 0, m2: 0, min: Infinity, max: -Infinity };
}

/**
 * Statistics of `acc` and the valid pixels of `map` together (a new object; `acc` is not changed).
 * @param map pixel values in any order (Float32Array, Float64Array, number[] ...); NaN and UNSEEN skipped
 */
export function accumulateStats(acc: StatsAccumulator, map: ArrayLike<number>): StatsAccumulator {
  const n = map.length;
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = map[i]!;
    // x !== x is NaN; written out so the loop does no call.
    if (x !== x || Math.abs(x - UNSEEN) <= UNSEEN_TOL) continue;
    count++;
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (count === 0) return mergeStats(acc, emptyStats());
  const mean = sum / count;
  let m2 = 0;
  let comp = 0;
  for (let i = 0; i < n; i++) {
    const x = map[i]!;
    if (x !== x || Math.abs(x - UNSEEN) <= UNSEEN_TOL) continue;
    const d = x - mean;
    m2 += d * d;
    comp += d;
  }
  // Corrected two-pass: subtracting comp²/n removes the error of the rounded mean.
  m2 -= (comp * comp) / count;
  if (m2 < 0) m2 = 0;
  return mergeStats(acc, { count, mean: mean + comp / count, m2, min, max });
}

/** Statistics of the union of the pixels behind `a` and `b` (Chan et al. pairwise update; a new object). */
export function mergeStats(a: StatsAccumulator, b: StatsAccumulator): StatsAccumulator {
  if (b.count === 0) return a.count === 0 ? emptyStats() : { ...a };
  if (a.count === 0) return { ...b };
  const count = a.count + b.count;
  const delta = b.mean - a.mean;
  return {
    count,
    mean: a.mean + delta * (b.count / count),
    m2: a.m2 + b.m2 + delta * delta * ((a.count * b.count) / count),
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
  };
}

/** Final {min, max, mean, std (ddof = 0), count} of an accumulator; NaN fields when count is 0. */
export function finalizeStats(acc: StatsAccumulator): MapStats {
  if (acc.count === 0) return { min: NaN, max: NaN, mean: NaN, std: NaN, count: 0 };
  return { min: acc.min, max: acc.max, mean: acc.mean, std: Math.sqrt(acc.m2 / acc.count), count: acc.count };
}

/**
 * Statistics of one map's valid pixels: min, max, mean, population std (ddof = 0) and count,
 * skipping NaN and UNSEEN, accumulated in float64.
 */
export function mapStats(map: ArrayLike<number>): MapStats {
  return finalizeStats(accumulateStats(emptyStats(), map));
}
