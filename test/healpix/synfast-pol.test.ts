import { describe, expect, it } from "vitest";
import { gaussBeam, gaussBeamPol } from "../../src/healpix/beams.js";
import { RandomState } from "../../src/healpix/rng.js";
import { synalm, synalmPol } from "../../src/healpix/synalm.js";
import { synfastPol } from "../../src/healpix/synfast.js";
import { formulaPolCls, goldenCases, goldenValues, maxStridedError, num } from "./sht-goldens.js";

describe("synfastPol against healpy 1.16 (np.random.seed(s); synfast(cls, nside, new=True))", () => {
  const cases = goldenCases("synfast-pol");
  it("has cases at nside 16, 64, 256 with 4 and 6 spectra, with and without a beam", () => {
    expect(new Set(cases.map((c) => num(c, "nside")))).toEqual(new Set([16, 64, 256]));
    expect(new Set(cases.map((c) => num(c, "nspec")))).toEqual(new Set([4, 6]));
    expect(cases.some((c) => num(c, "fwhm") > 0)).toBe(true);
  });

  const memo = new Map<number, readonly Float64Array[]>();
  it.each(cases.map((c) => [c.name, c] as const))("%s ≤ 1e-11 × max|map|", (_name, c) => {
    const nside = num(c, "nside"), seed = num(c, "seed");
    let maps = memo.get(seed);
    if (maps === undefined) {
      maps = synfastPol(formulaPolCls(3 * nside).slice(0, num(c, "nspec")), nside, { seed, fwhm: num(c, "fwhm") });
      memo.set(seed, maps);
    }
    const err = maxStridedError(maps[num(c, "field")]!, goldenValues(c), c.stride ?? 1, false);
    expect(err / num(c, "max_abs")).toBeLessThan(1e-11);
  });
});

describe("synalmPol", () => {
  it("matches healpy where TT = 0 and where the covariance is not positive definite", () => {
    const cases = goldenCases("synalm-pol");
    expect(cases.length).toBe(3);
    const alms = synalmPol(formulaPolCls(9, true), 8, new RandomState(105));
    for (const c of cases) {
      const err = maxStridedError(alms[num(c, "field")]!, goldenValues(c), 1, true);
      expect(err / num(c, "max_abs")).toBeLessThan(1e-14);
    }
  });

  it("draws T exactly as the spin-0 synalm, then E's and B's normals, 6·size in all", () => {
    const cls = formulaPolCls(11);
    const rng = new RandomState(9);
    const [t] = synalmPol(cls, 10, rng);
    const ref = new RandomState(9);
    expect(Array.from(t)).toEqual(Array.from(synalm(cls[0]!, 10, ref)));
    ref.fillStandardNormal(new Float64Array(4 * 66));
    expect(rng.standardNormal()).toBe(ref.standardNormal());
  });

  it("rejects a wrong number of spectra and non-finite values", () => {
    const cls = formulaPolCls(5);
    expect(() => synalmPol(cls.slice(0, 3), 4, new RandomState(1))).toThrow(
      new RangeError("synalmPol needs 4 (TT, EE, BB, TE) or 6 (… EB, TB) spectra, got 3"),
    );
    cls[3]![2] = Number.NaN;
    expect(() => synalmPol(cls, 4, new RandomState(1))).toThrow(new RangeError("cls[3][2] must be finite, got NaN"));
  });
});

describe("gaussBeamPol", () => {
  it("is healpy's gauss_beam(pol=True): T, E = B = T·exp(2σ²), TE = T·exp(σ²)", () => {
    const [t, e, te] = gaussBeamPol(0.01, 50);
    expect(Array.from(t)).toEqual(Array.from(gaussBeam(0.01, 50)));
    const sigma = 0.01 / Math.sqrt(8 * Math.log(2));
    for (let l = 0; l <= 50; l++) {
      expect(e[l]).toBeCloseTo(Math.exp(-0.5 * (l * (l + 1) - 4) * sigma * sigma), 15);
      expect(te[l]).toBeCloseTo(Math.exp(-0.5 * (l * (l + 1) - 2) * sigma * sigma), 15);
    }
  });
});
