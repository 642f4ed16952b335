/** `NumpyPowerSpectrum`: a power spectrum (1-D, or 2-D for several spectra) as a `.npy` file. See `npy.ts`. */
import { createNpyHandler } from "./npy.js";
import type { NpyHandler } from "./npy.js";

/** `NumpyPowerSpectrum`: reads `{data, shape}`; writes `{data, shape}` or a bare Float32Array/Float64Array as 1-D. */
export const NumpyPowerSpectrum: NpyHandler = createNpyHandler("NumpyPowerSpectrum");
