import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import type { LoadedConfig } from "../../src/config/index.js";
import { BASE_FILES, loadOk } from "./helpers.js";

const FIXTURE = new URL("../fixtures/config/basic", import.meta.url).pathname;

function loadFixture(overrides: readonly string[] = [], env: Record<string, string> = {}): LoadedConfig {
  const result = loadConfig({ configDir: FIXTURE, configName: "config", overrides, env });
  if (!result.ok) throw new Error(JSON.stringify(result.error, null, 2));
  return result.value;
}

describe("composition from defaults lists", () => {
  it("places each group file under its group key, in defaults order, with nested groups under nested keys", () => {
    const config = loadFixture();
    expect(Object.keys(config.resolved)).toEqual([
      "local_system",
      "file_system",
      "scenario",
      "splits",
      "model",
      "pipeline",
      "n_infer_cap",
      "run_inference_on",
      "use_epochs",
      "map_fields",
      "dataset_name",
      "literal",
    ]);
    expect(config.resolved["model"]).toEqual({ sim: { beam_fwhm_arcmin: 5, noise: "white" } });
    expect(config.choices).toEqual({
      local_system: "default",
      file_system: "common_fs",
      scenario: "scenario_128",
      splits: "3-3",
      "model/sim": "basic",
      pipeline: "assembly_sim",
    });
  });

  it("records every file read, in the order read", () => {
    const config = loadFixture();
    expect(config.sources.map((s) => s.relativePath)).toEqual([
      "config.yaml",
      "local_system/default.yaml",
      "file_system/common_fs.yaml",
      "scenario/scenario_128.yaml",
      "splits/3-3.yaml",
      "model/sim/basic.yaml",
      "pipeline/assembly_sim.yaml",
      "pipeline/pipe_sim.yaml",
      "pipeline/pipe_analysis.yaml",
    ]);
    expect(config.sources[0]?.path).toBe(`${FIXTURE}/config.yaml`);
    expect(config.sources[0]?.text).toContain("defaults:");
  });

  it("assembles a pipeline from sibling files named in a group file's own defaults list", () => {
    const pipeline = loadFixture().resolved["pipeline"] as Record<string, Record<string, unknown>>;
    expect(Object.keys(pipeline)).toEqual(["ps_setup", "make_cmb", "make_noise", "ps_analysis", "ps_summary"]);
    // assembly_sim.yaml lists `_self_` last: its own `make_cmb.make_stage_log: true` wins over pipe_sim.yaml's false.
    expect(pipeline["make_cmb"]?.["make_stage_log"]).toBe(true);
    expect(pipeline["make_cmb"]?.["dir_name"]).toBe("CMB_Maps");
  });

  it("lets the primary file's own keys override group files when _self_ is last", () => {
    const scenario = loadFixture().resolved["scenario"] as Record<string, unknown>;
    expect(scenario["seed"]).toBe(7);
    expect(scenario["nside"]).toBe(128);
  });

  it("lets group files override the primary file's keys when _self_ comes first", () => {
    const config = loadOk({
      "config.yaml": "defaults:\n  - _self_\n  - splits: 3-3\n  - pipeline: simple\nsplits:\n  name: mine\n  extra: 1\n",
    });
    expect(config.resolved["splits"]).toMatchObject({ name: "3-3", extra: 1 });
  });

  it("puts the primary file's own keys last when _self_ is absent (Hydra ≥ 1.1)", () => {
    const config = loadOk({
      "config.yaml": "defaults:\n  - splits: 3-3\n  - pipeline: simple\nsplits:\n  name: mine\n",
    });
    expect((config.resolved["splits"] as Record<string, unknown>)["name"]).toBe("mine");
  });

  it("merges mappings key by key and replaces lists", () => {
    const config = loadOk({
      "config.yaml": "defaults:\n  - base\n  - splits: 3-3\n  - pipeline: simple\n  - _self_\nfreqs: [100]\nnested:\n  b: 3\n",
      "base.yaml": "freqs: [30, 44, 70]\nnested:\n  a: 1\n  b: 2\n",
    });
    expect(config.resolved["freqs"]).toEqual([100]);
    expect(config.resolved["nested"]).toEqual({ a: 1, b: 3 });
  });

  it("follows defaults lists to any depth and resolves /absolute groups inside group files", () => {
    const config = loadOk({
      "config.yaml": "defaults:\n  - pipeline: outer\n",
      "pipeline/outer.yaml": "defaults:\n  - middle\n  - /splits: 1-1\n  - extra: more\n  - _self_\n",
      "pipeline/middle.yaml": "defaults:\n  - simple\n  - _self_\nmake_cmb:\n  dir_name: FromMiddle\n",
      "pipeline/extra/more.yaml": "flag: true\n",
    });
    expect(config.choices).toEqual({ splits: "1-1", "pipeline/extra": "more", pipeline: "outer" });
    expect((config.resolved["splits"] as Record<string, unknown>)["name"]).toBe("1-1");
    const pipeline = config.resolved["pipeline"] as Record<string, Record<string, unknown>>;
    expect(pipeline["make_cmb"]?.["dir_name"]).toBe("FromMiddle");
    expect(pipeline["extra"]).toEqual({ flag: true });
  });

  it("skips `group: null` and optional groups that do not exist", () => {
    const config = loadOk({
      "config.yaml":
        "defaults:\n  - splits: 3-3\n  - pipeline: simple\n  - scenario: null\n  - optional model: nothing\n  - optional splits_extra: x\n",
    });
    expect(Object.keys(config.resolved)).toEqual(["splits", "pipeline", "local_system", "file_system"]);
  });

  it("treats a group file's empty document as an empty mapping", () => {
    const config = loadOk({ "config.yaml": "defaults:\n  - splits: 3-3\n  - pipeline: simple\n  - notes: empty\n", "notes/empty.yaml": "# nothing\n" });
    expect(config.resolved["notes"]).toEqual({});
  });

  it("keeps the base files valid", () => {
    expect(Object.keys(BASE_FILES)).toContain("config.yaml");
    expect(loadOk({}).choices).toEqual({ splits: "3-3", pipeline: "simple" });
  });
});
