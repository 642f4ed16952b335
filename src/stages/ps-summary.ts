/**
 * ps_summary: mean of the test spectra against theory. Writes a YAML summary (cosmic-variance
 * z statistics over 2 ≤ l ≤ min(lmax, 2·nside), where pixel-space quadrature is unbiased) and a
 * PNG of D_l (see {@link spectraFigure}): one panel per spectrum (TT; or TT, EE, BB, TE, EB, TB
 * for map_fields: IQU), each over a residual panel.
 */
import type { Cfg } from "../core/cfg.js";
import type { NodeContext, ScanResult } from "../core/executor.js";
import { BaseStageExecutor } from "../core/executor.js";
import type { BandSeries, FigureData, LineSeries, PlotPanel, PointsSeries } from "../handlers/figure.js";
import type { MapFields } from "../handlers/map-fields.js";
import type { NpyArray } from "../handlers/npy.js";
import type { TextSpectrum } from "../handlers/text-power-spectrum.js";
import { gaussBeamPol } from "../healpix/beams.js";
import { noiseSpectrumFromDepth } from "../healpix/noise.js";
import type { Detector } from "./detectors.js";
import { polDepth, readDetectors } from "./detectors.js";
import { readSpectrumColumn, readSpectrumColumns } from "./spectrum-input.js";
import { POL_SPECTRA, readMapFields } from "./stokes.js";

interface SimSpectra {
  readonly cmb: Float64Array;
  readonly obs: Float64Array;
  readonly obsShape: readonly number[];
}

