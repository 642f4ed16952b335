/**
 * Issue #13 §1–2 end to end: a pipeline whose YAML names no executors runs once an executors:
 * group binds them; a null stage body runs as a stage with no assets; an input read without
 * per-sim context takes its path_template_alt; an executor reading a value left unresolved
 * fails at the `${...}` at fault.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject } from "./project.js";

const FILES: Record<string, string> = {
  "cfg/config.yaml": [
    "defaults:",
    "  - pipeline: p",
    "  - optional executors: ${oc.env:BIND,none}",
    "  - override hydra/job_logging: custom",
    "  - _self_",
    "dataset_name: d",
    "label: ${model.label}",
    "splits:",
    "  name: one",
    "  Train:",
    "    n_sims: 2",
    "hydra:",
    "  run: {dir: 'Logs/${now:%Y-%m-%d-%H-%M-%S}'}",
    "",
  ].join("\n"),
  "cfg/pipeline/p.yaml": `check_hydra_configs:

make_cfg:
  assets_out:
    cfg_file:
      handler: PlainText
      path_template: "{root}/{dataset}/{stage}/{split}/{sim}/c.txt"
      path_template_alt: "{root}/{dataset}/{stage}/{split}/all.txt"
  dir_name: Configs

summarise:
  assets_out:
    summary: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/summary.txt"}
  assets_in:
    cfg_file: {stage: make_cfg}
  dir_name: Summary
`,
  "cfg/executors/good.yaml": "check_hydra_configs: stages/s.ts#Check\nmake_cfg: stages/s.ts#MakeCfg\nsummarise: stages/s.ts#Summarise\n",
  "cfg/executors/reads_label.yaml": "check_hydra_configs: stages/s.ts#Check\nmake_cfg: stages/s.ts#ReadsLabel\nsummarise: stages/s.ts#Summarise\n",
  "cfg/executors/partial.yaml": "make_cfg: stages/s.ts#MakeCfg\n",
  "cfg/executors/reads_label_late.yaml": "check_hydra_configs: stages/s.ts#Check\nmake_cfg: stages/s.ts#ReadsLabelLate\nsummarise: stages/s.ts#Summarise\n",
  "stages/s.ts": `import { BaseStageExecutor, type Cfg, type NodeContext } from "cmbflow";
export class Check extends BaseStageExecutor {
  async execute(): Promise<void> {}
}
export class MakeCfg extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("cfg_file").write(ctx.nodeId);
  }
}
export class ReadsLabel extends MakeCfg {
  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    cfg.get("label");
  }
}
export class ReadsLabelLate extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("cfg_file").write(String(this.cfg.get("label")));
  }
}
export class Summarise extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    // Formed in this node's context, which has a split but no sim: the alternative template.
    await ctx.output<string>("summary").write(ctx.input("cfg_file").path);
  }
}
`,
};

describe("executors bound by an executors: group", () => {
  let project: Project;
  beforeAll(() => {
    project = makeProject(FILES);
  });
  afterAll(() => project.cleanup());

  it("run refuses the pipeline while nothing binds its stages", () => {
    const result = project.run(["run", "-q"]);
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n")[0]).toBe("error: 3 stages have no executor: check_hydra_configs, make_cfg, summarise; nothing was run");
  });

  it("runs every stage once bound, the null stage included, with path_template_alt where a node has no sim", () => {
    const result = project.run(["run", "-q"], { BIND: "good" });
    expect(result.stderr).toMatch(/^done: 4 ran in /);
    expect(result.code).toBe(0);
    expect(readFileSync(join(project.dir, "data/d/Configs/Train/sim0001/c.txt"), "utf8")).toBe("make_cfg[split=Train,sim=1]");
    expect(readFileSync(join(project.dir, "data/d/Summary/Train/summary.txt"), "utf8")).toBe(join(project.dir, "data/d/Configs/Train/all.txt"));
    const status = project.run(["status"], { BIND: "good" });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("all 4 nodes are fresh");
  });

  it("runs the selected stages that are bound while others are not", () => {
    const result = project.run(["run", "-q", "--only", "make_cfg"], { BIND: "partial" });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^done: /);
    const refused = project.run(["run", "-q", "--until", "summarise"], { BIND: "partial" });
    expect(refused.stderr.split("\n")[0]).toBe('error: stage "summarise" has no executor; nothing was run');
  });

  it("fails, at the interpolation, when an executor reads a value left unresolved", () => {
    const result = project.run(["run", "-q"], { BIND: "reads_label" });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'error: stage "make_cfg": config key "label" cannot be resolved: interpolation "${model.label}" refers to a missing key "model.label" (cfg/config.yaml:7:8)\n1 problem found before running; nothing was run\n',
    );
  });

  it("fails the node when its executor reads such a value while it works, in a worker thread too", () => {
    const result = project.run(["run", "-q", "-j", "2", "--keep-going"], { BIND: "reads_label_late" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('config key "label" cannot be resolved: interpolation "${model.label}" refers to a missing key "model.label"');
  });
});
