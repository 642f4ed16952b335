/**
 * The Slurm runner against a fake cluster that the test controls: packing into array tasks,
 * result files read back, Slurm's reasons for lost tasks, UNKNOWN never taken as success,
 * retries, hold-back, and re-attaching to an earlier coordinator's job. The real cluster is
 * exercised by test/integration/slurm.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { SlurmManifest } from "../../src/backends/slurm/manifest.js";
import { readManifest, readUnitResult, resultFile, writeUnitResult } from "../../src/backends/slurm/manifest.js";
import { arraySpec, sbatchScript } from "../../src/backends/slurm/sbatch-script.js";
import type { SlurmResources } from "../../src/backends/slurm/settings.js";
import { mergeResources, parseResources, slurmSettings } from "../../src/backends/slurm/settings.js";
import type { SlurmCommands, SlurmTool, ToolOutput } from "../../src/backends/slurm/slurm-commands.js";
import type { SlurmRunnerOptions } from "../../src/backends/slurm/slurm-runner.js";
import { parseSacct, parseScontrol, parseSinfoCpus, parseSqueue, SlurmRunner } from "../../src/backends/slurm/slurm-runner.js";
import type { AheadTask, WorkResult, WorkTask } from "../../src/scheduler/node-runner.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface FakeJob {
  readonly id: string;
  readonly manifest: SlurmManifest;
  /** Per index: its state as squeue / scontrol report it. */
  readonly states: Map<number, { state: string; reason: string }>;
}

/**
 * A cluster in memory: sbatch reads the manifest and keeps the job; the test says what each
 * task does (`finish` writes its result files and marks it COMPLETED, `end` sets a state
 * without results). squeue shows tasks not ended; scontrol all that `forget` has not purged.
 */
class FakeCluster implements SlurmCommands {
  readonly calls: Record<SlurmTool, number> = { sbatch: 0, squeue: 0, sacct: 0, scontrol: 0, scancel: 0, sinfo: 0 };
  /** Whether the cluster keeps accounting: sacct then lists every task of the run's jobs (pending ones as a range). */
  accounting = false;
  /** What sinfo -o %P|%C prints (partition, CPUs allocated/idle/other/total); undefined: sinfo fails. */
  sinfo: string | undefined = "main*|0/2/0/2\ngpu|0/8/0/8\n";
  readonly jobs: FakeJob[] = [];
  readonly scripts: string[] = [];
  readonly cancelled: string[][] = [];
  readonly forgotten = new Set<string>();
  #next = 100;
  onSubmit: (job: FakeJob) => Promise<void> | void = () => undefined;

