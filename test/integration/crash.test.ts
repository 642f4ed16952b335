/**
 * Issue 5 §6, the crash scenario: a `run` killed with SIGKILL in the middle leaves no partial
 * file at any output path, its lock is taken over by the next run with a message, and the
 * next run does only the nodes that were not recorded.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject, REPO } from "./project.js";

const SIMS = 20;

/** What the slow stage writes for a sim: about 1 MiB, so a torn write would show. */
const content = (sim: number): string => `sim ${String(sim)}\n${"0123456789abcdef".repeat(65_536)}end\n`;

const FILES: Record<string, string> = {
  "cfg/config.yaml": "defaults:\n  - splits: twenty\n  - pipeline: slow\n  - _self_\ndataset_name: crash\nseed: 3\n",
  "cfg/splits/twenty.yaml": `name: twenty\nTrain:\n  n_sims: ${String(SIMS)}\n`,
  "cfg/pipeline/slow.yaml": `slow:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  dir_name: A_Slow
  executor: stages/slow.ts#Slow
count:
  assets_out:
    count: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/count.txt"}
  assets_in:
    out: {stage: slow}
  dir_name: B_Count
  executor: stages/count.ts#Count
`,
  "stages/slow.ts": `import { setTimeout as sleep } from "node:timers/promises";
import { BaseStageExecutor, type NodeContext } from "cmbflow";

export class Slow extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    await sleep(100);
    const sim = ctx.partition.sim ?? 0;
    await ctx.output<string>("out").write(\`sim \${String(sim)}\\n\${"0123456789abcdef".repeat(65_536)}end\\n\`);
  }
}
`,
  "stages/count.ts": `import { BaseStageExecutor, type NodeContext, type ScanResult } from "cmbflow";

export class Count extends BaseStageExecutor {
  async scan(ctx: NodeContext): Promise<number> {
    return (await ctx.input<string>("out").read()).length;
  }
  async sift(results: readonly ScanResult<unknown>[], ctx: NodeContext): Promise<void> {
    await ctx.output<string>("count").write(\`\${String(results.length)} files, \${String(results.reduce((s, r) => s + (r.value as number), 0))} characters\\n\`);
  }
}
`,
};

interface Counts {
  ran: number;
  fresh: number;
  restored: number;
  failed: number;
  skipped: number;
}

