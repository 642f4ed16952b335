/** How a worker (a thread, a Slurm task) starts: the one bootstrap of core/host.ts, then the stages it runs units of. */
import { hasher as makeHasher } from "../cache/hash.js";
import { compileStages, loadHostConfig } from "../core/host.js";
import { StageHost } from "../core/stage-host.js";
import { WorkHost } from "../core/work-host.js";
import { renderDiagnostics } from "../diagnostics/render.js";
import type { PipelineSource } from "./pipeline-source.js";

/**
 * Starts the host a worker (a thread, a Slurm task) runs units on, from the coordinator's
 * plain-data source; throws, with the diagnostics rendered, when the stages cannot be built.
 * A StageHost, not a PipelineContext: a worker never plans, so it builds the stage graph and
 * not the node graph (thousands of nodes), and loads nothing of fingerprints or scheduling.
 */
export async function startWorkHost(source: PipelineSource): Promise<WorkHost> {
  const loaded = loadHostConfig(source);
  if (!loaded.ok) throw new Error(`the worker could not load the configuration:\n${renderDiagnostics(loaded.error, { cwd: source.workDir })}`);
  const stages = await compileStages(loaded.value, source.projectDir);
  if (!stages.ok) throw new Error(`the worker could not start the pipeline:\n${renderDiagnostics(stages.error, { cwd: source.workDir })}`);
  const host = new StageHost(loaded.value, stages.value, source.projectDir, source.workDir);
  await host.watchPlugins();
  return new WorkHost(host, await makeHasher());
}
