/**
 * ASCII drawing of the stage graph in the manner of `dvc dag`: stages as boxes in layers,
 * edges as lines of `*` from a box's bottom to its consumer's top.
 *
 * Layout: a layer per longest-path depth; an edge spanning several layers passes through a
 * dummy point in each layer between, so it bends around boxes instead of crossing them;
 * within a layer, items are ordered by a few barycenter sweeps to reduce crossings.
 */
import type { CompiledPipeline } from "./compile.js";

interface Item {
  /** Stage name, or "" for a dummy point. */
  readonly stage: string;
  readonly lines: readonly string[];
  layer: number;
  order: number;
  x: number;
  readonly width: number;
  readonly height: number;
}

/** Gap between items of a layer, in columns. */
const GAP = 4;

/** Renders the stage graph; each box shows the stage name and its node count and dimensions. */
export function renderAscii(pipeline: CompiledPipeline): string {
  const { stageGraph, nodes } = pipeline;
  const graph = stageGraph.graph;
  const items = new Map<string, Item>();
  for (const s of nodes.stages) {
    const dims = s.stage.dims.length === 0 ? "" : ` · ${s.stage.dims.join(" × ")}`;
    const lines = [s.stage.name, `${String(s.count)} node${s.count === 1 ? "" : "s"}${dims}`];
    const width = Math.max(...lines.map((l) => l.length)) + 4;
    items.set(s.stage.name, { stage: s.stage.name, lines, layer: 0, order: 0, x: 0, width, height: lines.length + 2 });
  }
  for (const name of stageGraph.order) {
    const item = items.get(name);
    if (item === undefined) continue;
    for (const pred of graph.inNeighbors(name)) item.layer = Math.max(item.layer, (items.get(pred)?.layer ?? 0) + 1);
  }
  // A stage with no inputs sits just above its first consumer, so its edges stay short.
  for (const name of [...stageGraph.order].reverse()) {
    const item = items.get(name);
    const consumers = graph.outNeighbors(name).map((n) => items.get(n)?.layer ?? 0);
    if (item !== undefined && graph.inDegree(name) === 0 && consumers.length > 0) item.layer = Math.min(...consumers) - 1;
  }

  // Chains of points per distinct stage pair: source, dummies…, target.
  const chains: Item[][] = [];
  const seen = new Set<string>();
  graph.forEachEdge((_e, _a, source, target) => {
    const key = `${source}\u0000${target}`;
    if (seen.has(key)) return;
    seen.add(key);
    const from = items.get(source);
    const to = items.get(target);
    if (from === undefined || to === undefined) return;
    const chain = [from];
    for (let layer = from.layer + 1; layer < to.layer; layer++) {
      chain.push({ stage: "", lines: [], layer, order: 0, x: 0, width: 1, height: 0 });
    }
    chain.push(to);
    chains.push(chain);
  });

  const layerCount = Math.max(...[...items.values()].map((i) => i.layer)) + 1;
  const layers: Item[][] = Array.from({ length: layerCount }, () => []);
  for (const name of stageGraph.order) {
    const item = items.get(name);
    if (item !== undefined) layers[item.layer]?.push(item);
  }
  for (const chain of chains) for (const point of chain.slice(1, -1)) layers[point.layer]?.push(point);
  layers.forEach((layer) => layer.forEach((item, i) => (item.order = i)));

  // Neighbours of each item in the layers above and below, for barycenter ordering.
  const up = new Map<Item, Item[]>();
  const down = new Map<Item, Item[]>();
  for (const chain of chains) {
    for (let i = 0; i + 1 < chain.length; i++) {
      const a = chain[i];
      const b = chain[i + 1];
      if (a === undefined || b === undefined) continue;
      down.set(a, [...(down.get(a) ?? []), b]);
      up.set(b, [...(up.get(b) ?? []), a]);
    }
  }
  const sweep = (layer: Item[], neighbours: Map<Item, Item[]>): void => {
    const score = (item: Item): number => {
      const ns = neighbours.get(item) ?? [];
      return ns.length === 0 ? item.order : ns.reduce((sum, n) => sum + n.order, 0) / ns.length;
    };
    const scored = layer.map((item) => ({ item, s: score(item) }));
    scored.sort((a, b) => a.s - b.s || a.item.order - b.item.order);
    scored.forEach(({ item }, i) => (item.order = i));
    layer.sort((a, b) => a.order - b.order);
  };
  for (let pass = 0; pass < 4; pass++) {
    for (let l = 1; l < layerCount; l++) sweep(layers[l] ?? [], up);
    for (let l = layerCount - 2; l >= 0; l--) sweep(layers[l] ?? [], down);
  }

  // Horizontal placement: pack each layer, then centre it within the widest layer.
  const layerWidth = (layer: Item[]): number => layer.reduce((w, i) => w + i.width, 0) + GAP * Math.max(0, layer.length - 1);
  const total = Math.max(...layers.map(layerWidth));
  for (const layer of layers) {
    let x = Math.floor((total - layerWidth(layer)) / 2);
    for (const item of layer) {
      item.x = x;
      x += item.width + GAP;
    }
  }
  const centre = (item: Item): number => item.x + Math.floor(item.width / 2);

  // Vertical placement: each layer as tall as its tallest box; the gap below grows with the slant of its edges.
  const layerTop: number[] = [];
  const layerHeight = layers.map((layer) => Math.max(1, ...layer.map((i) => i.height)));
  let y = 0;
  for (let l = 0; l < layerCount; l++) {
    layerTop.push(y);
    let slant = 0;
    for (const item of layers[l] ?? []) for (const n of down.get(item) ?? []) slant = Math.max(slant, Math.abs(centre(item) - centre(n)));
    y += (layerHeight[l] ?? 1) + Math.min(8, Math.max(3, Math.ceil(slant / 4)));
  }
  const height = y;
  const canvas: string[][] = Array.from({ length: height }, () => Array.from({ length: total }, () => " "));
  const put = (row: number, col: number, ch: string): void => {
    const line = canvas[row];
    if (line !== undefined && col >= 0 && col < line.length) line[col] = ch;
  };
  const top = (item: Item): number => layerTop[item.layer] ?? 0;
  const bottom = (item: Item): number =>
    item.stage === "" ? (layerTop[item.layer] ?? 0) + (layerHeight[item.layer] ?? 1) - 1 : (layerTop[item.layer] ?? 0) + item.height - 1;

  for (const chain of chains) {
    for (let i = 0; i + 1 < chain.length; i++) {
      const a = chain[i];
      const b = chain[i + 1];
      if (a === undefined || b === undefined) continue;
      line(put, centre(a), bottom(a) + 1, centre(b), top(b) - 1);
      if (b.stage === "") for (let r = top(b); r <= bottom(b); r++) put(r, centre(b), "*");
    }
  }
  for (const item of items.values()) {
    const t = top(item);
    const border = `+${"-".repeat(item.width - 2)}+`;
    for (let c = 0; c < item.width; c++) {
      put(t, item.x + c, border[c] ?? "-");
      put(t + item.height - 1, item.x + c, border[c] ?? "-");
    }
    item.lines.forEach((text, k) => {
      const row = `| ${text.padEnd(item.width - 4)} |`;
      for (let c = 0; c < row.length; c++) put(t + 1 + k, item.x + c, row[c] ?? " ");
    });
  }
  return `${canvas
    .map((row) => row.join("").trimEnd())
    .join("\n")
    .replace(/\n+$/, "")}\n`;
}

/** Draws a line of `*` from (x1, y1) down to (x2, y2), one or more characters per row so it stays connected. */
function line(put: (row: number, col: number, ch: string) => void, x1: number, y1: number, x2: number, y2: number): void {
  const rows = Math.max(1, y2 - y1);
  let previous = x1;
  for (let r = 0; r <= rows; r++) {
    const x = Math.round(x1 + ((x2 - x1) * r) / rows);
    const from = r === 0 ? x : previous + Math.sign(x - previous);
    for (let c = Math.min(from, x); c <= Math.max(from, x); c++) put(y1 + r, c, "*");
    previous = x;
  }
}
