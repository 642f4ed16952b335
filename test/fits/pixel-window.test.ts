import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FitsError } from "../../src/fits/errors.js";
import { pixwin, pixwinPath } from "../../src/fits/pixel-window.js";
import { encodeCl } from "../../src/fits/spectra.js";
import { goldenCases, goldenValues, num } from "../healpix/sht-goldens.js";

describe("pixwin from Debian's healpy-data files, against healpy 1.16", () => {
  const cases = goldenCases("pixwin");
  it.each(cases.map((c) => [c.name, c] as const))("%s: same values and lengths as healpy's pixwin", async (_name, c) => {
    const nside = num(c, "nside");
    const [t, p] = await pixwin(nside, { pol: true, lmax: 4 * nside });
    expect(t.length).toBe(num(c, "length"));
    expect(p.length).toBe(num(c, "length"));
    const want = goldenValues(c);
    const idx = [0, 1, 2, 3 * nside - 1, 4 * nside];
    idx.forEach((l, i) => {
      expect(t[l]).toBe(want[i]);
      expect(p[l]).toBe(want[idx.length + i]);
    });
    expect((await pixwin(nside)).length).toBe(num(c, "default_length"));
    // healpy caps lmax at the file's 4·nside.
    expect((await pixwin(nside, { lmax: 10 * nside })).length).toBe(4 * nside + 1);
  });

  it("names the missing file and the package to install", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pixwin-"));
    try {
      await expect(pixwin(16, { dataDir: dir })).rejects.toThrow(
        new FitsError(pixwinPath(16, dir), "bad-input", "pixel window file not found (install Debian's healpy-data, or pass dataDir)"),
      );
      await writeFile(pixwinPath(16, dir), encodeCl([new Float64Array(65)]));
      await expect(pixwin(16, { dataDir: dir })).rejects.toThrow(`${pixwinPath(16, dir)}: expected columns TEMPERATURE, POLARIZATION, found TEMPERATURE`);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it("rejects a bad nside or lmax before touching the disk", async () => {
    await expect(pixwin(12)).rejects.toThrow(new RangeError("nside must be a power of two between 1 and 8192, got 12"));
    await expect(pixwin(16, { lmax: -2 })).rejects.toThrow(new RangeError("lmax must be a non-negative integer, got -2"));
  });
});
