/**
 * HealpyMap's `fields` option (I | IQU, CMB-ML's map_fields), and IQU files as healpy writes and
 * reads them: our IQU file is byte-identical to healpy's write_map of the same maps, healpy reads
 * ours with field=(0,1,2) bit for bit, and we read healpy's. The healpy half skips without healpy.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readMap } from "../../src/fits/index.js";
import { HandlerError } from "../../src/handlers/handler.js";
import { HealpyMap } from "../../src/handlers/healpy-map.js";

const PYTHON = "/usr/bin/python3";
const probe = spawnSync(PYTHON, ["-c", "import healpy"], { encoding: "utf8" });
const healpyMissing = probe.status === 0 ? undefined : (probe.error?.message ?? probe.stderr.trim().split("\n").at(-1) ?? `exit status ${String(probe.status)}`);

const NPIX = 12 * 16 * 16;
/** Three distinct float64 maps with values that use all 53 bits of the mantissa. */
const iqu = (): Float64Array[] => [0, 1, 2].map((k) => Float64Array.from({ length: NPIX }, (_, i) => Math.sin(0.37 * i + k) * 100 + k / 3));

function sha(a: Float64Array): string {
  return createHash("sha256").update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest("hex");
}

describe("HealpyMap fields option", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-fields-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writes IQU as TEMPERATURE, Q_POLARISATION, U_POLARISATION with units and reads the three back", async () => {
    const path = join(dir, "iqu.fits");
    const maps = iqu();
    await HealpyMap.write(path, { maps, units: "uK_CMB" }, { fields: "IQU" });
    const file = await readMap(path, { field: "all" });
    expect(file.columnNames).toEqual(["TEMPERATURE", "Q_POLARISATION", "U_POLARISATION"]);
    expect(file.units).toEqual(["uK_CMB", "uK_CMB", "uK_CMB"]);
    const back = (await HealpyMap.read(path, { fields: "IQU" })) as Float64Array[];
    expect(back.map(sha)).toEqual(maps.map(sha));
  });

  it("reads an I file as a list of one map, and T means I", async () => {
    const path = join(dir, "i.fits");
    const [i] = iqu();
    await HealpyMap.write(path, i!, { fields: "T" });
    expect((await readMap(path)).columnNames).toEqual(["T"]);
    const back = (await HealpyMap.read(path, { fields: "I" })) as Float64Array[];
    expect(back).toHaveLength(1);
    expect(sha(back[0]!)).toBe(sha(i!));
  });

  it("refuses a file or data whose field count does not match, and bad option values", async () => {
    const one = join(dir, "one.fits");
    const three = join(dir, "three.fits");
    const maps = iqu();
    await HealpyMap.write(one, maps[0]!, {});
    await HealpyMap.write(three, maps, {});
    await expect(HealpyMap.read(one, { fields: "IQU" })).rejects.toThrow(`${one}: holds 1 map column (T) but fields: IQU expects 3 maps (I, Q, U)`);
    await expect(HealpyMap.read(three, { fields: "I" })).rejects.toThrow(
      `${three}: holds 3 map columns (TEMPERATURE, Q_POLARISATION, U_POLARISATION) but fields: I expects 1 map (I)`,
    );
    await expect(HealpyMap.write(join(dir, "x.tmp"), maps[0]!, { fields: "IQU", finalPath: join(dir, "x.fits") })).rejects.toThrow(
      `${join(dir, "x.fits")}: fields: IQU expects 3 maps (I, Q, U), but 1 map was given`,
    );
    const bad = await HealpyMap.read(three, { fields: "IQ" }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(HandlerError);
    expect((bad as Error).message).toBe(`${three}: HealpyMap option "fields" must be I (or T) or IQU, got "IQ"`);
    await expect(HealpyMap.read(three, { fields: "IQU", field: 1 })).rejects.toThrow('HealpyMap options "field" and "fields" cannot be given together');
  });
});

describe.skipIf(healpyMissing !== undefined)(
  healpyMissing ? `IQU files and healpy — SKIPPED: \`${PYTHON} -c "import healpy"\` failed (${healpyMissing})` : "IQU files and healpy",
  () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "cmbflow-fields-hp-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("healpy reads ours with field=(0,1,2) bit for bit, writes the same bytes, and we read its file", async () => {
      const ours = join(dir, "ours.fits");
      const theirs = join(dir, "theirs.fits");
      const maps = iqu();
      await HealpyMap.write(ours, { maps, units: "uK_CMB" }, { fields: "IQU" });
      const script = String.raw`
import hashlib, json, sys, warnings
import numpy as np, healpy as hp
warnings.simplefilter("ignore")
m, h = hp.read_map(sys.argv[1], field=(0, 1, 2), dtype=None, h=True)
h = dict(h)
hp.write_map(sys.argv[2], m, column_units="uK_CMB", dtype=m.dtype)
le = [np.ascontiguousarray(a, dtype="<f8") for a in m]
print(json.dumps({"dtype": str(m.dtype), "sha": [hashlib.sha256(a.tobytes()).hexdigest() for a in le],
  "names": [h.get("TTYPE%d" % k) for k in (1, 2, 3)], "units": [h.get("TUNIT%d" % k) for k in (1, 2, 3)]}))
`;
      const run = spawnSync(PYTHON, ["-c", script, ours, theirs], { encoding: "utf8" });
      expect(run.stderr).toBe("");
      const seen = JSON.parse(run.stdout) as { dtype: string; sha: string[]; names: string[]; units: string[] };
      expect(seen).toEqual({
        dtype: "float64",
        sha: maps.map(sha),
        names: ["TEMPERATURE", "Q_POLARISATION", "U_POLARISATION"],
        units: ["uK_CMB", "uK_CMB", "uK_CMB"],
      });
      expect(readFileSync(theirs).equals(readFileSync(ours))).toBe(true);
      const back = (await HealpyMap.read(theirs, { fields: "IQU" })) as Float64Array[];
      expect(back.map(sha)).toEqual(maps.map(sha));
    });
  },
);
