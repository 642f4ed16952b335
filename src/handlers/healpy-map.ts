/**
 * HealpyMap: HEALPix maps in FITS, as healpy's read_map / write_map (src/fits).
 *
 * Options from the asset's YAML entry (all optional):
 *   field          column(s) to read: a number (default 0), a list, or "all"
 *   dtype          float32 | float64: element type to read as and to write (default: as given)
 *   column_names   TTYPEn names to write
 *   column_units   TUNITn unit(s) to write, e.g. uK_CMB
 *   coord          COORDSYS to write, e.g. G
 *   nest           NESTED ordering (read returns NESTED, write labels the data NESTED)
 *
 * `read` returns one typed array for a single field and an array of them for a list or "all".
 */
import type { MapArray } from "../fits/index.js";
import { FitsError, readMap, writeMap } from "../fits/index.js";
import type { AssetHandler, HandlerOptions } from "./handler.js";
import { HandlerError } from "./handler.js";

/** A map, or several maps (fields) of the same nside. */
export type HealpyMapData = MapArray | readonly MapArray[];

function fieldOption(options: HandlerOptions | undefined): number | readonly number[] | "all" {
  const field = options?.["field"];
  if (field === undefined || field === null) return 0;
  if (field === "all") return "all";
  if (typeof field === "number") return field;
  if (Array.isArray(field) && field.every((f) => typeof f === "number")) return field;
  throw new Error(`HealpyMap option "field" must be a number, a list of numbers or "all", got ${JSON.stringify(field)}`);
}

function dtypeOption(options: HandlerOptions | undefined): "float32" | "float64" | undefined {
  const dtype = options?.["dtype"];
  if (dtype === undefined || dtype === null) return undefined;
  if (dtype === "float32" || dtype === "float64") return dtype;
  throw new Error(`HealpyMap option "dtype" must be float32 or float64, got ${JSON.stringify(dtype)}`);
}

function stringList(value: unknown, name: string): string | readonly string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value;
  throw new Error(`HealpyMap option "${name}" must be a string or a list of strings, got ${JSON.stringify(value)}`);
}

/** The HealpyMap handler. */
export const HealpyMap: AssetHandler<HealpyMapData> = {
  name: "HealpyMap",

  async read(path, options) {
    const field = fieldOption(options);
    const dtype = dtypeOption(options);
    try {
      const map = await readMap(path, { field, nest: options?.["nest"] === true, ...(dtype === undefined ? {} : { dtype }) });
      return typeof field === "number" ? (map.fields[0] as MapArray) : map.fields;
    } catch (caught) {
      if (caught instanceof FitsError) throw new HandlerError(path, caught.detail);
      throw caught;
    }
  },

  async write(path, data, options) {
    const given: readonly MapArray[] = ArrayBuffer.isView(data) ? [data] : (data);
    const maps = given.map((m, i) => {
      if (m instanceof Float32Array || m instanceof Float64Array || m instanceof Int16Array || m instanceof Int32Array || m instanceof Uint8Array) return m;
      throw new HandlerError(path, `map ${String(i)} is a ${m.constructor.name}; HealpyMap writes Float32Array, Float64Array, Int16Array, Int32Array or Uint8Array`);
    });
    const dtype = dtypeOption(options);
    const names = stringList(options?.["column_names"], "column_names");
    const units = stringList(options?.["column_units"], "column_units");
    const coord = options?.["coord"];
    await writeMap(path, maps.length === 1 ? (maps[0] ?? []) : maps, {
      nest: options?.["nest"] === true,
      ...(names === undefined ? {} : { columnNames: typeof names === "string" ? [names] : names }),
      ...(units === undefined ? {} : { columnUnits: units }),
      ...(dtype === undefined ? {} : { dtype }),
      ...(typeof coord === "string" ? { coord } : {}),
      overwrite: true,
      // The Asset writes to a temporary path and renames it into place itself.
      atomic: false,
    });
  },
};
