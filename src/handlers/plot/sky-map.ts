/**
 * Renders a HEALPix map as a picture, as healpy's `mollview` (and `cartview`, `orthview`) would:
 * the projected sphere, each image pixel painted with the colour of the HEALPix pixel under its
 * centre (no interpolation), UNSEEN and NaN pixels in grey, a white background, an optional
 * graticule, a horizontal colour bar with the range's ends and the unit under it, and a title.
 *
 * Layout (b = text scale, ⌊width/480⌋ + 1): pad 4b, title, the drawing (width − 8b wide), a gap of
 * 3b, the colour bar (60 % of the drawing's width, 4b tall), its end labels, the unit, pad.
 */
import { Canvas, Mask, drawText, measureText, plain, strokePolyline } from "./canvas.js";
import type { Rect, Rgb } from "./canvas.js";
import { colormap } from "./colormaps.js";
import type { ColormapName } from "./colormaps.js";
import { GLYPH_HEIGHT } from "./font.js";
import { makeNorm } from "./norms.js";
import type { NormName } from "./norms.js";
import { makeProjection } from "./projections.js";
import type { ProjectionName, Rotation } from "./projections.js";
import type { RgbaImage } from "./render.js";
import { err, ok } from "../../diagnostics/result.js";
import type { Result } from "../../diagnostics/result.js";
import { vec2pixUnchecked } from "../../healpix/pixel.js";
import { UNSEEN, isValidNside, nside2npix } from "../../healpix/nside.js";

/** What to draw. */
export interface SkyMapSpec {
  /** The full-sky map, 12·nside² values. */
  readonly values: ArrayLike<number>;
  readonly nside: number;
  /** True when `values` are in NESTED order; default false (RING). */
  readonly nest?: boolean;
  /** Image width in pixels, 200–8192; default 800. The height follows from the projection. */
  readonly width?: number;
  /** Low end of the colour bar; default the smallest valid pixel. */
  readonly min?: number;
  /** High end of the colour bar; default the largest valid pixel. */
  readonly max?: number;
  /** Written under the colour bar. */
  readonly unit?: string;
  /** Written above the map. */
  readonly title?: string;
  /** Default `viridis`, healpy's default. */
  readonly cmap?: ColormapName;
  /** Default `lin`. */
  readonly norm?: NormName;
  /** Spacing of graticule lines in degrees; none when undefined. */
  readonly graticule?: number;
  /** The map direction at the centre, degrees; default (0, 0). */
  readonly rot?: Rotation;
  /** Default `moll`. */
  readonly proj?: ProjectionName;
}

/** Where things were drawn, for tests and callers that annotate the picture. */
export interface SkyMapLayout {
  /** The box the projected sphere fills (the ellipse's or disc's bounding box, or the rectangle). */
  readonly map: Rect;
  /** The colour bar. */
  readonly bar: Rect;
  /** The range the colours span. */
  readonly min: number;
  readonly max: number;
}

/** A rendered sky map and its layout. */
export interface SkyMapImage {
  readonly image: RgbaImage;
  readonly layout: SkyMapLayout;
}

/** healpy's colour for UNSEEN pixels, matplotlib's "gray". */
export const BAD_COLOR: Rgb = { r: 128, g: 128, b: 128 };
const WHITE: Rgb = { r: 255, g: 255, b: 255 };
const BLACK: Rgb = { r: 0, g: 0, b: 0 };
const GRATICULE: Rgb = { r: 0, g: 0, b: 0 };

/** UNSEEN as healpy tests it: within 1e-5 relative, or not a number. */
function isBad(v: number): boolean {
  return !Number.isFinite(v) || Math.abs(v - UNSEEN) <= 1e-5 * Math.abs(UNSEEN);
}

