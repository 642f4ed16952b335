/**
 * Places the stage graph for drawing, top to bottom (Sugiyama's scheme, small): a stage's
 * layer is the longest path to it from a stage without inputs; an edge that spans several
 * layers gets a narrow waypoint in each layer it crosses, which takes a slot there like a box,
 * so the edge passes beside the boxes rather than through them; within a layer, boxes and
 * waypoints are ordered by the mean slot of what they come from (one barycentre pass: enough
 * for pipelines of tens of stages).
 */

/** Box size, waypoint width and gaps, in SVG user units (px). */
export const BOX = { width: 200, height: 56, gapX: 36, gapY: 56, margin: 16, waypoint: 12 } as const;

/** A stage's box: its top-left corner. */
export interface PlacedStage {
  readonly name: string;
  readonly x: number;
  readonly y: number;
}

/** Where an edge passes a layer it crosses: x of its vertical run from `top` to `bottom`. */
export interface Waypoint {
  readonly x: number;
  readonly top: number;
  readonly bottom: number;
}

/** The placed graph: boxes by stage name, each edge's waypoints (in `edges`' order), and the drawing's size. */
export interface DagLayout {
  readonly stages: ReadonlyMap<string, PlacedStage>;
  readonly waypoints: readonly (readonly Waypoint[])[];
  readonly width: number;
  readonly height: number;
}

/** One slot in a layer: a stage's box, or a waypoint of edge `edge`. */
interface Slot {
  readonly stage?: string;
  readonly edge?: number;
  /** The slots it comes from in the layer above (for the barycentre). */
  readonly from: Slot[];
  index: number;
}

/** Lays out `order` (stage names, topologically sorted) with `edges` (from → to). */
export function layoutDag(order: readonly string[], edges: readonly { readonly from: string; readonly to: string }[]): DagLayout {
  const parents = new Map<string, string[]>(order.map((name) => [name, []]));
  for (const e of edges) parents.get(e.to)?.push(e.from);
  const layer = new Map<string, number>();
  for (const name of order) layer.set(name, Math.max(-1, ...(parents.get(name) ?? []).map((p) => layer.get(p) ?? -1)) + 1);
  const depth = Math.max(0, ...layer.values()) + 1;
  const layers: Slot[][] = Array.from({ length: order.length === 0 ? 0 : depth }, () => []);
  const slotOf = new Map<string, Slot>();
  for (const name of order) {
    const slot: Slot = { stage: name, from: [], index: 0 };
    slotOf.set(name, slot);
    layers[layer.get(name) ?? 0]?.push(slot);
  }
  const chains: Slot[][] = edges.map(() => []);
  edges.forEach((e, k) => {
    const top = slotOf.get(e.from);
    const bottom = slotOf.get(e.to);
    if (top === undefined || bottom === undefined) return;
    let above = top;
    for (let l = (layer.get(e.from) ?? 0) + 1; l < (layer.get(e.to) ?? 0); l++) {
      const waypoint: Slot = { edge: k, from: [above], index: 0 };
      layers[l]?.push(waypoint);
      chains[k]?.push(waypoint);
      above = waypoint;
    }
    bottom.from.push(above);
  });
  for (const row of layers) {
    // Why the insertion index breaks ties: the same pipeline is drawn the same way every time.
    const keyed = row.map((slot, i) => ({ slot, i, key: slot.from.length === 0 ? i : slot.from.reduce((a, s) => a + s.index, 0) / slot.from.length }));
    keyed.sort((a, b) => a.key - b.key || a.i - b.i);
    row.length = 0;
    keyed.forEach((k, i) => {
      k.slot.index = i;
      row.push(k.slot);
    });
  }
  const widthOf = (slot: Slot): number => (slot.stage === undefined ? BOX.waypoint : BOX.width);
  const rowWidth = (row: readonly Slot[]): number => row.reduce((w, s) => w + widthOf(s), 0) + Math.max(0, row.length - 1) * BOX.gapX;
  const width = 2 * BOX.margin + Math.max(BOX.width, ...layers.map(rowWidth));
  const stages = new Map<string, PlacedStage>();
  const waypointAt = new Map<Slot, Waypoint>();
  layers.forEach((row, l) => {
    // Each layer centred under the widest one.
    let x = (width - rowWidth(row)) / 2;
    const y = BOX.margin + l * (BOX.height + BOX.gapY);
    for (const slot of row) {
      if (slot.stage !== undefined) stages.set(slot.stage, { name: slot.stage, x, y });
      else waypointAt.set(slot, { x: x + BOX.waypoint / 2, top: y, bottom: y + BOX.height });
      x += widthOf(slot) + BOX.gapX;
    }
  });
  const height = 2 * BOX.margin + depth * BOX.height + Math.max(0, depth - 1) * BOX.gapY;
  return { stages, waypoints: chains.map((chain) => chain.flatMap((slot) => waypointAt.get(slot) ?? [])), width, height: order.length === 0 ? 2 * BOX.margin : height };
}
