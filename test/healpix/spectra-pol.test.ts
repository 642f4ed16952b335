import { describe, expect, it } from "vitest";
import { alm2cl, alm2clPol, anafastPol } from "../../src/healpix/spectra.js";
import type { Triple } from "../../src/healpix/sht-spin2.js";
import { formulaAlm, formulaMap, goldenCases, goldenValues, num } from "./sht-goldens.js";

function iqu(nside: number, s: number): Triple<Float64Array> {
  return [formulaMap(nside, s), formulaMap(nside, s + 1), formulaMap(nside, s + 2)];
}

/** Field pair of each of healpy's six spectra. */
const PAIRS = [[0, 0], [1, 1], [2, 2], [0, 1], [1, 2], [0, 2]] as const;

describe("anafastPol against healpy 1.16 (anafast pol=True)", () => {
  const cases = goldenCases("anafast-pol");
  it("has auto spectra at nside 16, 64, 256 and a cross spectrum", () => {
    expect(new Set(cases.map((c) => num(c, "nside")))).toEqual(new Set([16, 64, 256]));
    expect(cases.some((c) => c.params.seed2 !== null)).toBe(true);
  });

  // Each cross spectrum C^XY_l is compared at the scale √(C^XX_l C^YY_l) of its l.
  it.each(cases.map((c) => [c.name, c] as const))("%s: all six spectra ≤ 1e-10 relative", (_name, c) => {
    const nside = num(c, "nside"), lmax = num(c, "lmax"), stride = c.stride ?? 1;
    const seed2 = c.params.seed2;
    const got = anafastPol(iqu(nside, num(c, "seed")), typeof seed2 === "number" ? iqu(nside, seed2) : undefined, {
      lmax, iter: num(c, "iter"),
    });
    expect(got.length).toBe(6);
    const want = goldenValues(c);
    const per = want.length / 6;
    expect(per).toBe(Math.ceil((lmax + 1) / stride));
    let worst = 0;
    for (let k = 0; k < 6; k++) {
      const [i, j] = PAIRS[k]!;
      for (let n = 0; n < per; n++) {
        const l = n * stride;
        const scale = Math.sqrt(Math.abs(want[i * per + n]! * want[j * per + n]!));
        if (scale === 0) continue; // E, B at l < 2
        worst = Math.max(worst, Math.abs(got[k]![l]! - want[k * per + n]!) / scale);
      }
    }
    expect(worst).toBeLessThan(1e-10);
  });
});

describe("alm2clPol", () => {
  it("orders the spectra TT, EE, BB, TE, EB, TB and crosses the first set with the second", () => {
    const a = [formulaAlm(9, 9, 1), formulaAlm(9, 9, 2), formulaAlm(9, 9, 3)] as const;
    const b = [formulaAlm(9, 9, 4), formulaAlm(9, 9, 5), formulaAlm(9, 9, 6)] as const;
    const auto = alm2clPol(a);
    const cross = alm2clPol(a, b);
    PAIRS.forEach(([i, j], k) => {
      expect(Array.from(auto[k]!)).toEqual(Array.from(alm2cl(a[i], a[j])));
      expect(Array.from(cross[k]!)).toEqual(Array.from(alm2cl(a[i], b[j])));
    });
  });

  it("rejects alm of different sizes and maps of different lengths", () => {
    const a = formulaAlm(5, 5, 1);
    expect(() => alm2clPol([a, a, formulaAlm(4, 4, 1)])).toThrow(new RangeError("alm B has 30 doubles, T has 42"));
    const m = iqu(2, 1);
    expect(() => anafastPol(m, [m[0], m[1], formulaMap(1, 1)])).toThrow(new RangeError("map2 U has 12 pixels, map I has 48"));
  });
});
