/**
 * Issue #13 §1: the Hydra features CMB-ML's cfg/ uses — interpolation and `override` entries in
 * defaults lists, the hydra: block, `${now:...}`, null stage bodies, lazy interpolation,
 * `@package`, `optional` entries and nested groups.
 */
import { describe, expect, it } from "vitest";
import { loadConfig, memoryConfigIo } from "../../src/config/index.js";
import { strftime } from "../../src/config/strftime.js";
import { compilePipeline } from "../../src/graph/compile.js";
import { builtinHandlerNames } from "../../src/handlers/index.js";
import { BASE_FILES, CONFIG_DIR, loadErrors, loadOk, text } from "./helpers.js";

const PRIMARY = "defaults:\n  - splits: 3-3\n  - pipeline: simple\n  - _self_\n";

describe("interpolation in defaults lists", () => {
  const files = {
    "config.yaml": "defaults:\n  - splits: ${oc.env:SPLITS}\n  - pipeline: simple\n  - scenario: ${oc.env:SCENARIO,small}\n  - tag: ${scenario}\n  - _self_\n",
    "scenario/small.yaml": "nside: 16\n",
    "scenario/big.yaml": "nside: 256\n",
    "tag/small.yaml": "label: for-small\n",
    "tag/big.yaml": "label: for-big\n",
  };

  it("takes the option from the environment, its default, or an earlier group's choice", () => {
    const config = loadOk(files, [], { SPLITS: "1-1" });
    expect(config.choices).toEqual({ splits: "1-1", pipeline: "simple", scenario: "small", tag: "small" });
    expect(config.resolved["tag"]).toEqual({ label: "for-small" });
    const big = loadOk(files, [], { SPLITS: "1-1", SCENARIO: "big" });
    expect(big.resolved["tag"]).toEqual({ label: "for-big" });
  });

  it("lets the command line still choose the group", () => {
    expect(loadOk(files, ["splits=10-10"], { SPLITS: "1-1" }).choices["splits"]).toBe("10-10");
  });

  it("reports an unset variable at the entry", () => {
    expect(loadErrors(files)).toBe(
      text(
        'error: environment variable "SPLITS" is not set (in "${oc.env:SPLITS}" in a defaults list)',
        " --> cfg/config.yaml:2:13",
        "  |",
        "2 |   - splits: ${oc.env:SPLITS}",
        "  |             ^^^^^^^^^^^^^^^^",
        "  = note: set it, or give a default: ${oc.env:SPLITS,default}",
      ),
    );
  });
});

describe("override entries and Hydra's own groups", () => {
  it("changes the option of a group listed before or after it; the command line wins", () => {
    const files = {
      "config.yaml": "defaults:\n  - override splits: 1-1\n  - splits: 3-3\n  - pipeline: simple\n  - _self_\n",
    };
    expect(loadOk(files).choices["splits"]).toBe("1-1");
    expect(loadOk(files).resolved["splits"]).toMatchObject({ name: "1-1" });
    expect(loadOk(files, ["splits=10-10"]).choices["splits"]).toBe("10-10");
  });

  it("skips hydra/ entries and keeps the hydra: block, each with a note", () => {
    const config = loadOk({
      "config.yaml": `${PRIMARY}  - override hydra/job_logging: custom\n  - hydra/launcher: basic\nhydra:\n  run:\n    dir: Logs/x\n`,
    });
    expect(config.resolved["hydra"]).toEqual({ run: { dir: "Logs/x" } });
    expect(config.warnings.map((w) => [w.severity, w.message, w.location?.line])).toEqual([
      ["note", "defaults entries for Hydra's own config groups are skipped: hydra/job_logging, hydra/launcher", 5],
      ["note", "the hydra: block is kept in the configuration but cmbflow does not use it", 7],
    ]);
  });
});

