/**
 * The one start-up path of a host: load the configuration (or take the one the coordinator
 * loaded), import the project's plugins (which register handlers), compile the pipeline (a
 * worker: its stage graph only) and make its PipelineContext (a worker: its StageHost). The CLI, the library (`PipelineContext.fromConfig`), a worker
 * thread and a Slurm task all start here, so a handler a plugin registers exists in each.
 */
import type { LoadedConfig } from "../config/types.js";
import { loadConfig } from "../config/index.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { Result } from "../diagnostics/result.js";
import { err, ok } from "../diagnostics/result.js";
import type { CompiledPipeline } from "../graph/compile.js";
import type { StageGraph } from "../graph/stage-graph.js";
import { buildStageGraph } from "../graph/stage-graph.js";
import { builtinHandlerNames } from "../handlers/index.js";
import { loadPlugins } from "./plugins.js";

/** The parts of a loaded configuration that are plain data (no source map), as another host needs them. */
export type PortableConfig = Pick<LoadedConfig, "raw" | "resolved" | "overrides" | "choices">;

/** Where a host's configuration comes from. */
export interface HostConfigSource {
  readonly configDir: string;
  readonly configName: string;
  readonly overrides: readonly string[];
  /** Environment for `${oc.env:...}` interpolations. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The configuration as the coordinator loaded it; when given, the files are not read again. */
  readonly config?: PortableConfig;
}

/** Loads the configuration from its files, or takes the portable copy; diagnostics when loading fails. */
export function loadHostConfig(source: HostConfigSource): Result<LoadedConfig, Diagnostic[]> {
  if (source.config === undefined) {
    return loadConfig({ configDir: source.configDir, configName: source.configName, overrides: source.overrides, ...(source.env === undefined ? {} : { env: source.env }) });
  }
  // The coordinator compiled this same configuration, so nothing here can point at a source line.
  return ok<LoadedConfig>({ ...source.config, origin: () => undefined, sources: [], warnings: [] });
}

/**
 * Imports the config's plugins (paths relative to `projectDir`) and builds the stage graph
 * alone, without expanding its nodes: all a worker needs to run units (see StageHost).
 */
export async function compileStages(config: LoadedConfig, projectDir: string): Promise<Result<StageGraph, Diagnostic[]>> {
  const plugins = await loadPlugins(config, projectDir);
  if (!plugins.ok) return err([plugins.error]);
  return buildStageGraph(config, { handlers: new Set(builtinHandlerNames()) });
}

/**
 * Imports the config's plugins (paths relative to `projectDir`) and compiles the pipeline
 * against the handlers then registered (compile.ts's steps: the stage graph, then its nodes);
 * the diagnostics of whichever step failed.
 */
export async function compileHost(config: LoadedConfig, projectDir: string): Promise<Result<CompiledPipeline, Diagnostic[]>> {
  const stages = await compileStages(config, projectDir);
  if (!stages.ok) return stages;
  // Loaded here, not with this module: a worker loads this module and never expands nodes.
  const { expandNodes } = await import("../graph/node-graph.js");
  const nodes = expandNodes(stages.value);
  if (!nodes.ok) return err(nodes.error);
  return ok({ stageGraph: stages.value, nodes: nodes.value });
}
