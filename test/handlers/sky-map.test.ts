import { describe, expect, it } from "vitest";

import { COLORMAP_NAMES, colorAt, colormap } from "../../src/handlers/plot/colormaps.js";
import { makeNorm } from "../../src/handlers/plot/norms.js";
import { makeProjection } from "../../src/handlers/plot/projections.js";
import { BAD_COLOR, formatBarValue, renderSkyMap, validateSkyMapSpec } from "../../src/handlers/plot/sky-map.js";
import type { RgbaImage } from "../../src/handlers/plot/render.js";
import { UNSEEN } from "../../src/healpix/nside.js";
import { ang2pix, pix2ang, ring2nestMap } from "../../src/healpix/pixel.js";

const deg = Math.PI / 180;

function rgb(image: RgbaImage, x: number, y: number): [number, number, number] {
  const i = 4 * (y * image.width + x);
  return [image.data[i] ?? -1, image.data[i + 1] ?? -1, image.data[i + 2] ?? -1];
}

describe("projections", () => {
  it("Mollweide: centre at (0, 0), longitude increasing to the left, poles at the top and bottom", () => {
    const p = makeProjection("moll");
    const out = new Float64Array(3);
    const lonOf = (): number => Math.atan2(out[1] ?? 0, out[0] ?? 0);
    expect(p.inverse(0, 0, out)).toBe(true);
    expect(Array.from(out)).toEqual([1, 0, 0]);
    // Left of centre on the equator: positive longitude (healpy's orientation).
    p.inverse(-0.5, 0, out);
    expect(lonOf()).toBeCloseTo(Math.PI / 2, 12);
    p.inverse(0.5, 0, out);
    expect(lonOf()).toBeCloseTo(-Math.PI / 2, 12);
    p.inverse(0, 0.5, out);
    expect(out[2]).toBeCloseTo(1, 12);
    // Outside the 2:1 ellipse.
    expect(p.inverse(0.9, 0.3, out)).toBe(false);
    // Equal-area: latitude 30° sits at y = sin γ / 2, with 2γ + sin 2γ = π sin 30°.
    p.forward(60 * deg, 0, out);
    expect(out[1]).toBeCloseTo(0.202, 3);
    // Inverse of that point: latitude 30° again.
    const y = out[1] ?? 0;
    p.inverse(0, y, out);
    expect(out[2]).toBeCloseTo(0.5, 9);
  });

  it("forward and inverse are inverse to each other, with and without rotation, in every projection", () => {
    const out = new Float64Array(2);
    const back = new Float64Array(3);
    for (const name of ["moll", "cart", "ortho"] as const) {
      for (const rot of [
        { lon: 0, lat: 0 },
        { lon: 60, lat: 30 },
        { lon: -120, lat: -75 },
      ]) {
        const p = makeProjection(name, rot);
        for (const [theta, phi] of [
          [1.1, 0.3],
          [2.0, 4.0],
          [0.7, 5.5],
          [(90 - rot.lat) * deg, ((rot.lon + 360) % 360) * deg],
        ] as const) {
          if (!p.forward(theta, phi, out)) continue;
          expect(p.inverse(out[0] ?? 0, out[1] ?? 0, back)).toBe(true);
          const cosSep = Math.sin(theta) * Math.cos(phi) * (back[0] ?? 0) + Math.sin(theta) * Math.sin(phi) * (back[1] ?? 0) + Math.cos(theta) * (back[2] ?? 0);
          expect(cosSep).toBeCloseTo(1, 9);
        }
        // rot puts (lon, lat) at the centre.
        expect(p.forward((90 - rot.lat) * deg, rot.lon * deg, out)).toBe(true);
        expect(out[0]).toBeCloseTo(0, 9);
        expect(out[1]).toBeCloseTo(0, 9);
      }
    }
  });

  it("orthographic shows the near hemisphere only; Cartesian spans 360° × 180°", () => {
    const out = new Float64Array(3);
    expect(makeProjection("ortho").forward(Math.PI / 2, Math.PI, out)).toBe(false);
    const cart = makeProjection("cart");
    cart.inverse(-1, 0, out);
    expect(out[0]).toBeCloseTo(-1, 9);
    cart.inverse(0, 0.5, out);
    expect(out[2]).toBeCloseTo(1, 9);
  });
});

