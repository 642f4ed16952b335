/**
 * The embedded default pipeline, end to end through the real CLI, and the physics of what it
 * writes: spectra of the CMB maps agree with theory within cosmic variance, and the observed
 * maps carry the configured beams and noise.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readMap } from "../../src/fits/index.js";
import { Figure } from "../../src/handlers/figure.js";
import { renderSkyMap } from "../../src/handlers/plot/sky-map.js";
import { decodeNpy } from "../../src/handlers/npy.js";
import { parseSpectrumText } from "../../src/handlers/text-power-spectrum.js";
import { arcmin2rad, gaussBeam } from "../../src/healpix/beams.js";
import { noiseSigmaFromDepth, noiseSpectrumFromDepth } from "../../src/healpix/noise.js";
import { mapStats } from "../../src/healpix/stats.js";
import type { Project } from "./project.js";
import { makeProject } from "./project.js";

const NSIDE = 64;
const LMAX = 128;
const TEST_SIMS = 10;
const DETECTORS = { "30": { fwhm: 32.3, depth: 150 }, "100": { fwhm: 9.7, depth: 77 }, "217": { fwhm: 5.0, depth: 100 } };

function npy(path: string): { data: Float32Array | Float64Array; shape: readonly number[] } {
  const decoded = decodeNpy(readFileSync(path));
  if (!decoded.ok) throw new Error(decoded.error.message);
  return decoded.value;
}

/** Mean z over 2 ≤ l ≤ lTop of (mean Ĉ_l − E C_l) / (E C_l √(2/((2l+1)N))), and its rms. */
function zStats(mean: Float64Array, expected: (l: number) => number, n: number, lTop: number): { mean: number; rms: number; maxAbs: number } {
  const z: number[] = [];
  for (let l = 2; l <= lTop; l++) z.push(((mean[l] ?? 0) - expected(l)) / (expected(l) * Math.sqrt(2 / ((2 * l + 1) * n))));
  const m = z.reduce((a, b) => a + b, 0) / z.length;
  return { mean: m, rms: Math.sqrt(z.reduce((a, b) => a + b * b, 0) / z.length), maxAbs: Math.max(...z.map(Math.abs)) };
}

