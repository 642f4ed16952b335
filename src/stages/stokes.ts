/**
 * The scenario's Stokes fields (`scenario.map_fields`, CMB-ML's key) as the stages see them,
 * and reading map inputs as a list of fields whose count must match them.
 */
import type { ContextValue } from "../core/namer.js";
import type { InputAsset } from "../core/asset.js";
import { InputReadError } from "../core/asset.js";
import type { Cfg } from "../core/cfg.js";
import { ConfigKeyError } from "../core/cfg.js";
import type { MapArray } from "../fits/index.js";
import type { HealpyMapData } from "../handlers/healpy-map.js";
import type { MapFields } from "../handlers/map-fields.js";
import { FIELD_LETTERS, MAP_FIELDS_SPELLINGS, fieldCount, parseMapFields } from "../handlers/map-fields.js";

/** The six spectra of an IQU analysis, in healpy's anafast order. */
export const POL_SPECTRA = ["TT", "EE", "BB", "TE", "EB", "TB"] as const;

/**
 * `scenario.map_fields`: I (or T) or IQU. A configuration without the key is temperature-only,
 * as cmbflow was before polarisation, so older projects keep working unchanged.
 */
export function readMapFields(cfg: Cfg, stage: string): MapFields {
  const key = "scenario.map_fields";
  if (!cfg.has(key)) return "I";
  const value = cfg.get(key);
  const fields = parseMapFields(value);
  if (fields === undefined) throw new ConfigKeyError(key, stage, `must be ${MAP_FIELDS_SPELLINGS}, got ${JSON.stringify(value)}`);
  return fields;
}

/**
 * Reads a map input as one array per field, refusing a file with another number of fields than
 * the scenario's: a map made for another scenario is a problem of the data, named with its path.
 */
export async function readFields(
  input: InputAsset<HealpyMapData>,
  fields: MapFields,
  extra?: Readonly<Record<string, ContextValue>>,
): Promise<MapArray[]> {
  const data = await input.read(extra);
  const list: MapArray[] = ArrayBuffer.isView(data) ? [data] : Array.isArray(data) ? [...(data as readonly MapArray[])] : [...(data as { maps: readonly MapArray[] }).maps];
  const want = fieldCount(fields);
  if (list.length !== want) {
    throw new InputReadError(
      input.name,
      input.spec.stage,
      `${input.pathFor(extra)}: holds ${String(list.length)} map field${list.length === 1 ? "" : "s"} but scenario.map_fields is ${fields} (${String(want)}: ${FIELD_LETTERS[fields].join(", ")})`,
    );
  }
  const npix = list[0]!.length;
  list.forEach((m, k) => {
    if (m.length !== npix) throw new InputReadError(input.name, input.spec.stage, `${input.pathFor(extra)}: field ${String(k)} has ${String(m.length)} pixels, field 0 ${String(npix)}`);
  });
  return list;
}
