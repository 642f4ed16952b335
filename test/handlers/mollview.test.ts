import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { Mollview } from "../../src/handlers/mollview.js";
import { colorAt, colormap } from "../../src/handlers/plot/colormaps.js";
import { renderSkyMap } from "../../src/handlers/plot/sky-map.js";
import { getHandler } from "../../src/handlers/index.js";
import { makeTempDir } from "./helpers.js";

let dir = "";
let cleanup: () => Promise<void> = async () => {};
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterAll(async () => {
  await cleanup();
});

const nside = 4;
const map = Float64Array.from({ length: 12 * nside * nside }, (_, i) => i);

describe("Mollview handler", () => {
  it("is registered, and writes the picture renderSkyMap draws, with the YAML options as defaults", async () => {
    expect(getHandler("Mollview")).toBe(Mollview);
    const path = join(dir, "a.png");
    await Mollview.write(path, { map, title: "T" }, { cmap: "coolwarm", graticule: 45, width: 400, min: 0 });
    const back = await Mollview.read(path);
    const expected = renderSkyMap({ values: map, nside, title: "T", cmap: "coolwarm", graticule: 45, width: 400, min: 0 });
    expect([back.width, back.height]).toEqual([expected.image.width, expected.image.height]);
    expect(back.data.equals(expected.image.data)).toBe(true);
    // The data wins over the options.
    const b = join(dir, "b.png");
    await Mollview.write(b, { map, cmap: "planck" }, { cmap: "coolwarm", width: 400 });
    const image = await Mollview.read(b);
    const { layout } = renderSkyMap({ values: map, nside, cmap: "planck", width: 400 });
    const i = 4 * ((layout.bar.y0 + 2) * image.width + layout.bar.x0 + 1);
    expect([image.data[i], image.data[i + 1], image.data[i + 2]]).toEqual(Object.values(colorAt(colormap("planck"), 1.5 / (layout.bar.x1 - layout.bar.x0))));
  });

  it("refuses what it cannot draw, naming the file and the value", async () => {
    const where = { finalPath: "/out/cmb.png" };
    const t = join(dir, "t.png");
    await expect(Mollview.write(t, { map: map.subarray(1) }, where)).rejects.toThrow(
      "/out/cmb.png: a HEALPix map has 12·nside² values (nside a power of two), got 191",
    );
    await expect(Mollview.write(t, { map }, { ...where, cmap: "jet" })).rejects.toThrow(
      '/out/cmb.png: option "cmap" must be one of planck, viridis, coolwarm, got "jet"',
    );
    await expect(Mollview.write(t, { map }, { ...where, rot: [1] })).rejects.toThrow('/out/cmb.png: option "rot" must be [lon, lat] in degrees, got [1]');
    await expect(Mollview.write(t, { map, min: 3, max: 1 }, where)).rejects.toThrow("/out/cmb.png: min (3) is above max (1)");
    await expect(Mollview.write(t, "a map" as never, where)).rejects.toThrow('/out/cmb.png: Mollview expects { map, ... } with a full-sky map, got string');
  });
});
