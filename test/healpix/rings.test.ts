import { describe, expect, it } from "vitest";
import { ringInfo } from "../../src/healpix/rings.js";
import { almIndex, almSize, lmaxFromSize } from "../../src/healpix/alm.js";
import { checkNside, npix2nside, nside2npix } from "../../src/healpix/nside.js";

describe("nside", () => {
  it("counts pixels and inverts", () => {
    for (let k = 0; k <= 13; k++) {
      const nside = 2 ** k;
      expect(npix2nside(nside2npix(nside))).toBe(nside);
    }
  });
  it("rejects bad values with the value in the message", () => {
    expect(() => checkNside(3)).toThrow("nside must be a power of two between 1 and 8192, got 3");
    expect(() => checkNside(16384)).toThrow("got 16384");
    expect(() => npix2nside(100)).toThrow("100 is not a valid HEALPix pixel count");
  });
});

describe("ringInfo", () => {
  it("rings tile the map exactly and are symmetric about the equator", () => {
    for (const nside of [1, 2, 4, 8, 64]) {
      const r = ringInfo(nside);
      let next = 0;
      for (let k = 0; k < r.nrings; k++) {
        expect(r.firstPixel[k]).toBe(next);
        next += r.nphi[k]!;
        const mirror = r.nrings - 1 - k;
        expect(r.cosTheta[k]).toBeCloseTo(-r.cosTheta[mirror]!, 15);
        expect(r.cosTheta[k]! ** 2 + r.sinTheta[k]! ** 2).toBeCloseTo(1, 14);
      }
      expect(next).toBe(12 * nside * nside);
    }
  });
  it("matches the HEALPix closed forms at nside 4", () => {
    const r = ringInfo(4);
    expect(r.cosTheta[0]).toBeCloseTo(1 - 1 / 48, 15);
    expect(r.nphi[0]).toBe(4);
    expect(r.phi0[0]).toBeCloseTo(Math.PI / 4, 15);
    expect(r.cosTheta[7]).toBe(0); // equator, ring 2·nside
    expect(r.phi0[3]).toBeCloseTo(Math.PI / 16, 15); // i = nside: (i − nside) even
    expect(r.phi0[4]).toBe(0);
  });
});

describe("alm layout", () => {
  it("follows healpy's m-major order", () => {
    const lmax = 5;
    let k = 0;
    for (let m = 0; m <= lmax; m++) for (let l = m; l <= lmax; l++) expect(almIndex(l, m, lmax)).toBe(k++);
    expect(almSize(lmax)).toBe(k);
    expect(lmaxFromSize(k)).toBe(lmax);
    expect(() => lmaxFromSize(k + 1)).toThrow("is not a valid alm size");
  });
});
