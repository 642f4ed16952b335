/**
 * make_cmb: one CMB map per simulation, drawn from the theory spectrum with the node's seed:
 * temperature only, or I, Q, U (map_fields: IQU) from TT, EE, BB, TE as healpy's
 * `synfast(cls, nside, new=True)` draws them from the same seed.
 */
import type { Cfg } from "../core/cfg.js";
import type { NodeContext } from "../core/executor.js";
import { BaseStageExecutor } from "../core/executor.js";
import { synfast, synfastPol } from "../healpix/synfast.js";
import type { LabelledMaps } from "../handlers/healpy-map.js";
import type { MapFields } from "../handlers/map-fields.js";
import type { TextSpectrum } from "../handlers/text-power-spectrum.js";
import { readSpectrumColumn, readSpectrumColumns } from "./spectrum-input.js";
import { readMapFields } from "./stokes.js";

/** synfast(C_l, nside, lmax) per node; the map is Gaussian with the given spectrum and no beam. */
export class MakeCmbExecutor extends BaseStageExecutor {
  readonly #nside: number;
  readonly #lmax: number;
  readonly #fields: MapFields;
  readonly #units: string | undefined;

  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#nside = cfg.nside("scenario.nside");
    this.#lmax = cfg.lmax("scenario.lmax", this.#nside);
    this.#fields = readMapFields(cfg, stage);
    // IQU files carry their unit as healpy's do; temperature-only files stay as they always were.
    this.#units = this.#fields === "IQU" && cfg.has("scenario.units") ? cfg.string("scenario.units") : undefined;
  }

  async processSim(ctx: NodeContext): Promise<void> {
    if (this.#fields === "I") {
      const cl = await readSpectrumColumn(ctx.input<TextSpectrum>("cmb_ps"));
      const map = synfast(cl, this.#nside, { lmax: this.#lmax, seed: ctx.seed });
      await ctx.output("cmb_map").write(map);
      return;
    }
    const cls = await readSpectrumColumns(ctx.input<TextSpectrum>("cmb_ps"), 4);
    const maps = synfastPol(cls, this.#nside, { lmax: this.#lmax, seed: ctx.seed });
    await ctx.output<LabelledMaps>("cmb_map").write({ maps, ...(this.#units === undefined ? {} : { units: this.#units }) });
  }
}
