/**
 * get_map_min_max (CMB-ML's tutorial): the smallest and largest value of each simulation's map,
 * as a table; for map_fields: IQU one row per simulation and Stokes field.
 */
import type { Cfg } from "../core/cfg.js";
import type { NodeContext, ScanResult } from "../core/executor.js";
import { BaseStageExecutor } from "../core/executor.js";
import type { CsvTableData } from "../handlers/csv-table.js";
import type { HealpyMapData } from "../handlers/healpy-map.js";
import type { MapFields } from "../handlers/map-fields.js";
import { FIELD_LETTERS } from "../handlers/map-fields.js";
import { mapStats } from "../healpix/stats.js";
import { readFields, readMapFields } from "./stokes.js";

/** One row per simulation (and field): split, sim, [field,] min, max. */
export class MapMinMaxExecutor extends BaseStageExecutor {
  readonly #fields: MapFields;

  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#fields = readMapFields(cfg, stage);
  }

  async scan(ctx: NodeContext): Promise<{ min: number; max: number }[]> {
    const maps = await readFields(ctx.input<HealpyMapData>("cmb_map"), this.#fields);
    return maps.map((map) => {
      const stats = mapStats(map);
      return { min: stats.min, max: stats.max };
    });
  }

  async sift(results: readonly ScanResult<unknown>[], ctx: NodeContext): Promise<void> {
    const letters = FIELD_LETTERS[this.#fields];
    const rows = results.flatMap((r) =>
      (r.value as { min: number; max: number }[]).map((v, f) =>
        this.#fields === "I" ? [r.partition.split ?? "", r.partition.sim ?? 0, v.min, v.max] : [r.partition.split ?? "", r.partition.sim ?? 0, letters[f] ?? "", v.min, v.max],
      ),
    );
    const columns = this.#fields === "I" ? ["split", "sim", "min", "max"] : ["split", "sim", "field", "min", "max"];
    await ctx.output<CsvTableData>("min_max").write({ columns, rows });
  }
}
