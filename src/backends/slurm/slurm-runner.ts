/**
 * Runs units of work as Slurm array jobs. The coordinator (this process) keeps the DAG, the
 * fingerprints and the state store; compute nodes only run the units a manifest lists and
 * write one result file per unit next to its outputs, which this runner reads back and hands
 * to the scheduler as if a worker thread had answered, and removes once the scheduler has
 * recorded the node (`release`).
 *
 * Packing: units handed in together (the scheduler gives every ready node at once) are
 * gathered per stage for a moment, cut into batches (`batch_size`, or as many as take
 * `target_task_seconds` by the stage's durations so far, or by default spread over the CPUs
 * the stage's partition has, at least AUTO_BATCH_MIN per task), and submitted as one array
 * job per stage and gathering — at most MaxArraySize tasks each, `%throttle` at once.
 *
 * Work handed ahead (NodeRunner.ahead): a unit the scheduler will ask for once its upstream
 * units are recorded is packed into the same array task as those units, after them, so a
 * simulation's chain of stages runs in one task with one start, not one submission, queue
 * wait and process start per stage. Units are packed by whole chains (the units linked by
 * `after`). An upstream unit submitted earlier, in another job, is followed from another
 * task: its job waits for that job's end (`--dependency=afterany`), and reads the upstream's
 * result file (kept until then) before it runs the unit. One whose upstream is neither, or
 * needs other resources than its upstream in the same task, is not handed ahead but
 * submitted when asked for. The task runs a unit only when the units it follows succeeded,
 * and its result carries their outputs' digests (RanWith.after), so the coordinator records
 * it only if it read what its fingerprint says. A unit never asked for (its upstream failed,
 * or the run stopped) is cancelled with its task at `close`.
 *
 * Status: result files are looked for every `poll_min_ms` (local reads, about one per
 * running task), and Slurm is asked once per cycle (all jobs carry the run id as their name),
 * with back-off while nothing changes: sacct where the cluster keeps accounting, else squeue for
 * live tasks and, for a task that left the queue without all its result files, after the
 * file-system lag allowed, `scontrol show job` for its end state. A state Slurm no longer
 * knows is asked again and never taken as success.
 */
import { createHash } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { serialize } from "node:v8";
import { PACKAGE_ROOT } from "../../core/executor-loader.js";
import type { AheadTask, NodeRunner, WorkResult, WorkTask } from "../../scheduler/node-runner.js";
import type { PipelineSource } from "../pipeline-source.js";
import type { JournalEntry } from "./journal.js";
import { Journal } from "./journal.js";
import type { UnitResult } from "./manifest.js";
import { readUnitResult, resultFile, writeManifest } from "./manifest.js";
import { sbatchScript } from "./sbatch-script.js";
import type { SlurmResources, SlurmSettings } from "./settings.js";
import type { SlurmCommands } from "./slurm-commands.js";
import { SystemSlurmCommands } from "./slurm-commands.js";

/** How the runner is made. */
export interface SlurmRunnerOptions {
  readonly source: PipelineSource;
  /** The run id: every job's name, so one query finds the run's jobs. */
  readonly runId: string;
  /** The project's cache folder: manifests and job logs go to `slurm/<run id>/` in it, the journal to `slurm/journal/`. */
  readonly cacheDir: string;
  /** The folder of a unit's outputs, where its result file goes (PipelineContext.outputFolder). */
  readonly folderOf: (task: WorkTask) => string;
  readonly settings: SlurmSettings;
  /** A stage's resources, defaults merged in. */
  readonly resourcesOf: (stage: string) => SlurmResources;
  /** Resubmissions of a unit whose Slurm task failed (not of a stage that threw); default 0. */
  readonly retries?: number;
  readonly commands?: SlurmCommands;
  /** Notes for the user (the sacct fallback, re-attaching, retries). */
  readonly onNote?: (text: string) => void;
  /** The worker command without `--task N`; default this cmbflow's CLI under this node. */
  readonly workerCommand?: (manifest: string) => readonly string[];
  /** How long units are gathered before a submission, in ms (default 150). */
  readonly gatherMs?: number;
}

type Settle = { readonly kind: "result"; readonly result: WorkResult } | { readonly kind: "lost"; readonly message: string };

interface Unit {
  readonly task: WorkTask;
  readonly key: string;
  /** Its result file. */
  readonly path: string;
  attempts: number;
  settled: boolean;
  readonly settle: (s: Settle) => void;
  /** Whether the scheduler asked for it (`run`): always, but for a unit handed ahead and not asked for yet. */
  claimed: boolean;
  /** Where its outcome goes once asked for. */
  deliver: ((s: Settle) => void) | undefined;
  /** Its outcome, kept until it is asked for. */
  outcome: Settle | undefined;
  /** Handed ahead: the keys of the units it follows in its task (its upstream not yet recorded). */
  readonly after: readonly string[] | undefined;
  /** Handed ahead but not run that way (not submitted, its task lost, skipped there): asked for, it is placed afresh. */
  dropped: boolean;
  /** Sent to Slurm, or left to an earlier coordinator's job: it may run. */
  sent: boolean;
  /** The array job it was submitted in, once sbatch answered. */
  job: string | undefined;
  /** Units in other tasks that read its result file (see `needs`): until they are done with it, a release keeps it. */
  readers: number;
  /** The scheduler released it while readers remained: the file goes when the last is done. */
  releaseWanted: boolean;
  /** The scheduler released it (recorded, or failed): a unit following it later needs no result file of it. */
  released: boolean;
  /** Units of other tasks whose result files this one reads before it runs (its upstream there). */
  readonly holds: Unit[];
}

interface Submission {
  readonly runId: string;
  readonly jobId: string;
  readonly log: string;
  /** Units waited on, per array index (an attached old job: only the ones this run asked for). */
  readonly units: Map<number, Map<number, Unit>>;
  /** When each index was first seen out of the queue without all its results (ms). */
  readonly endedAt: Map<number, number>;
  /** How often an index's end state was asked and Slurm did not know it. */
  readonly unknown: Map<number, number>;
  /** Indices this runner cancelled (held back: their units did not start, or were stopped). */
  readonly cancelled: Set<number>;
  /** Indices the last query found still pending: no result file can be there yet. */
  readonly pending: Set<number>;
}