  async run(tool: SlurmTool, args: readonly string[]): Promise<ToolOutput> {
    this.calls[tool]++;
    switch (tool) {
      case "sacct": {
        if (!this.accounting) return { code: 1, stdout: "", stderr: "Slurm accounting storage is disabled" };
        const lines = this.jobs.flatMap((j) => {
          const pending = [...j.states].filter(([, s]) => s.state === "PENDING").map(([i]) => i);
          const others = [...j.states].filter(([, s]) => s.state !== "PENDING").map(([i, s]) => `${j.id}_${String(i)}|${s.state === "CANCELLED" ? "CANCELLED by 0" : s.state}|${s.reason}`);
          return pending.length === 0 ? others : [...others, `${j.id}_[${String(Math.min(...pending))}-${String(Math.max(...pending))}]|PENDING|Priority`];
        });
        return { code: 0, stdout: lines.join("\n"), stderr: "" };
      }
      case "sinfo":
        return this.sinfo === undefined ? { code: 1, stdout: "", stderr: "sinfo: error: Unable to contact slurm controller" } : { code: 0, stdout: this.sinfo, stderr: "" };
      case "scontrol": {
        if (args[0] === "show" && args[1] === "config") return { code: 0, stdout: "MaxArraySize            = 3\n", stderr: "" };
        const job = this.jobs.find((j) => j.id === args[3]);
        if (job === undefined || this.forgotten.has(job.id)) return { code: 1, stdout: "", stderr: "slurm_load_jobs error: Invalid job id specified" };
        const lines = [...job.states].map(([i, s]) => `JobId=${String(Number(job.id) + i + 1)} ArrayJobId=${job.id} ArrayTaskId=${String(i)} JobName=r JobState=${s.state} Reason=${s.reason} Dependency=(null)`);
        return { code: 0, stdout: `${lines.join("\n")}\n`, stderr: "" };
      }
      case "squeue": {
        const pendingOnly = args.includes("PENDING");
        const lines = this.jobs.flatMap((j) =>
          [...j.states].filter(([, s]) => (pendingOnly ? s.state === "PENDING" : s.state === "PENDING" || s.state === "RUNNING")).map(([i, s]) => `${j.id}|${String(i)}|${s.state}|${s.reason}`),
        );
        return { code: 0, stdout: lines.join("\n"), stderr: "" };
      }
      case "scancel": {
        this.cancelled.push([...args]);
        for (const id of args) {
          const [job, index] = id.split("_");
          for (const j of this.jobs.filter((x) => x.id === job)) {
            for (const [i, s] of j.states) if (index === undefined || Number(index) === i) j.states.set(i, { state: "CANCELLED", reason: s.state === "PENDING" ? "None" : "None" });
          }
        }
        return { code: 0, stdout: "", stderr: "" };
      }
      case "sbatch": {
        const script = args[args.length - 1] ?? "";
        const text = readFileSync(script, "utf8");
        this.scripts.push(text);
        const manifestPath = /--manifest (\S+)/.exec(text)?.[1] ?? "";
        const manifest = await readManifest(manifestPath);
        const id = String((this.#next += 100));
        const job: FakeJob = { id, manifest, states: new Map(manifest.tasks.map((_, i) => [i, { state: "PENDING", reason: "None" }])) };
        this.jobs.push(job);
        await this.onSubmit(job);
        return { code: 0, stdout: `${id}\n`, stderr: "" };
      }
    }
  }

  /** Task `index` of `job` writes every unit's result (ok, or as `result` says) and completes. */
  async finish(job: FakeJob, index: number, result: (task: WorkTask) => WorkResult = () => ok()): Promise<void> {
    for (const [k, task] of (job.manifest.tasks[index] ?? []).entries()) {
      await writeUnitResult(job.manifest.results[index]?.[k] ?? "", { result: result(task), durationMs: 5, ranOn: { jobId: job.id, arrayTask: index, host: "fake" } });
    }
    job.states.set(index, { state: "COMPLETED", reason: "None" });
  }
}

function ok(): WorkResult {
  return { ok: true, outputs: [], logs: [], lateReads: [], ranWith: { config: "c", code: [] } };
}

function task(stage: string, sim: number): WorkTask {
  return { kind: "node", stage, nodeId: `${stage}[split=Train,sim=${String(sim)}]`, partition: { split: "Train", sim } };
}

/** Where the fake pipeline's units write: `<project>/data/<stage>/<sim>`, beside the cache folder. */
function dataFolder(cacheDir: string, task: WorkTask): string {
  return join(cacheDir, "..", "data", task.stage, `sim${String(task.partition.sim)}`);
}

function runner(cluster: FakeCluster, overrides: Partial<SlurmRunnerOptions> = {}, cacheDir?: string): SlurmRunner {
  const dir = cacheDir ?? join(mkdtempSync(join(tmpdir(), "cmbflow-slurm-")), "cache");
  if (cacheDir === undefined) dirs.push(join(dir, ".."));
  const settings = slurmSettings({ slurm: { batch_size: 2, poll_min_ms: 5, poll_max_ms: 20, fs_lag_seconds: 0.05 } });
  if (!settings.ok) throw new Error(settings.error);
  return new SlurmRunner({
    source: { configDir: "/cfg", configName: "config", overrides: [], projectDir: "/p", workDir: "/p", env: {} },
    runId: "run-1",
    cacheDir: dir,
    folderOf: (t) => dataFolder(dir, t),
    settings: settings.value,
    resourcesOf: () => ({ cpus: 2, mem: "1G" }),
    commands: cluster,
    gatherMs: 5,
    ...overrides,
  });
}

describe("SlurmRunner packing", () => {
  it("packs the units handed in together into one array job of batch_size units per task, and settles each unit from its result file", async () => {
    const cluster = new FakeCluster();
    cluster.onSubmit = async (job) => {
      for (const i of job.states.keys()) await cluster.finish(job, i);
    };
    const r = runner(cluster);
    const results = await Promise.all([0, 1, 2, 3, 4].map((sim) => r.run(task("make", sim))));
    expect(results.every((x) => x.ok)).toBe(true);
    // Where each unit ran travels with it to the node's record (provenance).
    const id = cluster.jobs[0]?.id ?? "";
    expect(results.map((x) => (x.ok ? x.ranWith?.where : undefined))).toEqual([0, 0, 1, 1, 2].map((i) => `slurm job ${id}_${String(i)} on fake`));
    expect(cluster.calls.sbatch).toBe(1);
    expect(cluster.jobs[0]?.manifest.tasks.map((t) => t.map((u) => u.partition.sim))).toEqual([[0, 1], [2, 3], [4]]);
    expect(cluster.scripts[0]).toContain("#SBATCH --array=0-2\n");
    expect(cluster.scripts[0]).toContain("#SBATCH --job-name=run-1\n");
    expect(cluster.scripts[0]).toContain("#SBATCH --cpus-per-task=2\n#SBATCH --mem=1G\n");
    await r.close();
  });

  it("with target_task_seconds, packs as many units per task as take that long by the stage's durations so far", async () => {
    const cluster = new FakeCluster();
    cluster.onSubmit = async (job) => {
      for (const i of job.states.keys()) await cluster.finish(job, i);
    };
    const settings = slurmSettings({ slurm: { batch_size: 1, target_task_seconds: 0.02, poll_min_ms: 5, poll_max_ms: 20 } });
    if (!settings.ok) throw new Error(settings.error);
    const r = runner(cluster, { settings: settings.value });
    // Nothing of the stage ran yet: batch_size. The fake's units take 5 ms each, so then 20 ms / 5 ms = 4 per task.
    await r.run(task("make", 0));
    await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((sim) => r.run(task("make", sim))));
    expect(cluster.jobs.map((j) => j.manifest.tasks.map((t) => t.length))).toEqual([[1], [4, 4]]);
  });

  it("without batch_size, spreads a stage's units over the CPUs of its partition, at least 50 per task", async () => {
    const sizes = async (cluster: FakeCluster, units: number, slurm: Record<string, number> = {}, resources: SlurmResources = {}): Promise<number[]> => {
      cluster.onSubmit = async (job) => {
        for (const i of job.states.keys()) await cluster.finish(job, i);
      };
      const settings = slurmSettings({ slurm: { poll_min_ms: 5, poll_max_ms: 20, ...slurm } });
      if (!settings.ok) throw new Error(settings.error);
      const r = runner(cluster, { settings: settings.value, resourcesOf: () => resources });
      await Promise.all(Array.from({ length: units }, (_, sim) => r.run(task("make", sim))));
      return cluster.jobs.flatMap((j) => j.manifest.tasks.map((t) => t.length));
    };
    // The default partition has 2 CPUs: 2 tasks of 60, one wave.
    expect(await sizes(new FakeCluster(), 120)).toEqual([60, 60]);
    // 8 CPUs in "gpu", 2 per task: 4 slots; 120 / 4 = 30 is below the minimum of 50.
    expect(await sizes(new FakeCluster(), 120, {}, { partition: "gpu", cpus: 2 })).toEqual([50, 50, 20]);
    // A throttle of 1 runs one task at a time: one task.
    expect(await sizes(new FakeCluster(), 120, { throttle: 1 })).toEqual([120]);
    // sinfo does not answer: the minimum.
    const silent = new FakeCluster();
    silent.sinfo = undefined;
    expect(await sizes(silent, 120)).toEqual([50, 50, 20]);
    // An explicit batch_size is kept.
    expect(await sizes(new FakeCluster(), 120, { batch_size: 40 })).toEqual([40, 40, 40]);
    expect([...parseSinfoCpus("main*|1/3/0/4\nbig|0/64/0/64\nbig|32/0/0/32\n")]).toEqual([
      ["main", 4],
      ["", 4],
      ["big", 96],
    ]);
  });

  it("splits an array past the cluster's MaxArraySize into several jobs", async () => {
    const cluster = new FakeCluster();
    cluster.onSubmit = async (job) => {
      for (const i of job.states.keys()) await cluster.finish(job, i);
    };
    const r = runner(cluster);
    // 8 units, 2 per task: 4 tasks; MaxArraySize 3 (the fake's) allows indices 0-2.
    await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((sim) => r.run(task("make", sim))));
    expect(cluster.jobs.map((j) => j.manifest.tasks.length)).toEqual([3, 1]);
  });

  it("submits one array job per stage handed in, not one per unit", async () => {
    const cluster = new FakeCluster();
    cluster.onSubmit = async (job) => {
      for (const i of job.states.keys()) await cluster.finish(job, i);
    };
    const r = runner(cluster);
    await Promise.all([task("a", 0), task("b", 0), task("a", 1), task("b", 1)].map((t) => r.run(t)));
    expect(cluster.calls.sbatch).toBe(2);
    expect(cluster.jobs.map((j) => j.manifest.tasks.flat().map((t) => t.stage))).toEqual([["a", "a"], ["b", "b"]]);
  });
});

