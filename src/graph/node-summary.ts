/** Human summaries of a stage's nodes: `Train 0–2 · Valid 0–2 · Test 0–2`. */
import type { NodeGraph, StageNodes } from "./node-graph.js";

/** Compresses sorted integers into ranges: [0,1,2,5,7,8] → "0–2, 5, 7–8". */
export function compressRanges(values: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < values.length) {
    const start = values[i] ?? 0;
    let end = start;
    while (i + 1 < values.length && values[i + 1] === end + 1) end = values[++i] ?? end;
    parts.push(start === end ? String(start) : `${String(start)}–${String(end)}`);
    i++;
  }
  return parts.join(", ");
}

/** One line describing a stage's nodes with sims collapsed into ranges per split. */
export function collapsedNodes(stage: StageNodes): string {
  const def = stage.stage;
  if (def.dims.length === 0) return "1 node";
  const freq = def.dims.includes("freq") && def.freqs !== null ? ` × freq ${def.freqs.join(",")}` : "";
  const epoch = def.dims.includes("epoch") && def.epochs !== null ? ` × epoch ${def.epochs.join(",")}` : "";
  if (!def.dims.includes("split")) return `${String(stage.count)} nodes${freq}${epoch}`.replace(/^(\d+) nodes × /, "");
  const perSplit = def.splits.map((split) => {
    if (!def.dims.includes("sim")) return split.name;
    const sims = def.sims.get(split.name) ?? [];
    return `${split.name} ${compressRanges(sims)}`;
  });
  return `${perSplit.join(" · ")}${freq}${epoch}`;
}

/** Every node id of a stage, in order. */
export function nodeIds(nodes: NodeGraph, stage: StageNodes): string[] {
  const ids: string[] = [];
  for (let i = stage.first; i < stage.first + stage.count; i++) ids.push(nodes.id(i));
  return ids;
}
