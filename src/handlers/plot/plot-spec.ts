/**
 * The plot description the `Figure` handler renders: an x–y panel with line, band and point
 * series, optional log axes, a title, axis labels and a legend — or a grid of such panels
 * (`panels`, `columns`) with one legend for the figure.
 */
import { err, ok } from "../../diagnostics/result.js";
import type { Result } from "../../diagnostics/result.js";
import { parseColor } from "./canvas.js";

/** A polyline through (x[i], y[i]); non-finite values (and values ≤ 0 on a log axis) break the line. */
export interface LineSeries {
  readonly kind: "line";
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  /** Legend text; series without a label are left out of the legend. */
  readonly label?: string;
  /** `#rgb` or `#rrggbb`; default: the next palette colour. */
  readonly color?: string;
  /** Line width in pixels; default 1.25 × the figure's text scale. */
  readonly lineWidth?: number;
}

/** A filled region between yLow[i] and yHigh[i] along x (e.g. mean ± std), semi-transparent. */
export interface BandSeries {
  readonly kind: "band";
  readonly x: ArrayLike<number>;
  readonly yLow: ArrayLike<number>;
  readonly yHigh: ArrayLike<number>;
  readonly label?: string;
  readonly color?: string;
  /** Opacity, 0–1; default 0.3. */
  readonly alpha?: number;
}

/** Dots at (x[i], y[i]). */
export interface PointsSeries {
  readonly kind: "points";
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  readonly label?: string;
  readonly color?: string;
  /** Dot radius in pixels; default 1.5 × the figure's text scale. */
  readonly radius?: number;
}

/** One thing drawn in the plot; drawn in the order given, so put bands before lines. */
export type PlotSeries = LineSeries | BandSeries | PointsSeries;

/**
 * Where the legend box goes: a corner inside the plot area, `outside right` (beside the data, so
 * it never covers any; for a figure with panels, one legend of the labelled series of all panels),
 * or `none`.
 */
export type LegendPosition = "upper right" | "upper left" | "lower left" | "lower right" | "outside right" | "none";

/** Text, axes and series: what a whole figure and each of its panels have. */
export interface PlotAxes {
  readonly title?: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Logarithmic x axis; default false. */
  readonly xLog?: boolean;
  /** Logarithmic y axis; default false. */
  readonly yLog?: boolean;
  /** Shown x range [min, max]; default: the data's range plus a 5 % margin. */
  readonly xRange?: readonly [number, number];
  /** Shown y range [min, max]; default: the data's range plus a 5 % margin. */
  readonly yRange?: readonly [number, number];
  /** Light grid lines at the labelled ticks; default true. */
  readonly grid?: boolean;
  readonly series: readonly PlotSeries[];
}

/** One panel of a figure with {@link PlotSpec.panels}: its own axes, text and series. */
export interface PlotPanel extends PlotAxes {
  /** Height relative to the other rows' (a row is as high as its highest panel asks); default 1. */
  readonly heightRatio?: number;
}

/** A figure: size in pixels, text, axes and series. */
export interface PlotSpec extends PlotAxes {
  /** Image width in pixels, 100–8192. */
  readonly width: number;
  /** Image height in pixels, 100–8192. */
  readonly height: number;
  /** Legend position; default `upper right`. */
  readonly legend?: LegendPosition;
  /** Text scale (1 = 5×7-pixel capitals); default from the figure size, 1 below 480 px on the short side. */
  readonly textScale?: number;
  /**
   * Several panels instead of `series` (which must then be empty), laid out row by row in
   * `columns` columns; the panels of a column share their left and right edges, so their x axes line up.
   */
  readonly panels?: readonly PlotPanel[];
  /** Columns of the panel grid; default 1. */
  readonly columns?: number;
}

/** The default series colours, in order. */
export const PALETTE: readonly string[] = [
  "#1f5fa8",
  "#d9661f",
  "#2e8b3a",
  "#c0392b",
  "#7d4fa0",
  "#8c5a3c",
  "#d456a6",
  "#6b6b6b",
];

const LEGEND_POSITIONS: readonly LegendPosition[] = ["upper right", "upper left", "lower left", "lower right", "outside right", "none"];

function isArrayLike(value: unknown): value is ArrayLike<number> {
  return (
    (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) &&
    Array.from(value as ArrayLike<unknown>).every((v) => typeof v === "number")
  );
}

