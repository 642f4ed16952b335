/**
 * Colour maps for sky maps: 256-colour lookup tables indexed as matplotlib does (a normalised
 * value t in [0, 1] takes colour ⌊256·t⌋, t = 1 the last), so our pixels and healpy's agree exactly.
 *
 * - `viridis` and `coolwarm`: published tables (see colormap-tables.ts and its generator).
 * - `planck`: the CMB part of the Planck collaboration's published colour scale (blue → cyan →
 *   parchment → yellow → orange → red → dark red), rebuilt from its control points, between which
 *   the published table is linear.
 */
import type { Rgb } from "./canvas.js";
import { COOLWARM_HEX, VIRIDIS_HEX } from "./colormap-tables.js";

/** The colour maps cmbflow knows. */
export type ColormapName = "planck" | "viridis" | "coolwarm";

/** Every {@link ColormapName}, in the order messages list them. */
export const COLORMAP_NAMES: readonly ColormapName[] = ["planck", "viridis", "coolwarm"];

/** Colours a table has. */
export const COLORMAP_SIZE = 256;

/** A colour map: {@link COLORMAP_SIZE} RGB triples, low end first. */
export interface Colormap {
  readonly name: ColormapName;
  /** r, g, b, r, g, b, ... (0–255). */
  readonly table: Uint8Array;
}

// [index in the published 256-colour table, r, g, b] of the Planck scale's control points, from
// deep blue through parchment to dark red. The published table goes on from dark red (index 166)
// through grey to white for bright foregrounds; a CMB map needs only this part, which is
// stretched over the whole bar (parchment then sits at 0.46, near the middle of a symmetric range).
const PLANCK_NODES: readonly (readonly [number, number, number, number])[] = [
  [0, 0, 0, 255],
  [13, 10, 20, 255],
  [26, 30, 184, 255],
  [39, 80, 235, 255],
  [52, 191, 239, 250],
  [65, 228, 240, 245],
  [76, 241, 241, 212],
  [88, 245, 240, 175],
  [101, 248, 235, 130],
  [114, 249.9, 204, 38.25],
  [127, 242.25, 153, 12.75],
  [140, 204, 76.5, 0],
  [153, 165, 32, 32],
  [166, 114, 0, 32],
];
const PLANCK_LAST = 166;

function fromHex(hex: string): Uint8Array {
  const table = new Uint8Array(3 * COLORMAP_SIZE);
  for (let i = 0; i < table.length; i++) table[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return table;
}

/** Linear interpolation between control points placed at index·(255/last) of the table. */
function fromNodes(nodes: readonly (readonly [number, number, number, number])[], last: number): Uint8Array {
  const table = new Uint8Array(3 * COLORMAP_SIZE);
  const at = (i: number): number => (i * (COLORMAP_SIZE - 1)) / last;
  let k = 1;
  for (let i = 0; i < COLORMAP_SIZE; i++) {
    while (k < nodes.length - 1 && at(nodes[k]?.[0] ?? 0) < i) k++;
    const a = nodes[k - 1] ?? [0, 0, 0, 0];
    const b = nodes[k] ?? a;
    const t = Math.min(1, Math.max(0, (i - at(a[0])) / (at(b[0]) - at(a[0]))));
    for (let c = 1; c <= 3; c++) table[3 * i + c - 1] = Math.round((a[c] ?? 0) + t * ((b[c] ?? 0) - (a[c] ?? 0)));
  }
  return table;
}

const TABLES = new Map<ColormapName, Uint8Array>();

/** The colour map called `name`; tables are built once. */
export function colormap(name: ColormapName): Colormap {
  let table = TABLES.get(name);
  if (table === undefined) {
    switch (name) {
      case "planck":
        table = fromNodes(PLANCK_NODES, PLANCK_LAST);
        break;
      case "viridis":
        table = fromHex(VIRIDIS_HEX);
        break;
      case "coolwarm":
        table = fromHex(COOLWARM_HEX);
        break;
      default: {
        const unknown: never = name;
        throw new Error(`Internal error: unknown colour map ${String(unknown)}`);
      }
    }
    TABLES.set(name, table);
  }
  return { name, table };
}

/** True when `text` names a colour map. */
export function isColormapName(text: string): text is ColormapName {
  return (COLORMAP_NAMES as readonly string[]).includes(text);
}

/** The colour of normalised value `t` (clipped to [0, 1]) in `map`. */
export function colorAt(map: Colormap, t: number): Rgb {
  const i = Math.min(COLORMAP_SIZE - 1, Math.max(0, Math.floor(t * COLORMAP_SIZE)));
  return { r: map.table[3 * i] ?? 0, g: map.table[3 * i + 1] ?? 0, b: map.table[3 * i + 2] ?? 0 };
}
