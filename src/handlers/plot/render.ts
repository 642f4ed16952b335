/**
 * Renders a {@link PlotSpec} onto an RGBA canvas: white background, light grid, series (bands,
 * lines, points, antialiased, clipped to the plot area), a frame with outward ticks and tick
 * labels, axis labels, title and legend.
 *
 * Layout (all sizes are multiples of the text scale b): the vertical margins are fixed by the
 * title and the x labels, so the y ticks can be chosen first; their widest label then fixes the
 * left margin and with it the x axis length, and the x ticks come last.
 *
 * A figure with panels (or a legend `outside right`) is a title strip, a grid of cells each
 * rendered as a plot of its own, and a legend column on the right: the cells are laid out twice,
 * the second time with the widest left and right margins of their column, so the x axes of a
 * column line up.
 */
import { Canvas, Mask, drawText, fillDisc, fillPolygon, measureText, parseColor, plain, strokePolyline } from "./canvas.js";
import type { Rect, Rgb, RichText } from "./canvas.js";
import { GLYPH_ASCENT, GLYPH_HEIGHT } from "./font.js";
import { PALETTE } from "./plot-spec.js";
import type { LegendPosition, PlotPanel, PlotSeries, PlotSpec } from "./plot-spec.js";
import { linearTicks, logTicks } from "./ticks.js";
import type { AxisTicks, LabelStyle } from "./ticks.js";

/** A rendered image: RGBA bytes, row-major, `width × height × 4`. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Buffer;
}

/** One axis: its scale, shown range, ticks and the data → pixel map. */
export interface Axis {
  readonly log: boolean;
  /** Shown range in data units. */
  readonly min: number;
  readonly max: number;
  readonly ticks: AxisTicks;
  /** Continuous pixel coordinate of a data value (NaN for values ≤ 0 on a log axis). */
  toPixel(value: number): number;
}

/** Where everything goes; exported so tests can compute where a value is drawn. */
export interface PlotLayout {
  /** Text scale b. */
  readonly scale: number;
  /** Title text scale: b + 1, less when the title would not fit the width. */
  readonly titleScale: number;
  /** The data area: series are clipped to it; the frame is drawn just outside it. */
  readonly plot: Rect;
  readonly x: Axis;
  readonly y: Axis;
}

const WHITE: Rgb = { r: 255, g: 255, b: 255 };
const BLACK: Rgb = { r: 0, g: 0, b: 0 };
const GRID: Rgb = { r: 228, g: 228, b: 228 };
const LEGEND_BORDER: Rgb = { r: 160, g: 160, b: 160 };

/** The text scale for a figure: 1 below 480 px on the short side, 2 up to 959, and so on. */
function defaultScale(spec: PlotSpec): number {
  return Math.floor(Math.min(spec.width, spec.height) / 480) + 1;
}

/** The finite values a series contributes to the x or y range (positive only on a log axis). */
function* seriesValues(series: PlotSeries, axis: "x" | "y", log: boolean): Generator<number> {
  const arrays = axis === "x" ? [series.x] : series.kind === "band" ? [series.yLow, series.yHigh] : [series.y];
  for (const array of arrays) {
    for (let i = 0; i < array.length; i++) {
      const v = array[i] ?? Number.NaN;
      if (Number.isFinite(v) && (!log || v > 0)) yield v;
    }
  }
}

/** The shown range: the user's, or the data's padded by 5 % (in log space on a log axis). */
function shownRange(spec: PlotSpec, axis: "x" | "y"): [number, number] {
  const log = (axis === "x" ? spec.xLog : spec.yLog) === true;
  const given = axis === "x" ? spec.xRange : spec.yRange;
  if (given !== undefined) return [given[0], given[1]];
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of spec.series) {
    for (const v of seriesValues(s, axis, log)) {
      const t = log ? Math.log10(v) : v;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
  }
  if (lo > hi) return log ? [1, 10] : [0, 1];
  let spread = hi - lo;
  // Values equal but for rounding (a constant computed two ways) count as one value: a spread
  // near the last bits of the doubles would ask the tick search for steps it cannot take.
  if (spread <= 1e-9 * Math.max(Math.abs(lo), Math.abs(hi))) spread = 0;
  if (spread === 0) spread = log ? 1 : Math.abs(lo) > 0 ? Math.abs(lo) : 1;
  lo -= 0.05 * spread;
  hi += 0.05 * spread;
  return log ? [10 ** lo, 10 ** hi] : [lo, hi];
}

