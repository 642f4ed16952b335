/** JSON rendering of the compiled pipeline, for tools. */
import type { CompiledPipeline } from "./compile.js";
import type { Partition } from "./partition.js";

/** The shape `cmbflow dag --json` prints. */
export interface DagJson {
  readonly stages: readonly { name: string; dir_name: string; dims: readonly string[]; nodes: number }[];
  readonly edges: readonly { from: string; to: string; asset: string }[];
  readonly nodes?: readonly { id: string; stage: string; partition: Partition }[];
  readonly node_edges?: readonly { from: string; to: string }[];
}

/** Stages and edges; with `withNodes`, every node and node edge too. */
export function renderJson(pipeline: CompiledPipeline, withNodes: boolean): DagJson {
  const { stageGraph, nodes } = pipeline;
  const stages = nodes.stages.map((s) => ({ name: s.stage.name, dir_name: s.stage.dirName, dims: [...s.stage.dims], nodes: s.count }));
  const edges: { from: string; to: string; asset: string }[] = [];
  stageGraph.graph.forEachEdge((_e, a, source, target) => edges.push({ from: source, to: target, asset: a.asset }));
  if (!withNodes) return { stages, edges };
  const nodeList: { id: string; stage: string; partition: Partition }[] = [];
  const nodeEdges: { from: string; to: string }[] = [];
  for (let n = 0; n < nodes.size; n++) {
    const id = nodes.id(n);
    nodeList.push({ id, stage: nodes.stages[nodes.stageIndex[n] ?? 0]?.stage.name ?? "", partition: nodes.partition(n) });
    for (let k = nodes.depStart[n] ?? 0; k < (nodes.depStart[n + 1] ?? 0); k++) nodeEdges.push({ from: nodes.id(nodes.deps[k] ?? 0), to: id });
  }
  return { stages, edges, nodes: nodeList, node_edges: nodeEdges };
}
