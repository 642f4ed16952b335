import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { Figure } from "../../src/handlers/figure.js";
import type { PlotSpec, RgbaImage } from "../../src/handlers/figure.js";
import { measureText, plain } from "../../src/handlers/plot/canvas.js";
import { fontPixelSize, glyphOutline } from "../../src/handlers/plot/font.js";
import { layoutPlot, renderPlot } from "../../src/handlers/plot/render.js";
import { linearTicks, logTicks, niceStep } from "../../src/handlers/plot/ticks.js";
import { makeTempDir } from "./helpers.js";

let dir = "";
let cleanup: () => Promise<void> = async () => {};
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterAll(async () => {
  await cleanup();
});

function pixel(image: RgbaImage, x: number, y: number): [number, number, number, number] {
  const i = 4 * (y * image.width + x);
  return [image.data[i] ?? -1, image.data[i + 1] ?? -1, image.data[i + 2] ?? -1, image.data[i + 3] ?? -1];
}

/** Pixels in [x0, x1) × [y0, y1) that are not white. */
function inkIn(image: RgbaImage, x0: number, y0: number, x1: number, y1: number): number {
  let n = 0;
  for (let y = Math.max(0, y0); y < Math.min(image.height, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(image.width, x1); x++) {
      const [r, g, b] = pixel(image, x, y);
      if (r !== 255 || g !== 255 || b !== 255) n++;
    }
  }
  return n;
}

const base: PlotSpec = {
  width: 400,
  height: 300,
  xRange: [0, 1],
  yRange: [0, 1],
  grid: false,
  legend: "none",
  series: [
    { kind: "band", x: [0, 1], yLow: [0.2, 0.2], yHigh: [0.35, 0.35], color: "#0000ff", alpha: 0.5 },
    { kind: "line", x: [0, 1], y: [0.7, 0.7], color: "#ff0000", lineWidth: 3 },
  ],
};

