/**
 * Our Mollweide pictures against healpy's: scripts/goldens/mollview.py draws smooth maps with
 * `hp.mollview(...); plt.savefig`, we draw the same FITS files, and the pixel colours must agree
 * over ≥ 99 % of the sphere's area. Both ellipses are located as the bounding box of non-white
 * pixels, so matplotlib's margins do not matter; our picture is drawn at the width of healpy's
 * ellipse so that both sample the sphere at nearly the same points.
 */
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { readMap } from "../../src/fits/index.js";
import type { RgbaImage } from "../../src/handlers/plot/render.js";
import { renderSkyMap } from "../../src/handlers/plot/sky-map.js";
import type { SkyMapSpec } from "../../src/handlers/plot/sky-map.js";
import { PYTHON, makeTempDir } from "./helpers.js";

const probe = spawnSync(PYTHON, ["-c", "import healpy, matplotlib"], { encoding: "utf8" });
const skipReason = probe.status === 0 ? "" : ` (skipped: ${PYTHON} cannot import healpy and matplotlib)`;

/** A colour "agrees" when no channel differs by more than this (of 255). */
const TOLERANCE = 12;

type Box = readonly [number, number, number, number];

/** Bounding box [x0, y0, x1, y1) of the non-white pixels in rows [0, rows). */
function inkBox(image: RgbaImage, rows = image.height): Box {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < image.width; x++) {
      const i = 4 * (y * image.width + x);
      if (image.data[i] === 255 && image.data[i + 1] === 255 && image.data[i + 2] === 255) continue;
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x + 1), Math.max(y1, y + 1)];
    }
  }
  return [x0, y0, x1, y1];
}

/**
 * The fraction of our ellipse's pixels (inside 0.97 of its radius, clear of the antialiased rim)
 * whose colour agrees with healpy's at the same place of the ellipse. A pixel box [x0, x1) holds
 * an ellipse whose edges lie about half a pixel outside the outermost pixel centres' cells.
 */
function agreement(ours: RgbaImage, oursBox: Box, ref: RgbaImage, refBox: Box, mirror = false): number {
  let n = 0;
  let agree = 0;
  for (let y = oursBox[1]; y < oursBox[3]; y++) {
    for (let x = oursBox[0]; x < oursBox[2]; x++) {
      let u = ((x + 0.5 - oursBox[0]) / (oursBox[2] - oursBox[0])) * 2 - 1;
      const v = ((y + 0.5 - oursBox[1]) / (oursBox[3] - oursBox[1])) * 2 - 1;
      if (u * u + v * v > 0.97) continue;
      if (mirror) u = -u;
      const hx = Math.floor(refBox[0] - 0.5 + ((u + 1) / 2) * (refBox[2] - refBox[0] + 1));
      const hy = Math.floor(refBox[1] - 0.5 + ((v + 1) / 2) * (refBox[3] - refBox[1] + 1));
      const i = 4 * (y * ours.width + x);
      const j = 4 * (hy * ref.width + hx);
      let d = 0;
      for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs((ours.data[i + c] ?? 0) - (ref.data[j + c] ?? 0)));
      n++;
      if (d <= TOLERANCE) agree++;
    }
  }
  return agree / n;
}

/** The cases of scripts/goldens/mollview.py, with the same options in our terms. */
const CASES: readonly { readonly name: string; readonly nest: boolean; readonly spec: Partial<SkyMapSpec> }[] = [
  { name: "viridis-lin", nest: false, spec: { min: -1.5, max: 1.5, cmap: "viridis" } },
  { name: "coolwarm-rot", nest: false, spec: { min: -2, max: 1.6, cmap: "coolwarm", rot: { lon: 60, lat: 30 } } },
  { name: "unseen-nest", nest: true, spec: { cmap: "viridis" } },
  { name: "cart-rot", nest: false, spec: { min: -1.5, max: 1.5, cmap: "coolwarm", rot: { lon: 100, lat: 0 }, proj: "cart" } },
  { name: "ortho-rot", nest: false, spec: { min: -1.5, max: 1.5, cmap: "viridis", rot: { lon: -40, lat: 50 }, proj: "ortho" } },
];

/**
 * The image width whose drawing is `drawing` pixels wide: the drawing is the width less 2 × 4b
 * of padding (text scale b = ⌊width/480⌋ + 1), halved for the orthographic disc.
 */
function widthFor(drawing: number, ortho: boolean): number {
  for (let b = 1; b < 20; b++) {
    const width = (ortho ? 2 * drawing : drawing) + 8 * b;
    if (Math.floor(width / 480) + 1 === b) return width;
  }
  throw new Error(`no width draws ${drawing} px`);
}

describe(`mollview (and cartview, orthview) pictures agree with healpy's${skipReason}`, () => {
  let dir = "";
  let cleanup: () => Promise<void> = async () => {};
  beforeAll(async () => {
    if (skipReason !== "") return;
    ({ dir, cleanup } = await makeTempDir());
    const script = join(import.meta.dirname, "../../scripts/goldens/mollview.py");
    const run = spawnSync(PYTHON, [script, dir], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`${script} failed: ${run.stderr}`);
  }, 120_000);
  afterAll(async () => {
    await cleanup();
  });

  for (const { name, nest, spec } of CASES) {
    it.skipIf(skipReason !== "")(`${name}: ≥ 99 % of the sphere's area has healpy's colours`, async () => {
      const png = PNG.sync.read(await readFile(join(dir, `${name}.png`)));
      const ref: RgbaImage = { width: png.width, height: png.height, data: png.data };
      const refBox = inkBox(ref);
      const map = await readMap(join(dir, `${name}.fits`), { nest, dtype: "float64" });
      const values = map.fields[0];
      if (values === undefined) throw new Error("no field");
      const width = widthFor(refBox[2] - refBox[0], spec.proj === "ortho");
      const { image, layout } = renderSkyMap({ values, nside: map.nside, nest, width, ...spec });
      expect(layout.map.x1 - layout.map.x0).toBe(refBox[2] - refBox[0]);
      const ourBox = inkBox(image, layout.bar.y0);
      expect(ourBox).toEqual([layout.map.x0, layout.map.y0, layout.map.x1, layout.map.y1]);
      expect(agreement(image, ourBox, ref, refBox)).toBeGreaterThanOrEqual(0.99);
      // The comparison can tell orientations apart: mirrored (longitude increasing to the right), most colours differ.
      expect(agreement(image, ourBox, ref, refBox, true)).toBeLessThan(0.7);
    });
  }
});
