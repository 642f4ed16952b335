/**
 * get_dataset_stats: per frequency, min, max, mean and std of the observed maps over the
 * training split. A reduction: `scan` accumulates each simulation's maps (cached per sim, so
 * adding sims scans only the new ones), `sift` merges the accumulators.
 */
import type { Cfg } from "../core/cfg.js";
import type { NodeContext, ScanResult } from "../core/executor.js";
import { BaseStageExecutor } from "../core/executor.js";
import type { MapArray } from "../fits/index.js";
import type { StatsAccumulator } from "../healpix/stats.js";
import { accumulateStats, emptyStats, finalizeStats, mergeStats } from "../healpix/stats.js";

/** Per-frequency accumulators of one simulation. */
type SimStats = Record<string, StatsAccumulator>;

/** Dataset statistics of the observed maps, per frequency. */
export class DatasetStatsExecutor extends BaseStageExecutor {
  readonly #freqs: readonly string[];

  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#freqs = this.def.freqs ?? [];
    if (this.#freqs.length === 0) throw new Error(`stage "${stage}" needs a freqs list`);
  }

  async scan(ctx: NodeContext): Promise<SimStats> {
    const out: SimStats = {};
    for (const freq of this.#freqs) {
      const map = await ctx.input<MapArray>("obs_maps").read({ freq });
      out[freq] = accumulateStats(emptyStats(), map);
    }
    return out;
  }

  async sift(results: readonly ScanResult<unknown>[], ctx: NodeContext): Promise<void> {
    const summary: Record<string, unknown> = {};
    for (const freq of this.#freqs) {
      let acc = emptyStats();
      for (const r of results) {
        const sim = (r.value as SimStats)[freq];
        if (sim !== undefined) acc = mergeStats(acc, sim);
      }
      summary[freq] = { ...finalizeStats(acc) };
    }
    await ctx.output("dataset_stats").write({ n_sims: results.length, splits: this.splits.map((s) => s.name), stats: summary });
  }
}
