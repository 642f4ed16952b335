/**
 * ps_analysis: power spectra (anafast) of each test simulation's CMB map and observed maps.
 * Temperature only: cmb_cl holds C_l (shape [lmax+1]), obs_cl one row per frequency
 * ([freqs, lmax+1]). map_fields: IQU: the six spectra TT, EE, BB, TE, EB, TB in healpy's order
 * (cmb_cl [6, lmax+1], obs_cl [freqs, 6, lmax+1]).
 */
import type { Cfg } from "../core/cfg.js";
import type { NodeContext } from "../core/executor.js";
import { BaseStageExecutor } from "../core/executor.js";
import type { MapArray } from "../fits/index.js";
import type { HealpyMapData } from "../handlers/healpy-map.js";
import type { MapFields } from "../handlers/map-fields.js";
import type { NpyArray } from "../handlers/npy.js";
import { anafast, anafastPol } from "../healpix/spectra.js";
import { POL_SPECTRA, readFields, readMapFields } from "./stokes.js";

/** cmb_cl: anafast of the CMB map (l ≤ lmax); obs_cl: one row (or six) per frequency, in the order of freqs. */
export class PsAnalysisExecutor extends BaseStageExecutor {
  readonly #lmax: number;
  readonly #freqs: readonly string[];
  readonly #fields: MapFields;

  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#lmax = cfg.integer("scenario.lmax");
    this.#freqs = this.def.freqs ?? [];
    this.#fields = readMapFields(cfg, stage);
  }

  /** The spectra of one map set, concatenated: C_l, or TT … TB. */
  #spectra(maps: readonly MapArray[]): Float64Array {
    const n = this.#lmax + 1;
    if (this.#fields === "I") return anafast(Float64Array.from(maps[0]!), undefined, { lmax: this.#lmax }).subarray(0, n);
    const six = anafastPol([maps[0]!, maps[1]!, maps[2]!].map((m) => Float64Array.from(m)) as [Float64Array, Float64Array, Float64Array], undefined, { lmax: this.#lmax });
    const out = new Float64Array(POL_SPECTRA.length * n);
    six.forEach((cl, k) => out.set(cl.subarray(0, n), k * n));
    return out;
  }

  async processSim(ctx: NodeContext): Promise<void> {
    const n = this.#lmax + 1;
    const perMap = this.#fields === "I" ? [n] : [POL_SPECTRA.length, n];
    const cmb = await readFields(ctx.input<HealpyMapData>("cmb_map"), this.#fields);
    const cmbCl = this.#spectra(cmb);
    await ctx.output<NpyArray>("cmb_cl").write({ data: cmbCl, shape: perMap });
    const size = perMap.reduce((a, b) => a * b, 1);
    const rows = new Float64Array(this.#freqs.length * size);
    for (const [i, freq] of this.#freqs.entries()) {
      const obs = await readFields(ctx.input<HealpyMapData>("obs_maps"), this.#fields, { freq });
      rows.set(this.#spectra(obs), i * size);
    }
    await ctx.output<NpyArray>("obs_cl").write({ data: rows, shape: [this.#freqs.length, ...perMap] });
  }
}
