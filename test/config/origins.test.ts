import { describe, expect, it } from "vitest";
import {
  describeOrigin,
  formatConfig,
  loadConfig,
  originEntries,
  originOf,
  selectPackage,
} from "../../src/config/index.js";
import type { LoadedConfig } from "../../src/config/index.js";
import { renderDiagnostics } from "../../src/diagnostics/render.js";
import { CWD, loadOk, text } from "./helpers.js";

const FIXTURE = new URL("../fixtures/config/basic", import.meta.url).pathname;
const ROOT = new URL("../fixtures/config", import.meta.url).pathname;

function loadFixture(overrides: readonly string[] = []): LoadedConfig {
  const result = loadConfig({ configDir: FIXTURE, configName: "config", overrides, env: {} });
  if (!result.ok) throw new Error("fixture should load");
  return result.value;
}

/** `file:line:column` of the value at `path`, relative to the fixture folder. */
function at(config: LoadedConfig, path: readonly (string | number)[]): string | undefined {
  const location = config.origin(path);
  return location === undefined ? undefined : `${location.file.slice(FIXTURE.length + 1)}:${location.line}:${location.column}`;
}

describe("origins", () => {
  it("point at the value node in the file that set each value", () => {
    const config = loadFixture();
    expect(at(config, ["scenario", "nside"])).toBe("scenario/scenario_128.yaml:1:8");
    expect(at(config, ["splits", "Train", "n_sims"])).toBe("splits/3-3.yaml:3:11");
    expect(at(config, ["pipeline", "ps_summary", "executor"])).toBe("pipeline/pipe_analysis.yaml:23:13");
    expect(config.origin(["scenario", "nside"])).toEqual({
      file: `${FIXTURE}/scenario/scenario_128.yaml`,
      line: 1,
      column: 8,
      endLine: 1,
      endColumn: 11,
    });
  });

  it("follow merges: the later file wins, per key", () => {
    const config = loadFixture();
    expect(at(config, ["scenario", "seed"])).toBe("config.yaml:18:9");
    expect(at(config, ["scenario", "lmax"])).toBe("scenario/scenario_128.yaml:2:7");
    expect(at(config, ["pipeline", "make_cmb", "make_stage_log"])).toBe("pipeline/assembly_sim.yaml:8:19");
    expect(at(config, ["pipeline", "make_cmb", "dir_name"])).toBe("pipeline/pipe_sim.yaml:16:13");
  });

  it("point at the anchor's definition for keys from a merge key or alias", () => {
    const config = loadFixture();
    expect(at(config, ["pipeline", "make_noise", "make_stage_log"])).toBe("pipeline/pipe_sim.yaml:17:19");
    expect(at(config, ["pipeline", "make_noise", "assets_in", "cmb_ps", "stage"])).toBe("pipeline/pipe_sim.yaml:15:21");
    expect(at(config, ["pipeline", "make_noise", "dir_name"])).toBe("pipeline/pipe_sim.yaml:26:13");
  });

  it("give the interpolation's place for a whole-value interpolation, and the target's inside interpolated lists", () => {
    const config = loadFixture();
    expect(at(config, ["pipeline", "make_cmb", "nside"])).toBe("pipeline/pipe_sim.yaml:18:10");
    expect(at(config, ["pipeline", "make_noise", "freqs"])).toBe("pipeline/pipe_sim.yaml:27:10");
    expect(at(config, ["pipeline", "make_noise", "freqs", 1])).toBe("scenario/scenario_128.yaml:3:22");
    expect(at(config, ["pipeline", "ps_analysis", "splits", 0])).toBe("pipeline/pipe_analysis.yaml:9:7");
  });

  it("are undefined for overrides, defaults and missing paths; originOf tells which", () => {
    const config = loadOk({}, ["splits.Train.n_sims=5", "+extra.deep=1"]);
    expect(config.origin(["splits", "Train", "n_sims"])).toBeUndefined();
    expect(originOf(config, ["splits", "Train", "n_sims"])).toEqual({ kind: "override", index: 0, text: "splits.Train.n_sims=5" });
    expect(originOf(config, ["extra", "deep"])).toEqual({ kind: "override", index: 1, text: "+extra.deep=1" });
    expect(originOf(config, ["file_system", "sim_str_num_digits"])).toEqual({ kind: "default" });
    expect(config.origin(["file_system", "sim_str_num_digits"])).toBeUndefined();
    expect(config.origin(["no", "such"])).toBeUndefined();
    expect(originOf(config, ["no", "such"])).toBeUndefined();
    const fromFile = originOf(config, ["splits", "Test", "n_sims"]);
    expect(fromFile).toMatchObject({ kind: "file", location: { line: 5, column: 11 }, keyLocation: { line: 5, column: 3 } });
  });

  it("are described for people", () => {
    const config = loadFixture(["scenario.nside=512"]);
    expect(describeOrigin(originOf(config, ["scenario", "lmax"]), ROOT)).toBe("basic/scenario/scenario_128.yaml:2:7");
    expect(describeOrigin(originOf(config, ["scenario", "nside"]), ROOT)).toBe('override "scenario.nside=512"');
    expect(describeOrigin(originOf(config, ["scenario", "lmax"]), "/elsewhere")).toBe(`${FIXTURE}/scenario/scenario_128.yaml:2:7`);
    expect(describeOrigin({ kind: "default" }, ROOT)).toBe("default");
    expect(describeOrigin(undefined, ROOT)).toBe("unknown");
  });
});