function makeAxis(log: boolean, min: number, max: number, p0: number, p1: number, ticks: AxisTicks): Axis {
  const t0 = log ? Math.log10(min) : min;
  const t1 = log ? Math.log10(max) : max;
  const k = (p1 - p0) / (t1 - t0);
  return {
    log,
    min,
    max,
    ticks,
    toPixel: log ? (v) => (v > 0 ? p0 + (Math.log10(v) - t0) * k : Number.NaN) : (v) => p0 + (v - t0) * k,
  };
}

function axisTicks(log: boolean, min: number, max: number, target: number, style: LabelStyle): AxisTicks {
  return log ? logTicks(min, max, target, style) : linearTicks(min, max, target, style);
}

function labelHeight(label: RichText): number {
  const box = measureText(label);
  return box.ascent + box.descent;
}

/** Smallest left and right margins, in pixels, to line panels up. */
interface Margins {
  readonly left: number;
  readonly right: number;
}

/** Computes margins, ranges and ticks. */
export function layoutPlot(spec: PlotSpec, margins: Margins = { left: 0, right: 0 }): PlotLayout {
  const b = spec.textScale ?? defaultScale(spec);
  const style: LabelStyle = { scale: b, superscriptScale: Math.max(1, b - 1) };
  const pad = 8 * b;
  const tickLength = 4 * b;
  const gap = 3 * b;
  const frame = 1;
  const sample = measureText([
    { text: "10", scale: b, raise: 0 },
    { text: "-5", scale: style.superscriptScale, raise: 4 * b },
  ]);
  const tickLabelAscent = sample.ascent;
  const textHeight = GLYPH_HEIGHT * b;

  const [xMin, xMax] = shownRange(spec, "x");
  const [yMin, yMax] = shownRange(spec, "y");
  const xLog = spec.xLog === true;
  const yLog = spec.yLog === true;

  let titleScale = b + 1;
  const hasTitle = spec.title !== undefined && spec.title !== "";
  while (hasTitle && titleScale > b && measureText(plain(spec.title ?? "", titleScale)).width > spec.width - 2 * pad) {
    titleScale--;
  }

  // Vertical layout first.
  let top = pad + (hasTitle ? GLYPH_HEIGHT * titleScale + gap : 0);
  const bottom =
    frame + tickLength + gap + tickLabelAscent + (GLYPH_HEIGHT - GLYPH_ASCENT) * b +
    (spec.xLabel !== undefined && spec.xLabel !== "" ? 2 * gap + textHeight : gap + textHeight) + pad;
  let yTicks = axisTicks(yLog, yMin, yMax, Math.max(2, Math.floor((spec.height - top - bottom) / (30 * b))), style);
  if (yTicks.multiplier !== undefined) {
    // Room for the "×10^k" above the y axis.
    top += labelHeight(yTicks.multiplier) + gap;
    yTicks = axisTicks(yLog, yMin, yMax, Math.max(2, Math.floor((spec.height - top - bottom) / (30 * b))), style);
  }
  top = Math.max(top, pad + tickLabelAscent);

  // Then the left margin from the widest y tick label, and the x ticks.
  const widest = Math.max(0, ...yTicks.ticks.map((t) => (t.label === undefined ? 0 : measureText(t.label).width)));
  const left = Math.max(margins.left, pad + (spec.yLabel !== undefined && spec.yLabel !== "" ? textHeight + 2 * gap : 0) + widest + gap + tickLength + frame);
  const right = Math.max(margins.right, pad + 12 * b);
  const plot: Rect = {
    x0: left,
    y0: top,
    x1: Math.max(left + 1, spec.width - right),
    y1: Math.max(top + 1, spec.height - bottom),
  };
  const plotWidth = plot.x1 - plot.x0;
  let target = Math.max(2, Math.floor(plotWidth / (60 * b)));
  let xTicks = axisTicks(xLog, xMin, xMax, target, style);
  let x = makeAxis(xLog, xMin, xMax, plot.x0, plot.x1, xTicks);
  // Fewer ticks while neighbouring labels would touch.
  while (target > 2 && labelsCollide(x, gap)) {
    target--;
    xTicks = axisTicks(xLog, xMin, xMax, target, style);
    x = makeAxis(xLog, xMin, xMax, plot.x0, plot.x1, xTicks);
  }
  const y = makeAxis(yLog, yMin, yMax, plot.y1, plot.y0, yTicks);
  return { scale: b, titleScale, plot, x, y };
}

