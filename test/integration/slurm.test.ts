/**
 * The Slurm backend on a real slurmctld/slurmd (scripts/slurm-local.sh start; CI starts it):
 * the default pipeline byte-equal to a threads run, a cancelled array index re-running only
 * its nodes, a coordinator killed with SIGKILL re-attaching when started again, and Ctrl-C.
 * Skipped, saying why, where no Slurm cluster answers.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { slurmAvailable } from "../../src/backends/slurm/slurm-commands.js";
import type { Project } from "./project.js";
import { makeProject, outputs, REPO, totals } from "./project.js";

const cluster = await slurmAvailable();
const skipWhy = cluster.ok ? "" : ` (skipped: ${cluster.why}; start one with scripts/slurm-local.sh start)`;

/** Fast polling: the test cluster answers at once, and the tests wait on it. */
const POLL = ["+slurm.poll_min_ms=100", "+slurm.poll_max_ms=500", "+slurm.fs_lag_seconds=2"];

const FILES: Record<string, string> = {
  "cfg/config.yaml": `defaults:
  - pipeline: jobs
  - _self_
dataset_name: jobs
seed: 5
slurm:
  batch_size: 2
  throttle: 1
splits:
  name: six
  Train:
    n_sims: 6
`,
  "cfg/pipeline/jobs.yaml": `slow:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  dir_name: A_Slow
  executor: stages/slow.ts#Slow
  sleep_ms: 1500
  resources: {cpus: 1, mem: 500M, time: "00:10:00"}
after:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/after.txt"}
  assets_in:
    out: {stage: slow}
  dir_name: B_After
  executor: stages/slow.ts#After
`,
  "stages/slow.ts": `import { setTimeout as sleep } from "node:timers/promises";
import { BaseStageExecutor, type Cfg, type NodeContext } from "cmbflow";

export class Slow extends BaseStageExecutor {
  readonly #sleep: number;
  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#sleep = cfg.number(\`pipeline.\${stage}.sleep_ms\`);
  }
  async processSim(ctx: NodeContext): Promise<void> {
    await sleep(this.#sleep);
    await ctx.output<string>("out").write(\`sim \${String(ctx.partition.sim)} seed \${String(ctx.seed)}\\n\`);
  }
}

export class After extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("out").write((await ctx.input<string>("out").read()).toUpperCase());
  }
}
`,
};


/** Two per-simulation stages with the same resources; `first` fails where a `fail-simNNNN` file is in the project. */
const CHAIN_FILES: Record<string, string> = {
  "cfg/config.yaml": `defaults:
  - pipeline: chain
  - _self_
dataset_name: chain
slurm:
  batch_size: 2
splits:
  name: four
  Train:
    n_sims: 4
`,
  "cfg/pipeline/chain.yaml": `first:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  dir_name: First
  executor: stages/chain.ts#First
  sleep_ms: 0
second:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  assets_in:
    out: {stage: first}
  dir_name: Second
  executor: stages/chain.ts#Second
`,
  "stages/chain.ts": `import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { BaseStageExecutor, type Cfg, type NodeContext } from "cmbflow";

export class First extends BaseStageExecutor {
  readonly #sleep: number;
  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#sleep = cfg.number(\`pipeline.\${stage}.sleep_ms\`);
  }
  async processSim(ctx: NodeContext): Promise<void> {
    await sleep(this.#sleep);
    if (existsSync("fail-sim" + String(ctx.partition.sim).padStart(4, "0"))) throw new Error("told to fail");
    await ctx.output<string>("out").write(\`first \${String(ctx.partition.sim)}\\n\`);
  }
}

export class Second extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("out").write((await ctx.input<string>("out").read()).toUpperCase());
  }
}
`,
};

/** The CLI started in the background. */
function start(dir: string, args: readonly string[]): { done: Promise<{ code: number | null; stderr: string; stdout: string }>; kill: (signal: NodeJS.Signals) => void; stderr: () => string } {
  const child = spawn(process.execPath, [join(REPO, "bin", "cmbflow.js"), "run", ...args], {
    cwd: dir,
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", NO_COLOR: "1" },
  });
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const done = new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => child.on("close", (code) => resolve({ code, stderr, stdout })));
  return { done, kill: (signal) => child.kill(signal), stderr: () => stderr };
}