describe("Figure writes PNG plots", () => {
  it("decodes to the requested size with the series colours where they are drawn and white elsewhere", async () => {
    const path = join(dir, "simple.png");
    await Figure.write(path, base);
    const image = await Figure.read(path);
    expect([image.width, image.height, image.data.length]).toEqual([400, 300, 400 * 300 * 4]);
    const { plot, x, y } = layoutPlot(base);
    const lineRow = Math.floor(y.toPixel(0.7));
    for (const fx of [0.1, 0.5, 0.9]) {
      expect(pixel(image, Math.floor(x.toPixel(fx)), lineRow)).toEqual([255, 0, 0, 255]);
      // The band: blue at 50 % over white.
      expect(pixel(image, Math.floor(x.toPixel(fx)), Math.floor(y.toPixel(0.275)))).toEqual([128, 128, 255, 255]);
    }
    // Inside the plot, away from the line and the band, everything is white.
    const bandTop = Math.floor(y.toPixel(0.35)) - 1;
    const bandBottom = Math.ceil(y.toPixel(0.2)) + 1;
    expect(inkIn(image, plot.x0, plot.y0, plot.x1, lineRow - 3)).toBe(0);
    expect(inkIn(image, plot.x0, lineRow + 4, plot.x1, bandTop)).toBe(0);
    expect(inkIn(image, plot.x0, bandBottom, plot.x1, plot.y1)).toBe(0);
    // The frame is black.
    expect(pixel(image, Math.floor((plot.x0 + plot.x1) / 2), plot.y1)).toEqual([0, 0, 0, 255]);
  });

  it("draws the title, axis labels and tick labels where they belong", () => {
    const spec: PlotSpec = { ...base, title: "Power spectrum", xLabel: "multipole l", yLabel: "C_l" };
    const image = renderPlot(spec);
    const { plot } = layoutPlot(spec);
    const bare = renderPlot(base);
    const bareLayout = layoutPlot(base);
    // Above the plot, right of the y tick labels (the top tick label may reach a little above the frame).
    expect(inkIn(image, plot.x0, 0, image.width, plot.y0 - 2)).toBeGreaterThan(100); // title
    expect(inkIn(bare, bareLayout.plot.x0, 0, bare.width, bareLayout.plot.y0 - 2)).toBe(0); // no title: nothing there
    expect(inkIn(image, 0, image.height - 20, image.width, image.height)).toBeGreaterThan(50); // x label, bottom strip
    expect(inkIn(image, 0, plot.y0, 17, plot.y1)).toBeGreaterThan(15); // y label, rotated, left strip
    expect(inkIn(image, plot.x0 - 40, plot.y0, plot.x0 - 6, plot.y1)).toBeGreaterThan(100); // y tick labels
    expect(inkIn(image, plot.x0, plot.y1 + 6, plot.x1, plot.y1 + 20)).toBeGreaterThan(100); // x tick labels
  });

  it("places values on a log axis by their logarithm and draws a legend sample in the series colour", () => {
    const spec: PlotSpec = {
      width: 500,
      height: 400,
      yLog: true,
      xRange: [0, 10],
      yRange: [1, 1e4],
      grid: false,
      series: [{ kind: "line", x: [0, 10], y: [100, 100], color: "#00aa00", lineWidth: 2, label: "flat" }],
    };
    const { plot, x, y } = layoutPlot(spec);
    expect(y.toPixel(100)).toBeCloseTo((plot.y0 + plot.y1) / 2, 9);
    expect(Number.isNaN(y.toPixel(0))).toBe(true);
    const image = renderPlot(spec);
    expect(pixel(image, Math.floor(x.toPixel(2)), Math.floor(y.toPixel(100)))).toEqual([0, 170, 0, 255]);
    // Legend in the upper right: some pixels of the series colour near the top right corner.
    let green = 0;
    for (let py = plot.y0; py < plot.y0 + 40; py++) {
      for (let px = plot.x1 - 150; px < plot.x1; px++) {
        const [r, g, b] = pixel(image, px, py);
        if (r === 0 && g === 170 && b === 0) green++;
      }
    }
    expect(green).toBeGreaterThan(10);
  });

  it("renders the ps_summary kind of plot (log y, band below zero, NaN gaps) deterministically", async () => {
    const ell = Float64Array.from({ length: 46 }, (_, i) => i + 2);
    const theory = ell.map((l) => 1e-9 / (l * (l + 1)));
    const spec: PlotSpec = {
      width: 640,
      height: 480,
      title: "C_l of Test maps",
      xLabel: "l",
      yLabel: "C_l [K^2]",
      yLog: true,
      series: [
        { kind: "band", x: ell, yLow: theory.map((c, i) => (i < 3 ? -c : 0.5 * c)), yHigh: theory.map((c) => 1.5 * c), label: "mean +/- std" },
        { kind: "line", x: ell, y: theory.map((c, i) => (i === 10 ? Number.NaN : c)), label: "theory" },
      ],
    };
    const a = join(dir, "a.png");
    const b = join(dir, "b.png");
    await Figure.write(a, spec);
    await Figure.write(b, spec);
    expect((await readFile(a)).equals(await readFile(b))).toBe(true);
    expect(PNG.sync.read(await readFile(a)).width).toBe(640);
  });

  it("writes an RGBA image as it is", async () => {
    const data = Buffer.alloc(3 * 2 * 4, 0);
    data.set([10, 20, 30, 255], 4 * 4);
    const path = join(dir, "raw.png");
    await Figure.write(path, { width: 3, height: 2, data });
    const back = await Figure.read(path);
    expect([back.width, back.height]).toEqual([3, 2]);
    expect(back.data.equals(data)).toBe(true);
  });

  it("reports bad plot descriptions and unreadable files, naming the file", async () => {
    const where = { finalPath: "/out/ps.png" };
    const t = join(dir, "t.png");
    await expect(Figure.write(t, { ...base, width: 50 }, where)).rejects.toThrow("/out/ps.png: width must be an integer from 100 to 8192, got 50");
    await expect(
      Figure.write(t, { ...base, series: [{ kind: "line", x: [1, 2, 3], y: [1, 2], label: "theory" }] }, where),
    ).rejects.toThrow('/out/ps.png: series 1 ("theory"): x has 3 values but y has 2');
    await expect(
      Figure.write(t, { ...base, series: [{ kind: "line", x: [1], y: [1], color: "red" }] }, where),
    ).rejects.toThrow('/out/ps.png: series 1: color "red" is not #rgb or #rrggbb');
    await expect(
      Figure.write(t, { ...base, series: [{ kind: "scatter", x: [1], y: [1] } as unknown as PlotSpec["series"][number]] }, where),
    ).rejects.toThrow('/out/ps.png: series 1: unknown kind "scatter" (line, band, points)');
    await expect(Figure.write(t, { ...base, yLog: true, yRange: [0, 1] }, where)).rejects.toThrow(
      "/out/ps.png: yRange must be positive on a log axis",
    );
    const missing = join(dir, "missing.png");
    await expect(Figure.read(missing)).rejects.toThrow(`${missing}: file does not exist`);
    const text = join(dir, "text.png");
    await writeFile(text, "not an image");
    await expect(Figure.read(text)).rejects.toThrow(`${text}: not a PNG file (bad signature)`);
    const truncated = join(dir, "truncated.png");
    await writeFile(truncated, (await readFile(join(dir, "a.png"))).subarray(0, 100));
    await expect(Figure.read(truncated)).rejects.toThrow(
      `${truncated}: corrupt or truncated PNG (There are some read requests waitng on finished stream)`,
    );
  });
});

