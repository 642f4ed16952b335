/**
 * Bad configuration input: each case asserts the exact rendered diagnostics (the text the CLI
 * prints before its summary line).
 */
import { describe, expect, it } from "vitest";
import { loadErrors, text, unresolvedReport } from "./helpers.js";

const PRIMARY = "defaults:\n  - splits: 3-3\n  - pipeline: simple\n  - _self_\n";

describe("YAML syntax", () => {
  it("reports an unclosed flow sequence at its opening bracket", () => {
    expect(loadErrors({ "splits/3-3.yaml": 'name: "3-3"\nTrain:\n  n_sims: [3\nTest:\n  n_sims: 3\n' })).toBe(
      text(
        'error: unclosed flow sequence: missing "]"',
        " --> cfg/splits/3-3.yaml:3:11",
        "  |",
        "3 |   n_sims: [3",
        "  |           ^",
        '  = note: close it with "]" on the same line, or indent its continuation lines',
      ),
    );
  });

  it("cleans up the yaml library's own messages", () => {
    expect(loadErrors({ "splits/3-3.yaml": 'name: "3-3"\nTrain: n_sims: 3\n' })).toBe(
      text(
        "error: nested mappings are not allowed in compact mappings",
        " --> cfg/splits/3-3.yaml:2:8",
        "  |",
        "2 | Train: n_sims: 3",
        "  |        ^",
      ),
    );
  });

  it("reports tab indentation, showing the tab as spaces under the underline", () => {
    expect(loadErrors({ "splits/3-3.yaml": 'name: "3-3"\nTrain:\n\tn_sims: 3\n' })).toBe(
      text(
        "error: tab character used for indentation",
        " --> cfg/splits/3-3.yaml:3:1",
        "  |",
        "3 |     n_sims: 3",
        "  | ^^^^",
        "  = note: YAML indentation must use spaces, not tabs",
      ),
    );
  });

  it("reports a duplicate key with where it was first defined", () => {
    expect(loadErrors({ "splits/3-3.yaml": 'name: "3-3"\nTrain:\n  n_sims: 3\nTrain:\n  n_sims: 4\n' })).toBe(
      text(
        'error: duplicate key "Train"',
        " --> cfg/splits/3-3.yaml:4:1",
        "  |",
        "4 | Train:",
        "  | ^^^^^",
        "  = note: first defined at line 2, column 1",
      ),
    );
  });

  it("reports an unclosed quote at the opening quote", () => {
    expect(loadErrors({ "pipeline/simple.yaml": 'make_cmb:\n  dir_name: "CMB\n  splits: [Train]\n' })).toBe(
      text(
        "error: unclosed double-quoted string",
        " --> cfg/pipeline/simple.yaml:2:13",
        "  |",
        '2 |   dir_name: "CMB',
        "  |             ^",
        '  = note: add the closing " on the same value',
      ),
    );
  });

  it("reports bad indentation", () => {
    expect(loadErrors({ "pipeline/simple.yaml": "make_cmb:\n  dir_name: CMB\n splits: [Train]\n" })).toBe(
      text(
        "error: all mapping items must start at the same column",
        " --> cfg/pipeline/simple.yaml:3:1",
        "  |",
        "3 |  splits: [Train]",
        "  | ^",
      ),
    );
  });

  it("reports an alias to an unknown anchor", () => {
    expect(loadErrors({ "config.yaml": `${PRIMARY}s: *nope\n` })).toBe(
      text('error: unknown anchor "&nope" in alias "*nope"', " --> cfg/config.yaml:5:4", "  |", "5 | s: *nope", "  |    ^^^^^"),
    );
  });

  it("requires a mapping at the top of a config file", () => {
    expect(loadErrors({ "splits/3-3.yaml": "- a\n- b\n" })).toBe(
      text(
        "error: the top level of a config file must be a mapping, not a list",
        " --> cfg/splits/3-3.yaml:1:1",
        "  |",
        "1 | - a",
        "  | ^^^",
      ),
    );
  });
});

