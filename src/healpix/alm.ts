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

/**
 * lmax and mmax of an interleaved complex alm array of `almLength` numbers: given, derived
 * from `mmax` and the size, or from the size alone (mmax = lmax). RangeError when the
 * length fits no layout or disagrees with the given lmax/mmax.
 */
export function almShape(almLength: number, lmax: number | undefined, mmax: number | undefined): [number, number] {
  if (!Number.isInteger(almLength / 2)) throw new RangeError(`alm length must be even (interleaved complex), got ${String(almLength)}`);
  const size = almLength / 2;
  let l: number;
  if (lmax !== undefined) l = lmax;
  else if (mmax !== undefined) {
    if (!Number.isInteger(mmax) || mmax < 0) throw new RangeError(`mmax must be a non-negative integer, got ${String(mmax)}`);
    l = (size - ((mmax + 1) * (mmax + 2)) / 2) / (mmax + 1) + mmax;
  } else l = lmaxFromSize(size);
  const mm = mmax ?? l;
  checkLmax(l, mm);
  const expected = almSize(l, mm);
  if (expected !== size) {
    throw new RangeError(`alm has ${String(size)} coefficients but lmax=${String(l)}, mmax=${String(mm)} needs ${String(expected)}`);
  }
  return [l, mm];
}
