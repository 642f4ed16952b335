/**
 * Runs one node: binds the stage's assets to the node's context, calls the executor at its
 * declared grain, and commits the node's outputs atomically on success (removing them on
 * failure). Pure given its task — executor, partition, seed — so it can run in any thread.
 */
import type { Partition } from "../graph/partition.js";
import type { StageDef } from "../graph/stage-graph.js";
import { nodeSeed } from "../healpix/seeds.js";
import type { AssetSpec } from "./asset.js";
import { InputAsset, OutputAsset } from "./asset.js";
import type { BaseStageExecutor, NodeContext, ScanResult, StageEnvironment, StageLogger, WorkKind } from "./executor.js";
import { work } from "./executor.js";
import type { ContextValue, Namer } from "./namer.js";
import { OutputTransaction } from "./output-transaction.js";

/** One node to run. */
export interface NodeTask {
  readonly nodeId: string;
  readonly partition: Partition;
}

/** Everything a node needs besides its task. */
export interface NodeRuntime {
  readonly executor: BaseStageExecutor;
  readonly kind: WorkKind;
  readonly env: StageEnvironment;
  /** Stage definitions by name, for input assets' producers. */
  readonly stages: ReadonlyMap<string, StageDef>;
  readonly baseSeed: number;
  readonly log: StageLogger;
}

/** The namer context of a partition: split, sim_num, freq, epoch. */
export function partitionContext(partition: Partition): Record<string, ContextValue> {
  const context: Record<string, ContextValue> = {};
  if (partition.split !== undefined) context["split"] = partition.split;
  if (partition.sim !== undefined) context["sim_num"] = partition.sim;
  if (partition.freq !== undefined) context["freq"] = partition.freq;
  if (partition.epoch !== undefined) context["epoch"] = partition.epoch;
  return context;
}

/** The seed of a node: from the base seed, the stage and the partition. */
export function seedFor(baseSeed: number, stage: string, partition: Partition): number {
  return nodeSeed(baseSeed, { stage, ...partition });
}

/** Builds the context the executor sees for one partition, its outputs going to `transaction`. */
export function nodeContext(
  runtime: NodeRuntime,
  task: NodeTask,
  namer: Namer,
  transaction: OutputTransaction,
): NodeContext {
  const { env, stages } = runtime;
  const def = env.def;
  const inputs: Record<string, InputAsset> = {};
  for (const input of def.assetsIn) {
    const producer = stages.get(input.stage);
    const out = producer?.assetsOut.find((a) => a.name === input.asset);
    if (producer === undefined || out === undefined) throw new Error(`Internal error: unchecked input ${input.name} of ${def.name}`);
    const spec: AssetSpec = {
      name: input.name,
      stage: def.name,
      producer: producer.name,
      producerDir: producer.dirName,
      template: out.template.source,
      ...(out.templateAlt === undefined ? {} : { templateAlt: out.templateAlt.source }),
      handler: env.handlerFor(out.handler),
      options: out.options,
    };
    inputs[input.name] = new InputAsset(spec, namer);
  }
  const outputs: Record<string, OutputAsset> = {};
  for (const out of def.assetsOut) {
    const spec: AssetSpec = {
      name: out.name,
      stage: def.name,
      producer: def.name,
      producerDir: def.dirName,
      template: out.template.source,
      ...(out.templateAlt === undefined ? {} : { templateAlt: out.templateAlt.source }),
      handler: env.handlerFor(out.handler),
      options: out.options,
    };
    outputs[out.name] = new OutputAsset(spec, namer, transaction);
  }
  return {
    stage: def.name,
    nodeId: task.nodeId,
    partition: task.partition,
    seed: seedFor(runtime.baseSeed, def.name, task.partition),
    inputs,
    outputs,
    namer,
    log: runtime.log,
    input<T>(name: string): InputAsset<T> {
      const asset = inputs[name];
      if (asset === undefined) throw new Error(`stage "${def.name}" has no input asset "${name}" (its inputs: ${Object.keys(inputs).join(", ") || "none"})`);
      return asset as InputAsset<T>;
    },
    output<T>(name: string): OutputAsset<T> {
      const asset = outputs[name];
      if (asset === undefined) throw new Error(`stage "${def.name}" has no output asset "${name}" (its outputs: ${Object.keys(outputs).join(", ") || "none"})`);
      return asset;
    },
  };
}

