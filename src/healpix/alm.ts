/**
 * Spherical-harmonic coefficient layout, healpy's m-major order (HEALPIX.md "Spherical harmonics").
 *
 * | symbol | meaning                          | range           |
 * |--------|----------------------------------|-----------------|
 * | l      | multipole                        | 0 … lmax        |
 * | m      | azimuthal order                  | 0 … min(l,mmax) |
 * | lmax   | largest multipole stored         | ≥ 0             |
 * | mmax   | largest m stored (default lmax)  | 0 … lmax        |
 *
 * Complex alm are stored interleaved: `re = a[2k]`, `im = a[2k+1]` with k = almIndex(l, m, lmax).
 */

/** Index of (l, m) in healpy's layout: m(2·lmax + 1 − m)/2 + l. */
export function almIndex(l: number, m: number, lmax: number): number {
  return (m * (2 * lmax + 1 - m)) / 2 + l;
}

/** Number of complex coefficients for (lmax, mmax = lmax): (lmax+1)(lmax+2)/2; with mmax < lmax the general formula. */
export function almSize(lmax: number, mmax: number = lmax): number {
  checkLmax(lmax, mmax);
  return ((mmax + 1) * (mmax + 2)) / 2 + (mmax + 1) * (lmax - mmax);
}

/** lmax of an alm array of `size` complex coefficients with mmax = lmax; throws when `size` fits no lmax. */
export function lmaxFromSize(size: number): number {
  const lmax = Math.round((Math.sqrt(1 + 8 * size) - 3) / 2);
  if (lmax < 0 || ((lmax + 1) * (lmax + 2)) / 2 !== size) {
    throw new RangeError(`${String(size)} is not a valid alm size (lmax+1)(lmax+2)/2`);
  }
  return lmax;
}

/** Throws a RangeError unless 0 ≤ mmax ≤ lmax are integers. */
export function checkLmax(lmax: number, mmax: number = lmax): void {
  if (!Number.isInteger(lmax) || lmax < 0) throw new RangeError(`lmax must be a non-negative integer, got ${String(lmax)}`);
  if (!Number.isInteger(mmax) || mmax < 0 || mmax > lmax) {
    throw new RangeError(`mmax must be an integer in 0…lmax (${String(lmax)}), got ${String(mmax)}`);
  }
}
