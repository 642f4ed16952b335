/**
 * The worker-thread entry (piscina): each thread takes the configuration the main thread
 * loaded (or, when the source carries none, loads it), imports the project's plugins and
 * compiles the pipeline once, from the same {@link PipelineSource} the main thread used,
 * then runs units of work; a stage's executor is constructed in the
 * thread on its first unit. Nothing but plain data crosses between threads.
 */
import { workerData } from "piscina";
import { hasher } from "../cache/hash.js";
import { loadConfig } from "../config/index.js";
import type { LoadedConfig } from "../config/types.js";
import { ok } from "../diagnostics/result.js";
import { PipelineContext } from "../core/pipeline-context.js";
import { loadPlugins } from "../core/plugins.js";
import { renderDiagnostics } from "../diagnostics/render.js";
import { compilePipeline } from "../graph/compile.js";
import { builtinHandlerNames } from "../handlers/index.js";
import type { WorkResult } from "./node-runner.js";
import type { PipelineSource, PoolMessage, WorkerData } from "./pipeline-source.js";
import { WorkHost } from "./work-host.js";

// Built as soon as the thread starts, while the main thread is still judging nodes.
const data = workerData as WorkerData;
const host: Promise<WorkHost> = makeHost(data.source);
const held = new Int32Array(data.holdBack);
// A failure is reported with the first unit of work, not as an unhandled rejection.
host.catch(() => undefined);

async function makeHost(source: PipelineSource): Promise<WorkHost> {
  const loaded =
    source.config === undefined
      ? loadConfig({ configDir: source.configDir, configName: source.configName, overrides: source.overrides, env: source.env })
      : // The main thread compiled this same configuration, so nothing here can point at a source line.
        ok<LoadedConfig>({ ...source.config, origin: () => undefined, sources: [], warnings: [] });
  if (!loaded.ok) throw new Error(`the worker could not load the configuration:\n${renderDiagnostics(loaded.error, { cwd: source.workDir })}`);
  const plugins = await loadPlugins(loaded.value, source.projectDir);
  if (!plugins.ok) throw new Error(`the worker could not load a plugin: ${plugins.error.message}`);
  const compiled = compilePipeline(loaded.value, { handlers: new Set(builtinHandlerNames()) });
  if (!compiled.ok) throw new Error(`the worker could not compile the pipeline:\n${renderDiagnostics(compiled.error, { cwd: source.workDir })}`);
  const context = new PipelineContext(loaded.value, compiled.value, source.projectDir, source.workDir);
  await context.watchPlugins();
  return new WorkHost(context, await hasher());
}

/** Runs one unit of work. */
export default async function run({ task, startedAt }: PoolMessage): Promise<WorkResult> {
  const ready = await host;
  // Queued before the run stopped (or it stopped while this thread started): do not start.
  if (Atomics.load(held, 0) !== 0) return { ok: false, notStarted: true, message: "not started: the run stopped", logs: [], lateReads: [] };
  // The node timeout counts from here: a worker's own start (configuration, plugins, compiling
  // the pipeline) is not the node's time, and on a loaded machine it alone can pass a short timeout.
  Atomics.store(new BigInt64Array(startedAt), 0, BigInt(Date.now()));
  const result = await ready.run(task);
  // Without --keep-going a failure stops the run: hold back queued units at once, before the
  // main thread hears of it (this thread would otherwise take the next one first).
  if (!result.ok && !data.keepGoing) Atomics.store(held, 0, 1);
  return result;
}
