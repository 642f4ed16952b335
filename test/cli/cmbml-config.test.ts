/**
 * Issue #13 §2: a CMB-ML-shaped pipeline whose YAML names no executors (the fixture
 * test/fixtures/config/cmbml-sim) is drawn by every renderer of `dag` and counted by `status`;
 * `run` refuses it in one located message; `config --check` lists what cannot resolve.
 */
import { cpSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, tempProject } from "./harness.js";

const FIXTURE = new URL("../fixtures/config/cmbml-sim", import.meta.url).pathname;
const ENV = { CMB_ML_LOCAL_SYSTEM: "laptop" };
const NAME = ["--config-name", "config_sim"];
const STAGES = ["raw", "check_hydra_configs", "make_noise_models", "make_sim_configs", "make_theory_ps", "make_cmb_maps", "make_obs_maps"];

describe("a CMB-ML pipeline without executors", () => {
  let project: { dir: string; cleanup: () => void };
  beforeAll(() => {
    project = tempProject();
    cpSync(FIXTURE, join(project.dir, "cfg"), { recursive: true });
  });
  afterAll(() => project.cleanup());

  it("is drawn as boxes, with nothing on stderr", async () => {
    const { code, stdout, stderr } = await cli(project.dir, ["dag", ...NAME], ENV);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    for (const stage of STAGES) expect(stdout).toContain(`| ${stage} `);
    expect(stdout.indexOf("| make_theory_ps")).toBeLessThan(stdout.indexOf("| make_cmb_maps"));
  });

  it("is drawn as JSON, DOT and Mermaid with its edges", async () => {
    const json = await cli(project.dir, ["dag", "--json", ...NAME], ENV);
    const dag = JSON.parse(json.stdout) as { stages: { name: string }[]; edges: { from: string; to: string; asset: string }[] };
    expect(dag.stages.map((s) => s.name)).toEqual(STAGES);
    expect(dag.edges).toContainEqual({ from: "raw", to: "make_noise_models", asset: "mask" });
    expect(dag.edges).toContainEqual({ from: "make_noise_models", to: "make_obs_maps", asset: "noise_model" });
    const dot = await cli(project.dir, ["dag", "--dot", ...NAME], ENV);
    expect(dot.code).toBe(0);
    for (const stage of STAGES) expect(dot.stdout).toContain(stage);
    const mermaid = await cli(project.dir, ["dag", "--mermaid", ...NAME], ENV);
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout).toContain('-->|"cmb_ps"|');
    const nodes = await cli(project.dir, ["dag", "--nodes", ...NAME], ENV);
    expect(nodes.stdout).toContain("check_hydra_configs  1 node");
  });

  it("is counted by status, each stage marked as having no executor", async () => {
    const { code, stdout, stderr } = await cli(project.dir, ["status", ...NAME], ENV);
    expect(stderr).toBe("");
    expect(code).toBe(1);
    expect(stdout).toContain("make_obs_maps             0 fresh       0 run       0 restore       0 may run  — no executor: 12\n");
    expect(stdout).toContain(`29 nodes cannot run: no executor for ${STAGES.join(", ")} (bind them in an executors: mapping)\n`);
    const json = await cli(project.dir, ["status", "--json", ...NAME], ENV);
    const rows = (JSON.parse(json.stdout) as { stages: { name: string; total: number; stale: number; no_executor: boolean }[] }).stages;
    expect(rows.find((r) => r.name === "make_cmb_maps")).toMatchObject({ total: 4, stale: 4, no_executor: true });
  });

  it("is explained node by node as unable to run", async () => {
    const { code, stdout } = await cli(project.dir, ["explain", "make_cmb_maps[split=Train,sim=0]", ...NAME], ENV);
    expect(code).toBe(0);
    expect(stdout).toBe('make_cmb_maps[split=Train,sim=0] cannot run: stage "make_cmb_maps" has no executor (bind one in an executors: mapping)\n');
  });

  it("is refused by run in one message at the first stage without one", async () => {
    const { code, stdout, stderr } = await cli(project.dir, ["run", ...NAME], ENV);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      [
        `error: 7 stages have no executor: ${STAGES.join(", ")}; nothing was run`,
        " --> cfg/pipeline/pipe_raw.yaml:1:1",
        "  |",
        "1 | raw:",
        "  | ^^^",
        "  = note: bind executors without editing the pipeline: an executors: mapping (stage: module#Export) in a config file or group, e.g. +executors=NAME",
        "  = note: or add executor: module#Export to the stage's block",
        "",
      ].join("\n"),
    );
  });

  it("is refused only for the stages a run selects", async () => {
    const { stderr } = await cli(project.dir, ["run", "--only", "check_hydra_configs", ...NAME], ENV);
    expect(stderr.split("\n").slice(0, 2)).toEqual(['error: stage "check_hydra_configs" has no executor; nothing was run', " --> cfg/pipeline/pipe_sim.yaml:1:1"]);
  });

  it("config --check lists each value that cannot resolve as a warning; config shows the notes", async () => {
    const { code, stdout, stderr } = await cli(project.dir, ["config", "--check", ...NAME], ENV);
    expect(code).toBe(0);
    expect(stdout).toBe("1 value cannot be resolved; nothing cmbflow needs reads it\n");
    expect(stderr).toContain(
      [
        'warning: interpolation "${model.analysis.label}" refers to a missing key "model.analysis.label"',
        "  --> cfg/config_sim.yaml:18:19",
        "   |",
        "18 | comparison_label: ${model.analysis.label}",
        "   |                   ^^^^^^^^^^^^^^^^^^^^^^^",
        '   = note: keys in "model": sim',
        "   = note: unresolved: comparison_label (an executor reading it fails)",
      ].join("\n"),
    );
    expect(stderr).toContain("note: the hydra: block is kept in the configuration but cmbflow does not use it\n  --> cfg/config_sim.yaml:20:1");
    expect(stderr).toContain("note: defaults entries for Hydra's own config groups are skipped: hydra/job_logging\n  --> cfg/config_sim.yaml:11:5");
  });
});
