/**
 * RING-scheme iso-latitude ring geometry (HEALPIX.md "Pixelisation").
 *
 * | symbol | meaning                                          | range                 |
 * |--------|--------------------------------------------------|-----------------------|
 * | r      | ring number, north to south (0-based here)       | 0 … 4·nside − 2       |
 * | i      | northern-mirror ring index (1-based, HEALPix)    | 1 … 2·nside           |
 * | z      | cos θ of the ring                                 | (−1, 1)               |
 * | nphi   | pixels in the ring                                | 4i (caps), 4·nside    |
 * | phi0   | longitude of the ring's first pixel (radians)    | [0, π/4]              |
 */
import { checkNside } from "./nside.js";

/** Geometry of every ring of a RING-ordered map, as parallel typed arrays indexed by 0-based ring number. */
export interface RingInfo {
  readonly nside: number;
  readonly nrings: number;
  /** cos θ of each ring. */
  readonly cosTheta: Float64Array;
  /** sin θ of each ring (computed stably near the poles). */
  readonly sinTheta: Float64Array;
  /** Number of pixels in each ring. */
  readonly nphi: Int32Array;
  /** Longitude of each ring's first pixel, radians. */
  readonly phi0: Float64Array;
  /** RING index of each ring's first pixel (exact: below 2^53 for every supported nside). */
  readonly firstPixel: Float64Array;
}

/** Ring geometry for `nside` (validated). O(nside) time and memory. */
export function ringInfo(nside: number): RingInfo {
  checkNside(nside);
  const nrings = 4 * nside - 1;
  const npix = 12 * nside * nside;
  const cosTheta = new Float64Array(nrings);
  const sinTheta = new Float64Array(nrings);
  const nphi = new Int32Array(nrings);
  const phi0 = new Float64Array(nrings);
  const firstPixel = new Float64Array(nrings);
  for (let r = 0; r < nrings; r++) {
    const ring = r + 1; // HEALPix's 1-based ring number
    const north = ring <= 2 * nside;
    const i = north ? ring : 4 * nside - ring;
    let z: number;
    let s: number;
    let n: number;
    let p0: number;
    let first: number;
    if (i < nside) {
      // Polar cap: z = 1 − t with t = 4i²/npix, and sinθ = √(t(2 − t)) avoids cancellation near the pole.
      const t = (4 * i * i) / npix;
      z = 1 - t;
      s = Math.sqrt(t * (2 - t));
      n = 4 * i;
      p0 = Math.PI / (4 * i);
      first = 2 * i * (i - 1);
    } else {
      z = (4 / 3) - (2 * i) / (3 * nside);
      s = Math.sqrt((1 - z) * (1 + z));
      n = 4 * nside;
      p0 = (i - nside) % 2 === 0 ? Math.PI / (4 * nside) : 0;
      first = 2 * nside * (nside - 1) + (i - nside) * 4 * nside;
    }
    if (!north) {
      z = -z;
      first = npix - first - n;
    }
    cosTheta[r] = z;
    sinTheta[r] = s;
    nphi[r] = n;
    phi0[r] = p0;
    firstPixel[r] = first;
  }
  return { nside, nrings, cosTheta, sinTheta, nphi, phi0, firstPixel };
}