describe("${now:...}", () => {
  const at = new Date(2026, 11, 5, 9, 7, 3, 42);

  it("formats one instant for every value of a load", () => {
    const files = { ...BASE_FILES, "config.yaml": `${PRIMARY}run_dir: Logs/\${now:%Y-%m-%d-%H-%M-%S}\nagain: \${now:%Y-%m-%d-%H-%M-%S}\nday: \${now:%j %a %b %y %I%p %f %%}\n` };
    const loaded = loadConfig({ configDir: CONFIG_DIR, configName: "config", overrides: [], env: {}, now: at }, memoryConfigIo(CONFIG_DIR, files));
    if (!loaded.ok) throw new Error("expected the config to load");
    expect(loaded.value.resolved["run_dir"]).toBe("Logs/2026-12-05-09-07-03");
    expect(loaded.value.resolved["again"]).toBe("2026-12-05-09-07-03");
    expect(loaded.value.resolved["day"]).toBe("339 Sat Dec 26 09AM 042000 %");
  });

  it("uses the same instant for values formatted without one given", () => {
    const config = loadOk({ "config.yaml": `${PRIMARY}a: \${now:%H:%M:%S.%f}\nb: \${now:%H:%M:%S.%f}\n` });
    expect(config.resolved["a"]).toBe(config.resolved["b"]);
  });

  it("names a directive it does not know", () => {
    expect(strftime("%Y %Q", at)).toEqual({ ok: false, error: '"%Q"' });
    expect(strftime("100%", at)).toEqual({ ok: false, error: '"%" at the end' });
  });
});

describe("lazy interpolation", () => {
  it("loads when a value nobody reads cannot resolve, and lists it with its cause", () => {
    const config = loadOk({ "config.yaml": `${PRIMARY}label: \${model.name}\nlist: [1, "\${nope}"]\n` });
    expect(config.resolved["label"]).toBe(null);
    expect((config.unresolved ?? []).map((u) => [u.path, u.causes.map((c) => c.message)])).toEqual([
      [["label"], ['interpolation "${model.name}" refers to a missing key "model.name"']],
      [["list", 1], ['interpolation "${nope}" refers to a missing key "nope"']],
    ]);
  });

  it("reports, at its own line, a failure that a key the compiler needs depends on", () => {
    expect(loadErrors({ "config.yaml": `${PRIMARY}label: \${model.name}\ndataset_name: d_\${label}\n` })).toBe(
      text(
        'error: interpolation "${model.name}" refers to a missing key "model.name"',
        " --> cfg/config.yaml:5:8",
        "  |",
        "5 | label: ${model.name}",
        "  |        ^^^^^^^^^^^^^",
        '  = note: did you mean "splits.name"?',
      ),
    );
  });

  it("is lazy for a free key of the splits block (CMB-ML's splits.run_inference_on), strict for a split's n_sims and cap", () => {
    const splits = (extra: string): Record<string, string> => ({ "splits/3-3.yaml": `name: "3-3"\nTrain:\n  n_sims: 3\nTest:\n  n_sims: 3\n${extra}` });
    expect(loadOk(splits("run_inference_on: ${run_inference_on}\n")).unresolved?.map((u) => u.path)).toEqual([["splits", "run_inference_on"]]);
    expect(loadErrors(splits("Valid:\n  n_sims: 2\n  n_sims_cap: ${n_valid_cap}\n"))).toContain('error: interpolation "${n_valid_cap}" refers to a missing key "n_valid_cap"');
    expect(loadErrors(splits("Valid:\n  n_sims: ${n_valid}\n"))).toContain('error: interpolation "${n_valid}" refers to a missing key "n_valid"');
  });

  it("is lazy for a stage's free parameters, strict for its fixed keys and for parameters its templates name", () => {
    const stage = (extra: string): Record<string, string> => ({
      "pipeline/simple.yaml": `make_cmb:\n  assets_out:\n    cmb_map:\n      handler: HealpyMap\n      path_template: "{root}/{stage}/{split}/{sim}/cmb_{beam}.fits"\n  beam: 5\n${extra}`,
    });
    expect(loadOk(stage("  lmax: ${scenario.lmax}\n")).unresolved?.map((u) => u.path)).toEqual([["pipeline", "make_cmb", "lmax"]]);
    expect(loadErrors(stage("  dir_name: ${scenario.dir}\n"))).toContain('error: interpolation "${scenario.dir}" refers to a missing key "scenario.dir"');
    expect(loadErrors({ ...stage(""), "pipeline/simple.yaml": stage("")["pipeline/simple.yaml"]?.replace("beam: 5", "beam: ${scenario.beam}") ?? "" })).toContain(
      'refers to a missing key "scenario.beam"',
    );
  });
});

