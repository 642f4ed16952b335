/**
 * The parallel scheduler through the real binary: worker threads, nodes whose worker dies,
 * time-outs, and Ctrl-C with a real signal.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject, outputs, REPO, totals } from "./project.js";

const FILES: Record<string, string> = {
  "cfg/config.yaml": `defaults:
  - pipeline: jobs
  - _self_
dataset_name: jobs
seed: 5
splits:
  name: eight
  Train:
    n_sims: 8
`,
  "cfg/pipeline/jobs.yaml": `work:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  dir_name: A_Work
  executor: stages/work.ts#Work
  exit_sim: -1
  hang_sim: -1
  oom_sim: -1
  sleep_ms: 0
after:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/after.txt"}
  assets_in:
    out: {stage: work}
  dir_name: B_After
  executor: stages/work.ts#After
`,
  "stages/work.ts": `import { setTimeout as sleep } from "node:timers/promises";
import { BaseStageExecutor, type Cfg, type NodeContext } from "cmbflow";

// A module that never finishes loading (an endless loop at its top level), when asked to.
if (process.env["CMBFLOW_TEST_HANG_AT_LOAD"] === "1") for (;;) Math.sqrt(2);

/** Writes its output first, then misbehaves as configured: exits, hangs, runs out of memory or sleeps. */
export class Work extends BaseStageExecutor {
  readonly #exit: number;
  readonly #hang: number;
  readonly #oom: number;
  readonly #sleep: number;
  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#exit = cfg.number(\`pipeline.\${stage}.exit_sim\`);
    this.#hang = cfg.number(\`pipeline.\${stage}.hang_sim\`);
    this.#oom = cfg.number(\`pipeline.\${stage}.oom_sim\`);
    this.#sleep = cfg.number(\`pipeline.\${stage}.sleep_ms\`);
  }
  async processSim(ctx: NodeContext): Promise<void> {
    const sim = ctx.partition.sim ?? 0;
    await ctx.output<string>("out").write(\`sim \${String(sim)} seed \${String(ctx.seed)}\\n\`);
    if (sim === this.#exit) process.exit(3);
    if (sim === this.#hang) for (;;) Math.sqrt(sim);
    if (sim === this.#oom) {
      const hoard: number[][] = [];
      for (;;) hoard.push(Array.from({ length: 1e6 }, (_, i) => i + 0.5));
    }
    if (this.#sleep > 0) await sleep(this.#sleep);
  }
}

export class After extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("out").write((await ctx.input<string>("out").read()).toUpperCase());
  }
}
`,
};

/** Nodes done (ran, fresh or restored: \`after\` nodes are fresh when their input came out the same), failed and skipped. */
const done = (stdout: string): { done: number; failed: number; skipped: number } => {
  const t = totals(stdout);
  return { done: t.ran + t.fresh + t.restored, failed: t.failed, skipped: t.skipped };
};

describe("the parallel scheduler", () => {
  let project: Project;
  beforeAll(() => {
    project = makeProject(FILES);
  });
  afterAll(() => project.cleanup());

  it("writes the same files with one worker and with two, in whatever order the nodes ran", () => {
    const one = project.run(["run", "-j", "1", "--json"]);
    expect(one.code).toBe(0);
    const serial = outputs(project.dir);
    expect(Object.keys(serial)).toHaveLength(16);
    const two = project.run(["run", "-j", "2", "--force-all", "--json"]);
    expect(two.code).toBe(0);
    expect(totals(two.stdout).ran).toBe(16);
    expect(outputs(project.dir)).toEqual(serial);
  });

  it("synthesises the same maps and spectra of the default pipeline with one worker and with two", () => {
    const maps = makeProject({}, { defaultCfg: true });
    try {
      expect(maps.run(["run", "-j", "1"]).code).toBe(0);
      const datasets = readdirSync(join(maps.dir, "data"));
      expect(datasets).toHaveLength(1);
      const serial = outputs(maps.dir, datasets[0]);
      expect(Object.keys(serial).filter((p) => p.endsWith(".fits")).length).toBeGreaterThan(10);
      const parallel = maps.run(["run", "-j", "2", "--force-all", "--json"]);
      expect(parallel.code).toBe(0);
      expect(totals(parallel.stdout).ran).toBeGreaterThan(10);
      expect(outputs(maps.dir, datasets[0])).toEqual(serial);
    } finally {
      maps.cleanup();
    }
  }, 180_000); // two runs of the default pipeline at nside 64, mollviews included, on a shared machine

  it("fails only the node whose stage called process.exit; the pool replaces the worker and goes on", () => {
    const result = project.run(["run", "pipeline.work.exit_sim=2", "--keep-going", "--json"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: stage "work" failed at node work[split=Train,sim=2]: its worker exited (code 3) while running the node');
    expect(done(result.stdout)).toEqual({ done: 14, failed: 1, skipped: 1 });
    // The half-written output of the dead worker was swept, not left beside the old file.
    expect(readdirSync(join(project.dir, "data/jobs/A_Work/Train/sim0002"))).toEqual(["out.txt"]);
  });

  it("fails a node that passes --node-timeout, and one that passes --worker-memory, each alone", () => {
    // 5 s: the other nodes (a worker's first also loads the stage's module through tsx) stay
    // well inside it on a loaded machine; the hanging one never ends.
    const hang = project.run(["run", "pipeline.work.hang_sim=1", "--node-timeout", "5", "--keep-going", "--json"]);
    expect(hang.code).toBe(1);
    expect(hang.stderr).toContain("failed at node work[split=Train,sim=1]: timed out after 5 s (--node-timeout); its worker was stopped");
    expect(done(hang.stdout)).toEqual({ done: 14, failed: 1, skipped: 1 });

    const oom = project.run(["run", "pipeline.work.oom_sim=4", "--worker-memory", "64", "--keep-going", "--json"]);
    expect(oom.code).toBe(1);
    expect(oom.stderr).toContain("failed at node work[split=Train,sim=4]: its worker ran out of memory (limit 64 MiB, --worker-memory)");
    expect(done(oom.stdout)).toEqual({ done: 14, failed: 1, skipped: 1 });
  });

  it("fails the nodes, not the process, when --worker-memory is too small for a worker to start (issue #17)", () => {
    const refused = project.run(["run", "--worker-memory", "2"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('error: --worker-memory must be at least 4 (MiB), not "2": below that a worker thread cannot start\n');
    for (const mb of ["4", "8"]) {
      const tiny = project.run(["run", "--force-all", "--worker-memory", mb, "--keep-going", "--json", "-j", "2"]);
      expect(tiny.stderr, `--worker-memory ${mb}`).not.toContain("Unhandled 'error' event");
      expect(tiny.code, tiny.stderr).toBe(1);
      expect(tiny.stderr).toContain(`failed at node work[split=Train,sim=0]: its worker ran out of memory (limit ${mb} MiB, --worker-memory)`);
      // Every work node failed (none waits for ever on a pool that starts no more workers); their dependants were skipped.
      expect(done(tiny.stdout)).toEqual({ done: 0, failed: 8, skipped: 8 });
      expect(existsSync(join(project.dir, "cache", "lock"))).toBe(false);
    }
  });

  it("counts --node-timeout from when a worker starts the node, not from when it was queued", () => {
    // One worker, two units handed to it at a time: the second waits 2.5 s (and the first
    // worker's start) before it starts, so counted from the queue it would pass 5 s. Each node's
    // own 2.5 s leaves 2.5 s for a worker's start on a loaded machine.
    const result = project.run(["run", "pipeline.work.sleep_ms=2500", "-j", "1", "--node-timeout", "5", "--until", "work", "--sims", "Train:0-2", "--json"]);
    expect(result.stderr).not.toContain("timed out");
    expect(result.code).toBe(0);
    expect(totals(result.stdout).ran).toBe(3);
  });

  it("fails by --node-timeout a node whose stage module hangs as it loads, also in a forced run whose threads start early", () => {
    // The executor memo knows the stage, so the main thread does not load its module; the
    // threads do. A thread started early must not load it before its first unit (out of the
    // timeout's reach): the run would wait for ever.
    expect(project.run(["run", "--json"]).code).toBe(0);
    const hung = project.run(
      ["run", "--force-all", "--node-timeout", "3", "-j", "1", "--until", "work", "--sims", "Train:0-0", "--json"],
      { CMBFLOW_TEST_HANG_AT_LOAD: "1" },
      60_000,
    );
    expect(hung.stderr).toContain("failed at node work[split=Train,sim=0]: timed out after 3 s (--node-timeout); its worker was stopped");
    expect(hung.code).toBe(1);
  });

  it("names the flag and value at fault", () => {
    const bad = project.run(["run", "-j", "two"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('error: --jobs must be a positive integer, not "two"\n');
    expect(project.run(["run", "--node-timeout", "-1"]).stderr).toBe('error: --node-timeout must be a positive number, not "-1"\n');
    // A data root that cannot hold folders: a file, and a place that refuses children
    // (Node's recursive mkdir spins for ever under /proc).
    project.write("not-a-folder", "x");
    const file = project.run(["run", "+local_system.datasets_root=not-a-folder"]);
    expect(file.code).toBe(2);
    expect(file.stderr).toBe(
      `error: the dataset folder cannot be made: ${join(project.dir, "not-a-folder")} exists and is not a folder (local_system.datasets_root is ${join(project.dir, "not-a-folder")}, set at override "+local_system.datasets_root=not-a-folder")\n`,
    );
    const proc = project.run(["run", "+local_system.datasets_root=/proc/cmbflow-nope"]);
    expect(proc.code).toBe(2);
    expect(proc.stderr).toMatch(/^error: the dataset folder cannot be made: cannot create \/proc\/cmbflow-nope: [A-Z]+ \(local_system\.datasets_root is \/proc\/cmbflow-nope, set at override/);
    const cores = availableParallelism();
    const tooMany = project.run(["run", "-j", "99999"]);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toBe(`error: --jobs 99999 is more worker threads than cmbflow starts: at most 4 per core, ${String(4 * cores)} on this machine\n`);
  });
});

/** Starts `cmbflow run` in the background; resolves with its exit code and output. */
function start(dir: string, args: readonly string[]): { done: Promise<{ code: number | null; stderr: string }>; kill: (signal: NodeJS.Signals) => void; stderr: () => string } {
  const child = spawn(process.execPath, [join(REPO, "bin", "cmbflow.js"), "run", ...args], {
    cwd: dir,
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", NO_COLOR: "1" },
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on("close", (code) => resolve({ code, stderr })));
  return { done, kill: (signal) => child.kill(signal), stderr: () => stderr };
}

async function until(what: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!what()) {
    if (Date.now() - t0 > ms) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Temporary files (name ending .tmp) of nodes' outputs: under the project's data folder only.
 * The cache's own temporaries (a memo saved by temp file and rename at the start of a run) are
 * not nodes at work, and counting them let a signal go out before any node had started.
 */
function temporaries(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(d, entry.name));
      else if (entry.name.endsWith(".tmp")) out.push(join(d, entry.name));
    }
  };
  if (existsSync(join(dir, "data"))) walk(join(dir, "data"));
  return out;
}

describe("Ctrl-C", () => {
  let project: Project;
  beforeAll(() => {
    project = makeProject(FILES);
  });
  afterAll(() => project.cleanup());

  it("on SIGINT lets running nodes finish, exits 130, and the next run does only what was left", async () => {
    const run = start(project.dir, ["pipeline.work.sleep_ms=1500", "-j", "2"]);
    // Wait until the first two nodes are running (their outputs are being written), then interrupt.
    await until(() => temporaries(project.dir).length >= 2);
    run.kill("SIGINT");
    const { code, stderr } = await run.done;
    expect(stderr).toContain("SIGINT: stopping; running nodes may finish within 60 s");
    expect(stderr).toMatch(/interrupted: 2 ran, 14 skipped in /);
    expect(code).toBe(130);
    expect(temporaries(project.dir)).toEqual([]);
    // Both locks the run held are released: the cache's and the dataset folder's.
    expect(existsSync(join(project.dir, "cache", "lock"))).toBe(false);
    expect(existsSync(join(project.dir, "data", "jobs", ".cmbflow-lock"))).toBe(false);
    const next = project.run(["run", "pipeline.work.sleep_ms=1500", "--json"]);
    expect(totals(next.stdout)).toMatchObject({ ran: 14, fresh: 2 });
  }, 60_000);

  it("handles SIGTERM the same way, exiting 143", async () => {
    const run = start(project.dir, ["pipeline.work.sleep_ms=1200", "--force-all", "-j", "2"]);
    await until(() => temporaries(project.dir).length >= 2);
    run.kill("SIGTERM");
    const { code, stderr } = await run.done;
    expect(stderr).toContain("SIGTERM: stopping; running nodes may finish within 60 s");
    expect(stderr).toMatch(/interrupted: 2 ran, 14 skipped in /);
    expect(code).toBe(143);
    expect(temporaries(project.dir)).toEqual([]);
  }, 60_000);

  it("handles a signal that comes while the run is still starting: exit 143, the lock released", async () => {
    const lock = join(project.dir, "cache", "lock");
    const run = start(project.dir, ["pipeline.work.sleep_ms=1200", "--force-all", "-j", "2"]);
    // As soon as the lock exists: the run holds it, but has not yet started any node.
    const t0 = Date.now();
    while (!existsSync(lock) && Date.now() - t0 < 30_000) await new Promise((r) => setImmediate(r));
    run.kill("SIGTERM");
    const { code, stderr } = await run.done;
    expect(code, stderr).toBe(143);
    // Almost always "0 ran, 16 skipped"; on a loaded machine a node or two may have started.
    expect(stderr).toMatch(/interrupted: \d+ ran, \d+ skipped in /);
    expect(existsSync(lock)).toBe(false);
  }, 60_000);

  it("ends at once on Ctrl-C while a stage module it loads hangs, holding no lock", async () => {
    // A configuration the executor memo does not know, so the main thread loads the module.
    const child = spawn(process.execPath, [join(REPO, "bin", "cmbflow.js"), "run", "pipeline.work.sleep_ms=7"], {
      cwd: project.dir,
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", NO_COLOR: "1", CMBFLOW_TEST_HANG_AT_LOAD: "1" },
      stdio: ["ignore", "ignore", "ignore"],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
    await new Promise((r) => setTimeout(r, 3000)); // well into the endless loop
    const t0 = Date.now();
    child.kill("SIGINT");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const { signal } = await exited;
    clearTimeout(timer);
    expect(signal).toBe("SIGINT");
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(existsSync(join(project.dir, "cache", "lock"))).toBe(false);
    const next = project.run(["run", "pipeline.work.sleep_ms=7", "--json"]);
    expect(next.code).toBe(0);
    expect(next.stderr).not.toContain("took over");
  }, 60_000);

  it("on SIGTERM while its threads hang in their start, ends without waiting out the grace period", async () => {
    // The executor memo knows the stage: the main thread does not load its module, and a forced
    // run's threads, started early, hang loading it (no --node-timeout to bound them).
    expect(project.run(["run", "--json"]).code).toBe(0);
    const child = spawn(process.execPath, [join(REPO, "bin", "cmbflow.js"), "run", "--force-all", "-j", "2"], {
      cwd: project.dir,
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", NO_COLOR: "1", CMBFLOW_TEST_HANG_AT_LOAD: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    await until(() => existsSync(join(project.dir, "cache", "lock")));
    await new Promise((r) => setTimeout(r, 2000)); // the units are queued behind the hung threads
    const t0 = Date.now();
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 40_000);
    const code = await exited;
    clearTimeout(timer);
    expect(Date.now() - t0, stderr).toBeLessThan(15_000);
    expect(code, stderr).toBe(143);
    expect(stderr).toMatch(/interrupted: 0 ran, 16 skipped in /);
    expect(existsSync(join(project.dir, "cache", "lock"))).toBe(false);
  }, 60_000);

  it("finishes and records the run when whoever reads its output goes away (EPIPE)", async () => {
    const child = spawn(process.execPath, [join(REPO, "bin", "cmbflow.js"), "run", "--force-all", "-j", "2"], {
      cwd: project.dir,
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Like `cmbflow run 2>&1 | head -0`: both pipes closed before the first line.
    child.stdout.destroy();
    child.stderr.destroy();
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    expect(code).toBe(0);
    expect(existsSync(join(project.dir, "cache", "lock"))).toBe(false);
    expect(totals(project.run(["run", "--json"]).stdout)).toMatchObject({ ran: 0, fresh: 16 });
  }, 60_000);

  it("a second SIGINT stops running nodes at once; their temporary files are removed and nothing half-done is recorded", async () => {
    const run = start(project.dir, ["pipeline.work.sleep_ms=30000", "--force-all", "-j", "2"]);
    await until(() => temporaries(project.dir).length >= 2);
    const t0 = Date.now();
    run.kill("SIGINT");
    await until(() => run.stderr().includes("SIGINT: stopping;"));
    run.kill("SIGINT");
    const { code, stderr } = await run.done;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(stderr).toContain("SIGINT: stopping running nodes now");
    // The two running nodes failed; the two waiting in the pool's queue never started.
    expect(stderr).toMatch(/interrupted: 0 ran, 2 failed, 14 skipped in /);
    expect(code).toBe(130);
    expect(temporaries(project.dir)).toEqual([]);
    const dry = project.run(["run", "pipeline.work.sleep_ms=30000", "--dry-run", "--json"]);
    const plan = JSON.parse(dry.stdout) as { stages: { name: string; run: number }[] };
    expect(plan.stages.find((s) => s.name === "work")?.run).toBe(8);
  }, 60_000);
});

describe("the scan cache of reductions", () => {
  const files: Record<string, string> = {
    ...FILES,
    "cfg/pipeline/jobs.yaml": `${FILES["cfg/pipeline/jobs.yaml"] ?? ""}sum:
  assets_out:
    total: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/total.txt"}
  assets_in:
    out: {stage: after}
  dir_name: C_Sum
  executor: stages/sum.ts#Sum
  scale: 1
`,
    "stages/sum.ts": `import { BaseStageExecutor, type Cfg, type NodeContext, type ScanResult } from "cmbflow";

export class Sum extends BaseStageExecutor {
  readonly #scale: number;
  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#scale = cfg.number(\`pipeline.\${stage}.scale\`);
  }
  async scan(ctx: NodeContext): Promise<Float64Array> {
    ctx.log.info("scanned", { sim: ctx.partition.sim });
    const text = await ctx.input<string>("out").read();
    return Float64Array.of(this.#scale * Number(/SIM (\\d+)/.exec(text)?.[1]));
  }
  async sift(results: readonly ScanResult<unknown>[], ctx: NodeContext): Promise<void> {
    const values = results.map((r) => (r.value as Float64Array)[0] ?? 0);
    await ctx.output<string>("total").write(\`\${String(values.length)} sims, sum \${String(values.reduce((a, b) => a + b, 0))}\\n\`);
  }
}
`,
  };
  let project: Project;
  beforeAll(() => {
    project = makeProject(files);
  });
  afterAll(() => project.cleanup());

  /** The sims the last run scanned, from the stage's own log lines in run.log. */
  const scannedSims = (): number[] => {
    const logs = join(project.dir, "data", "jobs", "Logs");
    const last = readdirSync(logs).sort().at(-1) ?? "";
    return readFileSync(join(logs, last, "run.log"), "utf8")
      .split("\n")
      .filter((line) => line.includes('"message":"scanned"'))
      .map((line) => (JSON.parse(line) as { fields: { sim: number } }).fields.sim)
      .sort((a, b) => a - b);
  };
  const total = (): string => readFileSync(join(project.dir, "data/jobs/C_Sum/total.txt"), "utf8");

  it("scans every simulation the first time", () => {
    expect(project.run(["run", "--json"]).code).toBe(0);
    expect(scannedSims()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(total()).toBe("8 sims, sum 28\n");
  });

  it("after more sims, scans only the new ones and sifts over all", () => {
    const result = project.run(["run", "splits.Train.n_sims=10", "--json"]);
    expect(result.code).toBe(0);
    expect(scannedSims()).toEqual([8, 9]);
    expect(total()).toBe("10 sims, sum 45\n");
  });

  it("scans everything again after a parameter of the reduction changes, or when it is forced", () => {
    expect(project.run(["run", "splits.Train.n_sims=10", "pipeline.sum.scale=2", "--json"]).code).toBe(0);
    expect(scannedSims()).toHaveLength(10);
    expect(total()).toBe("10 sims, sum 90\n");
    expect(project.run(["run", "splits.Train.n_sims=10", "pipeline.sum.scale=2", "--force", "sum", "--json"]).code).toBe(0);
    expect(scannedSims()).toHaveLength(10);
  });

  it("scans a simulation again when its input changed", () => {
    // work's output for sim 3 changes with the seed: every sim's input changes, so all are scanned.
    expect(project.run(["run", "splits.Train.n_sims=10", "pipeline.sum.scale=2", "seed=6", "--json"]).code).toBe(0);
    expect(scannedSims()).toHaveLength(10);
  });

  it("counts scan results in cache du, and gc removes those no current record's run used", () => {
    const du = (): { count: number; bytes: number } => (JSON.parse(project.run(["cache", "du", "--json"]).stdout) as { scan_results: { count: number; bytes: number } }).scan_results;
    // Keys so far: 8 + 2 (scale 1), 10 (scale 2; the forced run rewrote the same 10), 10 (seed 6).
    expect(du().count).toBe(30);
    const gc = JSON.parse(project.run(["cache", "gc", "--json"]).stdout) as { scan_results_removed: { count: number } };
    expect(gc.scan_results_removed.count).toBe(20);
    expect(du().count).toBe(10);
    // The ones kept are the ones the current records were made with: a hand-edited total
    // makes the reduction run again (not restore), and it sifts without scanning anything.
    project.write("data/jobs/C_Sum/total.txt", "edited\n");
    expect(project.run(["run", "splits.Train.n_sims=10", "pipeline.sum.scale=2", "seed=6"]).code).toBe(0);
    expect(scannedSims()).toEqual([]);
    expect(total()).toBe("10 sims, sum 90\n");
  });
});

describe("the executor memo", () => {
  // The stage module notes every time the main thread (not a worker) loads it.
  const files: Record<string, string> = {
    ...FILES,
    "stages/work.ts": `import { appendFileSync } from "node:fs";
import { isMainThread } from "node:worker_threads";
${(FILES["stages/work.ts"] ?? "").replace('import { setTimeout as sleep } from "node:timers/promises";\n', 'import { setTimeout as sleep } from "node:timers/promises";\n')}
if (isMainThread) appendFileSync("main-loads.txt", "loaded\\n");
`,
  };
  let project: Project;
  beforeAll(() => {
    project = makeProject(files);
  });
  afterAll(() => project.cleanup());
  const mainLoads = (): number => {
    try {
      return readFileSync(join(project.dir, "main-loads.txt"), "utf8").split("\n").filter((l) => l !== "").length;
    } catch {
      return 0;
    }
  };

  it("loads a stage's executor in the main thread only when its code or the configuration changed", () => {
    expect(project.run(["run"]).code).toBe(0);
    expect(mainLoads()).toBe(1);
    // Nothing changed: status, a dry run and a run all describe the stage from the memo.
    expect(project.run(["run", "--json"]).code).toBe(0);
    expect(project.run(["status"]).code).toBe(0);
    expect(project.run(["run", "--dry-run"]).code).toBe(0);
    expect(mainLoads()).toBe(1);
    // Another configuration: constructed again (its constructor may read other keys).
    expect(project.run(["run", "pipeline.work.sleep_ms=1", "--json"]).code).toBe(0);
    expect(mainLoads()).toBe(2);
    // Edited code: constructed again.
    project.write("stages/work.ts", `${files["stages/work.ts"] ?? ""}// edited\n`);
    const edited = project.run(["run", "pipeline.work.sleep_ms=1", "--json"]);
    expect(edited.code).toBe(0);
    expect(mainLoads()).toBe(3);
    expect(totals(edited.stdout).ran).toBeGreaterThanOrEqual(8);
  });
});
