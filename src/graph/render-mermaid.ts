/** Mermaid flowchart rendering of the stage graph. */
import type { CompiledPipeline } from "./compile.js";

/** Mermaid label text: quotes are not allowed inside a quoted label, so use the HTML entity. */
function label(text: string): string {
  return `"${text.replace(/"/g, "#quot;")}"`;
}

/** The stage graph as a Mermaid `flowchart TD`; node ids are s0, s1, … with the stage name as label. */
export function renderMermaid(pipeline: CompiledPipeline): string {
  const { stageGraph, nodes } = pipeline;
  const ids = new Map(nodes.stages.map((s, i) => [s.stage.name, `s${String(i)}`]));
  const lines = ["flowchart TD"];
  for (const s of nodes.stages) {
    lines.push(`  ${ids.get(s.stage.name) ?? ""}[${label(`${s.stage.name} (${String(s.count)})`)}]`);
  }
  stageGraph.graph.forEachEdge((_edge, attributes, source, target) => {
    lines.push(`  ${ids.get(source) ?? ""} -->|${label(attributes.asset)}| ${ids.get(target) ?? ""}`);
  });
  return `${lines.join("\n")}\n`;
}

/** The node graph as a Mermaid flowchart, one subgraph per stage; node ids are n0, n1, …. */
export function renderNodeMermaid(pipeline: CompiledPipeline): string {
  const { nodes } = pipeline;
  const lines = ["flowchart TD"];
  for (const [i, s] of nodes.stages.entries()) {
    lines.push(`  subgraph g${String(i)}[${label(s.stage.name)}]`);
    for (let n = s.first; n < s.first + s.count; n++) lines.push(`    n${String(n)}[${label(nodes.id(n))}]`);
    lines.push("  end");
  }
  for (let n = 0; n < nodes.size; n++) {
    for (let k = nodes.depStart[n] ?? 0; k < (nodes.depStart[n + 1] ?? 0); k++) lines.push(`  n${String(nodes.deps[k] ?? 0)} --> n${String(n)}`);
  }
  return `${lines.join("\n")}\n`;
}
