/**
 * make_noise: white noise per simulation and frequency, from each detector's depth in μK·arcmin;
 * for map_fields: IQU one map per Stokes field, Q and U at the polarisation depth (detectors.ts).
 */
import type { Cfg } from "../core/cfg.js";
import type { NodeContext } from "../core/executor.js";
import { BaseStageExecutor } from "../core/executor.js";
import { noiseSigmaFromDepth, whiteNoiseMap } from "../healpix/noise.js";
import { RandomState } from "../healpix/rng.js";
import type { LabelledMaps } from "../handlers/healpy-map.js";
import type { MapFields } from "../handlers/map-fields.js";
import type { Detector } from "./detectors.js";
import { detectorFor, polDepth, readDetectors } from "./detectors.js";
import { readMapFields } from "./stokes.js";

/** Gaussian white noise with σ_p = depth / √Ω_pix, drawn with the node's seed. */
export class MakeNoiseExecutor extends BaseStageExecutor {
  readonly #nside: number;
  readonly #detectors: ReadonlyMap<string, Detector>;
  readonly #fields: MapFields;
  /** Q/U depth per frequency, for IQU. */
  readonly #polDepths = new Map<string, number>();
  readonly #units: string | undefined;

  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#nside = cfg.nside("scenario.nside");
    this.#detectors = readDetectors(cfg, this.def.freqs);
    this.#fields = readMapFields(cfg, stage);
    if (this.#fields === "IQU") {
      for (const detector of this.#detectors.values()) this.#polDepths.set(detector.freq, polDepth(cfg, detector));
    }
    this.#units = this.#fields === "IQU" && cfg.has("scenario.units") ? cfg.string("scenario.units") : undefined;
  }

  async processSim(ctx: NodeContext): Promise<void> {
    const detector = detectorFor(this.#detectors, ctx.partition.freq, this.stage);
    const sigma = noiseSigmaFromDepth(detector.depthUkArcmin, this.#nside);
    const rng = new RandomState(ctx.seed);
    const map = whiteNoiseMap(this.#nside, sigma, rng);
    if (this.#fields === "I") {
      await ctx.output("noise_map").write(map);
      return;
    }
    // I first from the same seed, so the I map equals the temperature-only scenario's; then Q, U.
    const sigmaP = noiseSigmaFromDepth(this.#polDepths.get(detector.freq) ?? Math.SQRT2 * detector.depthUkArcmin, this.#nside);
    const maps = [map, whiteNoiseMap(this.#nside, sigmaP, rng), whiteNoiseMap(this.#nside, sigmaP, rng)];
    await ctx.output<LabelledMaps>("noise_map").write({ maps, ...(this.#units === undefined ? {} : { units: this.#units }) });
  }
}
