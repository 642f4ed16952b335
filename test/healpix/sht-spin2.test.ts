import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { almIndex, almSize } from "../../src/healpix/alm.js";
import { alm2map, map2alm } from "../../src/healpix/sht.js";
import { alm2mapPol, map2almPol, WIGNER_M, WIGNER_S2 } from "../../src/healpix/sht-spin2.js";
import { RandomState } from "../../src/healpix/rng.js";
import { formulaAlm, formulaMap, gaussAlm, goldenCases, goldenValues, maxStridedError, num } from "./sht-goldens.js";
import { useLegendreKernel } from "../../src/healpix/legendre.js";
import { kernelCases, useKernelCase } from "./kernels.js";

/** The golden script's inputs of a pol case: formula alm or maps with seeds s, s + 1, s + 2. */
function tebAlm(lmax: number, mmax: number, s: number): [Float64Array, Float64Array, Float64Array] {
  return [formulaAlm(lmax, mmax, s), formulaAlm(lmax, mmax, s + 1), formulaAlm(lmax, mmax, s + 2)];
}

// Every golden runs under each Legendre kernel (WebAssembly, and native where the addon is built).
describe.each(kernelCases())("$name kernel", (kc) => {
  beforeAll(() => useKernelCase(kc));
  afterAll(() => useLegendreKernel(undefined));
  if (kc.skip !== undefined) it.skip(kc.skip, () => undefined);
  const suite = kc.skip === undefined ? describe : describe.skip;

  suite("alm2mapPol against healpy 1.16 (alm2map pol=True)", () => {
    const cases = goldenCases("alm2map-pol");
    it("has cases at nside 16, 64 and 256 for I, Q and U", () => {
      expect(new Set(cases.map((c) => num(c, "nside")))).toEqual(new Set([16, 64, 256]));
      expect(cases.length).toBe(12);
    });

    // One synthesis per input, shared by its three field cases.
    const memo = new Map<string, readonly Float64Array[]>();
    it.each(cases.map((c) => [c.name, c] as const))("%s ≤ 1e-11 × max|map|", (_name, c) => {
      const nside = num(c, "nside"), lmax = num(c, "lmax"), mmax = num(c, "mmax"), seed = num(c, "seed");
      const key = `${String(nside)}/${String(lmax)}/${String(mmax)}/${String(seed)}`;
      let maps = memo.get(key);
      if (maps === undefined) {
        maps = alm2mapPol(tebAlm(lmax, mmax, seed), nside, { lmax, mmax });
        memo.set(key, maps);
      }
      const err = maxStridedError(maps[num(c, "field")]!, goldenValues(c), c.stride ?? 1, false);
      expect(err / num(c, "max_abs")).toBeLessThan(1e-11);
    });

    it("is right in the polar rings with white alm (nside 512), where the 1/s² form is not", () => {
      const cases = goldenCases("alm2map-pol-pixels");
      expect(cases.length).toBe(2);
      const rng = new RandomState(15);
      const alms = [0, 1, 2].map(() => gaussAlm(1535, rng)) as [Float64Array, Float64Array, Float64Array];
      const maps = alm2mapPol(alms, 512);
      for (const c of cases) {
        if (c.pixels === undefined) throw new Error("missing pixels");
        const want = goldenValues(c);
        const map = maps[num(c, "field")]!;
        let err = 0;
        c.pixels.forEach((p, i) => (err = Math.max(err, Math.abs(map[p]! - want[i]!))));
        expect(err / num(c, "max_abs")).toBeLessThan(1e-11);
      }
    });

    it("gives I equal to the spin-0 alm2map, and ignores E and B below l = 2", () => {
      const [t, e, b] = tebAlm(12, 12, 3);
      const [i, q, u] = alm2mapPol([t, e, b], 4);
      expect(Array.from(i)).toEqual(Array.from(alm2map(t, 4)));
      for (const l of [0, 1]) {
        for (let m = 0; m <= l; m++) {
          const k = almIndex(l, m, 12);
          e[2 * k] = 7;
          b[2 * k + 1] = -3;
        }
      }
      const [, q2, u2] = alm2mapPol([t, e, b], 4);
      expect(Array.from(q2)).toEqual(Array.from(q));
      expect(Array.from(u2)).toEqual(Array.from(u));
    });

    it("rotates a pure E mode into a pure B mode: (Q, U) of a^B = i·a^E-free B equals (−U, Q) of the same E", () => {
      // With a^B = a^E and a^E = 0 the maps are (Q, U) → (−U_E, Q_E): the spin-2 field times −i.
      const lmax = 20;
      const e = formulaAlm(lmax, lmax, 5);
      for (let l = 0; l <= lmax; l++) e[2 * l + 1] = 0;
      const zero = new Float64Array(e.length);
      const [, qe, ue] = alm2mapPol([zero, e, zero], 8);
      const [, qb, ub] = alm2mapPol([zero, zero, e], 8);
      for (let p = 0; p < qe.length; p++) {
        expect(qb[p]).toBeCloseTo(-ue[p]!, 12);
        expect(ub[p]).toBeCloseTo(qe[p]!, 12);
      }
    });

    it("uses the Wigner recurrence below m = WIGNER_M near the poles and the Legendre kernel elsewhere, seamlessly", () => {
      // Single E modes on each side of the switch, against the 1/s² closed form, on a polar ring
      // (ring 1 of nside 16, sin² θ < WIGNER_S2) and a mid-latitude one (ring 16, cos θ = 2/3).
      const lmax = WIGNER_M + 4;
      const t = 4 / 3072; // ring 1: cos θ = 1 − 4·1²/npix
      expect(t * (2 - t)).toBeLessThan(WIGNER_S2);
      for (const m of [0, 1, 2, WIGNER_M - 1, WIGNER_M]) {
        const e = new Float64Array(2 * almSize(lmax));
        e[2 * almIndex(lmax, m, lmax)] = 1;
        const zero = new Float64Array(e.length);
        const [, q] = alm2mapPol([zero, e, zero], 16);
        // Q = −W_lm(θ)·(e^{imφ} + c.c. for m > 0); ring 1's first pixel is at φ = π/4, ring 16's at π/64.
        const factor = m === 0 ? 1 : 2;
        expect(q[0]).toBeCloseTo(-factor * spin2W(lmax, m, 1 - t) * Math.cos((m * Math.PI) / 4), 10);
        expect(q[2 * 16 * 15]).toBeCloseTo(-factor * spin2W(lmax, m, 2 / 3) * Math.cos((m * Math.PI) / 64), 10);
      }
    });

    it("rejects alm of different sizes", () => {
      const a = formulaAlm(5, 5, 1);
      expect(() => alm2mapPol([a, a, formulaAlm(4, 4, 1)], 4)).toThrow(new RangeError("alm B has 15 coefficients, T has 21"));
    });
  });

  /** W_lm(x) from the closed 1/s² form with λ from its own three-term recurrence (test reference). */
  function spin2W(l: number, m: number, x: number): number {
    const s2 = 1 - x * x;
    const lam: number[] = [];
    let v = 1 / Math.sqrt(4 * Math.PI);
    for (let k = 1; k <= m; k++) v *= -Math.sqrt(s2) * Math.sqrt((2 * k + 1) / (2 * k));
    const eps = (j: number): number => Math.sqrt((j * j - m * m) / (4 * j * j - 1));
    lam[m] = v;
    lam[m + 1] = (x * v) / eps(m + 1);
    for (let j = m + 1; j < l; j++) lam[j + 1] = (x * lam[j]! - eps(j) * lam[j - 1]!) / eps(j + 1);
    const n = 1 / Math.sqrt((l + 2) * (l + 1) * l * (l - 1));
    const f = Math.sqrt(((2 * l + 1) * (l * l - m * m)) / (2 * l - 1));
    return 2 * n * (-((l - m * m) / s2 + (l * (l - 1)) / 2) * lam[l]! + ((f * x) / s2) * lam[l - 1]!);
  }

  suite("map2almPol against healpy 1.16 (map2alm pol=True)", () => {
    const cases = goldenCases("map2alm-pol");
    it("has cases at nside 16, 64 and 256, iter 0, 1 and 3, with UNSEEN and mmax < lmax", () => {
      expect(new Set(cases.map((c) => num(c, "nside")))).toEqual(new Set([16, 64, 256]));
      expect(new Set(cases.map((c) => num(c, "iter")))).toEqual(new Set([0, 1, 3]));
      expect(cases.some((c) => c.params.unseen === true)).toBe(true);
      expect(cases.some((c) => num(c, "mmax") < num(c, "lmax"))).toBe(true);
    });

    const memo = new Map<string, readonly Float64Array[]>();
    it.each(cases.map((c) => [c.name, c] as const))("%s ≤ 1e-11 relative", (_name, c) => {
      const nside = num(c, "nside"), lmax = num(c, "lmax"), mmax = num(c, "mmax"), seed = num(c, "seed"), iter = num(c, "iter");
      const unseen = c.params.unseen === true;
      const key = `${c.name.slice(0, -2)}`;
      let alms = memo.get(key);
      if (alms === undefined) {
        const maps = [formulaMap(nside, seed), formulaMap(nside, seed + 1, unseen), formulaMap(nside, seed + 2)] as const;
        alms = map2almPol(maps, { lmax, mmax, iter });
        memo.set(key, alms);
      }
      const err = maxStridedError(alms[num(c, "field")]!, goldenValues(c), c.stride ?? 1, true);
      expect(err / num(c, "max_abs")).toBeLessThan(1e-11);
    });

    it("gives T equal to the spin-0 map2alm and E, B zero below l = 2", () => {
      const maps = [formulaMap(4, 1), formulaMap(4, 2), formulaMap(4, 3)] as const;
      const [t, e, b] = map2almPol(maps, { iter: 2 });
      expect(Array.from(t)).toEqual(Array.from(map2alm(maps[0], { iter: 2 })));
      for (const k of [0, 1, almIndex(1, 1, 11)]) {
        expect([e[2 * k], e[2 * k + 1], b[2 * k], b[2 * k + 1]]).toEqual([0, 0, 0, 0]);
      }
    });

    it("inverts alm2mapPol at lmax = 2·nside with iterations (round trip ≤ 1e-9)", () => {
      const lmax = 32;
      const alms = tebAlm(lmax, lmax, 8);
      for (const a of alms.slice(1)) for (const k of [0, 1, 2, 3, 2 * almIndex(1, 1, lmax), 2 * almIndex(1, 1, lmax) + 1]) a[k] = 0;
      const back = map2almPol(alm2mapPol(alms, 16), { lmax, iter: 10 });
      for (let f = 0; f < 3; f++) {
        let err = 0;
        for (let i = 0; i < alms[f]!.length; i++) err = Math.max(err, Math.abs(back[f]![i]! - alms[f]![i]!));
        expect(err).toBeLessThan(1e-9);
      }
    });

    it("rejects maps of different lengths and bad iter", () => {
      const m = formulaMap(4, 1);
      expect(() => map2almPol([m, formulaMap(2, 1), m])).toThrow(new RangeError("Q map has 48 pixels, nside 4 needs 192"));
      expect(() => map2almPol([m, m, m], { iter: -1 })).toThrow(new RangeError("iter must be a non-negative integer, got -1"));
    });
  });
});
