/**
 * Runs units of work against one StageHost: the same code in a worker thread, a Slurm task
 * and, for pipelines built by hand, in the calling thread (the PipelineContext's own host). A stage's exception becomes an
 * `ok: false` result carrying the stage's own message and stack; outputs are digested right
 * after they are committed, in the thread that wrote them.
 *
 * It sits with the runtime, not with the backends: PipelineContext runs on the calling thread
 * by default, and a backend starting a host (backends/start-work-host.ts) depends on the
 * runtime, never the other way round, so neither folder imports the other in a cycle.
 */
import type { Hasher } from "../cache/hash.js";
import { stampedDigestMessage, stampedDigestSync } from "../cache/stamped-digest.js";
import type { StageHost } from "./stage-host.js";
import { runNode, runScan, runSift } from "./run-node.js";
import type { StageLogger } from "./executor.js";
import type { NodeRunner, StageLogLine, WorkResult, WorkTask, WrittenOutput } from "../scheduler/node-runner.js";
import { measureUnit } from "../scheduler/unit-usage.js";

/** What a host needs of a pipeline: each stage's runtime, and what its units read and ran with (a StageHost, alone in a worker). */
export type UnitContext = Pick<StageHost, "stageRuntime" | "lateReads" | "ranWith">;

/** Errors about files (missing, unreadable, blocked by a folder), reported by their message alone. */
const DATA_ERRORS = new Set(["MissingInputError", "InputReadError", "OutputPathError"]);

/** Runs work for one pipeline. */
export class WorkHost {
  readonly #context: UnitContext;
  readonly #hasher: Hasher;

  constructor(context: UnitContext, hasher: Hasher) {
    this.#context = context;
    this.#hasher = hasher;
  }

  /**
   * Loads and constructs a stage's executor ahead of its first unit (a thread started early, while
   * the main thread still prepares, does this instead of idling). A failure is left for the
   * stage's first unit to meet again and report.
   */
  async preload(stage: string): Promise<void> {
    try {
      await this.#context.stageRuntime(stage);
    } catch {
      // Reported by the first unit of the stage, which tries again.
    }
  }

  /** Runs one unit, measured (unit-usage.ts): the result carries its usage. */
  async run(task: WorkTask): Promise<WorkResult> {
    const { value, usage } = await measureUnit(() => this.#run(task));
    return { ...value, usage };
  }

  async #run(task: WorkTask): Promise<WorkResult> {
    const logs: StageLogLine[] = [];
    const log: StageLogger = {
      info: (message, fields) => logs.push({ level: "info", message, ...(fields === undefined ? {} : { fields }) }),
      warn: (message, fields) => logs.push({ level: "warn", message, ...(fields === undefined ? {} : { fields }) }),
    };
    try {
      const runtime = { ...(await this.#context.stageRuntime(task.stage)), log };
      const unit = { nodeId: task.nodeId, partition: task.partition };
      switch (task.kind) {
        case "node":
          return this.#written(task, await runNode(runtime, unit), logs);
        case "scan":
          return this.#done(task, [], logs, await runScan(runtime, unit));
        case "sift":
          return this.#written(task, await runSift(runtime, unit, task.results), logs);
      }
    } catch (caught) {
      const lateReads = this.#context.lateReads(task.stage);
      // A missing or unreadable input file is a fact about the data, not a bug in the stage: its
      // message names the file (and the stage that makes it), and a stack would only bury that.
      if (caught instanceof Error && DATA_ERRORS.has(caught.name)) return { ok: false, message: caught.message, logs, lateReads };
      if (caught instanceof Error) return { ok: false, message: caught.message, ...(caught.stack === undefined ? {} : { stack: caught.stack }), logs, lateReads };
      return { ok: false, message: String(caught), logs, lateReads };
    }
  }

  #done(task: WorkTask, outputs: readonly WrittenOutput[], logs: readonly StageLogLine[], value?: unknown): WorkResult {
    return { ok: true, outputs, ...(value === undefined ? {} : { value }), logs, lateReads: this.#context.lateReads(task.stage), ranWith: this.#context.ranWith(task.stage, this.#hasher) };
  }

  /** The committed outputs, each digested with the stamp of the file read; a file another writer changed meanwhile fails the unit. */
  #written(task: WorkTask, paths: readonly string[], logs: readonly StageLogLine[]): WorkResult {
    const out: WrittenOutput[] = [];
    for (const path of paths) {
      // Synchronous in the worker thread (see OutputTransaction.tempFor).
      const d = stampedDigestSync(this.#hasher, path);
      if (!d.ok) return { ok: false, message: stampedDigestMessage(d.error), logs, lateReads: this.#context.lateReads(task.stage) };
      out.push({ path, digest: d.value.digest, size: d.value.size, stamp: d.value.stamp });
    }
    return this.#done(task, out, logs);
  }
}

/** Runs work in the calling thread, one unit at a time. */
export class InProcessRunner implements NodeRunner {
  readonly parallelism = 1;
  readonly inFlight = 1;
  readonly #host: WorkHost;

  constructor(host: WorkHost) {
    this.#host = host;
  }

  run(task: WorkTask): Promise<WorkResult> {
    return this.#host.run(task);
  }

  holdBack(): void {
    // Nothing waits: the scheduler keeps one unit in flight.
  }

  async terminate(): Promise<void> {
    // Work in the calling thread cannot be stopped from outside; it ends with its node.
  }

  async close(): Promise<void> {
    // Nothing is held.
  }
}