function labelsCollide(axis: Axis, gap: number): boolean {
  let previousRight = -Infinity;
  for (const tick of axis.ticks.ticks) {
    if (tick.label === undefined) continue;
    const w = measureText(tick.label).width;
    const centre = axis.toPixel(tick.value);
    if (centre - w / 2 < previousRight + 2 * gap) return true;
    previousRight = centre + w / 2;
  }
  return false;
}

function colorOf(series: PlotSeries, index: number): Rgb {
  return parseColor(series.color ?? PALETTE[index % PALETTE.length] ?? "#000000") ?? BLACK;
}

/** Pixel coordinates of a series' points; values not drawable on the axis become NaN. */
function pixels(axis: Axis, values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = axis.toPixel(values[i] ?? Number.NaN);
  return out;
}

function drawBand(mask: Mask, layout: PlotLayout, series: PlotSeries & { kind: "band" }): void {
  const xs = pixels(layout.x, series.x);
  // On a log axis a lower edge ≤ 0 (mean − std below zero) is drawn down to the bottom edge.
  const below = layout.plot.y1 + 2;
  const lows = pixels(layout.y, series.yLow).map((v) => (Number.isFinite(v) ? v : below));
  const highs = pixels(layout.y, series.yHigh).map((v) => (Number.isFinite(v) ? v : below));
  // One polygon per run of finite x: upper edge forwards, lower edge backwards.
  let start = 0;
  while (start < xs.length) {
    while (start < xs.length && !Number.isFinite(xs[start] ?? Number.NaN)) start++;
    let end = start;
    while (end < xs.length && Number.isFinite(xs[end] ?? Number.NaN)) end++;
    if (end - start >= 2) {
      const px: number[] = [];
      const py: number[] = [];
      for (let i = start; i < end; i++) {
        px.push(xs[i] ?? 0);
        py.push(highs[i] ?? below);
      }
      for (let i = end - 1; i >= start; i--) {
        px.push(xs[i] ?? 0);
        py.push(lows[i] ?? below);
      }
      fillPolygon(mask, px, py, layout.plot);
    }
    start = end;
  }
}

function drawSeries(canvas: Canvas, layout: PlotLayout, series: PlotSeries, index: number): void {
  const color = colorOf(series, index);
  const mask = new Mask(canvas.width, canvas.height);
  const b = layout.scale;
  switch (series.kind) {
    case "band":
      drawBand(mask, layout, series);
      canvas.composite(mask, color, series.alpha ?? 0.3);
      return;
    case "line":
      strokePolyline(mask, pixels(layout.x, series.x), pixels(layout.y, series.y), series.lineWidth ?? 1.25 * b, layout.plot);
      canvas.composite(mask, color, 1);
      return;
    case "points": {
      const xs = pixels(layout.x, series.x);
      const ys = pixels(layout.y, series.y);
      for (let i = 0; i < xs.length; i++) {
        const px = xs[i] ?? Number.NaN;
        const py = ys[i] ?? Number.NaN;
        if (Number.isFinite(px + py)) fillDisc(mask, px, py, series.radius ?? 1.5 * b, layout.plot);
      }
      canvas.composite(mask, color, 1);
      return;
    }
    default: {
      const unknown: never = series;
      throw new Error(`Internal error: unknown series kind ${JSON.stringify(unknown)}`);
    }
  }
}

