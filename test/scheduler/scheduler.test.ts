import { describe, expect, it } from "vitest";
import type { NodeGraph } from "../../src/graph/node-graph.js";
import type { RunEvent } from "../../src/scheduler/events.js";
import type { AheadTask, NodeRunner, WorkResult, WorkTask } from "../../src/scheduler/node-runner.js";
import type { Judgement, NodeJudge, ScheduleOptions } from "../../src/scheduler/scheduler.js";
import { AHEAD_MAX_WAITS, AHEAD_REASON, schedule } from "../../src/scheduler/scheduler.js";
import { scanPartitions } from "../../src/core/run-node.js";
import { schedulerGraph } from "./fixture.js";
import { compilePipeline } from "../../src/graph/compile.js";
import { fromYaml, HANDLERS } from "../graph/fixture.js";

/** r (a singleton) → a per sim → b per sim. */
function singletonFirstGraph(sims: number): NodeGraph {
  const yaml = `
splits:
  name: "n"
  Train: {n_sims: ${String(sims)}}
pipeline:
  r:
    assets_out:
      s: {handler: Config, path_template: "{root}/{stage}/r.yaml"}
    dir_name: R
  a:
    assets_out:
      m: {handler: HealpyMap, path_template: "{root}/{stage}/{split}/{sim}/a.fits"}
    assets_in:
      s: {stage: r}
    dir_name: A
  b:
    assets_out:
      m: {handler: HealpyMap, path_template: "{root}/{stage}/{split}/{sim}/b.fits"}
    assets_in:
      m: {stage: a}
    dir_name: B
`;
  const compiled = compilePipeline(fromYaml(yaml), { handlers: HANDLERS });
  if (!compiled.ok) throw new Error(compiled.error.map((d) => d.message).join("\n"));
  return compiled.value.nodes;
}

const ok = (value?: unknown): WorkResult => ({ ok: true, outputs: [], ...(value === undefined ? {} : { value }), logs: [], lateReads: [] });

/** A runner whose units finish after a few event-loop turns; records what ran and how many at once. */
class FakeRunner implements NodeRunner {
  readonly tasks: WorkTask[] = [];
  running = 0;
  maxRunning = 0;
  constructor(
    readonly parallelism: number,
    readonly inFlight: number,
    readonly outcome: (task: WorkTask) => WorkResult | "lost" = () => ok(),
    /** Like a pool worker without --keep-going: a failed unit holds back queued ones itself, before the scheduler hears of it. */
    readonly holdsOnFailure = false,
  ) {}
  held = false;
  /** The sim whose scan goes to `outcome` (the others succeed with their sim number). */
  failScan: number | undefined;
  async run(task: WorkTask): Promise<WorkResult> {
    // Waits in the queue for a free worker, like a unit queued in a worker pool.
    for (;;) {
      await new Promise((r) => setImmediate(r));
      if (this.held) return { ok: false, notStarted: true, message: "not started", logs: [], lateReads: [] };
      if (this.running < this.parallelism) break;
    }
    this.tasks.push(task);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    this.running--;
    const outcome = task.kind === "scan" && task.partition.sim !== this.failScan ? ok(task.partition.sim) : this.outcome(task);
    if (outcome === "lost") throw new Error("its worker exited (code 1) while running the node");
    if (!outcome.ok && this.holdsOnFailure) this.held = true;
    return outcome;
  }
  holdBack(): void {
    this.held = true;
  }
  async terminate(): Promise<void> {}
  async close(): Promise<void> {}
}

function options(graph: NodeGraph, runner: NodeRunner, extra: Partial<ScheduleOptions> = {}): ScheduleOptions & { events: RunEvent[] } {
  const events: RunEvent[] = [];
  return {
    graph,
    stages: graph.stages.map((s) => s.stage.name),
    runner,
    kindOf: (stage) => (stage === "r" ? "scan-sift" : "process-sim"),
    scanPartitions: (n) => scanPartitions(graph.stages[graph.stageIndex[n] ?? 0]?.stage ?? graph.stages[0]!.stage, graph.partition(n)),
    outputPaths: () => [],
    keepGoing: false,
    onEvent: (e) => events.push(e),
    events,
    ...extra,
  };
}