describe("SlurmRunner result files", () => {
  it("writes each unit's result next to its outputs, hidden and named for its node, and removes it only when the scheduler releases the unit", async () => {
    const cluster = new FakeCluster();
    cluster.onSubmit = async (job) => {
      for (const i of job.states.keys()) await cluster.finish(job, i);
    };
    const r = runner(cluster);
    const tasks = [task("make", 0), task("make", 1)];
    expect((await Promise.all(tasks.map((t) => r.run(t)))).every((x) => x.ok)).toBe(true);
    const paths = cluster.jobs[0]?.manifest.results.flat() ?? [];
    expect(paths.map((p) => basename(dirname(p)))).toEqual(["sim0", "sim1"]);
    expect(basename(paths[0] ?? "")).toMatch(/^\.cmbflow-result-make\[split=Train,sim=0\]\.[0-9a-f]{8}\.bin$/);
    // Handed to the scheduler but not yet recorded: a coordinator dying now leaves them for the next.
    expect(paths.map((p) => existsSync(p))).toEqual([true, true]);
    await r.release(tasks[0] ?? task("make", 0));
    expect(paths.map((p) => existsSync(p))).toEqual([false, true]);
    await r.close();
  });

  it("names a scan's result for its reduction and simulation, and shortens a name too long for the file system", () => {
    const scan: WorkTask = { kind: "scan", stage: "stats", nodeId: "stats[split=Train]", partition: { split: "Train", sim: 3 } };
    expect(resultFile("/d", scan, "0123456789abcdef")).toBe("/d/.cmbflow-result-stats[split=Train].scan-split=Train,sim=3.01234567.bin");
    const long: WorkTask = { kind: "node", stage: "s", nodeId: `s[split=${"x/".repeat(200)}]`, partition: { split: "x/".repeat(200) } };
    const name = basename(resultFile("/d", long, "0123456789abcdef"));
    expect(name).toMatch(/^\.cmbflow-result-s\[split=(x_){26}~[0-9a-f]{16}\.01234567\.bin$/);
  });

  it("removes a result file an earlier, unrecorded run left at a unit's path before submitting the unit, so it is not taken as the answer", async () => {
    const project = mkdtempSync(join(tmpdir(), "cmbflow-slurm-stale-"));
    dirs.push(project);
    const cacheDir = join(project, "cache");
    const cluster = new FakeCluster();
    cluster.onSubmit = async (job) => {
      await cluster.finish(job, 0, () => ({ ok: false, message: "from an earlier run", logs: [], lateReads: [] }));
    };
    const first = runner(cluster, {}, cacheDir);
    expect(await first.run(task("make", 0))).toMatchObject({ ok: false, message: "from an earlier run" });
    // Ended (its journal removed) without the node released: its result file stays behind.
    await first.close();
    const path = cluster.jobs[0]?.manifest.results[0]?.[0] ?? "";
    expect(existsSync(path)).toBe(true);
    cluster.onSubmit = (job) => {
      job.states.set(0, { state: "RUNNING", reason: "None" });
      setTimeout(() => void cluster.finish(job, 0), 60);
    };
    const second = runner(cluster, { runId: "run-2" }, cacheDir);
    expect(await second.run(task("make", 0))).toMatchObject({ ok: true });
    expect(cluster.jobs[1]?.manifest.results[0]?.[0]).toBe(path);
    expect((await readUnitResult(path))?.result.ok).toBe(true);
  });
});

describe("SlurmRunner failures", () => {
  it("fails the units of a task that ended without results with Slurm's state, reason and log path", async () => {
    const cluster = new FakeCluster();
    cluster.onSubmit = async (job) => {
      await cluster.finish(job, 0);
      job.states.set(1, { state: "OUT_OF_MEMORY", reason: "OutOfMemory" });
    };
    const r = runner(cluster);
    const settled = await Promise.allSettled([0, 1, 2, 3].map((sim) => r.run(task("make", sim))));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "fulfilled", "rejected", "rejected"]);
    const reason = (settled[2] as PromiseRejectedResult).reason as Error;
    const job = cluster.jobs[0];
    expect(reason.message).toMatch(new RegExp(`^Slurm job ${job?.id ?? ""}_1 ended OUT_OF_MEMORY \\(OutOfMemory\\); log: \\S+/cache/slurm/run-1/0001-make/logs/${job?.id ?? ""}_1\\.log$`));
  });

  it("says a task its job no longer lists left the queue before it ran (cancelled while pending leaves no record without accounting)", async () => {
    const cluster = new FakeCluster();
    cluster.onSubmit = async (job) => {
      await cluster.finish(job, 0);
      job.states.delete(1);
    };
    const r = runner(cluster);
    const settled = await Promise.allSettled([0, 1, 2].map((sim) => r.run(task("make", sim))));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "fulfilled", "rejected"]);
    expect(((settled[2] as PromiseRejectedResult).reason as Error).message).toMatch(/^Slurm job \d+_1 left the queue before it ran, and Slurm kept no record of why \(cancelled while pending\?\); log: /);
  });

  it("never takes a state Slurm no longer knows as success: asked again, then the units fail", async () => {
    const cluster = new FakeCluster();
    cluster.onSubmit = (job) => {
      job.states.set(0, { state: "COMPLETED", reason: "None" });
      cluster.forgotten.add(job.id);
    };
    const r = runner(cluster);
    await expect(r.run(task("make", 0))).rejects.toThrow(/^Slurm no longer knows job \d+_0 \(asked 3 times\): its state is unknown, so its nodes are not taken as done; log: /);
    expect(cluster.calls.scontrol).toBe(1 + 3);
  });

  it("with retries, resubmits alone the units of a failed task, and they succeed there", async () => {
    const cluster = new FakeCluster();
    cluster.onSubmit = async (job) => {
      if (cluster.jobs.length === 1) {
        await cluster.finish(job, 0);
        job.states.set(1, { state: "NODE_FAIL", reason: "NodeDown" });
      } else {
        for (const i of job.states.keys()) await cluster.finish(job, i);
      }
    };
    const notes: string[] = [];
    const r = runner(cluster, { retries: 1, onNote: (t) => notes.push(t) });
    const results = await Promise.all([0, 1, 2, 3].map((sim) => r.run(task("make", sim))));
    expect(results.every((x) => x.ok)).toBe(true);
    expect(cluster.jobs.map((j) => j.manifest.tasks.map((t) => t.map((u) => u.partition.sim)))).toEqual([[[0, 1], [2, 3]], [[2, 3]]]);
    expect(notes.some((n) => /ended NODE_FAIL \(NodeDown\): resubmitting its 2 unfinished unit\(s\) \(--retries\)$/.test(n))).toBe(true);
  });

  it("says once that sacct has nothing and asks squeue instead, one query per cycle for the whole run", async () => {
    const cluster = new FakeCluster();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    cluster.onSubmit = (job) => {
      job.states.set(0, { state: "RUNNING", reason: "None" });
      void gate.then(() => cluster.finish(job, 0));
    };
    const notes: string[] = [];
    const r = runner(cluster, { onNote: (t) => notes.push(t) });
    const running = Promise.all([r.run(task("make", 0)), r.run(task("make", 1))]);
    await new Promise((res) => setTimeout(res, 200));
    release();
    await running;
    expect(notes.filter((n) => n.startsWith("sacct has no record"))).toEqual([
      "sacct has no record of the run's jobs (Slurm accounting storage is disabled): job states come from squeue and, for ended tasks, scontrol show job",
    ]);
    expect(cluster.calls.sacct).toBe(1);
    expect(cluster.calls.squeue).toBeGreaterThan(1);
    // Back-off: at most one squeue per 5 ms cycle over the 200 ms, far fewer as it backs off to 20 ms.
    expect(cluster.calls.squeue).toBeLessThan(40);
  });
});

