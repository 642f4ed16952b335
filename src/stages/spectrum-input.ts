/** Reading a spectrum asset as one C_l column. */
import type { TextSpectrum } from "../handlers/text-power-spectrum.js";

/** The first column of a text spectrum (C_l for l = 0, 1, …). */
export function spectrumColumn(spectrum: TextSpectrum): Float64Array {
  if (spectrum instanceof Float64Array) return spectrum;
  const first = spectrum.columns[0];
  if (first === undefined) throw new Error("the spectrum file has no columns");
  return first;
}
