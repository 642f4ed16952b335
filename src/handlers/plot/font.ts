/**
 * Plot text in DejaVu Sans, the typeface matplotlib (and so healpy's figures) draws with. The font
 * file comes from the npm package `@fontsource/dejavu-sans` (WOFF 1.0, the full, unsubsetted font;
 * DejaVu's licence: Bitstream Vera terms, DejaVu changes public domain — redistribution with
 * software is allowed); `opentype.js` (MIT, no dependencies) reads its glyph outlines. Both are
 * loaded on first use, synchronously, because rendering is synchronous and most commands never draw
 * text.
 *
 * Sizes are given as a `scale`, as with the bitmap font this replaced: at scale s a capital letter
 * is {@link GLYPH_ASCENT}·s pixels tall and a line needs {@link GLYPH_HEIGHT}·s pixels, so layouts
 * written for the old font keep their proportions.
 *
 * | symbol | meaning | units |
 * |---|---|---|
 * | em | the font's design square, `unitsPerEm` units (2048 for DejaVu) | font units |
 * | size | the em in pixels: GLYPH_ASCENT·s / capHeight | px |
 * | capHeight | height of `H` over the em (0.729 for DejaVu) | 1 |
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

import type { OpenTypeFont, OpenTypeModule, PathCommand } from "opentype.js";

/** Nominal glyph cell width per unit of scale (pixels at scale 1); proportional text is measured, not counted. */
export const GLYPH_WIDTH = 5;
/** Line height per unit of scale, descenders included. */
export const GLYPH_HEIGHT = 9;
/** Capital height per unit of scale: the space a label needs above its baseline. */
export const GLYPH_ASCENT = 7;
/** Nominal advance per character per unit of scale (the average of DejaVu Sans is close to it). */
export const GLYPH_ADVANCE = 6;

/** The typeface plot text is drawn in. */
export const FONT_NAME = "DejaVu Sans";

/** The font file inside its npm package. */
const FONT_FILE = "@fontsource/dejavu-sans/files/dejavu-sans-latin-400-normal.woff";

/** Segments per quadratic or cubic curve: sub-pixel accuracy up to a ~40 px em. */
const CURVE_STEPS = 8;

/** One glyph: its outline as closed polygons in em units (y up, origin on the baseline) and its advance. */
export interface GlyphOutline {
  /** Each contour as x0, y0, x1, y1, ... in em units (1 = the em). */
  readonly contours: readonly Float64Array[];
  /** Horizontal advance in em units. */
  readonly advance: number;
  /** The font's glyph index (0 = the font has no glyph for the character). */
  readonly index: number;
}

interface LoadedFont {
  readonly font: OpenTypeFont;
  readonly unitsPerEm: number;
  /** Capital height over the em. */
  readonly capHeight: number;
  readonly glyphs: Map<number, GlyphOutline>;
}

let loaded: LoadedFont | undefined;

function loadFont(): LoadedFont {
  if (loaded !== undefined) return loaded;
  const require = createRequire(import.meta.url);
  const opentype = require("opentype.js") as OpenTypeModule;
  const bytes = readFileSync(require.resolve(FONT_FILE));
  // lowMemory parses glyphs when first asked for: ~0.1 s instead of ~1 s for DejaVu's 6000 glyphs.
  const font = opentype.parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), { lowMemory: true });
  const unitsPerEm = font.unitsPerEm;
  const h = font.charToGlyph("H").getBoundingBox();
  loaded = { font, unitsPerEm, capHeight: h.y2 / unitsPerEm, glyphs: new Map() };
  return loaded;
}

/** Flattens an opentype.js path into closed polygons, scaled from font units to em units. */
function flatten(commands: readonly PathCommand[], unitsPerEm: number): Float64Array[] {
  const contours: Float64Array[] = [];
  let points: number[] = [];
  let cx = 0;
  let cy = 0;
  const close = (): void => {
    if (points.length >= 6) contours.push(Float64Array.from(points, (v) => v / unitsPerEm));
    points = [];
  };
  for (const c of commands) {
    switch (c.type) {
      case "M":
        close();
        points.push(c.x, c.y);
        [cx, cy] = [c.x, c.y];
        break;
      case "L":
        points.push(c.x, c.y);
        [cx, cy] = [c.x, c.y];
        break;
      case "Q":
        for (let k = 1; k <= CURVE_STEPS; k++) {
          const t = k / CURVE_STEPS;
          const u = 1 - t;
          points.push(u * u * cx + 2 * u * t * c.x1 + t * t * c.x, u * u * cy + 2 * u * t * c.y1 + t * t * c.y);
        }
        [cx, cy] = [c.x, c.y];
        break;
      case "C":
        for (let k = 1; k <= CURVE_STEPS; k++) {
          const t = k / CURVE_STEPS;
          const u = 1 - t;
          const a = u * u * u;
          const b = 3 * u * u * t;
          const d = 3 * u * t * t;
          const e = t * t * t;
          points.push(a * cx + b * c.x1 + d * c.x2 + e * c.x, a * cy + b * c.y1 + d * c.y2 + e * c.y);
        }
        [cx, cy] = [c.x, c.y];
        break;
      case "Z":
        close();
        break;
      default: {
        const unknown: never = c;
        throw new Error(`Internal error: unknown path command ${JSON.stringify(unknown)}`);
      }
    }
  }
  close();
  return contours;
}

/**
 * The outline of the glyph for `codePoint`. A character the font lacks gets the font's `.notdef`
 * box (glyph 0), so missing text shows as boxes rather than vanishing.
 */
export function glyphOutline(codePoint: number): GlyphOutline {
  const f = loadFont();
  const cached = f.glyphs.get(codePoint);
  if (cached !== undefined) return cached;
  const glyph = f.font.charToGlyph(String.fromCodePoint(codePoint));
  const outline: GlyphOutline = {
    contours: flatten(glyph.path.commands, f.unitsPerEm),
    advance: (glyph.advanceWidth ?? 0) / f.unitsPerEm,
    index: glyph.index,
  };
  f.glyphs.set(codePoint, outline);
  return outline;
}

/** True when the font has its own glyph for `codePoint`. */
export function hasGlyph(codePoint: number): boolean {
  return glyphOutline(codePoint).index !== 0;
}

/** The em size in pixels for text at `scale`: capitals are GLYPH_ASCENT·scale pixels tall. */
export function fontPixelSize(scale: number): number {
  return (GLYPH_ASCENT * scale) / loadFont().capHeight;
}
