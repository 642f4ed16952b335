/**
 * ps_summary: mean and scatter of the test spectra against theory. Writes a YAML summary
 * (cosmic-variance z statistics over 2 ≤ l ≤ min(lmax, 2·nside), where pixel-space
 * quadrature is unbiased) and a PNG of D_l: theory line, mean CMB spectrum with its ±1σ
 * scatter band, and each frequency's mean observed spectrum.
 */
import type { Cfg } from "../core/cfg.js";
import type { NodeContext, ScanResult } from "../core/executor.js";
import { BaseStageExecutor } from "../core/executor.js";
import type { FigureData, LineSeries, PlotSeries } from "../handlers/figure.js";
import type { NpyArray } from "../handlers/npy.js";
import type { TextSpectrum } from "../handlers/text-power-spectrum.js";
import { readSpectrumColumn } from "./spectrum-input.js";

interface SimSpectra {
  readonly cmb: Float64Array;
  readonly obs: Float64Array;
  readonly obsShape: readonly number[];
}

const FREQ_COLOURS = ["#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

/** Spectra summary and figure over the test simulations. */
export class PsSummaryExecutor extends BaseStageExecutor {
  readonly #lmax: number;
  readonly #nside: number;
  readonly #freqs: readonly string[];

  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#lmax = cfg.integer("scenario.lmax");
    this.#nside = cfg.nside("scenario.nside");
    this.#freqs = this.def.freqs ?? [];
  }

  async scan(ctx: NodeContext): Promise<SimSpectra> {
    const cmb = await ctx.input<NpyArray>("cmb_cl").read();
    const obs = await ctx.input<NpyArray>("obs_cl").read();
    return { cmb: Float64Array.from(cmb.data), obs: Float64Array.from(obs.data), obsShape: obs.shape };
  }

  async sift(results: readonly ScanResult<unknown>[], ctx: NodeContext): Promise<void> {
    const spectra = results.map((r) => r.value as SimSpectra);
    const theory = await readSpectrumColumn(ctx.input<TextSpectrum>("cmb_ps"));
    const n = this.#lmax + 1;
    const count = spectra.length;
    if (count === 0) throw new Error(`stage "${this.stage}" has no spectra to summarise`);
    const mean = new Float64Array(n);
    const std = new Float64Array(n);
    for (const s of spectra) for (let l = 0; l < n; l++) mean[l] = (mean[l] ?? 0) + (s.cmb[l] ?? 0) / count;
    for (const s of spectra) for (let l = 0; l < n; l++) std[l] = (std[l] ?? 0) + ((s.cmb[l] ?? 0) - (mean[l] ?? 0)) ** 2 / Math.max(1, count - 1);
    for (let l = 0; l < n; l++) std[l] = Math.sqrt(std[l] ?? 0);

    // z_l = (mean Ĉ_l − C_l) / (C_l √(2 / ((2l+1) N))): standard normal when the maps have the theory spectrum.
    const lTop = Math.min(this.#lmax, 2 * this.#nside);
    const z: number[] = [];
    for (let l = 2; l <= lTop; l++) {
      const c = theory[l] ?? 0;
      if (c > 0) z.push(((mean[l] ?? 0) - c) / (c * Math.sqrt(2 / ((2 * l + 1) * count))));
    }
    const zMean = z.reduce((a, b) => a + b, 0) / Math.max(1, z.length);
    const zRms = Math.sqrt(z.reduce((a, b) => a + b * b, 0) / Math.max(1, z.length));
    const zMax = z.reduce((a, b) => Math.max(a, Math.abs(b)), 0);

    const obsMean = this.#freqs.map((_f, i) => {
      const row = new Float64Array(n);
      for (const s of spectra) for (let l = 0; l < n; l++) row[l] = (row[l] ?? 0) + (s.obs[i * n + l] ?? 0) / count;
      return row;
    });

    const list = (a: Float64Array): number[] => Array.from(a);
    await ctx.output("summary").write({
      n_sims: count,
      lmax: this.#lmax,
      cosmic_variance_test: { ell_min: 2, ell_max: lTop, z_mean: zMean, z_rms: zRms, z_max_abs: zMax },
      theory_cl: list(theory.subarray(0, n)),
      cmb_mean_cl: list(mean),
      cmb_std_cl: list(std),
      obs_mean_cl: Object.fromEntries(this.#freqs.map((f, i) => [f, list(obsMean[i] ?? new Float64Array(0))])),
    });

    const ell: number[] = [];
    for (let l = 2; l < n; l++) ell.push(l);
    const dl = (a: ArrayLike<number>): number[] => ell.map((l) => ((a[l] ?? 0) * l * (l + 1)) / (2 * Math.PI));
    const series: PlotSeries[] = [
      { kind: "band", x: ell, yLow: dl(mean.map((m, l) => m - (std[l] ?? 0))), yHigh: dl(mean.map((m, l) => m + (std[l] ?? 0))), label: `CMB ±1σ (${String(count)} sims)`, color: "#1f77b4", alpha: 0.25 },
      { kind: "line", x: ell, y: dl(mean), label: "CMB mean", color: "#1f77b4" },
      ...this.#freqs.map((f, i): LineSeries => ({ kind: "line", x: ell, y: dl(obsMean[i] ?? []), label: `observed ${f} GHz`, color: FREQ_COLOURS[i % FREQ_COLOURS.length] ?? "#777777" })),
      { kind: "line", x: ell, y: dl(theory), label: "theory", color: "#000000" },
    ];
    const figure: FigureData = {
      width: 900,
      height: 600,
      title: "Temperature power spectrum",
      xLabel: "multipole ℓ",
      yLabel: "Dℓ = ℓ(ℓ+1)Cℓ/2π [μK²]",
      legend: "upper left",
      series,
    };
    await ctx.output("figure").write(figure);
  }
}