describe("colour maps and norms", () => {
  it("index tables as matplotlib does: ⌊256 t⌋, the top value the last colour", () => {
    const v = colormap("viridis");
    expect(colorAt(v, 0)).toEqual({ r: 0x44, g: 0x01, b: 0x54 });
    expect(colorAt(v, 1)).toEqual({ r: 0xfd, g: 0xe7, b: 0x25 });
    expect(colorAt(colormap("coolwarm"), 0)).toEqual({ r: 59, g: 76, b: 192 });
    const planck = colormap("planck");
    expect(colorAt(planck, 0)).toEqual({ r: 0, g: 0, b: 255 });
    expect(colorAt(planck, 1)).toEqual({ r: 114, g: 0, b: 32 });
    // Control points sit at index·255/166: parchment (76) at 116.7, (65) at 99.8, (88) at 135.2.
    const between = (i: number, lo: number, hi: number, a: number, b: number): number => {
      const t = (i - (lo * 255) / 166) / (((hi - lo) * 255) / 166);
      return Math.round(a + t * (b - a));
    };
    expect(colorAt(planck, 116 / 256)).toEqual({ r: between(116, 65, 76, 228, 241), g: between(116, 65, 76, 240, 241), b: between(116, 65, 76, 245, 212) });
    expect(colorAt(planck, 117 / 256)).toEqual({ r: between(117, 76, 88, 241, 245), g: between(117, 76, 88, 241, 240), b: between(117, 76, 88, 212, 175) });
    for (const name of COLORMAP_NAMES) expect(colormap(name).table.length).toBe(768);
  });

  it("lin, log, symlog and hist map the range onto [0, 1], clipping outside it", () => {
    const lin = makeNorm("lin", -1, 3, []);
    expect([lin(-5), lin(-1), lin(1), lin(3), lin(9)]).toEqual([0, 0, 0.5, 1, 1]);
    const log = makeNorm("log", 1, 100, []);
    expect(log(10)).toBeCloseTo(0.5, 12);
    expect(log(-1)).toBe(0);
    const symlog = makeNorm("symlog", -100, 100, []);
    expect(symlog(0)).toBeCloseTo(0.5, 12);
    expect(symlog(1)).toBeCloseTo(0.5 + Math.log10(2) / (2 * Math.log10(101)), 12);
    const hist = makeNorm("hist", 0, 1000, [1, 2, 3, 1000]);
    // Equal steps per pixel, whatever the values' spacing.
    expect([hist(1), hist(2), hist(3), hist(999), hist(1000)]).toEqual([0.25, 0.5, 0.75, 0.75, 1]);
  });
});