describe("showing the configuration", () => {
  it("lists every leaf of a package with its origin", () => {
    const config = loadFixture(["scenario.nside=512"]);
    const entries = originEntries(config, { under: ["scenario"] });
    expect(entries.map((e) => [e.path.join("."), e.value, describeOrigin(e.origin, FIXTURE)])).toEqual([
      ["scenario.nside", 512, 'override "scenario.nside=512"'],
      ["scenario.lmax", 383, "scenario/scenario_128.yaml:2:7"],
      ["scenario.detector_freqs.0", 30, "scenario/scenario_128.yaml:3:18"],
      ["scenario.detector_freqs.1", 44, "scenario/scenario_128.yaml:3:22"],
      ["scenario.detector_freqs.2", 70, "scenario/scenario_128.yaml:3:26"],
      ["scenario.seed", 7, "config.yaml:18:9"],
    ]);
    expect(originEntries(config, { view: "raw", under: ["dataset_name"] })).toEqual([
      { path: ["dataset_name"], value: "${map_fields}_${scenario.nside}_${splits.name}", origin: originOf(config, ["dataset_name"]) },
    ]);
  });

  it("formats YAML and JSON, with origins as comments or fields", () => {
    const config = loadFixture();
    const scenario = selectPackage(config.resolved, "scenario");
    if (!scenario.ok) throw new Error("scenario exists");
    const origins = (path: readonly (string | number)[]): string => describeOrigin(originOf(config, path), FIXTURE);
    expect(formatConfig(scenario.value.value, "yaml")).toBe(
      text("nside: 128", "lmax: 383", "detector_freqs:", "  - 30", "  - 44", "  - 70", "seed: 7"),
    );
    expect(formatConfig(scenario.value.value, "yaml", { origins, basePath: scenario.value.path })).toBe(
      text(
        "nside: 128 # scenario/scenario_128.yaml:1:8",
        "lmax: 383 # scenario/scenario_128.yaml:2:7",
        "detector_freqs:",
        "  - 30 # scenario/scenario_128.yaml:3:18",
        "  - 44 # scenario/scenario_128.yaml:3:22",
        "  - 70 # scenario/scenario_128.yaml:3:26",
        "seed: 7 # config.yaml:18:9",
      ),
    );
    expect(JSON.parse(formatConfig(scenario.value.value, "json"))).toEqual({ nside: 128, lmax: 383, detector_freqs: [30, 44, 70], seed: 7 });
    const withOrigins = JSON.parse(formatConfig(scenario.value.value, "json", { origins, basePath: ["scenario"] })) as unknown[];
    expect(withOrigins[0]).toEqual({ path: "scenario.nside", value: 128, origin: "scenario/scenario_128.yaml:1:8" });
  });

  it("prints values shared through whole-value interpolation in full, not as YAML aliases", () => {
    const config = loadFixture();
    const yaml = formatConfig(config.resolved, "yaml");
    expect(yaml).not.toMatch(/[&*]a\d/);
    expect(yaml).toContain("    freqs:\n      - 30\n");
  });

  it("selects a sub-tree, or explains an unknown package", () => {
    const config = loadFixture();
    expect(selectPackage(config.resolved, "pipeline.make_cmb.dir_name")).toEqual({
      ok: true,
      value: { path: ["pipeline", "make_cmb", "dir_name"], value: "CMB_Maps" },
    });
    const missing = selectPackage(config.resolved, "pipelin");
    if (missing.ok) throw new Error("pipelin does not exist");
    expect(renderDiagnostics([missing.error], { cwd: CWD })).toBe(
      text('error: unknown package "pipelin": no such key in the configuration', '  = note: did you mean "pipeline"?'),
    );
  });
});
