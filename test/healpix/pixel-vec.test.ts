import { describe, expect, it } from "vitest";

import { ang2pix, vec2pixUnchecked } from "../../src/healpix/pixel.js";

describe("vec2pixUnchecked", () => {
  it("finds the same pixel as ang2pix, RING and NEST, poles and φ < 0 included", () => {
    for (const nside of [1, 4, 64]) {
      for (let k = 0; k < 2000; k++) {
        const theta = Math.acos(1 - (2 * (k + 0.37)) / 2000);
        const phi = ((k * 2.399963) % (2 * Math.PI)) - Math.PI;
        const v = [Math.sin(theta) * Math.cos(phi), Math.sin(theta) * Math.sin(phi), Math.cos(theta)] as const;
        for (const nest of [false, true]) expect(vec2pixUnchecked(nside, v[0], v[1], v[2], nest)).toBe(ang2pix(nside, theta, phi, nest));
      }
      expect(vec2pixUnchecked(nside, 0, 0, 1)).toBe(ang2pix(nside, 0, 0));
      expect(vec2pixUnchecked(nside, 0, 0, -1)).toBe(ang2pix(nside, Math.PI, 0));
    }
  });
});
