/** ps_setup: writes the theory C_l of the scenario's cosmology (see theory-spectrum.ts). */
import type { Cfg } from "../core/cfg.js";
import type { NodeContext } from "../core/executor.js";
import { BaseStageExecutor } from "../core/executor.js";
import type { TheoryShape } from "./theory-spectrum.js";
import { theoryCl } from "./theory-spectrum.js";

/** Theory power spectrum, C_l for l ≤ scenario.lmax, written as text one value per line. */
export class PsSetupExecutor extends BaseStageExecutor {
  readonly #lmax: number;
  readonly #shape: TheoryShape;

  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#lmax = cfg.integer("scenario.lmax");
    this.#shape = {
      plateauDl: cfg.number("scenario.cosmology.plateau_dl"),
      peakDl: cfg.number("scenario.cosmology.peak_dl"),
      peakEll: cfg.number("scenario.cosmology.peak_ell"),
      dampingEll: cfg.number("scenario.cosmology.damping_ell"),
    };
  }

  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output("cmb_ps").write(theoryCl(this.#lmax, this.#shape));
  }
}