describe("defaults lists", () => {
  it("reports an unknown option at its line, listing the options that exist", () => {
    expect(loadErrors({ "config.yaml": "defaults:\n  - splits: 3-4\n  - pipeline: simple\n" })).toBe(
      text(
        'error: unknown option "3-4" for config group "splits"',
        " --> cfg/config.yaml:2:13",
        "  |",
        "2 |   - splits: 3-4",
        "  |             ^^^",
        '  = note: did you mean "3-3"?',
        '  = note: options in "splits": 1-1, 3-3, 10-10',
      ),
    );
  });

  it("reports a missing group folder, listing the groups that exist", () => {
    expect(loadErrors({ "config.yaml": "defaults:\n  - splits: 3-3\n  - pipeline: simple\n  - scenaro: s512\n" })).toBe(
      text(
        'error: config group "scenaro" not found: no folder "scenaro" in the config directory',
        " --> cfg/config.yaml:4:5",
        "  |",
        "4 |   - scenaro: s512",
        "  |     ^^^^^^^",
        "  = note: config groups: pipeline, splits",
      ),
    );
  });

  it("reports a missing nested group folder with the closest group at the missing level", () => {
    const files = { "config.yaml": `${PRIMARY}  - model/sims: basic\n`, "model/sim/basic.yaml": "a: 1\n" };
    expect(loadErrors(files)).toBe(
      text(
        'error: config group "model/sims" not found: no folder "model/sims" in the config directory',
        " --> cfg/config.yaml:5:5",
        "  |",
        "5 |   - model/sims: basic",
        "  |     ^^^^^^^^^^",
        '  = note: did you mean "model/sim"?',
        '  = note: config groups in "model": sim',
      ),
    );
  });

  it("reports a missing sibling file named in a group file", () => {
    const files = {
      "config.yaml": "defaults:\n  - splits: 3-3\n  - pipeline: assembly\n",
      "pipeline/assembly.yaml": "defaults:\n  - simpel\n  - _self_\n",
    };
    expect(loadErrors(files)).toBe(
      text(
        'error: config file "pipeline/simpel.yaml" not found',
        " --> cfg/pipeline/assembly.yaml:2:5",
        "  |",
        "2 |   - simpel",
        "  |     ^^^^^^",
        '  = note: did you mean "simple"?',
        '  = note: config files in "pipeline": assembly, simple',
      ),
    );
  });

  it("reports defaults lists that include each other", () => {
    const files = {
      "config.yaml": "defaults:\n  - splits: 3-3\n  - pipeline: loop\n",
      "pipeline/loop.yaml": "defaults:\n  - again\n",
      "pipeline/again.yaml": "defaults:\n  - loop\n",
    };
    expect(loadErrors(files)).toBe(
      text(
        "error: defaults lists include each other in a cycle: config.yaml → pipeline/loop.yaml → pipeline/again.yaml → pipeline/loop.yaml",
        " --> cfg/pipeline/again.yaml:2:5",
        "  |",
        "2 |   - loop",
        "  |     ^^^^",
      ),
    );
  });
});

describe("defaults entries that cannot apply", () => {
  it("reports an override that matches no entry, and defaults interpolation that cannot resolve", () => {
    expect(loadErrors({ "config.yaml": `${PRIMARY}  - override scenario: big\n  - splits@data: ${"${oc.env:SPLITS}"}\n  - splits@x: ${"${nope}"}\n` })).toBe(
      text(
        'error: override of config group "scenario" matches no entry of the defaults lists',
        " --> cfg/config.yaml:5:24",
        "  |",
        "5 |   - override scenario: big",
        "  |                        ^^^",
        "  = note: an override changes the option of a group listed elsewhere; to add the group, write - scenario: big",
        "",
        'error: environment variable "SPLITS" is not set (in "${oc.env:SPLITS}" in a defaults list)',
        " --> cfg/config.yaml:6:18",
        "  |",
        "6 |   - splits@data: ${oc.env:SPLITS}",
        "  |                  ^^^^^^^^^^^^^^^^",
        "  = note: set it, or give a default: ${oc.env:SPLITS,default}",
        "",
        'error: "${nope}" cannot be resolved in a defaults list',
        " --> cfg/config.yaml:7:15",
        "  |",
        "7 |   - splits@x: ${nope}",
        "  |               ^^^^^^^",
        "  = note: defaults lists take ${oc.env:VAR}, ${oc.env:VAR,default} and ${group} (the option of a group listed earlier)",
      ),
    );
  });

  it("reports a group chosen twice and an added group that is already chosen", () => {
    expect(loadErrors({ "config.yaml": `${PRIMARY}  - splits: 1-1\n` }, ["+pipeline=simple"])).toBe(
      text(
        'error: config group "splits" appears twice in the defaults lists',
        " --> cfg/config.yaml:5:5",
        "  |",
        "5 |   - splits: 1-1",
        "  |     ^^^^^^",
        "",
        'error: config group "pipeline" is already in the defaults list (override "+pipeline=simple")',
        "  = note: to change its option, write pipeline=simple",
      ),
    );
  });
});

