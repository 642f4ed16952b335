/** make_cmb: one CMB temperature map per simulation, drawn from the theory spectrum with the node's seed. */
import type { Cfg } from "../core/cfg.js";
import type { NodeContext } from "../core/executor.js";
import { BaseStageExecutor } from "../core/executor.js";
import { synfast } from "../healpix/synfast.js";
import type { TextSpectrum } from "../handlers/text-power-spectrum.js";
import { readSpectrumColumn } from "./spectrum-input.js";

/** synfast(C_l, nside, lmax) per node; the map is Gaussian with the given spectrum and no beam. */
export class MakeCmbExecutor extends BaseStageExecutor {
  readonly #nside: number;
  readonly #lmax: number;

  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#nside = cfg.nside("scenario.nside");
    this.#lmax = cfg.lmax("scenario.lmax", this.#nside);
  }

  async processSim(ctx: NodeContext): Promise<void> {
    const cl = await readSpectrumColumn(ctx.input<TextSpectrum>("cmb_ps"));
    const map = synfast(cl, this.#nside, { lmax: this.#lmax, seed: ctx.seed });
    await ctx.output("cmb_map").write(map);
  }
}