function drawGrid(canvas: Canvas, layout: PlotLayout): void {
  const { plot } = layout;
  for (const tick of layout.x.ticks.ticks) {
    if (tick.label === undefined) continue;
    const px = Math.floor(layout.x.toPixel(tick.value));
    if (px > plot.x0 && px < plot.x1 - 1) canvas.fillRect({ x0: px, y0: plot.y0, x1: px + 1, y1: plot.y1 }, GRID);
  }
  for (const tick of layout.y.ticks.ticks) {
    if (tick.label === undefined) continue;
    const py = Math.floor(layout.y.toPixel(tick.value));
    if (py > plot.y0 && py < plot.y1 - 1) canvas.fillRect({ x0: plot.x0, y0: py, x1: plot.x1, y1: py + 1 }, GRID);
  }
}

function drawAxes(canvas: Canvas, layout: PlotLayout): void {
  const { plot, scale: b } = layout;
  const tickLength = 4 * b;
  const gap = 3 * b;
  // Frame, one pixel outside the data area.
  canvas.fillRect({ x0: plot.x0 - 1, y0: plot.y0 - 1, x1: plot.x1 + 1, y1: plot.y0 }, BLACK);
  canvas.fillRect({ x0: plot.x0 - 1, y0: plot.y1, x1: plot.x1 + 1, y1: plot.y1 + 1 }, BLACK);
  canvas.fillRect({ x0: plot.x0 - 1, y0: plot.y0 - 1, x1: plot.x0, y1: plot.y1 + 1 }, BLACK);
  canvas.fillRect({ x0: plot.x1, y0: plot.y0 - 1, x1: plot.x1 + 1, y1: plot.y1 + 1 }, BLACK);

  const tickWidth = Math.max(1, Math.round(b / 2));
  const labelTop = plot.y1 + 1 + tickLength + gap;
  const ascent = Math.max(
    0,
    ...layout.x.ticks.ticks.map((t) => (t.label === undefined ? 0 : measureText(t.label).ascent)),
  );
  for (const tick of layout.x.ticks.ticks) {
    const px = Math.floor(layout.x.toPixel(tick.value));
    if (px < plot.x0 - 1 || px > plot.x1) continue;
    const length = tick.label === undefined ? Math.ceil(tickLength / 2) : tickLength;
    canvas.fillRect({ x0: px, y0: plot.y1 + 1, x1: px + tickWidth, y1: plot.y1 + 1 + length }, BLACK);
    if (tick.label !== undefined) {
      const w = measureText(tick.label).width;
      drawText(canvas, tick.label, Math.round(px + tickWidth / 2 - w / 2), labelTop + ascent, BLACK);
    }
  }
  for (const tick of layout.y.ticks.ticks) {
    const py = Math.floor(layout.y.toPixel(tick.value));
    if (py < plot.y0 - 1 || py > plot.y1) continue;
    const length = tick.label === undefined ? Math.ceil(tickLength / 2) : tickLength;
    canvas.fillRect({ x0: plot.x0 - 1 - length, y0: py, x1: plot.x0 - 1, y1: py + tickWidth }, BLACK);
    if (tick.label !== undefined) {
      const w = measureText(tick.label).width;
      const baseline = py + Math.round(tickWidth / 2 + (GLYPH_ASCENT * b) / 2);
      drawText(canvas, tick.label, plot.x0 - 1 - tickLength - gap - w, baseline, BLACK);
    }
  }
  if (layout.y.ticks.multiplier !== undefined) {
    drawText(canvas, layout.y.ticks.multiplier, plot.x0 - 1, plot.y0 - 1 - gap - 2 * b, BLACK);
  }
  if (layout.x.ticks.multiplier !== undefined) {
    const m = layout.x.ticks.multiplier;
    const box = measureText(m);
    drawText(canvas, m, plot.x1 - box.width, labelTop + ascent + (GLYPH_HEIGHT - GLYPH_ASCENT) * b + gap + box.ascent, BLACK);
  }
}

