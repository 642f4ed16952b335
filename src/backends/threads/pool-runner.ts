/**
 * Runs units of work on a piscina pool of worker threads. A unit whose worker dies — the
 * stage called `process.exit`, ran out of memory, or passed the node timeout — rejects with
 * a message saying which; piscina replaces the worker and the pool carries on.
 */
import { availableParallelism } from "node:os";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Piscina } from "piscina";
import { knownImportLists } from "../../cache/module-graph.js";
import { PACKAGE_ROOT } from "../../core/executor-loader.js";
import type { NodeRunner, WorkResult, WorkTask } from "../../scheduler/node-runner.js";
import type { PipelineSource, PoolMessage, WorkerData } from "../pipeline-source.js";

/** How the pool is made. */
export interface PoolOptions {
  readonly source: PipelineSource;
  /** Worker threads; default the available cores. */
  readonly threads?: number;
  /** A unit running longer than this fails and its worker is replaced. */
  readonly nodeTimeoutMs?: number;
  /** Heap limit of each worker (V8 old generation), in MiB; a unit passing it fails. */
  readonly workerMemoryMb?: number;
  /** --keep-going: a failed unit does not hold back the queued ones. */
  readonly keepGoing?: boolean;
  /**
   * Stages whose executors each thread loads as it starts (the stage that runs first). Ignored
   * with a node timeout (see the constructor).
   */
  readonly preload?: readonly string[];
}

/** The compiled worker entry: workers always run cmbflow's dist/, also when the main thread runs its sources (tests). */
export const WORKER_FILE = join(PACKAGE_ROOT, "dist", "backends", "threads", "worker.js");

/** The default number of workers. */
export function defaultThreads(): number {
  return availableParallelism();
}

/** A pool of worker threads. */
export class PoolRunner implements NodeRunner {
  readonly parallelism: number;
  readonly inFlight: number;
  #pool: Promise<Piscina<PoolMessage, WorkResult>> | undefined;
  readonly #options: PoolOptions;
  readonly #terminate = new AbortController();
  /** Aborted when the pool can start no worker (see `#started`); `#brokenBy` says why. */
  readonly #broken = new AbortController();
  #brokenBy: unknown;
  readonly #holdBack = new SharedArrayBuffer(4);
  /**
   * Units handed to the pool and not finished, each with its start stamp (0 until a worker
   * claims it, −1 once withdrawn by {@link holdBack}) and what withdraws it.
   */
  readonly #units = new Set<{ readonly startedAt: BigInt64Array; readonly withdraw: AbortController }>();
  /** Set by {@link warm}: start every thread at once instead of as units arrive. */
  #eager = false;

  constructor(options: PoolOptions) {
    if (!existsSync(WORKER_FILE)) throw new Error(`the worker entry ${WORKER_FILE} is missing: run npm run build`);
    // A node timeout counts from a unit's start, and a thread reports ready only after its
    // preload: a stage module that hangs as it loads would hang every thread before any unit
    // started, out of the timeout's reach. With a timeout the module loads in the first unit.
    const { preload, ...rest } = options;
    this.#options = options.nodeTimeoutMs === undefined && preload !== undefined ? { ...rest, preload } : rest;
    this.parallelism = Math.max(1, options.threads ?? defaultThreads());
    // One unit waits per worker besides the running one, so a worker never idles while the
    // main thread records the last node; once the run stops, waiting units are held back.
    this.inFlight = 2 * this.parallelism;
  }

  /**
   * Starts all the pool's threads now, so that their start-up (loading cmbflow, the project's
   * plugins, compiling the pipeline) overlaps the main thread's planning instead of following
   * it. Without it the pool starts on first use.
   */
  warm(): void {
    this.#eager = true;
    this.#started().catch(() => undefined); // a failure is reported with the first unit
  }

  /**
   * The pool, started on first use (or by {@link warm}): a run where every node is fresh
   * starts no thread (and does not even load piscina) unless warmed.
   */
  #started(): Promise<Piscina<PoolMessage, WorkResult>> {
    this.#pool ??= import("piscina").then(({ Piscina: Pool }) => {
      const pool = new Pool<PoolMessage, WorkResult>({
          filename: WORKER_FILE,
          // Threads start as units arrive, so a run of three nodes at -j 8 starts three; a
          // warmed pool starts them all at once.
          minThreads: this.#eager ? this.parallelism : 1,
          maxThreads: this.parallelism,
          idleTimeout: Number.POSITIVE_INFINITY,
          workerData: {
            source: this.#options.source,
            holdBack: this.#holdBack,
            keepGoing: this.#options.keepGoing === true,
            importLists: knownImportLists(),
            ...(this.#options.preload === undefined ? {} : { preload: this.#options.preload }),
          } satisfies WorkerData,
        ...(this.#options.workerMemoryMb === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: this.#options.workerMemoryMb } }),
      });
      // A worker that dies with no unit of its own (e.g. one started to replace a dead worker
      // that runs out of memory while loading, under a tiny --worker-memory) is reported by
      // the pool as an 'error' event; without a listener Node ends the whole process on it.
      // Piscina then starts no more workers, so the queued units would wait for ever: they
      // are failed with the reason instead (each node fails, the run ends normally).
      pool.on("error", (error: unknown) => {
        if (this.#broken.signal.aborted) return;
        this.#brokenBy = error;
        this.#broken.abort();
      });
      return pool;
    });
    return this.#pool;
  }

  /** Worker threads the pool has started so far (0 before it starts). */
  async threadCount(): Promise<number> {
    return this.#pool === undefined ? 0 : (await this.#pool).threads.length;
  }

