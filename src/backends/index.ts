/**
 * Backends by name: where the units of work of a run execute. Each is a NodeRunner (the
 * plain-data work protocol of scheduler/node-runner.ts), so the scheduler, the cache and
 * the records are the same whichever runs the nodes.
 *
 * - `threads`: a pool of worker threads on this machine (the default);
 * - `inline`: the calling thread, one unit at a time (debugging; executors added by hand);
 * - `slurm`: array jobs on a Slurm cluster, this process coordinating.
 */
import type { Hasher } from "../cache/hash.js";
import type { PipelineContext } from "../core/pipeline-context.js";
import type { Result } from "../diagnostics/result.js";
import { err, ok } from "../diagnostics/result.js";
import type { NodeRunner } from "../scheduler/node-runner.js";
import type { PipelineSource } from "./pipeline-source.js";
import { mergeResources, parseResources, slurmSettings } from "./slurm/settings.js";
import type { SlurmCommands } from "./slurm/slurm-commands.js";
import { SlurmRunner } from "./slurm/slurm-runner.js";
import { PoolRunner } from "./threads/pool-runner.js";
import { InProcessRunner, WorkHost } from "../core/work-host.js";

/** The backends' names. */
export const BACKENDS = ["threads", "inline", "slurm"] as const;
export type BackendName = (typeof BACKENDS)[number];

/** The backend named by `--backend` (first) or the config's `backend:` key; a message for a name that is none. */
export function backendName(flag: string | undefined, configured: unknown): Result<BackendName, string> {
  const raw = flag ?? configured;
  if (raw === undefined || raw === null) return ok("threads");
  const where = flag === undefined ? "the config's backend: key" : "--backend";
  if (typeof raw === "string" && (BACKENDS as readonly string[]).includes(raw)) return ok(raw as BackendName);
  return err(`${where} is ${JSON.stringify(raw)}; backends: ${BACKENDS.join(", ")}`);
}

/** What any backend may need; each takes its part. */
export interface BackendOptions {
  readonly source: PipelineSource;
  /** The coordinator's own pipeline (inline runs on it). */
  readonly context: PipelineContext;
  readonly hasher: Hasher;
  readonly runId: string;
  readonly cacheDir: string;
  readonly keepGoing: boolean;
  /** threads: worker threads, node timeout, heap limit. */
  readonly threads?: number;
  readonly nodeTimeoutMs?: number;
  readonly workerMemoryMb?: number;
  /** slurm: resubmissions of units whose task failed. */
  readonly retries?: number;
  readonly slurmCommands?: SlurmCommands;
  readonly onNote?: (text: string) => void;
}

/** Makes the named backend's runner; a message naming the setting at fault. */
export function createRunner(name: BackendName, o: BackendOptions): Result<NodeRunner, string> {
  switch (name) {
    case "threads":
      return ok(poolRunner(o));
    case "inline":
      return ok(new InProcessRunner(new WorkHost(o.context, o.hasher)));
    case "slurm": {
      const made = slurmRunner(o);
      return made.ok ? ok(made.value) : made;
    }
  }
}

/**
 * The threads backend's runner. It needs no pipeline context, so a run sure to run nodes can
 * make it (and start its threads) before the executors are prepared.
 */
export function poolRunner(o: Pick<BackendOptions, "source" | "keepGoing" | "threads" | "nodeTimeoutMs" | "workerMemoryMb"> & { readonly preload?: readonly string[] }): PoolRunner {
  return new PoolRunner({
    source: o.source,
    keepGoing: o.keepGoing,
    ...(o.preload === undefined ? {} : { preload: o.preload }),
    ...(o.threads === undefined ? {} : { threads: o.threads }),
    ...(o.nodeTimeoutMs === undefined ? {} : { nodeTimeoutMs: o.nodeTimeoutMs }),
    ...(o.workerMemoryMb === undefined ? {} : { workerMemoryMb: o.workerMemoryMb }),
  });
}

/** The Slurm runner for a pipeline, its settings read from the config (`slurm:` and each stage's `resources:`). */
export function slurmRunner(o: Omit<BackendOptions, "hasher" | "keepGoing">): Result<SlurmRunner, string> {
  const settings = slurmSettings(o.context.config.resolved);
  if (!settings.ok) return settings;
  const resources = new Map<string, ReturnType<typeof mergeResources>>();
  for (const [name, def] of o.context.pipeline.stageGraph.stages) {
    const own = parseResources(def.resources, `pipeline.${name}.resources`);
    if (!own.ok) return own;
    resources.set(name, mergeResources(settings.value.resources, own.value));
  }
  return ok(
    new SlurmRunner({
      source: o.source,
      runId: o.runId,
      cacheDir: o.cacheDir,
      folderOf: (task) => o.context.outputFolder(task.stage, task.partition),
      settings: settings.value,
      resourcesOf: (stage) => resources.get(stage) ?? settings.value.resources,
      ...(o.retries === undefined ? {} : { retries: o.retries }),
      ...(o.slurmCommands === undefined ? {} : { commands: o.slurmCommands }),
      ...(o.onNote === undefined ? {} : { onNote: o.onNote }),
    }),
  );
}