describe("overrides", () => {
  it("shows a long override's start and length, not all of it", () => {
    const digits = "9".repeat(120_000);
    const shown = `splits.Train.n_sim=${digits.slice(0, 101)}… (120019 characters)`;
    expect(loadErrors({}, [`splits.Train.n_sim=${digits}`])).toBe(
      text(
        `error: unknown key "splits.Train.n_sim" in override "${shown}"`,
        '  = note: did you mean "splits.Train.n_sims"?',
        `  = note: to add a new key, write +${shown}`,
      ),
    );
  });

  it("reports an override of an unknown key, naming the closest keys", () => {
    expect(loadErrors({}, ["splits.Train.n_sim=4", "pipelin.make_cmb.dir_name=X", "splits.Valid.n_sims=1", "splits.Valid=1"])).toBe(
      text(
        'error: unknown key "splits.Train.n_sim" in override "splits.Train.n_sim=4"',
        '  = note: did you mean "splits.Train.n_sims"?',
        "  = note: to add a new key, write +splits.Train.n_sim=4",
        "",
        'error: unknown key "pipelin.make_cmb.dir_name" in override "pipelin.make_cmb.dir_name=X"',
        '  = note: did you mean "pipeline.make_cmb.dir_name"?',
        "  = note: to add a new key, write +pipelin.make_cmb.dir_name=X",
        "",
        'error: unknown key "splits.Valid.n_sims" in override "splits.Valid.n_sims=1"',
        '  = note: did you mean one of "splits.Train.n_sims", "splits.Test.n_sims"?',
        "  = note: to add a new key, write +splits.Valid.n_sims=1",
        "",
        'error: unknown key "splits.Valid" in override "splits.Valid=1"',
        '  = note: keys in "splits": name, Train, Test',
        "  = note: to add a new key, write +splits.Valid=1",
      ),
    );
  });

  it("reports an unknown option of a group override, an add of an existing key and a malformed override", () => {
    expect(loadErrors({}, ["splits=3-4", "+splits.name=x", "oops"])).toBe(
      text(
        'error: invalid override "oops": missing "=value"',
        "  = note: write key=value, +key=value (add), ++key=value (add or change), ~key (delete) or group=option",
        "",
        'error: unknown option "3-4" for config group "splits" (override "splits=3-4")',
        '  = note: did you mean "3-3"?',
        '  = note: options in "splits": 1-1, 3-3, 10-10',
      ),
    );
    expect(loadErrors({}, ["+splits.name=x"])).toBe(
      text(
        'error: key "splits.name" already exists (override "+splits.name=x")',
        "  = note: to change it, write splits.name=x (or ++splits.name=x to set it either way)",
      ),
    );
  });

  it("reports a group override of a group that is not in the defaults list", () => {
    expect(loadErrors({ "scenario/a.yaml": "x: 1\n" }, ["scenario=a"])).toBe(
      text('error: config group "scenario" is not in the defaults list (override "scenario=a")', "  = note: to add it, write +scenario=a"),
    );
  });

  it("says which override set an invalid value", () => {
    expect(loadErrors({}, ["splits.Train.n_sims=-1"])).toBe(
      text("error: splits.Train.n_sims must be a non-negative integer, got -1", '  = note: set by override "splits.Train.n_sims=-1"'),
    );
  });
});

