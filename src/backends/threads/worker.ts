/**
 * The worker-thread entry (piscina): each thread starts its host once, from the same
 * {@link PipelineSource} the main thread used (core/host.ts: the configuration the main
 * thread loaded, the project's plugins, the compiled pipeline), then runs units of work; a
 * stage's executor is constructed in the thread on its first unit. Nothing but plain data crosses between threads.
 */
import { workerData } from "piscina";
import { rememberImportLists } from "../../cache/module-graph.js";
import type { WorkResult } from "../../scheduler/node-runner.js";
import type { PoolMessage, WorkerData } from "../pipeline-source.js";
import { startWorkHost } from "../start-work-host.js";
import type { WorkHost } from "../../core/work-host.js";

// Built as soon as the thread starts, while the main thread is still judging nodes.
const data = workerData as WorkerData;
// Import lists are a function of a file's content: those the main thread parsed hold here.
if (data.importLists !== undefined) rememberImportLists(data.importLists);
// Awaited here, at module level: piscina waits for this module before the thread reports ready,
// and from then on, between units, the thread blocks in Atomics.wait, where nothing pending
// makes progress. A start left pending would not progress until the first unit arrived, and a
// pool started early (while the main thread prepares) would gain nothing. A failure is kept and
// reported with the first unit of work.
const started: { readonly host: WorkHost } | { readonly failure: unknown } = await startWorkHost(data.source).then(
  (host) => ({ host }),
  (failure: unknown) => ({ failure }),
);
if ("host" in started) for (const stage of data.preload ?? []) await started.host.preload(stage);
const held = new Int32Array(data.holdBack);

/** Runs one unit of work. */
export default async function run({ task, startedAt }: PoolMessage): Promise<WorkResult> {
  if ("failure" in started) throw started.failure;
  const ready = started.host;
  // Queued before the run stopped (or it stopped while this thread started): do not start.
  if (Atomics.load(held, 0) !== 0) return { ok: false, notStarted: true, message: "not started: the run stopped", logs: [], lateReads: [] };
  // The node timeout counts from here: a worker's own start (configuration, plugins, compiling
  // the pipeline) is not the node's time, and on a loaded machine it alone can pass a short timeout.
  // The stamp also claims the unit: one the main thread withdrew first (−1) is not run.
  if (Atomics.compareExchange(new BigInt64Array(startedAt), 0, 0n, BigInt(Date.now())) !== 0n) {
    return { ok: false, notStarted: true, message: "not started: the run stopped", logs: [], lateReads: [] };
  }
  const result = await ready.run(task);
  // Without --keep-going a failure stops the run: hold back queued units at once, before the
  // main thread hears of it (this thread would otherwise take the next one first).
  if (!result.ok && !data.keepGoing) Atomics.store(held, 0, 1);
  return result;
}
