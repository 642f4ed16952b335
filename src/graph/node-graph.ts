/**
 * Node expansion (DESIGN.md "Partitions and edges"): each stage becomes one node per point of
 * its partition space (split × sim × freq × epoch, restricted to the stage's dimensions), and
 * node N of stage S depends on the nodes of each upstream stage U that agree with N on the
 * dimensions they share and lie in S's scope (its splits, sims, freqs, epochs) on the others:
 * per-sim → per-sim is one edge, a reduction fans in, a singleton fans out.
 *
 * The node graph is compact — typed arrays and CSR adjacency — because pipelines reach
 * 100k nodes and the scheduler walks it on every run.
 */
import type { KeyPath } from "../config/types.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { error } from "../diagnostics/diagnostic.js";
import type { Result } from "../diagnostics/result.js";
import { err, ok } from "../diagnostics/result.js";
import type { Dim, Partition } from "./partition.js";
import { formatNodeId } from "./partition.js";
import type { StageDef, StageGraph } from "./stage-graph.js";

/** The nodes of one stage: a contiguous index range of the node graph. */
export interface StageNodes {
  readonly stage: StageDef;
  /** Index of the stage's first node. */
  readonly first: number;
  readonly count: number;
}

/** The expanded node graph. Node indices run stage by stage in topological order. */
export interface NodeGraph {
  readonly size: number;
  /** Per stage, in topological order. */
  readonly stages: readonly StageNodes[];
  /** Stage index (into `stages`) of each node. */
  readonly stageIndex: Uint16Array;
  /** Dependencies of node i: `deps.slice(depStart[i], depStart[i + 1])`. */
  readonly depStart: Uint32Array;
  readonly deps: Uint32Array;
  /** The node's partition. */
  partition(node: number): Partition;
  /** The node's id, e.g. `make_cmb[split=Train,sim=3]`. */
  id(node: number): string;
  /** Index of the node with this id, or undefined. */
  find(id: string): number | undefined;
  /** Nodes that depend on node i (computed once, on first use). */
  dependents(node: number): Uint32Array;
}

/** Coordinates of the nodes of one stage, one typed array per dimension (−1 / unused when absent). */
interface Coordinates {
  readonly split: Int16Array;
  readonly sim: Int32Array;
  readonly freq: Int16Array;
  readonly epoch: Int16Array;
}

/** Expands the stage graph into nodes and node edges. */
export function expandNodes(stageGraph: StageGraph): Result<NodeGraph, Diagnostic[]> {
  const splitNames = stageGraph.allSplits.map((s) => s.name);
  const splitIndex = new Map(splitNames.map((name, i) => [name, i]));
  const stageList: StageNodes[] = [];
  const coords: Coordinates[] = [];
  const byName = new Map<string, number>();
  let total = 0;

  for (const name of stageGraph.order) {
    const stage = stageGraph.stages.get(name);
    if (stage === undefined) throw new Error(`Internal error: stage ${name} missing from the stage map`);
    const c = enumerate(stage, splitIndex);
    byName.set(name, stageList.length);
    stageList.push({ stage, first: total, count: c.split.length });
    coords.push(c);
    total += c.split.length;
  }

  const stageIndex = new Uint16Array(total);
  stageList.forEach((s, i) => stageIndex.fill(i, s.first, s.first + s.count));

  // Dependencies, stage by stage: index the producer's nodes by their shared-dimension key.
  const diagnostics: Diagnostic[] = [];
  const depLists: number[][] = Array.from({ length: total }, () => []);
  for (const [si, consumer] of stageList.entries()) {
    const producers = new Set(stageGraph.graph.inNeighbors(consumer.stage.name));
    for (const producerName of producers) {
      const pi = byName.get(producerName) ?? 0;
      const producer = stageList[pi];
      const pc = coords[pi];
      const cc = coords[si];
      if (producer === undefined || pc === undefined || cc === undefined) continue;
      const shared = consumer.stage.dims.filter((d) => producer.stage.dims.includes(d));
      const inScope = scopeFilter(consumer.stage, producer.stage, splitNames);
      const index = new Map<string, number[]>();
      for (let k = 0; k < producer.count; k++) {
        if (!inScope(pc, k)) continue;
        const key = sharedKey(pc, k, shared, producer.stage);
        let list = index.get(key);
        if (list === undefined) index.set(key, (list = []));
        list.push(producer.first + k);
      }
      let missing = 0;
      let example = -1;
      for (let k = 0; k < consumer.count; k++) {
        const list = index.get(sharedKey(cc, k, shared, consumer.stage));
        if (list === undefined || list.length === 0) {
          missing++;
          if (example < 0) example = consumer.first + k;
          continue;
        }
        const target = depLists[consumer.first + k];
        if (target !== undefined) for (const d of list) target.push(d);
      }
      if (missing > 0) {
        const assets = stageGraph.graph
          .directedEdges(producerName, consumer.stage.name)
          .map((e) => stageGraph.graph.getEdgeAttributes(e).asset);
        const cause = emptyScope(producer.stage, consumer.stage);
        const exampleId = formatNodeId(consumer.stage.name, partitionOf(stageList, coords, splitNames, stageIndex, example));
        const subject = missing === 1 ? `1 node of stage "${consumer.stage.name}" (${exampleId}) has` : `${String(missing)} nodes of stage "${consumer.stage.name}" (e.g. ${exampleId}) have`;
        diagnostics.push(
          error(
            `${subject} no producer in stage "${producerName}" for ${assets.map((a) => `"${a}"`).join(", ")}${cause === undefined ? "" : `: ${cause.why}`}`,
            cause === undefined ? undefined : stageGraph.at?.(cause.key),
            [`"${producerName}" runs on ${describeScope(producer.stage)}; "${consumer.stage.name}" runs on ${describeScope(consumer.stage)}`],
          ),
        );
      }
    }
  }
  if (diagnostics.length > 0) return err(diagnostics);

  let edgeCount = 0;
  for (const list of depLists) edgeCount += list.length;
  const depStart = new Uint32Array(total + 1);
  const deps = new Uint32Array(edgeCount);
  let cursor = 0;
  for (let i = 0; i < total; i++) {
    depStart[i] = cursor;
    for (const d of depLists[i] ?? []) deps[cursor++] = d;
  }
  depStart[total] = cursor;

  return ok(makeNodeGraph(stageList, coords, splitNames, stageIndex, depStart, deps));
}