describe("a run killed in the middle", () => {
  let project: Project;
  let train: string;
  let killedPid = 0;
  let recorded = 0;
  /** A sim whose node the killed run recorded. */
  let recordedSim = -1;
  const outputs = (): number[] =>
    existsSync(train)
      ? readdirSync(train)
          .filter((d) => existsSync(join(train, d, "out.txt")))
          .map((d) => Number(d.replace("sim", "")))
      : [];

  beforeAll(async () => {
    project = makeProject(FILES);
    train = join(project.dir, "data", "crash", "A_Slow", "Train");
    const child = spawn(process.execPath, [join(REPO, "bin", "cmbflow.js"), "run", "-q"], {
      cwd: project.dir,
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", NO_COLOR: "1" },
      stdio: "ignore",
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    // Kill once a few nodes have finished: the run is then certainly in the middle.
    const deadline = Date.now() + 30_000;
    while (outputs().length < 3 && Date.now() < deadline) await sleep(10);
    child.kill("SIGKILL");
    // Waiting for "exit" also reaps the process, so its pid is really gone (a zombie would look alive).
    expect(await exited).toBe("SIGKILL");
    killedPid = child.pid ?? 0;
  });
  afterAll(() => project.cleanup());

  it("was killed with some nodes done and some not, and left its lock behind", () => {
    const done = outputs().length;
    expect(done).toBeGreaterThanOrEqual(3);
    expect(done).toBeLessThan(SIMS);
    const lock = JSON.parse(readFileSync(join(project.dir, "cache", "lock"), "utf8")) as { pid: number };
    expect(lock.pid).toBe(killedPid);
  });

  it("left no partial file at any output path", () => {
    for (const sim of outputs()) {
      expect(readFileSync(join(train, `sim${String(sim).padStart(4, "0")}`, "out.txt"), "utf8") === content(sim), `sim ${String(sim)}`).toBe(true);
    }
  });

  it("plans to run exactly the nodes without a record (a dry run does not need the lock)", () => {
    const dry = project.run(["run", "--dry-run", "--json"]);
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout) as { stages: { name: string; run: number; restore: number; fresh: number }[]; nodes: { id: string }[] };
    const slow = plan.stages.find((s) => s.name === "slow");
    recorded = slow?.fresh ?? -1;
    const toRun = new Set(plan.nodes.map((n) => n.id));
    recordedSim = outputs().find((sim) => !toRun.has(`slow[split=Train,sim=${String(sim)}]`)) ?? -1;
    // A node killed between the rename of its output and its record is not recorded: at most
    // one per worker thread (the run used the default, one per core).
    expect(recorded).toBeGreaterThanOrEqual(outputs().length - availableParallelism());
    expect(recorded).toBeLessThanOrEqual(outputs().length);
    expect(slow).toEqual({ name: "slow", run: SIMS - recorded, restore: 0, may_run: 0, fresh: recorded, reasons: { "never run": SIMS - recorded } });
  });

  it("takes the dead run's lock over with a message and runs only the unfinished nodes", () => {
    // What a write cut off by the kill leaves: a temporary beside an unfinished node's output,
    // and (from an earlier kill, say) one beside a finished node's.
    const simDir = (sim: number): string => join(train, `sim${String(sim).padStart(4, "0")}`);
    mkdirSync(simDir(SIMS - 1), { recursive: true });
    writeFileSync(join(simDir(SIMS - 1), `.out.txt.cmbflow-${String(killedPid)}-1-99.tmp`), "sim 19\n01234");
    expect(recordedSim).toBeGreaterThanOrEqual(0);
    writeFileSync(join(simDir(recordedSim), `.out.txt.cmbflow-${String(killedPid)}-1-98.tmp`), "partial\n01234");
    const result = project.run(["run", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const holder = `pid ${String(killedPid)} on host ${escape(hostname())}`;
    expect(result.stderr).toMatch(
      new RegExp(
        `^note: Took over the cache lock of ${holder} \\(started [-0-9T:.]+Z\\), which is no longer running\\.\\n` +
          `note: Took over the data folder's lock of ${holder}, project ${escape(project.dir)} \\(started [-0-9T:.]+Z\\), which is no longer running\\.\\n$`,
      ),
    );
    expect(existsSync(join(project.dir, "data", "crash", ".cmbflow-lock"))).toBe(false);
    const summary = JSON.parse(result.stdout) as { stages: ({ name: string } & Counts)[] };
    expect(summary.stages).toEqual([
      { name: "slow", ran: SIMS - recorded, fresh: recorded, restored: 0, failed: 0, skipped: 0 },
      { name: "count", ran: 1, fresh: 0, restored: 0, failed: 0, skipped: 0 },
    ]);
    for (let sim = 0; sim < SIMS; sim++) {
      expect(readFileSync(join(train, `sim${String(sim).padStart(4, "0")}`, "out.txt"), "utf8") === content(sim), `sim ${String(sim)}`).toBe(true);
    }
    expect(readFileSync(join(project.dir, "data", "crash", "B_Count", "count.txt"), "utf8")).toBe(`${String(SIMS)} files, ${String(SIMS * content(0).length + 10)} characters\n`);
    expect(existsSync(join(project.dir, "cache", "lock"))).toBe(false);
  });

  it("removed the temporaries of the nodes it ran; cache gc removes the rest", () => {
    const temporaries = (): string[] => readdirSync(train, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".tmp"));
    expect(temporaries()).toEqual([join(`sim${String(recordedSim).padStart(4, "0")}`, `.out.txt.cmbflow-${String(killedPid)}-1-98.tmp`)]);
    const gc = project.run(["cache", "gc"]);
    // At least the one planted; the kill may also have cut a copy into cache/objects short.
    expect(gc.stdout).toMatch(/^removed [1-9]\d* stale temporary files?$/m);
    expect(temporaries()).toEqual([]);
  });

  it("then finds everything fresh", () => {
    const result = project.run(["run", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    const summary = JSON.parse(result.stdout) as { stages: ({ name: string } & Counts)[] };
    expect(summary.stages.map((s) => [s.name, s.ran, s.fresh])).toEqual([
      ["slow", 0, SIMS],
      ["count", 0, 1],
    ]);
  });
});