function drawLabels(canvas: Canvas, spec: PlotSpec, layout: PlotLayout): void {
  const { plot, scale: b } = layout;
  const pad = 8 * b;
  const centreX = (plot.x0 + plot.x1) / 2;
  if (spec.title !== undefined && spec.title !== "") {
    const title = plain(spec.title, layout.titleScale);
    const box = measureText(title);
    // Centred over the plot area, moved left as far as needed to stay inside the image.
    const x0 = Math.max(0, Math.min(Math.round(centreX - box.width / 2), spec.width - pad - box.width));
    drawText(canvas, title, x0, pad + box.ascent, BLACK);
  }
  if (spec.xLabel !== undefined && spec.xLabel !== "") {
    const label = plain(spec.xLabel, b);
    const box = measureText(label);
    drawText(canvas, label, Math.round(centreX - box.width / 2), spec.height - pad - (GLYPH_HEIGHT - GLYPH_ASCENT) * b, BLACK);
  }
  if (spec.yLabel !== undefined && spec.yLabel !== "") {
    const label = plain(spec.yLabel, b);
    const box = measureText(label);
    const centreY = (plot.y0 + plot.y1) / 2;
    drawText(canvas, label, pad + GLYPH_ASCENT * b, Math.round(centreY + box.width / 2), BLACK, true);
  }
}

/** A labelled series and its index among its panel's series (for the palette colour). */
interface LegendEntry {
  readonly series: PlotSeries;
  readonly index: number;
}

function legendEntries(series: readonly PlotSeries[]): LegendEntry[] {
  return series.map((s, index) => ({ series: s, index })).filter(({ series: s }) => s.label !== undefined && s.label !== "");
}

/** Width and height of the legend box of `entries` at text scale `b`. */
function legendSize(entries: readonly LegendEntry[], b: number): { width: number; height: number } {
  const padding = 4 * b;
  const sampleWidth = 16 * b;
  const rowHeight = GLYPH_HEIGHT * b + 3 * b;
  const textWidth = Math.max(0, ...entries.map(({ series }) => measureText(plain(series.label ?? "", b)).width));
  return { width: padding + sampleWidth + 2 * b + 3 * b + textWidth + padding, height: padding + entries.length * rowHeight - 3 * b + padding };
}

function drawLegend(canvas: Canvas, spec: PlotSpec, layout: PlotLayout): void {
  const position: LegendPosition = spec.legend ?? "upper right";
  if (position === "none" || position === "outside right") return;
  const entries = legendEntries(spec.series);
  if (entries.length === 0) return;
  const { plot, scale: b } = layout;
  const inset = 6 * b;
  const { width, height } = legendSize(entries, b);
  const x0 = position.endsWith("right") ? plot.x1 - inset - width : plot.x0 + inset;
  const y0 = position.startsWith("upper") ? plot.y0 + inset : plot.y1 - inset - height;
  drawLegendBox(canvas, entries, x0, y0, b);
}

/** Draws the legend box of `entries` with its top left corner at (x0, y0). */
function drawLegendBox(canvas: Canvas, entries: readonly LegendEntry[], x0: number, y0: number, b: number): Rect {
  const padding = 4 * b;
  const sampleWidth = 16 * b;
  const rowHeight = GLYPH_HEIGHT * b + 3 * b;
  const labels = entries.map(({ series }) => plain(series.label ?? "", b));
  const { width, height } = legendSize(entries, b);
  const box: Rect = { x0, y0, x1: x0 + width, y1: y0 + height };
  canvas.fillRect(box, WHITE, 0.85);
  canvas.fillRect({ x0, y0, x1: box.x1, y1: y0 + 1 }, LEGEND_BORDER);
  canvas.fillRect({ x0, y0: box.y1 - 1, x1: box.x1, y1: box.y1 }, LEGEND_BORDER);
  canvas.fillRect({ x0, y0, x1: x0 + 1, y1: box.y1 }, LEGEND_BORDER);
  canvas.fillRect({ x0: box.x1 - 1, y0, x1: box.x1, y1: box.y1 }, LEGEND_BORDER);

  entries.forEach(({ series, index }, row) => {
    const color = colorOf(series, index);
    const rowTop = y0 + padding + row * rowHeight;
    const middle = rowTop + Math.round((GLYPH_ASCENT * b) / 2);
    const sx0 = x0 + padding;
    const mask = new Mask(canvas.width, canvas.height);
    switch (series.kind) {
      case "band":
        canvas.fillRect({ x0: sx0, y0: rowTop, x1: sx0 + sampleWidth, y1: rowTop + GLYPH_ASCENT * b }, color, series.alpha ?? 0.3);
        break;
      case "line":
        strokePolyline(mask, [sx0, sx0 + sampleWidth], [middle, middle], series.lineWidth ?? 1.25 * b, box);
        canvas.composite(mask, color, 1);
        break;
      case "points":
        fillDisc(mask, sx0 + sampleWidth / 2, middle, series.radius ?? 1.5 * b, box);
        canvas.composite(mask, color, 1);
        break;
      default: {
        const unknown: never = series;
        throw new Error(`Internal error: unknown series kind ${JSON.stringify(unknown)}`);
      }
    }
    drawText(canvas, labels[row] ?? [], sx0 + sampleWidth + 5 * b, rowTop + GLYPH_ASCENT * b, BLACK);
  });
  return box;
}

