/**
 * An RGBA raster with the few primitives a plot needs. Shapes are first drawn as coverage into a
 * {@link Mask} (0–1 per pixel, taking the maximum where shapes overlap) and then composited once
 * with a colour and opacity, so a polyline's joints or a band's overlapping parts are not painted
 * twice (no dark spots where semi-transparent segments meet).
 *
 * Coordinates are continuous pixels: pixel (i, j) covers [i, i+1) × [j, j+1), centre (i+½, j+½);
 * y grows downwards.
 */
import { GLYPH_ASCENT, GLYPH_HEIGHT, fontPixelSize, glyphOutline } from "./font.js";

/** An opaque colour, 0–255 per channel. */
export interface Rgb {
  readonly r: number;
  readonly g: number;
  readonly b: number;
}

/** An axis-aligned pixel rectangle: columns [x0, x1), rows [y0, y1). */
export interface Rect {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** Parses `#rgb` or `#rrggbb` (case-insensitive); `undefined` for anything else. */
export function parseColor(text: string): Rgb | undefined {
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(text);
  if (short !== null) {
    const [r, g, b] = [short[1], short[2], short[3]].map((h) => Number.parseInt(`${h}${h}`, 16));
    return { r: r ?? 0, g: g ?? 0, b: b ?? 0 };
  }
  const long = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(text);
  if (long === null) return undefined;
  const [r, g, b] = [long[1], long[2], long[3]].map((h) => Number.parseInt(h ?? "0", 16));
  return { r: r ?? 0, g: g ?? 0, b: b ?? 0 };
}

/** Per-pixel coverage in [0, 1] for one shape or group of shapes, the canvas's size. */
export class Mask {
  readonly width: number;
  readonly height: number;
  readonly values: Float32Array;

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.values = new Float32Array(width * height);
  }

  /** Raises pixel (x, y) to `coverage` if that is more than it has. Out-of-range pixels are ignored. */
  cover(x: number, y: number, coverage: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || coverage <= 0) return;
    const i = y * this.width + x;
    if (coverage > (this.values[i] ?? 0)) this.values[i] = Math.min(1, coverage);
  }
}

/** The integer pixel range of `clip` intersected with [lo, hi] (inclusive pixel indices). */
function span(lo: number, hi: number, min: number, maxExclusive: number): [number, number] {
  return [Math.max(min, Math.floor(lo)), Math.min(maxExclusive - 1, Math.ceil(hi))];
}

/**
 * Adds an antialiased polyline of width `lineWidth` through the points to `mask`, within `clip`.
 * A non-finite coordinate breaks the line (no segment to or from it).
 */
export function strokePolyline(
  mask: Mask,
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  lineWidth: number,
  clip: Rect,
): void {
  const r = lineWidth / 2;
  for (let k = 1; k < xs.length; k++) {
    const ax = xs[k - 1] ?? Number.NaN;
    const ay = ys[k - 1] ?? Number.NaN;
    const bx = xs[k] ?? Number.NaN;
    const by = ys[k] ?? Number.NaN;
    if (!Number.isFinite(ax + ay + bx + by)) continue;
    strokeSegment(mask, ax, ay, bx, by, r, clip);
  }
  // A single isolated finite point would otherwise vanish: draw it as a dot.
  for (let k = 0; k < xs.length; k++) {
    const x = xs[k] ?? Number.NaN;
    const y = ys[k] ?? Number.NaN;
    if (!Number.isFinite(x + y)) continue;
    const prevOk = k > 0 && Number.isFinite((xs[k - 1] ?? Number.NaN) + (ys[k - 1] ?? Number.NaN));
    const nextOk = k + 1 < xs.length && Number.isFinite((xs[k + 1] ?? Number.NaN) + (ys[k + 1] ?? Number.NaN));
    if (!prevOk && !nextOk) fillDisc(mask, x, y, r, clip);
  }
}

/** Coverage of a segment with round caps: 1 inside distance r, fading to 0 over one pixel. */
function strokeSegment(mask: Mask, ax: number, ay: number, bx: number, by: number, r: number, clip: Rect): void {
  const [xa, xb] = span(Math.min(ax, bx) - r - 1, Math.max(ax, bx) + r + 1, clip.x0, clip.x1);
  const [ya, yb] = span(Math.min(ay, by) - r - 1, Math.max(ay, by) + r + 1, clip.y0, clip.y1);
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  for (let py = ya; py <= yb; py++) {
    const cy = py + 0.5;
    for (let px = xa; px <= xb; px++) {
      const cx = px + 0.5;
      let t = len2 > 0 ? ((cx - ax) * dx + (cy - ay) * dy) / len2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = cx - (ax + t * dx);
      const ey = cy - (ay + t * dy);
      const d = Math.sqrt(ex * ex + ey * ey);
      mask.cover(px, py, r + 0.5 - d);
    }
  }
}

