/**
 * Which Stokes fields a map file holds, as CMB-ML's `scenario.map_fields` names them: `I`
 * (temperature only; `T` is accepted as its older spelling, which cmbflow's default scenarios
 * use in dataset names) or `IQU` (temperature and linear polarisation).
 */

/** The field sets cmbflow simulates and analyses. */
export type MapFields = "I" | "IQU";

/** Field letters of each set, in file column order. */
export const FIELD_LETTERS: Readonly<Record<MapFields, readonly ("I" | "Q" | "U")[]>> = {
  I: ["I"],
  IQU: ["I", "Q", "U"],
};

/** The spellings accepted, for messages. */
export const MAP_FIELDS_SPELLINGS = "I (or T) or IQU";

/** The field set `value` names, or `undefined` when it names none. */
export function parseMapFields(value: unknown): MapFields | undefined {
  if (value === "I" || value === "T") return "I";
  if (value === "IQU") return "IQU";
  return undefined;
}

/** Number of maps of a field set. */
export function fieldCount(fields: MapFields): number {
  return FIELD_LETTERS[fields].length;
}