function checkRange(name: string, range: unknown, log: boolean): string | undefined {
  if (range === undefined) return undefined;
  if (!Array.isArray(range) || range.length !== 2) return `${name} must be [min, max]`;
  const [lo, hi] = range as unknown[];
  if (typeof lo !== "number" || typeof hi !== "number" || !Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
    return `${name} must be [min, max] with finite min < max`;
  }
  if (log && lo <= 0) return `${name} must be positive on a log axis`;
  return undefined;
}

/** Checks a plot description from stage code; the message says which field is wrong. */
export function validatePlotSpec(spec: PlotSpec): Result<PlotSpec, string> {
  for (const key of ["width", "height"] as const) {
    const v: unknown = spec[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 100 || v > 8192) {
      return err(`${key} must be an integer from 100 to 8192, got ${String(v)}`);
    }
  }
  if (spec.textScale !== undefined && !(Number.isInteger(spec.textScale) && spec.textScale >= 1 && spec.textScale <= 8)) {
    return err(`textScale must be an integer from 1 to 8, got ${String(spec.textScale)}`);
  }
  if (spec.legend !== undefined && !LEGEND_POSITIONS.includes(spec.legend)) {
    return err(`legend must be one of ${LEGEND_POSITIONS.map((p) => `"${p}"`).join(", ")}, got "${String(spec.legend)}"`);
  }
  if (spec.panels !== undefined) {
    if (!Array.isArray(spec.panels) || spec.panels.length === 0) return err("panels must be a non-empty array");
    if (spec.series.length !== 0) return err("series must be empty when panels are given (each panel has its own)");
    const columns = spec.columns ?? 1;
    if (!Number.isInteger(columns) || columns < 1 || columns > spec.panels.length) {
      return err(`columns must be a whole number from 1 to the number of panels (${String(spec.panels.length)}), got ${String(columns)}`);
    }
    for (let p = 0; p < spec.panels.length; p++) {
      const panel = spec.panels[p] as PlotPanel;
      if (panel.heightRatio !== undefined && !(panel.heightRatio > 0 && panel.heightRatio <= 100)) {
        return err(`panel ${String(p + 1)}: heightRatio must be more than 0 and at most 100`);
      }
      const problem = checkSeries(panel);
      if (problem !== undefined) return err(`panel ${String(p + 1)}: ${problem}`);
    }
    return ok(spec);
  }
  const problem = checkSeries(spec);
  if (problem !== undefined) return err(problem);
  return ok(spec);
}

/** What is wrong with a panel's ranges or series, or `undefined`. */
function checkSeries(spec: PlotPanel): string | undefined {
  const rangeProblem = checkRange("xRange", spec.xRange, spec.xLog === true) ?? checkRange("yRange", spec.yRange, spec.yLog === true);
  if (rangeProblem !== undefined) return rangeProblem;
  if (!Array.isArray(spec.series)) return "series must be an array";
  for (let i = 0; i < spec.series.length; i++) {
    const s = spec.series[i] as PlotSeries;
    const name = `series ${i + 1}${typeof s.label === "string" ? ` ("${s.label}")` : ""}`;
    const arrays: [string, unknown][] =
      s.kind === "band"
        ? [
            ["x", s.x],
            ["yLow", s.yLow],
            ["yHigh", s.yHigh],
          ]
        : s.kind === "line" || s.kind === "points"
          ? [
              ["x", s.x],
              ["y", s.y],
            ]
          : [];
    if (arrays.length === 0) {
      return `${name}: unknown kind "${String((s as { kind?: unknown }).kind)}" (line, band, points)`;
    }
    for (const [field, value] of arrays) {
      if (!isArrayLike(value)) return `${name}: ${field} must be an array of numbers`;
    }
    const n = (arrays[0]?.[1] as ArrayLike<number>).length;
    for (const [field, value] of arrays.slice(1)) {
      const m = (value as ArrayLike<number>).length;
      if (m !== n) return `${name}: x has ${n} values but ${field} has ${m}`;
    }
    if (s.color !== undefined && parseColor(s.color) === undefined) {
      return `${name}: color "${s.color}" is not #rgb or #rrggbb`;
    }
    if (s.kind === "band" && s.alpha !== undefined && !(s.alpha >= 0 && s.alpha <= 1)) {
      return `${name}: alpha must be from 0 to 1`;
    }
    if (s.kind === "line" && s.lineWidth !== undefined && !(s.lineWidth > 0 && s.lineWidth <= 50)) {
      return `${name}: lineWidth must be more than 0 and at most 50`;
    }
    if (s.kind === "points" && s.radius !== undefined && !(s.radius > 0 && s.radius <= 50)) {
      return `${name}: radius must be more than 0 and at most 50`;
    }
  }
  return undefined;
}

