import { describe, expect, it } from "vitest";
import { LegendreKernel } from "../../src/healpix/legendre.js";
import { loadNativeAddon, nativeIsas } from "../../src/healpix/legendre-native.js";
import { kernelCases } from "./kernels.js";

/** A few ring pairs spread from pole to equator. */
function geometry(count: number): { cos: Float64Array; sin: Float64Array } {
  const cos = new Float64Array(count), sin = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    cos[i] = 0.999 - (0.999 * i) / count;
    sin[i] = Math.sqrt(1 - cos[i]! * cos[i]!);
  }
  return { cos, sin };
}

/** Column of order m: l = m … lmax, interleaved, seeded by `seed`. */
function column(m: number, lmax: number, seed: number): Float64Array {
  const c = new Float64Array(2 * (lmax + 1 - m));
  for (let i = 0; i < c.length; i++) c[i] = Math.sin(seed * 1.7 + i * 0.37);
  return c;
}

const LANES = 37, LMAX = 40, MMAX = 40, MS = [0, 3, 17];

/** F(lane, ring, m) of every lane and both rings for the m of MS, read from F set `set`. */
function readF(k: LegendreKernel, set: number): number[] {
  const out: number[] = [];
  for (const m of MS) {
    for (let lane = 0; lane < LANES; lane++) {
      for (const south of [false, true]) {
        const at = k.entry(lane, south, m, set);
        out.push(k.f64[at]!, k.f64[at + 1]!);
      }
    }
  }
  return out;
}

/** Synthesis of the columns `seeds` (one per F set) over m = 0 … max(MS). */
function synthesize(spec: NonNullable<ReturnType<typeof kernelCases>[number]["spec"]>, seeds: readonly number[]): number[][] {
  const k = new LegendreKernel(spec);
  const { cos, sin } = geometry(LANES);
  k.layout(LANES, LMAX, MMAX, 0, seeds.length);
  k.setLanes(cos, sin, 0, LANES);
  for (let m = 0; m <= Math.max(...MS); m++) {
    k.beginM(m);
    seeds.forEach((seed, set) => {
      k.f64.set(column(m, LMAX, seed + m), k.colIndex);
      k.synth(m, set);
    });
  }
  return seeds.map((_, set) => readF(k, set));
}

type Spec = NonNullable<ReturnType<typeof kernelCases>[number]["spec"]>;

/** synthSets(m, sets) gives each set's F exactly as that column synthesised alone. */
function checkSynthSets(spec: Spec, sets: 2 | 4): void {
  const seeds = [1, 2, 5, 7].slice(0, sets);
  const alone = synthesize(spec, seeds);
  const k = new LegendreKernel(spec);
  const { cos, sin } = geometry(LANES);
  k.layout(LANES, LMAX, MMAX, 0, sets);
  k.setLanes(cos, sin, 0, LANES);
  for (let m = 0; m <= Math.max(...MS); m++) {
    k.beginM(m);
    seeds.forEach((seed, set) => k.f64.set(column(m, LMAX, seed + m), k.colIndexOf(set)));
    k.synthSets(m, sets);
  }
  seeds.forEach((_, set) => expect(readF(k, set)).toEqual(alone[set]));
  expect(new Set(alone.map((f) => f.join())).size).toBe(sets);
}

/** analyzeSets(m, columns) adds into each set's alm region exactly what one analyze call per set adds. */
function checkAnalyzeSets(spec: Spec, sets: 2 | 4): void {
  const run = (batched: boolean): number[] => {
    const k = new LegendreKernel(spec);
    const { cos, sin } = geometry(LANES);
    const almDoubles = 2 * ((MMAX + 1) * (2 * LMAX + 2 - MMAX)) / 2;
    k.layout(LANES, LMAX, MMAX, 8 * sets * almDoubles, sets);
    k.f64.fill(0, 0, sets * almDoubles);
    k.setLanes(cos, sin, 0, LANES);
    for (let set = 0; set < sets; set++) {
      for (let lane = 0; lane < LANES; lane++) {
        for (const south of [false, true]) {
          for (let m = 0; m <= MMAX; m++) {
            const at = k.entry(lane, south, m, set);
            k.f64[at] = Math.cos(lane + 0.1 * m + (south ? 0.5 : 0) + set);
            k.f64[at + 1] = Math.sin(lane * 0.3 - m - 2 * set);
          }
        }
      }
    }
    for (let m = 0; m <= MMAX; m++) {
      k.beginM(m);
      const col = 2 * ((m * (2 * LMAX + 1 - m)) / 2 + m);
      const cols = Array.from({ length: sets }, (_, b) => b * almDoubles + col);
      if (batched) k.analyzeSets(m, cols);
      else cols.forEach((c, b) => k.analyze(m, c, b));
    }
    return Array.from(k.f64.subarray(0, sets * almDoubles));
  };
  const each = run(false);
  expect(run(true)).toEqual(each);
  const size = each.length / sets;
  const regions = Array.from({ length: sets }, (_, b) => each.slice(b * size, (b + 1) * size).join());
  expect(new Set(regions).size).toBe(sets);
}

