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

/**
 * Draws correlated (T, E, B) a_lm as healpy's `np.random.seed(s); hp.synalm(cls, lmax, new=True)`
 * with `rng = new RandomState(s)`. `cls` are in healpy's new (diagonal) order TT, EE, BB, TE, EB,
 * TB; given 4 spectra, EB = TB = 0.
 *
 * healpy's draw order, checked by experiment: for each field in turn (T, E, B) the normals of
 * {@link synalm} (all real parts, then all imaginary parts, 2·size per field); then per l the
 * lower Cholesky factor L of the covariance [[TT, TE, TB], [TE, EE, EB], [TB, EB, BB]] mixes them:
 * a_i = Σ_j L_ij g_j, with g = g_re (m = 0) or (g_re + i g_im)/√2 (m > 0). A pivot ≤ 0 (e.g.
 * EE = 0 at l < 2, or a covariance that is not positive definite) gives a zero column, as in
 * healpy.
 * @param cls four or six spectra from l = 0; entries past a spectrum's end count as 0; non-finite
 *   values are a RangeError
 * @param lmax largest multipole (mmax = lmax)
 * @param rng advanced by exactly 6·(lmax+1)(lmax+2)/2 normals
 * @returns interleaved complex [T, E, B] in healpy's layout
 */
export function synalmPol(cls: readonly ArrayLike<number>[], lmax: number, rng: RandomState): [Float64Array, Float64Array, Float64Array] {
  if (cls.length !== 4 && cls.length !== 6) {
    throw new RangeError(`synalmPol needs 4 (TT, EE, BB, TE) or 6 (… EB, TB) spectra, got ${String(cls.length)}`);
  }
  checkLmax(lmax);
  const size = almSize(lmax);
  const g = [0, 1, 2].map(() => {
    const a = new Float64Array(2 * size);
    rng.fillStandardNormal(a, 0, 2, size);
    rng.fillStandardNormal(a, 1, 2, size);
    return a;
  });
  const at = (spec: number, l: number): number => {
    const c = cls[spec];
    if (c === undefined || l >= c.length) return 0;
    const v = c[l]!;
    if (!Number.isFinite(v)) throw new RangeError(`cls[${String(spec)}][${String(l)}] must be finite, got ${String(v)}`);
    return v;
  };
  // L per l, row-major lower triangle: L00, L10, L11, L20, L21, L22.
  const chol = new Float64Array(6 * (lmax + 1));
  for (let l = 0; l <= lmax; l++) {
    const tt = at(0, l), ee = at(1, l), bb = at(2, l), te = at(3, l), eb = at(4, l), tb = at(5, l);
    const o = 6 * l;
    const d0 = tt;
    const l00 = d0 > 0 ? Math.sqrt(d0) : 0;
    const l10 = l00 > 0 ? te / l00 : 0;
    const l20 = l00 > 0 ? tb / l00 : 0;
    const d1 = ee - l10 * l10;
    const l11 = d1 > 0 ? Math.sqrt(d1) : 0;
    const l21 = l11 > 0 ? (eb - l20 * l10) / l11 : 0;
    const d2 = bb - l20 * l20 - l21 * l21;
    const l22 = d2 > 0 ? Math.sqrt(d2) : 0;
    chol.set([l00, l10, l11, l20, l21, l22], o);
  }
  const out: [Float64Array, Float64Array, Float64Array] = [new Float64Array(2 * size), new Float64Array(2 * size), new Float64Array(2 * size)];
  const [g0, g1, g2] = g as [Float64Array, Float64Array, Float64Array];
  for (let m = 0; m <= lmax; m++) {
    const k0 = almIndex(m, m, lmax) - m;
    for (let l = m; l <= lmax; l++) {
      const k = 2 * (k0 + l);
      const o = 6 * l;
      for (let part = 0; part < (m === 0 ? 1 : 2); part++) {
        const x0 = g0[k + part]!, x1 = g1[k + part]!, x2 = g2[k + part]!;
        let t = chol[o]! * x0;
        let e = chol[o + 1]! * x0 + chol[o + 2]! * x1;
        let b = chol[o + 3]! * x0 + chol[o + 4]! * x1 + chol[o + 5]! * x2;
        if (m > 0) {
          t /= Math.SQRT2;
          e /= Math.SQRT2;
          b /= Math.SQRT2;
        }
        out[0][k + part] = t;
        out[1][k + part] = e;
        out[2][k + part] = b;
      }
    }
  }
  return out;
}
