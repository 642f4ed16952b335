/** Reading a spectrum asset as one C_l column. */
import type { InputAsset } from "../core/asset.js";
import { InputReadError } from "../core/asset.js";
import type { TextSpectrum } from "../handlers/text-power-spectrum.js";

/**
 * The first column of a text spectrum (C_l for l = 0, 1, …). An empty file is a problem of
 * the data, named with its path, not a failure deep inside the transform that uses it.
 */
export async function readSpectrumColumn(input: InputAsset<TextSpectrum>): Promise<Float64Array> {
  const spectrum = await input.read();
  const column = spectrum instanceof Float64Array ? spectrum : spectrum.columns[0];
  if (column === undefined || column.length === 0) throw new InputReadError(input.name, input.spec.stage, `${input.path}: holds no values`);
  return column;
}

/**
 * The first `count` columns of a text spectrum (e.g. TT, EE, BB, TE for an IQU scenario); a file
 * with fewer columns was made for another scenario and is refused with its path.
 */
export async function readSpectrumColumns(input: InputAsset<TextSpectrum>, count: number): Promise<Float64Array[]> {
  const spectrum = await input.read();
  const columns = spectrum instanceof Float64Array ? [spectrum] : [...spectrum.columns];
  if (columns.length < count || (columns[0]?.length ?? 0) === 0) {
    throw new InputReadError(
      input.name,
      input.spec.stage,
      `${input.path}: holds ${String(columns.length)} spectrum column${columns.length === 1 ? "" : "s"}, but scenario.map_fields: IQU needs ${String(count)} (TT, EE, BB, TE)`,
    );
  }
  return columns.slice(0, count);
}