describe("interpolation", () => {
  it("reports a missing target at the referring line, naming the closest keys", () => {
    const body = "scenario:\n  nside: 128\ndataset: d_${scenario.nsid}\nn: ${nside}\n";
    expect(unresolvedReport({ "config.yaml": PRIMARY + body })).toBe(
      text(
        'error: interpolation "${scenario.nsid}" refers to a missing key "scenario.nsid"',
        " --> cfg/config.yaml:7:12",
        "  |",
        "7 | dataset: d_${scenario.nsid}",
        "  |            ^^^^^^^^^^^^^^^^",
        '  = note: did you mean "scenario.nside"?',
        "",
        'error: interpolation "${nside}" refers to a missing key "nside"',
        " --> cfg/config.yaml:8:4",
        "  |",
        "8 | n: ${nside}",
        "  |    ^^^^^^^^",
        '  = note: did you mean "scenario.nside"?',
      ),
    );
  });

  it("reports a cycle once, naming every step, and not the values that depend on it", () => {
    const body = "a: ${b}\nb: x_${c}\nc: ${a}\nd: ${a}\n";
    expect(unresolvedReport({ "config.yaml": PRIMARY + body })).toBe(
      text(
        "error: interpolation cycle: a → b → c → a",
        " --> cfg/config.yaml:5:4",
        "  |",
        "5 | a: ${b}",
        "  |    ^^^^",
        '  = note: a is "${b}" (config.yaml:5:4)',
        '  = note: b is "x_${c}" (config.yaml:6:4)',
        '  = note: c is "${a}" (config.yaml:7:4)',
      ),
    );
  });

  it("reports a value that refers to itself", () => {
    expect(unresolvedReport({ "config.yaml": `${PRIMARY}x:\n  y: \${x}\n` })).toBe(
      text(
        "error: interpolation cycle: x.y → x.y",
        " --> cfg/config.yaml:6:6",
        "  |",
        "6 |   y: ${x}",
        "  |      ^^^^",
        '  = note: x.y is "${x}" (config.yaml:6:6)',
      ),
    );
  });

  it("reports an unset environment variable without a default", () => {
    expect(unresolvedReport({ "config.yaml": `${PRIMARY}root: \${oc.env:NOPE}\n` })).toBe(
      text(
        'error: environment variable "NOPE" is not set (in "${oc.env:NOPE}")',
        " --> cfg/config.yaml:5:7",
        "  |",
        "5 | root: ${oc.env:NOPE}",
        "  |       ^^^^^^^^^^^^^^",
        "  = note: set it, or give a default: ${oc.env:NOPE,default}",
      ),
    );
  });

  it("reports unknown resolvers, bad key paths and mappings inside strings", () => {
    expect(unresolvedReport({ "config.yaml": `${PRIMARY}s: \${foo:bar}\nt: \${a..b}\nm: {a: 1}\nu: x_\${m}\n` })).toBe(
      text(
        'error: unknown resolver "foo" in "${foo:bar}"',
        " --> cfg/config.yaml:5:4",
        "  |",
        "5 | s: ${foo:bar}",
        "  |    ^^^^^^^^^^",
        "  = note: supported resolvers: oc.env, now",
        "",
        'error: invalid key path "a..b" in "${a..b}"',
        " --> cfg/config.yaml:6:4",
        "  |",
        "6 | t: ${a..b}",
        "  |    ^^^^^^^",
        "",
        'error: interpolation "${m}" inside a string refers to a mapping',
        " --> cfg/config.yaml:8:6",
        "  |",
        "8 | u: x_${m}",
        "  |      ^^^^",
        "  = note: only a value that is exactly one interpolation can take a list or a mapping",
      ),
    );
  });
});

