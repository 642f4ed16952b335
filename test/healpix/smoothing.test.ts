import { describe, expect, it } from "vitest";
import { almxfl, gaussBeam } from "../../src/healpix/beams.js";
import { UNSEEN } from "../../src/healpix/nside.js";
import { alm2map, map2alm } from "../../src/healpix/sht.js";
import { smoothAlm, smoothing } from "../../src/healpix/smoothing.js";
import { formulaAlm, formulaMap, goldenCases, goldenValues, num } from "./sht-goldens.js";

describe("smoothing against healpy 1.16", () => {
  it.each(goldenCases("smoothing").map((c) => [c.name, c] as const))("%s ≤ 1e-11 × max|map|, UNSEEN kept", (_name, c) => {
    const map = formulaMap(num(c, "nside"), num(c, "seed"), c.params.unseen === true);
    const out = smoothing(map, num(c, "fwhm"));
    const want = goldenValues(c);
    const stride = c.stride ?? 1;
    let err = 0;
    for (let i = 0; i < want.length; i++) {
      const got = out[stride * i]!;
      if (want[i] === UNSEEN) expect(got).toBe(UNSEEN);
      else err = Math.max(err, Math.abs(got - want[i]!));
    }
    expect(err / num(c, "max_abs")).toBeLessThan(1e-11);
  });
});

describe("smoothing", () => {
  it("is map2alm, × Gaussian beam, alm2map", () => {
    const map = formulaMap(8, 2);
    const alm = map2alm(map, { iter: 1 });
    almxfl(alm, gaussBeam(0.3, 23), 23, alm);
    expect(Array.from(smoothing(map, 0.3, { iter: 1 }))).toEqual(Array.from(alm2map(alm, 8)));
  });

  it("writes float64 into a caller-owned buffer, also for float32 input", () => {
    const out = new Float64Array(192);
    expect(smoothing(Float32Array.from(formulaMap(4, 1)), 0.1, { out, lmax: 8 })).toBe(out);
  });

  it("rejects a bad fwhm before transforming", () => {
    expect(() => smoothing(formulaMap(4, 1), Number.NaN)).toThrow(
      new RangeError("fwhm must be a finite non-negative angle in radians, got NaN"),
    );
  });
});

describe("smoothAlm", () => {
  it("multiplies by b_l and leaves the input alone unless out is the input", () => {
    const alm = formulaAlm(10, 10, 4);
    const copy = alm.slice();
    const smoothed = smoothAlm(alm, 0.2, 10);
    expect(Array.from(alm)).toEqual(Array.from(copy));
    expect(Array.from(smoothed)).toEqual(Array.from(almxfl(copy, gaussBeam(0.2, 10), 10)));
    expect(smoothAlm(alm, 0.2, 10, alm)).toBe(alm);
    expect(Array.from(alm)).toEqual(Array.from(smoothed));
  });
});
