/**
 * mollview_sim, mollview_obs: Mollweide pictures of a simulation's maps, the first look a
 * cosmologist takes. The stage parameter `views` says which input each output draws and its
 * title:
 *
 *   views:
 *     cmb_view: {input: cmb_map, title: "CMB"}
 *     noise_view: {input: noise_map, title: "Noise {freq} GHz"}
 *
 * `{freq}` in a title is the node's frequency; a node without one (a stage whose outputs do not
 * run over {freq}) reads per-frequency inputs at the first of the stage's `freqs` — so
 * mollview_sim draws one noise map. `unit` (e.g. `${scenario.units}`) goes under the colour bar.
 * How the pictures look (cmap, range, graticule) is the Mollview asset's options.
 */
import type { Cfg } from "../core/cfg.js";
import type { NodeContext } from "../core/executor.js";
import { BaseStageExecutor } from "../core/executor.js";
import type { HealpyMapData } from "../handlers/healpy-map.js";
import type { MapFields } from "../handlers/map-fields.js";
import type { MollviewData } from "../handlers/mollview.js";
import { readFields, readMapFields } from "./stokes.js";

interface View {
  readonly output: string;
  readonly input: string;
  readonly title: string;
}

/** Draws each of the stage's `views`: one Mollview output from one map input. */
export class MollviewExecutor extends BaseStageExecutor {
  readonly #views: readonly View[];
  readonly #unit: string | undefined;
  readonly #firstFreq: string | undefined;
  readonly #fields: MapFields;

  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    const views = cfg.object(`pipeline.${stage}.views`);
    this.#views = Object.entries(views).map(([output, v]) => {
      const entry = typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
      const input = entry["input"];
      if (typeof input !== "string") throw new Error(`stage "${stage}": views.${output}.input must name an input asset, got ${JSON.stringify(input)}`);
      const title = entry["title"];
      return { output, input, title: typeof title === "string" ? title : input };
    });
    this.#unit = cfg.has(`pipeline.${stage}.unit`) ? cfg.string(`pipeline.${stage}.unit`) : undefined;
    this.#firstFreq = this.def.freqs?.[0];
    this.#fields = readMapFields(cfg, stage);
  }

  async processSim(ctx: NodeContext): Promise<void> {
    const freq = ctx.partition.freq ?? this.#firstFreq;
    const where = `${ctx.partition.split ?? ""} sim ${String(ctx.partition.sim ?? 0)}`.trim();
    for (const view of this.#views) {
      // The intensity (first) field: a picture per Stokes field is left to a stage of its own.
      const [map] = await readFields(ctx.input<HealpyMapData>(view.input), this.#fields, freq === undefined ? undefined : { freq });
      if (map === undefined) throw new Error(`stage "${this.stage}": input ${view.input} holds no map`);
      const title = `${view.title.replaceAll("{freq}", freq ?? "")}, ${where}`;
      const data: MollviewData = { map, title, ...(this.#unit === undefined ? {} : { unit: this.#unit }) };
      await ctx.output<MollviewData>(view.output).write(data);
    }
  }
}