describe("renderSkyMap", () => {
  const nside = 4;
  const npix = 12 * nside * nside;
  // Value = the pixel's longitude in degrees: colours run along the equator.
  const lonMap = Float64Array.from({ length: npix }, (_, p) => pix2ang(nside, p).phi / deg);

  it("paints the ellipse from the map, UNSEEN in grey, white around it; NEST maps look the same", () => {
    const values = Float64Array.from(lonMap);
    const north = ang2pix(nside, 10 * deg, 0);
    values[north] = UNSEEN;
    const { image, layout } = renderSkyMap({ values, nside, min: 0, max: 360, width: 400 });
    const { map } = layout;
    const cy = Math.floor((map.y0 + map.y1) / 2);
    expect(rgb(image, map.x0 + 1, map.y0 + 1)).toEqual([255, 255, 255]);
    // Just left of the centre: longitude a little above 0 (dark, low end); just right: a little below 360 (yellow end).
    const cx = (map.x0 + map.x1) / 2;
    const left = rgb(image, Math.floor(cx - 12), cy);
    const right = rgb(image, Math.floor(cx + 12), cy);
    expect(left[0]).toBeLessThan(100);
    expect(right[0]).toBeGreaterThan(150);
    // The UNSEEN pixel near the north pole.
    let grey = 0;
    for (let y = map.y0; y < cy; y++) for (let x = map.x0; x < map.x1; x++) if (rgb(image, x, y).join() === [BAD_COLOR.r, BAD_COLOR.g, BAD_COLOR.b].join()) grey++;
    expect(grey).toBeGreaterThan(10);
    const nested = renderSkyMap({ values: ring2nestMap(values), nside, nest: true, min: 0, max: 360, width: 400 });
    expect(nested.image.data.equals(image.data)).toBe(true);
  });

  it("draws a graticule, a colour bar with its end labels, the unit and a title", () => {
    const bare = renderSkyMap({ values: lonMap, nside, width: 400, cmap: "coolwarm" });
    const full = renderSkyMap({ values: lonMap, nside, width: 400, cmap: "coolwarm", graticule: 30, unit: "μK_CMB", title: "CMB" });
    expect(full.image.height).toBeGreaterThan(bare.image.height);
    const { bar } = full.layout;
    const barY = Math.floor((bar.y0 + bar.y1) / 2);
    const barAt = (x: number): number[] => {
      const c = colorAt(colormap("coolwarm"), (x - bar.x0 + 0.5) / (bar.x1 - bar.x0));
      return [c.r, c.g, c.b];
    };
    for (const x of [bar.x0 + 1, Math.floor((bar.x0 + bar.x1) / 2), bar.x1 - 2]) expect(rgb(full.image, x, barY)).toEqual(barAt(x));
    expect(rgb(full.image, bar.x0, barY)).toEqual([0, 0, 0]);
    // Text (end labels, unit) under the bar; the title above the map.
    let textInk = 0;
    for (let y = bar.y1 + 1; y < full.image.height; y++) for (let x = 0; x < full.image.width; x++) if (rgb(full.image, x, y)[0] < 128) textInk++;
    expect(textInk).toBeGreaterThan(100);
    let titleInk = 0;
    for (let y = 0; y < full.layout.map.y0; y++) for (let x = 0; x < full.image.width; x++) if (rgb(full.image, x, y)[0] < 128) titleInk++;
    expect(titleInk).toBeGreaterThan(50);
    // Graticule lines darken some pixels inside the ellipse that the bare picture has brighter.
    let darker = 0;
    const shift = full.layout.map.y0 - bare.layout.map.y0;
    for (let y = bare.layout.map.y0; y < bare.layout.map.y1; y++) {
      for (let x = bare.layout.map.x0; x < bare.layout.map.x1; x++) {
        if (rgb(full.image, x, y + shift)[1] < rgb(bare.image, x, y)[1] - 20) darker++;
      }
    }
    expect(darker).toBeGreaterThan(300);
    expect(formatBarValue(-0.000123456)).toBe("-1.235e-4");
    expect(formatBarValue(2.5)).toBe("2.5");
    expect(formatBarValue(123456)).toBe("1.235e5");
  });

  it("refuses specs it cannot draw, saying which value is wrong", () => {
    expect(validateSkyMapSpec({ values: lonMap, nside: 3 })).toEqual({ ok: false, error: "nside must be a power of two from 1 to 8192, got 3" });
    expect(validateSkyMapSpec({ values: lonMap.subarray(1), nside })).toEqual({ ok: false, error: "a map of nside 4 has 192 pixels, got 191" });
    expect(validateSkyMapSpec({ values: lonMap, nside, min: 5, max: 1 })).toEqual({ ok: false, error: "min (5) is above max (1)" });
    expect(validateSkyMapSpec({ values: lonMap, nside, norm: "log", min: 0, max: 1 })).toEqual({ ok: false, error: "the log norm needs a positive min, got 0" });
    expect(validateSkyMapSpec({ values: lonMap, nside, graticule: 0 }).ok).toBe(false);
  });
});