async function until(what: () => boolean, ms = 90_000): Promise<void> {
  const t0 = Date.now();
  while (!what()) {
    if (Date.now() - t0 > ms) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Array tasks of the jobs named `name` in the queue, as JOB_INDEX → state. */
function queue(name: string): Map<string, string> {
  const text = execFileSync("squeue", ["-h", "-r", `--name=${name}`, "-o", "%F_%K|%T"], { encoding: "utf8" });
  return new Map(text.split("\n").filter((l) => l.includes("|")).map((l) => l.split("|") as [string, string]));
}

/** The run id a run printed (not with --json). */
function runIdOf(stderr: string): string | undefined {
  return /^run (\S+): log in/m.exec(stderr)?.[1];
}

/** The runs that have a Slurm folder in the project's cache (with --json the run id is not printed). */
function slurmRuns(projectDir: string): string[] {
  const dir = join(projectDir, "cache", "slurm");
  return existsSync(dir) ? readdirSync(dir).filter((d) => d !== "journal") : [];
}

/** Units the run's array tasks say they finished so far (a worker logs each unit as it writes its result). */
function unitsDone(projectDir: string, runId: string): number {
  const dir = join(projectDir, "cache", "slurm", runId);
  if (!existsSync(dir)) return 0;
  let done = 0;
  for (const sub of readdirSync(dir)) {
    const logs = join(dir, sub, "logs");
    if (!existsSync(logs)) continue;
    for (const log of readdirSync(logs)) done += (readFileSync(join(logs, log), "utf8").match(/: done$/gm) ?? []).length;
  }
  return done;
}

/** Slurm result files anywhere under the project's data folder. */
function resultFilesInData(projectDir: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(d, entry.name));
      else if (entry.name.startsWith(".cmbflow-result-")) found.push(join(d, entry.name));
    }
  };
  walk(join(projectDir, "data"));
  return found;
}

