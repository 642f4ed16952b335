/**
 * Issue #13, "Done when": a CMB-ML-shaped cfg/ tree (test/fixtures/config/cmbml-sim, written for
 * these tests with every Hydra feature CMB-ML's config_sim uses) loads and compiles to the
 * stages and edges of its pipeline; executors are bound by an executors: mapping.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import type { LoadedConfig } from "../../src/config/index.js";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";
import { compilePipeline } from "../../src/graph/compile.js";
import type { CompiledPipeline } from "../../src/graph/compile.js";
import { builtinHandlerNames } from "../../src/handlers/index.js";
import { load, loadOk } from "../config/helpers.js";

const FIXTURE = new URL("../fixtures/config/cmbml-sim", import.meta.url).pathname;
const ENV = { CMB_ML_LOCAL_SYSTEM: "laptop" };

function loadFixture(overrides: readonly string[] = []): LoadedConfig {
  const loaded = loadConfig({ configDir: FIXTURE, configName: "config_sim", overrides, env: ENV });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error, null, 2));
  return loaded.value;
}

function compile(config: LoadedConfig): CompiledPipeline {
  const compiled = compilePipeline(config, { handlers: new Set(builtinHandlerNames()) });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.error, null, 2));
  return compiled.value;
}

function compileErrors(files: Readonly<Record<string, string>>, overrides: readonly string[] = []): readonly Diagnostic[] {
  const compiled = compilePipeline(loadOk(files, overrides), { handlers: new Set(builtinHandlerNames()) });
  if (compiled.ok) throw new Error("expected the pipeline not to compile");
  return compiled.error;
}

describe("a CMB-ML-shaped cfg/", () => {
  it("composes with every feature: env-chosen local system, nested groups, packages, optional and hydra entries", () => {
    const config = loadFixture();
    expect(config.choices).toEqual({
      local_system: "laptop",
      file_system: "common_fs",
      scenario: "scenario",
      splits: "all",
      "model/sim": "sim",
      "model/sim/cmb": "wmap_chain",
      "model/sim/noise": "spatial",
      pipeline: "assembly_sim",
    });
    expect(config.resolved["dataset_name"]).toBe("I_32_2-1-1");
    expect(config.resolved["model"]).toEqual({ sim: { cmb_params: { chain_file: "wmap_lcdm_chains.txt", use_lensing: false }, nside_sky: 64 } });
    expect(config.resolved["noise_seed_offset"]).toBe(1000);
    expect(config.resolved["hydra"]).toMatchObject({ run: { dir: expect.stringMatching(/^Logs\/\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/) as unknown } });
    expect(config.unresolved?.map((u) => u.path)).toEqual([["comparison_label"]]);
    expect(config.warnings.map((w) => w.severity)).toEqual(["note", "note"]);
  });

  it("draws the stage names and edges of its pipeline", () => {
    const { stageGraph, nodes } = compile(loadFixture());
    expect(stageGraph.order).toEqual([
      "raw",
      "check_hydra_configs",
      "make_noise_models",
      "make_sim_configs",
      "make_theory_ps",
      "make_cmb_maps",
      "make_obs_maps",
    ]);
    const edges = stageGraph.graph.edges().map((e) => {
      const [from, to] = stageGraph.graph.extremities(e);
      return `${from} -> ${to} (${stageGraph.graph.getEdgeAttributes(e).asset})`;
    });
    expect(edges.sort()).toEqual([
      "make_cmb_maps -> make_obs_maps (cmb_map)",
      "make_noise_models -> make_obs_maps (noise_model)",
      "make_sim_configs -> make_theory_ps (cmb_config)",
      "make_theory_ps -> make_cmb_maps (cmb_ps)",
      "raw -> make_noise_models (mask)",
      "raw -> make_sim_configs (wmap_chains)",
    ]);
    expect(nodes.stages.map((s) => [s.stage.name, s.count])).toEqual([
      ["raw", 1],
      ["check_hydra_configs", 1],
      ["make_noise_models", 3],
      ["make_sim_configs", 4],
      ["make_theory_ps", 4],
      ["make_cmb_maps", 4],
      ["make_obs_maps", 12],
    ]);
    expect([...stageGraph.stages.values()].every((s) => s.executor === null)).toBe(true);
    expect(stageGraph.stages.get("make_sim_configs")?.assetsOut[0]?.templateAlt?.source).toBe("{root}/{dataset}/{working}{stage}/{split}/cmb_config.yaml");
    expect(stageGraph.stages.get("make_sim_configs")?.assetsOut[0]?.options).toEqual({});
  });

  it("binds executors from an executors group without touching the pipeline files", () => {
    const { stageGraph } = compile(loadFixture(["+executors=sim"]));
    expect(stageGraph.stages.get("make_theory_ps")?.executor).toBe("stages/theory-ps.ts#TheoryPsExecutor");
    expect(stageGraph.stages.get("make_cmb_maps")?.executor).toBe("stages/cmb-maps.ts#CmbMapsExecutor");
    expect(stageGraph.stages.get("raw")?.executor).toBe(null);
  });
});

describe("executors: and path_template_alt problems", () => {
  const PIPE = "pipeline/simple.yaml";
  const stage = (asset: string): string =>
    `make_cmb:\n  assets_out:\n    cmb_map:\n      handler: HealpyMap\n      path_template: "{root}/{stage}/{split}/cmb.fits"\n${asset}  executor: stages/a.ts#A\n`;

  it("reports a binding for an unknown stage and a stage bound twice", () => {
    const errors = compileErrors({ [PIPE]: stage(""), "config.yaml": "defaults:\n  - splits: 3-3\n  - pipeline: simple\n  - _self_\nexecutors:\n  make_cbm: stages/b.ts#B\n" });
    expect(errors.map((e) => [e.message, e.location?.line, e.notes])).toEqual([
      ['executors: binds unknown stage "make_cbm"', 6, ['did you mean "make_cmb"?', "stages: make_cmb"]],
    ]);
    const twice = compileErrors({ [PIPE]: stage(""), "config.yaml": "defaults:\n  - splits: 3-3\n  - pipeline: simple\n  - _self_\nexecutors:\n  make_cmb: stages/b.ts#B\n" });
    expect(twice.map((e) => [e.message, e.location?.line])).toEqual([
      ['stage "make_cmb" is bound to executor "stages/b.ts#B" in executors:, but its block names "stages/a.ts#A"', 6],
    ]);
  });

  it("checks executors: entries like executor keys", () => {
    const loaded = load({ "config.yaml": "defaults:\n  - splits: 3-3\n  - pipeline: simple\n  - _self_\nexecutors:\n  make_cmb: stages/b.ts\n" });
    expect(loaded.ok ? [] : loaded.error.map((e) => e.message)).toEqual([
      'executors.make_cmb must be "module#Export" (a module path, "#", an export name), got "stages/b.ts"',
    ]);
  });

  it("reports an alternative template with an unknown tag, or with more per-sim context than the stage has", () => {
    const unknown = compileErrors({ [PIPE]: stage("      path_template_alt: \"{root}/{stag}/cmb.fits\"\n").replace("  executor", "  executor") });
    expect(unknown.map((e) => e.message)).toEqual(['unknown tag "{stag}" in path_template_alt of asset "cmb_map" in stage "make_cmb"']);
    const more = compileErrors({ [PIPE]: stage("      path_template_alt: \"{root}/{stage}/{split}/{sim}/cmb.fits\"\n") });
    expect(more.map((e) => [e.message, e.location?.line])).toEqual([
      ['path_template_alt of asset "cmb_map" in stage "make_cmb" uses {sim}, which the stage\'s path_templates do not: it is the path for less context, not more', 6],
    ]);
  });
});
