import { describe, expect, it } from "vitest";
import {
  ang2pix,
  ang2pixArray,
  nest2ring,
  nest2ringMap,
  pix2ang,
  pix2angArray,
  reorderMap,
  ring2nest,
  ring2nestMap,
} from "../../src/healpix/pixel.js";
import { goldenArray, manifest } from "./geometry-goldens.js";

/** Largest absolute difference between two arrays. */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/** Indices where two integer arrays differ (empty when equal). */
function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  expect(a.length).toBe(b.length);
  const bad: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) bad.push(i);
  return bad;
}

const TOL = 1e-14; // absolute, radians

describe("pix2ang against healpy", () => {
  for (const nside of manifest().small_nsides) {
    for (const nest of [false, true]) {
      const tag = nest ? "nest" : "ring";
      it(`every pixel at nside ${String(nside)} ${tag.toUpperCase()}`, () => {
        const npix = 12 * nside * nside;
        const ipix = Float64Array.from({ length: npix }, (_, i) => i);
        const { theta, phi } = pix2angArray(nside, ipix, nest);
        expect(maxAbsDiff(theta, goldenArray(`pix2ang_n${String(nside)}_${tag}_theta`))).toBeLessThanOrEqual(TOL);
        expect(maxAbsDiff(phi, goldenArray(`pix2ang_n${String(nside)}_${tag}_phi`))).toBeLessThanOrEqual(TOL);
        // The scalar form agrees with the vectorised one exactly.
        for (let p = 0; p < npix; p += 7) {
          const a = pix2ang(nside, p, nest);
          expect(a.theta).toBe(theta[p]);
          expect(a.phi).toBe(phi[p]);
        }
      });
    }
  }

  it("sampled pixels at nside 8192, both orderings", () => {
    const ipix = goldenArray("n8192_ipix");
    for (const nest of [false, true]) {
      const tag = nest ? "nest" : "ring";
      const { theta, phi } = pix2angArray(8192, ipix, nest);
      expect(maxAbsDiff(theta, goldenArray(`n8192_${tag}_theta`))).toBeLessThanOrEqual(TOL);
      expect(maxAbsDiff(phi, goldenArray(`n8192_${tag}_phi`))).toBeLessThanOrEqual(TOL);
    }
  });
});

describe("ang2pix against healpy", () => {
  const theta = goldenArray("ang_theta");
  const phi = goldenArray("ang_phi");
  for (const nside of manifest().ang_nsides) {
    it(`random and special angles at nside ${String(nside)}`, () => {
      for (const nest of [false, true]) {
        const want = goldenArray(`ang2pix_n${String(nside)}_${nest ? "nest" : "ring"}`);
        expect(mismatches(ang2pixArray(nside, theta, phi, nest), want)).toEqual([]);
        expect(mismatches(ang2pixArray(nside, theta, phi, nest, new Int32Array(theta.length)), want)).toEqual([]);
        for (let k = 0; k < 40; k++) expect(ang2pix(nside, theta[k]!, phi[k]!, nest)).toBe(want[k]);
      }
    });
  }

  it("maps every pixel centre back to its pixel", () => {
    for (const nside of [1, 2, 4, 8, 16, 32]) {
      const npix = 12 * nside * nside;
      for (const nest of [false, true]) {
        const ipix = Float64Array.from({ length: npix }, (_, i) => i);
        const { theta, phi } = pix2angArray(nside, ipix, nest);
        expect(mismatches(ang2pixArray(nside, theta, phi, nest), ipix)).toEqual([]);
      }
    }
  });
});

