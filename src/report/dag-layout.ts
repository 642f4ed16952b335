/**
 * Places the stage graph for drawing, top to bottom: a stage's layer is the longest path to it
 * from a stage without inputs, and within a layer stages are ordered by the mean position of
 * the stages they read (one barycentre pass: enough for pipelines of tens of stages).
 */

/** Box size and gaps, in SVG user units (px). */
export const BOX = { width: 200, height: 56, gapX: 36, gapY: 56, margin: 16 } as const;

/** A stage's box: its top-left corner. */
export interface PlacedStage {
  readonly name: string;
  readonly x: number;
  readonly y: number;
}

/** The placed graph: boxes by stage name, and the drawing's size. */
export interface DagLayout {
  readonly stages: ReadonlyMap<string, PlacedStage>;
  readonly width: number;
  readonly height: number;
}

/** Lays out `order` (stage names, topologically sorted) with `edges` (from → to). */
export function layoutDag(order: readonly string[], edges: readonly { readonly from: string; readonly to: string }[]): DagLayout {
  const parents = new Map<string, string[]>(order.map((name) => [name, []]));
  for (const e of edges) parents.get(e.to)?.push(e.from);
  const layer = new Map<string, number>();
  for (const name of order) layer.set(name, Math.max(-1, ...(parents.get(name) ?? []).map((p) => layer.get(p) ?? -1)) + 1);
  const layers: string[][] = [];
  for (const name of order) (layers[layer.get(name) ?? 0] ??= []).push(name);
  const column = new Map<string, number>();
  for (const row of layers) {
    // Why the order index breaks ties: the same pipeline is drawn the same way every time.
    const keyed = row.map((name, i) => {
      const ps = (parents.get(name) ?? []).map((p) => column.get(p) ?? 0);
      return { name, key: ps.length === 0 ? i : ps.reduce((a, b) => a + b, 0) / ps.length, i };
    });
    keyed.sort((a, b) => a.key - b.key || a.i - b.i);
    keyed.forEach((k, i) => column.set(k.name, i));
  }
  const widest = Math.max(1, ...layers.map((row) => row.length));
  const width = 2 * BOX.margin + widest * BOX.width + (widest - 1) * BOX.gapX;
  const stages = new Map<string, PlacedStage>();
  for (const row of layers) {
    // Each layer centred under the widest one.
    const rowWidth = row.length * BOX.width + (row.length - 1) * BOX.gapX;
    const left = (width - rowWidth) / 2;
    for (const name of row) {
      const c = column.get(name) ?? 0;
      stages.set(name, { name, x: left + c * (BOX.width + BOX.gapX), y: BOX.margin + (layer.get(name) ?? 0) * (BOX.height + BOX.gapY) });
    }
  }
  const height = 2 * BOX.margin + layers.length * BOX.height + Math.max(0, layers.length - 1) * BOX.gapY;
  return { stages, width, height };
}
