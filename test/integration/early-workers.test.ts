/**
 * A run with forced nodes starts its worker threads before it prepares the executors, so that
 * their start-up overlaps the main thread's work; other runs start them only once a node turns
 * out stale. Each of those threads also loads the executor of the stage that runs first. Shown
 * with a plugin, which a worker loads as it starts, and an executor module that, on the main
 * thread (which imports it while preparing the executors), waits for a worker to load it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject } from "./project.js";

const FILES: Record<string, string> = {
  "cfg/config.yaml": `defaults:
  - pipeline: early
  - _self_
dataset_name: early
seed: 1
plugins:
  - plugins/mark.ts
splits:
  name: one
  Train:
    n_sims: 2
`,
  "cfg/pipeline/early.yaml": `touch:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  dir_name: Touch
  executor: stages/touch.ts#Touch
`,
  // A worker thread loading the project's plugins leaves a mark.
  "plugins/mark.ts": `import { isMainThread } from "node:worker_threads";
import { writeFileSync } from "node:fs";
if (!isMainThread) writeFileSync("worker-started", "");
`,
  // On the main thread (which imports it while preparing the executors) the module waits, without
  // blocking, up to $MARK_WAIT_MS (default 20 s) for a worker's mark and says whether it came.
  "stages/touch.ts": `import { existsSync, appendFileSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { isMainThread } from "node:worker_threads";
import { BaseStageExecutor, type NodeContext } from "cmbflow";

if (isMainThread) {
  const t0 = Date.now();
  const limit = Number(process.env["MARK_WAIT_MS"] ?? "20000");
  while (!existsSync("worker-loaded-executor") && Date.now() - t0 < limit) await sleep(50);
  appendFileSync("prepared.log", existsSync("worker-started") ? "a worker had started\\n" : "no worker had started\\n");
  appendFileSync("prepared.log", existsSync("worker-loaded-executor") ? "a worker had loaded the executor\\n" : "no worker had loaded the executor\\n");
} else {
  writeFileSync("worker-loaded-executor", "");
}

export class Touch extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("out").write(\`\${ctx.nodeId}\\n\`);
  }
}
`,
};

describe("worker threads of a run with forced nodes", () => {
  let project: Project;
  beforeEach(() => {
    project = makeProject(FILES);
  });
  afterEach(() => project.cleanup());

  it("start, and load the executor of the stage that runs first, while the main thread prepares the executors", () => {
    const run = project.run(["run", "--force-all", "-j", "2"]);
    expect(run.stderr).not.toMatch(/error/);
    expect(run.code).toBe(0);
    expect(readFileSync(join(project.dir, "prepared.log"), "utf8")).toBe("a worker had started\na worker had loaded the executor\n");
  });

  it("do not start before a node is judged stale in a run without forced nodes", () => {
    // Two seconds are plenty for a worker to start; none is asked to until the nodes are judged.
    const run = project.run(["run", "-j", "2"], { MARK_WAIT_MS: "2000" });
    expect(run.code).toBe(0);
    expect(readFileSync(join(project.dir, "prepared.log"), "utf8")).toBe("no worker had started\nno worker had loaded the executor\n");
  });

  it("report an executor that fails as a worker loads it early with the stage's first node, as a late load does", () => {
    project.write(
      "stages/touch.ts",
      `import { isMainThread } from "node:worker_threads";
import { BaseStageExecutor, type Cfg, type NodeContext } from "cmbflow";
export class Touch extends BaseStageExecutor {
  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    if (!isMainThread) throw new Error("no spectrum in this thread");
  }
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("out").write("x\\n");
  }
}
`,
    );
    const errors = [["run", "--force-all", "-j", "1"], ["run", "-j", "1"]].map((args) => {
      const run = project.run(args);
      expect(run.code).toBe(1);
      return run.stderr.split("\n").filter((line) => line.startsWith("error:"));
    });
    expect(errors[0]).toEqual([
      `error: stage "touch" failed at node touch[split=Train,sim=0]: stage "touch": executor module ${join(project.dir, "stages", "touch.ts")} failed in its constructor: no spectrum in this thread`,
    ]);
    expect(errors[1]).toEqual(errors[0]);
  });
});
