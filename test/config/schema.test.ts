import { describe, expect, it } from "vitest";
import { splitEntries, typedConfig, validateConfig } from "../../src/config/index.js";
import type { ConfigObject, SplitsConfig } from "../../src/config/index.js";
import { misspeltFixedKey, STAGE_KEYS, withDefaults } from "../../src/config/schema.js";
import { loadOk } from "./helpers.js";

const VALID: ConfigObject = {
  splits: { name: "3-3", Train: { n_sims: 3 }, Test1: { n_sims: 2, n_sims_cap: null, ps_fidu_fixed: false }, run_inference_on: "Test" },
  pipeline: {
    make_cmb: {
      assets_out: { cmb_map: { handler: "HealpyMap", path_template: "{root}/{sim}.fits", use_fields: "IQU" } },
      assets_in: { cmb_ps: { stage: "ps_setup", orig_name: "ps" } },
      dir_name: "CMB",
      splits: ["train", "test"],
      make_stage_log: true,
      epochs: null,
      override_n_sims: [0, 2],
      executor: "src/stages/make-cmb.ts#MakeCmb",
      nside: 512,
      seed_template: "{split}_{sim}_cmb",
    },
  },
};

function messages(config: ConfigObject): string[] {
  return validateConfig(config).map((i) => `${i.path.join(".")} [${i.at}] ${i.message}`);
}

describe("the schema", () => {
  it("accepts a valid configuration with free stage parameters and free split keys", () => {
    expect(validateConfig(VALID)).toEqual([]);
  });

  it("accepts every form of override_n_sims and epochs", () => {
    for (const override_n_sims of [0, 5, [1, 2], null]) {
      expect(messages({ ...VALID, pipeline: { s: { override_n_sims, epochs: [1, 2] } } })).toEqual([]);
    }
    expect(messages({ ...VALID, pipeline: { s: { override_n_sims: -1 } } })).toEqual([
      "pipeline.s.override_n_sims [value] pipeline.s.override_n_sims must be a non-negative integer, got -1",
    ]);
    expect(messages({ ...VALID, pipeline: { s: { override_n_sims: "all", epochs: 3 } } })).toEqual([
      "pipeline.s.epochs [value] pipeline.s.epochs must be a list of integers or null, got 3",
      'pipeline.s.override_n_sims [value] pipeline.s.override_n_sims must be a non-negative integer, a list of non-negative integers, or null, got "all"',
    ]);
  });

  it("checks the types of fixed keys", () => {
    const config: ConfigObject = {
      ...VALID,
      pipeline: { s: { dir_name: 3, make_stage_log: "yes", splits: "Train", assets_out: { a: { handler: "X" } }, assets_in: { b: {} } } },
    };
    expect(messages(config)).toEqual([
      'pipeline.s.assets_out.a [key] missing key "path_template" in assets_out.a of stage "s"',
      'pipeline.s.assets_in.b [key] missing key "stage" in assets_in.b of stage "s"',
      "pipeline.s.dir_name [value] pipeline.s.dir_name must be a string, got 3",
      "pipeline.s.splits [value] pipeline.s.splits must be a list, got \"Train\"",
      'pipeline.s.make_stage_log [value] pipeline.s.make_stage_log must be true or false, got "yes"',
    ]);
  });

  it("requires pipeline and splits, a mapping of stages, and at least one stage", () => {
    expect(messages({})).toEqual([
      ' [key] missing key "pipeline" in the configuration',
      ' [key] missing key "splits" in the configuration',
    ]);
    expect(messages({ ...VALID, pipeline: ["a"] })).toEqual(['pipeline [value] pipeline must be a mapping, got the list ["a"]']);
    expect(messages({ ...VALID, pipeline: {} })).toEqual(["pipeline [value] the pipeline has no stages"]);
    expect(messages({ ...VALID, pipeline: { s: 3 } })).toEqual(["pipeline.s [value] pipeline.s must be a mapping, got 3"]);
  });

  it("checks split entries: n_sims required and a non-negative integer, n_sims_cap an integer or null", () => {
    const splits = { name: "x", Train: { n_sims: 1.5 }, Valid: {}, Test: { n_sims: 1, n_sims_cap: -2 }, lowercase: "free" };
    expect(messages({ ...VALID, splits })).toEqual([
      "splits.Train.n_sims [value] splits.Train.n_sims must be a non-negative integer, got 1.5",
      'splits.Valid [key] missing key "n_sims" in split "Valid"',
      "splits.Test.n_sims_cap [value] splits.Test.n_sims_cap must be a non-negative integer, got -2",
    ]);
  });

  it("checks local_system and file_system", () => {
    const config = { ...VALID, local_system: { datasets_root: 5, dataset_root: "x" }, file_system: { sim_folder_prefix: "sim", sim_str_num_digits: 0 } };
    expect(messages(config)).toEqual([
      "local_system.datasets_root [value] local_system.datasets_root must be a string, got 5",
      "file_system.sim_str_num_digits [value] file_system.sim_str_num_digits must be a positive integer, got 0",
      'local_system.dataset_root [key] unknown key "dataset_root" in "local_system"',
    ]);
  });

  it("checks the base seed", () => {
    expect(messages({ ...VALID, seed: "abc" })).toEqual(['seed [value] seed must be a whole number from 0 to 9007199254740991 (2^53 − 1), got "abc"']);
    expect(messages({ ...VALID, seed: 1e30 })).toEqual(["seed [value] seed must be a whole number from 0 to 9007199254740991 (2^53 − 1), got 1e+30"]);
    expect(messages({ ...VALID, seed: -1 })).toEqual(["seed [value] seed must be a whole number from 0 to 9007199254740991 (2^53 − 1), got -1"]);
    expect(messages({ ...VALID, seed: 20261122 })).toEqual([]);
  });

  it("checks the cache block", () => {
    expect(messages({ ...VALID, cache: { enabled: "no", link: "reflink" } })).toEqual([
      "cache.enabled [value] cache.enabled must be true or false, got \"no\"",
      'cache.link [value] cache.link must be "copy" or "hardlink", got "reflink"',
    ]);
    expect(messages({ ...VALID, cache: { enable: false } })).toEqual(['cache.enable [key] unknown key "enable" in "cache"']);
    expect(validateConfig({ ...VALID, cache: { enable: false } })[0]?.notes).toEqual(['did you mean "enabled"?', "allowed keys: enabled, link"]);
    expect(messages({ ...VALID, cache: { enabled: false, link: "hardlink" } })).toEqual([]);
  });

  it("fills defaults for local_system and file_system", () => {
    expect(withDefaults({ a: 1 }, {})).toEqual({
      value: { a: 1, local_system: { datasets_root: "./data" }, file_system: { sim_folder_prefix: "sim", sim_str_num_digits: 4 } },
      filled: [["local_system", "datasets_root"], ["file_system", "sim_folder_prefix"], ["file_system", "sim_str_num_digits"]],
    });
    expect(withDefaults({ file_system: { sim_str_num_digits: 6 } }, { CMBFLOW_DATA: "/d" }).value).toEqual({
      file_system: { sim_str_num_digits: 6, sim_folder_prefix: "sim" },
      local_system: { datasets_root: "/d" },
    });
  });
});

