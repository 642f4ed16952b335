import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readMap } from "../../src/fits/index.js";
import { HandlerError } from "../../src/handlers/handler.js";
import { HealpyMap } from "../../src/handlers/healpy-map.js";
import { ring2nestMap } from "../../src/healpix/pixel.js";

describe("HealpyMap handler", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-healpymap-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const ramp = (n: number, offset = 0): Float64Array => Float64Array.from({ length: n }, (_, i) => i * 0.5 + offset);

  it("writes and reads one map, keeping float64 unless asked for float32", async () => {
    const path = join(dir, "m.fits");
    const map = ramp(12 * 16 * 16);
    await HealpyMap.write(path, map, {});
    const back = await HealpyMap.read(path);
    expect(back).toBeInstanceOf(Float64Array);
    expect(Array.from(back as Float64Array)).toEqual(Array.from(map));
    await HealpyMap.write(path, map, { dtype: "float32", column_units: "uK_CMB", coord: "G" });
    const file = await readMap(path);
    expect(file.fields[0]).toBeInstanceOf(Float32Array);
    expect(file.units).toEqual(["uK_CMB"]);
    expect(file.header.getString("COORDSYS")).toBe("G");
    expect(await HealpyMap.read(path, { dtype: "float64" })).toBeInstanceOf(Float64Array);
  });

  it("writes several fields and selects them with the field option", async () => {
    const path = join(dir, "iqu.fits");
    const npix = 12 * 8 * 8;
    await HealpyMap.write(path, [ramp(npix), ramp(npix, 1), ramp(npix, 2)], { column_names: ["I", "Q", "U"] });
    const q = (await HealpyMap.read(path, { field: 1 })) as Float64Array;
    expect(q[0]).toBe(1);
    const all = (await HealpyMap.read(path, { field: "all" })) as Float64Array[];
    expect(all.map((f) => f[0])).toEqual([0, 1, 2]);
    const some = (await HealpyMap.read(path, { field: [2, 0] })) as Float64Array[];
    expect(some.map((f) => f[0])).toEqual([2, 0]);
    expect((await readMap(path, { field: "all" })).columnNames).toEqual(["I", "Q", "U"]);
  });

  it("labels NESTED data and reads it back as RING by default", async () => {
    const path = join(dir, "nest.fits");
    const ring = ramp(12 * 4 * 4);
    await HealpyMap.write(path, ring2nestMap(ring), { nest: true });
    expect(Array.from((await HealpyMap.read(path)) as Float64Array)).toEqual(Array.from(ring));
  });

  it("turns FITS errors into handler errors naming the file", async () => {
    const path = join(dir, "bad.fits");
    writeFileSync(path, "not a fits file at all");
    const error = await HealpyMap.read(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandlerError);
    expect((error as Error).message).toMatch(new RegExp(`^${path}: `));
    await expect(HealpyMap.read(path, { field: "x" })).rejects.toThrow('HealpyMap option "field" must be a number, a list of numbers or "all", got "x"');
    await expect(HealpyMap.write(path, Uint32Array.from([1]), {})).rejects.toThrow(`${path}: map 0 is a Uint32Array; HealpyMap writes Float32Array, Float64Array, Int16Array, Int32Array or Uint8Array`);
  });
});
