/**
 * NSIDE validation and pixel counts.
 *
 * | symbol | meaning                         | range            |
 * |--------|---------------------------------|------------------|
 * | nside  | HEALPix resolution parameter    | 2^k, 1 … 8192    |
 * | npix   | number of pixels, 12·nside²     | 12 … 805 306 368 |
 */

/** Largest NSIDE cmbflow supports (healpy's limit for pixel arithmetic in doubles is 2^29, ours is kept at 8192). */
export const MAX_NSIDE = 8192;

/** Pixel value healpy uses for "no data" (`hp.UNSEEN`). */
export const UNSEEN = -1.6375e30;

/** True when `nside` is a power of two between 1 and {@link MAX_NSIDE}. */
export function isValidNside(nside: number): boolean {
  return Number.isInteger(nside) && nside >= 1 && nside <= MAX_NSIDE && (nside & (nside - 1)) === 0;
}

/**
 * Throws a RangeError naming the bad value when `nside` is not a power of two in 1…8192.
 * Called at every public API boundary that takes an NSIDE.
 */
export function checkNside(nside: number): void {
  if (!isValidNside(nside)) {
    throw new RangeError(`nside must be a power of two between 1 and ${MAX_NSIDE}, got ${String(nside)}`);
  }
}

/** Number of pixels of a map of resolution `nside`: 12·nside². */
export function nside2npix(nside: number): number {
  checkNside(nside);
  return 12 * nside * nside;
}

/** NSIDE of a full-sky map with `npix` pixels; throws when `npix` is not 12·nside² for a valid nside. */
export function npix2nside(npix: number): number {
  const nside = Math.round(Math.sqrt(npix / 12));
  if (!isValidNside(nside) || 12 * nside * nside !== npix) {
    throw new RangeError(`${String(npix)} is not a valid HEALPix pixel count (12·nside² with nside a power of two ≤ ${MAX_NSIDE})`);
  }
  return nside;
}
