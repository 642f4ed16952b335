/**
 * The scheduler: takes ready nodes from the planner, judges each (fresh nodes are done at
 * once, restorable ones restored), and hands the rest to a runner, keeping at most
 * the runner's `inFlight` nodes in flight so a run of 100k nodes never holds 100k tasks. A
 * reduction's scans run in parallel; its sift runs once every scan is in.
 *
 * Failures: a node whose stage threw fails with the stage's message and stack; a node
 * whose worker died or timed out fails the same way, its temporary files swept. By default
 * nothing new starts after a failure and running nodes finish; with `keepGoing` every node
 * that does not depend on a failure still runs. An abort of `signal` (Ctrl-C) stops
 * scheduling the same way; the runner's `terminate` (a second Ctrl-C) stops running nodes.
 *
 * Handing work ahead: a runner whose every round trip is slow (Slurm: a submission, a queue
 * wait and a process start per batch) is told, as a node goes to it, which dependents will
 * follow it (`NodeRunner.ahead`), so it can run them in the same batch. Such a node is still
 * judged when its dependencies are recorded, and its result taken only then, and only when it
 * is to run: a node blocked by a failure is never asked for. One judged fresh (its upstream
 * ran again to the same bytes) is run anyway, since its work may already be done or under
 * way: early cut-off is lost for work handed ahead, never soundness.
 */
import PQueue from "p-queue";
import type { NodeGraph } from "../graph/node-graph.js";
import type { Partition } from "../graph/partition.js";
import type { EventSink, NodeFailure, RunOutcome, StageCounts } from "./events.js";
import type { AheadTask, NodeRunner, RanWith, ScanResult, WorkKind, WorkResult, WorkTask, WrittenOutput } from "./node-runner.js";
import { NodeState, Planner } from "./planner.js";
import type { NodeUsage, UnitUsage } from "./unit-usage.js";
import { nodeUsage } from "./unit-usage.js";

/** The incremental engine's view of a node, as the scheduler needs it. */
export type Judgement =
  | { readonly fresh: true }
  | { readonly fresh: false; readonly reasons: readonly string[]; readonly restorable: boolean; readonly token: unknown };

/**
 * Whether a node that ran was recorded. Not when something it ran with (an input file, its
 * code, the configuration) changed after it was judged: its outputs stay on disk, unrecorded,
 * and the node is stale ("changed during the run") until it runs again.
 */
export type RecordOutcome = { readonly recorded: true } | { readonly recorded: false; readonly changes: readonly string[] };

/** Decides, restores and records nodes (implemented over the cache engine). */
export interface NodeJudge {
  /** Whether node n must run, and why. Called when all its dependencies are done; answers at once when it can (a fresh node). */
  assess(node: number, forced: boolean): Judgement | Promise<Judgement>;
  /** Restores a restorable node's outputs: their paths, or why the store could not (the node then runs). */
  restore(node: number, judgement: Judgement): Promise<readonly string[] | { readonly failed: string }>;
  /**
   * Records a node that ran, after its outputs are in place, unless what its units ran with
   * (`ranWith`, one per unit: a reduction has its scans' and its sift's) or its input files
   * changed since it was judged.
   */
  record(node: number, judgement: Judgement, outputs: readonly WrittenOutput[], ranWith: readonly RanWith[], startedAt: Date, durationMs: number, usage?: NodeUsage): Promise<RecordOutcome>;
}

/** Per-simulation scan results of reductions (implemented over the cache engine's scan cache). */
export interface ScanMemo {
  /** The keys of node n's scans of `partitions`, in order; undefined where a scan cannot be keyed (it then always runs). */
  keys(node: number, partitions: readonly Partition[]): readonly (string | undefined)[] | Promise<readonly (string | undefined)[]>;
  get(key: string): Promise<{ readonly value: unknown } | undefined>;
  /** Keeps node n's scan result under `key`, unless the scan ran with other code or configuration than the key was made from. */
  put(node: number, key: string, value: unknown, ranWith: RanWith | undefined): Promise<void>;
}

