/** get_map_min_max (CMB-ML's tutorial): the smallest and largest value of each simulation's map, as a table. */
import type { NodeContext, ScanResult } from "../core/executor.js";
import { BaseStageExecutor } from "../core/executor.js";
import type { MapArray } from "../fits/index.js";
import type { CsvTableData } from "../handlers/csv-table.js";
import { mapStats } from "../healpix/stats.js";

/** One row per simulation: split, sim, min, max. */
export class MapMinMaxExecutor extends BaseStageExecutor {
  async scan(ctx: NodeContext): Promise<{ min: number; max: number }> {
    const stats = mapStats(await ctx.input<MapArray>("cmb_map").read());
    return { min: stats.min, max: stats.max };
  }

  async sift(results: readonly ScanResult<unknown>[], ctx: NodeContext): Promise<void> {
    const rows = results.map((r) => {
      const v = r.value as { min: number; max: number };
      return [r.partition.split ?? "", r.partition.sim ?? 0, v.min, v.max];
    });
    await ctx.output<CsvTableData>("min_max").write({ columns: ["split", "sim", "min", "max"], rows });
  }
}