describe("SlurmRunner polling", () => {
  it("reads result files every poll_min_ms while its Slurm queries back off: a unit finished is not left waiting for the next query", async () => {
    const cluster = new FakeCluster();
    let job: FakeJob | undefined;
    cluster.onSubmit = (j) => {
      job = j;
      j.states.set(0, { state: "RUNNING", reason: "None" });
    };
    const settings = slurmSettings({ slurm: { batch_size: 2, poll_min_ms: 5, poll_max_ms: 60_000 } });
    if (!settings.ok) throw new Error(settings.error);
    const r = runner(cluster, { settings: settings.value });
    let settledAt = 0;
    const running = r.run(task("make", 0)).then((x) => {
      settledAt = performance.now();
      return x;
    });
    // Nothing changes for 1.4 s: the queries back off 5, 10, 20, ... ms, so the next one (at
    // about 2.5 s) is more than a second away when the result arrives.
    await new Promise((res) => setTimeout(res, 1400));
    if (job === undefined) throw new Error("not submitted");
    const queries = cluster.calls.squeue + cluster.calls.sacct;
    await cluster.finish(job, 0);
    const finishedAt = performance.now();
    expect((await running).ok).toBe(true);
    // A look at the files every 5 ms finds it at once; the next query would have been 1 s later.
    expect(settledAt - finishedAt).toBeLessThan(500);
    expect(cluster.calls.squeue + cluster.calls.sacct).toBe(queries);
  });
});