describe("mandatory values (???)", () => {
  it("are unresolved until given, and an error where cmbflow needs them", () => {
    const files = { "config.yaml": `${PRIMARY}model_name: ???\n` };
    expect(loadOk(files).unresolved?.map((u) => [u.path, u.causes.map((c) => c.message)])).toEqual([[["model_name"], ['"model_name" is mandatory (???) and has no value']]]);
    expect(loadOk(files, ["model_name=unet"]).resolved["model_name"]).toBe("unet");
    expect(loadErrors({ "config.yaml": `${PRIMARY}dataset_name: ???\n` })).toBe(
      text(
        'error: "dataset_name" is mandatory (???) and has no value',
        " --> cfg/config.yaml:5:15",
        "  |",
        "5 | dataset_name: ???",
        "  |               ^^^",
        "  = note: give it one in a config file, or on the command line: dataset_name=VALUE",
      ),
    );
  });
});

describe("packages, optional entries and nested groups", () => {
  it("places a file by its @package header and an entry by group@pkg", () => {
    const config = loadOk({
      "config.yaml": "defaults:\n  - splits: 3-3\n  - pipeline: simple\n  - model/sim: base\n  - scenario@extra.scen: small\n  - _self_\n",
      "model/sim/base.yaml": "defaults:\n  - noise: white\n  - beam: gauss\n  - _self_\nnside_sky: 64\n",
      "model/sim/noise/white.yaml": "# a comment first\n# @package _global_\nnoise_seed: 7\n",
      "model/sim/beam/gauss.yaml": "# @package model.beam_params\nfwhm: 5\n",
      "scenario/small.yaml": "# @package _group_\nnside: 16\n",
    });
    expect(config.resolved["noise_seed"]).toBe(7);
    expect(config.resolved["model"]).toEqual({ sim: { nside_sky: 64 }, beam_params: { fwhm: 5 } });
    // The entry's package wins over the file's header.
    expect(config.resolved["extra"]).toEqual({ scen: { nside: 16 } });
    expect(config.resolved["scenario"]).toBeUndefined();
  });

  it("skips an optional entry whose group or option does not exist", () => {
    const config = loadOk({ "config.yaml": `${PRIMARY}`.replace("  - _self_", "  - optional site: mine\n  - optional splits_extra: none\n  - _self_") });
    expect(config.choices).toEqual({ splits: "3-3", pipeline: "simple" });
  });
});

describe("null stage bodies", () => {
  it("compile to a stage with no assets and one node", () => {
    const config = loadOk({ "pipeline/simple.yaml": `check_hydra_configs:\n${BASE_FILES["pipeline/simple.yaml"] ?? ""}` });
    const compiled = compilePipeline(config, { handlers: new Set(builtinHandlerNames()) });
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.error));
    const stage = compiled.value.stageGraph.stages.get("check_hydra_configs");
    expect(stage).toMatchObject({ assetsOut: [], assetsIn: [], dims: [], executor: null, dirName: "check_hydra_configs" });
    expect(compiled.value.nodes.stages.find((s) => s.stage.name === "check_hydra_configs")?.count).toBe(1);
  });
});
