import { describe, expect, it } from "vitest";
import { compilePipeline } from "../../src/graph/compile.js";
import { collapsedNodes, compressRanges } from "../../src/graph/node-summary.js";
import { formatNodeId, parseNodeId } from "../../src/graph/partition.js";
import { fromYaml, HANDLERS, SPLITS_3_3 } from "./fixture.js";

const PIPELINE = `${SPLITS_3_3}
pipeline:
  setup:
    assets_out:
      ps: {handler: TextPowerSpectrum, path_template: "{root}/{dataset}/{stage}/ps.txt"}
    dir_name: A
  cmb:
    assets_out:
      map: {handler: HealpyMap, path_template: "{root}/{dataset}/{working}{stage}/{split}/{sim}/cmb.fits"}
    assets_in:
      ps: {stage: setup}
    dir_name: B
  noise:
    assets_out:
      map: {handler: HealpyMap, path_template: "{root}/{stage}/{split}/{sim}/noise_{freq}.fits"}
    freqs: [30, 100]
    dir_name: C
  obs:
    assets_out:
      map: {handler: HealpyMap, path_template: "{root}/{stage}/{split}/{sim}/obs_{freq}.fits"}
    assets_in:
      cmb_map: {stage: cmb, orig_name: map}
      noise_map: {stage: noise, orig_name: map}
    freqs: [30, 100]
    dir_name: D
  stats:
    assets_out:
      stats: {handler: Config, path_template: "{root}/{stage}/stats.yaml"}
    assets_in:
      obs: {stage: obs, orig_name: map}
    splits: [train]
    dir_name: E
  spectra:
    assets_out:
      cl: {handler: NumpyPowerSpectrum, path_template: "{root}/{stage}/{split}/{sim}/cl.npy"}
    assets_in:
      obs: {stage: obs, orig_name: map}
    splits: [test]
    override_n_sims: 2
    dir_name: F
`;

function compile(text: string) {
  const result = compilePipeline(fromYaml(text), { handlers: HANDLERS });
  if (!result.ok) throw new Error(result.error.map((d) => d.message).join("\n"));
  return result.value;
}

