/**
 * "Run it": the interface between the scheduler and whatever runs a node's work — a pool of
 * worker threads (pool-runner.ts) or the calling thread (in-process, for pipelines built by
 * hand from executor classes, which a worker cannot load by name).
 *
 * A unit of work is one node (`processSim` or `execute`), one scan of a reduction, or a
 * reduction's sift over its scans' results. Results are plain data, so they cross threads.
 */
import type { Partition } from "../graph/partition.js";
import type { FileStamp } from "../cache/stamped-digest.js";
import type { UnitUsage } from "./unit-usage.js";

/** One scan's result, as its reduction's sift receives it. */
export interface ScanResult<T> {
  readonly partition: Partition;
  readonly value: T;
}

/** How a stage declares its work: per node, scan + sift (a reduction), or the whole stage at once. */
export type WorkKind = "process-sim" | "scan-sift" | "execute";

/** One unit of work. */
export type WorkTask =
  | { readonly kind: "node"; readonly stage: string; readonly nodeId: string; readonly partition: Partition }
  | { readonly kind: "scan"; readonly stage: string; readonly nodeId: string; readonly partition: Partition }
  | { readonly kind: "sift"; readonly stage: string; readonly nodeId: string; readonly partition: Partition; readonly results: readonly ScanResult<unknown>[] };

/** A line the stage logged through `ctx.log`. */
export interface StageLogLine {
  readonly level: "info" | "warn";
  readonly message: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

/**
 * An output as written: its path and content digest, and the stamp of the file the digest
 * was read from (taken through the same open descriptor), so the main thread pairs the
 * digest with exactly that file and not with whatever is at the path later.
 */
export interface WrittenOutput {
  readonly path: string;
  readonly digest: string;
  readonly size: number;
  readonly stamp: FileStamp;
}

/** A file a thread loaded, by the name the fingerprint's code part gives it, with its content digest at load time. */
export interface LoadedFile {
  readonly file: string;
  readonly digest: string;
}

/**
 * What a unit of work ran with, as the thread that ran it loaded it. The main thread judged
 * the node from its own reading of the same things earlier; a file edited in between (after
 * the main thread read it, before a worker loaded it) makes the two differ, and the node's
 * outputs must then not be recorded under the fingerprint judged.
 */
export interface RanWith {
  /** Digest of the resolved configuration the thread built its stages from. */
  readonly config: string;
  /** The stage's code as the thread loaded it (empty for a stage whose executor class was added by hand). */
  readonly code: readonly LoadedFile[];
  /** Where the unit ran, when the backend says (e.g. `slurm job 12_3 on node07`); recorded for provenance, never compared. */
  readonly where?: string;
  /**
   * Outputs of the units that ran before this one in the same batch and that it was handed in
   * ahead to follow ({@link AheadTask}), as they wrote them, just before this unit started.
   * This unit read its inputs before the coordinator recorded those units, so a digest here
   * that differs from the one its fingerprint was taken with means it read other files than
   * its record would claim: it is then not recorded.
   */
  readonly after?: readonly { readonly path: string; readonly digest: string }[];
}

/**
 * A unit the scheduler hands a runner ahead of time: it will ask for it (`run`) once the units
 * in `after` are recorded and it judges the node stale. A runner may run it as soon as those
 * units have run, in the same batch, to save a round trip per stage; the scheduler takes that
 * result only when it asks, and never for a node whose upstream failed.
 */
export interface AheadTask {
  readonly task: WorkTask;
  /** Units of this hand-over it reads the outputs of (its dependencies not done yet). */
  readonly after: readonly WorkTask[];
}

/** What a unit of work came to. */
export type WorkResult =
  | {
      readonly ok: true;
      /** Outputs committed (node and sift). */
      readonly outputs: readonly WrittenOutput[];
      /** The scan's value (scan). */
      readonly value?: unknown;
      readonly logs: readonly StageLogLine[];
      /** Config keys the stage read while working, not in its constructor. */
      readonly lateReads: readonly string[];
      /** What the unit ran with; absent from runners that cannot tell (then nothing is compared). */
      readonly ranWith?: RanWith;
      /** What the unit cost its thread; absent from runners that do not measure. */
      readonly usage?: UnitUsage;
    }
  | {
      readonly ok: false;
      /** The unit never started: the run stopped while it waited in the runner's queue. */
      readonly notStarted?: true;
      /** The stage's exception, its stack as the stage threw it. */
      readonly message: string;
      readonly stack?: string;
      readonly logs: readonly StageLogLine[];
      readonly lateReads: readonly string[];
      /** What the unit cost its thread until it failed; absent from runners that do not measure. */
      readonly usage?: UnitUsage;
    };

/** Runs units of work. */
export interface NodeRunner {
  /** How many units run at once. */
  readonly parallelism: number;
  /** How many nodes the scheduler keeps in flight to keep the runner busy (at least `parallelism`). */
  readonly inFlight: number;
  /**
   * Runs one unit. Rejects (rather than resolving `ok: false`) only when the unit could not
   * finish at all: its worker died, it timed out, or the runner was stopped.
   */
  run(task: WorkTask, signal?: AbortSignal): Promise<WorkResult>;
  /**
   * The scheduler is done with a unit's result: its node was recorded (or failed, or the unit
   * was a scan of a reduction that ended). A runner that keeps results where a later
   * coordinator could take them over (Slurm's result files) drops them now; optional.
   */
  release?(task: WorkTask): Promise<void>;
  /**
   * Units that will be asked for soon (the first of them at once), with the units each waits
   * for; optional. A runner may start them early, but answers a unit only through `run`; one
   * never asked for is dropped at `close` (its work left unrecorded).
   */
  ahead?(tasks: readonly AheadTask[]): void;
  /**
   * A unit handed ahead that the scheduler found fresh after all: whether the runner can vouch
   * it did not and will not run it (never sent anywhere), so the node may stay fresh. False
   * when it may run, or has; required with `ahead`.
   */
  withdraw?(task: WorkTask): boolean;
  /** Starts what the runner needs (threads) before the first unit arrives, when some node is sure to run; optional. */
  warm?(): void;
  /** Units waiting in the runner's queue will not start (they resolve `notStarted`); running ones go on. */
  holdBack(): void;
  /** Stops every unit at once (a second Ctrl-C); their promises reject. */
  terminate(): Promise<void>;
  /** Lets running units finish, then releases the runner. */
  close(): Promise<void>;
}