describe("SlurmRunner with accounting", () => {
  it("takes every state from one sacct query per cycle (no squeue, no scontrol), and fails a task's units with sacct's state and reason", async () => {
    const cluster = new FakeCluster();
    cluster.accounting = true;
    cluster.onSubmit = (job) => {
      job.states.set(0, { state: "RUNNING", reason: "None" });
      setTimeout(() => {
        void cluster.finish(job, 0).then(() => {
          job.states.set(1, { state: "FAILED", reason: "NonZeroExitCode" });
          job.states.set(2, { state: "TIMEOUT", reason: "TimeLimit" });
        });
      }, 30);
    };
    const notes: string[] = [];
    const r = runner(cluster, { onNote: (t) => notes.push(t) });
    const settled = await Promise.allSettled([0, 1, 2, 3, 4].map((sim) => r.run(task("make", sim))));
    expect(settled.map((x) => x.status)).toEqual(["fulfilled", "fulfilled", "rejected", "rejected", "rejected"]);
    const id = cluster.jobs[0]?.id ?? "";
    const why = (i: number): string => ((settled[i] as PromiseRejectedResult).reason as Error).message;
    expect(why(2)).toMatch(new RegExp(`^Slurm job ${id}_1 ended FAILED \\(NonZeroExitCode\\); log: \\S+/logs/${id}_1\\.log$`));
    expect(why(4)).toMatch(new RegExp(`^Slurm job ${id}_2 ended TIMEOUT \\(TimeLimit\\); log: `));
    expect(cluster.calls.squeue).toBe(0);
    // Only MaxArraySize was asked of scontrol: end states came from sacct.
    expect(cluster.calls.scontrol).toBe(1);
    expect(cluster.calls.sacct).toBeGreaterThan(0);
    expect(notes.filter((n) => n.startsWith("sacct has no record"))).toEqual([]);
  });

  it("with accounting, a task sacct stops listing is asked again, never taken as success, then fails", async () => {
    const cluster = new FakeCluster();
    cluster.accounting = true;
    cluster.onSubmit = (job) => {
      job.states.set(0, { state: "RUNNING", reason: "None" });
    };
    const running = runner(cluster).run(task("make", 0));
    // Listed as running by the first query, then gone from accounting without a result.
    while (cluster.calls.sacct === 0) await new Promise((res) => setTimeout(res, 5));
    cluster.jobs[0]?.states.delete(0);
    await expect(running).rejects.toThrow(/^Slurm no longer knows job \d+_0 \(asked 3 times\): its state is unknown, so its nodes are not taken as done; log: /);
    expect(cluster.calls.squeue).toBe(0);
  });
});

describe("SlurmRunner stopping", () => {
  it("holdBack cancels the tasks still pending in one scancel; their units did not start, finished ones keep their results", async () => {
    const cluster = new FakeCluster();
    let submitted: () => void = () => undefined;
    const isSubmitted = new Promise<void>((r) => (submitted = r));
    cluster.onSubmit = async (job) => {
      await cluster.finish(job, 0);
      job.states.set(1, { state: "PENDING", reason: "Resources" });
      job.states.set(2, { state: "PENDING", reason: "Priority" });
      submitted();
    };
    const r = runner(cluster);
    const all = Promise.all([0, 1, 2, 3, 4, 5].map((sim) => r.run(task("make", sim))));
    await isSubmitted;
    r.holdBack();
    const results = await all;
    expect(results.map((x) => (x.ok ? "ok" : x.notStarted === true ? "not started" : "failed"))).toEqual(["ok", "ok", "not started", "not started", "not started", "not started"]);
    const id = cluster.jobs[0]?.id ?? "";
    expect(cluster.cancelled).toEqual([[`${id}_1`, `${id}_2`]]);
    // Handed in after the hold: never submitted.
    expect(await r.run(task("make", 9))).toMatchObject({ ok: false, notStarted: true });
    expect(cluster.calls.sbatch).toBe(1);
  });
});

/**
 * A coordinator (run-1) that submitted `make` units of `sims` as one job, whose first task is
 * running, and then "died": its promises are never awaited. Its journal is written.
 */
async function deadCoordinator(prefix: string, sims: readonly number[]): Promise<{ cluster: FakeCluster; cacheDir: string }> {
  const project = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(project);
  const cacheDir = join(project, "cache");
  const cluster = new FakeCluster();
  cluster.onSubmit = (job) => {
    job.states.set(0, { state: "RUNNING", reason: "None" });
  };
  const first = runner(cluster, {}, cacheDir);
  for (const sim of sims) void first.run(task("make", sim)).catch(() => undefined);
  while (cluster.jobs.length === 0) await new Promise((res) => setTimeout(res, 5));
  await new Promise((res) => setTimeout(res, 50));
  return { cluster, cacheDir };
}

describe("SlurmRunner re-attaching", () => {
  it("a new coordinator waits on the job a dead one submitted for the same units instead of submitting them again", async () => {
    const { cluster, cacheDir } = await deadCoordinator("cmbflow-slurm-attach-", [0, 1]);
    const notes: string[] = [];
    const second = runner(cluster, { runId: "run-2", onNote: (t) => notes.push(t) }, cacheDir);
    const job = cluster.jobs[0];
    if (job === undefined) throw new Error("no job");
    const both = Promise.all([second.run(task("make", 0)), second.run(task("make", 1))]);
    await new Promise((res) => setTimeout(res, 50));
    await cluster.finish(job, 0);
    expect((await both).every((x) => x.ok)).toBe(true);
    expect(cluster.calls.sbatch).toBe(1);
    expect(notes).toContain(`re-attached to Slurm job ${job.id} of run run-1 (its coordinator stopped): its units are not submitted again`);
  });

  it("a unit the dead coordinator's job finished is taken from its result file; a unit of another configuration is submitted", async () => {
    const project = mkdtempSync(join(tmpdir(), "cmbflow-slurm-attach2-"));
    dirs.push(project);
    const cacheDir = join(project, "cache");
    const cluster = new FakeCluster();
    cluster.onSubmit = async (job) => {
      for (const i of job.states.keys()) await cluster.finish(job, i);
    };
    const first = runner(cluster, {}, cacheDir);
    await first.run(task("make", 0));
    // Died before recording or removing its journal: nothing more happens with `first`.
    const again = runner(cluster, { runId: "run-2" }, cacheDir);
    expect((await again.run(task("make", 0))).ok).toBe(true);
    expect(cluster.calls.sbatch).toBe(1);
    const edited = runner(cluster, { runId: "run-3", source: { configDir: "/cfg", configName: "config", overrides: ["scenario.nside=32"], projectDir: "/p", workDir: "/p", env: {} } }, cacheDir);
    expect((await edited.run(task("make", 0))).ok).toBe(true);
    expect(cluster.calls.sbatch).toBe(2);
  });
});