/** The valid pixels' range, or undefined when there are none. */
function validRange(values: ArrayLike<number>): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? Number.NaN;
    if (isBad(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/** A shown range: the spec's, else the map's (when a map is all UNSEEN, [0, 1]). */
function shownRange(spec: SkyMapSpec): [number, number] {
  const data = spec.min === undefined || spec.max === undefined ? validRange(spec.values) : undefined;
  return [spec.min ?? data?.[0] ?? 0, spec.max ?? data?.[1] ?? 1];
}

/** Checks a spec; the message says which value is at fault. */
export function validateSkyMapSpec(spec: SkyMapSpec): Result<SkyMapSpec, string> {
  if (!isValidNside(spec.nside)) return err(`nside must be a power of two from 1 to 8192, got ${String(spec.nside)}`);
  if (spec.values.length !== nside2npix(spec.nside)) {
    return err(`a map of nside ${spec.nside} has ${nside2npix(spec.nside)} pixels, got ${spec.values.length}`);
  }
  const width = spec.width ?? 800;
  if (!Number.isInteger(width) || width < 200 || width > 8192) return err(`width must be an integer from 200 to 8192, got ${String(width)}`);
  for (const key of ["min", "max"] as const) {
    const v = spec[key];
    if (v !== undefined && !Number.isFinite(v)) return err(`${key} must be a finite number, got ${String(v)}`);
  }
  const [min, max] = shownRange(spec);
  if (!(max >= min)) return err(`min (${min}) is above max (${max})`);
  if (spec.norm === "log" && !(min > 0)) return err(`the log norm needs a positive min, got ${min}`);
  if (spec.graticule !== undefined && !(spec.graticule > 0 && spec.graticule <= 180)) {
    return err(`graticule spacing must be in (0, 180] degrees, got ${String(spec.graticule)}`);
  }
  if (spec.rot !== undefined && !(Number.isFinite(spec.rot.lon) && Math.abs(spec.rot.lat) <= 90)) {
    return err(`rot latitude must be in [-90, 90] degrees, got ${String(spec.rot.lat)}`);
  }
  return ok(spec);
}

/** Formats a colour-bar end label: 4 significant digits, exponent form outside [1e-3, 1e5). */
export function formatBarValue(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(4)));
  const [mant, exp] = v.toExponential(3).split("e");
  return `${String(Number(mant))}e${Number(exp)}`;
}

/** Draws the sky map described by `spec` (validate it first with {@link validateSkyMapSpec}). */
export function renderSkyMap(spec: SkyMapSpec): SkyMapImage {
  const width = spec.width ?? 800;
  const b = Math.floor(width / 480) + 1;
  const pad = 4 * b;
  const gap = 3 * b;
  const proj = makeProjection(spec.proj ?? "moll", spec.rot ?? { lon: 0, lat: 0 });
  const titleScale = b + 1;
  const titleHeight = spec.title !== undefined && spec.title !== "" ? GLYPH_HEIGHT * titleScale + gap : 0;
  // An orthographic disc as wide as the image would be too tall: it gets half the width.
  const drawWidth = proj.aspect > 0.5 ? Math.round((width - 2 * pad) / 2) : width - 2 * pad;
  const drawHeight = Math.round(drawWidth * proj.aspect);
  const mapRect: Rect = {
    x0: Math.round((width - drawWidth) / 2),
    y0: pad + titleHeight,
    x1: Math.round((width - drawWidth) / 2) + drawWidth,
    y1: pad + titleHeight + drawHeight,
  };
  const barWidth = Math.round(0.6 * (width - 2 * pad));
  const bar: Rect = { x0: Math.round((width - barWidth) / 2), y0: mapRect.y1 + gap, x1: Math.round((width - barWidth) / 2) + barWidth, y1: mapRect.y1 + gap + 4 * b };
  const hasUnit = spec.unit !== undefined && spec.unit !== "";
  const height = bar.y1 + b + GLYPH_HEIGHT * b + (hasUnit ? b + GLYPH_HEIGHT * b : 0) + pad;

  const canvas = new Canvas(width, height, WHITE);
  const [min, max] = shownRange(spec);
  const cmap = colormap(spec.cmap ?? "viridis");
  const norm = makeNorm(spec.norm ?? "lin", min, max, spec.norm === "hist" ? validValues(spec.values) : []);
  const nest = spec.nest === true;

  // The sphere: each image pixel takes the HEALPix pixel under its centre.
  const half = drawWidth / 2;
  const cx = (mapRect.x0 + mapRect.x1) / 2;
  const cy = (mapRect.y0 + mapRect.y1) / 2;
  const dir = new Float64Array(3);
  const data = canvas.data;
  for (let py = mapRect.y0; py < mapRect.y1; py++) {
    const v = (cy - (py + 0.5)) / half;
    for (let px = mapRect.x0; px < mapRect.x1; px++) {
      const u = (px + 0.5 - cx) / half;
      if (!proj.inverse(u, v, dir)) continue;
      const value = spec.values[vec2pixUnchecked(spec.nside, dir[0] ?? 0, dir[1] ?? 0, dir[2] ?? 0, nest)] ?? Number.NaN;
      const i = 4 * (py * width + px);
      if (isBad(value)) {
        data[i] = BAD_COLOR.r;
        data[i + 1] = BAD_COLOR.g;
        data[i + 2] = BAD_COLOR.b;
        continue;
      }
      const k = 3 * Math.min(255, Math.floor(norm(value) * 256));
      data[i] = cmap.table[k] ?? 0;
      data[i + 1] = cmap.table[k + 1] ?? 0;
      data[i + 2] = cmap.table[k + 2] ?? 0;
    }
  }

  if (spec.graticule !== undefined) drawGraticule(canvas, proj, spec.graticule, mapRect, half, cx, cy);

  // The colour bar: the colours from min (left) to max (right), framed, labelled at its ends.
  for (let px = bar.x0; px < bar.x1; px++) {
    const k = 3 * Math.min(255, Math.floor(((px - bar.x0 + 0.5) / barWidth) * 256));
    const color = { r: cmap.table[k] ?? 0, g: cmap.table[k + 1] ?? 0, b: cmap.table[k + 2] ?? 0 };
    canvas.fillRect({ x0: px, y0: bar.y0, x1: px + 1, y1: bar.y1 }, color);
  }
  frame(canvas, bar);
  const labelBaseline = bar.y1 + b + 7 * b;
  const lo = plain(formatBarValue(min), b);
  const hi = plain(formatBarValue(max), b);
  drawText(canvas, lo, Math.max(pad, bar.x0 - measureText(lo).width / 2), labelBaseline, BLACK);
  drawText(canvas, hi, Math.min(width - pad - measureText(hi).width, bar.x1 - measureText(hi).width / 2), labelBaseline, BLACK);
  if (hasUnit) {
    const unit = plain(spec.unit ?? "", b);
    drawText(canvas, unit, Math.round(width / 2 - measureText(unit).width / 2), labelBaseline + b + GLYPH_HEIGHT * b, BLACK);
  }
  if (titleHeight > 0) {
    let scale = titleScale;
    while (scale > 1 && measureText(plain(spec.title ?? "", scale)).width > width - 2 * pad) scale--;
    const title = plain(spec.title ?? "", scale);
    drawText(canvas, title, Math.round(width / 2 - measureText(title).width / 2), pad + 7 * titleScale, BLACK);
  }
  return { image: { width, height, data: canvas.data }, layout: { map: mapRect, bar, min, max } };
}

