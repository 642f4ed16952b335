/** Shared by status, explain and run --dry-run: the pipeline, its executors and the engine opened read-only. */
import { CacheEngine, cacheSettings } from "../cache/engine.js";
import type { PipelineContext, PlanAction } from "../core/pipeline-context.js";
import type { CliIo } from "./io.js";
import type { Compiled, ConfigFlags } from "./load.js";
import { compileForCommand } from "./load.js";
import { cacheDirFor, prepareContext } from "./run-command.js";
import { ExecutorMemo } from "../cache/executor-memo.js";

/** What a reading command works with. Close the engine when done. */
export interface ReadingSession {
  readonly compiled: Compiled;
  readonly context: PipelineContext;
  readonly engine: CacheEngine;
  /** Where paths are shown relative to. */
  readonly cwd: string;
}

/**
 * Loads, compiles, constructs every executor (or describes it from the executor memo) and opens the cache read-only (never waiting
 * for a running `run`); undefined when any step failed, its problems printed.
 */
export async function openReadingSession(overrides: readonly string[], flags: ConfigFlags, io: CliIo): Promise<ReadingSession | undefined> {
  const compiled = await compileForCommand(overrides, flags, io);
  if (compiled === undefined) return undefined;
  // Readers use the executor memo a run left, but never write it.
  const cacheDir = cacheDirFor(io);
  // A stage that names no executor is still counted (as unable to run), so CMB-ML's pipelines, whose YAML names none, can be inspected.
  const context = await prepareContext(compiled, io, await ExecutorMemo.open(cacheDir), true);
  if (context === undefined) return undefined;
  const engine = await CacheEngine.open({ cacheDir, workDir: io.cwd, mode: "read", settings: cacheSettings(compiled.config.resolved) });
  return { compiled, context, engine, cwd: io.cwd };
}

/** `will run 1, restore 0, may run 26 (...), of 69 nodes`, shared by the dry run and status. */
export function planTotals(total: Readonly<Record<PlanAction, number>>, nodes: number): string {
  const mayRun = total["may-run"] === 0 ? "" : " (they wait on upstream nodes that will run; early cutoff skips them if those write the same bytes)";
  return `will run ${String(total.run)}, restore ${String(total.restore)}, may run ${String(total["may-run"])}${mayRun}, of ${String(nodes)} nodes`;
}