describe("SlurmRunner and an older cmbflow's journal", () => {
  it("does not re-attach to a job journalled without result paths (its results are elsewhere): submits its units again and cancels the job at close", async () => {
    const { cluster, cacheDir } = await deadCoordinator("cmbflow-slurm-oldjournal-", [0]);
    // The journal as an older cmbflow wrote it: no result paths.
    const journal = join(cacheDir, "slurm", "journal", "run-1.jsonl");
    const entry = JSON.parse(readFileSync(journal, "utf8").trim()) as Record<string, unknown>;
    expect(entry["results"]).toEqual([[cluster.jobs[0]?.manifest.results[0]?.[0]]]);
    delete entry["results"];
    writeFileSync(journal, `${JSON.stringify(entry)}\n`);
    const notes: string[] = [];
    cluster.onSubmit = async (job) => {
      for (const i of job.states.keys()) await cluster.finish(job, i);
    };
    const second = runner(cluster, { runId: "run-2", onNote: (t) => notes.push(t) }, cacheDir);
    expect((await second.run(task("make", 0))).ok).toBe(true);
    expect(cluster.calls.sbatch).toBe(2);
    expect(notes).toContain("1 Slurm job(s) journalled by an older cmbflow are not re-attached to (their result files are not where this version looks): their units are submitted again");
    await second.close();
    expect(cluster.cancelled).toEqual([[`${cluster.jobs[0]?.id ?? ""}_0`]]);
  });
});

