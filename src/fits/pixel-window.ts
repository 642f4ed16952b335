/**
 * HEALPix pixel window functions, read from the files of Debian's `healpy-data` package
 * (pixel_window_nNNNN.fits, which healpy 1.16's `pixwin` reads), not computed: for nside ≤ 128
 * HEALPix computed them by averaging every pixel's window, above that by extrapolation (the
 * files' HISTORY cards), which no formula here would reproduce to the last digit.
 *
 * | symbol | meaning                                                      | range            |
 * |--------|--------------------------------------------------------------|------------------|
 * | p^T_l  | temperature pixel window (column TEMPERATURE)                | l = 0 … 4·nside  |
 * | p^P_l  | polarisation pixel window (column POLARIZATION; 0 at l < 2)  | l = 0 … 4·nside  |
 */
import { access } from "node:fs/promises";
import { join } from "node:path";
import { checkNside } from "../healpix/nside.js";
import { FitsError } from "./errors.js";
import { readCl } from "./spectra.js";

/** Where Debian's healpy-data installs the window files. */
export const HEALPY_DATA_DIR = "/usr/share/healpy/data";

/** Options of {@link pixwin}. */
export interface PixwinOptions {
  /** Largest multipole returned; default 3·nside − 1, capped at the file's 4·nside (as healpy). */
  readonly lmax?: number;
  /** Folder holding pixel_window_nNNNN.fits; default {@link HEALPY_DATA_DIR}. */
  readonly dataDir?: string;
}

/** The window file of `nside` in `dataDir`. */
export function pixwinPath(nside: number, dataDir: string = HEALPY_DATA_DIR): string {
  return join(dataDir, `pixel_window_n${String(nside).padStart(4, "0")}.fits`);
}

/**
 * The pixel window of `nside` as healpy's `pixwin(nside, lmax=lmax)`: p^T_l for l ≤ lmax. RangeError
 * for a bad nside or lmax; FitsError naming the file when it is missing or malformed.
 */
export async function pixwin(nside: number, options?: PixwinOptions): Promise<Float64Array>;
/** With `pol`: [p^T, p^P] as healpy's `pixwin(nside, pol=True, lmax=lmax)`. */
export async function pixwin(nside: number, options: PixwinOptions & { readonly pol: true }): Promise<[Float64Array, Float64Array]>;
export async function pixwin(
  nside: number, options: PixwinOptions & { readonly pol?: boolean } = {},
): Promise<Float64Array | [Float64Array, Float64Array]> {
  checkNside(nside);
  const lmax = options.lmax ?? 3 * nside - 1;
  if (!Number.isInteger(lmax) || lmax < 0) throw new RangeError(`lmax must be a non-negative integer, got ${String(lmax)}`);
  const path = pixwinPath(nside, options.dataDir);
  try {
    await access(path);
  } catch {
    throw new FitsError(path, "bad-input", "pixel window file not found (install Debian's healpy-data, or pass dataDir)");
  }
  const { spectra, columnNames } = await readCl(path);
  if (spectra.length < 2 || columnNames[0] !== "TEMPERATURE" || columnNames[1] !== "POLARIZATION") {
    throw new FitsError(path, "bad-input", `expected columns TEMPERATURE, POLARIZATION, found ${columnNames.join(", ")}`);
  }
  const n = Math.min(lmax + 1, spectra[0]!.length);
  const t = spectra[0]!.slice(0, n);
  return options.pol === true ? [t, spectra[1]!.slice(0, n)] : t;
}