/** Where the parts of a figure with panels go; exported so tests can check what overlaps what. */
export interface FigureLayout {
  readonly scale: number;
  /** Each panel's cell in the image and its plot layout (in cell coordinates, offset by the cell's x0, y0). */
  readonly panels: readonly { readonly cell: Rect; readonly spec: PlotSpec; readonly layout: PlotLayout }[];
  /** The legend box, in image coordinates; undefined without labelled series or with legend none. */
  readonly legend: Rect | undefined;
  readonly legendEntries: readonly LegendEntry[];
}

/** True when the figure is drawn as a grid of panels with an outside legend rather than a single plot. */
function isPanelFigure(spec: PlotSpec): boolean {
  return spec.panels !== undefined || spec.legend === "outside right";
}

/** Lays out a figure with panels (a single plot with an outside legend is one panel). */
export function layoutFigure(spec: PlotSpec): FigureLayout {
  const b = spec.textScale ?? defaultScale(spec);
  const pad = 8 * b;
  const panels: readonly PlotPanel[] = spec.panels ?? [spec];
  const columns = spec.panels === undefined ? 1 : (spec.columns ?? 1);
  // One entry per label: the same series repeated in every panel is listed once.
  const seen = new Set<string>();
  const entries: LegendEntry[] = [];
  if (spec.legend !== "none") {
    for (const panel of panels) {
      for (const entry of legendEntries(panel.series)) {
        const label = entry.series.label ?? "";
        if (seen.has(label)) continue;
        seen.add(label);
        entries.push(entry);
      }
    }
  }
  const size = entries.length === 0 ? undefined : legendSize(entries, b);
  const hasTitle = spec.title !== undefined && spec.title !== "";
  let titleScale = b + 1;
  while (hasTitle && titleScale > b && measureText(plain(spec.title ?? "", titleScale)).width > spec.width - 2 * pad) titleScale--;
  const top = hasTitle ? pad + GLYPH_HEIGHT * titleScale : 0;
  const gridRight = spec.width - (size === undefined ? 0 : size.width + pad);
  const rows = Math.ceil(panels.length / columns);
  const rowRatio = Array.from({ length: rows }, (_, r) => Math.max(...panels.slice(r * columns, (r + 1) * columns).map((p) => p.heightRatio ?? 1)));
  const total = rowRatio.reduce((a, v) => a + v, 0);
  const rowTop: number[] = [top];
  for (let r = 0; r < rows; r++) rowTop.push(Math.round(top + ((spec.height - top) * rowRatio.slice(0, r + 1).reduce((a, v) => a + v, 0)) / total));
  const cellWidth = Math.floor(gridRight / columns);
  const cells = panels.map((panel, p): { cell: Rect; spec: PlotSpec } => {
    const r = Math.floor(p / columns);
    const c = p % columns;
    const cell: Rect = { x0: c * cellWidth, y0: rowTop[r] ?? top, x1: (c + 1) * cellWidth, y1: rowTop[r + 1] ?? spec.height };
    const { heightRatio: _ratio, series, title, xLabel, yLabel, xLog, yLog, xRange, yRange, grid } = panel;
    // A single plot's title belongs to the figure, above the grid, not to its one cell.
    const cellTitle = spec.panels === undefined ? undefined : title;
    const cellSpec: PlotSpec = {
      width: cell.x1 - cell.x0,
      height: cell.y1 - cell.y0,
      textScale: b,
      legend: "none",
      series,
      ...(cellTitle === undefined ? {} : { title: cellTitle }),
      ...(xLabel === undefined ? {} : { xLabel }),
      ...(yLabel === undefined ? {} : { yLabel }),
      ...(xLog === undefined ? {} : { xLog }),
      ...(yLog === undefined ? {} : { yLog }),
      ...(xRange === undefined ? {} : { xRange }),
      ...(yRange === undefined ? {} : { yRange }),
      ...(grid === undefined ? {} : { grid }),
    };
    return { cell, spec: cellSpec };
  });
  // Two passes: the widest margins of each column, then every panel of the column with them.
  const first = cells.map(({ spec: s }) => layoutPlot(s));
  const margins: Margins[] = Array.from({ length: columns }, (_, c) => ({
    left: Math.max(...first.filter((_l, p) => p % columns === c).map((l) => l.plot.x0)),
    right: Math.max(...first.filter((_l, p) => p % columns === c).map((l, i) => (cells[c + i * columns]?.spec.width ?? 0) - l.plot.x1)),
  }));
  const laid = cells.map(({ cell, spec: s }, p) => ({ cell, spec: s, layout: layoutPlot(s, margins[p % columns]) }));
  const firstPlot = laid[0];
  const legend =
    size === undefined
      ? undefined
      : (() => {
          const x0 = gridRight + Math.round(pad / 2);
          const y0 = firstPlot === undefined ? top : firstPlot.cell.y0 + firstPlot.layout.plot.y0;
          return { x0, y0, x1: x0 + size.width, y1: y0 + size.height };
        })();
  return { scale: b, panels: laid, legend, legendEntries: entries };
}

