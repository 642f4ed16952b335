/** `cmbflow view`: writes a PNG of a map; bad files and flags are one line and exit code 2. */
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { writeMap } from "../../src/fits/index.js";
import { Figure } from "../../src/handlers/figure.js";
import { UNSEEN } from "../../src/healpix/nside.js";
import { REPO, cli, tempProject } from "./harness.js";

describe("cmbflow view", () => {
  let project: { dir: string; cleanup: () => void };
  beforeAll(async () => {
    project = tempProject();
    const nside = 8;
    const map = Float64Array.from({ length: 12 * nside * nside }, (_, i) => Math.sin(i / 40));
    map[5] = UNSEEN;
    await writeMap(join(project.dir, "sky.fits"), [map, map.map((v) => 2 * v)], { columnUnits: ["uK_CMB", "uK_CMB"] });
    copyFileSync(join(REPO, "test/fixtures/fits/map-e3-n8-nested.fits.gz"), join(project.dir, "nested.fits.gz"));
    writeFileSync(join(project.dir, "junk.fits"), "SIMPLE  = this is not FITS");
  });
  afterAll(() => project.cleanup());

  it("draws a map as a PNG next to where it runs, named after the map", async () => {
    const result = await cli(project.dir, ["view", "sky.fits"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const out = join(project.dir, "sky.png");
    const image = await Figure.read(out);
    expect(result.stdout).toBe(`wrote ${out} (800×${image.height}, nside 8, moll, viridis)\n`);
    expect(image.width).toBe(800);
    // The UNSEEN pixel (near the north pole) is drawn grey somewhere.
    let grey = 0;
    for (let i = 0; i < image.width * image.height; i++) {
      if (image.data[4 * i] === 128 && image.data[4 * i + 1] === 128 && image.data[4 * i + 2] === 128) grey++;
    }
    expect(grey).toBeGreaterThan(0);
  });

  it("takes every option: field, range, unit, title, colour map, norm, graticule, rotation, projection, width", async () => {
    const args = ["view", "nested.fits.gz", "-o", "out/ortho.png", "--field", "2", "--min", "-1", "--max", "1", "--unit", "K", "--title", "Q"];
    const more = ["--cmap", "planck", "--norm", "symlog", "--graticule", "30", "--rot", "90,30", "--proj", "ortho", "--width", "400"];
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(project.dir, "out"));
    const result = await cli(project.dir, [...args, ...more]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const image = await Figure.read(join(project.dir, "out/ortho.png"));
    expect(image.width).toBe(400);
    const plain = await cli(project.dir, ["view", "nested.fits.gz", "-o", "plain.png", "--field", "2", "--width", "400", "--proj", "ortho"]);
    expect(plain.code).toBe(0);
    expect((await Figure.read(join(project.dir, "plain.png"))).data.equals(image.data)).toBe(false);
  });

  it("refuses missing and corrupt files, absent fields and bad flag values in one line, exit code 2", async () => {
    const cases: [string[], string][] = [
      [["view", "nope.fits"], `error: no such file: ${join(project.dir, "nope.fits")}\n`],
      [["view", "sky.fits", "--field", "5"], `error: ${join(project.dir, "sky.fits")}: field 5 is out of range: HDU 1 has 2 map columns (0 Q_POLARISATION, 1 U_POLARISATION)\n`],
      [["view", "junk.fits"], `error: ${join(project.dir, "junk.fits")}: not a FITS file: it does not start with the card SIMPLE = T\n`],
      [["view", "sky.fits", "--cmap", "jet"], "error: option '--cmap <name>' argument 'jet' is invalid. expected one of planck, viridis, coolwarm.\n"],
      [["view", "sky.fits", "--norm", "sqrt"], "error: option '--norm <name>' argument 'sqrt' is invalid. expected one of lin, log, hist, symlog.\n"],
      [["view", "sky.fits", "--proj", "gnom"], "error: option '--proj <name>' argument 'gnom' is invalid. expected one of moll, cart, ortho.\n"],
      [["view", "sky.fits", "--rot", "10,100"], "error: option '--rot <lon,lat>' argument '10,100' is invalid. the latitude must be in [-90, 90].\n"],
      [["view", "sky.fits", "--rot", "east"], "error: option '--rot <lon,lat>' argument 'east' is invalid. expected LON or LON,LAT in degrees, e.g. 90,30.\n"],
      [["view", "sky.fits", "--min", "low"], "error: option '--min <value>' argument 'low' is invalid. expected a number, e.g. -3e-4.\n"],
      [["view", "sky.fits", "--field", "-1"], "error: option '--field <n>' argument '-1' is invalid. expected a whole number ≥ 0.\n"],
      [["view", "sky.fits", "--min", "2", "--max", "1"], `error: ${join(project.dir, "sky.fits")}: cannot draw field 0: min (2) is above max (1)\n`],
      [["view", "sky.fits", "--norm", "log", "--min", "0", "--max", "1"], `error: ${join(project.dir, "sky.fits")}: cannot draw field 0: the log norm needs a positive min, got 0\n`],
    ];
    for (const [args, message] of cases) {
      const result = await cli(project.dir, args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr, args.join(" ")).toBe(message);
      expect(result.stderr.split("\n").length, result.stderr).toBe(2);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
