/**
 * Things that are not regular files where cmbflow expects one — a FIFO at an output path —
 * are damage, found without ever blocking: opening a FIFO to read it waits for a writer for
 * ever, and once hung a run (which then ignored SIGTERM), status, verify, explain and provenance.
 */
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject } from "./project.js";

export const TWO_STAGES: Record<string, string> = {
  "cfg/config.yaml": `defaults:
  - pipeline: p
  - _self_
dataset_name: d
splits:
  name: two
  Train:
    n_sims: 2
`,
  "cfg/pipeline/p.yaml": `gen:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  dir_name: A_Gen
  executor: stages/gen.ts#Gen
twice:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  assets_in:
    out: {stage: gen}
  dir_name: B_Twice
  executor: stages/twice.ts#Twice
`,
  "stages/gen.ts": `import { BaseStageExecutor, type NodeContext } from "cmbflow";

export class Gen extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("out").write(\`\${String(ctx.partition.sim)}\\n\`);
  }
}
`,
  "stages/twice.ts": `import { BaseStageExecutor, type NodeContext } from "cmbflow";

export class Twice extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    const n = Number((await ctx.input<string>("out").read()).trim());
    await ctx.output<string>("out").write(\`\${String(2 * n)}\\n\`);
  }
}
`,
};

/** Each command must answer well within this (a hang is killed and fails the test). */
const PROMPT_MS = 20_000;

describe("a FIFO put at an output path", () => {
  let project: Project;
  let fifo: string;
  beforeAll(() => {
    project = makeProject(TWO_STAGES);
    expect(project.run(["run"]).code).toBe(0);
    fifo = join(project.dir, "data", "d", "A_Gen", "Train", "sim0000", "out.txt");
    rmSync(fifo);
    execFileSync("mkfifo", [fifo]);
  });
  afterAll(() => project.cleanup());

  it("is an output modified outside cmbflow to status, at once", () => {
    const status = project.run(["status"], {}, PROMPT_MS);
    expect(status.stdout).toMatch(/^gen +1 fresh +1 run +0 restore +0 may run {2}— output modified outside cmbflow: 1$/m);
    expect(status.code).toBe(1);
  });

  it("is named by explain, provenance and cache verify, without blocking", () => {
    const explain = project.run(["explain", "gen[split=Train,sim=0]"], {}, PROMPT_MS);
    expect(explain.code, explain.stderr).not.toBe(-1);
    expect(explain.stdout).toContain("output modified outside cmbflow");
    const provenance = project.run(["provenance", fifo], {}, PROMPT_MS);
    expect(provenance.code, provenance.stderr).not.toBe(-1);
    const verify = project.run(["cache", "verify"], {}, PROMPT_MS);
    expect(verify.code).toBe(1);
    expect(verify.stdout + verify.stderr).toContain(join("data", "d", "A_Gen", "Train", "sim0000", "out.txt"));
  });

  it("is replaced by a file when the node runs again, and everything is fresh after", () => {
    const run = project.run(["run", "--json"], {}, PROMPT_MS);
    expect(run.code, run.stderr).toBe(0);
    expect(lstatSync(fifo).isFile()).toBe(true);
    expect(project.run(["status"], {}, PROMPT_MS).code).toBe(0);
    expect(existsSync(fifo)).toBe(true);
  });
});

describe("a crafted record naming outputs in a folder no run wrote in", () => {
  let project: Project;
  let outside: string;
  beforeAll(() => {
    project = makeProject(TWO_STAGES);
    expect(project.run(["run"]).code).toBe(0);
    outside = mkdtempSync(join(tmpdir(), "cmbflow-outside-"));
  });
  afterAll(() => {
    project.cleanup();
    rmSync(outside, { recursive: true, force: true });
  });

  it("cache gc leaves the files there alone, even ones named like a killed run's temporaries", () => {
    // What a run killed by SIGKILL leaves beside an output: a temporary of a process now gone.
    const deadPid = 2 ** 22 + 12345;
    const temp = join(outside, `.victim.txt.cmbflow-${String(deadPid)}-1-1.tmp`);
    writeFileSync(temp, "not cmbflow's");
    writeFileSync(join(outside, "victim.txt"), "x");
    const nodesFile = join(project.dir, "cache", "state", "nodes.jsonl");
    const lines = readFileSync(nodesFile, "utf8").split("\n");
    const target = "data/d/A_Gen/Train/sim0001/out.txt";
    const crafted = lines.map((line) => line.replace(`"path":"${target}"`, `"path":${JSON.stringify(join(outside, "victim.txt"))}`));
    expect(crafted).not.toEqual(lines);
    writeFileSync(nodesFile, crafted.join("\n"));
    const gc = project.run(["cache", "gc"], {}, PROMPT_MS);
    expect(gc.code, gc.stderr).toBe(0);
    expect(existsSync(temp)).toBe(true);
    // The project's own data folder is still tidied: a dead run's temporary beside a recorded output goes.
    const own = join(project.dir, "data", "d", "A_Gen", "Train", "sim0000", `.out.txt.cmbflow-${String(deadPid)}-1-1.tmp`);
    writeFileSync(own, "half");
    expect(project.run(["cache", "gc"], {}, PROMPT_MS).code).toBe(0);
    expect(existsSync(own)).toBe(false);
  });
});
