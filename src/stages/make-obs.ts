/** make_obs: the CMB map smoothed by each detector's Gaussian beam, plus that detector's noise. */
import type { Cfg } from "../core/cfg.js";
import type { NodeContext } from "../core/executor.js";
import { BaseStageExecutor } from "../core/executor.js";
import type { MapArray } from "../fits/index.js";
import { smoothing } from "../healpix/smoothing.js";
import type { Detector } from "./detectors.js";
import { detectorFor, readDetectors } from "./detectors.js";

/** obs = smoothing(cmb, fwhm) + noise, per simulation and frequency. */
export class MakeObsExecutor extends BaseStageExecutor {
  readonly #lmax: number;
  readonly #detectors: ReadonlyMap<string, Detector>;

  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#lmax = cfg.integer("scenario.lmax");
    this.#detectors = readDetectors(cfg, this.def.freqs);
  }

  async processSim(ctx: NodeContext): Promise<void> {
    const detector = detectorFor(this.#detectors, ctx.partition.freq, this.stage);
    const cmb = await ctx.input<MapArray>("cmb_map").read();
    const noise = await ctx.input<MapArray>("noise_map").read();
    if (cmb.length !== noise.length) {
      throw new Error(`cmb_map has ${String(cmb.length)} pixels but noise_map has ${String(noise.length)}: were they made with the same nside?`);
    }
    const obs = smoothing(Float64Array.from(cmb), detector.fwhmRad, { lmax: this.#lmax });
    for (let p = 0; p < obs.length; p++) obs[p] = (obs[p] ?? 0) + (noise[p] ?? 0);
    await ctx.output("obs_map").write(obs);
  }
}