describe("the default pipeline", () => {
  let project: Project;
  let result: { code: number; stdout: string; stderr: string };
  let dataset: string;
  beforeAll(() => {
    project = makeProject({}, { defaultCfg: true });
    result = project.run(["run", "splits=10-10"]);
    dataset = join(project.dir, "data", `T_${String(NSIDE)}_10-10`);
  }, 300_000);
  afterAll(() => project.cleanup());

  it("runs every stage and writes CMB-ML's layout", () => {
    expect(result.stderr).toContain("done: ");
    expect(result.code).toBe(0);
    const work = join(dataset, "Simulation_Working");
    expect(existsSync(join(work, "A_PS_Setup", "cmb_ps_theory.txt"))).toBe(true);
    expect(existsSync(join(work, "B_Make_CMB", "Train", "sim0009", "cmb_map.fits"))).toBe(true);
    expect(existsSync(join(work, "C_Make_Noise", "Valid", "sim0000", "noise_217_map.fits"))).toBe(true);
    expect(existsSync(join(work, "D_Make_Obs", "Test", "sim0003", "obs_100_map.fits"))).toBe(true);
    expect(existsSync(join(work, "F_PS_Analysis", "Test", "sim0009", "obs_cl.npy"))).toBe(true);
    expect(existsSync(join(work, "F_PS_Analysis", "Train"))).toBe(false);
    expect(existsSync(join(work, "G_PS_Summary", "ps_summary.png"))).toBe(true);
    const logs = readdirSync(join(dataset, "Logs")).filter((d) => !d.startsWith("."));
    expect(logs).toHaveLength(1);
    // The code snapshot holds the stages' sources, not cmbflow's compiled copies of them.
    const code = JSON.parse(readFileSync(join(dataset, "Logs", logs[0] ?? "", "code.json"), "utf8")) as { files: { path: string }[] };
    expect(code.files.map((f) => f.path)).toContain("cmbflow/src/stages/make-cmb.ts");
    expect(code.files.filter((f) => f.path.startsWith("cmbflow/dist/"))).toEqual([]);
  });

  it("computes dataset statistics over the training split only", () => {
    const stats = parse(readFileSync(join(dataset, "Simulation_Working", "E_Dataset_Stats", "dataset_stats.yaml"), "utf8")) as {
      n_sims: number;
      splits: string[];
      stats: Record<string, { count: number; std: number }>;
    };
    expect(stats.n_sims).toBe(10);
    expect(stats.splits).toEqual(["Train"]);
    expect(stats.stats["100"]?.count).toBe(10 * 12 * NSIDE * NSIDE);
  });

  it("gives CMB spectra whose mean matches the theory within cosmic variance (l ≤ 2·nside)", () => {
    const theoryText = parseSpectrumText(readFileSync(join(dataset, "Simulation_Working", "A_PS_Setup", "cmb_ps_theory.txt"), "utf8"));
    if (!theoryText.ok || !(theoryText.value instanceof Float64Array)) throw new Error("theory spectrum unreadable");
    const theory = theoryText.value;
    const mean = new Float64Array(LMAX + 1);
    for (let sim = 0; sim < TEST_SIMS; sim++) {
      const cl = npy(join(dataset, "Simulation_Working", "F_PS_Analysis", "Test", `sim${String(sim).padStart(4, "0")}`, "cmb_cl.npy"));
      expect(cl.shape).toEqual([LMAX + 1]);
      for (let l = 0; l <= LMAX; l++) mean[l] = (mean[l] ?? 0) + (cl.data[l] ?? 0) / TEST_SIMS;
    }
    const z = zStats(mean, (l) => theory[l] ?? 0, TEST_SIMS, Math.min(LMAX, 2 * NSIDE));
    // 127 multipoles of a standard normal: |mean| < 0.35 and rms within 0.8–1.2 hold with overwhelming probability.
    expect(Math.abs(z.mean)).toBeLessThan(0.35);
    expect(z.rms).toBeGreaterThan(0.8);
    expect(z.rms).toBeLessThan(1.2);
    expect(z.maxAbs).toBeLessThan(4.5);
  });

  it("gives observed maps the configured noise level and beams: ⟨C_l^obs⟩ = b_l² C_l + N_l", async () => {
    const theoryText = parseSpectrumText(readFileSync(join(dataset, "Simulation_Working", "A_PS_Setup", "cmb_ps_theory.txt"), "utf8"));
    if (!theoryText.ok || !(theoryText.value instanceof Float64Array)) throw new Error("theory spectrum unreadable");
    const theory = theoryText.value;
    for (const [i, [freq, det]] of Object.entries(DETECTORS).entries()) {
      // Pixel noise: the noise maps' std is σ = depth / √Ω_pix.
      const noise = (await readMap(join(dataset, "Simulation_Working", "C_Make_Noise", "Test", "sim0000", `noise_${freq}_map.fits`))).fields[0];
      if (noise === undefined) throw new Error("no noise map");
      const sigma = noiseSigmaFromDepth(det.depth, NSIDE);
      expect(Math.abs(mapStats(noise).std / sigma - 1)).toBeLessThan(0.02);
      // Spectra of the observed maps over the test sims.
      const mean = new Float64Array(LMAX + 1);
      for (let sim = 0; sim < TEST_SIMS; sim++) {
        const obs = npy(join(dataset, "Simulation_Working", "F_PS_Analysis", "Test", `sim${String(sim).padStart(4, "0")}`, "obs_cl.npy"));
        expect(obs.shape).toEqual([3, LMAX + 1]);
        for (let l = 0; l <= LMAX; l++) mean[l] = (mean[l] ?? 0) + (obs.data[i * (LMAX + 1) + l] ?? 0) / TEST_SIMS;
      }
      const beam = gaussBeam(arcmin2rad(det.fwhm), LMAX);
      const nl = noiseSpectrumFromDepth(det.depth);
      const z = zStats(mean, (l) => (beam[l] ?? 0) ** 2 * (theory[l] ?? 0) + nl, TEST_SIMS, Math.min(LMAX, 2 * NSIDE));
      expect(Math.abs(z.mean)).toBeLessThan(0.35);
      expect(z.rms).toBeLessThan(1.25);
    }
  });

  it("writes a summary and a figure", () => {
    const summary = parse(readFileSync(join(dataset, "Simulation_Working", "G_PS_Summary", "ps_summary.yaml"), "utf8")) as {
      n_sims: number;
      cosmic_variance_test: { z_rms: number };
    };
    expect(summary.n_sims).toBe(TEST_SIMS);
    expect(summary.cosmic_variance_test.z_rms).toBeLessThan(1.2);
    const png = readFileSync(join(dataset, "Simulation_Working", "G_PS_Summary", "ps_summary.png"));
    expect(png.subarray(1, 4).toString()).toBe("PNG");
  });

  it("draws mollviews of sim 0 of each split: the CMB, one noise map and each observed frequency", async () => {
    const work = join(dataset, "Simulation_Working");
    for (const split of ["Train", "Valid", "Test"]) {
      expect(readdirSync(join(work, "H_Mollview_Sim", split))).toEqual(["sim0000"]);
      expect(readdirSync(join(work, "H_Mollview_Sim", split, "sim0000")).sort()).toEqual(["cmb_map.png", "noise_map.png"]);
      expect(readdirSync(join(work, "I_Mollview_Obs", split, "sim0000")).sort()).toEqual(["obs_100_map.png", "obs_217_map.png", "obs_30_map.png"]);
    }
    // The picture is the map: drawn again from the FITS file with the same options, it is the same image.
    const map = await readMap(join(work, "B_Make_CMB", "Train", "sim0000", "cmb_map.fits"), { dtype: "float64" });
    const values = map.fields[0] ?? new Float64Array(0);
    const drawn = renderSkyMap({ values, nside: NSIDE, cmap: "planck", graticule: 30, unit: "uK_CMB", title: "CMB, Train sim 0" });
    const written = await Figure.read(join(work, "H_Mollview_Sim", "Train", "sim0000", "cmb_map.png"));
    expect(written.data.equals(drawn.image.data)).toBe(true);
  });
});

describe("the tutorial pipeline", () => {
  it("runs ps_setup → ps2map → get_map_min_max", () => {
    const project = makeProject({}, { defaultCfg: true });
    try {
      const { code, stderr } = project.run(["run", "--config-name", "tutorial"]);
      expect(stderr).toContain("done: 11 ran in ");
      expect(code).toBe(0);
      // The file's own name works too, and names the same configuration: nothing to run.
      const byFileName = project.run(["run", "--config-name", "tutorial.yaml", "--json"]);
      expect(byFileName.code, byFileName.stderr).toBe(0);
      expect((JSON.parse(byFileName.stdout) as { totals: { ran: number; fresh: number } }).totals).toMatchObject({ ran: 0, fresh: 11 });
      const csv = readFileSync(join(project.dir, "data", "Tutorial_64_3-3", "C_Min_Max", "map_min_max.csv"), "utf8").trim().split("\n");
      expect(csv[0]).toBe("split,sim,min,max");
      expect(csv).toHaveLength(10);
      for (const row of csv.slice(1)) {
        const [, , min, max] = row.split(",").map(Number);
        expect(min).toBeLessThan(0);
        expect(max).toBeGreaterThan(0);
      }
    } finally {
      project.cleanup();
    }
  }, 120_000);
});
