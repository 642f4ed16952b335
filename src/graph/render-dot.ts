/** Graphviz DOT rendering of the stage graph (or the node graph). */
import type { CompiledPipeline } from "./compile.js";

/** Quotes a DOT identifier. */
function q(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The stage graph as a DOT digraph: stages as boxes, edges labelled with assets. */
export function renderDot(pipeline: CompiledPipeline): string {
  const { stageGraph, nodes } = pipeline;
  const lines = ["digraph pipeline {", "  rankdir=TB;", '  node [shape=box, fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];'];
  for (const s of nodes.stages) {
    lines.push(`  ${q(s.stage.name)} [label=${q(`${s.stage.name}\n${String(s.count)} node${s.count === 1 ? "" : "s"}`)}];`);
  }
  stageGraph.graph.forEachEdge((_edge, attributes, source, target) => {
    lines.push(`  ${q(source)} -> ${q(target)} [label=${q(attributes.asset)}];`);
  });
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** The node graph as a DOT digraph, nodes clustered by stage. */
export function renderNodeDot(pipeline: CompiledPipeline): string {
  const { nodes } = pipeline;
  const lines = ["digraph nodes {", "  rankdir=TB;", "  node [shape=box];"];
  for (const [i, s] of nodes.stages.entries()) {
    lines.push(`  subgraph cluster_${String(i)} {`, `    label=${q(s.stage.name)};`);
    for (let n = s.first; n < s.first + s.count; n++) lines.push(`    ${q(nodes.id(n))};`);
    lines.push("  }");
  }
  for (let n = 0; n < nodes.size; n++) {
    for (let k = nodes.depStart[n] ?? 0; k < (nodes.depStart[n + 1] ?? 0); k++) {
      lines.push(`  ${q(nodes.id(nodes.deps[k] ?? 0))} -> ${q(nodes.id(n))};`);
    }
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