describe("ticks", () => {
  const style = { scale: 1, superscriptScale: 1 };
  const labels = (t: ReturnType<typeof linearTicks>): string[] =>
    t.ticks.filter((k) => k.label !== undefined).map((k) => (k.label ?? []).map((r) => r.text).join("^"));
  it("chooses 1, 2, 2.5, 5 × 10^k steps", () => {
    expect([0.7, 1.3, 2.2, 3, 7, 0.013].map(niceStep)).toEqual([1, 2, 2.5, 5, 10, 0.02]);
  });
  it("labels linear ticks with just enough decimals, and factors out large or small powers of ten", () => {
    expect(labels(linearTicks(-0.05, 1.05, 6, style))).toEqual(["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
    expect(labels(linearTicks(-0.05, 1.05, 5, style))).toEqual(["0.00", "0.25", "0.50", "0.75", "1.00"]);
    expect(labels(linearTicks(0, 1000, 4, style))).toEqual(["0", "250", "500", "750", "1000"]);
    const small = linearTicks(-4e-11, 5e-11, 5, style);
    expect(labels(small)).toEqual(["-4", "-2", "0", "2", "4"]);
    expect(small.multiplier?.map((r) => r.text)).toEqual(["\u00d710", "-11"]);
  });
  it("labels decades on a log axis, or 1-2-5 (or every) tick when less than two decades show", () => {
    expect(labels(logTicks(3e-12, 5e-9, 8, style))).toEqual(["10^-11", "10^-10", "10^-9"]);
    expect(labels(logTicks(15, 900, 8, style))).toEqual(["20", "50", "100", "200", "500"]);
    expect(labels(logTicks(3, 6.5, 8, style))).toEqual(["3", "4", "5", "6"]);
  });
  it("measures text by the font's advances, rounded up to whole pixels; ascent and descent scale with the text", () => {
    const size = fontPixelSize(2);
    const advances = [..."abc"].reduce((sum, ch) => sum + glyphOutline(ch.codePointAt(0) ?? 0).advance * size, 0);
    expect(measureText(plain("abc", 2))).toEqual({ width: Math.ceil(advances), ascent: 14, descent: 4 });
    // DejaVu Sans's advances (font units over the 2048-unit em): a 1255, b 1300, c 1126.
    expect(advances).toBeCloseTo(((1255 + 1300 + 1126) / 2048) * size, 9);
  });
});