function renderFigure(spec: PlotSpec): RgbaImage {
  const figure = layoutFigure(spec);
  const canvas = new Canvas(spec.width, spec.height, WHITE);
  for (const { cell, spec: cellSpec } of figure.panels) {
    const image = renderPlot(cellSpec, figure.panels.find((p) => p.cell === cell)?.layout);
    const rowBytes = image.width * 4;
    for (let y = 0; y < image.height; y++) {
      image.data.copy(canvas.data, ((cell.y0 + y) * canvas.width + cell.x0) * 4, y * rowBytes, (y + 1) * rowBytes);
    }
  }
  if (spec.title !== undefined && spec.title !== "") {
    const pad = 8 * figure.scale;
    let titleScale = figure.scale + 1;
    while (titleScale > figure.scale && measureText(plain(spec.title, titleScale)).width > spec.width - 2 * pad) titleScale--;
    const title = plain(spec.title, titleScale);
    const box = measureText(title);
    drawText(canvas, title, Math.max(0, Math.round((spec.width - box.width) / 2)), pad + box.ascent, BLACK);
  }
  if (figure.legend !== undefined) drawLegendBox(canvas, figure.legendEntries, figure.legend.x0, figure.legend.y0, figure.scale);
  return { width: canvas.width, height: canvas.height, data: canvas.data };
}

/** Renders a (validated) plot description to RGBA pixels; `given` is a layout already computed for it. */
export function renderPlot(spec: PlotSpec, given?: PlotLayout): RgbaImage {
  if (isPanelFigure(spec)) return renderFigure(spec);
  const layout = given ?? layoutPlot(spec);
  const canvas = new Canvas(spec.width, spec.height, WHITE);
  if (spec.grid !== false) drawGrid(canvas, layout);
  spec.series.forEach((series, index) => drawSeries(canvas, layout, series, index));
  drawAxes(canvas, layout);
  drawLabels(canvas, spec, layout);
  drawLegend(canvas, spec, layout);
  return { width: canvas.width, height: canvas.height, data: canvas.data };
}