function makeNodeGraph(
  stageList: readonly StageNodes[],
  coords: readonly Coordinates[],
  splitNames: readonly string[],
  stageIndex: Uint16Array,
  depStart: Uint32Array,
  deps: Uint32Array,
): NodeGraph {
  let ids: Map<string, number> | undefined;
  let dependentStart: Uint32Array | undefined;
  let dependentList: Uint32Array | undefined;
  const partition = (node: number): Partition => partitionOf(stageList, coords, splitNames, stageIndex, node);
  // Ids are formed on first use and kept: a run asks for each node's id several times.
  const idCache = new Array<string | undefined>(stageIndex.length);
  const id = (node: number): string => (idCache[node] ??= formatNodeId(stageList[stageIndex[node] ?? 0]?.stage.name ?? "", partition(node)));
  return {
    size: stageIndex.length,
    stages: stageList,
    stageIndex,
    depStart,
    deps,
    partition,
    id,
    find(nodeId) {
      if (ids === undefined) {
        ids = new Map();
        for (let i = 0; i < stageIndex.length; i++) ids.set(id(i), i);
      }
      return ids.get(nodeId);
    },
    dependents(node) {
      if (dependentStart === undefined || dependentList === undefined) {
        const counts = new Uint32Array(stageIndex.length + 1);
        for (const d of deps) counts[d + 1] = (counts[d + 1] ?? 0) + 1;
        for (let i = 0; i < stageIndex.length; i++) counts[i + 1] = (counts[i + 1] ?? 0) + (counts[i] ?? 0);
        const fill = counts.slice(0, stageIndex.length);
        const list = new Uint32Array(deps.length);
        for (let i = 0; i < stageIndex.length; i++) {
          for (let k = depStart[i] ?? 0; k < (depStart[i + 1] ?? 0); k++) {
            const d = deps[k] ?? 0;
            list[fill[d] ?? 0] = i;
            fill[d] = (fill[d] ?? 0) + 1;
          }
        }
        dependentStart = counts;
        dependentList = list;
      }
      return dependentList.subarray(dependentStart[node], dependentStart[node + 1]);
    },
  };
}

/** Every partition of a stage, in split-file order, then sim, freq, epoch. */
function enumerate(stage: StageDef, splitIndex: ReadonlyMap<string, number>): Coordinates {
  const has = (d: Dim): boolean => stage.dims.includes(d);
  const splits = has("split") ? stage.splits : [undefined];
  const freqCount = has("freq") ? (stage.freqs?.length ?? 0) : 1;
  const epochCount = has("epoch") ? (stage.epochs?.length ?? 0) : 1;
  let count = 0;
  for (const split of splits) {
    const sims = has("sim") && split !== undefined ? (stage.sims.get(split.name)?.length ?? 0) : 1;
    count += sims * freqCount * epochCount;
  }
  const c: Coordinates = {
    split: new Int16Array(count).fill(-1),
    sim: new Int32Array(count).fill(-1),
    freq: new Int16Array(count).fill(-1),
    epoch: new Int16Array(count).fill(-1),
  };
  let k = 0;
  for (const split of splits) {
    const sims = has("sim") && split !== undefined ? (stage.sims.get(split.name) ?? []) : [-1];
    for (const sim of sims) {
      for (let f = 0; f < freqCount; f++) {
        for (let e = 0; e < epochCount; e++) {
          c.split[k] = split === undefined ? -1 : (splitIndex.get(split.name) ?? -1);
          c.sim[k] = sim;
          c.freq[k] = has("freq") ? f : -1;
          c.epoch[k] = has("epoch") ? e : -1;
          k++;
        }
      }
    }
  }
  return c;
}