describe("nest2ring / ring2nest", () => {
  it("matches healpy's nest2ring for every pixel at small nside", () => {
    for (const nside of manifest().small_nsides) {
      const want = goldenArray(`nest2ring_n${String(nside)}`);
      const got = want.map((_, p) => nest2ring(nside, p));
      expect(mismatches(got, want)).toEqual([]);
    }
  });

  it("matches healpy at nside 8192 (sampled)", () => {
    const ipix = goldenArray("n8192_ipix");
    const n2r = goldenArray("n8192_nest2ring");
    const r2n = goldenArray("n8192_ring2nest");
    for (let k = 0; k < ipix.length; k++) {
      expect(nest2ring(8192, ipix[k]!)).toBe(n2r[k]);
      expect(ring2nest(8192, ipix[k]!)).toBe(r2n[k]);
    }
  });

  it("round-trips exactly and is a permutation at nside 1…64", () => {
    for (let nside = 1; nside <= 64; nside *= 2) {
      const npix = 12 * nside * nside;
      const seen = new Uint8Array(npix);
      for (let p = 0; p < npix; p++) {
        const r = nest2ring(nside, p);
        seen[r]! += 1;
        if (ring2nest(nside, r) !== p) expect.fail(`nside ${String(nside)}: ring2nest(nest2ring(${String(p)})) = ${String(ring2nest(nside, r))}`);
      }
      expect(seen.every((c) => c === 1)).toBe(true);
    }
  });

  it("round-trips at nside 8192 on a strided sample of every face and both pole/belt regions", () => {
    const nside = 8192;
    const npix = 12 * nside * nside;
    const step = 99991; // prime stride ≈ 8000 samples
    for (let p = 0; p < npix; p += step) {
      expect(ring2nest(nside, nest2ring(nside, p))).toBe(p);
      expect(nest2ring(nside, ring2nest(nside, p))).toBe(p);
    }
    for (const p of [0, npix - 1, nside * nside - 1, 11 * nside * nside, 2 * nside * (nside - 1)]) {
      expect(ring2nest(nside, nest2ring(nside, p))).toBe(p);
    }
  });
});

describe("whole-map reordering", () => {
  it("reorders consistently with nest2ring and round-trips, keeping the array type", () => {
    const nside = 16;
    const npix = 12 * nside * nside;
    const nested = Float32Array.from({ length: npix }, (_, i) => i * 0.5);
    const ring = nest2ringMap(nested);
    expect(ring).toBeInstanceOf(Float32Array);
    for (let p = 0; p < npix; p++) expect(ring[nest2ring(nside, p)]).toBe(nested[p]);
    expect(ring2nestMap(ring)).toEqual(nested);
    const ints = Int32Array.from({ length: npix }, (_, i) => i);
    const back = reorderMap(reorderMap(ints, "RING", "NESTED"), "NESTED", "RING");
    expect(back).toBeInstanceOf(Int32Array);
    expect(back).toEqual(ints);
    const copy = reorderMap(ints, "RING", "RING");
    expect(copy).toEqual(ints);
    expect(copy).not.toBe(ints);
  });

  it("round-trips a Float64Array map at nside 256", () => {
    const npix = 12 * 256 * 256;
    const map = Float64Array.from({ length: npix }, (_, i) => Math.sin(i));
    expect(mismatches(ring2nestMap(nest2ringMap(map)), map)).toEqual([]);
  });
});

describe("input validation", () => {
  it("rejects bad nside, pixel indices and angles with exact messages", () => {
    expect(() => pix2ang(3, 0)).toThrow(new RangeError("nside must be a power of two between 1 and 8192, got 3"));
    expect(() => ang2pix(16384, 1, 1)).toThrow(new RangeError("nside must be a power of two between 1 and 8192, got 16384"));
    expect(() => pix2ang(4, 192)).toThrow(
      new RangeError("pixel index 192 is out of range for nside 4 (must be an integer in 0…191)"),
    );
    expect(() => pix2ang(4, -1, true)).toThrow(
      new RangeError("pixel index -1 is out of range for nside 4 (must be an integer in 0…191)"),
    );
    expect(() => nest2ring(2, 1.5)).toThrow(
      new RangeError("pixel index 1.5 is out of range for nside 2 (must be an integer in 0…47)"),
    );
    expect(() => ring2nest(8192, 805306368)).toThrow(
      new RangeError("pixel index 805306368 is out of range for nside 8192 (must be an integer in 0…805306367)"),
    );
    expect(() => pix2angArray(1, [0, 12])).toThrow(
      new RangeError("pixel index 12 is out of range for nside 1 (must be an integer in 0…11)"),
    );
    expect(() => ang2pix(4, -0.1, 0)).toThrow(new RangeError("theta must be in [0, π] radians, got -0.1"));
    expect(() => ang2pix(4, Number.NaN, 0)).toThrow(new RangeError("theta must be in [0, π] radians, got NaN"));
    expect(() => ang2pixArray(4, [1], [Infinity])).toThrow(new RangeError("phi must be a finite number of radians, got Infinity"));
    expect(() => ang2pixArray(4, [1, 2], [1])).toThrow(new RangeError("theta and phi lengths differ: 2 and 1"));
    expect(() => nest2ringMap(new Float64Array(100))).toThrow(
      new RangeError("100 is not a valid HEALPix pixel count (12·nside² with nside a power of two ≤ 8192)"),
    );
    // @ts-expect-error: ordering outside the union
    expect(() => reorderMap(new Float64Array(12), "RING", "nest")).toThrow(new RangeError('ordering must be "RING" or "NESTED", got "nest"'));
  });
});
