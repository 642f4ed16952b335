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

  it("lets a stage read its own earlier output without a cycle", () => {
    const text = `${SPLITS_3_3}pipeline:${stage("a", `
    assets_in:
      previous: {stage: a, orig_name: out}`)}
`;
    expect(compilePipeline(fromYaml(text), { handlers: HANDLERS }).ok).toBe(true);
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