/** Runs a node to completion; returns the output paths written. Throws what the stage threw, after removing its pending outputs. */
export async function runNode(runtime: NodeRuntime, task: NodeTask): Promise<readonly string[]> {
  const transaction = new OutputTransaction();
  const { kind, env } = runtime;
  const executor = work(runtime.executor);
  try {
    switch (kind) {
      case "process-sim": {
        const namer = env.namer.child(partitionContext(task.partition));
        await executor.processSim?.(nodeContext(runtime, task, namer, transaction));
        assertDeclaredWritten(env.def, namer, transaction);
        break;
      }
      case "scan-sift": {
        const results: ScanResult<unknown>[] = [];
        for (const partition of scanPartitions(env.def, task.partition)) {
          results.push({ partition, value: await runScan(runtime, { nodeId: task.nodeId, partition }) });
        }
        return await runSift(runtime, task, results);
      }
      case "execute":
        // The whole stage: the executor loops itself and sets context on the stage's namer.
        await executor.execute?.(nodeContext(runtime, task, env.namer, transaction));
        break;
    }
    const paths = transaction.paths;
    transaction.commit();
    return paths;
  } catch (error) {
    await transaction.abort();
    throw error;
  }
}

/**
 * Fails a per-simulation or sift node that returned without writing one of its declared
 * outputs: recording it would promise a file that is not there (a record with fewer outputs
 * than the stage declares is fresh with nothing to check). Checked are the outputs whose path
 * the node's own context forms (one written with extra context, e.g. a `{freq}` the stage
 * loops over itself, cannot be named here) and whose handler writes files: an `EmptyHandler`
 * asset only names a path. A `Mover` asset is checked like any other: its write moves a file
 * into the node's transaction.
 */
function assertDeclaredWritten(def: StageDef, namer: Namer, transaction: OutputTransaction): void {
  const written = new Set(transaction.paths);
  for (const out of def.assetsOut) {
    if (out.handler === "EmptyHandler") continue;
    let path: string;
    try {
      path = namer.path(out.template.source);
    } catch {
      continue;
    }
    if (!written.has(path)) throw new Error(`declared output ${out.name} was not written (${path})`);
  }
}

/**
 * Runs one scan of a reduction node, for one simulation, and returns its value. A scan
 * reads; it does not write outputs (its sift does, once, so the node's outputs still
 * commit together): a write fails the scan, naming the asset.
 */
export async function runScan(runtime: NodeRuntime, task: NodeTask): Promise<unknown> {
  const transaction = new OutputTransaction();
  const namer = runtime.env.namer.child(partitionContext(task.partition));
  try {
    const value: unknown = await work(runtime.executor).scan?.(nodeContext(runtime, task, namer, transaction));
    if (transaction.paths.length > 0) {
      throw new Error(`stage "${runtime.env.def.name}" wrote ${transaction.paths.join(", ")} in scan; write outputs in sift, which runs once per node`);
    }
    return value;
  } finally {
    await transaction.abort();
  }
}

/** Runs the sift of a reduction node over its scans' results and commits its outputs; returns the output paths. */
export async function runSift(runtime: NodeRuntime, task: NodeTask, results: readonly ScanResult<unknown>[]): Promise<readonly string[]> {
  const transaction = new OutputTransaction();
  const namer = runtime.env.namer.child(partitionContext(task.partition));
  try {
    await work(runtime.executor).sift?.(results, nodeContext(runtime, task, namer, transaction));
    assertDeclaredWritten(runtime.env.def, namer, transaction);
    const paths = transaction.paths;
    transaction.commit();
    return paths;
  } catch (error) {
    await transaction.abort();
    throw error;
  }
}

/**
 * The simulations a reduction node scans: every (split, sim) of the stage's scope that
 * agrees with the node's own partition, in split-file order.
 */
export function scanPartitions(def: StageDef, node: Partition): Partition[] {
  const out: Partition[] = [];
  for (const split of def.splits) {
    if (node.split !== undefined && node.split !== split.name) continue;
    const sims = node.sim !== undefined ? [node.sim] : (def.sims.get(split.name) ?? []);
    for (const sim of sims) out.push({ ...node, split: split.name, sim });
  }
  return out;
}