/**
 * Most dependencies not done yet that a node handed ahead may wait on, and most dependents
 * that such a dependency may have. A node that gathers more (a stage over every simulation),
 * or one that spreads to more (a singleton every simulation reads), would tie all their chains
 * into one batch, run one after another instead of side by side: such a node's dependents go
 * to the runner when it is recorded.
 */
export const AHEAD_MAX_WAITS = 16;

/** Why a node handed ahead, and so perhaps run already, is run although judged fresh. */
export const AHEAD_REASON = "ran ahead with its upstream (its work was handed to the runner before the upstream was recorded)";

/** Everything a schedule needs, passed in (so tests swap in fakes). */
export interface ScheduleOptions {
  readonly graph: NodeGraph;
  /** Stages that run, in topological order; nodes of other stages count as done. */
  readonly stages: readonly string[];
  /** Nodes to run, among those stages' nodes; default all. */
  readonly selected?: ReadonlySet<number>;
  readonly forced?: ReadonlySet<number>;
  readonly runner: NodeRunner;
  /** Without a judge every node runs and nothing is recorded. */
  readonly judge?: NodeJudge;
  readonly kindOf: (stage: string) => WorkKind;
  /** The simulations a reduction node scans. */
  readonly scanPartitions: (node: number) => Partition[];
  /** Scan results kept per simulation; without it every scan runs. */
  readonly scans?: ScanMemo;
  /** A node's output paths, where they can be formed (for sweeping temporaries). */
  readonly outputPaths: (node: number) => readonly string[];
  /**
   * Removes the temporaries a killed run left beside these outputs, before a node runs (the
   * output transaction's business: the scheduler touches no file); default nothing.
   */
  readonly sweepDead?: (paths: readonly string[]) => Promise<unknown>;
  /** Removes this process's temporaries beside these outputs, after a unit that could not finish; default nothing. */
  readonly sweepLost?: (paths: readonly string[]) => Promise<unknown>;
  readonly keepGoing: boolean;
  readonly onEvent: EventSink;
  /** Recorded with the run-started event. */
  readonly runId?: string;
  /** Aborting stops scheduling: running nodes finish, the rest are skipped. */
  readonly signal?: AbortSignal;
}

/** What a schedule did. */
export interface ScheduleSummary {
  readonly outcome: RunOutcome;
  readonly ran: number;
  readonly failed: readonly NodeFailure[];
  readonly stages: readonly ({ readonly name: string } & StageCounts)[];
}

interface StageTally {
  readonly name: string;
  remaining: number;
  started: boolean;
  startedAt: number;
  readonly counts: { ran: number; fresh: number; restored: number; failed: number; skipped: number };
  readonly lateReads: Set<string>;
}

