/**
 * Issue #11 §5: an executor whose constructor throws, or calls process.exit, is reported with
 * its stage and module, nothing runs, and the cache lock is released.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject } from "./project.js";

const FILES: Record<string, string> = {
  "cfg/config.yaml": "defaults:\n  - pipeline: p\n  - _self_\ndataset_name: d\nsplits:\n  name: one\n  Train:\n    n_sims: 1\n",
  "cfg/pipeline/p.yaml": `a:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  dir_name: A
  executor: stages/a.ts#A
  mode: throw
`,
  "stages/a.ts": `import { BaseStageExecutor, type Cfg, type NodeContext } from "cmbflow";
export class A extends BaseStageExecutor {
  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    if (cfg.string(\`pipeline.\${stage}.mode\`) === "exit") process.exit(3);
    throw new Error("the detector table is not configured");
  }
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("out").write("x");
  }
}
`,
};

describe("an executor constructor that fails", () => {
  let project: Project;
  beforeAll(() => {
    project = makeProject(FILES);
  });
  afterAll(() => project.cleanup());

  it("throws: names the stage and the executor's module", () => {
    const result = project.run(["run", "-q"]);
    expect(result.stderr).toBe(
      `error: stage "a": executor module ${project.dir}/stages/a.ts failed in its constructor: the detector table is not configured\n1 problem found before running; nothing was run\n`,
    );
    expect(result.code).toBe(2);
    expect(existsSync(join(project.dir, "cache", "lock"))).toBe(false);
  });

  it("calls process.exit: reported the same way, and the lock is released", () => {
    const result = project.run(["run", "-q", "pipeline.a.mode=exit"]);
    expect(result.stderr).toBe(
      `error: stage "a": executor module ${project.dir}/stages/a.ts called process.exit(3) in its constructor; a stage must throw an Error instead of ending the process\n1 problem found before running; nothing was run\n`,
    );
    expect(result.code).toBe(2);
    expect(existsSync(join(project.dir, "cache", "lock"))).toBe(false);
  });
});
