/** make_noise: white noise per simulation and frequency, from each detector's depth in μK·arcmin. */
import type { Cfg } from "../core/cfg.js";
import type { NodeContext } from "../core/executor.js";
import { BaseStageExecutor } from "../core/executor.js";
import { noiseSigmaFromDepth, whiteNoiseMap } from "../healpix/noise.js";
import { RandomState } from "../healpix/rng.js";
import type { Detector } from "./detectors.js";
import { detectorFor, readDetectors } from "./detectors.js";

/** Gaussian white noise with σ_p = depth / √Ω_pix, drawn with the node's seed. */
export class MakeNoiseExecutor extends BaseStageExecutor {
  readonly #nside: number;
  readonly #detectors: ReadonlyMap<string, Detector>;

  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#nside = cfg.nside("scenario.nside");
    this.#detectors = readDetectors(cfg, this.def.freqs);
  }

  async processSim(ctx: NodeContext): Promise<void> {
    const detector = detectorFor(this.#detectors, ctx.partition.freq, this.stage);
    const sigma = noiseSigmaFromDepth(detector.depthUkArcmin, this.#nside);
    const map = whiteNoiseMap(this.#nside, sigma, new RandomState(ctx.seed));
    await ctx.output("noise_map").write(map);
  }
}
