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
 *   fields         I (or T) | IQU: the Stokes fields the file holds (CMB-ML's map_fields). Read
 *                  returns that many maps as a list and refuses a file with another number of map
 *                  columns; write refuses another number of maps. Not together with `field`.
 *
 * `read` returns one typed array for a single field and an array of them for a list, "all" or `fields`.
 * `write` takes a map, a list of maps, or {@link LabelledMaps} (maps with their TUNITn units,
 * so a stage can label its maps with the scenario's unit).
 */
import type { MapArray } from "../fits/index.js";
import { FitsError, readMap, writeMap } from "../fits/index.js";
import type { AssetHandler, HandlerOptions } from "./handler.js";
import { HandlerError } from "./handler.js";
import type { MapFields } from "./map-fields.js";
import { FIELD_LETTERS, MAP_FIELDS_SPELLINGS, fieldCount, parseMapFields } from "./map-fields.js";
import { reportedPath } from "./plain-text.js";

/** Maps with the TUNITn unit of each (one string for all). */
export interface LabelledMaps {
  readonly maps: readonly MapArray[];
  readonly units?: string | readonly string[];
}

/** A map, several maps (fields) of the same nside, or maps with their units. */
export type HealpyMapData = MapArray | readonly MapArray[] | LabelledMaps;

/** The `fields` option; a bad value is a problem of the asset's entry, reported against the file it was used for. */
function fieldsOption(options: HandlerOptions | undefined, path: string): { readonly fields: MapFields; readonly written: string } | undefined {
  const value = options?.["fields"];
  if (value === undefined || value === null) return undefined;
  const fields = parseMapFields(value);
  if (fields === undefined) throw new HandlerError(path, `HealpyMap option "fields" must be ${MAP_FIELDS_SPELLINGS}, got ${JSON.stringify(value)}`);
  if (options?.["field"] !== undefined && options["field"] !== null) {
    throw new HandlerError(path, `HealpyMap options "field" and "fields" cannot be given together (fields: ${fields} already says which columns to read)`);
  }
  // Messages quote the value as the configuration spells it (T stays T).
  return { fields, written: typeof value === "string" ? value : fields };
}

function describeFields(fields: MapFields): string {
  const n = fieldCount(fields);
  return `${String(n)} map${n === 1 ? "" : "s"} (${FIELD_LETTERS[fields].join(", ")})`;
}

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
    const given = fieldsOption(options, path);
    const fields = given?.fields;
    const field = fields === undefined ? fieldOption(options) : "all";
    const dtype = dtypeOption(options);
    try {
      const map = await readMap(path, { field, nest: options?.["nest"] === true, ...(dtype === undefined ? {} : { dtype }) });
      if (fields !== undefined && map.fields.length !== fieldCount(fields)) {
        const n = map.fields.length;
        throw new HandlerError(
          path,
          `holds ${String(n)} map column${n === 1 ? "" : "s"} (${map.columnNames.join(", ")}) but fields: ${given?.written ?? fields} expects ${describeFields(fields)}`,
        );
      }
      return typeof field === "number" ? (map.fields[0] as MapArray) : map.fields;
    } catch (caught) {
      if (caught instanceof FitsError) throw new HandlerError(path, caught.detail);
      throw caught;
    }
  },

  async write(path, data, options) {
    const labelled = isLabelled(data) ? data : undefined;
    const given: readonly MapArray[] = labelled ? labelled.maps : ArrayBuffer.isView(data) ? [data] : (data as readonly MapArray[]);
    const fields = fieldsOption(options, reportedPath(path, options));
    if (fields !== undefined && given.length !== fieldCount(fields.fields)) {
      throw new HandlerError(reportedPath(path, options), `fields: ${fields.written} expects ${describeFields(fields.fields)}, but ${String(given.length)} map${given.length === 1 ? " was" : "s were"} given`);
    }
    const maps = given.map((m, i) => {
      if (m instanceof Float32Array || m instanceof Float64Array || m instanceof Int16Array || m instanceof Int32Array || m instanceof Uint8Array) return m;
      throw new HandlerError(path, `map ${String(i)} is a ${m.constructor.name}; HealpyMap writes Float32Array, Float64Array, Int16Array, Int32Array or Uint8Array`);
    });
    const dtype = dtypeOption(options);
    const names = stringList(options?.["column_names"], "column_names");
    const units = labelled?.units ?? stringList(options?.["column_units"], "column_units");
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

function isLabelled(data: HealpyMapData): data is LabelledMaps {
  return !ArrayBuffer.isView(data) && !Array.isArray(data) && typeof data === "object" && "maps" in data;
}