describe("validation", () => {
  it("reports misspelt fixed stage keys at their line, with the key meant", () => {
    const pipeline = [
      "make_cmb:",
      "  asset_out:",
      "    cmb_map: {handler: HealpyMap, path_template: x}",
      "  dirname: CMB",
      "  make_stage_logs: true",
      "  assets_in:",
      "    ps: {stage: ps_setup, orig_nam: cmb_ps}",
      "  nside: 512",
      "",
    ].join("\n");
    expect(loadErrors({ "pipeline/simple.yaml": pipeline })).toBe(
      text(
        'error: unknown key "asset_out" in stage "make_cmb"',
        " --> cfg/pipeline/simple.yaml:2:3",
        "  |",
        "2 |   asset_out:",
        "  |   ^^^^^^^^^",
        '  = note: did you mean "assets_out"?',
        "",
        'error: unknown key "dirname" in stage "make_cmb"',
        " --> cfg/pipeline/simple.yaml:4:3",
        "  |",
        "4 |   dirname: CMB",
        "  |   ^^^^^^^",
        '  = note: did you mean "dir_name"?',
        "",
        'error: unknown key "make_stage_logs" in stage "make_cmb"',
        " --> cfg/pipeline/simple.yaml:5:3",
        "  |",
        "5 |   make_stage_logs: true",
        "  |   ^^^^^^^^^^^^^^^",
        '  = note: did you mean "make_stage_log"?',
        "",
        'error: unknown key "orig_nam" in assets_in.ps of stage "make_cmb"',
        " --> cfg/pipeline/simple.yaml:7:27",
        "  |",
        "7 |     ps: {stage: ps_setup, orig_nam: cmb_ps}",
        "  |                           ^^^^^^^^",
        '  = note: did you mean "orig_name"?',
        "  = note: allowed keys: stage, orig_name",
      ),
    );
  });

  it("reports negative and non-integer n_sims at their line", () => {
    expect(loadErrors({ "splits/3-3.yaml": 'name: "3-3"\nTrain:\n  n_sims: -3\nTest:\n  n_sims: 2.5\n' })).toBe(
      text(
        "error: splits.Train.n_sims must be a non-negative integer, got -3",
        " --> cfg/splits/3-3.yaml:3:11",
        "  |",
        "3 |   n_sims: -3",
        "  |           ^^",
        "",
        "error: splits.Test.n_sims must be a non-negative integer, got 2.5",
        " --> cfg/splits/3-3.yaml:5:11",
        "  |",
        "5 |   n_sims: 2.5",
        "  |           ^^^",
      ),
    );
  });

  it("reports an empty pipeline", () => {
    expect(loadErrors({ "config.yaml": "defaults:\n  - splits: 3-3\n  - _self_\npipeline: {}\n" })).toBe(
      text(
        "error: the pipeline has no stages",
        " --> cfg/config.yaml:4:11",
        "  |",
        "4 | pipeline: {}",
        "  |           ^^",
        "  = note: `pipeline` maps stage names to stage blocks; check the pipeline files in the defaults list",
      ),
    );
  });

  it("reports a configuration without a pipeline", () => {
    expect(loadErrors({ "config.yaml": "defaults:\n  - splits: 3-3\n" })).toBe(
      text(
        'error: missing key "pipeline" in the configuration',
        "  = note: choose a pipeline in the defaults list, e.g. `- pipeline: assembly_sim`",
      ),
    );
  });

  it("collects errors from several files and steps together, in file and line order", () => {
    const files = {
      "config.yaml": `${PRIMARY}dataset_name: \${scenario.name}\npipeline:\n  make_cmb:\n    epochs: [1, x]\n    executor: stages/make-cmb.ts\n`,
      "splits/3-3.yaml": "name: 33\nTrain:\n  n_sims: -1\nTest:\n  n_sim: 3\n",
      "pipeline/simple.yaml": "make_cmb:\n  assets_out:\n    cmb_map: {handler: HealpyMap}\n  splits: Train\n",
    };
    expect(loadErrors(files)).toBe(
      text(
        'error: interpolation "${scenario.name}" refers to a missing key "scenario.name"',
        " --> cfg/config.yaml:5:15",
        "  |",
        "5 | dataset_name: ${scenario.name}",
        "  |               ^^^^^^^^^^^^^^^^",
        '  = note: did you mean "splits.name"?',
        "",
        'error: pipeline.make_cmb.epochs must be a list of integers or null, got the list [1,"x"]',
        " --> cfg/config.yaml:8:13",
        "  |",
        "8 |     epochs: [1, x]",
        "  |             ^^^^^^",
        "",
        'error: pipeline.make_cmb.executor must be "module#Export" (a module path, "#", an export name), got "stages/make-cmb.ts"',
        " --> cfg/config.yaml:9:15",
        "  |",
        "9 |     executor: stages/make-cmb.ts",
        "  |               ^^^^^^^^^^^^^^^^^^",
        "",
        "error: splits.name must be a string, got 33",
        " --> cfg/splits/3-3.yaml:1:7",
        "  |",
        "1 | name: 33",
        "  |       ^^",
        "",
        "error: splits.Train.n_sims must be a non-negative integer, got -1",
        " --> cfg/splits/3-3.yaml:3:11",
        "  |",
        "3 |   n_sims: -1",
        "  |           ^^",
        "",
        'error: unknown key "n_sim" in split "Test"',
        " --> cfg/splits/3-3.yaml:5:3",
        "  |",
        "5 |   n_sim: 3",
        "  |   ^^^^^",
        '  = note: did you mean "n_sims"?',
        "",
        'error: missing key "path_template" in assets_out.cmb_map of stage "make_cmb"',
        " --> cfg/pipeline/simple.yaml:3:5",
        "  |",
        "3 |     cmb_map: {handler: HealpyMap}",
        "  |     ^^^^^^^",
        "",
        "error: pipeline.make_cmb.splits must be a list, got \"Train\"",
        " --> cfg/pipeline/simple.yaml:4:11",
        "  |",
        "4 |   splits: Train",
        "  |           ^^^^^",
      ),
    );
  });

  it("does not repeat an interpolation failure as a validation error", () => {
    const files = { "splits/3-3.yaml": 'name: "3-3"\nTrain:\n  n_sims: ${count}\nTest:\n  n_sims: 1\n' };
    expect(loadErrors(files)).toBe(
      text(
        'error: interpolation "${count}" refers to a missing key "count"',
        " --> cfg/splits/3-3.yaml:3:11",
        "  |",
        "3 |   n_sims: ${count}",
        "  |           ^^^^^^^^",
        "  = note: top-level keys: splits, pipeline",
      ),
    );
  });
});