describe.skipIf(!cluster.ok)(`the Slurm backend on a real cluster${skipWhy}`, () => {
  it("runs the default pipeline through Slurm with every output byte-equal to a threads run, and status and provenance read it", () => {
    const slurm = makeProject({}, { defaultCfg: true });
    const threads = makeProject({}, { defaultCfg: true });
    try {
      const a = slurm.run(["run", "--backend", "slurm", ...POLL], {}, 300_000);
      expect(a.code, a.stderr).toBe(0);
      expect(a.stderr).toContain("note: sacct has no record of the run's jobs");
      const b = threads.run(["run", ...POLL]);
      expect(b.code, b.stderr).toBe(0);
      const datasets = readdirSync(join(slurm.dir, "data"));
      expect(datasets).toHaveLength(1);
      const dataset = datasets[0] ?? "";
      const fromSlurm = outputs(slurm.dir, dataset);
      expect(Object.keys(fromSlurm).filter((p) => p.endsWith(".fits")).length).toBeGreaterThan(10);
      expect(fromSlurm).toEqual(outputs(threads.dir, dataset));
      const status = slurm.run(["status"]);
      expect(status.code, status.stdout).toBe(0);
    } finally {
      slurm.cleanup();
      threads.cleanup();
    }
  }, 400_000);

  it("runs a simulation's chain of stages in one array task, handed ahead; a node whose upstream failed there is never run nor recorded, and runs once that upstream does", () => {
    const project = makeProject(CHAIN_FILES);
    try {
      project.write("fail-sim0001", "");
      const first = project.run(["run", "--backend", "slurm", "--keep-going", "--json", ...POLL], {}, 200_000);
      expect(first.code, first.stderr).toBe(1);
      expect(totals(first.stdout)).toMatchObject({ ran: 6, failed: 1, skipped: 1 });
      // One submission for both stages: the second stage's nodes went with their upstream.
      const runs = slurmRuns(project.dir);
      expect(runs).toHaveLength(1);
      const subs = readdirSync(join(project.dir, "cache", "slurm", runs[0] ?? ""));
      expect(subs).toEqual(["0001-first+second"]);
      const logs = join(project.dir, "cache", "slurm", runs[0] ?? "", "0001-first+second", "logs");
      const logText = readdirSync(logs).map((l) => readFileSync(join(logs, l), "utf8")).join("");
      expect(logText).toContain("second[split=Train,sim=1] (node): not run: first[split=Train,sim=1] before it did not succeed (or its result is gone)");
      expect(existsSync(join(project.dir, "data", "chain", "Second", "Train", "sim0001", "out.txt"))).toBe(false);
      expect(resultFilesInData(project.dir)).toEqual([]);
      // The cause gone, the next run runs exactly the failed node and the one it blocked.
      rmSync(join(project.dir, "fail-sim0001"));
      const second = project.run(["run", "--backend", "slurm", "--json", ...POLL], {}, 200_000);
      expect(second.code, second.stderr).toBe(0);
      expect(totals(second.stdout)).toMatchObject({ ran: 2, fresh: 6, failed: 0 });
      expect(readFileSync(join(project.dir, "data", "chain", "Second", "Train", "sim0001", "out.txt"), "utf8")).toBe("FIRST 1\n");
      expect(project.run(["status"]).code).toBe(0);
    } finally {
      project.cleanup();
    }
  }, 240_000);

  it("a coordinator killed while its chains run, started again, re-attaches to both stages' units and records them, reading what they read", async () => {
    const project = makeProject(CHAIN_FILES);
    try {
      const args = ["--backend", "slurm", "--json", "pipeline.first.sleep_ms=1500", ...POLL];
      const first = start(project.dir, args);
      await until(() => slurmRuns(project.dir).length > 0);
      const firstId = slurmRuns(project.dir)[0] ?? "";
      await until(() => [...queue(firstId).values()].includes("RUNNING"));
      first.kill("SIGKILL");
      await first.done;
      const job = [...queue(firstId).keys()][0]?.split("_")[0] ?? "";
      expect(job).not.toBe("");
      const second = project.run(["run", ...args], {}, 200_000);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toContain(`note: re-attached to Slurm job ${job} of run ${firstId} (its coordinator stopped): its units are not submitted again`);
      // Nothing submitted again: the second stage's units were in the first coordinator's tasks.
      expect(slurmRuns(project.dir).filter((r) => r !== firstId)).toEqual([]);
      expect(totals(second.stdout)).toMatchObject({ ran: 8, fresh: 0, failed: 0 });
      for (const sim of [0, 1, 2, 3]) expect(readFileSync(join(project.dir, "data", "chain", "Second", "Train", `sim000${String(sim)}`, "out.txt"), "utf8")).toBe(`FIRST ${String(sim)}\n`);
      expect(project.run(["status", "pipeline.first.sleep_ms=1500"]).code).toBe(0);
      expect(resultFilesInData(project.dir)).toEqual([]);
    } finally {
      project.cleanup();
    }
  }, 240_000);

  describe("with a slow stage: 6 nodes, 2 per array task, one task at a time", () => {
    let project: Project;
    beforeAll(() => {
      project = makeProject(FILES);
    });
    afterAll(() => project.cleanup());

    it("scancel of one array index fails only its nodes, with Slurm's reason and log; the next run re-runs only them", async () => {
      const before = slurmRuns(project.dir);
      const run = start(project.dir, ["--backend", "slurm", "--keep-going", "--json", ...POLL]);
      await until(() => slurmRuns(project.dir).length > before.length);
      const runId = slurmRuns(project.dir).find((r) => !before.includes(r)) ?? "";
      await until(() => queue(runId).size > 0);
      const job = [...queue(runId).keys()][0]?.split("_")[0] ?? "";
      // Index 1 waits behind the throttle: cancelling it is a task that never ran.
      execFileSync("scancel", [`${job}_1`]);
      const { code, stdout, stderr } = await run.done;
      expect(code, stderr).toBe(1);
      expect(totals(stdout)).toMatchObject({ ran: 8, failed: 2, skipped: 2 });
      // Cancelled while pending: without accounting Slurm keeps no record of it, and says so by its absence.
      expect(stderr).toMatch(new RegExp(`Slurm job ${job}_1 left the queue before it ran, and Slurm kept no record of why \\(cancelled while pending\\?\\); log: ${join(project.dir, "cache", "slurm", runId).replaceAll("/", "\\/")}\\/0001-slow\\/logs\\/${job}_1\\.log`));
      const next = project.run(["run", "--backend", "slurm", "--json", ...POLL]);
      expect(next.code, next.stderr).toBe(0);
      expect(totals(next.stdout)).toMatchObject({ ran: 4, fresh: 8 });
      // Each node's result file, next to its outputs, went once the node was recorded.
      expect(resultFilesInData(project.dir)).toEqual([]);
      // Provenance names the Slurm job and array index that wrote a file.
      const provenance = project.run(["provenance", "data/jobs/A_Slow/Train/sim0002/out.txt"]);
      expect(provenance.code, provenance.stderr).toBe(0);
      expect(provenance.stdout).toMatch(/^ {2}ran on {6}slurm job \d+_\d+ on \S+$/m);
    }, 240_000);

    it("a coordinator killed with SIGKILL and started again re-attaches to its running job instead of submitting it twice", async () => {
      // Every node recorded first, whatever the test before left: run after a failed scancel test
      // (after[2], after[3] never ran) this test used to count 8 nodes, alone 12.
      const settled = project.run(["run", "--backend", "slurm", "--json", ...POLL], {}, 200_000);
      expect(settled.code, settled.stderr).toBe(0);
      // A parameter change makes every slow node stale; both coordinators run the same configuration.
      const args = ["--backend", "slurm", "--json", "pipeline.slow.sleep_ms=1600", ...POLL];
      const before = slurmRuns(project.dir);
      const first = start(project.dir, args);
      await until(() => slurmRuns(project.dir).length > before.length);
      const firstId = slurmRuns(project.dir).find((r) => !before.includes(r)) ?? "";
      await until(() => [...queue(firstId).values()].includes("RUNNING"));
      first.kill("SIGKILL");
      await first.done;
      const job = [...queue(firstId).keys()][0]?.split("_")[0] ?? "";
      expect(job).not.toBe("");
      const known = slurmRuns(project.dir);
      const second = project.run(["run", ...args], {}, 200_000);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toContain(`note: re-attached to Slurm job ${job} of run ${firstId} (its coordinator stopped): its units are not submitted again`);
      // The slow stage was submitted once, by the first coordinator.
      const secondId = slurmRuns(project.dir).find((r) => !known.includes(r));
      expect(secondId === undefined ? [] : readdirSync(join(project.dir, "cache", "slurm", secondId)).filter((d) => d.endsWith("-slow"))).toEqual([]);
      // Exactly the 6 slow nodes the parameter made stale, each once, whether the first
      // coordinator's job or this one ran it; the after nodes read byte-identical outputs, so
      // early cutoff keeps them fresh.
      expect(totals(second.stdout)).toMatchObject({ ran: 6, fresh: 6, failed: 0 });
      expect((JSON.parse(second.stdout) as { stages: { name: string; ran: number; fresh: number }[] }).stages.map((s) => [s.name, s.ran, s.fresh])).toEqual([
        ["slow", 6, 0],
        ["after", 0, 6],
      ]);
      expect(project.run(["status", "pipeline.slow.sleep_ms=1600"]).code).toBe(0);
      // A run that ended normally leaves no journal to re-attach to, and no result file beside the outputs.
      expect(readdirSync(join(project.dir, "cache", "slurm", "journal"))).toEqual([]);
      expect(resultFilesInData(project.dir)).toEqual([]);
    }, 240_000);

    it("Ctrl-C cancels the run's jobs with scancel and records the nodes that finished", async () => {
      const run = start(project.dir, ["--backend", "slurm", "--grace", "1", "pipeline.slow.sleep_ms=1700", ...POLL]);
      await until(() => runIdOf(run.stderr()) !== undefined);
      const runId = runIdOf(run.stderr()) ?? "";
      await until(() => unitsDone(project.dir, runId) >= 1);
      run.kill("SIGINT");
      const { code, stderr } = await run.done;
      expect(code, stderr).toBe(130);
      expect(stderr).toMatch(/interrupted: [1-9]\d* ran/);
      // Nothing of the run is left in the queue.
      await until(() => queue(runId).size === 0, 20_000);
      const ran = Number(/^\s+slow\s+(\d+) ran/m.exec(stderr)?.[1]);
      expect(ran).toBeGreaterThanOrEqual(1);
      const dry = project.run(["run", "--dry-run", "--json", "pipeline.slow.sleep_ms=1700"]);
      const plan = JSON.parse(dry.stdout) as { stages: { name: string; run: number; fresh: number }[] };
      expect(plan.stages.find((s) => s.name === "slow")).toMatchObject({ fresh: ran, run: 6 - ran });
    }, 240_000);
  });
});
