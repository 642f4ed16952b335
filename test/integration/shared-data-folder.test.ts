/**
 * Two copies of a project, each with its own cache/, one data folder (CMBFLOW_DATA): the
 * cache lock covers only cache/, so the dataset folder a run writes to has a lock of its
 * own. A second run on the same dataset is refused, naming the first run's process and
 * project, and writes nothing.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject, REPO } from "./project.js";

const FILES: Record<string, string> = {
  "cfg/config.yaml": `defaults:
  - pipeline: wait
  - _self_
dataset_name: shared
seed: 5
splits:
  name: two
  Train:
    n_sims: 2
`,
  "cfg/pipeline/wait.yaml": `wait:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  dir_name: A_Wait
  executor: stages/wait.ts#Wait
  signal_dir: ""
`,
  "stages/wait.ts": `import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { BaseStageExecutor, type Cfg, type NodeContext } from "cmbflow";

/** With a signal folder: says it started (a file "started"), then waits for a file "go" there. */
export class Wait extends BaseStageExecutor {
  readonly #signals: string;
  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#signals = cfg.string(\`pipeline.\${stage}.signal_dir\`);
  }
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("out").write(\`seed \${String(ctx.seed)}\\n\`);
    if (this.#signals === "") return;
    writeFileSync(join(this.#signals, "started"), "");
    while (!existsSync(join(this.#signals, "go"))) await sleep(20);
  }
}
`,
};

async function until(what: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!what()) {
    if (Date.now() - t0 > ms) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("two projects with one data folder", () => {
  let first: Project;
  let second: Project;
  let data: string;
  beforeAll(() => {
    first = makeProject(FILES);
    second = makeProject(FILES);
    data = mkdtempSync(join(tmpdir(), "cmbflow-shared-data-"));
  });
  afterAll(() => {
    first.cleanup();
    second.cleanup();
    rmSync(data, { recursive: true, force: true });
  });

  it("refuses the second run while the first writes the dataset, naming the first run's process and project", async () => {
    const signals = mkdtempSync(join(tmpdir(), "cmbflow-signals-"));
    const lock = join(data, "shared", ".cmbflow-lock");
    const env = { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", NO_COLOR: "1", CMBFLOW_DATA: data };
    const child = spawn(process.execPath, [join(REPO, "bin", "cmbflow.js"), "run", `pipeline.wait.signal_dir=${signals}`, "-j", "1"], { cwd: first.dir, env });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const done = new Promise<number | null>((resolve) => child.on("close", resolve));
    try {
      // The first run holds the data folder's lock while its first node waits.
      await until(() => existsSync(join(signals, "started")));
      const held = JSON.parse(readFileSync(lock, "utf8")) as { pid: number; start: string };
      expect(held.pid).toBe(child.pid);
      const refused = second.run(["run", "seed=1"], { CMBFLOW_DATA: data });
      expect(refused.stderr).toBe(
        `error: The data folder ${join(data, "shared")} is locked by another cmbflow run: pid ${String(child.pid)} on host ${hostname()}, project ${first.dir}, started ${held.start} (lock file ${lock}). Wait for it to finish; if no such run is active, delete the lock file.\n`,
      );
      expect(refused.code).toBe(1);
      // The refused run wrote nothing: no record in its cache, its own cache lock released.
      expect(existsSync(join(second.dir, "cache", "state", "nodes.jsonl"))).toBe(false);
      expect(existsSync(join(second.dir, "cache", "lock"))).toBe(false);
    } finally {
      writeFileSync(join(signals, "go"), "");
    }
    expect(await done, stderr).toBe(0);
    expect(existsSync(lock)).toBe(false);
    rmSync(signals, { recursive: true, force: true });
    // Once the first run is done the second runs over the same folder, and both projects then
    // see exactly their own records: the second's outputs (seed 1) are stale for the first.
    expect(second.run(["run", "seed=1"], { CMBFLOW_DATA: data }).code).toBe(0);
    expect(second.run(["status", "seed=1"], { CMBFLOW_DATA: data }).code).toBe(0);
    const status = first.run(["status", `pipeline.wait.signal_dir=${signals}`], { CMBFLOW_DATA: data });
    expect(status.stdout).toContain("output modified outside cmbflow: 2");
    expect(status.code).toBe(1);
  }, 120_000);
});
