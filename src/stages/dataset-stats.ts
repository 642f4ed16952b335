/**
 * get_dataset_stats: per frequency, min, max, mean and std of the observed maps over the
 * training split; for map_fields: IQU, per frequency and Stokes field (I, Q, U). A reduction:
 * `scan` accumulates each simulation's maps (cached per sim, so adding sims scans only the new
 * ones), `sift` merges the accumulators.
 */
import type { Cfg } from "../core/cfg.js";
import type { NodeContext, ScanResult } from "../core/executor.js";
import { BaseStageExecutor } from "../core/executor.js";
import type { HealpyMapData } from "../handlers/healpy-map.js";
import type { MapFields } from "../handlers/map-fields.js";
import { FIELD_LETTERS } from "../handlers/map-fields.js";
import type { StatsAccumulator } from "../healpix/stats.js";
import { accumulateStats, emptyStats, finalizeStats, mergeStats } from "../healpix/stats.js";
import { readFields, readMapFields } from "./stokes.js";

/** Per-frequency accumulators of one simulation, one per field. */
type SimStats = Record<string, StatsAccumulator[]>;

/** Dataset statistics of the observed maps, per frequency (and field). */
export class DatasetStatsExecutor extends BaseStageExecutor {
  readonly #freqs: readonly string[];
  readonly #fields: MapFields;

  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#freqs = this.def.freqs ?? [];
    if (this.#freqs.length === 0) throw new Error(`stage "${stage}" needs a freqs list`);
    this.#fields = readMapFields(cfg, stage);
  }

  async scan(ctx: NodeContext): Promise<SimStats> {
    const out: SimStats = {};
    for (const freq of this.#freqs) {
      const maps = await readFields(ctx.input<HealpyMapData>("obs_maps"), this.#fields, { freq });
      out[freq] = maps.map((map) => accumulateStats(emptyStats(), map));
    }
    return out;
  }

  async sift(results: readonly ScanResult<unknown>[], ctx: NodeContext): Promise<void> {
    const letters = FIELD_LETTERS[this.#fields];
    const summary: Record<string, unknown> = {};
    for (const freq of this.#freqs) {
      const perField = letters.map((_letter, f) => {
        let acc = emptyStats();
        for (const r of results) {
          const sim = (r.value as SimStats)[freq]?.[f];
          if (sim !== undefined) acc = mergeStats(acc, sim);
        }
        return { ...finalizeStats(acc) };
      });
      // Temperature-only statistics keep their flat layout; IQU ones are keyed by field.
      summary[freq] = this.#fields === "I" ? perField[0] : Object.fromEntries(letters.map((letter, f) => [letter, perField[f]]));
    }
    await ctx.output("dataset_stats").write({ n_sims: results.length, splits: this.splits.map((s) => s.name), stats: summary });
  }
}