describe("misspelt fixed keys", () => {
  it("are keys within two edits of a fixed key, or equal up to underscores, case and a plural s", () => {
    const cases: Record<string, string | undefined> = {
      asset_out: "assets_out",
      asset_in: "assets_in",
      assets_ins: "assets_in",
      dirname: "dir_name",
      DirName: "dir_name",
      make_stage_logs: "make_stage_log",
      epoch: "epochs",
      split: "splits",
      executer: "executor",
      override_nsims: "override_n_sims",
      nside: undefined,
      seed_template: undefined,
      assets_out: undefined,
      detector_freqs: undefined,
    };
    for (const [key, meant] of Object.entries(cases)) expect([key, misspeltFixedKey(key, STAGE_KEYS)]).toEqual([key, meant]);
  });
});

describe("typed access", () => {
  it("gives the validated config its types, and lists the splits in file order", () => {
    const config = typedConfig(loadOk({}));
    expect(config.pipeline["make_cmb"]?.assets_out?.["cmb_map"]?.handler).toBe("HealpyMap");
    expect(config.file_system.sim_str_num_digits).toBe(4);
    expect(config.local_system.datasets_root).toBe("./data");
    expect(splitEntries(VALID["splits"] as SplitsConfig)).toEqual([
      { name: "Train", config: { n_sims: 3 } },
      { name: "Test1", config: { n_sims: 2, n_sims_cap: null, ps_fidu_fixed: false } },
    ]);
  });
});