describe("files that are not what they seem", () => {
  it("refuses a file that is not UTF-8, pointing at the first byte that is not", () => {
    // What Node's UTF-8 decoding makes of the Latin-1 byte 0xE9 in "A_PS_Setupé".
    const errors = loadErrors({ "splits/3-3.yaml": 'name: "3-3"\nTrain:\n  n_sims: 3\n# A_PS_Setup\uFFFD\n' });
    expect(errors).toContain("error: this file is not UTF-8 text (saved in another encoding?); cmbflow reads config files as UTF-8\n --> cfg/splits/3-3.yaml:4:13\n");
  });

  it("stops aliases nested in themselves (a billion laughs) with one message instead of running out of memory", () => {
    const levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (const [prev, name] of [..."abcdefgh"].slice(0, -1).map((p, i) => [p, "bcdefgh"[i] ?? ""])) levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    const t0 = performance.now();
    const errors = loadErrors({ "splits/3-3.yaml": `name: "3-3"\nTrain:\n  n_sims: 3\n${levels.join("\n")}\n` });
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(errors).toMatch(/^error: the aliases in this file expand to more than 1,000,000 values; is an alias nested in itself many times\?\n --> cfg\/splits\/3-3\.yaml:\d+:\d+\n/);
  });
});

describe("more than one document", () => {
  it("says a config file holds one YAML document, at the second one's marker", () => {
    expect(loadErrors({ "splits/3-3.yaml": 'name: "3-3"\nTrain:\n  n_sims: 3\n---\nTest:\n  n_sims: 3\n' })).toBe(
      text(
        "error: a second YAML document: a config file holds one",
        " --> cfg/splits/3-3.yaml:4:1",
        "  |",
        "4 | ---",
        "  | ^^^",
        '  = note: remove the "---" line and what follows, or move it into a file of its own',
      ),
    );
  });
});

describe("numbers JSON cannot show", () => {
  it("prints .nan and .inf as written, not as null", () => {
    expect(loadErrors({ "config.yaml": `${PRIMARY}seed: .nan\n` }, ["splits.Train.n_sims=.inf"])).toBe(
      text(
        "error: seed must be a whole number from 0 to 9007199254740991 (2^53 − 1), got .nan",
        " --> cfg/config.yaml:5:7",
        "  |",
        "5 | seed: .nan",
        "  |       ^^^^",
        "",
        "error: splits.Train.n_sims must be a non-negative integer, got .inf",
        '  = note: set by override "splits.Train.n_sims=.inf"',
      ),
    );
  });

  it("shows a 120 KB integer by its ends and length", () => {
    const huge = "9".repeat(120_000);
    const rendered = loadErrors({ "splits/3-3.yaml": `name: "3-3"\nTrain:\n  n_sims: ${huge}\nTest:\n  n_sims: 3\n` });
    expect(rendered.split("\n")[0]).toBe("error: splits.Train.n_sims must be a non-negative integer, got 9999999999999999…99999999 (120,000 characters)");
    const viaOverride = loadErrors({}, [`+seed=${huge}`]);
    expect(viaOverride).toBe(
      text(
        "error: seed must be a whole number from 0 to 9007199254740991 (2^53 − 1), got 9999999999999999…99999999 (120,000 characters)",
        '  = note: set by override "+seed=9999999999…99999999 (120,006 characters)"',
      ),
    );
  });
});