const counts = (summary: Awaited<ReturnType<typeof schedule>>): Record<string, string> =>
  Object.fromEntries(summary.stages.map((s) => [s.name, `${String(s.ran)} ran ${String(s.fresh)} fresh ${String(s.restored)} restored ${String(s.failed)} failed ${String(s.skipped)} skipped`]));

describe("schedule", () => {
  it("runs every node after its dependencies, with no more in flight than the runner asks for, over 10k nodes", async () => {
    const graph = schedulerGraph(5000);
    const runner = new FakeRunner(2, 2);
    const order: string[] = [];
    const opts = options(graph, runner);
    const summary = await schedule({ ...opts, onEvent: (e) => e.type === "node-finished" && order.push(e.nodeId) });
    expect(summary.outcome).toBe("success");
    expect(summary.ran).toBe(10_001);
    expect(runner.maxRunning).toBe(2);
    const at = new Map(order.map((id, i) => [id, i]));
    for (let sim = 0; sim < 5000; sim++) expect(at.get(`a[split=Train,sim=${String(sim)}]`)).toBeLessThan(at.get(`b[split=Train,sim=${String(sim)}]`) ?? -1);
    expect(order.at(-1)).toBe("r");
  });

  it("runs a reduction's scans in parallel and its sift once, with the scans' results in simulation order", async () => {
    const runner = new FakeRunner(2, 2);
    await schedule(options(schedulerGraph(5), runner, { stages: ["r"] }));
    expect(runner.tasks.filter((t) => t.kind === "scan").map((t) => t.partition.sim)).toEqual([0, 1, 2, 3, 4]);
    expect(runner.maxRunning).toBe(2);
    const sift = runner.tasks.filter((t) => t.kind === "sift");
    expect(sift).toHaveLength(1);
    expect(sift[0]?.kind === "sift" ? sift[0].results.map((r) => r.value) : []).toEqual([0, 1, 2, 3, 4]);
  });

  it("stops starting nodes after a failure; with keepGoing runs everything that does not depend on it", async () => {
    const failing = (task: WorkTask): WorkResult =>
      task.nodeId === "a[split=Train,sim=1]" ? { ok: false, message: "cursed", stack: "Error: cursed\n    at stage.ts:1:1", logs: [], lateReads: [] } : ok();
    const stopped = await schedule(options(schedulerGraph(), new FakeRunner(1, 1, failing)));
    expect(stopped.outcome).toBe("failed");
    expect(stopped.failed).toEqual([{ stage: "a", nodeId: "a[split=Train,sim=1]", message: "cursed", stack: "Error: cursed\n    at stage.ts:1:1" }]);
    expect(counts(stopped)).toEqual({ a: "1 ran 0 fresh 0 restored 1 failed 1 skipped", b: "0 ran 0 fresh 0 restored 0 failed 3 skipped", r: "0 ran 0 fresh 0 restored 0 failed 1 skipped" });

    const opts = options(schedulerGraph(), new FakeRunner(2, 2, failing), { keepGoing: true });
    const going = await schedule(opts);
    expect(counts(going)).toEqual({ a: "2 ran 0 fresh 0 restored 1 failed 0 skipped", b: "2 ran 0 fresh 0 restored 0 failed 1 skipped", r: "0 ran 0 fresh 0 restored 0 failed 1 skipped" });
    expect(opts.events.filter((e) => e.type === "node-blocked")).toEqual([
      { type: "node-blocked", stage: "b", nodeId: "b[split=Train,sim=1]", failedDependency: "a[split=Train,sim=1]" },
      { type: "node-blocked", stage: "r", nodeId: "r", failedDependency: "b[split=Train,sim=1]" },
    ]);
  });

  it("hands units to the runner in node order even when an earlier node's sweep is slower", async () => {
    const failing = (task: WorkTask): WorkResult => (task.nodeId === "a[split=Train,sim=1]" ? { ok: false, message: "cursed", logs: [], lateReads: [] } : ok());
    const graph = schedulerGraph();
    const runner = new FakeRunner(1, 2, failing);
    // sim 0's folder is slow to sweep (a large folder), sim 1's is empty.
    const sweepDead = (paths: readonly string[]): Promise<void> => new Promise((r) => setTimeout(r, paths[0] === "a0" ? 40 : 0));
    const summary = await schedule(options(graph, runner, { sweepDead, outputPaths: (n) => (graph.id(n) === "a[split=Train,sim=0]" ? ["a0"] : ["other"]) }));
    expect(runner.tasks.map((t) => t.nodeId)).toEqual(["a[split=Train,sim=0]", "a[split=Train,sim=1]"]);
    expect(counts(summary).a).toBe("1 ran 0 fresh 0 restored 1 failed 1 skipped");
  });

  it("holds back units queued in the runner once a failure stops the run", async () => {
    const runner = new FakeRunner(1, 4, (task) => (task.nodeId === "a[split=Train,sim=0]" ? { ok: false, message: "cursed", logs: [], lateReads: [] } : ok()));
    const summary = await schedule(options(schedulerGraph(), runner));
    // a0, a1, a2 were all queued; a0 failed first, so a1 and a2 never started.
    expect(runner.tasks.map((t) => t.nodeId)).toEqual(["a[split=Train,sim=0]"]);
    expect(counts(summary)).toEqual({ a: "0 ran 0 fresh 0 restored 1 failed 2 skipped", b: "0 ran 0 fresh 0 restored 0 failed 3 skipped", r: "0 ran 0 fresh 0 restored 0 failed 1 skipped" });
  });

  it("reports a reduction whose scan failed even when the other scans were held back", async () => {
    const runner = new FakeRunner(2, 2, () => ({ ok: false, message: "scan cursed", logs: [], lateReads: [] }), true);
    runner.failScan = 1;
    const opts = options(schedulerGraph(5), runner, { stages: ["r"] });
    const summary = await schedule(opts);
    // Scans of sims 0 and 1 ran together; 1 failed and held back the scan of sim 2, queued meanwhile.
    expect(runner.tasks.map((t) => (t.kind === "scan" ? t.partition.sim : t.kind))).toEqual([0, 1]);
    expect(summary.outcome).toBe("failed");
    expect(summary.failed).toEqual([{ stage: "r", nodeId: "r", message: "scan cursed" }]);
    expect(counts(summary)).toEqual({ r: "0 ran 0 fresh 0 restored 1 failed 0 skipped" });
  });

  it("fails only the node whose worker died, and has the temporaries it left swept (the scheduler itself touches no file)", async () => {
    const runner = new FakeRunner(2, 2, (task) => (task.nodeId === "a[split=Train,sim=0]" ? "lost" : ok()));
    const swept: string[][] = [];
    const sweepLost = (paths: readonly string[]): Promise<void> => {
      swept.push([...paths]);
      return Promise.resolve();
    };
    const summary = await schedule(options(schedulerGraph(), runner, { keepGoing: true, sweepLost, outputPaths: (n) => [`out${String(n)}.fits`] }));
    expect(summary.failed.map((f) => [f.nodeId, f.message])).toEqual([["a[split=Train,sim=0]", "its worker exited (code 1) while running the node"]]);
    expect(summary.ran).toBe(4);
    expect(swept).toEqual([["out0.fits"]]);
  });

  it("on abort lets running nodes finish, skips the rest and reports the run interrupted", async () => {
    const interrupt = new AbortController();
    const runner = new FakeRunner(2, 2, (task) => {
      if (task.nodeId === "a[split=Train,sim=0]") interrupt.abort();
      return ok();
    });
    const summary = await schedule(options(schedulerGraph(), runner, { signal: interrupt.signal }));
    expect(summary.outcome).toBe("interrupted");
    // a0 and a1 were running together when the interrupt came; both finish, nothing else starts.
    expect(counts(summary)).toEqual({ a: "2 ran 0 fresh 0 restored 0 failed 1 skipped", b: "0 ran 0 fresh 0 restored 0 failed 3 skipped", r: "0 ran 0 fresh 0 restored 0 failed 1 skipped" });
  });

  it("asks the judge first: fresh nodes never reach the runner, restorable ones are restored, the rest run and are recorded", async () => {
    const graph = schedulerGraph();
    const recorded: string[] = [];
    const judge: NodeJudge = {
      assess: (n) => {
        const sim = graph.partition(n).sim;
        const j: Judgement = sim === 0 ? { fresh: true } : { fresh: false, reasons: ["never run"], restorable: sim === 1, token: n };
        return Promise.resolve(j);
      },
      restore: (n) => Promise.resolve([`/restored/${graph.id(n)}`]),
      record: (n) => {
        recorded.push(graph.id(n));
        return Promise.resolve({ recorded: true });
      },
    };
    const runner = new FakeRunner(2, 2);
    const summary = await schedule(options(graph, runner, { judge }));
    expect(counts(summary)).toEqual({ a: "1 ran 1 fresh 1 restored 0 failed 0 skipped", b: "1 ran 1 fresh 1 restored 0 failed 0 skipped", r: "1 ran 0 fresh 0 restored 0 failed 0 skipped" });
    expect(runner.tasks.filter((t) => t.kind === "node").map((t) => t.nodeId)).toEqual(["a[split=Train,sim=2]", "b[split=Train,sim=2]"]);
    expect(recorded.sort()).toEqual(["a[split=Train,sim=2]", "b[split=Train,sim=2]", "r"]);
  });

  it("runs a node whose restore failed, after an event that says why", async () => {
    const graph = schedulerGraph();
    const judge: NodeJudge = {
      assess: (n) => Promise.resolve(graph.id(n) === "a[split=Train,sim=1]" ? { fresh: false, reasons: ["params"], restorable: true, token: n } : { fresh: true }),
      restore: () => Promise.resolve({ failed: "the cached copy of a.txt is corrupt" }),
      record: () => Promise.resolve({ recorded: true }),
    };
    const runner = new FakeRunner(2, 2);
    const opts = options(graph, runner, { judge });
    const summary = await schedule(opts);
    expect(opts.events.filter((e) => e.type === "node-restore-failed")).toEqual([
      { type: "node-restore-failed", stage: "a", nodeId: "a[split=Train,sim=1]", reason: "the cached copy of a.txt is corrupt" },
    ]);
    expect(runner.tasks.map((t) => t.nodeId)).toEqual(["a[split=Train,sim=1]"]);
    expect(counts(summary)["a"]).toBe("1 ran 2 fresh 0 restored 0 failed 0 skipped");
  });
});