describe("SlurmRunner work handed ahead", () => {
  const notRun = (): WorkResult => ({ ok: false, notStarted: true, message: "not run: upstream failed", logs: [], lateReads: [] });
  const failed = (): WorkResult => ({ ok: false, message: "cursed", logs: [], lateReads: [] });
  const ahead = (sims: readonly number[]): AheadTask[] => sims.flatMap((sim) => [{ task: task("a", sim), after: [] }, { task: task("b", sim), after: [task("a", sim)] }]);

  it("packs each unit after the units it follows, by whole chains, into one array job; a unit is answered only when asked for", async () => {
    const cluster = new FakeCluster();
    cluster.onSubmit = async (job) => {
      for (const i of job.states.keys()) await cluster.finish(job, i);
    };
    const r = runner(cluster);
    r.ahead(ahead([0, 1, 2]));
    const first = await Promise.all([0, 1, 2].map((sim) => r.run(task("a", sim))));
    expect(first.every((x) => x.ok)).toBe(true);
    // One submission: chains of 2, batch_size 2, so one chain per task; b follows a in each.
    expect(cluster.calls.sbatch).toBe(1);
    const job = cluster.jobs[0];
    expect(job?.manifest.tasks.map((t) => t.map((u) => u.nodeId.slice(0, 1) + String(u.partition.sim)))).toEqual([["a0", "b0"], ["a1", "b1"], ["a2", "b2"]]);
    expect(job?.manifest.after).toEqual([[[], [0]], [[], [0]], [[], [0]]]);
    expect(cluster.scripts[0]).toContain("# cmbflow: 6 units of stages a, b\n");
    // Asked for later, b is answered from the result its task wrote: nothing is submitted again.
    const second = await Promise.all([0, 1, 2].map((sim) => r.run(task("b", sim))));
    expect(second.map((x) => (x.ok ? x.ranWith?.where : undefined))).toEqual([0, 1, 2].map((i) => `slurm job ${job?.id ?? ""}_${String(i)} on fake`));
    expect(cluster.calls.sbatch).toBe(1);
    await r.close();
    expect(cluster.cancelled).toEqual([]);
  });

  it("a unit whose upstream failed in its task is never answered; its task is not cancelled for it (it ended), and its result file goes at close", async () => {
    const cluster = new FakeCluster();
    cluster.onSubmit = async (job) => {
      for (const i of job.states.keys()) await cluster.finish(job, i, (t) => (t.partition.sim === 1 ? (t.stage === "a" ? failed() : notRun()) : ok()));
    };
    const r = runner(cluster);
    r.ahead(ahead([0, 1]));
    const results = await Promise.all([0, 1].map((sim) => r.run(task("a", sim))));
    expect(results.map((x) => x.ok)).toEqual([true, false]);
    expect((await r.run(task("b", 0))).ok).toBe(true);
    const skipped = cluster.jobs[0]?.manifest.results[1]?.[1] ?? "";
    expect(existsSync(skipped)).toBe(true);
    await r.close();
    expect(existsSync(skipped)).toBe(false);
    expect(cluster.cancelled).toEqual([]);
    expect(cluster.calls.sbatch).toBe(1);
  });

  it("a unit its task skipped, asked for all the same (its upstream recorded by another run of it), is submitted afresh, not failed", async () => {
    const cluster = new FakeCluster();
    cluster.onSubmit = async (job) => {
      for (const i of job.states.keys()) await cluster.finish(job, i, (t) => (cluster.jobs.length === 1 && t.stage === "b" ? notRun() : ok()));
    };
    const r = runner(cluster);
    r.ahead(ahead([0]));
    expect((await r.run(task("a", 0))).ok).toBe(true);
    expect(await r.run(task("b", 0))).toMatchObject({ ok: true });
    expect(cluster.jobs.map((j) => j.manifest.tasks.flat().map((u) => u.stage))).toEqual([["a", "b"], ["b"]]);
    await r.close();
  });

  it("with retries, a lost task's asked-for units are resubmitted alone; its units not asked for yet are submitted when asked for", async () => {
    const cluster = new FakeCluster();
    cluster.onSubmit = (job) => {
      if (cluster.jobs.length === 1) job.states.set(0, { state: "NODE_FAIL", reason: "NodeDown" });
      else for (const i of job.states.keys()) void cluster.finish(job, i);
    };
    const r = runner(cluster, { retries: 1 });
    r.ahead(ahead([0]));
    expect((await r.run(task("a", 0))).ok).toBe(true);
    expect((await r.run(task("b", 0))).ok).toBe(true);
    expect(cluster.jobs.map((j) => j.manifest.tasks.flat().map((u) => u.stage))).toEqual([["a", "b"], ["a"], ["b"]]);
    await r.close();
  });

  it("at close, cancels the tasks still holding units never asked for (the run stopped, or their upstream was not recorded)", async () => {
    const cluster = new FakeCluster();
    cluster.onSubmit = async (job) => {
      // a's result is in, b still runs.
      await writeUnitResult(job.manifest.results[0]?.[0] ?? "", { result: ok(), durationMs: 5, ranOn: { jobId: job.id, arrayTask: 0, host: "fake" } });
      job.states.set(0, { state: "RUNNING", reason: "None" });
    };
    const r = runner(cluster);
    r.ahead(ahead([0]));
    expect((await r.run(task("a", 0))).ok).toBe(true);
    await r.close();
    expect(cluster.cancelled).toEqual([[`${cluster.jobs[0]?.id ?? ""}_0`]]);
  });

  it("a unit whose upstream went in an earlier job follows it from a task that waits for that job's end and reads its result first; the file outlives its release until then", async () => {
    const cluster = new FakeCluster();
    cluster.onSubmit = (job) => {
      job.states.set(0, { state: "RUNNING", reason: "None" });
    };
    const r = runner(cluster);
    r.ahead([{ task: task("a", 0), after: [] }]);
    const a0 = r.run(task("a", 0));
    while (cluster.jobs.length === 0) await new Promise((res) => setTimeout(res, 5));
    r.ahead([{ task: task("b", 0), after: [task("a", 0)] }]);
    while (cluster.jobs.length < 2) await new Promise((res) => setTimeout(res, 5));
    const [first, second] = cluster.jobs;
    if (first === undefined || second === undefined) throw new Error("no jobs");
    const upstream = first.manifest.results[0]?.[0] ?? "";
    expect(cluster.scripts[1]).toContain(`#SBATCH --dependency=afterany:${first.id}\n`);
    expect(second.manifest.needs).toEqual([[[upstream]]]);
    expect(second.manifest.after).toEqual([[[]]]);
    await cluster.finish(first, 0);
    expect((await a0).ok).toBe(true);
    // Recorded and released: the file stays while b, in the other task, has yet to read it.
    await r.release(task("a", 0));
    expect(existsSync(upstream)).toBe(true);
    const b0 = r.run(task("b", 0));
    await cluster.finish(second, 0);
    expect((await b0).ok).toBe(true);
    await new Promise((res) => setTimeout(res, 20));
    expect(existsSync(upstream)).toBe(false);
    expect(cluster.calls.sbatch).toBe(2);
    await r.close();
  });

  it("a unit whose upstream in an earlier job was recorded (released) before it was gathered waits for nothing and reads no result file of it", async () => {
    const cluster = new FakeCluster();
    cluster.onSubmit = async (job) => {
      for (const i of job.states.keys()) await cluster.finish(job, i);
    };
    const r = runner(cluster);
    r.ahead([{ task: task("a", 0), after: [] }]);
    expect((await r.run(task("a", 0))).ok).toBe(true);
    await r.release(task("a", 0));
    r.ahead([{ task: task("b", 0), after: [task("a", 0)] }]);
    expect((await r.run(task("b", 0))).ok).toBe(true);
    expect(cluster.jobs[1]?.manifest.needs).toEqual([[[]]]);
    expect(cluster.scripts[1]).not.toContain("--dependency");
    await r.close();
  });

  it("a unit handed ahead whose submission sbatch refused is submitted afresh when asked for; a unit asked for fails with sbatch's message", async () => {
    const cluster = new FakeCluster();
    let refuse = true;
    const run = cluster.run.bind(cluster);
    cluster.run = async (tool, args) => {
      if (tool === "sbatch" && refuse) {
        refuse = false;
        cluster.calls.sbatch++;
        return { code: 1, stdout: "", stderr: "sbatch: error: Job dependency problem" };
      }
      return run(tool, args);
    };
    cluster.onSubmit = async (job) => {
      for (const i of job.states.keys()) await cluster.finish(job, i);
    };
    const r = runner(cluster);
    r.ahead(ahead([0]));
    await expect(r.run(task("a", 0))).rejects.toThrow(/^sbatch refused the job of stage a \(\S+\): sbatch: error: Job dependency problem$/);
    expect(await r.run(task("b", 0))).toMatchObject({ ok: true });
    expect(cluster.jobs.map((j) => j.manifest.tasks.flat().map((u) => u.stage))).toEqual([["b"]]);
    await r.close();
  });

  it("does not hand ahead a unit that needs other resources than its upstream in the gathering, nor one whose upstream failed; withdraw vouches only for units never sent", async () => {
    const cluster = new FakeCluster();
    cluster.onSubmit = async (job) => {
      for (const i of job.states.keys()) await cluster.finish(job, i, (t) => (t.partition.sim === 2 ? { ok: false, message: "cursed", logs: [], lateReads: [] } : ok()));
    };
    const r = runner(cluster, { resourcesOf: (stage) => (stage === "c" ? { cpus: 8 } : { cpus: 2 }) });
    r.ahead([{ task: task("a", 1), after: [] }, { task: task("c", 1), after: [task("a", 1)] }]);
    expect((await r.run(task("a", 1))).ok).toBe(true);
    r.ahead([{ task: task("a", 2), after: [] }]);
    expect((await r.run(task("a", 2))).ok).toBe(false);
    r.ahead([{ task: task("b", 2), after: [task("a", 2)] }]);
    await new Promise((res) => setTimeout(res, 30));
    expect(cluster.jobs.map((j) => j.manifest.tasks.flat().map((u) => u.stage))).toEqual([["a"], ["a"]]);
    expect(r.withdraw(task("c", 1))).toBe(true);
    expect(r.withdraw(task("b", 2))).toBe(true);
    expect(r.withdraw(task("a", 1))).toBe(false);
    await r.close();
  });
});