describe.each(kernelCases())("$name kernel: F sets", (kc) => {
  const suite = kc.skip === undefined ? describe : describe.skip;
  suite(kc.skip ?? "", () => {
    it("synthesises each field into its own F set, equal to a run with that field alone", () => {
      const [q, u] = synthesize(kc.spec!, [1, 2]);
      const [qAlone] = synthesize(kc.spec!, [1]);
      const [uAlone] = synthesize(kc.spec!, [2]);
      expect(q).toEqual(qAlone);
      expect(u).toEqual(uAlone);
      expect(q).not.toEqual(u);
    });

    it.each([2, 4] as const)("synthesises %i fields in one synthSets call exactly as one synth call each (native: one shared pass)", (sets) => {
      checkSynthSets(kc.spec!, sets);
    });

    it("refuses a batched pass over more sets than the layout made, before touching memory", () => {
      const k = new LegendreKernel(kc.spec);
      const { cos, sin } = geometry(LANES);
      k.layout(LANES, LMAX, MMAX, 0, 2);
      k.setLanes(cos, sin, 0, LANES);
      k.beginM(0);
      expect(() => k.synthSets(0, 4)).toThrow("4 sets in one pass, but the layout has 2");
      expect(() => k.analyzeSets(0, [0, 0, 0, 0])).toThrow("4 sets in one pass, but the layout has 2");
    });

    it("synthPair is synthSets with the second column at colIndex2", () => {
      const [q, u] = synthesize(kc.spec!, [1, 2]);
      const k = new LegendreKernel(kc.spec);
      const { cos, sin } = geometry(LANES);
      k.layout(LANES, LMAX, MMAX, 0, 2);
      k.setLanes(cos, sin, 0, LANES);
      for (let m = 0; m <= Math.max(...MS); m++) {
        k.beginM(m);
        k.f64.set(column(m, LMAX, 1 + m), k.colIndex);
        k.f64.set(column(m, LMAX, 2 + m), k.colIndex2);
        k.synthPair(m);
      }
      expect(readF(k, 0)).toEqual(q);
      expect(readF(k, 1)).toEqual(u);
    });

    it.each([2, 4] as const)("analyses %i F sets in one analyzeSets call exactly as one analyze call each (native: one shared pass)", (sets) => {
      checkAnalyzeSets(kc.spec!, sets);
    });

    it("analyses F set 1 into its own alm region, equal to the same F in set 0 alone", () => {
      const run = (sets: number, set: number): number[] => {
        const k = new LegendreKernel(kc.spec);
        const { cos, sin } = geometry(LANES);
        const almDoubles = 2 * ((MMAX + 1) * (2 * LMAX + 2 - MMAX)) / 2;
        k.layout(LANES, LMAX, MMAX, 8 * almDoubles, sets);
        k.f64.fill(0, 0, almDoubles);
        k.setLanes(cos, sin, 0, LANES);
        for (let lane = 0; lane < LANES; lane++) {
          for (const south of [false, true]) {
            for (let m = 0; m <= MMAX; m++) {
              const at = k.entry(lane, south, m, set);
              k.f64[at] = Math.cos(lane + 0.1 * m + (south ? 0.5 : 0));
              k.f64[at + 1] = Math.sin(lane * 0.3 - m);
              // The other set holds something else, which must not leak in.
              if (sets === 2) {
                const other = k.entry(lane, south, m, 1 - set);
                k.f64[other] = 1e6;
                k.f64[other + 1] = -1e6;
              }
            }
          }
        }
        for (let m = 0; m <= MMAX; m++) {
          k.beginM(m);
          k.analyze(m, 2 * ((m * (2 * LMAX + 1 - m)) / 2 + m), set);
        }
        return Array.from(k.f64.subarray(0, almDoubles));
      };
      const alone = run(1, 0);
      expect(run(2, 1)).toEqual(alone);
      expect(run(2, 0)).toEqual(alone);
      expect(alone.some((v) => v !== 0)).toBe(true);
    });
  });
});

// The suites above run the fastest instruction set; the batched passes are compiled per set, so
// every one this CPU runs is checked here, and each must have its own one-pass entries.
const addon = loadNativeAddon();
describe.skipIf(!addon.ok)("native batched passes on every instruction set this CPU runs", () => {
  it.each(nativeIsas())("%s: synth2/4 and analyze2/4 are one-pass entries equal to per-set calls", (isa) => {
    if (!addon.ok) return;
    const variant = addon.addon[isa]!;
    for (const fn of [variant.synth2, variant.synth4, variant.analyze2, variant.analyze4]) expect(fn).toBeTypeOf("function");
    const spec: Spec = { kind: "native", addon: addon.addon, isa };
    for (const sets of [2, 4] as const) {
      checkSynthSets(spec, sets);
      checkAnalyzeSets(spec, sets);
    }
  });
});