const FREQ_COLOURS = ["#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

/** One spectrum (e.g. TT) of the figure, all C_l from l = 0, μK². */
export interface SpectrumPanelInput {
  /** TT, EE, BB, TE, EB or TB. */
  readonly name: string;
  readonly theory: ArrayLike<number>;
  /** Mean over the sims of the CMB maps' spectra. */
  readonly cmbMean: ArrayLike<number>;
  /**
   * Variance of one sim's Ĉ_l about the theory, (C^XX C^YY + (C^XY)²)/(2l+1) (2C_l²/(2l+1) for an auto-spectrum);
   * divided by the number of sims it is the cosmic variance of the mean.
   */
  readonly cosmicVariance: ArrayLike<number>;
  readonly channels: readonly {
    readonly freq: string;
    /** Beam window of this spectrum, b^X_l b^Y_l. */
    readonly beam2: ArrayLike<number>;
    /** White-noise bias N_l of this spectrum (0 for cross-spectra). */
    readonly noise: number;
    /** Mean over the sims of the observed maps' spectra. */
    readonly obsMean: ArrayLike<number>;
  }[];
}

/** What {@link spectraFigure} draws. */
export interface SpectraFigureInput {
  readonly spectra: readonly SpectrumPanelInput[];
  readonly lmax: number;
  /** Number of simulations averaged. */
  readonly count: number;
  readonly title: string;
}

/**
 * The spectra figure: per spectrum, a D_l panel with the theory (black), the cosmic-variance
 * band of an N-sim mean around it, the beam-convolved theory b_l²C_l of each frequency (thin
 * lines in the frequency's colour), the CMB mean (blue dots) and each frequency's
 * noise-debiased observed mean (dots in its colour); below it a residual panel of
 * mean − theory ("residual"; the observed means deconvolved, (Ĉ − N_l)/b_l² − C_l) with the same band.
 * Bands come first, then lines from the widest to the thinnest, then dots from the largest to
 * the smallest, so whatever is drawn later is narrower than what it crosses and never covers it; the legend sits outside every panel, on the right.
 */
export function spectraFigure(input: SpectraFigureInput): FigureData {
  const ell: number[] = [];
  for (let l = 2; l <= input.lmax; l++) ell.push(l);
  const toDl = (l: number): number => (l * (l + 1)) / (2 * Math.PI);
  const dl = (f: (l: number) => number): number[] => ell.map((l) => f(l) * toDl(l));
  const at = (a: ArrayLike<number>, l: number): number => a[l] ?? Number.NaN;
  const mains: PlotPanel[] = [];
  const residuals: PlotPanel[] = [];
  for (const s of input.spectra) {
    const sigma = (l: number): number => Math.sqrt(at(s.cosmicVariance, l) / input.count);
    const band = (centre: (l: number) => number): BandSeries => ({
      kind: "band",
      x: ell,
      yLow: dl((l) => centre(l) - sigma(l)),
      yHigh: dl((l) => centre(l) + sigma(l)),
      label: `cosmic variance, mean of ${String(input.count)}`,
      color: "#1f77b4",
      alpha: 0.2,
    });
    const theory: LineSeries = { kind: "line", x: ell, y: dl((l) => at(s.theory, l)), label: "theory Cℓ", color: "#000000", lineWidth: 3 };
    const beamLines = s.channels.map(
      (c, i): LineSeries => ({ kind: "line", x: ell, y: dl((l) => at(c.beam2, l) * at(s.theory, l)), label: `theory × bℓ², ${c.freq} GHz`, color: colour(i), lineWidth: 1.5 }),
    );
    const obsDots = s.channels.map(
      (c, i): PointsSeries => ({ kind: "points", x: ell, y: dl((l) => at(c.obsMean, l) - c.noise), label: `observed - Nℓ, ${c.freq} GHz`, color: colour(i), radius: 1.5 }),
    );
    const cmbDots: PointsSeries = { kind: "points", x: ell, y: dl((l) => at(s.cmbMean, l)), label: "CMB maps, mean", color: "#1f77b4", radius: 2.5 };
    mains.push({ title: s.name, yLabel: `Dℓ ${s.name} [μK²]`, heightRatio: 3, series: [band((l) => at(s.theory, l)), theory, ...beamLines, cmbDots, ...obsDots] });
    residuals.push({
      xLabel: "multipole ℓ",
      yLabel: "residual",
      heightRatio: 1.4,
      series: [
        band(() => 0),
        { kind: "line", x: ell, y: ell.map(() => 0), color: "#000000", lineWidth: 1.5 },
        { kind: "points", x: ell, y: dl((l) => at(s.cmbMean, l) - at(s.theory, l)), color: "#1f77b4", radius: 2.5 },
        ...s.channels.map(
          (c, i): PointsSeries => ({ kind: "points", x: ell, y: dl((l) => (at(c.obsMean, l) - c.noise) / at(c.beam2, l) - at(s.theory, l)), color: colour(i), radius: 1.5 }),
        ),
      ],
    });
  }
  // Two columns for the six polarisation spectra, each spectrum's residual panel right under it.
  const columns = input.spectra.length > 1 ? 2 : 1;
  const panels: PlotPanel[] = [];
  for (let start = 0; start < mains.length; start += columns) {
    panels.push(...mains.slice(start, start + columns), ...residuals.slice(start, start + columns));
  }
  const rows = (2 * mains.length) / columns;
  return {
    width: columns === 1 ? 1100 : 1500,
    height: columns === 1 ? 800 : Math.round(260 * rows),
    title: input.title,
    legend: "outside right",
    textScale: 2,
    columns,
    panels,
    series: [],
  };
}

function colour(i: number): string {
  return FREQ_COLOURS[i % FREQ_COLOURS.length] ?? "#777777";
}

/** Spectra summary and figure over the test simulations. */
export class PsSummaryExecutor extends BaseStageExecutor {
  readonly #lmax: number;
  readonly #nside: number;
  readonly #freqs: readonly string[];
  readonly #fields: MapFields;
  readonly #detectors: ReadonlyMap<string, Detector>;
  readonly #polDepths = new Map<string, number>();

  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#lmax = cfg.integer("scenario.lmax");
    this.#nside = cfg.nside("scenario.nside");
    this.#freqs = this.def.freqs ?? [];
    this.#fields = readMapFields(cfg, stage);
    this.#detectors = readDetectors(cfg, this.#freqs);
    if (this.#fields === "IQU") for (const d of this.#detectors.values()) this.#polDepths.set(d.freq, polDepth(cfg, d));
  }

  async scan(ctx: NodeContext): Promise<SimSpectra> {
    const cmb = await ctx.input<NpyArray>("cmb_cl").read();
    const obs = await ctx.input<NpyArray>("obs_cl").read();
    const nSpectra = this.#fields === "I" ? 1 : POL_SPECTRA.length;
    const n = this.#lmax + 1;
    const want = nSpectra * n;
    if (cmb.data.length !== want || obs.data.length !== this.#freqs.length * want) {
      const perMap = this.#fields === "I" ? `[${String(n)}]` : `[${String(nSpectra)}, ${String(n)}]`;
      throw new Error(
        `stage "${this.stage}": cmb_cl has shape [${cmb.shape.join(", ")}] and obs_cl [${obs.shape.join(", ")}], but map_fields ${this.#fields} and lmax ${String(this.#lmax)} mean ${perMap} and [${String(this.#freqs.length)}, ${perMap.slice(1, -1)}]: were they made by another scenario?`,
      );
    }
    return { cmb: Float64Array.from(cmb.data), obs: Float64Array.from(obs.data), obsShape: obs.shape };
  }

  async sift(results: readonly ScanResult<unknown>[], ctx: NodeContext): Promise<void> {
    const spectra = results.map((r) => r.value as SimSpectra);
    const count = spectra.length;
    if (count === 0) throw new Error(`stage "${this.stage}" has no spectra to summarise`);
    const n = this.#lmax + 1;
    const names: readonly string[] = this.#fields === "I" ? ["TT"] : POL_SPECTRA;
    const k = names.length;
    const theory4 = this.#fields === "I" ? [await readSpectrumColumn(ctx.input<TextSpectrum>("cmb_ps"))] : await readSpectrumColumns(ctx.input<TextSpectrum>("cmb_ps"), 4);
    // TT, EE, BB, TE from the file; EB and TB are zero in a parity-symmetric sky.
    const theory = names.map((_name, s) => theory4[s]?.subarray(0, n) ?? new Float64Array(n));

    const meanOf = (pick: (sim: SimSpectra, l: number) => number): Float64Array => {
      const out = new Float64Array(n);
      for (const sim of spectra) for (let l = 0; l < n; l++) out[l] = (out[l] ?? 0) + pick(sim, l) / count;
      return out;
    };
    const cmbMean = names.map((_name, s) => meanOf((sim, l) => sim.cmb[s * n + l] ?? 0));
    const obsMean = this.#freqs.map((_f, i) => names.map((_name, s) => meanOf((sim, l) => sim.obs[(i * k + s) * n + l] ?? 0)));

    if (this.#fields === "I") await this.#writeTemperatureSummary(ctx, spectra, theory[0]!, cmbMean[0]!, obsMean.map((o) => o[0]!));
    else await this.#writePolSummary(ctx, count, names, theory, cmbMean, obsMean);

    // Auto-spectra XX index of each field, for the cosmic variance of XY: T=0, E=1, B=2.
    const pairs: Record<string, [number, number]> = { TT: [0, 0], EE: [1, 1], BB: [2, 2], TE: [0, 1], EB: [1, 2], TB: [0, 2] };
    const auto = [theory[0]!, theory[1] ?? new Float64Array(n), theory[2] ?? new Float64Array(n)];
    const panelInputs = names.map((name, s): SpectrumPanelInput => {
      const [x, y] = pairs[name] ?? [0, 0];
      const cv = new Float64Array(n);
      for (let l = 0; l < n; l++) cv[l] = ((auto[x]![l] ?? 0) * (auto[y]![l] ?? 0) + (theory[s]![l] ?? 0) ** 2) / (2 * l + 1);
      return {
        name,
        theory: theory[s]!,
        cmbMean: cmbMean[s]!,
        cosmicVariance: cv,
        channels: this.#freqs.map((freq, i) => {
          const detector = this.#detectors.get(freq);
          const [bt, bp] = detector === undefined ? [new Float64Array(n).fill(1), new Float64Array(n).fill(1)] : gaussBeamPol(detector.fwhmRad, this.#lmax);
          const b = (f: number): Float64Array => (f === 0 ? bt : bp);
          const beam2 = new Float64Array(n);
          for (let l = 0; l < n; l++) beam2[l] = (b(x)[l] ?? 1) * (b(y)[l] ?? 1);
          const depth = detector === undefined ? 0 : x !== y ? 0 : x === 0 ? detector.depthUkArcmin : (this.#polDepths.get(freq) ?? 0);
          return { freq, beam2, noise: noiseSpectrumFromDepth(depth), obsMean: obsMean[i]![s]! };
        }),
      };
    });
    const title = this.#fields === "I" ? "Temperature power spectrum" : "Power spectra TT, EE, BB, TE, EB, TB";
    await ctx.output("figure").write(spectraFigure({ spectra: panelInputs, lmax: this.#lmax, count, title }));
  }

  /** The YAML summary of a temperature-only run (its layout predates polarisation and is kept). */
  async #writeTemperatureSummary(ctx: NodeContext, spectra: readonly SimSpectra[], theory: Float64Array, mean: Float64Array, obsMean: readonly Float64Array[]): Promise<void> {
    const n = this.#lmax + 1;
    const count = spectra.length;
    const std = new Float64Array(n);
    for (const s of spectra) for (let l = 0; l < n; l++) std[l] = (std[l] ?? 0) + ((s.cmb[l] ?? 0) - (mean[l] ?? 0)) ** 2 / Math.max(1, count - 1);
    for (let l = 0; l < n; l++) std[l] = Math.sqrt(std[l] ?? 0);
    const list = (a: Float64Array): number[] => Array.from(a);
    await ctx.output("summary").write({
      n_sims: count,
      lmax: this.#lmax,
      cosmic_variance_test: this.#zTest(mean, theory, theory, theory, count),
      theory_cl: list(theory.subarray(0, n)),
      cmb_mean_cl: list(mean),
      cmb_std_cl: list(std),
      obs_mean_cl: Object.fromEntries(this.#freqs.map((f, i) => [f, list(obsMean[i] ?? new Float64Array(0))])),
    });
  }

  /** The YAML summary of an IQU run: per spectrum, the z test, theory and means. */
  async #writePolSummary(
    ctx: NodeContext,
    count: number,
    names: readonly string[],
    theory: readonly Float64Array[],
    cmbMean: readonly Float64Array[],
    obsMean: readonly (readonly Float64Array[])[],
  ): Promise<void> {
    const list = (a: Float64Array): number[] => Array.from(a);
    const autos = [theory[0]!, theory[1]!, theory[2]!];
    const pairs: Record<string, [number, number]> = { TT: [0, 0], EE: [1, 1], BB: [2, 2], TE: [0, 1], EB: [1, 2], TB: [0, 2] };
    await ctx.output("summary").write({
      n_sims: count,
      lmax: this.#lmax,
      spectra: Object.fromEntries(
        names.map((name, s) => {
          const [x, y] = pairs[name] ?? [0, 0];
          return [
            name,
            {
              cosmic_variance_test: this.#zTest(cmbMean[s]!, theory[s]!, autos[x]!, autos[y]!, count),
              theory_cl: list(theory[s]!),
              cmb_mean_cl: list(cmbMean[s]!),
              obs_mean_cl: Object.fromEntries(this.#freqs.map((f, i) => [f, list(obsMean[i]![s]!)])),
            },
          ];
        }),
      ),
    });
  }

  /**
   * z_l = (mean Ĉ_l − C_l) / σ_l, standard normal when the maps have the theory spectrum: for an
   * auto-spectrum σ_l = C_l √(2/((2l+1)N)), for a cross-spectrum XY σ_l² = (C^XX C^YY + (C^XY)²)/((2l+1)N).
   */
  #zTest(mean: Float64Array, c: Float64Array, cxx: Float64Array, cyy: Float64Array, count: number): Record<string, number> {
    const lTop = Math.min(this.#lmax, 2 * this.#nside);
    const cross = cxx !== c || cyy !== c;
    const z: number[] = [];
    for (let l = 2; l <= lTop; l++) {
      const cl = c[l] ?? 0;
      if (!cross) {
        if (cl > 0) z.push(((mean[l] ?? 0) - cl) / (cl * Math.sqrt(2 / ((2 * l + 1) * count))));
        continue;
      }
      const variance = ((cxx[l] ?? 0) * (cyy[l] ?? 0) + cl ** 2) / ((2 * l + 1) * count);
      if (variance > 0) z.push(((mean[l] ?? 0) - cl) / Math.sqrt(variance));
    }
    const zMean = z.reduce((a, b) => a + b, 0) / Math.max(1, z.length);
    const zRms = Math.sqrt(z.reduce((a, b) => a + b * b, 0) / Math.max(1, z.length));
    const zMax = z.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
    return { ell_min: 2, ell_max: lTop, z_mean: zMean, z_rms: zRms, z_max_abs: zMax };
  }
}