describe("node expansion", () => {
  const { nodes, stageGraph } = compile(PIPELINE);
  const byStage = Object.fromEntries(nodes.stages.map((s) => [s.stage.name, s]));

  it("reads each stage's dimensions from its templates", () => {
    expect(byStage["setup"]?.stage.dims).toEqual([]);
    expect(byStage["cmb"]?.stage.dims).toEqual(["split", "sim"]);
    expect(byStage["obs"]?.stage.dims).toEqual(["split", "sim", "freq"]);
    expect(byStage["stats"]?.stage.dims).toEqual([]);
  });

  it("expands over splits, sims, freqs, the splits filter and override_n_sims", () => {
    expect(byStage["setup"]?.count).toBe(1);
    expect(byStage["cmb"]?.count).toBe(9);
    expect(byStage["noise"]?.count).toBe(18);
    expect(byStage["spectra"]?.count).toBe(2);
    expect(nodes.size).toBe(1 + 9 + 18 + 18 + 1 + 2);
  });

  it("gives nodes stable, readable ids in split-file order", () => {
    const cmb = byStage["cmb"];
    expect(cmb && nodes.id(cmb.first)).toBe("cmb[split=Train,sim=0]");
    expect(cmb && nodes.id(cmb.first + 8)).toBe("cmb[split=Test,sim=2]");
    const obs = byStage["obs"];
    expect(obs && nodes.id(obs.first + 1)).toBe("obs[split=Train,sim=0,freq=100]");
    expect(nodes.find("obs[split=Valid,sim=1,freq=30]")).toBeDefined();
    expect(nodes.find("obs[split=Valid,sim=7,freq=30]")).toBeUndefined();
  });

  const depsOf = (id: string): string[] => {
    const n = nodes.find(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return [...nodes.deps.subarray(nodes.depStart[n], nodes.depStart[n + 1])].map((d) => nodes.id(d));
  };

  it("links per-sim to per-sim by shared dimensions and fans out from singletons", () => {
    expect(depsOf("cmb[split=Valid,sim=1]")).toEqual(["setup"]);
    expect(depsOf("obs[split=Valid,sim=1,freq=100]").sort()).toEqual(["cmb[split=Valid,sim=1]", "noise[split=Valid,sim=1,freq=100]"]);
  });

  it("fans reductions in over exactly the partitions in their scope", () => {
    const stats = depsOf("stats");
    expect(stats).toHaveLength(3 * 2);
    expect(stats.every((id) => id.startsWith("obs[split=Train,"))).toBe(true);
    expect(depsOf("spectra[split=Test,sim=1]")).toEqual(["obs[split=Test,sim=1,freq=30]", "obs[split=Test,sim=1,freq=100]"]);
  });

  it("lists dependents as the inverse of dependencies", () => {
    const setup = nodes.find("setup") ?? -1;
    expect([...nodes.dependents(setup)].map((d) => nodes.id(d))).toHaveLength(9);
  });

  it("keeps one stage edge per assets_in reference, labelled with the asset", () => {
    const edges = stageGraph.graph.mapEdges((_e, a, s, t) => `${s}->${t}:${a.asset}`);
    expect(edges).toContain("cmb->obs:cmb_map");
    expect(edges).toContain("noise->obs:noise_map");
    expect(stageGraph.order).toEqual(["setup", "cmb", "noise", "obs", "stats", "spectra"]);
  });

  it("collapses sims per split for display", () => {
    expect(byStage["cmb"] && collapsedNodes(byStage["cmb"])).toBe("Train 0–2 · Valid 0–2 · Test 0–2");
    expect(byStage["obs"] && collapsedNodes(byStage["obs"])).toBe("Train 0–2 · Valid 0–2 · Test 0–2 × freq 30,100");
    expect(compressRanges([0, 1, 2, 5, 7, 8])).toBe("0–2, 5, 7–8");
  });
});

describe("node ids", () => {
  it("round-trip through parse", () => {
    const id = formatNodeId("make_noise", { split: "Test1", sim: 12, freq: "217" });
    expect(id).toBe("make_noise[split=Test1,sim=12,freq=217]");
    expect(parseNodeId(id)).toEqual({ ok: true, value: { stage: "make_noise", partition: { split: "Test1", sim: 12, freq: "217" } } });
    expect(parseNodeId("ps_setup")).toEqual({ ok: true, value: { stage: "ps_setup", partition: {} } });
  });
  it("reject malformed ids with a reason", () => {
    expect(parseNodeId("make_cmb[split=Train,sim=x]")).toEqual({ ok: false, error: 'sim must be a whole number in node id "make_cmb[split=Train,sim=x]", got "x"' });
    expect(parseNodeId("make_cmb[colour=red]")).toEqual({ ok: false, error: '"colour=red" in node id "make_cmb[colour=red]" is not one of split=, sim=, freq=, epoch=' });
    expect(parseNodeId("[x]").ok).toBe(false);
  });
});

describe("CMB-ML split selection", () => {
  it("matches split kinds case-insensitively with trailing digits", () => {
    const text = `
splits:
  name: x
  Train: {n_sims: 2}
  Test1: {n_sims: 1}
  Test2: {n_sims: 2}
  Testing: {n_sims: 5}
pipeline:
  a:
    assets_out:
      m: {handler: HealpyMap, path_template: "{split}/{sim}.fits"}
    splits: [TEST]
`;
    const { nodes } = compile(text);
    expect(nodes.stages[0]?.stage.splits.map((s) => s.name)).toEqual(["Test1", "Test2"]);
    expect(nodes.size).toBe(3);
  });
  it("applies n_sims_cap and override_n_sims lists", () => {
    const text = `
splits:
  name: x
  Train: {n_sims: 10, n_sims_cap: 4}
pipeline:
  a:
    assets_out:
      m: {handler: HealpyMap, path_template: "{split}/{sim}.fits"}
  b:
    assets_out:
      m: {handler: HealpyMap, path_template: "b/{split}/{sim}.fits"}
    assets_in:
      m: {stage: a}
    override_n_sims: [1, 3]
`;
    const { nodes } = compile(text);
    expect(nodes.stages[0]?.count).toBe(4);
    expect(nodes.id(nodes.stages[1]?.first ?? 0)).toBe("b[split=Train,sim=1]");
    expect(nodes.stages[1]?.count).toBe(2);
  });
});

describe("speed-sensitive shape", () => {
  it("expands 3 splits × 2000 sims without quadratic work", () => {
    const text = PIPELINE.replace(/n_sims: 3/g, "n_sims: 2000");
    const { nodes } = compile(text);
    expect(nodes.size).toBe(1 + 6000 + 12000 + 12000 + 1 + 2);
    expect(nodes.deps.length).toBe(6000 + 2 * 12000 + 4000 + 4);
  });
});