/** Adds an antialiased filled disc of radius `r` centred at (x, y). */
export function fillDisc(mask: Mask, x: number, y: number, r: number, clip: Rect): void {
  const [xa, xb] = span(x - r - 1, x + r + 1, clip.x0, clip.x1);
  const [ya, yb] = span(y - r - 1, y + r + 1, clip.y0, clip.y1);
  for (let py = ya; py <= yb; py++) {
    for (let px = xa; px <= xb; px++) {
      const d = Math.hypot(px + 0.5 - x, py + 0.5 - y);
      mask.cover(px, py, r + 0.5 - d);
    }
  }
}

/**
 * Fills a closed polygon (even-odd rule, pixel centres) into `mask` within `clip`. Used for
 * bands: the upper edge forwards, then the lower edge backwards.
 */
export function fillPolygon(mask: Mask, xs: ArrayLike<number>, ys: ArrayLike<number>, clip: Rect): void {
  const n = xs.length;
  if (n < 3) return;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let k = 0; k < n; k++) {
    const y = ys[k] ?? 0;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  const [ya, yb] = span(minY, maxY, clip.y0, clip.y1);
  const crossings: number[] = [];
  for (let py = ya; py <= yb; py++) {
    const cy = py + 0.5;
    crossings.length = 0;
    for (let k = 0; k < n; k++) {
      const j = k === 0 ? n - 1 : k - 1;
      const y0 = ys[j] ?? 0;
      const y1 = ys[k] ?? 0;
      if (y0 <= cy === y1 <= cy) continue;
      const x0 = xs[j] ?? 0;
      const x1 = xs[k] ?? 0;
      crossings.push(x0 + ((cy - y0) * (x1 - x0)) / (y1 - y0));
    }
    crossings.sort((a, b) => a - b);
    for (let c = 0; c + 1 < crossings.length; c += 2) {
      // Pixels whose centre lies in [left, right).
      const left = Math.max(clip.x0, Math.ceil((crossings[c] ?? 0) - 0.5));
      const right = Math.min(clip.x1 - 1, Math.ceil((crossings[c + 1] ?? 0) - 0.5) - 1);
      for (let px = left; px <= right; px++) mask.cover(px, py, 1);
    }
  }
}

/** An RGBA image, row-major, 4 bytes per pixel, opaque. */
export class Canvas {
  readonly width: number;
  readonly height: number;
  readonly data: Buffer;

  constructor(width: number, height: number, background: Rgb) {
    this.width = width;
    this.height = height;
    this.data = Buffer.alloc(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      this.data[4 * i] = background.r;
      this.data[4 * i + 1] = background.g;
      this.data[4 * i + 2] = background.b;
      this.data[4 * i + 3] = 255;
    }
  }

  /** Blends `color` over pixel (x, y) with opacity `alpha` (0–1). Out-of-range pixels are ignored. */
  blend(x: number, y: number, color: Rgb, alpha: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || alpha <= 0) return;
    const i = 4 * (y * this.width + x);
    const a = Math.min(1, alpha);
    const d = this.data;
    d[i] = Math.round((d[i] ?? 0) * (1 - a) + color.r * a);
    d[i + 1] = Math.round((d[i + 1] ?? 0) * (1 - a) + color.g * a);
    d[i + 2] = Math.round((d[i + 2] ?? 0) * (1 - a) + color.b * a);
  }

  /** Fills the rectangle [x0, x1) × [y0, y1) (integer pixels) with `color` at opacity `alpha`. */
  fillRect(rect: Rect, color: Rgb, alpha = 1): void {
    for (let y = Math.max(0, rect.y0); y < Math.min(this.height, rect.y1); y++) {
      for (let x = Math.max(0, rect.x0); x < Math.min(this.width, rect.x1); x++) this.blend(x, y, color, alpha);
    }
  }

  /** Paints `mask` in `color` at opacity `alpha` × coverage. */
  composite(mask: Mask, color: Rgb, alpha: number): void {
    const v = mask.values;
    for (let i = 0; i < v.length; i++) {
      const c = v[i] ?? 0;
      if (c > 0) this.blend(i % this.width, Math.floor(i / this.width), color, alpha * c);
    }
  }
}

/** One piece of a label: text at a scale, shifted up by `raise` pixels (superscripts). */
export interface TextRun {
  readonly text: string;
  readonly scale: number;
  readonly raise: number;
}

/** A label made of runs, e.g. `10` followed by a raised `-3`. */
export type RichText = readonly TextRun[];

/** Plain text at one scale. */
export function plain(text: string, scale: number): RichText {
  return [{ text, scale, raise: 0 }];
}

/** Size of a label in pixels: `width`, `ascent` above the baseline, `descent` below it. */
export interface TextBox {
  readonly width: number;
  readonly ascent: number;
  readonly descent: number;
}

/**
 * Width, ascent and descent of `label`: the width is the sum of the glyphs' advances, rounded up; ascent and
 * descent are the line's nominal extent (capital height and descender room at each run's scale,
 * shifted by its raise), so labels of different text line up on one baseline.
 */
