/**
 * The spectra figure of ps_summary, checked through its plot description: what is drawn (theory,
 * beam-convolved theory per frequency, means, cosmic-variance band, residuals), in which order,
 * in how many panels, and where the legend goes.
 */
import { describe, expect, it } from "vitest";
import type { BandSeries, LineSeries, PlotPanel, PlotSpec, PointsSeries } from "../../src/handlers/figure.js";
import { gaussBeam } from "../../src/healpix/beams.js";
import type { SpectrumPanelInput } from "../../src/stages/ps-summary.js";
import { spectraFigure } from "../../src/stages/ps-summary.js";

const LMAX = 40;
const COUNT = 4;
const cl = Float64Array.from({ length: LMAX + 1 }, (_, l) => (l < 2 ? 0 : 1000 / (l * (l + 1))));
const beam = gaussBeam(0.01, LMAX);
const beam2 = beam.map((b) => b * b);

function input(name: string): SpectrumPanelInput {
  return {
    name,
    theory: cl,
    cmbMean: cl.map((c) => c * 1.01),
    cosmicVariance: cl.map((c, l) => (2 * c * c) / (2 * l + 1)),
    channels: [
      { freq: "30", beam2, noise: 0.5, obsMean: cl.map((c, l) => c * (beam2[l] ?? 0) + 0.5) },
      { freq: "100", beam2: cl.map(() => 1), noise: 0, obsMean: cl },
    ],
  };
}

const dl = (c: number, l: number): number => (c * l * (l + 1)) / (2 * Math.PI);

describe("spectraFigure", () => {
  const spec = spectraFigure({ spectra: [input("TT")], lmax: LMAX, count: COUNT, title: "T" }) as PlotSpec;

  it("has a spectrum panel over a residual panel and the legend outside the data", () => {
    expect(spec.legend).toBe("outside right");
    expect(spec.columns).toBe(1);
    expect(spec.series).toEqual([]);
    expect(spec.panels?.map((p) => p.title)).toEqual(["TT", undefined]);
    expect(spec.panels?.map((p) => p.heightRatio)).toEqual([3, 1.4]);
  });

  it("draws the theory, b_l² C_l per frequency, the means and the cosmic-variance band of the mean around the theory", () => {
    const main = spec.panels![0]!;
    const byLabel = new Map(main.series.map((s) => [s.label, s]));
    const theory = byLabel.get("theory Cℓ") as LineSeries;
    expect(Array.from(theory.x)).toEqual(Array.from({ length: LMAX - 1 }, (_, i) => i + 2));
    expect(theory.y[8]).toBeCloseTo(dl(cl[10]!, 10), 10);
    const beam30 = byLabel.get("theory × bℓ², 30 GHz") as LineSeries;
    expect(beam30.y[38]).toBeCloseTo(dl(cl[40]! * beam2[40]!, 40), 10);
    expect(beam30.y[38]).toBeLessThan(theory.y[38]!);
    const band = byLabel.get(`cosmic variance, mean of ${String(COUNT)}`) as BandSeries;
    // ±σ of a 4-sim mean: C_l √(2/((2l+1)·4)), around the theory.
    const sigma10 = cl[10]! * Math.sqrt(2 / (21 * COUNT));
    expect(band.yHigh[8]).toBeCloseTo(dl(cl[10]! + sigma10, 10), 10);
    expect(band.yLow[8]).toBeCloseTo(dl(cl[10]! - sigma10, 10), 10);
    const cmb = byLabel.get("CMB maps, mean") as PointsSeries;
    expect(cmb.kind).toBe("points");
    expect(cmb.y[8]).toBeCloseTo(dl(cl[10]! * 1.01, 10), 10);
    // The observed mean with its noise bias removed lands on b_l² C_l.
    const obs30 = byLabel.get("observed - Nℓ, 30 GHz") as PointsSeries;
    expect(obs30.y[38]).toBeCloseTo(beam30.y[38]!, 8);
  });

  it("draws so that nothing covers what is under it: bands, then lines widest first, then dots largest first", () => {
    for (const panel of spec.panels ?? []) {
      const kinds = panel.series.map((s) => s.kind);
      const order = kinds.map((k) => ({ band: 0, line: 1, points: 2 })[k]);
      expect(order).toEqual([...order].sort((a, b) => a - b));
      const widths = panel.series.filter((s): s is LineSeries => s.kind === "line").map((s) => s.lineWidth ?? 0);
      expect(widths).toEqual([...widths].sort((a, b) => b - a));
      const radii = panel.series.filter((s): s is PointsSeries => s.kind === "points").map((s) => s.radius ?? 0);
      expect(radii).toEqual([...radii].sort((a, b) => b - a));
    }
  });

  it("plots residuals: CMB mean − theory, and (observed − N_l)/b_l² − theory, with the band around zero", () => {
    const residual = spec.panels![1]!;
    const points = residual.series.filter((s): s is PointsSeries => s.kind === "points");
    expect(points).toHaveLength(3);
    expect(points[0]!.y[8]).toBeCloseTo(dl(cl[10]! * 0.01, 10), 10);
    expect(points[1]!.y[38]).toBeCloseTo(0, 8);
    const band = residual.series.find((s): s is BandSeries => s.kind === "band")!;
    expect(band.yHigh[8]).toBeCloseTo(-band.yLow[8]!, 10);
  });

  it("gives six spectra a two-column grid, each spectrum over its residual panel", () => {
    const six = spectraFigure({ spectra: ["TT", "EE", "BB", "TE", "EB", "TB"].map(input), lmax: LMAX, count: COUNT, title: "P" }) as PlotSpec;
    expect(six.columns).toBe(2);
    const titles = (six.panels ?? []).map((p: PlotPanel) => p.title ?? "residual");
    expect(titles).toEqual(["TT", "EE", "residual", "residual", "BB", "TE", "residual", "residual", "EB", "TB", "residual", "residual"]);
    expect(six.legend).toBe("outside right");
  });
});
