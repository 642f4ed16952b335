/** Figures with panels and an outside legend: layout (what overlaps what), validation and rendering. */
import { describe, expect, it } from "vitest";

import type { PlotPanel, PlotSpec, RgbaImage } from "../../src/handlers/figure.js";
import { validatePlotSpec } from "../../src/handlers/plot/plot-spec.js";
import { layoutFigure, renderPlot } from "../../src/handlers/plot/render.js";
import type { Rect } from "../../src/handlers/plot/canvas.js";

const x = [1, 2, 3, 4, 5];
const panel = (label: string, scale: number, heightRatio = 1): PlotPanel => ({
  title: label,
  yLabel: "value",
  heightRatio,
  series: [
    { kind: "band", x, yLow: x.map((v) => v * scale - 1), yHigh: x.map((v) => v * scale + 1), label: "band", color: "#1f77b4" },
    { kind: "line", x, y: x.map((v) => v * scale), label: "theory", color: "#000000" },
    { kind: "points", x, y: x.map((v) => v * scale + 0.5), label: `points ${label}`, color: "#d62728" },
  ],
});

const grid: PlotSpec = {
  width: 900,
  height: 700,
  title: "Four panels",
  legend: "outside right",
  textScale: 1,
  columns: 2,
  // Very different y scales, so the y tick labels (and the left margins) differ in width.
  panels: [panel("a", 1, 3), panel("b", 100000, 3), panel("c", 0.001), panel("d", 1)],
  series: [],
};

function overlaps(a: Rect, b: Rect): boolean {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

function plotRect(p: ReturnType<typeof layoutFigure>["panels"][number]): Rect {
  const { plot } = p.layout;
  return { x0: p.cell.x0 + plot.x0, y0: p.cell.y0 + plot.y0, x1: p.cell.x0 + plot.x1, y1: p.cell.y0 + plot.y1 };
}

function inkIn(image: RgbaImage, r: Rect): number {
  let n = 0;
  for (let y = r.y0; y < r.y1; y++) {
    for (let xx = r.x0; xx < r.x1; xx++) {
      const i = 4 * (y * image.width + xx);
      if (image.data[i] !== 255 || image.data[i + 1] !== 255 || image.data[i + 2] !== 255) n++;
    }
  }
  return n;
}

describe("figures with panels", () => {
  it("lay the panels out row by row with heights by ratio, x axes aligned per column, legend outside every panel", () => {
    const figure = layoutFigure(grid);
    expect(figure.panels).toHaveLength(4);
    const rects = figure.panels.map(plotRect);
    // Columns: same left and right plot edges in a column, panel 1 and 2 side by side.
    expect(rects[0]!.x0).toBe(rects[2]!.x0);
    expect(rects[0]!.x1).toBe(rects[2]!.x1);
    expect(rects[1]!.x0).toBe(rects[3]!.x0);
    expect(rects[1]!.x1).toBe(rects[3]!.x1);
    expect(rects[1]!.x0).toBeGreaterThan(rects[0]!.x1);
    // Row heights 3 : 1.
    const row0 = figure.panels[0]!.cell.y1 - figure.panels[0]!.cell.y0;
    const row1 = figure.panels[2]!.cell.y1 - figure.panels[2]!.cell.y0;
    expect(row0 / row1).toBeCloseTo(3, 1);
    // One legend entry per label, outside every plot area and inside the image.
    expect(figure.legendEntries.map((e) => e.series.label)).toEqual(["band", "theory", "points a", "points b", "points c", "points d"]);
    const legend = figure.legend!;
    for (const r of rects) expect(overlaps(legend, r)).toBe(false);
    expect(legend.x1).toBeLessThanOrEqual(grid.width);
    expect(legend.x0).toBeGreaterThanOrEqual(Math.max(...rects.map((r) => r.x1)));
  });

  it("render the legend where the layout puts it and the series inside each panel", () => {
    const image = renderPlot(grid);
    const figure = layoutFigure(grid);
    expect(inkIn(image, figure.legend!)).toBeGreaterThan(200);
    for (const r of figure.panels.map(plotRect)) expect(inkIn(image, r)).toBeGreaterThan(100);
    // Deterministic.
    expect(renderPlot(grid).data.equals(image.data)).toBe(true);
  });

  it("put a single plot's legend outside the data with legend: outside right", () => {
    const single: PlotSpec = { width: 600, height: 400, title: "one", legend: "outside right", series: panel("a", 1).series };
    const figure = layoutFigure(single);
    expect(figure.panels).toHaveLength(1);
    expect(overlaps(figure.legend!, plotRect(figure.panels[0]!))).toBe(false);
    expect(validatePlotSpec(single).ok).toBe(true);
  });

  it("are validated: series beside panels, bad columns, bad heightRatio, bad series in a panel", () => {
    const problem = (spec: PlotSpec): string => {
      const r = validatePlotSpec(spec);
      return r.ok ? "ok" : r.error;
    };
    expect(problem(grid)).toBe("ok");
    expect(problem({ ...grid, series: panel("a", 1).series })).toBe("series must be empty when panels are given (each panel has its own)");
    expect(problem({ ...grid, columns: 5 })).toBe("columns must be a whole number from 1 to the number of panels (4), got 5");
    expect(problem({ ...grid, panels: [] })).toBe("panels must be a non-empty array");
    expect(problem({ ...grid, panels: [{ ...panel("a", 1), heightRatio: 0 }], columns: 1 })).toBe("panel 1: heightRatio must be more than 0 and at most 100");
    expect(problem({ ...grid, columns: 1, panels: [panel("a", 1), { series: [{ kind: "line", x: [1, 2], y: [1] }] }] })).toBe("panel 2: series 1: x has 2 values but y has 1");
  });
});

describe("a series constant but for rounding", () => {
  it("gets the range of a constant, not ticks at the last bits of its doubles", () => {
    // l(l+1)·(1000/(l(l+1)))/2π: 159.15… with the last bits varying.
    const xs = Array.from({ length: 100 }, (_, i) => i + 2);
    const ys = xs.map((l) => ((1000 / (l * (l + 1))) * l * (l + 1)) / (2 * Math.PI));
    expect(new Set(ys).size).toBeGreaterThan(1);
    const image = renderPlot({ width: 300, height: 200, series: [{ kind: "line", x: xs, y: ys }] });
    expect(image.width).toBe(300);
  });
});