describe("a node that changed during the run", () => {
  /** Tags each unit's result with what it "ran with": a code file named after the unit's kind, its digest the unit's sim. */
  class TaggingRunner extends FakeRunner {
    override async run(task: WorkTask): Promise<WorkResult> {
      const result = await super.run(task);
      return result.ok ? { ...result, ranWith: { config: "c", code: [{ file: `${task.kind}.ts`, digest: String(task.partition.sim ?? "all") }] } } : result;
    }
  }

  it("fails when the judge does not record it, with the changes named, and blocks its dependents", async () => {
    const graph = schedulerGraph();
    const judge: NodeJudge = {
      assess: () => ({ fresh: false, reasons: ["never run"], restorable: false, token: undefined }),
      restore: () => Promise.resolve({ failed: "not restorable" }),
      record: (n) => Promise.resolve(graph.id(n) === "a[split=Train,sim=1]" ? { recorded: false, changes: ["input x.txt (of u) changed"] } : { recorded: true }),
    };
    const opts = options(graph, new FakeRunner(1, 1), { judge, keepGoing: true });
    const summary = await schedule(opts);
    expect(summary.failed).toEqual([
      { stage: "a", nodeId: "a[split=Train,sim=1]", message: "changed during the run: input x.txt (of u) changed. Its outputs are kept but not recorded, so the next run runs it again" },
    ]);
    expect(counts(summary)).toEqual({ a: "2 ran 0 fresh 0 restored 1 failed 0 skipped", b: "2 ran 0 fresh 0 restored 0 failed 1 skipped", r: "0 ran 0 fresh 0 restored 0 failed 1 skipped" });
    expect(opts.events.filter((e) => e.type === "node-blocked").map((e) => e.type === "node-blocked" && e.nodeId)).toEqual(["b[split=Train,sim=1]", "r"]);
  });

  it("hands the judge what every unit of a reduction ran with: each scan's and the sift's", async () => {
    const graph = schedulerGraph();
    const seen = new Map<string, readonly string[]>();
    const judge: NodeJudge = {
      assess: () => ({ fresh: false, reasons: ["never run"], restorable: false, token: undefined }),
      restore: () => Promise.resolve({ failed: "not restorable" }),
      record: (n, _j, _o, units) => {
        seen.set(graph.id(n), units.map((u) => `${u.code[0]?.file ?? ""}@${u.code[0]?.digest ?? ""}`));
        return Promise.resolve({ recorded: true });
      },
    };
    await schedule(options(graph, new TaggingRunner(2, 2), { judge }));
    expect(seen.get("a[split=Train,sim=2]")).toEqual(["node.ts@2"]);
    expect([...(seen.get("r") ?? [])].sort()).toEqual(["scan.ts@0", "scan.ts@1", "scan.ts@2", "sift.ts@all"]);
  });

  it("hands the judge and the events what a node's units cost their threads: work summed, the highest peak", async () => {
    const graph = schedulerGraph();
    // Each unit reports a cost the test can tell apart: a unit of sim k (the sift: k = 10) took k+1 ms and peaked at 100·(k+1) bytes.
    class CostRunner extends FakeRunner {
      override async run(task: WorkTask): Promise<WorkResult> {
        const k = task.kind === "sift" ? 10 : (task.partition.sim ?? 0);
        return { ...(await super.run(task)), usage: { workMs: k + 1, heapStartBytes: 50, heapPeakBytes: 100 * (k + 1) } };
      }
    }
    const runner = new CostRunner(2, 2);
    const recorded = new Map<string, unknown>();
    const judge: NodeJudge = {
      assess: () => ({ fresh: false, reasons: ["never run"], restorable: false, token: undefined }),
      restore: () => Promise.resolve({ failed: "not restorable" }),
      record: (n, _j, _o, _r, _s, _d, usage) => {
        recorded.set(graph.id(n), usage);
        return Promise.resolve({ recorded: true });
      },
    };
    const opts = options(graph, runner, { judge });
    await schedule(opts);
    expect(recorded.get("a[split=Train,sim=2]")).toEqual({ workMs: 3, heapPeakBytes: 300, heapGrowthBytes: 250 });
    // The reduction: three scans (1 + 2 + 3 ms) and the sift (11 ms), whose peak (1100) is the highest.
    expect(recorded.get("r")).toEqual({ workMs: 17, heapPeakBytes: 1100, heapGrowthBytes: 1050 });
    const finished = opts.events.find((e) => e.type === "node-finished" && e.nodeId === "r");
    expect(finished).toMatchObject({ usage: { workMs: 17, heapPeakBytes: 1100 } });
  });
});

