/** ps_analysis: power spectra (anafast) of each test simulation's CMB map and observed maps. */
import type { Cfg } from "../core/cfg.js";
import type { NodeContext } from "../core/executor.js";
import { BaseStageExecutor } from "../core/executor.js";
import type { MapArray } from "../fits/index.js";
import type { NpyArray } from "../handlers/npy.js";
import { anafast } from "../healpix/spectra.js";

/** cmb_cl: anafast of the CMB map (l ≤ lmax); obs_cl: one row per frequency, in the order of freqs. */
export class PsAnalysisExecutor extends BaseStageExecutor {
  readonly #lmax: number;
  readonly #freqs: readonly string[];

  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#lmax = cfg.integer("scenario.lmax");
    this.#freqs = this.def.freqs ?? [];
  }

  async processSim(ctx: NodeContext): Promise<void> {
    const cmb = await ctx.input<MapArray>("cmb_map").read();
    const cmbCl = anafast(Float64Array.from(cmb), undefined, { lmax: this.#lmax });
    await ctx.output<NpyArray>("cmb_cl").write({ data: cmbCl, shape: [cmbCl.length] });
    const n = this.#lmax + 1;
    const rows = new Float64Array(this.#freqs.length * n);
    for (const [i, freq] of this.#freqs.entries()) {
      const obs = await ctx.input<MapArray>("obs_maps").read({ freq });
      rows.set(anafast(Float64Array.from(obs), undefined, { lmax: this.#lmax }).subarray(0, n), i * n);
    }
    await ctx.output<NpyArray>("obs_cl").write({ data: rows, shape: [this.#freqs.length, n] });
  }
}
