/** Stages read maps as lists of Stokes fields and refuse a file whose field count is not the scenario's. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputAsset } from "../../src/core/asset.js";
import { Namer } from "../../src/core/namer.js";
import { HealpyMap } from "../../src/handlers/healpy-map.js";
import type { HealpyMapData } from "../../src/handlers/healpy-map.js";
import { readFields } from "../../src/stages/stokes.js";

describe("readFields", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-stokes-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const npix = 12 * 4 * 4;
  const ramp = (offset: number): Float64Array => Float64Array.from({ length: npix }, (_, i) => i + offset);
  const input = (options: Record<string, unknown>): InputAsset<HealpyMapData> =>
    new InputAsset<HealpyMapData>(
      { name: "cmb_map", stage: "make_obs", producer: "make_cmb", producerDir: "B", template: `${dir}/{freq}.fits`, handler: HealpyMap, options },
      new Namer({}),
    );

  it("gives one array per field, for files read with or without the fields option", async () => {
    await HealpyMap.write(join(dir, "30.fits"), [ramp(0), ramp(1), ramp(2)], {});
    await HealpyMap.write(join(dir, "100.fits"), ramp(5), {});
    expect((await readFields(input({ fields: "IQU" }), "IQU", { freq: 30 })).map((m) => m[1])).toEqual([1, 2, 3]);
    expect((await readFields(input({ field: "all" }), "IQU", { freq: 30 })).map((m) => m[0])).toEqual([0, 1, 2]);
    expect((await readFields(input({}), "I", { freq: 100 })).map((m) => m[0])).toEqual([5]);
  });

  it("refuses a temperature map in an IQU scenario and an IQU map in a temperature one, naming input, stage and file", async () => {
    await HealpyMap.write(join(dir, "30.fits"), [ramp(0), ramp(1), ramp(2)], {});
    await HealpyMap.write(join(dir, "100.fits"), ramp(5), {});
    await expect(readFields(input({}), "IQU", { freq: 100 })).rejects.toThrow(
      `input "cmb_map" of stage "make_obs" cannot be read: ${dir}/100.fits: holds 1 map field but scenario.map_fields is IQU (3: I, Q, U)`,
    );
    await expect(readFields(input({ field: "all" }), "I", { freq: 30 })).rejects.toThrow(
      `input "cmb_map" of stage "make_obs" cannot be read: ${dir}/30.fits: holds 3 map fields but scenario.map_fields is I (1: I)`,
    );
    await expect(readFields(input({ fields: "IQU" }), "IQU", { freq: 100 })).rejects.toThrow(
      `input "cmb_map" of stage "make_obs" cannot be read: ${dir}/100.fits: holds 1 map column (T) but fields: IQU expects 3 maps (I, Q, U)`,
    );
    await expect(readFields(input({ fields: "QU" }), "IQU", { freq: 30 })).rejects.toThrow(
      `input "cmb_map" of stage "make_obs" cannot be read: ${dir}/30.fits: HealpyMap option "fields" must be I (or T) or IQU, got "QU"`,
    );
  });
});
