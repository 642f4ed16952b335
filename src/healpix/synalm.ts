/**
 * Gaussian random harmonic coefficients with a given temperature power spectrum, drawn in the
 * same order from the same numpy-compatible stream as healpy's `synalm` (HEALPIX.md "synfast and
 * its random numbers").
 *
 * | symbol   | meaning                                              | range               |
 * |----------|------------------------------------------------------|---------------------|
 * | C_l      | angular power spectrum at multipole l (map units²)  | ≥ 0 used, else 0    |
 * | a_lm     | harmonic coefficient, complex                        |                     |
 * | g_re(k)  | k-th normal of the first pass (one per alm slot)     | N(0, 1)             |
 * | g_im(k)  | k-th normal of the second pass (one per alm slot)    | N(0, 1)             |
 * | k        | alm slot, healpy m-major order (alm.ts)              | 0 … size − 1        |
 *
 * a_l0 = √C_l·g_re (imaginary part 0, though g_im is still drawn for the slot);
 * a_lm = (√C_l·g_re + i·√C_l·g_im)/√2 for m > 0. E|a_lm|² = C_l. The order of the
 * operations, (√C_l·g)/√2, is healpy's: it makes the result bit-identical for identical normals.
 */
import { almIndex, almSize, checkLmax } from "./alm.js";
import type { RandomState } from "./rng.js";

/**
 * Draws a_lm for l ≤ lmax, m ≤ l, as healpy's `np.random.seed(s); hp.synalm(cl, lmax=lmax)`
 * would with `rng = new RandomState(s)`: 2·size normals, all real parts first (one per slot in
 * storage order, m = 0 slots included), then all imaginary parts.
 * @param cl C_l from l = 0; entries past `cl.length − 1` count as 0 (healpy reads unset memory
 *   there); C_l ≤ 0 gives a_lm = 0; non-finite values are a RangeError
 * @param lmax largest multipole, a non-negative integer (mmax = lmax)
 * @param rng the generator; advanced by exactly 2·(lmax+1)(lmax+2)/2 normals
 * @param out caller-owned buffer of 2·(lmax+1)(lmax+2)/2 doubles (interleaved re, im); default new
 * @returns `out`, interleaved complex a_lm in healpy's m-major layout
 */
export function synalm(cl: ArrayLike<number>, lmax: number, rng: RandomState, out?: Float64Array): Float64Array {
  checkLmax(lmax);
  const size = almSize(lmax);
  const alm = out ?? new Float64Array(2 * size);
  if (alm.length !== 2 * size) {
    throw new RangeError(`synalm output must hold 2·${String(size)} = ${String(2 * size)} doubles for lmax ${String(lmax)}, got ${String(alm.length)}`);
  }
  const sqrtCl = new Float64Array(lmax + 1);
  for (let l = 0; l <= lmax && l < cl.length; l++) {
    const c = cl[l]!;
    if (!Number.isFinite(c)) throw new RangeError(`cl[${String(l)}] must be finite, got ${String(c)}`);
    sqrtCl[l] = c > 0 ? Math.sqrt(c) : 0;
  }
  rng.fillStandardNormal(alm, 0, 2, size);
  rng.fillStandardNormal(alm, 1, 2, size);
  for (let l = 0; l <= lmax; l++) {
    const k = almIndex(l, 0, lmax);
    const s = sqrtCl[l]!;
    alm[2 * k] = s > 0 ? s * alm[2 * k]! : 0; // +0, not −0·g, where C_l ≤ 0
    alm[2 * k + 1] = 0;
  }
  for (let m = 1; m <= lmax; m++) {
    const k0 = almIndex(m, m, lmax) - m; // slot of (l, m) is k0 + l
    for (let l = m; l <= lmax; l++) {
      const s = sqrtCl[l]!;
      const k = k0 + l;
      if (s > 0) {
        alm[2 * k] = (s * alm[2 * k]!) / Math.SQRT2;
        alm[2 * k + 1] = (s * alm[2 * k + 1]!) / Math.SQRT2;
      } else {
        alm[2 * k] = 0;
        alm[2 * k + 1] = 0;
      }
    }
  }
  return alm;
}