/** The state of a task its array job no longer lists: it left the queue before it ran. */
const GONE = "GONE";
/** Slurm states after which a task runs no more. */
const ENDED = new Set([GONE, "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE", "REVOKED", "SPECIAL_EXIT"]);
/** How often an end state Slurm does not know is asked again before the unit fails. */
const UNKNOWN_CHECKS = 3;
/**
 * Fewest units per array task when `batch_size` is not set: a task pays a process start, the
 * pipeline's start-up and Slurm's scheduling of it (together 1-3 s on the test cluster), which
 * 50 units of even a trivial stage outweigh.
 */
export const AUTO_BATCH_MIN = 50;

/** The gathering group of units handed ahead (stage names have no control characters). */
const AHEAD_GROUP = "\u0001ahead";

/** A Slurm array job runner. */
export class SlurmRunner implements NodeRunner {
  /** Scans of a reduction are all handed in at once: Slurm, not the coordinator, limits what runs. */
  readonly parallelism = 100_000;
  readonly inFlight = 100_000;
  readonly #o: SlurmRunnerOptions;
  readonly #commands: SlurmCommands;
  readonly #journal: Journal;
  readonly #runDir: string;
  readonly #configKey: string;
  readonly #pending = new Map<string, Unit[]>();
  readonly #submissions: Submission[] = [];
  /** Mean unit duration per stage (ms), from the result files read so far. */
  readonly #durations = new Map<string, { total: number; count: number }>();
  #gatherTimer: NodeJS.Timeout | undefined;
  #firstPendingAt = 0;
  #seq = 0;
  #held = false;
  #terminated = false;
  #polling: Promise<void> | undefined;
  #maxArraySize: number | undefined;
  /** Total CPUs per partition ("" for the default one), asked once; empty when sinfo did not answer. */
  #partitionCpus: Promise<Map<string, number>> | undefined;
  /** Whether sacct has the run's jobs; undefined until asked. */
  #sacct: boolean | undefined;
  /** Earlier coordinators' journalled units, by key; read on first use. */
  #leftBehind: Promise<{ files: readonly string[]; byKey: Map<string, { entry: JournalEntry; index: number; unit: number; path: string }>; live: Set<string> }> | undefined;
  readonly #attached = new Map<string, Submission>();
  /** Units handed ahead and not asked for yet, by key. */
  readonly #ahead = new Map<string, Unit>();
  /** Units this runner submitted, by key (a later gathering's units may follow them from another task). */
  readonly #sentUnits = new Map<string, Unit>();

  constructor(options: SlurmRunnerOptions) {
    this.#o = options;
    this.#commands = options.commands ?? new SystemSlurmCommands();
    this.#journal = new Journal(options.cacheDir, options.runId);
    this.#runDir = join(options.cacheDir, "slurm", options.runId);
    const { config, configDir, configName, overrides, projectDir, workDir } = options.source;
    this.#configKey = digest(serialize({ config, configDir, configName, overrides, projectDir, workDir }));
  }

  /** Calls made to Slurm's tools so far. */
  get calls(): Readonly<Record<string, number>> {
    return this.#commands.calls;
  }

  run(task: WorkTask): Promise<WorkResult> {
    if (this.#held) return Promise.resolve(notStarted());
    return new Promise<WorkResult>((resolve, reject) => {
      const deliver = (s: Settle): void => {
        if (s.kind === "result") resolve(s.result);
        else reject(new Error(s.message));
      };
      const key = this.#keyOf(task);
      const early = this.#ahead.get(key);
      if (early !== undefined) {
        this.#ahead.delete(key);
        if (!early.dropped) {
          early.claimed = true;
          early.deliver = deliver;
          if (early.outcome !== undefined) this.#answer(early, early.outcome);
          else this.#poll();
          return;
        }
        // Left where it was dropped (a lost task's units): nothing waits on it there.
        this.#retire(early);
      }
      const unit = this.#unit(task, undefined);
      unit.deliver = deliver;
      this.#placeCaught(unit);
    });
  }

  /**
   * Units the scheduler will ask for: each packed after the units it follows, when they are
   * gathered with it (see the file comment). One an earlier coordinator's job holds is left to
   * `run`, which attaches to that job.
   */
  ahead(tasks: readonly AheadTask[]): void {
    if (this.#held) return;
    const units: Unit[] = [];
    for (const { task, after } of tasks) {
      const unit = this.#unit(task, after.map((t) => this.#keyOf(t)));
      if (this.#ahead.has(unit.key)) continue;
      this.#ahead.set(unit.key, unit);
      units.push(unit);
    }
    void this.#admitAhead(units).catch((caught: unknown) => {
      for (const u of units) this.#drop(u, `the Slurm backend failed: ${caught instanceof Error ? caught.message : String(caught)}`);
    });
  }

  async #admitAhead(units: readonly Unit[]): Promise<void> {
    const left = await (this.#leftBehind ??= this.#readLeftBehind());
    for (const u of units) {
      if (left.byKey.get(u.key)?.path === u.path) u.sent = true;
      if (this.#held || u.sent) this.#drop(u, "");
      else if (!u.dropped) this.#enqueue(u, AHEAD_GROUP);
    }
  }

  withdraw(task: WorkTask): boolean {
    const unit = this.#ahead.get(this.#keyOf(task));
    if (unit === undefined || unit.sent) return false;
    // Not sent yet: a gathering skips it (and the units that follow it).
    unit.dropped = true;
    this.#ahead.delete(unit.key);
    return true;
  }

  #unit(task: WorkTask, after: readonly string[] | undefined): Unit {
    const unit: Unit = {
      task,
      key: this.#keyOf(task),
      path: this.#resultPath(task),
      attempts: 0,
      settled: false,
      claimed: after === undefined,
      deliver: undefined,
      outcome: undefined,
      after,
      dropped: false,
      sent: false,
      job: undefined,
      readers: 0,
      releaseWanted: false,
      released: false,
      holds: [],
      settle: (s) => {
        if (unit.settled) return;
        unit.settled = true;
        unit.outcome = s;
        this.#letGo(unit);
        if (unit.claimed) this.#answer(unit, s);
      },
    };
    return unit;
  }

  /**
   * Hands a claimed unit's outcome to the scheduler. A unit handed ahead that did not run (its
   * task skipped it, as something before it failed there) is placed afresh instead: its
   * upstream was recorded since, or it would not have been asked for.
   */
  #answer(unit: Unit, s: Settle): void {
    if (unit.after !== undefined && s.kind === "result" && !s.result.ok && s.result.notStarted === true && !this.#held) {
      const again = this.#unit(unit.task, undefined);
      again.deliver = unit.deliver;
      this.#placeCaught(again);
      return;
    }
    unit.deliver?.(s);
  }

