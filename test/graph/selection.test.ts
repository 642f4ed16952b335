import { describe, expect, it } from "vitest";
import { compilePipeline } from "../../src/graph/compile.js";
import type { CompiledPipeline } from "../../src/graph/compile.js";
import { parseSims, selectNodes } from "../../src/graph/selection.js";
import { fromYaml, HANDLERS, SPLITS_3_3 } from "./fixture.js";

function pipeline(): CompiledPipeline {
  const compiled = compilePipeline(
    fromYaml(`${SPLITS_3_3}
pipeline:
  cmb:
    assets_out:
      map: {handler: HealpyMap, path_template: "{root}/{stage}/{split}/{sim}/cmb.fits"}
    dir_name: A
  stats:
    assets_out:
      stats: {handler: Config, path_template: "{root}/{stage}/{split}/stats.yaml"}
    assets_in:
      map: {stage: cmb}
    make_stage_log: true
    dir_name: B
`),
    { handlers: HANDLERS },
  );
  if (!compiled.ok) throw new Error("fixture does not compile");
  return compiled.value;
}

describe("--sims", () => {
  it("takes single sims and ranges per split, split names in any case", () => {
    const parsed = parseSims("train:0-1,Test:2", pipeline());
    expect(parsed.ok && [...parsed.value].map(([k, v]) => [k, [...v]])).toEqual([
      ["Train", [0, 1]],
      ["Test", [2]],
    ]);
  });

  it("refuses a sim outside its split, however large, without enumerating it", () => {
    const p = pipeline();
    expect(parseSims("Train:3", p)).toEqual({ ok: false, error: '--sims Train:3: "Train:3" is outside split Train, which has sims 0-2' });
    expect(parseSims("Valid:1-99999999999", p)).toEqual({ ok: false, error: '--sims Valid:1-99999999999: "Valid:1-99999999999" is outside split Valid, which has sims 0-2' });
    const huge = "Train:99999999999999999999";
    expect(parseSims(huge, p)).toEqual({ ok: false, error: `--sims ${huge}: "${huge}" is outside split Train, which has sims 0-2` });
    expect(selectNodes(p, { sims: "Test:0-7" })).toEqual({ ok: false, error: '--sims Test:0-7: "Test:0-7" is outside split Test, which has sims 0-2' });
  });

  it("refuses an empty --sims or stage list, which would select nothing and succeed", () => {
    const p = pipeline();
    expect(parseSims(" ", p)).toEqual({ ok: false, error: "--sims was given no simulations (e.g. Train:0-9,Test:3)" });
    expect(selectNodes(p, { only: [""] })).toEqual({ ok: false, error: "--only was given no stage name (stages: cmb, stats)" });
    expect(selectNodes(p, { force: [","] })).toEqual({ ok: false, error: "--force was given no stage name (stages: cmb, stats)" });
  });
});
