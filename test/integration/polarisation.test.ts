/**
 * The IQU scenario end to end through the real CLI (`scenario=nside64_iqu`, one sim per split):
 * maps with three Stokes columns as healpy writes them, the CMB as healpy's
 * `synfast(new=True)` draws it from the node's seed, noise per field (Q and U √2 noisier), per-field
 * statistics, the six spectra and a figure with a panel per spectrum.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readMap } from "../../src/fits/index.js";
import { decodeNpy } from "../../src/handlers/npy.js";
import { seedFor } from "../../src/core/run-node.js";
import { mapStats } from "../../src/healpix/stats.js";
import type { Project } from "./project.js";
import { makeProject } from "./project.js";

const PYTHON = "/usr/bin/python3";
const probe = spawnSync(PYTHON, ["-c", "import healpy"], { encoding: "utf8" });
const healpyMissing = probe.status === 0 ? undefined : (probe.error?.message ?? probe.stderr.trim().split("\n").at(-1) ?? `exit status ${String(probe.status)}`);

describe("the IQU scenario", () => {
  let project: Project;
  let iqu: { code: number; stdout: string; stderr: string };
  let work = "";
  let temperatureWork = "";
  beforeAll(() => {
    project = makeProject({}, { defaultCfg: true });
    iqu = project.run(["run", "scenario=nside64_iqu", "splits=1-1"], {}, 240_000);
    project.run(["run", "splits=1-1", "--until", "make_noise"], {}, 240_000);
    work = join(project.dir, "data", "IQU_64_1-1", "Simulation_Working");
    temperatureWork = join(project.dir, "data", "T_64_1-1", "Simulation_Working");
  }, 300_000);
  afterAll(() => project.cleanup());

  it("runs every stage", () => {
    expect(iqu.stderr).toContain("done: 37 ran");
    expect(iqu.code).toBe(0);
  });

  it("writes I, Q, U maps as TEMPERATURE, Q_POLARISATION, U_POLARISATION in the scenario's unit", async () => {
    for (const path of ["B_Make_CMB/Test/sim0000/cmb_map.fits", "C_Make_Noise/Test/sim0000/noise_30_map.fits", "D_Make_Obs/Train/sim0000/obs_217_map.fits"]) {
      const map = await readMap(join(work, path), { field: "all" });
      expect({ path, names: map.columnNames, units: map.units, nside: map.nside }).toEqual({
        path,
        names: ["TEMPERATURE", "Q_POLARISATION", "U_POLARISATION"],
        units: ["uK_CMB", "uK_CMB", "uK_CMB"],
        nside: 64,
      });
    }
  });

  it("draws noise I as the temperature scenario does (same seed), and Q, U with √2 × its depth", async () => {
    const noise = await readMap(join(work, "C_Make_Noise/Valid/sim0000/noise_100_map.fits"), { field: "all" });
    const temperature = await readMap(join(temperatureWork, "C_Make_Noise/Valid/sim0000/noise_100_map.fits"));
    const bytes = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    expect(bytes(noise.fields[0]!).equals(bytes(temperature.fields[0]!))).toBe(true);
    const [i, q, u] = noise.fields.map((f) => mapStats(f).std);
    // 49152 pixels: the std of a std estimate is ~0.3 %.
    expect(q! / i!).toBeCloseTo(Math.SQRT2, 1);
    expect(Math.abs(q! / i! - Math.SQRT2)).toBeLessThan(0.02);
    expect(Math.abs(u! / i! - Math.SQRT2)).toBeLessThan(0.02);
  });

  it("keeps statistics per frequency and field, and writes the six spectra", () => {
    const stats = parse(readFileSync(join(work, "E_Dataset_Stats", "dataset_stats.yaml"), "utf8")) as { stats: Record<string, Record<string, { count: number }>> };
    expect(Object.keys(stats.stats["100"] ?? {})).toEqual(["I", "Q", "U"]);
    expect(stats.stats["100"]?.["Q"]?.count).toBe(12 * 64 * 64);
    const npy = (p: string): readonly number[] => {
      const d = decodeNpy(readFileSync(join(work, "F_PS_Analysis", "Test", "sim0000", p)));
      if (!d.ok) throw new Error(d.error.message);
      return d.value.shape;
    };
    expect(npy("cmb_cl.npy")).toEqual([6, 129]);
    expect(npy("obs_cl.npy")).toEqual([3, 6, 129]);
    const summary = parse(readFileSync(join(work, "G_PS_Summary", "ps_summary.yaml"), "utf8")) as { spectra: Record<string, { theory_cl: number[] }> };
    expect(Object.keys(summary.spectra)).toEqual(["TT", "EE", "BB", "TE", "EB", "TB"]);
    expect(summary.spectra["EE"]?.theory_cl).toHaveLength(129);
    expect(readFileSync(join(work, "G_PS_Summary", "ps_summary.png")).subarray(1, 4).toString()).toBe("PNG");
  });

  it("runs the tutorial with IQU maps (a min/max row per field), and refuses IQU maps where the scenario is temperature-only", () => {
    const tutorial = project.run(["run", "--config-name", "tutorial", "scenario=nside64_iqu", "splits=1-1"], {}, 240_000);
    expect(tutorial.code, tutorial.stderr).toBe(0);
    const csv = readFileSync(join(project.dir, "data", "Tutorial_64_1-1", "C_Min_Max", "map_min_max.csv"), "utf8").split("\n");
    expect(csv[0]).toBe("split,sim,field,min,max");
    expect(csv.slice(1, 4).map((row) => row.split(",").slice(0, 3).join(","))).toEqual(["Train,0,I", "Train,0,Q", "Train,0,U"]);
    // The tutorial's dataset folder does not depend on map_fields: the T scenario finds the IQU maps.
    const refused = project.run(["run", "--config-name", "tutorial", "splits=1-1", "--only", "get_map_min_max"], {}, 240_000);
    expect(refused.code).toBe(1);
    // Which split's scan fails first depends on scheduling: any of them, with the same message.
    const folder = join(project.dir, "data", "Tutorial_64_1-1", "B_CMB_Map");
    const failed = refused.stderr.split("\n").find((line) => line.includes("cannot be read")) ?? "";
    const split = /B_CMB_Map\/(Train|Valid|Test)\//.exec(failed)?.[1] ?? "Train";
    expect(failed).toContain(
      `input "cmb_map" of stage "get_map_min_max" cannot be read: ${join(folder, split, "sim0000", "cmb_map.fits")}: holds 3 map columns (TEMPERATURE, Q_POLARISATION, U_POLARISATION) but fields: T expects 1 map (I)`,
    );
  });

  it.skipIf(healpyMissing !== undefined)(
    healpyMissing ? `makes the CMB healpy's synfast(new=True) makes from the same seed — SKIPPED: healpy cannot be imported (${healpyMissing})` : "makes the CMB healpy's synfast(new=True) makes from the same seed",
    () => {
      const seed = seedFor(20261122, "make_cmb", { split: "Test", sim: 0 });
      const script = String.raw`
import sys, json, numpy as np, healpy as hp
cls = np.loadtxt(sys.argv[1]).T
np.random.seed(int(sys.argv[2]))
m = hp.synfast(cls, 64, lmax=128, new=True)
ours = hp.read_map(sys.argv[3], field=(0, 1, 2), dtype=None)
print(json.dumps([float(np.max(np.abs(ours[k] - m[k])) / np.max(np.abs(m[k]))) for k in range(3)]))
`;
      const run = spawnSync(
        PYTHON,
        ["-c", script, join(work, "A_PS_Setup", "cmb_ps_theory.txt"), String(seed), join(work, "B_Make_CMB", "Test", "sim0000", "cmb_map.fits")],
        { encoding: "utf8" },
      );
      expect(run.stderr).toBe("");
      const errors = JSON.parse(run.stdout) as number[];
      for (const e of errors) expect(e).toBeLessThan(1e-11);
    },
  );
});