/** Runs the selected nodes; resolves when every one is done, failed or skipped. */
export async function schedule(options: ScheduleOptions): Promise<ScheduleSummary> {
  const { graph, runner, judge, onEvent: emit } = options;
  const stageNames = new Set(options.stages);
  const selected = new Set<number>();
  const tallies = new Map<number, StageTally>();
  for (const [si, s] of graph.stages.entries()) {
    if (!stageNames.has(s.stage.name)) continue;
    const tally: StageTally = {
      name: s.stage.name,
      remaining: 0,
      started: false,
      startedAt: 0,
      counts: { ran: 0, fresh: 0, restored: 0, failed: 0, skipped: 0 },
      lateReads: new Set(),
    };
    for (let n = s.first; n < s.first + s.count; n++) {
      if (options.selected !== undefined && !options.selected.has(n)) continue;
      selected.add(n);
      tally.remaining++;
    }
    tallies.set(si, tally);
  }
  const planner = new Planner(graph, selected);
  const failed: NodeFailure[] = [];
  let ran = 0;
  let stopping = false;
  let interrupted = false;
  const tallyOf = (n: number): StageTally => {
    const t = tallies.get(graph.stageIndex[n] ?? 0);
    if (t === undefined) throw new Error(`Internal error: node ${graph.id(n)} of a stage that does not run`);
    return t;
  };
  const startStage = (t: StageTally): void => {
    if (t.started) return;
    t.started = true;
    t.startedAt = performance.now();
    emit({ type: "stage-started", stage: t.name, nodes: t.remaining });
  };
  const finishStage = (t: StageTally): void => {
    for (const key of t.lateReads) {
      emit({
        type: "warning",
        stage: t.name,
        message: `stage "${t.name}" read config key "${key}" while running, not in its constructor; read parameters in the constructor so they are part of the stage's fingerprint`,
      });
    }
    emit({ type: "stage-finished", stage: t.name, counts: { ...t.counts }, durationMs: performance.now() - t.startedAt });
  };
  const settle = (n: number, outcome: keyof StageTally["counts"]): void => {
    const t = tallyOf(n);
    startStage(t);
    t.counts[outcome]++;
    t.remaining--;
    if (t.remaining === 0) finishStage(t);
  };
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    runner.holdBack();
    for (const n of planner.stop()) settle(n, "skipped");
  };
  const onAbort = (): void => {
    interrupted = true;
    stop();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted === true) onAbort();

  emit({ type: "run-started", runId: options.runId ?? "", nodes: selected.size, stages: options.stages });
  for (const t of tallies.values()) {
    if (t.remaining === 0) {
      startStage(t);
      finishStage(t);
    }
  }

  const absorb = (n: number, result: WorkResult): void => {
    const t = tallyOf(n);
    for (const key of result.lateReads) t.lateReads.add(key);
    for (const line of result.logs) emit({ type: "stage-log", level: line.level, stage: t.name, message: line.message, ...(line.fields === undefined ? {} : { fields: line.fields }) });
  };

  const fail = (n: number, failure: NodeFailure, durationMs: number, usage?: NodeUsage): void => {
    failed.push(failure);
    emit({ type: "node-failed", failure, durationMs, ...(usage === undefined ? {} : { usage }) });
    settle(n, "failed");
    for (const { node, blockedBy } of planner.fail(n)) {
      emit({ type: "node-blocked", stage: tallyOf(node).name, nodeId: graph.id(node), failedDependency: graph.id(blockedBy) });
      settle(node, "skipped");
    }
    if (!options.keepGoing) stop();
  };

  /**
   * A reduction: its scans in parallel (at most `parallelism` at once), each taken from the
   * scan memo when a result for the same inputs is kept (not for a forced node), then its sift.
   */
  const runReduction = async (n: number, stage: string, nodeId: string, partition: Partition, ranWith: RanWith[], usages: UnitUsage[], units: WorkTask[]): Promise<WorkResult> => {
    const partitions = options.scanPartitions(n);
    const keys = (await options.scans?.keys(n, partitions)) ?? [];
    const reuse = !(options.forced?.has(n) ?? false);
    const results: ScanResult<unknown>[] = new Array<ScanResult<unknown>>(partitions.length);
    let next = 0;
    let scanned = 0;
    let failure: Extract<WorkResult, { ok: false }> | undefined;
    // The first real failure: a scan held back because another one failed must not hide it.
    const keepFailure = (result: Extract<WorkResult, { ok: false }>): void => {
      if (failure === undefined || failure.notStarted === true) failure = result;
    };
    const lane = async (): Promise<void> => {
      while (failure === undefined && next < partitions.length) {
        const k = next++;
        const p = partitions[k] ?? partition;
        const key = keys[k];
        const kept = reuse && key !== undefined ? await options.scans?.get(key) : undefined;
        if (kept !== undefined) {
          results[k] = { partition: p, value: kept.value };
          continue;
        }
        const task: WorkTask = { kind: "scan", stage, nodeId, partition: p };
        units.push(task);
        const result = await runner.run(task);
        if (result.usage !== undefined) usages.push(result.usage);
        absorb(n, result);
        if (!result.ok) {
          keepFailure(result);
          continue;
        }
        scanned++;
        if (result.ranWith !== undefined) ranWith.push(result.ranWith);
        results[k] = { partition: p, value: result.value };
        if (key !== undefined) await options.scans?.put(n, key, result.value, result.ranWith);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(runner.parallelism, partitions.length)) }, lane));
    if (failure !== undefined) return failure;
    emit({ type: "stage-log", level: "info", stage, message: `${nodeId}: scanned ${String(scanned)} of ${String(partitions.length)} simulations, the rest from the scan cache`, fields: { scanned, total: partitions.length } });
    const sift: WorkTask = { kind: "sift", stage, nodeId, partition, results };
    units.push(sift);
    const sifted = await runner.run(sift);
    if (sifted.usage !== undefined) usages.push(sifted.usage);
    if (sifted.ok && sifted.ranWith !== undefined) ranWith.push(sifted.ranWith);
    return sifted;
  };

  const sweepDead = options.sweepDead ?? (() => Promise.resolve());
  const sweepLost = options.sweepLost ?? (() => Promise.resolve());
  // Units reach the runner in the order the planner gave their nodes, whatever each node's
  // sweep took: with -j 1 nodes run one after another in index order, so "stop at the first
  // failure" means the same nodes ran on every machine.
  let turn: Promise<void> = Promise.resolve();
  const job = async (n: number, judgement: Judgement): Promise<void> => {
    const myTurn = turn;
    let passTurn = (): void => {};
    turn = new Promise<void>((resolve) => {
      passTurn = resolve;
    });
    try {
      // A run killed mid-write (SIGKILL, a crash) left its temporaries beside the outputs of
      // nodes it never recorded, which are exactly the nodes that run again. Not beside a node
      // handed ahead: the runner may be writing its outputs right now.
      if (!handedAhead.has(n)) await sweepDead(options.outputPaths(n));
      await myTurn;
      await jobInTurn(n, judgement, passTurn);
    } finally {
      // Every job passes its turn (at the latest here, when it fails), so none waits for ever.
      await myTurn;
      passTurn();
    }
  };
  const jobInTurn = async (n: number, judgement: Judgement, passTurn: () => void): Promise<void> => {
    // The units handed to the runner for this node, released once the node is recorded or failed.
    const units: WorkTask[] = [];
    try {
      await runNodeWork(n, judgement, passTurn, units);
    } finally {
      if (runner.release !== undefined) for (const task of units) await runner.release(task);
    }
  };
  const runNodeWork = async (n: number, judgement: Judgement, passTurn: () => void, units: WorkTask[]): Promise<void> => {
    const t = tallyOf(n);
    const stage = t.name;
    const nodeId = graph.id(n);
    if (judge !== undefined && !judgement.fresh && judgement.restorable) {
      // A restore does not go to the runner: the next node need not wait for it.
      passTurn();
      const outputs = await judge.restore(n, judgement);
      if (!("failed" in outputs)) {
        emit({ type: "node-restored", stage, nodeId, outputs });
        settle(n, "restored");
        planner.done(n);
        return;
      }
      emit({ type: "node-restore-failed", stage, nodeId, reason: outputs.failed });
    }
    emit({ type: "node-started", stage, nodeId, reasons: judgement.fresh ? [] : judgement.reasons });
    const startedAt = new Date();
    const t0 = performance.now();
    const partition = graph.partition(n);
    let result: WorkResult;
    const ranWith: RanWith[] = [];
    const usages: UnitUsage[] = [];
    try {
      if (options.kindOf(stage) === "scan-sift") {
        passTurn();
        result = await runReduction(n, stage, nodeId, partition, ranWith, usages, units);
      } else {
        const task: WorkTask = { kind: "node", stage, nodeId, partition };
        units.push(task);
        const running = runner.run(task);
        passTurn();
        result = await running;
        if (result.usage !== undefined) usages.push(result.usage);
        if (result.ok && result.ranWith !== undefined) ranWith.push(result.ranWith);
      }
    } catch (caught) {
      // The work could not finish: its worker is gone, so nobody else removes its temporary files.
      await sweepLost(options.outputPaths(n));
      fail(n, { stage, nodeId, message: caught instanceof Error ? caught.message : String(caught) }, performance.now() - t0);
      return;
    }
    if (!result.ok && result.notStarted === true) {
      // Held back: the run is stopping (a worker saw a failure before this thread did).
      // Stopping here too leaves no dependent waiting on a node that will not run.
      planner.abandon(n);
      settle(n, "skipped");
      stop();
      return;
    }
    absorb(n, result);
    const durationMs = performance.now() - t0;
    const usage = nodeUsage(usages);
    if (!result.ok) {
      fail(n, { stage, nodeId, message: result.message, ...(result.stack === undefined ? {} : { stack: result.stack }) }, durationMs, usage);
      return;
    }
    let recorded: RecordOutcome | undefined;
    try {
      recorded = await judge?.record(n, judgement, result.outputs, ranWith, startedAt, durationMs, usage);
    } catch (caught) {
      fail(n, { stage, nodeId, message: `recording the node failed: ${caught instanceof Error ? caught.message : String(caught)}` }, durationMs);
      return;
    }
    if (recorded?.recorded === false) {
      // Its dependents would read outputs no record vouches for: they are blocked like a failure's.
      fail(n, { stage, nodeId, message: `changed during the run: ${recorded.changes.join("; ")}. Its outputs are kept but not recorded, so the next run runs it again` }, durationMs);
      return;
    }
    emit({ type: "node-finished", stage, nodeId, durationMs, outputs: result.outputs.map((o) => o.path), ...(usage === undefined ? {} : { usage }) });
    ran++;
    settle(n, "ran");
    planner.done(n);
  };

  // Wake-up for the dispatch loop: a job finished (and may have made nodes ready).
  let wake: (() => void) | undefined;
  let woken = false;
  const notify = (): void => {
    if (wake === undefined) {
      woken = true;
      return;
    }
    const w = wake;
    wake = undefined;
    w();
  };
  // Nodes handed to the runner ahead of being ready (NodeRunner.ahead), and nodes handed to it at
  // all: a node is handed ahead only when each dependency is done or handed.
  const handedAhead = new Set<number>();
  const handed = new Set<number>();
  const taskOf = (n: number): WorkTask => ({ kind: "node", stage: tallyOf(n).name, nodeId: graph.id(n), partition: graph.partition(n) });
  /** Node n, going to the runner now, and the dependents that can follow it in the same batch, transitively. */
  const lookAhead = (n: number): AheadTask[] => {
    const out: AheadTask[] = [];
    if (!handed.has(n)) out.push({ task: taskOf(n), after: [] });
    handed.add(n);
    const stack = [n];
    for (let from = stack.pop(); from !== undefined; from = stack.pop()) {
      for (const d of graph.dependents(from)) {
        if (handed.has(d) || !selected.has(d) || planner.state(d) !== NodeState.Pending) continue;
        if (options.kindOf(tallyOf(d).name) === "scan-sift") continue;
        const after: number[] = [];
        let follows = true;
        for (let k = graph.depStart[d] ?? 0; k < (graph.depStart[d + 1] ?? 0) && follows; k++) {
          const dep = graph.deps[k] ?? 0;
          if (planner.state(dep) === NodeState.Done) continue;
          if (handed.has(dep) && graph.dependents(dep).length <= AHEAD_MAX_WAITS) after.push(dep);
          else follows = false;
        }
        if (!follows || after.length > AHEAD_MAX_WAITS) continue;
        handed.add(d);
        handedAhead.add(d);
        out.push({ task: taskOf(d), after: after.map(taskOf) });
        stack.push(d);
      }
    }
    return out;
  };
  /**
   * A node handed ahead runs whatever it is judged, unless the runner can withdraw it unsent:
   * its work may be done or under way, and a restore would write its outputs beside that work.
   * Fresh, it is judged again as forced, for a judgement to record the run with.
   */
  const aheadJudgement = async (n: number, judged: Judgement, j: NodeJudge): Promise<Judgement> => {
    if (judged.fresh && runner.withdraw?.(taskOf(n)) === true) return judged;
    if (!judged.fresh) return judged.restorable ? { ...judged, restorable: false } : judged;
    const again = await j.assess(n, true);
    if (again.fresh) throw new Error(`Internal error: node ${graph.id(n)} judged fresh although forced`);
    return { ...again, reasons: [AHEAD_REASON], restorable: false };
  };
  const queue = new PQueue({ concurrency: Math.max(1, runner.inFlight) });
  const forced = options.forced;
  // Jobs queued or running (p-queue's own counts change only after a job's promise settles).
  let inFlight = 0;
  try {
    for (;;) {
      // Fill the queue until one job waits behind the running ones (back-pressure).
      while (!stopping && queue.size === 0) {
        const n = planner.next();
        if (n === undefined) break;
        startStage(tallyOf(n));
        const judged = judge === undefined ? { fresh: false, reasons: [], restorable: false, token: undefined } : judge.assess(n, forced?.has(n) ?? false);
        // No await for an answer given at once: a no-op run judges every node this way.
        let judgement: Judgement = judged instanceof Promise ? await judged : judged;
        if (handedAhead.has(n) && judge !== undefined) judgement = await aheadJudgement(n, judgement, judge);
        if (judgement.fresh) {
          emit({ type: "node-cached", stage: tallyOf(n).name, nodeId: graph.id(n) });
          settle(n, "fresh");
          planner.done(n);
          continue;
        }
        inFlight++;
        if (runner.ahead !== undefined && !judgement.restorable && options.kindOf(tallyOf(n).name) !== "scan-sift") {
          const tasks = lookAhead(n);
          if (tasks.length > 0) runner.ahead(tasks);
        }
        void queue.add(async () => {
          try {
            // Queued before a failure or an interrupt stopped the run: it does not start.
            if (stopping) {
              planner.abandon(n);
              settle(n, "skipped");
            } else {
              await job(n, judgement);
            }
          } catch (caught) {
            fail(n, { stage: tallyOf(n).name, nodeId: graph.id(n), message: caught instanceof Error ? caught.message : String(caught) }, 0);
          } finally {
            inFlight--;
            notify();
          }
        });
      }
      if (inFlight === 0 && (stopping || planner.readyCount === 0)) break;
      if (!woken) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      woken = false;
    }
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
  if (planner.unfinished > 0) throw new Error(`Internal error: ${String(planner.unfinished)} nodes neither ran nor were skipped`);
  const outcome: RunOutcome = interrupted ? "interrupted" : failed.length > 0 ? "failed" : "success";
  const stages = [...tallies.values()].map((t) => ({ name: t.name, ...t.counts }));
  return { outcome, ran, failed, stages };
}

/**
 * The schedule of a run whose every node is known to be fresh (a freshness snapshot held):
 * the events and summary {@link schedule} gives when its judge finds each node fresh, stage by
 * stage, without visiting the nodes — and so without their `node-cached` events, which only
 * a live display counts (its `stage-finished` carries the same counts).
 */
export function scheduleAllFresh(options: Pick<ScheduleOptions, "graph" | "stages" | "onEvent" | "runId">): ScheduleSummary {
  const { graph, onEvent: emit } = options;
  const wanted = new Set(options.stages);
  const runs = graph.stages.filter((s) => wanted.has(s.stage.name));
  emit({ type: "run-started", runId: options.runId ?? "", nodes: runs.reduce((sum, s) => sum + s.count, 0), stages: options.stages });
  const stages = runs.map((s) => {
    const startedAt = performance.now();
    const counts = { ran: 0, fresh: s.count, restored: 0, failed: 0, skipped: 0 };
    emit({ type: "stage-started", stage: s.stage.name, nodes: s.count });
    emit({ type: "stage-finished", stage: s.stage.name, counts: { ...counts }, durationMs: performance.now() - startedAt });
    return { name: s.stage.name, ...counts };
  });
  return { outcome: "success", ran: 0, failed: [], stages };
}