export function measureText(label: RichText): TextBox {
  let width = 0;
  let ascent = 0;
  let descent = 0;
  for (const run of label) {
    const size = fontPixelSize(run.scale);
    for (const ch of run.text) width += glyphOutline(ch.codePointAt(0) ?? 0x3f).advance * size;
    ascent = Math.max(ascent, GLYPH_ASCENT * run.scale + run.raise);
    descent = Math.max(descent, (GLYPH_HEIGHT - GLYPH_ASCENT) * run.scale - run.raise);
  }
  // Whole pixels: layouts place boxes on integer pixel edges.
  return { width: Math.ceil(width - 1e-9), ascent, descent: Math.max(0, descent) };
}

/**
 * Draws `label` antialiased with its left end at `x` and its baseline at `y` (the row under the
 * capitals). `rotate` turns it 90° anticlockwise about (x, y), so it reads bottom to top (y-axis labels).
 */
export function drawText(canvas: Canvas, label: RichText, x: number, y: number, color: Rgb, rotate = false): void {
  const contours: Float64Array[] = [];
  let pen = 0;
  for (const run of label) {
    const size = fontPixelSize(run.scale);
    for (const ch of run.text) {
      const glyph = glyphOutline(ch.codePointAt(0) ?? 0x3f);
      for (const contour of glyph.contours) {
        const out = new Float64Array(contour.length);
        for (let k = 0; k < contour.length; k += 2) {
          // u along the text, v downwards from the baseline (font y grows upwards).
          const u = pen + (contour[k] ?? 0) * size;
          const v = -(contour[k + 1] ?? 0) * size - run.raise;
          out[k] = rotate ? x + v : x + u;
          out[k + 1] = rotate ? y - u : y + v;
        }
        contours.push(out);
      }
      pen += glyph.advance * size;
    }
  }
  const mask = new Mask(canvas.width, canvas.height);
  fillContours(mask, contours, { x0: 0, y0: 0, x1: canvas.width, y1: canvas.height });
  canvas.composite(mask, color, 1);
}

/** Vertical samples per pixel row in {@link fillContours}; horizontal coverage is exact. */
const SUBROWS = 5;

/**
 * Fills closed polygons (each x0, y0, x1, y1, ... in pixels) with the non-zero winding rule, as
 * TrueType outlines need, antialiased: each pixel row is sampled on {@link SUBROWS} lines and each
 * line's spans add their exact horizontal overlap with every pixel.
 */
export function fillContours(mask: Mask, contours: readonly Float64Array[], clip: Rect): void {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const c of contours) {
    for (let k = 0; k < c.length; k += 2) {
      const px = c[k] ?? 0;
      const py = c[k + 1] ?? 0;
      if (px < minX) minX = px;
      if (px > maxX) maxX = px;
      if (py < minY) minY = py;
      if (py > maxY) maxY = py;
    }
  }
  const [xa, xb] = span(minX, maxX, clip.x0, clip.x1);
  const [ya, yb] = span(minY, maxY, clip.y0, clip.y1);
  if (xa > xb || ya > yb) return;
  const w = xb - xa + 1;
  const row = new Float64Array(w);
  const hits: { x: number; dir: number }[] = [];
  for (let py = ya; py <= yb; py++) {
    row.fill(0);
    for (let s = 0; s < SUBROWS; s++) {
      const sy = py + (s + 0.5) / SUBROWS;
      hits.length = 0;
      for (const c of contours) {
        const n = c.length / 2;
        for (let k = 0; k < n; k++) {
          const j = k === 0 ? n - 1 : k - 1;
          const y0 = c[2 * j + 1] ?? 0;
          const y1 = c[2 * k + 1] ?? 0;
          if (y0 <= sy === y1 <= sy) continue;
          const x0 = c[2 * j] ?? 0;
          const x1 = c[2 * k] ?? 0;
          hits.push({ x: x0 + ((sy - y0) * (x1 - x0)) / (y1 - y0), dir: y1 > y0 ? 1 : -1 });
        }
      }
      hits.sort((a, b) => a.x - b.x);
      let winding = 0;
      for (let h = 0; h + 1 < hits.length; h++) {
        winding += hits[h]?.dir ?? 0;
        if (winding === 0) continue;
        addSpan(row, (hits[h]?.x ?? 0) - xa, (hits[h + 1]?.x ?? 0) - xa, 1 / SUBROWS);
      }
    }
    for (let i = 0; i < w; i++) mask.cover(xa + i, py, row[i] ?? 0);
  }
}

/** Adds `weight` × the overlap of [left, right) with each pixel of `row` (pixel i covers [i, i+1)). */
function addSpan(row: Float64Array, left: number, right: number, weight: number): void {
  const l = Math.max(0, left);
  const r = Math.min(row.length, right);
  if (r <= l) return;
  const il = Math.floor(l);
  const ir = Math.floor(r);
  if (il === ir) {
    row[il] = (row[il] ?? 0) + (r - l) * weight;
    return;
  }
  row[il] = (row[il] ?? 0) + (il + 1 - l) * weight;
  for (let i = il + 1; i < ir; i++) row[i] = (row[i] ?? 0) + weight;
  if (ir < row.length) row[ir] = (row[ir] ?? 0) + (r - ir) * weight;
}
