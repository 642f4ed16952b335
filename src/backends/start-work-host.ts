/** How a worker (a thread, a Slurm task) starts: the one bootstrap of core/host.ts, then its pipeline. */
import { hasher as makeHasher } from "../cache/hash.js";
import { compileHost, loadHostConfig } from "../core/host.js";
import { PipelineContext } from "../core/pipeline-context.js";
import { WorkHost } from "../core/work-host.js";
import { renderDiagnostics } from "../diagnostics/render.js";
import type { PipelineSource } from "./pipeline-source.js";

/**
 * Starts the host a worker (a thread, a Slurm task) runs units on, from the coordinator's
 * plain-data source; throws, with the diagnostics rendered, when the pipeline cannot be built.
 */
export async function startWorkHost(source: PipelineSource): Promise<WorkHost> {
  const loaded = loadHostConfig(source);
  if (!loaded.ok) throw new Error(`the worker could not load the configuration:\n${renderDiagnostics(loaded.error, { cwd: source.workDir })}`);
  const compiled = await compileHost(loaded.value, source.projectDir);
  if (!compiled.ok) throw new Error(`the worker could not start the pipeline:\n${renderDiagnostics(compiled.error, { cwd: source.workDir })}`);
  const context = new PipelineContext(loaded.value, compiled.value, source.projectDir, source.workDir);
  await context.watchPlugins();
  return new WorkHost(context, await makeHasher());
}
