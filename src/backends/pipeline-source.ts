import type { PortableConfig } from "../core/host.js";
import type { WorkTask } from "../scheduler/node-runner.js";

export type { PortableConfig } from "../core/host.js";

/**
 * Where a pipeline comes from, as plain data: what a worker thread needs to build the same
 * pipeline the main thread runs.
 */
export interface PipelineSource {
  readonly configDir: string;
  readonly configName: string;
  readonly overrides: readonly string[];
  /** Folder executor and plugin module paths resolve against. */
  readonly projectDir: string;
  /** Folder a relative data root resolves against. */
  readonly workDir: string;
  /** Environment for `${oc.env:...}` interpolations. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * The configuration as the main thread loaded it. Workers then build the pipeline from it
   * rather than from the files, which may have been edited since the main thread read them.
   * Without it each worker loads the files itself, and a unit run with a configuration that
   * differs from the main thread's is not recorded (see RanWith).
   */
  readonly config?: PortableConfig;
}

/** What each worker thread is started with. */
export interface WorkerData {
  readonly source: PipelineSource;
  /** One Int32 shared by all threads: non-zero once the run stopped, so queued units do not start. */
  readonly holdBack: SharedArrayBuffer;
  /** Whether a failure leaves the run going (--keep-going); otherwise the failing thread holds the rest back. */
  readonly keepGoing: boolean;
  /** Stages whose executors the thread loads as it starts, before its first unit. */
  readonly preload?: readonly string[];
  /** The import lists the main thread knows, by file kind and content digest (module-graph.ts `knownImportLists`). */
  readonly importLists?: Readonly<Record<string, readonly string[]>>;
}

/** What the pool hands a worker for one unit. */
export interface PoolMessage {
  readonly task: WorkTask;
  /** One BigInt64 the worker sets to Date.now() as it starts the unit (the node timeout counts from it). */
  readonly startedAt: SharedArrayBuffer;
}
