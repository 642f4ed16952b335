import { describe, expect, it } from "vitest";
import { compilePipeline } from "../../src/graph/compile.js";
import { fromYaml, HANDLERS, SPLITS_3_3 } from "./fixture.js";

function problems(text: string) {
  const result = compilePipeline(fromYaml(text), { handlers: HANDLERS });
  if (result.ok) throw new Error("expected diagnostics");
  return result.error.map((d) => ({ message: d.message, line: d.location?.line, column: d.location?.column, notes: d.notes ?? [] }));
}

const stage = (name: string, extra = ""): string => `
  ${name}:
    assets_out:
      out: {handler: HealpyMap, path_template: "{root}/{stage}/${name}.fits"}${extra}`;

describe("compiler diagnostics", () => {
  it("names an unknown stage with the stages that exist", () => {
    const text = `${SPLITS_3_3}pipeline:${stage("make_cmb")}${stage("make_obs", `
    assets_in:
      cmb: {stage: make_cbm, orig_name: out}`)}
`;
    expect(problems(text)).toEqual([
      {
        message: 'stage "make_obs" reads "cmb" from unknown stage "make_cbm"',
        line: 15,
        column: 20,
        notes: ['did you mean "make_cmb"?', "stages: make_cmb, make_obs"],
      },
    ]);
  });

  it("names an unknown asset with did-you-mean and what the stage outputs", () => {
    const text = `${SPLITS_3_3}pipeline:${stage("a")}${stage("b", `
    assets_in:
      outt: {stage: a}`)}
`;
    expect(problems(text)).toEqual([
      {
        message: 'stage "b" reads asset "outt" from stage "a", which does not output it',
        line: 15,
        column: 21,
        notes: ['did you mean "out"?', '"a" outputs: out'],
      },
    ]);
  });

  it("names an unknown handler with the registered ones", () => {
    const text = `${SPLITS_3_3}pipeline:
  a:
    assets_out:
      m: {handler: HealpyMapp, path_template: "x.fits"}
`;
    const [p] = problems(text);
    expect(p?.message).toBe('unknown handler "HealpyMapp" for asset "m" of stage "a"');
    expect(p?.line).toBe(10);
    expect(p?.notes[0]).toBe('did you mean "HealpyMap"?');
    expect(p?.notes[1]).toMatch(/^registered handlers: Config, CsvTable, Figure, HealpyMap/);
  });

  it("points at an unknown template tag inside the template", () => {
    const text = `${SPLITS_3_3}pipeline:
  a:
    assets_out:
      m: {handler: HealpyMap, path_template: "{root}/{stgae}/m.fits"}
`;
    expect(problems(text)).toEqual([
      {
        message: 'unknown tag "{stgae}" in path_template of asset "m" in stage "a"',
        line: 10,
        column: 54,
        notes: ['did you mean "stage"?', "known tags: split, sim, freq, epoch, root, src_root, dataset, working, stage, and the stage's own scalar keys"],
      },
    ]);
  });

  it("accepts the stage's own scalar keys as tags", () => {
    const text = `${SPLITS_3_3}pipeline:
  a:
    assets_out:
      m: {handler: HealpyMap, path_template: "{root}/{field}.fits"}
    field: T
`;
    expect(compilePipeline(fromYaml(text), { handlers: HANDLERS }).ok).toBe(true);
  });

  it("points at an unbalanced brace", () => {
    const text = `${SPLITS_3_3}pipeline:
  a:
    assets_out:
      m: {handler: HealpyMap, path_template: "{root}/{stage/m.fits"}
`;
    expect(problems(text)).toEqual([
      { message: 'path_template of asset "m" in stage "a": "{" at character 8 is never closed', line: 10, column: 54, notes: [] },
    ]);
  });

  it("names every edge of a three-stage cycle", () => {
    const text = `${SPLITS_3_3}pipeline:${stage("a", `
    assets_in:
      from_c: {stage: c, orig_name: out}`)}${stage("b", `
    assets_in:
      from_a: {stage: a, orig_name: out}`)}${stage("c", `
    assets_in:
      from_b: {stage: b, orig_name: out}`)}
`;
    expect(problems(text)).toEqual([
      {
        message: "the pipeline has a cycle: a → b → c → a",
        line: 17,
        column: 23,
        notes: ["edge a → b (from_a)", "edge b → c (from_b)", "edge c → a (from_c)"],
      },
    ]);
  });

  it("refuses a stage that reads its own output (a self-cycle), at the assets_in entry", () => {
    const text = `${SPLITS_3_3}pipeline:${stage("a", `
    assets_in:
      previous: {stage: a, orig_name: out}`)}
`;
    expect(problems(text)).toEqual([
      {
        message: 'stage "a" reads its own output "out" (as "previous"): a stage cannot be its own input',
        line: 12,
        column: 25,
        notes: ["read it from the stage that produced it before, or give the result a new stage"],
      },
    ]);
  });

  it("locates a two-stage cycle at the edge that closes it, with each edge's own asset", () => {
    const text = `${SPLITS_3_3}pipeline:${stage("a", `
    assets_in:
      from_b: {stage: b, orig_name: out}`)}${stage("b", `
    assets_in:
      from_a: {stage: a, orig_name: out}`)}
`;
    expect(problems(text)).toEqual([
      { message: "the pipeline has a cycle: a → b → a", line: 17, column: 23, notes: ["edge a → b (from_a)", "edge b → a (from_b)"] },
    ]);
  });

  it("refuses an asset whose template lacks one of its stage's dimensions", () => {
    const text = `${SPLITS_3_3}pipeline:
  a:
    assets_out:
      m: {handler: HealpyMap, path_template: "a/{split}/{sim}/{freq}.fits"}
      s: {handler: HealpyMap, path_template: "a/{split}/{sim}/sum.fits"}
    freqs: [30, 100]
`;
    expect(problems(text)).toEqual([
      {
        message: 'path_template of asset "s" in stage "a" lacks {freq}: the stage has a node per freq (from asset "m"), and they would all write this one file',
        line: 11,
        column: 46,
        notes: ["add {freq} to the template, or move the asset to a stage of its own"],
      },
    ]);
  });

  it("refuses two outputs with the same path, in one stage and across stages sharing a dir_name", () => {
    const text = `${SPLITS_3_3}pipeline:
  a:
    assets_out:
      m: {handler: HealpyMap, path_template: "{root}/{stage}/{split}/{sim}/m.fits"}
      n: {handler: HealpyMap, path_template: "{root}/{stage}/{split}/{sim}/m.fits"}
    dir_name: A
  b:
    assets_out:
      m: {handler: HealpyMap, path_template: "{root}/{stage}/{split}/{sim}/{kind}.fits"}
    kind: m
    dir_name: A
  c:
    assets_out:
      m: {handler: HealpyMap, path_template: "{root}/{stage}/{split}/{sim}/m.fits"}
    dir_name: C
`;
    expect(problems(text)).toEqual([
      {
        message: 'asset "n" of stage "a" and asset "m" would write the same files: both path_templates come to "{root}/A/{split}/{sim}/m.fits"',
        line: 11,
        column: 46,
        notes: ["give one of them another file name"],
      },
      {
        message: 'asset "m" of stage "b" and asset "m" of stage "a" would write the same files: both path_templates come to "{root}/A/{split}/{sim}/m.fits"',
        line: 15,
        column: 46,
        notes: ["give one of them another file name or dir_name"],
      },
    ]);
  });

  it("allows the same template in stages whose splits do not overlap", () => {
    const text = `${SPLITS_3_3}pipeline:
  a:
    assets_out:
      m: {handler: HealpyMap, path_template: "{root}/x/{split}/{sim}/m.fits"}
    splits: [train]
  b:
    assets_out:
      m: {handler: HealpyMap, path_template: "{root}/x/{split}/{sim}/m.fits"}
    splits: [test]
`;
    expect(compilePipeline(fromYaml(text), { handlers: HANDLERS }).ok).toBe(true);
  });

  it("reports a duplicate frequency once where it is written, naming every stage that uses the list", () => {
    const text = `${SPLITS_3_3}freq_list: &f [30, 100, 30]
pipeline:
  a:
    assets_out:
      m: {handler: HealpyMap, path_template: "a/{split}/{sim}/{freq}.fits"}
    freqs: *f
  b:
    assets_out:
      m: {handler: HealpyMap, path_template: "b/{split}/{sim}/{freq}.fits"}
    freqs: [30, 30]
`;
    const found = problems(text);
    expect(found.map((p) => p.message)).toEqual([
      "frequency 30 is listed twice (entries 1 and 3 of the frequency list)",
      "frequency 30 is listed twice (entries 1 and 2 of the frequency list)",
    ]);
    expect(found[1]).toMatchObject({ line: 16, column: 17 });
    expect(found[1]?.notes).toEqual(["each frequency is a node of its own: two equal ones would write the same files", '"freqs" of stage "b"']);
  });

  it("names the empty frequency list instead of reporting nodes with no producer", () => {
    const text = `${SPLITS_3_3}pipeline:
  a:
    assets_out:
      m: {handler: HealpyMap, path_template: "a/{split}/{sim}/{freq}.fits"}
    freqs: []
`;
    expect(problems(text)).toEqual([
      {
        message: "the frequency list is empty, so stages with a node per {freq} have no nodes",
        line: 11,
        column: 12,
        notes: ["list at least one frequency", '"freqs" of stage "a"'],
      },
    ]);
  });

  it("refuses a dir_name, dataset_name or template that climbs out of the dataset folder", () => {
    const text = `${SPLITS_3_3}dataset_name: ../other
pipeline:
  a:
    assets_out:
      m: {handler: HealpyMap, path_template: "{root}/{dataset}/{stage}/m.fits"}
    dir_name: ../../etc
  b:
    assets_out:
      m: {handler: HealpyMap, path_template: "{root}/{dataset}/b/{up}/m.fits"}
    up: ".."
`;
    expect(problems(text).map((p) => [p.message, p.line])).toEqual([
      ['dataset_name "../other" climbs out of the dataset folder with ".."', 7],
      ['dir_name of stage "a" "../../etc" climbs out of the dataset folder with ".."', 12],
      ['path_template of asset "m" in stage "b" "{root}/{dataset}/b/{up}/m.fits" climbs out of the dataset folder with ".."', 15],
    ]);
    expect(problems(text)[0]?.notes).toEqual(["outputs stay inside {root}/{dataset}; only local_system.datasets_root may point elsewhere"]);
  });

  it("refuses an output template that is an absolute path, or starts with a value that is one", () => {
    const text = `${SPLITS_3_3}pipeline:
  a:
    assets_out:
      m: {handler: HealpyMap, path_template: "/tmp/cmbflow-elsewhere/{stage}/m.fits"}
  b:
    assets_out:
      m: {handler: HealpyMap, path_template: "{place}/m.fits"}
    place: /etc
  c:
    assets_out:
      m: {handler: HealpyMap, path_template: "{root}/{dataset}/{stage}/m.fits"}
`;
    expect(problems(text).map((p) => [p.message, p.line])).toEqual([
      ['path_template of asset "m" in stage "a" "/tmp/cmbflow-elsewhere/{stage}/m.fits" is an absolute path: outputs are written inside the data folder', 10],
      ['path_template of asset "m" in stage "b" "{place}/m.fits" is an absolute path: outputs are written inside the data folder', 13],
    ]);
    expect(problems(text)[0]?.notes).toEqual(['start it with {root}/{dataset}, e.g. "{root}/{dataset}/{stage}/m.fits"; local_system.datasets_root says where {root} is']);
  });

  it("refuses more nodes than can be planned, at the n_sims that sets them, without expanding", () => {
    const text = `
splits:
  name: huge
  Train: {n_sims: 1000000000}
pipeline:
  a:
    assets_out:
      m: {handler: HealpyMap, path_template: "a/{split}/{sim}/m.fits"}
`;
    expect(problems(text)).toEqual([
      {
        message: "the pipeline would have 1,000,000,000 nodes, more than the 2,000,000 cmbflow can plan at once",
        line: 4,
        column: 19,
        notes: ['stage "a" alone has 1,000,000,000 nodes; splits.Train.n_sims sets how many', "lower n_sims (or n_sims_cap), or divide the work into several datasets"],
      },
    ]);
  });

  it("reports a splits filter that matches no split", () => {
    const text = `${SPLITS_3_3}pipeline:${stage("a", `
    splits: [validation]`)}
`;
    expect(problems(text)).toEqual([
      { message: 'stage "a" runs on splits [validation], which match no split', line: 11, column: 13, notes: ["splits: Train, Valid, Test"] },
    ]);
  });

  it("reports each entry of a splits filter that matches no split, at the entry", () => {
    const text = `${SPLITS_3_3}pipeline:${stage("a", `
    splits: [Train, Foo]`)}
`;
    expect(problems(text)).toEqual([{ message: 'stage "a" lists split "Foo", which matches no split', line: 11, column: 21, notes: ["splits: Train, Valid, Test"] }]);
  });

  it("reports nodes whose inputs no upstream node produces", () => {
    const text = `${SPLITS_3_3}pipeline:
  a:
    assets_out:
      m: {handler: HealpyMap, path_template: "a/{split}/{sim}.fits"}
    splits: [train]
  b:
    assets_out:
      m: {handler: HealpyMap, path_template: "b/{split}/{sim}.fits"}
    assets_in:
      m: {stage: a}
    splits: [train, test]
`;
    expect(problems(text)).toEqual([
      {
        message: '3 nodes of stage "b" (e.g. b[split=Test,sim=0]) have no producer in stage "a" for "m"',
        line: undefined,
        column: undefined,
        notes: ['"a" runs on Train (3 sims); "b" runs on Train (3 sims), Test (3 sims)'],
      },
    ]);
  });

  it("names n_sims: 0 when a reduction is left without producers", () => {
    const text = `
splits:
  name: "0-3"
  Train: {n_sims: 0}
  Test: {n_sims: 3}
pipeline:
  a:
    assets_out:
      m: {handler: HealpyMap, path_template: "a/{split}/{sim}.fits"}
  stats:
    assets_out:
      s: {handler: Config, path_template: "stats.yaml"}
    assets_in:
      m: {stage: a}
    splits: [train]
`;
    expect(problems(text)).toEqual([
      {
        message: '1 node of stage "stats" (stats) has no producer in stage "a" for "m": splits.Train.n_sims is 0',
        line: 4,
        column: 19,
        notes: ['"a" runs on Train (0 sims), Test (3 sims); "stats" runs on Train (0 sims)'],
      },
    ]);
  });

  it("requires a freqs list for {freq} and reports an empty pipeline", () => {
    const text = `${SPLITS_3_3}pipeline:
  a:
    assets_out:
      m: {handler: HealpyMap, path_template: "{split}/{sim}/{freq}.fits"}
`;
    expect(problems(text)[0]?.message).toBe('stage "a" uses {freq} in a path template but declares no "freqs" list');
    expect(problems(`${SPLITS_3_3}pipeline: {}\n`)[0]?.message).toBe("the pipeline is empty: no stages are defined under `pipeline`");
  });

  it("collects every problem, not only the first", () => {
    const text = `${SPLITS_3_3}pipeline:
  a:
    assets_out:
      m: {handler: Nope, path_template: "{nope}.fits"}
  b:
    assets_out:
      m: {handler: HealpyMap, path_template: "b.fits"}
    assets_in:
      m: {stage: zzz}
`;
    expect(problems(text).map((p) => p.message)).toEqual([
      'unknown handler "Nope" for asset "m" of stage "a"',
      'unknown tag "{nope}" in path_template of asset "m" in stage "a"',
      'stage "b" reads "m" from unknown stage "zzz"',
    ]);
  });
});