  /** A unit handed ahead that will not run that way: asked for (now or later), it is placed afresh. */
  #drop(unit: Unit, message: string): void {
    unit.dropped = true;
    if (!unit.claimed) return;
    this.#retire(unit);
    const again = this.#unit(unit.task, undefined);
    again.deliver = unit.deliver;
    if (message === "") this.#placeCaught(again);
    else again.settle({ kind: "lost", message });
  }

  #placeCaught(unit: Unit): void {
    void this.#place(unit).catch((caught: unknown) => unit.settle({ kind: "lost", message: `the Slurm backend failed: ${caught instanceof Error ? caught.message : String(caught)}` }));
  }

  #keyOf(task: WorkTask): string {
    return `${this.#configKey}:${digest(serialize(task))}`;
  }

  holdBack(): void {
    if (this.#held) return;
    this.#held = true;
    clearTimeout(this.#gatherTimer);
    for (const units of this.#pending.values()) for (const u of units) u.settle({ kind: "result", result: notStarted() });
    this.#pending.clear();
    for (const u of this.#ahead.values()) u.dropped = true;
    // Tasks still waiting in Slurm's queue are the runner's queue: they do not start either.
    void this.#cancel("pending").catch(() => undefined);
  }

  async terminate(): Promise<void> {
    this.#terminated = true;
    this.holdBack();
    await this.#cancel("all");
  }

  async close(): Promise<void> {
    await this.#polling;
    await this.#dropUnclaimed();
    const c = this.#commands.calls;
    if (this.#submissions.length > 0) {
      this.#o.onNote?.(`Slurm calls this run: ${String(c.sbatch)} sbatch, ${String(c.squeue)} squeue, ${String(c.sacct)} sacct, ${String(c.scontrol)} scontrol, ${String(c.scancel)} scancel, ${String(c.sinfo)} sinfo`);
    }
    const left = await this.#leftBehind;
    if (left !== undefined) {
      // Jobs of a dead coordinator that this run did not need would write beside this run's outputs later.
      const stray = [...left.live].filter((id) => ![...this.#attached.values()].some((s) => id.startsWith(`${s.jobId}_`)));
      if (stray.length > 0) await this.#commands.run("scancel", stray);
    }
    if (this.#submissions.every((s) => [...s.units.values()].every((m) => [...m.values()].every((u) => u.settled || !u.claimed)))) await this.#journal.remove(left?.files ?? []);
  }

  /**
   * Units handed ahead that the scheduler never asked for (their upstream failed or was not
   * recorded, or the run stopped): the tasks still holding unfinished ones are cancelled, with
   * one scancel, and their result files removed, so no later coordinator takes them.
   */
  async #dropUnclaimed(): Promise<void> {
    const stop: string[] = [];
    for (const sub of this.#submissions) {
      for (const [index, units] of sub.units) {
        const idle = [...units.values()].filter((u) => !u.claimed);
        if (idle.length === 0) continue;
        if (idle.some((u) => !u.settled)) {
          sub.cancelled.add(index);
          stop.push(`${sub.jobId}_${String(index)}`);
        }
        for (const u of idle) {
          u.dropped = true;
          await rm(u.path, { force: true }).catch(() => undefined);
        }
      }
    }
    this.#ahead.clear();
    if (stop.length > 0) await this.#commands.run("scancel", stop);
    // Result files kept for readers that will not read them now (cancelled above, or never sent).
    for (const u of this.#sentUnits.values()) if (u.releaseWanted) await rm(u.path, { force: true }).catch(() => undefined);
  }

  /** Takes a unit: its result from an earlier coordinator's job, that job if it still runs, or a new submission. */
  async #place(unit: Unit): Promise<void> {
    const left = await (this.#leftBehind ??= this.#readLeftBehind());
    const earlier = left.byKey.get(unit.key);
    if (earlier !== undefined && earlier.path === unit.path) {
      const done = await readUnitResult(unit.path);
      if (done !== undefined) {
        this.#observe(unit.task.stage, done.durationMs);
        unit.settle({ kind: "result", result: located(done) });
        return;
      }
      if (left.live.has(`${earlier.entry.jobId}_${String(earlier.index)}`)) {
        let sub = this.#attached.get(earlier.entry.jobId);
        if (sub === undefined) {
          sub = newSubmission(earlier.entry.runId, earlier.entry.jobId, earlier.entry.log);
          this.#attached.set(earlier.entry.jobId, sub);
          this.#submissions.push(sub);
          this.#o.onNote?.(`re-attached to Slurm job ${earlier.entry.jobId} of run ${earlier.entry.runId} (its coordinator stopped): its units are not submitted again`);
        }
        let at = sub.units.get(earlier.index);
        if (at === undefined) sub.units.set(earlier.index, (at = new Map<number, Unit>()));
        at.set(earlier.unit, unit);
        this.#poll();
        return;
      }
    }
    if (this.#held) {
      unit.settle({ kind: "result", result: notStarted() });
      return;
    }
    this.#enqueue(unit);
  }

  #enqueue(unit: Unit, group = `${unit.task.stage}\u0000${unit.task.kind}`): void {
    let units = this.#pending.get(group);
    if (units === undefined) this.#pending.set(group, (units = []));
    units.push(unit);
    const now = performance.now();
    if (this.#gatherTimer === undefined) this.#firstPendingAt = now;
    clearTimeout(this.#gatherTimer);
    const gather = this.#o.gatherMs ?? 150;
    // Gather while units keep coming, but never hold the first one longer than 10 gathering periods.
    const wait = Math.max(0, Math.min(gather, this.#firstPendingAt + 10 * gather - now));
    this.#gatherTimer = setTimeout(() => {
      this.#gatherTimer = undefined;
      void this.#flush();
    }, wait);
  }

  async #flush(): Promise<void> {
    const ahead = this.#pending.get(AHEAD_GROUP) ?? [];
    this.#pending.delete(AHEAD_GROUP);
    const chains = this.#chains(ahead);
    // Sent from here on (before any await, so `withdraw` never vouches for a unit about to go).
    for (const group of chains) for (const chain of group.chains) for (const u of chain) u.sent = true;
    const groups = [...this.#pending.values()];
    this.#pending.clear();
    const max = await this.#arrayLimit();
    const packs: { stage: string; batches: Unit[][]; after: readonly string[] }[] = [];
    for (const units of groups) {
      const stage = units[0]?.task.stage ?? "";
      const size = await this.#batchSize(stage, units.length);
      const batches: Unit[][] = [];
      for (let i = 0; i < units.length; i += size) batches.push(units.slice(i, i + size));
      packs.push({ stage, batches, after: [] });
    }
    for (const { chains: group, jobs } of chains) {
      const stage = group[0]?.[0]?.task.stage ?? "";
      const size = await this.#batchSize(stage, group.reduce((n, c) => n + c.length, 0));
      // Whole chains per task: a unit and the units it follows always share one.
      const batches: Unit[][] = [];
      let batch: Unit[] = [];
      for (const chain of group) {
        batch.push(...chain);
        if (batch.length >= size) {
          batches.push(batch);
          batch = [];
        }
      }
      if (batch.length > 0) batches.push(batch);
      packs.push({ stage, batches, after: jobs });
    }
    for (const { stage, batches, after } of packs) {
      for (let i = 0; i < batches.length; i += max) {
        await this.#submit(stage, batches.slice(i, i + max), after).catch((caught: unknown) => {
          const message = caught instanceof Error ? caught.message : String(caught);
          for (const b of batches.slice(i, i + max)) {
            for (const u of b) {
              // Handed ahead and not asked for yet: asked for, it is submitted then, alone (the
              // refusal may have been of this submission's --dependency on a job Slurm forgot).
              if (u.after !== undefined && !u.claimed) {
                this.#letGo(u);
                this.#drop(u, "");
              } else u.settle({ kind: "lost", message });
            }
          }
        });
      }
    }
  }

  /**
   * The units handed ahead in one gathering, as chains (the units linked by `after`, in the
   * order handed, which has each unit after those it follows), grouped by the resources their
   * stages ask for and the jobs they wait for. A unit follows an upstream unit of the same
   * gathering in the same task (same resources); one submitted before, in another job, it
   * follows from its own task, which starts once that job ended (`--dependency=afterany`) and
   * reads the upstream's result file first. A unit whose upstream is neither (dropped, failed,
   * or not submitted yet) is dropped, to be submitted when asked for, and so are the units
   * that follow it.
   */
  #chains(units: readonly Unit[]): { chains: Unit[][]; jobs: string[] }[] {
    const kept = new Map<string, { unit: Unit; resources: string; root: Unit[] }>();
    const order: Unit[][] = [];
    /** Per chain, the jobs its units wait for. */
    const waits = new Map<Unit[], Set<string>>();
    for (const unit of units) {
      if (unit.dropped) continue;
      const resources = JSON.stringify(this.#o.resourcesOf(unit.task.stage));
      const ups: { unit: Unit; resources: string; root: Unit[] }[] = [];
      const elsewhere: Unit[] = [];
      let follows = true;
      for (const key of unit.after ?? []) {
        const here = kept.get(key);
        if (here !== undefined) {
          if (here.resources !== resources) follows = false;
          ups.push(here);
          continue;
        }
        const up = this.#sentUnits.get(key);
        const failed = up?.settled === true && (up.outcome?.kind !== "result" || !up.outcome.result.ok);
        if (up === undefined || up.dropped || up.job === undefined || failed) follows = false;
        // Recorded since it was handed: read like any recorded input (checked when this unit is recorded).
        else if (up.released) continue;
        else elsewhere.push(up);
      }
      if (!follows) {
        this.#drop(unit, "");
        continue;
      }
      // Union of the chains it joins: the first one takes the others' units, in order.
      const joined = [...new Set(ups.map((u) => this.#chainOf(kept, u.unit.key)))];
      let chain = joined[0];
      if (chain === undefined) {
        chain = [];
        order.push(chain);
        waits.set(chain, new Set());
      }
      const jobs = waits.get(chain) ?? new Set<string>();
      for (const other of joined.slice(1)) {
        for (const job of waits.get(other) ?? []) jobs.add(job);
        chain.push(...other);
        other.length = 0;
        for (const u of chain) {
          const entry = kept.get(u.key);
          if (entry !== undefined) entry.root = chain;
        }
      }
      for (const up of elsewhere) {
        // An upstream still running: this task starts after its job ends.
        if (!up.settled && up.job !== undefined) jobs.add(up.job);
        up.readers++;
        unit.holds.push(up);
      }
      waits.set(chain, jobs);
      chain.push(unit);
      kept.set(unit.key, { unit, resources, root: chain });
    }
    const groups = new Map<string, { chains: Unit[][]; jobs: string[] }>();
    const position = new Map(units.map((u, i) => [u, i]));
    for (const chain of order) {
      if (chain.length === 0) continue;
      // Merged chains keep their units in the order handed, so each still follows its upstream.
      chain.sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
      const resources = kept.get(chain[0]?.key ?? "")?.resources ?? "";
      const jobs = [...(waits.get(chain) ?? [])].sort();
      const key = `${resources}\u0000${jobs.join(",")}`;
      let group = groups.get(key);
      if (group === undefined) groups.set(key, (group = { chains: [], jobs }));
      group.chains.push(chain);
    }
    return [...groups.values()];
  }

  #chainOf(kept: ReadonlyMap<string, { root: Unit[] }>, key: string): Unit[] {
    const root = kept.get(key)?.root;
    if (root === undefined) throw new Error(`Internal error: unit ${key} has no chain`);
    return root;
  }

  /** Array tasks that `units` units of `stage` handed in together are packed into (one array job unless past MaxArraySize). */
  async tasksFor(stage: string, units: number): Promise<number> {
    return Math.ceil(units / (await this.#batchSize(stage, units)));
  }

  /**
   * Units per array task for `units` units of `stage`: from the target duration once the
   * stage's durations are known, else `batch_size`, else spread over the task slots the
   * cluster has for the stage. Why spread by default: tasks beyond the slots run in waves, and
   * each wave pays the tasks' start-up and Slurm's scheduling again (3 s per wave measured on
   * the one-node cluster), so one wave of longer tasks ends sooner than several of short ones.
   */
  async #batchSize(stage: string, units: number): Promise<number> {
    const { targetTaskSeconds: target, batchSize } = this.#o.settings;
    const seen = this.#durations.get(stage);
    if (target !== undefined && seen !== undefined && seen.count > 0) return Math.max(1, Math.round((target * 1000) / Math.max(1, seen.total / seen.count)));
    if (batchSize !== undefined) return batchSize;
    return Math.max(AUTO_BATCH_MIN, Math.ceil(units / (await this.#slots(stage))));
  }

  /** How many tasks of `stage` can run at once: its partition's CPUs over the task's CPUs, at most the throttle (unbounded when sinfo does not say). */
  async #slots(stage: string): Promise<number> {
    const resources = this.#o.resourcesOf(stage);
    const cpus = (await (this.#partitionCpus ??= this.#readPartitionCpus())).get(resources.partition ?? "");
    const slots = cpus === undefined ? Number.POSITIVE_INFINITY : Math.max(1, Math.floor(cpus / (resources.cpus ?? 1)));
    return Math.min(slots, this.#o.settings.throttle ?? Number.POSITIVE_INFINITY);
  }

  async #readPartitionCpus(): Promise<Map<string, number>> {
    const out = await this.#commands.run("sinfo", ["-h", "-o", "%P|%C"]);
    return out.code === 0 ? parseSinfoCpus(out.stdout) : new Map();
  }

  #observe(stage: string, ms: number): void {
    const d = this.#durations.get(stage) ?? { total: 0, count: 0 };
    d.total += ms;
    d.count++;
    this.#durations.set(stage, d);
  }

  /** The cluster's MaxArraySize (tasks per array job), asked once. */
  async #arrayLimit(): Promise<number> {
    if (this.#maxArraySize !== undefined) return this.#maxArraySize;
    const out = await this.#commands.run("scontrol", ["show", "config"]);
    const m = /^MaxArraySize\s*=\s*(\d+)/m.exec(out.stdout);
    // MaxArraySize is one more than the largest index allowed.
    this.#maxArraySize = m === null ? 1000 : Math.max(1, Number(m[1]));
    return this.#maxArraySize;
  }

  async #submit(stage: string, batches: readonly Unit[][], afterJobs: readonly string[] = []): Promise<void> {
    const seq = ++this.#seq;
    // Named for every stage it runs (chains handed ahead hold several), the first giving the resources.
    const stages = [...new Set(batches.flatMap((b) => b.map((u) => u.task.stage)))];
    const label = stages.length === 1 ? stage : stages.join("+").slice(0, 100);
    const dir = join(this.#runDir, `${String(seq).padStart(4, "0")}-${label}`);
    const manifest = join(dir, "manifest.bin");
    const script = join(dir, "job.sh");
    const log = join(dir, "logs", "%A_%a.log");
    await mkdir(join(dir, "logs"), { recursive: true });
    // A result file already there is no journalled job's (#place took those): an earlier run's
    // that was never recorded. Left, it would be read as this submission's answer.
    for (const b of batches) for (const u of b) await rm(u.path, { force: true });
    // The environment may be process.env itself, a host object v8 does not serialise.
    const source = { ...this.#o.source, env: { ...this.#o.source.env } };
    const after = batches.map((b) => {
      const at = new Map(b.map((u, k) => [u.key, k]));
      // Upstream units of other tasks are in `needs`, read from their result files.
      return b.map((u) => (u.after ?? []).flatMap((key) => { const k = at.get(key); return k === undefined ? [] : [k]; }));
    });
    const needs = batches.map((b) => b.map((u) => u.holds.map((up) => up.path)));
    await writeManifest(manifest, { format: 3, runId: this.#o.runId, source, tasks: batches.map((b) => b.map((u) => u.task)), results: batches.map((b) => b.map((u) => u.path)), after, needs });
    const nodes = batches.reduce((a, b) => a + b.length, 0);
    await writeFile(script, this.scriptFor(stage, batches.length, manifest, log, `${String(nodes)} units of stage${stages.length === 1 ? "" : "s"} ${stages.join(", ")}`, afterJobs));
    const out = await this.#commands.run("sbatch", ["--parsable", script]);
    const jobId = out.stdout.trim().split(";")[0] ?? "";
    if (out.code !== 0 || !/^\d+$/.test(jobId)) throw new Error(`sbatch refused the job of stage ${stage} (${script}): ${(out.stderr || out.stdout).trim()}`);
    const sub = newSubmission(this.#o.runId, jobId, log);
    for (const [i, b] of batches.entries()) sub.units.set(i, new Map(b.map((u, k) => [k, u])));
    for (const b of batches) {
      for (const u of b) {
        u.job = jobId;
        this.#sentUnits.set(u.key, u);
      }
    }
    this.#submissions.push(sub);
    await this.#journal.append({ runId: this.#o.runId, jobId, log, keys: batches.map((b) => b.map((u) => u.key)), results: batches.map((b) => b.map((u) => u.path)) });
    // Held back while sbatch ran: the new tasks wait in the queue, so they are cancelled too.
    if (this.#held) void this.#cancel(this.#terminated ? "all" : "pending").catch(() => undefined);
    this.#poll();
  }

  /** The batch script of `tasks` array tasks of `stage` (also what `--dry-run` prints). */
  scriptFor(stage: string, tasks: number, manifest: string, log: string, title: string, afterJobs: readonly string[] = []): string {
    const command = this.#o.workerCommand?.(manifest) ?? [process.execPath, join(PACKAGE_ROOT, "bin", "cmbflow.js"), "worker", "--manifest", manifest, "--task"];
    return sbatchScript({
      jobName: this.#o.runId,
      tasks,
      ...(this.#o.settings.throttle === undefined ? {} : { throttle: this.#o.settings.throttle }),
      log,
      workDir: this.#o.source.workDir,
      resources: this.#o.resourcesOf(stage),
      ...(afterJobs.length === 0 ? {} : { afterJobs }),
      command,
      title,
    });
  }

  /** Starts the status loop unless it runs. */
  #poll(): void {
    this.#polling ??= this.#pollLoop().finally(() => {
      this.#polling = undefined;
      // A unit placed while the loop was ending.
      if (this.#outstanding()) this.#poll();
    });
  }

  /** Whether the scheduler waits on a submitted unit (units handed ahead and not asked for keep nothing going). */
  #outstanding(): boolean {
    return this.#submissions.some((s) => [...s.units.values()].some((m) => [...m.values()].some(waiting)));
  }

  /**
   * Result files every `pollMinMs`; Slurm every `pollMinMs` too while things change, backing off
   * to `pollMaxMs` while nothing does. Why apart: a task's results are what the coordinator
   * waits for, and reading them costs Slurm nothing; with one back-off for both, a stage whose
   * task had run a while was noticed only at the next (backed-off) query, up to pollMaxMs late,
   * and a pipeline of many stages paid that once per stage.
   */
  async #pollLoop(): Promise<void> {
    const { pollMinMs, pollMaxMs } = this.#o.settings;
    let queryEvery = pollMinMs;
    let queryAt = performance.now() + pollMinMs;
    let pendingAt = 0;
    while (this.#outstanding()) {
      await sleep(pollMinMs);
      // Tasks the last query found pending are looked at about once a second (or once a
      // millisecond per such task, when more): one may have started since, but thousands
      // waiting in the queue must not cost thousands of reads every pass.
      const now = performance.now();
      const pending = this.#submissions.reduce((n, s) => n + s.pending.size, 0);
      const withPending = now - pendingAt >= Math.max(1000, pending);
      if (withPending) pendingAt = now;
      for (const sub of this.#submissions) {
        // A failure to read is the cycle's to report, when it looks again.
        await this.#collect(sub, false, withPending).catch(() => false);
      }
      if (!this.#outstanding()) break;
      if (performance.now() < queryAt && !this.#terminated) continue;
      const changed = await this.#cycle().catch((caught: unknown) => {
        this.#o.onNote?.(`querying Slurm failed (asked again): ${caught instanceof Error ? caught.message : String(caught)}`);
        return false;
      });
      queryEvery = changed ? pollMinMs : Math.min(pollMaxMs, queryEvery * 2);
      queryAt = performance.now() + queryEvery;
    }
  }

  /** One status cycle: result files, then one query for the run's jobs; whether anything settled. */
  async #cycle(): Promise<boolean> {
    let changed = false;
    const open = this.#submissions.filter((s) => [...s.units.values()].some((m) => [...m.values()].some(waiting)));
    for (const sub of open) if (await this.#collect(sub)) changed = true;
    const still = open.filter((s) => [...s.units.values()].some((m) => [...m.values()].some(waiting)));
    if (still.length === 0) return changed;
    const states = await this.#states(still);
    const now = performance.now();
    for (const sub of still) {
      const ended: number[] = [];
      for (const [index, units] of sub.units) {
        if (![...units.values()].some(waiting)) continue;
        const state = states.get(`${sub.jobId}_${String(index)}`);
        if (state?.state === "PENDING") sub.pending.add(index);
        else sub.pending.delete(index);
        if (state !== undefined && !ENDED.has(state.state)) {
          sub.endedAt.delete(index);
          continue;
        }
        const since = sub.endedAt.get(index) ?? now;
        sub.endedAt.set(index, since);
        // Result files of a task that just ended may lag behind on a shared file system.
        const lag = this.#terminated || sub.cancelled.has(index) ? Math.min(this.#o.settings.fsLagMs, 2000) : this.#o.settings.fsLagMs;
        if (now - since >= lag) ended.push(index);
      }
      if (ended.length === 0) continue;
      // One more look, at every unit: the files may have arrived since the cycle began.
      if (await this.#collect(sub, true)) changed = true;
      const final = this.#sacct === true ? states : await this.#endStates(sub);
      for (const index of ended) {
        const units = [...(sub.units.get(index)?.values() ?? [])].filter((u) => !u.settled);
        if (units.length === 0) continue;
        const state = final.get(`${sub.jobId}_${String(index)}`);
        if (state === undefined) {
          const asked = (sub.unknown.get(index) ?? 0) + 1;
          sub.unknown.set(index, asked);
          if (asked < UNKNOWN_CHECKS) continue;
        } else if (!ENDED.has(state.state)) {
          // Back in the queue (requeued after a node failure): wait for it again.
          sub.endedAt.delete(index);
          continue;
        }
        changed = true;
        this.#lost(sub, index, units, state);
      }
    }
    return changed;
  }

  /**
   * Settles the units of `sub` whose result files are there; whether any was. A task runs its
   * units in order and writes each one's result before the next starts, so unless `all` the
   * look at a task stops at its first unit without one: a cycle reads about one file per
   * running task, however many units wait. Without `pending`, tasks the last query found
   * pending are skipped.
   */
  async #collect(sub: Submission, all = false, pending = true): Promise<boolean> {
    let changed = false;
    for (const [index, units] of sub.units) {
      if (!pending && sub.pending.has(index)) continue;
      for (const k of [...units.keys()].sort((a, b) => a - b)) {
        const unit = units.get(k);
        if (unit === undefined || unit.settled) continue;
        const done = await readUnitResult(unit.path);
        if (done === undefined) {
          if (all) continue;
          break;
        }
        this.#observe(unit.task.stage, done.durationMs);
        unit.settle({ kind: "result", result: located(done) });
        changed = true;
      }
    }
    return changed;
  }

  /**
   * The scheduler is done with a unit (its node recorded, or failed): its result file goes.
   * Best effort: a file that cannot be removed is left to `cache gc`, and read by no later run
   * (a submission removes the file at its units' paths first).
   */
  async release(task: WorkTask): Promise<void> {
    const unit = this.#sentUnits.get(this.#keyOf(task));
    if (unit !== undefined) unit.released = true;
    if (unit !== undefined && unit.readers > 0) {
      // A unit of another task reads this file before it runs (its upstream's outputs, as written).
      unit.releaseWanted = true;
      return;
    }
    await rm(this.#resultPath(task), { force: true }).catch(() => undefined);
  }

  /** A unit replaced by another placement of its task: nothing waits on it, and it reads no more. */
  #retire(unit: Unit): void {
    unit.settled = true;
    this.#letGo(unit);
  }

  /** A unit is done with the result files of its upstream in other tasks: those released meanwhile go. */
  #letGo(unit: Unit): void {
    for (const up of unit.holds.splice(0)) {
      up.readers--;
      if (up.readers === 0 && up.releaseWanted) void rm(up.path, { force: true }).catch(() => undefined);
    }
  }

  #resultPath(task: WorkTask): string {
    return resultFile(this.#o.folderOf(task), task, this.#configKey);
  }

  /** Units of a task that ended without their result files: not started (cancelled by this runner), retried, or lost with Slurm's reason. */
  #lost(sub: Submission, index: number, units: readonly Unit[], state: TaskState | undefined): void {
    const id = `${sub.jobId}_${String(index)}`;
    const logPath = sub.log.replace("%A", sub.jobId).replace("%a", String(index));
    if (this.#terminated) {
      for (const u of units) u.settle({ kind: "lost", message: `stopped: the run was interrupted while this node was running (Slurm job ${id} cancelled)` });
      return;
    }
    if (sub.cancelled.has(index) || this.#held) {
      for (const u of units) u.settle({ kind: "result", result: notStarted() });
      return;
    }
    const why =
      state === undefined
        ? `Slurm no longer knows job ${id} (asked ${String(UNKNOWN_CHECKS)} times): its state is unknown, so its nodes are not taken as done`
        : state.state === GONE
          ? `Slurm job ${id} left the queue before it ran, and Slurm kept no record of why (cancelled while pending?)`
          : state.state === "COMPLETED"
          ? `Slurm job ${id} completed but wrote no result for this node within ${String(this.#o.settings.fsLagMs / 1000)} s`
          : `Slurm job ${id} ended ${state.state}${state.reason === "" || state.reason === "None" ? "" : ` (${state.reason})`}`;
    // Units handed ahead and not asked for are asked for only once their upstream is recorded,
    // which its lost task did not let happen: asked for after all, they are placed afresh.
    for (const u of units) if (!u.claimed) this.#drop(u, "");
    const retry = units.filter((u) => u.claimed && u.attempts < (this.#o.retries ?? 0));
    for (const u of units) {
      if (!u.claimed || retry.includes(u)) continue;
      u.settle({ kind: "lost", message: `${why}; log: ${logPath}` });
    }
    if (retry.length > 0) {
      this.#o.onNote?.(`${why}: resubmitting its ${String(retry.length)} unfinished unit(s) (--retries)`);
      for (const u of retry) {
        // The old placement is dropped: the unit now waits on its new submission, alone.
        sub.units.get(index)?.forEach((v, k, m) => {
          if (v === u) m.delete(k);
        });
        const again = this.#unit(u.task, undefined);
        again.deliver = u.deliver;
        again.attempts = u.attempts + 1;
        this.#retire(u);
        this.#enqueue(again);
      }
    }
  }

  /**
   * The run's tasks by `JOB_INDEX`: from sacct where it has them (it also has ended tasks),
   * else from squeue (live tasks only). One call either way.
   */
  async #states(subs: readonly Submission[]): Promise<Map<string, TaskState>> {
    const names = [...new Set(subs.map((s) => s.runId))].join(",");
    if (this.#sacct !== false) {
      const out = await this.#commands.run("sacct", ["-n", "-X", "-P", `--name=${names}`, "-o", "JobID,State,Reason"]);
      const states = parseSacct(out.stdout);
      if (out.code === 0 && (states.size > 0 || this.#sacct === true)) {
        this.#sacct = true;
        return states;
      }
      if (this.#sacct === undefined) {
        this.#sacct = false;
        this.#o.onNote?.(
          `sacct has no record of the run's jobs (${(out.stderr || "no output").trim()}): job states come from squeue and, for ended tasks, scontrol show job`,
        );
      }
    }
    const out = await this.#commands.run("squeue", ["-h", "-r", `--name=${names}`, "-o", "%F|%K|%T|%r"]);
    if (out.code !== 0) throw new Error(`squeue failed: ${out.stderr.trim()}`);
    return parseSqueue(out.stdout);
  }

  /** End states of one array job's tasks (`scontrol show job`, kept by slurmctld for MinJobAge after they end). */
  async #endStates(sub: Submission): Promise<Map<string, TaskState>> {
    const out = await this.#commands.run("scontrol", ["-o", "show", "job", sub.jobId]);
    // "Invalid job id": purged already; every task's state is then unknown.
    if (out.code !== 0) return new Map();
    const states = parseScontrol(out.stdout);
    // A task cancelled while still pending leaves no record (without accounting): slurmctld
    // drops it from the array's pending range. The job is known, so its absence is that.
    if (states.size > 0) {
      for (const index of sub.units.keys()) {
        const key = `${sub.jobId}_${String(index)}`;
        if (!states.has(key)) states.set(key, { state: GONE, reason: "" });
      }
    }
    return states;
  }

  /** Cancels the run's tasks still waiting in the queue ("pending") or all of them, with one scancel. */
  async #cancel(which: "pending" | "all"): Promise<void> {
    const subs = this.#submissions;
    if (subs.length === 0) return;
    if (which === "all") {
      for (const s of subs) for (const i of s.units.keys()) s.cancelled.add(i);
      await this.#commands.run("scancel", subs.map((s) => s.jobId));
      return;
    }
    const names = [...new Set(subs.map((s) => s.runId))].join(",");
    const out = await this.#commands.run("squeue", ["-h", "-r", `--name=${names}`, "-t", "PENDING", "-o", "%F|%K|%T|%r"]);
    const ids: string[] = [];
    for (const key of parseSqueue(out.stdout).keys()) {
      const [job, index] = key.split("_");
      const sub = subs.find((s) => s.jobId === job);
      if (sub === undefined || index === undefined) continue;
      sub.cancelled.add(Number(index));
      ids.push(key);
    }
    if (ids.length > 0) await this.#commands.run("scancel", ids);
  }

  async #readLeftBehind(): Promise<{ files: readonly string[]; byKey: Map<string, { entry: JournalEntry; index: number; unit: number; path: string }>; live: Set<string> }> {
    const { files, entries } = await this.#journal.leftBehind();
    const byKey = new Map<string, { entry: JournalEntry; index: number; unit: number; path: string }>();
    let older = 0;
    for (const entry of entries) {
      // An older cmbflow's job writes its results where this one does not look: its units are
      // submitted again, and the job, if still running, is cancelled at close as a stray.
      if (entry.results === undefined) {
        older++;
        continue;
      }
      for (const [index, keys] of entry.keys.entries()) for (const [unit, key] of keys.entries()) byKey.set(key, { entry, index, unit, path: entry.results[index]?.[unit] ?? "" });
    }
    if (older > 0) this.#o.onNote?.(`${String(older)} Slurm job(s) journalled by an older cmbflow are not re-attached to (their result files are not where this version looks): their units are submitted again`);
    const live = new Set<string>();
    if (entries.length > 0) {
      const names = [...new Set(entries.map((e) => e.runId))].join(",");
      const out = await this.#commands.run("squeue", ["-h", "-r", `--name=${names}`, "-o", "%F|%K|%T|%r"]);
      for (const [key, state] of parseSqueue(out.stdout)) if (!ENDED.has(state.state)) live.add(key);
    }
    return { files, byKey, live };
  }
}

/** A task's Slurm state and reason. */
export interface TaskState {
  readonly state: string;
  readonly reason: string;
}

/**
 * `sinfo -h -o %P|%C` lines (partition, CPUs as allocated/idle/other/total) as total CPUs per
 * partition; the default partition (marked `*`) also under "".
 */
export function parseSinfoCpus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [name, cpus] = line.trim().split("|");
    const total = Number(cpus?.split("/")[3]);
    if (name === undefined || name === "" || !Number.isInteger(total)) continue;
    const partition = name.replace(/\*$/, "");
    out.set(partition, (out.get(partition) ?? 0) + total);
    if (name.endsWith("*")) out.set("", (out.get("") ?? 0) + total);
  }
  return out;
}

/** `squeue -h -r -o %F|%K|%T|%r` lines (array job id, index, state, reason) by `JOB_INDEX`. */
export function parseSqueue(text: string): Map<string, TaskState> {
  const out = new Map<string, TaskState>();
  for (const line of text.split("\n")) {
    const [job, index, state, reason] = line.trim().split("|");
    if (job === undefined || index === undefined || state === undefined || !/^\d+$/.test(index)) continue;
    out.set(`${job}_${index}`, { state, reason: reason ?? "" });
  }
  return out;
}

/** `sacct -n -X -P -o JobID,State,Reason` lines by `JOB_INDEX` (a still-pending range `12_[3-7]` expanded). */
export function parseSacct(text: string): Map<string, TaskState> {
  const out = new Map<string, TaskState>();
  for (const line of text.split("\n")) {
    const [id, rawState, reason] = line.trim().split("|");
    if (id === undefined || rawState === undefined) continue;
    // "CANCELLED by 0" → CANCELLED.
    const state = rawState.split(" ")[0] ?? rawState;
    const m = /^(\d+)_(?:(\d+)|\[([\d,\-%]+)\])$/.exec(id);
    if (m === null) continue;
    for (const index of m[2] !== undefined ? [Number(m[2])] : expandRanges(m[3] ?? "")) out.set(`${m[1] ?? ""}_${String(index)}`, { state, reason: reason ?? "" });
  }
  return out;
}

/** `scontrol -o show job ID` lines (one per task or pending range) by `JOB_INDEX`. */
export function parseScontrol(text: string): Map<string, TaskState> {
  const out = new Map<string, TaskState>();
  for (const line of text.split("\n")) {
    const field = (name: string): string | undefined => new RegExp(`(?:^|\\s)${name}=(\\S*)`).exec(line)?.[1];
    const job = field("ArrayJobId");
    const tasks = field("ArrayTaskId");
    const state = field("JobState");
    if (job === undefined || tasks === undefined || state === undefined) continue;
    for (const index of expandRanges(tasks)) out.set(`${job}_${String(index)}`, { state, reason: field("Reason") ?? "" });
  }
  return out;
}

/** "1-3,7" (a throttle "%2" ignored) → 1, 2, 3, 7. */
function expandRanges(text: string): number[] {
  const out: number[] = [];
  for (const part of (text.split("%")[0] ?? "").split(",")) {
    const [a, b] = part.split("-").map(Number);
    if (a === undefined || !Number.isInteger(a)) continue;
    for (let i = a; i <= (b !== undefined && Number.isInteger(b) ? b : a); i++) out.push(i);
  }
  return out;
}

/** A unit's result with where it ran (for provenance). */
function located(done: UnitResult): WorkResult {
  const r = done.result;
  if (!r.ok || r.ranWith === undefined) return r;
  return { ...r, ranWith: { ...r.ranWith, where: `slurm job ${done.ranOn.jobId}_${String(done.ranOn.arrayTask)} on ${done.ranOn.host}` } };
}

/** A unit the scheduler waits on: asked for and not answered. */
function waiting(u: Unit): boolean {
  return u.claimed && !u.settled;
}

function newSubmission(runId: string, jobId: string, log: string): Submission {
  return { runId, jobId, log, units: new Map(), endedAt: new Map(), unknown: new Map(), cancelled: new Set(), pending: new Set() };
}

function notStarted(): WorkResult {
  return { ok: false, notStarted: true, message: "not started: the run stopped", logs: [], lateReads: [] };
}

function digest(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 32);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