describe("releasing units' results", () => {
  /** Logs, in order, each node's recording and each unit the scheduler releases. */
  class ReleasingRunner extends FakeRunner {
    constructor(
      readonly log: string[],
      outcome?: (task: WorkTask) => WorkResult | "lost",
    ) {
      super(2, 2, outcome);
    }
    release(task: WorkTask): Promise<void> {
      this.log.push(`release ${task.kind} ${task.nodeId}${task.kind === "scan" ? ` sim ${String(task.partition.sim)}` : ""}`);
      return Promise.resolve();
    }
  }

  it("releases each unit a node ran (a reduction's scans and sift) only after the node is recorded", async () => {
    const graph = schedulerGraph(2);
    const log: string[] = [];
    const judge: NodeJudge = {
      assess: () => ({ fresh: false, reasons: ["never run"], restorable: false, token: undefined }),
      restore: () => Promise.resolve({ failed: "not restorable" }),
      record: (n) => {
        log.push(`record ${graph.id(n)}`);
        return Promise.resolve({ recorded: true });
      },
    };
    await schedule(options(graph, new ReleasingRunner(log), { judge }));
    // Per node: its record first, then its units' release (a coordinator that dies in between leaves the result for the next).
    const forNode = (id: string): string[] => log.filter((l) => l.endsWith(` ${id}`) || l.includes(` ${id} sim `));
    expect(forNode("a[split=Train,sim=1]")).toEqual(["record a[split=Train,sim=1]", "release node a[split=Train,sim=1]"]);
    expect(forNode("r")).toEqual(["record r", "release scan r sim 0", "release scan r sim 1", "release sift r"]);
    expect(log.filter((l) => l.startsWith("release"))).toHaveLength(2 + 2 + 3);
  });

  it("releases the units of a node that failed or whose worker was lost too", async () => {
    const log: string[] = [];
    const outcome = (task: WorkTask): WorkResult | "lost" =>
      task.nodeId === "a[split=Train,sim=0]" ? { ok: false, message: "cursed", logs: [], lateReads: [] } : task.nodeId === "a[split=Train,sim=1]" ? "lost" : ok();
    const summary = await schedule(options(schedulerGraph(2), new ReleasingRunner(log, outcome), { keepGoing: true }));
    expect(summary.failed.map((f) => f.nodeId)).toEqual(["a[split=Train,sim=0]", "a[split=Train,sim=1]"]);
    expect(log).toEqual(["release node a[split=Train,sim=0]", "release node a[split=Train,sim=1]"]);
  });
});