function validValues(values: ArrayLike<number>): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? Number.NaN;
    if (!isBad(v)) out.push(v);
  }
  return Float64Array.from(out);
}

/** A one-pixel black frame just inside `r`. */
function frame(canvas: Canvas, r: Rect): void {
  canvas.fillRect({ x0: r.x0, y0: r.y0, x1: r.x1, y1: r.y0 + 1 }, BLACK);
  canvas.fillRect({ x0: r.x0, y0: r.y1 - 1, x1: r.x1, y1: r.y1 }, BLACK);
  canvas.fillRect({ x0: r.x0, y0: r.y0, x1: r.x0 + 1, y1: r.y1 }, BLACK);
  canvas.fillRect({ x0: r.x1 - 1, y0: r.y0, x1: r.x1, y1: r.y1 }, BLACK);
}

/**
 * Meridians and parallels every `step` degrees in the map's frame, sampled every 0.5° and
 * projected; a line is broken where it leaves the visible sphere or jumps across the drawing's
 * edge (λ = ±180° in the view).
 */
function drawGraticule(
  canvas: Canvas,
  proj: ReturnType<typeof makeProjection>,
  step: number,
  clip: Rect,
  half: number,
  cx: number,
  cy: number,
): void {
  const mask = new Mask(canvas.width, canvas.height);
  const uv = new Float64Array(2);
  const deg = Math.PI / 180;
  const trace = (points: [number, number][]): void => {
    const xs: number[] = [];
    const ys: number[] = [];
    let lastU = Number.NaN;
    for (const [theta, phi] of points) {
      if (!proj.forward(theta, phi, uv)) {
        xs.push(Number.NaN);
        ys.push(Number.NaN);
        lastU = Number.NaN;
        continue;
      }
      const u = uv[0] ?? 0;
      if (Math.abs(u - lastU) > 0.5) {
        xs.push(Number.NaN);
        ys.push(Number.NaN);
      }
      xs.push(cx + u * half);
      ys.push(cy - (uv[1] ?? 0) * half);
      lastU = u;
    }
    strokePolyline(mask, xs, ys, 1, clip);
  };
  for (let lon = 0; lon < 360 - 1e-9; lon += step) {
    const pts: [number, number][] = [];
    for (let t = 0.5; t <= 179.5; t += 0.5) pts.push([t * deg, lon * deg]);
    trace(pts);
  }
  for (let k = -Math.floor(90 / step); k * step < 90; k++) {
    const lat = k * step;
    if (lat <= -90) continue;
    const pts: [number, number][] = [];
    for (let p = 0; p <= 360; p += 0.5) pts.push([(90 - lat) * deg, p * deg]);
    trace(pts);
  }
  canvas.composite(mask, GRATICULE, 0.5);
}