/**
 * Which producer nodes a consumer stage may read: on dimensions the consumer lacks, the
 * producer node must lie in the consumer's scope (its splits and their sims, and its freqs
 * and epochs when it declares them).
 */
function scopeFilter(consumer: StageDef, producer: StageDef, splitNames: readonly string[]): (c: Coordinates, k: number) => boolean {
  const lacks = (d: Dim): boolean => producer.dims.includes(d) && !consumer.dims.includes(d);
  const checkSplit = lacks("split");
  const checkSim = lacks("sim");
  const allowedSplits = new Set(consumer.splits.map((s) => splitNames.indexOf(s.name)));
  const simSets = new Map<number, Set<number>>();
  for (const [name, sims] of consumer.sims) simSets.set(splitNames.indexOf(name), new Set(sims));
  const freqs = lacks("freq") && consumer.freqs !== null ? new Set(consumer.freqs) : undefined;
  const epochs = lacks("epoch") && consumer.epochs !== null ? new Set(consumer.epochs) : undefined;
  return (c, k) => {
    const split = c.split[k] ?? -1;
    if (checkSplit && !allowedSplits.has(split)) return false;
    if (checkSim && !(simSets.get(split)?.has(c.sim[k] ?? -1) ?? false)) return false;
    if (freqs !== undefined && !freqs.has(producer.freqs?.[c.freq[k] ?? -1] ?? "")) return false;
    if (epochs !== undefined && !epochs.has(producer.epochs?.[c.epoch[k] ?? -1] ?? -1)) return false;
    return true;
  };
}

/** The values of the shared dimensions of node k, as a map key (freq and epoch by value: stages list them independently). */
function sharedKey(c: Coordinates, k: number, shared: readonly Dim[], stage: StageDef): string {
  let key = "";
  for (const d of shared) {
    const i = c[d][k] ?? -1;
    if (d === "freq") key += `${stage.freqs?.[i] ?? ""},`;
    else if (d === "epoch") key += `${String(stage.epochs?.[i] ?? "")},`;
    else key += `${String(i)},`;
  }
  return key;
}

function partitionOf(
  stageList: readonly StageNodes[],
  coords: readonly Coordinates[],
  splitNames: readonly string[],
  stageIndex: Uint16Array,
  node: number,
): Partition {
  const si = stageIndex[node] ?? 0;
  const s = stageList[si];
  const c = coords[si];
  if (s === undefined || c === undefined) throw new Error(`Internal error: node ${String(node)} out of range`);
  const k = node - s.first;
  const split = c.split[k] ?? -1;
  const sim = c.sim[k] ?? -1;
  const freq = c.freq[k] ?? -1;
  const epoch = c.epoch[k] ?? -1;
  return {
    ...(split >= 0 ? { split: splitNames[split] ?? "" } : {}),
    ...(sim >= 0 ? { sim } : {}),
    ...(freq >= 0 ? { freq: s.stage.freqs?.[freq] ?? "" } : {}),
    ...(epoch >= 0 ? { epoch: s.stage.epochs?.[epoch] ?? 0 } : {}),
  };
}

/** The setting that leaves a producer nothing to give: a split with no sims, or an empty override_n_sims. */
function emptyScope(producer: StageDef, consumer: StageDef): { readonly why: string; readonly key: KeyPath } | undefined {
  if (!producer.dims.includes("sim")) return undefined;
  for (const split of consumer.splits) {
    if ((producer.sims.get(split.name)?.length ?? 1) > 0) continue;
    const override = producer.block["override_n_sims"];
    if (override !== undefined && override !== null) {
      return { why: `override_n_sims of stage "${producer.name}" leaves split "${split.name}" no simulations`, key: ["pipeline", producer.name, "override_n_sims"] };
    }
    return { why: `splits.${split.name}.n_sims is 0`, key: ["splits", split.name, "n_sims"] };
  }
  return undefined;
}

function describeScope(stage: StageDef): string {
  const parts = stage.splits.map((s) => `${s.name} (${String(stage.sims.get(s.name)?.length ?? 0)} sims)`);
  const freqs = stage.freqs === null ? "" : ` × freqs ${stage.freqs.join(",")}`;
  return `${parts.join(", ") || "no split"}${freqs}`;
}