describe("schedule events", () => {
  it("announces a stage before any of its nodes, and finishes it after the last", async () => {
    const opts = options(schedulerGraph(), new FakeRunner(2, 2));
    await schedule(opts);
    for (const stage of ["a", "b", "r"]) {
      const mine = opts.events.filter((e) => ("stage" in e && e.stage === stage) || (e.type === "node-failed" && e.failure.stage === stage));
      expect(mine[0]?.type).toBe("stage-started");
      expect(mine.at(-1)?.type).toBe("stage-finished");
    }
  });

  describe("work handed ahead (NodeRunner.ahead)", () => {
    /** A FakeRunner that keeps what it was handed ahead, and may vouch it withdrew a unit unsent. */
    class AheadRunner extends FakeRunner {
      readonly handed: { task: string; after: string[] }[] = [];
      readonly withdrawn: string[] = [];
      constructor(
        outcome: (task: WorkTask) => WorkResult = () => ok(),
        readonly canWithdraw = false,
      ) {
        super(4, 100, outcome);
      }
      ahead(tasks: readonly AheadTask[]): void {
        for (const t of tasks) this.handed.push({ task: t.task.nodeId, after: t.after.map((a) => a.nodeId) });
      }
      withdraw(task: WorkTask): boolean {
        this.withdrawn.push(task.nodeId);
        return this.canWithdraw;
      }
    }
    const stale = (): Judgement => ({ fresh: false, reasons: ["never run"], restorable: false, token: undefined });

    it("hands each node going to the runner with the dependents that can follow it, never a reduction", async () => {
      const graph = schedulerGraph(2);
      const runner = new AheadRunner();
      const summary = await schedule(options(graph, runner));
      expect(summary.outcome).toBe("success");
      expect(runner.handed).toEqual([
        { task: "a[split=Train,sim=0]", after: [] },
        { task: "b[split=Train,sim=0]", after: ["a[split=Train,sim=0]"] },
        { task: "a[split=Train,sim=1]", after: [] },
        { task: "b[split=Train,sim=1]", after: ["a[split=Train,sim=1]"] },
      ]);
      // Each handed node is still asked for (its result taken only then), after its upstream.
      expect(runner.tasks.filter((t) => t.kind === "node").map((t) => t.nodeId)).toEqual(["a[split=Train,sim=0]", "a[split=Train,sim=1]", "b[split=Train,sim=0]", "b[split=Train,sim=1]"]);
    });

    it("hands nothing ahead after a node that spreads to more than AHEAD_MAX_WAITS dependents, or that gathers more", async () => {
      const wide = AHEAD_MAX_WAITS + 1;
      // r (a singleton) -> a[sim] -> b[sim]: a's nodes all follow r, so handed with r they would be one chain.
      const spread = singletonFirstGraph(wide);
      const runner = new AheadRunner();
      expect((await schedule({ ...options(spread, runner), kindOf: () => "process-sim" })).outcome).toBe("success");
      expect(runner.handed.filter((h) => h.after.includes("r"))).toEqual([]);
      // Each a[sim] still takes its own b[sim] along once r is recorded.
      expect(runner.handed.filter((h) => h.task.startsWith("b"))).toHaveLength(wide);
      // a[sim] -> b[sim] -> r, r taken as a plain node: it waits on every b.
      const gather = schedulerGraph(wide);
      const other = new AheadRunner();
      await schedule({ ...options(gather, other), kindOf: () => "process-sim" });
      // r is handed only as it goes to the runner itself, ready, following nothing.
      expect(other.handed.filter((h) => h.task === "r")).toEqual([{ task: "r", after: [] }]);
    });

    it("never asks for a node handed ahead whose upstream failed", async () => {
      const graph = schedulerGraph(2);
      const runner = new AheadRunner((t) => (t.nodeId === "a[split=Train,sim=1]" ? { ok: false, message: "cursed", logs: [], lateReads: [] } : ok()));
      const summary = await schedule(options(graph, runner, { keepGoing: true }));
      expect(runner.handed.map((h) => h.task)).toContain("b[split=Train,sim=1]");
      expect(runner.tasks.map((t) => t.nodeId)).not.toContain("b[split=Train,sim=1]");
      expect(counts(summary)["b"]).toBe("1 ran 0 fresh 0 restored 0 failed 1 skipped");
    });

    it("runs a node handed ahead that is judged fresh (its upstream ran to the same bytes), unless the runner withdraws it unsent", async () => {
      const graph = schedulerGraph(1);
      const forcedAsked: string[] = [];
      const judge = (): NodeJudge => ({
        assess: (n, forced) => {
          if (forced) forcedAsked.push(graph.id(n));
          return graph.id(n).startsWith("b") && !forced ? { fresh: true } : stale();
        },
        restore: () => Promise.resolve({ failed: "no" }),
        record: () => Promise.resolve({ recorded: true }),
      });
      const sent = new AheadRunner();
      const opts = options(graph, sent, { judge: judge(), stages: ["a", "b"] });
      const ran = await schedule(opts);
      expect(counts(ran)["b"]).toBe("1 ran 0 fresh 0 restored 0 failed 0 skipped");
      expect(forcedAsked).toEqual(["b[split=Train,sim=0]"]);
      expect(opts.events.find((e) => e.type === "node-started" && e.stage === "b")).toMatchObject({ reasons: [AHEAD_REASON] });

      forcedAsked.length = 0;
      const unsent = new AheadRunner(() => ok(), true);
      const kept = await schedule(options(graph, unsent, { judge: judge(), stages: ["a", "b"] }));
      expect(counts(kept)["b"]).toBe("0 ran 1 fresh 0 restored 0 failed 0 skipped");
      expect(unsent.withdrawn).toEqual(["b[split=Train,sim=0]"]);
      expect(forcedAsked).toEqual([]);
    });

    it("does not restore a node handed ahead (the runner may be writing its outputs), nor sweep beside its outputs", async () => {
      const graph = schedulerGraph(1);
      const restored: string[] = [];
      const swept: number[] = [];
      const judge: NodeJudge = {
        assess: (n) => (graph.id(n).startsWith("b") ? { fresh: false, reasons: ["params"], restorable: true, token: n } : stale()),
        restore: (n) => {
          restored.push(graph.id(n));
          return Promise.resolve([]);
        },
        record: () => Promise.resolve({ recorded: true }),
      };
      const runner = new AheadRunner();
      await schedule(options(graph, runner, { judge, stages: ["a", "b"], outputPaths: (n) => [String(n)], sweepDead: (paths) => Promise.resolve(swept.push(...paths.map(Number))) }));
      expect(restored).toEqual([]);
      expect(runner.tasks.map((t) => t.nodeId)).toEqual(["a[split=Train,sim=0]", "b[split=Train,sim=0]"]);
      expect(swept.map((n) => graph.id(n))).toEqual(["a[split=Train,sim=0]"]);
    });
  });
});
