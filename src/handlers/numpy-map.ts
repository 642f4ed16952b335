/** `NumpyMap`: a map (or any array) as a `.npy` file, format 1.0, f4/f8, shape kept. See `npy.ts`. */
import { createNpyHandler } from "./npy.js";
import type { NpyHandler } from "./npy.js";

/** `NumpyMap`: reads `{data, shape}`; writes `{data, shape}` or a bare Float32Array/Float64Array as 1-D. */
export const NumpyMap: NpyHandler = createNpyHandler("NumpyMap");
