/**
 * make_obs: the CMB map smoothed by each detector's Gaussian beam, plus that detector's noise;
 * for map_fields: IQU, I, Q and U smoothed together with the spin-2 polarisation beam (healpy's
 * `smoothing(pol=True)`), each plus its own noise field.
 */
import type { Cfg } from "../core/cfg.js";
import type { NodeContext } from "../core/executor.js";
import { BaseStageExecutor } from "../core/executor.js";
import type { MapArray } from "../fits/index.js";
import type { HealpyMapData, LabelledMaps } from "../handlers/healpy-map.js";
import type { MapFields } from "../handlers/map-fields.js";
import { smoothing, smoothingPol } from "../healpix/smoothing.js";
import type { Detector } from "./detectors.js";
import { detectorFor, readDetectors } from "./detectors.js";
import { readFields, readMapFields } from "./stokes.js";

/** obs = smoothing(cmb, fwhm) + noise, per simulation and frequency. */
export class MakeObsExecutor extends BaseStageExecutor {
  readonly #lmax: number;
  readonly #detectors: ReadonlyMap<string, Detector>;
  readonly #fields: MapFields;
  readonly #units: string | undefined;

  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#lmax = cfg.integer("scenario.lmax");
    this.#detectors = readDetectors(cfg, this.def.freqs);
    this.#fields = readMapFields(cfg, stage);
    this.#units = this.#fields === "IQU" && cfg.has("scenario.units") ? cfg.string("scenario.units") : undefined;
  }

  async processSim(ctx: NodeContext): Promise<void> {
    const detector = detectorFor(this.#detectors, ctx.partition.freq, this.stage);
    const cmb = await readFields(ctx.input<HealpyMapData>("cmb_map"), this.#fields);
    const noise = await readFields(ctx.input<HealpyMapData>("noise_map"), this.#fields);
    const npix = [cmb[0]!.length, noise[0]!.length];
    if (npix[0] !== npix[1]) {
      throw new Error(`cmb_map has ${String(npix[0])} pixels but noise_map has ${String(npix[1])}: were they made with the same nside?`);
    }
    const smoothed: Float64Array[] =
      this.#fields === "I"
        ? [smoothing(Float64Array.from(cmb[0]!), detector.fwhmRad, { lmax: this.#lmax })]
        : [...smoothingPol([cmb[0]!, cmb[1]!, cmb[2]!].map((m) => Float64Array.from(m)) as [Float64Array, Float64Array, Float64Array], detector.fwhmRad, { lmax: this.#lmax })];
    smoothed.forEach((obs, f) => addInto(obs, noise[f]!));
    if (this.#fields === "I") {
      await ctx.output("obs_map").write(smoothed[0]!);
      return;
    }
    await ctx.output<LabelledMaps>("obs_map").write({ maps: smoothed, ...(this.#units === undefined ? {} : { units: this.#units }) });
  }
}

function addInto(obs: Float64Array, noise: MapArray): void {
  for (let p = 0; p < obs.length; p++) obs[p] = (obs[p] ?? 0) + (noise[p] ?? 0);
}
