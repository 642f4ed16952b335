import { describe, expect, it } from "vitest";
import { UNSEEN } from "../../src/healpix/nside.js";
import { RandomState } from "../../src/healpix/rng.js";
import {
  accumulateStats,
  emptyStats,
  finalizeStats,
  isUnseen,
  mapStats,
  mergeStats,
  type StatsAccumulator,
} from "../../src/healpix/stats.js";

/** Reference statistics in float64, two plain passes over an already-filtered array. */
function reference(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const v = values.reduce((s, x) => s + (x - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(v) };
}

describe("mapStats", () => {
  it("skips NaN and UNSEEN (within healpy's 1e-5 relative tolerance) and uses ddof = 0", () => {
    const map = [1, Number.NaN, 2, UNSEEN, 3, UNSEEN * (1 + 5e-6), 4, UNSEEN * (1 - 9e-6)];
    const s = mapStats(map);
    expect(s.count).toBe(4);
    expect(s.min).toBe(1);
    expect(s.max).toBe(4);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBe(Math.sqrt(1.25)); // numpy: np.std([1, 2, 3, 4]) = 1.118033988749895
    expect(isUnseen(UNSEEN * (1 + 2e-5))).toBe(false);
    expect(mapStats([UNSEEN * (1 + 2e-5)]).count).toBe(1);
  });

  it("reports NaN fields and count 0 when nothing is valid", () => {
    for (const map of [[], [Number.NaN, UNSEEN], new Float32Array([UNSEEN, UNSEEN])]) {
      const s = mapStats(map);
      expect(s.count).toBe(0);
      expect([s.min, s.max, s.mean, s.std].every(Number.isNaN)).toBe(true);
    }
  });

  it("is stable for a large offset (where E[x²] − E[x]² cancels)", () => {
    const map = Float64Array.from({ length: 1000 }, (_, i) => 1e9 + (i % 10));
    const s = mapStats(map);
    expect(s.mean).toBe(1e9 + 4.5);
    expect(Math.abs(s.std - 2.8722813232690143)).toBeLessThan(1e-12); // np.std of the same values
  });

  it("accumulates a Float32Array in float64", () => {
    const n = 200_000;
    const map = new Float32Array(n);
    const rng = new RandomState(42);
    for (let i = 0; i < n; i++) map[i] = 12345.678 + rng.standardNormal();
    const ref = reference(Array.from(map));
    const s = mapStats(map);
    expect(Math.abs(s.mean - ref.mean)).toBeLessThan(1e-9);
    expect(Math.abs(s.std / ref.std - 1)).toBeLessThan(1e-9);
    // A float32 running sum would be off by far more than that.
    let f32 = 0;
    for (let i = 0; i < n; i++) f32 = Math.fround(f32 + map[i]!);
    expect(Math.abs(f32 / n - ref.mean)).toBeGreaterThan(1e-3);
  });
});

describe("mergeable statistics", () => {
  const rng = new RandomState(7);
  const maps = Array.from({ length: 6 }, (_, k) => {
    const m = new Float64Array(1000 + 137 * k);
    for (let i = 0; i < m.length; i++) m[i] = 100 * k + (k + 1) * rng.standardNormal();
    m[3] = UNSEEN;
    m[5] = Number.NaN;
    return m;
  });
  const whole = mapStats(maps.flatMap((m) => Array.from(m)));

  function close(a: number, b: number): void {
    expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b)));
  }

  it("merging per-map partials equals one pass over all maps, in any grouping", () => {
    const partials = maps.map((m) => accumulateStats(emptyStats(), m));
    const sequential = finalizeStats(partials.reduce(mergeStats, emptyStats()));
    const tree = finalizeStats(
      mergeStats(mergeStats(partials[5]!, partials[0]!), mergeStats(mergeStats(partials[2]!, partials[4]!), mergeStats(partials[1]!, partials[3]!))),
    );
    const chained = finalizeStats(maps.reduce<StatsAccumulator>((acc, m) => accumulateStats(acc, m), emptyStats()));
    for (const s of [sequential, tree, chained]) {
      expect(s.count).toBe(whole.count);
      expect(s.min).toBe(whole.min);
      expect(s.max).toBe(whole.max);
      close(s.mean, whole.mean);
      close(s.std, whole.std);
    }
    expect(whole.count).toBe(maps.reduce((n, m) => n + m.length - 2, 0));
  });

  it("treats empty accumulators as the identity, also after a JSON round trip", () => {
    const a = accumulateStats(emptyStats(), maps[0]!);
    const emptyJson = JSON.parse(JSON.stringify(emptyStats())) as StatsAccumulator;
    expect(emptyJson.min).toBeNull();
    expect(mergeStats(a, emptyJson)).toEqual(a);
    expect(mergeStats(emptyJson, a)).toEqual(a);
    expect(mergeStats(emptyStats(), emptyStats())).toEqual(emptyStats());
    expect(accumulateStats(a, [UNSEEN, Number.NaN])).toEqual(a);
    // Partials are plain data: a JSON round trip of a non-empty one changes nothing.
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  });

  it("does not modify its inputs", () => {
    const a = accumulateStats(emptyStats(), maps[1]!);
    const before = { ...a };
    mergeStats(a, accumulateStats(emptyStats(), maps[2]!));
    accumulateStats(a, maps[3]!);
    expect(a).toEqual(before);
  });
});