describe("Slurm output parsing", () => {
  it("reads squeue, sacct and scontrol lines into states by JOB_INDEX", () => {
    expect([...parseSqueue("12|0|RUNNING|None\n12|3|PENDING|Resources\n")]).toEqual([
      ["12_0", { state: "RUNNING", reason: "None" }],
      ["12_3", { state: "PENDING", reason: "Resources" }],
    ]);
    expect([...parseSacct("12_0|COMPLETED|None\n12_1|CANCELLED by 0|None\n12_[2-3%1]|PENDING|JobArrayTaskLimit\n")]).toEqual([
      ["12_0", { state: "COMPLETED", reason: "None" }],
      ["12_1", { state: "CANCELLED", reason: "None" }],
      ["12_2", { state: "PENDING", reason: "JobArrayTaskLimit" }],
      ["12_3", { state: "PENDING", reason: "JobArrayTaskLimit" }],
    ]);
    expect([...parseScontrol("JobId=13 ArrayJobId=12 ArrayTaskId=1 JobName=r JobState=TIMEOUT Reason=TimeLimit Dependency=(null)\nJobId=12 ArrayJobId=12 ArrayTaskId=2-3 JobState=PENDING Reason=Resources\n")]).toEqual([
      ["12_1", { state: "TIMEOUT", reason: "TimeLimit" }],
      ["12_2", { state: "PENDING", reason: "Resources" }],
      ["12_3", { state: "PENDING", reason: "Resources" }],
    ]);
  });
});

describe("Slurm settings and scripts", () => {
  it("reads the slurm: block with defaults, and names the key at fault", () => {
    expect(slurmSettings({})).toEqual({ ok: true, value: { pollMinMs: 200, pollMaxMs: 5000, fsLagMs: 10_000, resources: {} } });
    expect(slurmSettings({ slurm: { batch_sise: 3 } })).toEqual({ ok: false, error: "slurm.batch_sise is not a setting of the Slurm backend (settings: batch_size, target_task_seconds, throttle, poll_min_ms, poll_max_ms, fs_lag_seconds, resources)" });
    expect(slurmSettings({ slurm: { throttle: 0 } })).toEqual({ ok: false, error: "slurm.throttle must be a positive integer, not 0" });
    expect(parseResources({ cpus: 2.5 }, "pipeline.make.resources")).toEqual({ ok: false, error: "pipeline.make.resources.cpus must be a whole number of CPUs, at least 1, not 2.5" });
    expect(parseResources({ mem: "4G; rm -rf" }, "slurm.resources")).toEqual({ ok: false, error: 'slurm.resources.mem "4G; rm -rf" has characters sbatch would not take as one value' });
    expect(parseResources({ gpu: 1 }, "pipeline.train.resources")).toEqual({ ok: false, error: "pipeline.train.resources.gpu is not a resource the Slurm backend asks for (resources: cpus, mem, time, gpus, partition, account, qos, extra)" });
    expect(mergeResources({ mem: "1G", partition: "main", extra: ["--exclusive"] }, { mem: "8G", gpus: "1", extra: ["--constraint=a100"] })).toEqual({
      mem: "8G",
      partition: "main",
      gpus: "1",
      extra: ["--exclusive", "--constraint=a100"],
    });
  });

  it("writes every resource as its sbatch option, the throttle into --array, and quotes the command", () => {
    expect(arraySpec(12, 4)).toBe("0-11%4");
    const text = sbatchScript({
      jobName: "r1",
      tasks: 3,
      log: "/c/logs/%A_%a.log",
      workDir: "/w",
      resources: { cpus: 4, mem: "8G", time: "01:00:00", gpus: "a100:1", partition: "gpu", account: "cmb", qos: "high", extra: ["--constraint=a100"] },
      command: ["/usr/bin/node", "/opt/my tools/cmbflow.js", "worker", "--task"],
      title: "3 units of stage train",
    });
    expect(text).toBe(
      [
        "#!/bin/sh",
        "# cmbflow: 3 units of stage train",
        "#SBATCH --job-name=r1",
        "#SBATCH --array=0-2",
        "#SBATCH --output=/c/logs/%A_%a.log",
        "#SBATCH --chdir=/w",
        "#SBATCH --ntasks=1",
        "#SBATCH --cpus-per-task=4",
        "#SBATCH --mem=8G",
        "#SBATCH --time=01:00:00",
        "#SBATCH --gpus=a100:1",
        "#SBATCH --partition=gpu",
        "#SBATCH --account=cmb",
        "#SBATCH --qos=high",
        "#SBATCH --constraint=a100",
        `exec /usr/bin/node '/opt/my tools/cmbflow.js' worker --task "$SLURM_ARRAY_TASK_ID"`,
        "",
      ].join("\n"),
    );
  });
});
