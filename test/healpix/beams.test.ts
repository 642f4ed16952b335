import { describe, expect, it } from "vitest";
import { almSize } from "../../src/healpix/alm.js";
import { almxfl, arcmin2rad, deg2rad, fwhmToSigma, gaussBeam } from "../../src/healpix/beams.js";
import { goldenArray, manifest } from "./geometry-goldens.js";

describe("gaussBeam", () => {
  it("matches healpy's gauss_beam to 1e-14 relative", () => {
    for (const c of manifest().gauss_beam) {
      const want = goldenArray(`gauss_beam_${c.name}`);
      const got = gaussBeam(c.fwhm_rad, c.lmax);
      expect(got.length).toBe(want.length);
      for (let l = 0; l <= c.lmax; l++) {
        expect(Math.abs(got[l]! - want[l]!), `${c.name} l=${String(l)}`).toBeLessThanOrEqual(1e-14 * want[l]!);
      }
    }
  });

  it("is 1 at l = 0, exp(−1/2)… at l(l+1)σ² = 1, and 1 everywhere for fwhm 0", () => {
    const fwhm = arcmin2rad(30);
    const b = gaussBeam(fwhm, 100);
    expect(b[0]).toBe(1);
    const sigma = fwhmToSigma(fwhm);
    expect(sigma).toBeCloseTo(fwhm / 2.3548200450309493, 17);
    expect(b[10]).toBeCloseTo(Math.exp(-55 * sigma * sigma), 15);
    expect(Array.from(gaussBeam(0, 5))).toEqual([1, 1, 1, 1, 1, 1]);
    const buf = new Float64Array(8);
    expect(gaussBeam(fwhm, 5, buf)).toBe(buf);
  });

  it("converts angles", () => {
    expect(arcmin2rad(60)).toBeCloseTo(deg2rad(1), 16);
    expect(deg2rad(180)).toBe(Math.PI);
  });

  it("rejects bad arguments", () => {
    expect(() => gaussBeam(-1, 10)).toThrow(new RangeError("fwhm must be a finite non-negative angle in radians, got -1"));
    expect(() => gaussBeam(Number.NaN, 10)).toThrow(new RangeError("fwhm must be a finite non-negative angle in radians, got NaN"));
    expect(() => gaussBeam(0.01, 2.5)).toThrow(new RangeError("lmax must be a non-negative integer, got 2.5"));
    expect(() => gaussBeam(0.01, 10, new Float64Array(5))).toThrow(new RangeError("beam output must hold lmax + 1 = 11 values, got 5"));
  });
});

describe("almxfl", () => {
  // healpy: lmax = 3, alm = (arange(10) + 1)·(1 − 0.5i), hp.almxfl(alm, [2, 0.5, −1])
  const lmax = 3;
  const alm = new Float64Array(2 * almSize(lmax));
  for (let k = 0; k < almSize(lmax); k++) {
    alm[2 * k] = k + 1;
    alm[2 * k + 1] = -0.5 * (k + 1);
  }
  const want = [2, -1, 1, -0.5, -3, 1.5, 0, 0, 2.5, -1.25, -6, 3, 0, 0, -8, 4, 0, 0, 0, 0];

  it("multiplies by f_l, with f_l = 0 past the end of fl, as healpy", () => {
    const got = almxfl(alm, [2, 0.5, -1], lmax);
    expect(Array.from(got, (v) => v + 0)).toEqual(want); // + 0 folds −0 into 0
    expect(got).not.toBe(alm);
  });

  it("works in place and into a caller buffer", () => {
    const copy = alm.slice();
    expect(almxfl(copy, [2, 0.5, -1], lmax, copy)).toBe(copy);
    expect(Array.from(copy, (v) => v + 0)).toEqual(want);
    const buf = new Float64Array(alm.length);
    expect(almxfl(alm, [1, 1, 1, 1, 1, 1], lmax, buf)).toBe(buf);
    expect(buf).toEqual(alm);
  });

  it("checks sizes", () => {
    expect(() => almxfl(new Float64Array(10), [1], 3)).toThrow(new RangeError("alm must hold 2·10 = 20 doubles for lmax 3, got 10"));
    expect(() => almxfl(alm, [1], 3, new Float64Array(4))).toThrow(new RangeError("almxfl output must hold 20 doubles, got 4"));
  });
});
