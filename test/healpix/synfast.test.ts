import { beforeAll, describe, expect, it } from "vitest";
import { almxfl, gaussBeam } from "../../src/healpix/beams.js";
import { RandomState } from "../../src/healpix/rng.js";
import { alm2map } from "../../src/healpix/sht.js";
import { anafast } from "../../src/healpix/spectra.js";
import { synalm } from "../../src/healpix/synalm.js";
import { synfast } from "../../src/healpix/synfast.js";
import { formulaCl, goldenCases, goldenValues, maxStridedError, num } from "./sht-goldens.js";

describe("synfast against healpy 1.16 (np.random.seed(s); hp.synfast(cl, nside, fwhm=…))", () => {
  it.each(goldenCases("synfast").map((c) => [c.name, c] as const))("%s ≤ 1e-11 × max|map|", (_name, c) => {
    const map = synfast(formulaCl(num(c, "ncl")), num(c, "nside"), { seed: num(c, "seed"), fwhm: num(c, "fwhm") });
    const err = maxStridedError(map, goldenValues(c), c.stride ?? 1, false);
    expect(err / num(c, "max_abs")).toBeLessThan(1e-11);
  });
});

describe("synfast", () => {
  it("is synalm, then almxfl with the Gaussian beam, then alm2map, and returns the smoothed alm", () => {
    const cl = formulaCl(30);
    const fwhm = 0.2;
    const { map, alm } = synfast(cl, 8, { rng: new RandomState(99), fwhm, alm: true });
    const want = synalm(cl, 23, new RandomState(99));
    almxfl(want, gaussBeam(fwhm, 23), 23, want);
    expect(Array.from(alm)).toEqual(Array.from(want));
    expect(Array.from(map)).toEqual(Array.from(alm2map(want, 8)));
  });

  it("defaults lmax to min(len(cl) − 1, 3·nside − 1) and honours dtype", () => {
    expect(synfast(formulaCl(10), 8, { seed: 1, alm: true }).alm.length).toBe(2 * 55);
    expect(synfast(formulaCl(100), 4, { seed: 1, alm: true }).alm.length).toBe(2 * 78);
    const f32 = synfast(formulaCl(20), 4, { seed: 3, dtype: "float32" });
    expect(f32).toBeInstanceOf(Float32Array);
    const f64 = synfast(formulaCl(20), 4, { seed: 3 });
    for (let i = 0; i < f64.length; i++) expect(f32[i]).toBeCloseTo(f64[i]!, 5);
  });

  it("rejects bad arguments with a RangeError naming the value", () => {
    expect(() => synfast(formulaCl(10), 5)).toThrow(new RangeError("nside must be a power of two between 1 and 8192, got 5"));
    expect(() => synfast([], 4)).toThrow(new RangeError("cl must hold at least C_0"));
    expect(() => synfast(formulaCl(10), 4, { fwhm: -1 })).toThrow(
      new RangeError("fwhm must be a finite non-negative angle in radians, got -1"),
    );
    expect(() => synfast(formulaCl(10), 4, { lmax: 2.5 })).toThrow(new RangeError("lmax must be a non-negative integer, got 2.5"));
  });
});

describe("statistics of synfast + anafast (HEALPIX.md)", () => {
  // N maps at nside 16 from C_l = 1/((l+1)(l+2)). For 2 ≤ l ≤ 2·nside (K = 31 multipoles) the
  // mean of N estimates has variance 2C_l²/((2l+1)N), so z_l = (mean Ĉ_l − C_l)/(C_l √(2/((2l+1)N)))
  // is ~N(0, 1). Over K values: mean z has σ = 1/√K ≈ 0.18 and mean z² has σ ≈ √(2/K) ≈ 0.25,
  // so |mean z| < 0.5 (2.8σ, leaving room for healpy's known −0.1 quadrature bias) and
  // 0.7 < rms z < 1.3 (rms² within −2σ … +2.8σ); max |z| < 4 (p ≈ 0.002 over 31 values).
  const nside = 16;
  const n = 64;
  const cl = formulaCl(3 * nside);
  const rng = new RandomState(20240601);
  const lo = 2;
  const hi = 2 * nside;
  const meanCl = new Float64Array(3 * nside);
  let meanVar = 0;
  beforeAll(() => {
    for (let s = 0; s < n; s++) {
      const map = synfast(cl, nside, { rng });
      const c = anafast(map);
      for (let l = 0; l < meanCl.length; l++) meanCl[l] = meanCl[l]! + c[l]! / n;
      let mean = 0;
      for (const v of map) mean += v / map.length;
      let variance = 0;
      for (const v of map) variance += ((v - mean) * (v - mean)) / map.length;
      meanVar += variance / n;
    }
  });

  it("passes the cosmic-variance z-test for 2 ≤ l ≤ 2·nside", () => {
    const z: number[] = [];
    for (let l = lo; l <= hi; l++) z.push((meanCl[l]! - cl[l]!) / (cl[l]! * Math.sqrt(2 / ((2 * l + 1) * n))));
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    const rms = Math.sqrt(z.reduce((a, b) => a + b * b, 0) / z.length);
    expect(Math.abs(mean)).toBeLessThan(0.5);
    expect(rms).toBeGreaterThan(0.7);
    expect(rms).toBeLessThan(1.3);
    expect(Math.max(...z.map(Math.abs))).toBeLessThan(4);
  });

  it("matches the pixel-variance identity E[var] = Σ_{l≥1} (2l+1)C_l/4π", () => {
    // The sample variance about the map mean drops the monopole; its spread over maps is
    // dominated by the lowest l: Var[var] ≈ Σ 2(2l+1)C_l²/(4π)², so σ(mean of N) = that/√N.
    let expected = 0;
    let spread = 0;
    for (let l = 1; l < cl.length; l++) {
      expected += ((2 * l + 1) * cl[l]!) / (4 * Math.PI);
      spread += (2 * (2 * l + 1) * cl[l]! * cl[l]!) / (16 * Math.PI * Math.PI);
    }
    const sigma = Math.sqrt(spread / n);
    expect(Math.abs(meanVar - expected)).toBeLessThan(4 * sigma);
  });
});
