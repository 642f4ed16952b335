/**
 * ps_setup: writes the theory C_l of the scenario's cosmology (see theory-spectrum.ts): one
 * column (TT) for a temperature-only scenario, four (TT, EE, BB, TE) for map_fields: IQU.
 */
import type { Cfg } from "../core/cfg.js";
import { ConfigKeyError } from "../core/cfg.js";
import type { NodeContext } from "../core/executor.js";
import { BaseStageExecutor } from "../core/executor.js";
import type { PolarisationShape, TheoryShape } from "./theory-spectrum.js";
import { theoryCl, theoryClPol } from "./theory-spectrum.js";
import { readMapFields } from "./stokes.js";

/** Theory power spectrum, C_l for l ≤ scenario.lmax, written as text one row per l. */
export class PsSetupExecutor extends BaseStageExecutor {
  readonly #lmax: number;
  readonly #shape: TheoryShape;
  readonly #pol: PolarisationShape | undefined;

  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#lmax = cfg.integer("scenario.lmax");
    this.#shape = {
      plateauDl: cfg.number("scenario.cosmology.plateau_dl"),
      peakDl: cfg.number("scenario.cosmology.peak_dl"),
      peakEll: cfg.number("scenario.cosmology.peak_ell"),
      dampingEll: cfg.number("scenario.cosmology.damping_ell"),
    };
    // The polarisation keys are read only for IQU, so temperature-only fingerprints do not depend on them.
    this.#pol =
      readMapFields(cfg, stage) === "IQU"
        ? {
            eePeakDl: cfg.number("scenario.cosmology.ee_peak_dl"),
            eePeakEll: cfg.number("scenario.cosmology.ee_peak_ell"),
            bbPeakDl: cfg.number("scenario.cosmology.bb_peak_dl"),
            bbPeakEll: cfg.number("scenario.cosmology.bb_peak_ell"),
            teCorrelation: cfg.number("scenario.cosmology.te_correlation"),
            tePeriodEll: cfg.number("scenario.cosmology.te_period_ell"),
          }
        : undefined;
    if (this.#pol !== undefined && !(Math.abs(this.#pol.teCorrelation) < 1)) {
      throw new ConfigKeyError("scenario.cosmology.te_correlation", stage, `must be between -1 and 1 (exclusive), got ${String(this.#pol.teCorrelation)}`);
    }
  }

  async processSim(ctx: NodeContext): Promise<void> {
    if (this.#pol === undefined) {
      await ctx.output("cmb_ps").write(theoryCl(this.#lmax, this.#shape));
      return;
    }
    await ctx.output("cmb_ps").write({ columns: theoryClPol(this.#lmax, this.#shape, this.#pol) });
  }
}