  async run(task: WorkTask, signal?: AbortSignal): Promise<WorkResult> {
    const timeout = this.#options.nodeTimeoutMs === undefined ? undefined : startedTimeout(this.#options.nodeTimeoutMs);
    const signals = [this.#terminate.signal, this.#broken.signal, ...(timeout === undefined ? [] : [timeout.signal]), ...(signal === undefined ? [] : [signal])];
    // The worker stamps the unit's start here, so a unit stopped while it still waited in the
    // queue is reported as not started, not as a failed node.
    const startedAt = timeout?.startedAt ?? new SharedArrayBuffer(8);
    const unit = { startedAt: new BigInt64Array(startedAt), withdraw: new AbortController() };
    this.#units.add(unit);
    const withdrawn = new Promise<"withdrawn">((resolve) => unit.withdraw.signal.addEventListener("abort", () => resolve("withdrawn"), { once: true }));
    try {
      const message: PoolMessage = { task, startedAt };
      // A withdrawn unit is not aborted in the pool: piscina would stop the thread it was just
      // handed to and start another. It stays queued (a thread that takes it declines it) until
      // the pool is closed, which drops it.
      const running = (await this.#started()).run(message, { signal: AbortSignal.any(signals) });
      const first = await Promise.race([running, withdrawn]);
      if (first !== "withdrawn") return first;
      running.catch(() => undefined);
      return { ok: false, notStarted: true, message: "not started: the run stopped", logs: [], lateReads: [] };
    } catch (caught) {
      if (this.#terminate.signal.aborted && Atomics.load(unit.startedAt, 0) === 0n) {
        return { ok: false, notStarted: true, message: "not started: the run was stopped", logs: [], lateReads: [] };
      }
      throw new Error(this.#lostMessage(caught, timeout?.signal), { cause: caught });
    } finally {
      this.#units.delete(unit);
      timeout?.clear();
    }
  }

  /**
   * Queued units will not start: a worker that takes one declines it, and every unit no worker
   * has claimed yet is withdrawn from the pool at once. Without the withdrawal a stopped run
   * waited for a worker to come and decline each, which for threads stuck in their start (a
   * stage module that never finishes loading) meant the whole grace period. The claim is one
   * compare-and-swap on the unit's start stamp on either side, so a unit is either run or
   * withdrawn, never both.
   */
  holdBack(): void {
    Atomics.store(new Int32Array(this.#holdBack), 0, 1);
    for (const unit of this.#units) {
      if (Atomics.compareExchange(unit.startedAt, 0, 0n, -1n) === 0n) unit.withdraw.abort();
    }
  }

  async terminate(): Promise<void> {
    this.#terminate.abort();
    await (await this.#pool)?.destroy();
  }

  async close(): Promise<void> {
    if (this.#terminate.signal.aborted) return;
    const pool = await this.#pool;
    // With no unit in flight there is nothing to let finish: the threads are stopped. piscina's
    // close() would also wait for a thread still starting, which for one stuck loading a stage
    // module is for ever.
    if (this.#units.size === 0) await pool?.destroy();
    else await pool?.close();
  }

  /** Why a unit could not finish, in the user's terms. */
  #lostMessage(thrown: unknown, timeout: AbortSignal | undefined): string {
    if (this.#terminate.signal.aborted) return "stopped: the run was interrupted while this node was running";
    // A unit failed because the pool broke is reported with the pool's reason.
    const caught = this.#broken.signal.aborted && (thrown as { name?: unknown } | undefined)?.name === "AbortError" ? this.#brokenBy : thrown;
    if (timeout?.aborted === true) return `timed out after ${String((this.#options.nodeTimeoutMs ?? 0) / 1000)} s (--node-timeout); its worker was stopped`;
    const code = (caught as { code?: unknown } | undefined)?.code;
    if (code === "ERR_WORKER_OUT_OF_MEMORY") {
      return `its worker ran out of memory${this.#options.workerMemoryMb === undefined ? "" : ` (limit ${String(this.#options.workerMemoryMb)} MiB, --worker-memory)`}`;
    }
    const message = caught instanceof Error ? caught.message : String(caught);
    const exited = /exited with code:? (-?\d+)|exit code:? (-?\d+)/i.exec(message);
    if (exited !== null) return `its worker exited (code ${exited[1] ?? exited[2] ?? "?"}) while running the node: did the stage call process.exit?`;
    return `its worker died: ${message}`;
  }
}

/**
 * A node timeout that counts from when a worker starts the unit, not from when it was handed
 * to the pool (a unit may wait there behind the running one): the worker writes its start
 * time into `startedAt`, and the timer, until then, only looks again.
 */
function startedTimeout(ms: number): { readonly signal: AbortSignal; readonly startedAt: SharedArrayBuffer; clear(): void } {
  const controller = new AbortController();
  const startedAt = new SharedArrayBuffer(8);
  const start = new BigInt64Array(startedAt);
  let timer: NodeJS.Timeout | undefined;
  const check = (): void => {
    const t0 = Number(Atomics.load(start, 0));
    if (t0 < 0) return; // withdrawn (see PoolRunner.holdBack): it will not start
    const left = t0 === 0 ? Math.min(ms, 1000) : t0 + ms - Date.now();
    if (t0 !== 0 && left <= 0) controller.abort();
    else timer = setTimeout(check, left);
  };
  timer = setTimeout(check, ms);
  return { signal: controller.signal, startedAt, clear: () => clearTimeout(timer) };
}
