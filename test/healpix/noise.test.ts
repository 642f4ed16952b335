import { describe, expect, it } from "vitest";
import {
  noiseSigmaFromDepth,
  noiseSpectrumFromDepth,
  noiseSpectrumLevel,
  pixelAreaArcmin2,
  whiteNoiseMap,
} from "../../src/healpix/noise.js";
import { RandomState } from "../../src/healpix/rng.js";

function meanAndStd(x: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  const mean = s / x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(v / x.length) };
}

describe("white noise depth and spectrum", () => {
  it("converts a depth to a pixel σ with healpy's pixel area (nside 1024)", () => {
    // healpy: nside2pixarea(1024, degrees=True)·3600 = 11.802566885782033 arcmin²,
    // 10 / nside2resol(1024, arcmin=True) = 2.9107959692700116 μK.
    expect(pixelAreaArcmin2(1024)).toBeCloseTo(11.802566885782033, 12);
    expect(noiseSigmaFromDepth(10, 1024)).toBeCloseTo(2.9107959692700116, 14);
    expect(noiseSigmaFromDepth(0, 8)).toBe(0);
  });

  it("gives N_l = (4π/npix)σ², equal to (Δ·π/10800)² for a depth, at every nside", () => {
    expect(noiseSpectrumLevel(2, 4)).toBeCloseTo(((4 * Math.PI) / 192) * 4, 16);
    for (const nside of [1, 64, 2048]) {
      const depth = 35;
      const nl = noiseSpectrumLevel(noiseSigmaFromDepth(depth, nside), nside);
      expect(Math.abs(nl / noiseSpectrumFromDepth(depth) - 1)).toBeLessThan(1e-14);
    }
    // Per-pixel σ: the mean of σ² enters.
    const sig = new Float64Array(12).fill(1);
    sig[0] = 3;
    expect(noiseSpectrumLevel(sig, 1)).toBeCloseTo(((4 * Math.PI) / 12) * (20 / 12), 15);
  });
});

describe("whiteNoiseMap", () => {
  it("is σ times numpy's normal stream, pixel by pixel", () => {
    // np.random.RandomState(12345).standard_normal(3) (HEALPIX.md).
    const map = whiteNoiseMap(1, 3, new RandomState(12345));
    expect(map[0]).toBeCloseTo(3 * -0.20470766, 7);
    expect(map[1]).toBeCloseTo(3 * 0.47894334, 7);
    expect(map[2]).toBeCloseTo(3 * -0.51943872, 7);
    const g = new RandomState(5).fillStandardNormal(new Float64Array(12 * 16 * 16));
    const m = whiteNoiseMap(16, 1.5, new RandomState(5));
    for (let p = 0; p < m.length; p++) expect(m[p]).toBe(1.5 * g[p]!);
  });

  it("has pixel std within 2 % of σ and an empirical spectrum level within 2 % of N_l at nside 64", () => {
    const nside = 64;
    const sigma = noiseSigmaFromDepth(30, nside);
    const map = whiteNoiseMap(nside, sigma, new RandomState(2024));
    const { mean, std } = meanAndStd(map);
    expect(Math.abs(std / sigma - 1)).toBeLessThan(0.02);
    expect(Math.abs(mean)).toBeLessThan((5 * sigma) / Math.sqrt(map.length));
    // Full-sky power of the map, (4π/npix)·mean(n²), estimates the flat N_l.
    let s2 = 0;
    for (const v of map) s2 += v * v;
    const level = ((4 * Math.PI) / map.length) * (s2 / map.length);
    expect(Math.abs(level / noiseSpectrumFromDepth(30) - 1)).toBeLessThan(0.02);
  });

  it("follows a per-pixel σ and fills a Float32Array on request", () => {
    const nside = 32;
    const npix = 12 * nside * nside;
    const sigma = new Float64Array(npix);
    for (let p = 0; p < npix; p++) sigma[p] = p % 2 === 0 ? 0 : 4;
    const out = new Float32Array(npix);
    const map = whiteNoiseMap(nside, sigma, new RandomState(9), out);
    expect(map).toBe(out);
    const odd = map.filter((_, p) => p % 2 === 1);
    expect(map.filter((_, p) => p % 2 === 0).every((v) => v === 0)).toBe(true);
    expect(Math.abs(meanAndStd(odd).std / 4 - 1)).toBeLessThan(0.03);
  });

  it("rejects bad σ, depth and buffer sizes", () => {
    const rng = new RandomState(1);
    expect(() => whiteNoiseMap(3, 1, rng)).toThrow(new RangeError("nside must be a power of two between 1 and 8192, got 3"));
    expect(() => whiteNoiseMap(1, -1, rng)).toThrow(new RangeError("sigma must be finite and ≥ 0, got -1"));
    const bad = new Float64Array(12).fill(1);
    bad[7] = Number.NaN;
    expect(() => whiteNoiseMap(1, bad, rng)).toThrow(new RangeError("sigma[7] must be finite and ≥ 0, got NaN"));
    expect(() => whiteNoiseMap(1, new Float64Array(10), rng)).toThrow(
      new RangeError("sigma must hold npix = 12 values for nside 1, got 10"),
    );
    expect(() => whiteNoiseMap(2, 1, rng, new Float64Array(12))).toThrow(
      new RangeError("noise map output must hold npix = 48 values for nside 2, got 12"),
    );
    expect(() => noiseSigmaFromDepth(-3, 8)).toThrow(new RangeError("noise depth must be finite and ≥ 0 μK·arcmin, got -3"));
    expect(() => noiseSpectrumLevel([1, 2], 1)).toThrow(new RangeError("sigma must hold npix = 12 values for nside 1, got 2"));
  });
});
