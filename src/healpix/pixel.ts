/**
 * HEALPix pixel geometry: pixel ↔ angle in RING and NESTED order, and RING ↔ NESTED
 * renumbering (Górski et al. 2005, ApJ 622, 759; HEALPIX.md "Pixelisation").
 *
 * | symbol | meaning                                                        | range                      |
 * |--------|----------------------------------------------------------------|----------------------------|
 * | nside  | resolution parameter                                           | 2^k, 1 … 8192              |
 * | npix   | pixel count, 12·nside²                                         | 12 … 805 306 368           |
 * | ncap   | pixels in the north polar cap, 2·nside(nside − 1)              | 0 … 134 201 344            |
 * | θ, φ   | colatitude and longitude of a pixel centre (radians)           | θ ∈ [0, π], φ ∈ [0, 2π)    |
 * | z      | cos θ                                                          | [−1, 1]                    |
 * | jr     | ring number, north to south, 1-based                           | 1 … 4·nside − 1            |
 * | nr     | distance of ring jr from the nearer pole in rings (caps), nside in the belt | 1 … nside     |
 * | jp     | position of a pixel in its ring, 1-based, increasing with φ    | 1 … 4·nr                   |
 * | f      | base face: 0–3 north, 4–7 equatorial, 8–11 south               | 0 … 11                     |
 * | ix, iy | face-local coordinates; ix along the face's south-east edge    | 0 … nside − 1              |
 * | row(f) | ring number of face f's southern corner in units of nside       | 2, 3, 4                    |
 * | col(f) | longitude of face f's centre in units of π/4                    | 0 … 7                      |
 *
 * A face-local NESTED index is the bit interleaving of ix (even bits) and iy (odd bits):
 * below nside² ≤ 2^26, so 32-bit bit operations are safe on it. Face offsets f·nside² and
 * RING indices are kept in ordinary (double) arithmetic, exact below 2^53.
 *
 * A pixel centre of face f sits on ring jr = row(f)·nside − ix − iy − 1 at
 * jp = (col(f)·nr + ix − iy + 1 + s)/2 (mod 4·nside), with s = 1 on belt rings whose first pixel
 * lies at φ = 0 (jr − nside odd) and 0 elsewhere, and at φ = (jp − (1 + s)/2)·π/(2·nr).
 */
import { checkNside, npix2nside } from "./nside.js";

/** Pixel numbering scheme of a HEALPix map. */
export type Ordering = "RING" | "NESTED";

/** Colatitude θ ∈ [0, π] and longitude φ ∈ [0, 2π) of a point, radians. */
export interface Angles {
  readonly theta: number;
  readonly phi: number;
}

/** Typed arrays a map can be reordered in (every element type that holds a JavaScript number). */
export type PixelArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

const HALF_PI = Math.PI / 2;
const TWO_PI = 2 * Math.PI;
const INV_HALF_PI = 2 / Math.PI;

/** row(f): ring number of each face's southern corner in units of nside. */
const FACE_ROW = Int32Array.of(2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4);
/** col(f): longitude of each face's centre in units of π/4. */
const FACE_COL = Int32Array.of(1, 3, 5, 7, 0, 2, 4, 6, 1, 3, 5, 7);

/** Scratch outputs of the internal decompositions (single-threaded per module instance; no allocation per pixel). */
const ringPos = new Float64Array(2); // [jr, jp]
const faceXY = new Int32Array(3); // [f, ix, iy]
const scalarTheta = new Float64Array(1);
const scalarPhi = new Float64Array(1);

/** Spreads the low 16 bits of x to the even bit positions (x < 2^13 here, result < 2^26). */
function spreadBits(x: number): number {
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  return (x | (x << 1)) & 0x55555555;
}

/** Collects the even bits of v (v < 2^26 here) into a contiguous integer. */
function compactBits(v: number): number {
  let x = v & 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  return (x | (x >>> 8)) & 0x0000ffff;
}

function checkPixel(nside: number, ipix: number): void {
  const npix = 12 * nside * nside;
  if (!Number.isInteger(ipix) || ipix < 0 || ipix >= npix) {
    throw new RangeError(
      `pixel index ${String(ipix)} is out of range for nside ${String(nside)} (must be an integer in 0…${String(npix - 1)})`,
    );
  }
}

function checkOrdering(ordering: string): void {
  if (ordering !== "RING" && ordering !== "NESTED") {
    throw new RangeError(`ordering must be "RING" or "NESTED", got ${JSON.stringify(ordering)}`);
  }
}

/** Ring of a polar-cap pixel counted from its pole: the i with 2i(i−1) ≤ q < 2i(i+1). */
function capRing(q: number): number {
  let i = Math.floor((1 + Math.sqrt(1 + 2 * q)) / 2);
  // Guard against a rounded square root at a ring boundary.
  if (2 * i * (i - 1) > q) i--;
  else if (2 * i * (i + 1) <= q) i++;
  return i;
}

/** RING index → ringPos = [jr, jp]. */
function ringDecompose(nside: number, p: number): void {
  const ncap = 2 * nside * (nside - 1);
  const npix = 12 * nside * nside;
  if (p < ncap) {
    const i = capRing(p);
    ringPos[0] = i;
    ringPos[1] = p - 2 * i * (i - 1) + 1;
  } else if (p < npix - ncap) {
    const q = p - ncap;
    const k = Math.floor(q / (4 * nside));
    ringPos[0] = k + nside;
    ringPos[1] = q - k * 4 * nside + 1;
  } else {
    const q = npix - 1 - p;
    const i = capRing(q);
    ringPos[0] = 4 * nside - i;
    ringPos[1] = 2 * i * (i + 1) - q;
  }
}

/** (jr, jp) → RING index. */
function ringCompose(nside: number, jr: number, jp: number): number {
  if (jr < nside) return 2 * jr * (jr - 1) + jp - 1;
  if (jr > 3 * nside) {
    const nr = 4 * nside - jr;
    return 12 * nside * nside - 2 * nr * (nr + 1) + jp - 1;
  }
  return 2 * nside * (nside - 1) + (jr - nside) * 4 * nside + jp - 1;
}

/** NESTED index → faceXY = [f, ix, iy]. */
function nestDecompose(nside: number, p: number): void {
  const nsq = nside * nside;
  const f = Math.floor(p / nsq);
  const ipf = p - f * nsq;
  faceXY[0] = f;
  faceXY[1] = compactBits(ipf);
  faceXY[2] = compactBits(ipf >>> 1);
}

/** (f, ix, iy) → ringPos = [jr, jp]. */
function faceToRing(nside: number, f: number, ix: number, iy: number): void {
  const jr = FACE_ROW[f]! * nside - ix - iy - 1;
  let nr: number;
  let s = 0;
  if (jr < nside) nr = jr;
  else if (jr > 3 * nside) nr = 4 * nside - jr;
  else {
    nr = nside;
    s = (jr - nside) & 1;
  }
  let jp = (FACE_COL[f]! * nr + ix - iy + 1 + s) >> 1;
  if (jp > 4 * nside) jp -= 4 * nside;
  else if (jp < 1) jp += 4 * nside;
  ringPos[0] = jr;
  ringPos[1] = jp;
}

/** (jr, jp) → faceXY = [f, ix, iy]. */
function ringToFace(nside: number, jr: number, jp: number): void {
  if (jr < nside || jr > 3 * nside) {
    // Polar caps: each quarter of the ring belongs to one face; the diagonal coordinates
    // u = ix + iy and t = ix − iy follow from the ring and the position in the quarter.
    const north = jr < nside;
    const nr = north ? jr : 4 * nside - jr;
    const c = Math.floor((jp - 1) / nr);
    const t = 2 * jp - 1 - (2 * c + 1) * nr;
    const u = north ? 2 * nside - 1 - jr : nr - 1;
    faceXY[0] = north ? c : c + 8;
    faceXY[1] = (u + t) >> 1;
    faceXY[2] = (u - t) >> 1;
    return;
  }
  // Belt: with h = 2jp − 1 − s, the lines h − jr = const and h + jr = const run along the
  // face edges; a = h − jr − 1 + nside and b = h + jr − 1 + nside, divided by 2·nside,
  // count faces along each diagonal. Their difference gives the face row (1 north,
  // 2 equatorial, 3 south), their remainders give 2·ix and 2·nside − 2 − 2·iy.
  const s = (jr - nside) & 1;
  const h = 2 * jp - 1 - s;
  const a = h - jr - 1 + nside;
  const b = h + jr - 1 + nside;
  const w = 2 * nside;
  const ia = Math.floor(a / w);
  const ib = Math.floor(b / w);
  const d = ib - ia;
  const c = (((ia + (d === 1 ? 0 : 1)) % 4) + 4) % 4;
  faceXY[0] = 4 * (d - 1) + c;
  faceXY[1] = (a - w * ia) >> 1;
  faceXY[2] = (w - 2 - (b - w * ib)) >> 1;
}

/** Writes θ and φ of ring position (jr, jp) into theta[k], phi[k]. */
function ringAngles(nside: number, jr: number, jp: number, theta: Float64Array, phi: Float64Array, k: number): void {
  if (jr < nside || jr > 3 * nside) {
    const nr = jr < nside ? jr : 4 * nside - jr;
    // z = 1 − t with t = nr²/(3·nside²); sinθ = √(t(2 − t)) keeps θ exact to the last bits near the poles.
    const t = (nr * nr) / (3 * nside * nside);
    const s = Math.sqrt(t * (2 - t));
    theta[k] = Math.atan2(s, jr < nside ? 1 - t : t - 1);
    phi[k] = ((jp - 0.5) * HALF_PI) / nr;
  } else {
    const z = (2 * (2 * nside - jr)) / (3 * nside);
    theta[k] = Math.atan2(Math.sqrt((1 - z) * (1 + z)), z);
    const shift = ((jr - nside) & 1) === 0 ? 0.5 : 0;
    phi[k] = ((jp - 1 + shift) * HALF_PI) / nside;
  }
}

/** Pixel containing (θ, φ), unchecked; z = cosθ, sinTheta = sinθ. */
function angToPix(nside: number, z: number, sinTheta: number, phi: number, nest: boolean): number {
  const za = Math.abs(z);
  let ph = phi % TWO_PI;
  if (ph < 0) ph += TWO_PI;
  if (ph >= TWO_PI) ph = 0; // −tiny + 2π rounds to 2π
  const tt = ph * INV_HALF_PI; // [0, 4]
  if (za <= 2 / 3) {
    // Belt: jp and jm index the edge lines of slope ∓ through the point.
    const temp1 = nside * (0.5 + tt);
    const temp2 = nside * (z * 0.75);
    const jp = Math.floor(temp1 - temp2);
    const jm = Math.floor(temp1 + temp2);
    if (!nest) {
      const ir = nside + 1 + jp - jm; // 1 … 2·nside + 1, counted from ring nside
      const kshift = 1 - (ir & 1);
      let ip = Math.floor((jp + jm - nside + kshift + 1) / 2);
      if (ip >= 4 * nside) ip -= 4 * nside;
      return 2 * nside * (nside - 1) + (ir - 1) * 4 * nside + ip;
    }
    const ifp = Math.floor(jp / nside);
    const ifm = Math.floor(jm / nside);
    const face = ifp === ifm ? (ifp & 3) + 4 : ifp < ifm ? ifp : ifm + 8;
    const ix = jm & (nside - 1);
    const iy = nside - (jp & (nside - 1)) - 1;
    return face * nside * nside + spreadBits(ix) + 2 * spreadBits(iy);
  }
  // Polar caps. 3(1 − |z|) = 3 sin²θ/(1 + |z|): the sinθ form avoids cancellation near the pole.
  const ntt = Math.min(3, Math.floor(tt));
  const tp = tt - ntt;
  const tmp = za > 0.99 ? nside * sinTheta * Math.sqrt(3 / (1 + za)) : nside * Math.sqrt(3 * (1 - za));
  let jp = Math.floor(tp * tmp);
  let jm = Math.floor((1 - tp) * tmp);
  if (!nest) {
    const ir = jp + jm + 1;
    let ip = Math.floor(tt * ir);
    if (ip >= 4 * ir) ip -= 4 * ir;
    return z > 0 ? 2 * ir * (ir - 1) + ip : 12 * nside * nside - 2 * ir * (ir + 1) + ip;
  }
  if (jp > nside - 1) jp = nside - 1;
  if (jm > nside - 1) jm = nside - 1;
  const nsq = nside * nside;
  if (z >= 0) return ntt * nsq + spreadBits(nside - jm - 1) + 2 * spreadBits(nside - jp - 1);
  return (ntt + 8) * nsq + spreadBits(jp) + 2 * spreadBits(jm);
}

function pix2angInto(nside: number, p: number, nest: boolean, theta: Float64Array, phi: Float64Array, k: number): void {
  if (nest) {
    nestDecompose(nside, p);
    faceToRing(nside, faceXY[0]!, faceXY[1]!, faceXY[2]!);
  } else {
    ringDecompose(nside, p);
  }
  ringAngles(nside, ringPos[0]!, ringPos[1]!, theta, phi, k);
}

function nest2ringUnchecked(nside: number, p: number): number {
  nestDecompose(nside, p);
  faceToRing(nside, faceXY[0]!, faceXY[1]!, faceXY[2]!);
  return ringCompose(nside, ringPos[0]!, ringPos[1]!);
}

function ring2nestUnchecked(nside: number, p: number): number {
  ringDecompose(nside, p);
  ringToFace(nside, ringPos[0]!, ringPos[1]!);
  return faceXY[0]! * nside * nside + spreadBits(faceXY[1]!) + 2 * spreadBits(faceXY[2]!);
}

function checkAngles(theta: number, phi: number): void {
  if (!(theta >= 0 && theta <= Math.PI)) throw new RangeError(`theta must be in [0, π] radians, got ${String(theta)}`);
  if (!Number.isFinite(phi)) throw new RangeError(`phi must be a finite number of radians, got ${String(phi)}`);
}

/**
 * Centre of pixel `ipix`: colatitude θ ∈ [0, π] and longitude φ ∈ [0, 2π), radians.
 * Agrees with healpy's `pix2ang` to ~1e-15 (θ via atan2 of a stably computed sinθ).
 * @param nside power of two in 1…8192 (RangeError otherwise)
 * @param ipix integer pixel index in 0…12·nside² − 1 (RangeError naming the value otherwise)
 * @param nest true for NESTED numbering; default false (RING)
 */
export function pix2ang(nside: number, ipix: number, nest = false): Angles {
  checkNside(nside);
  checkPixel(nside, ipix);
  pix2angInto(nside, ipix, nest, scalarTheta, scalarPhi, 0);
  return { theta: scalarTheta[0]!, phi: scalarPhi[0]! };
}

/**
 * Vectorised {@link pix2ang}: centres of every pixel in `ipix`, written to caller-owned
 * arrays when given (each at least `ipix.length` long), else to new ones.
 * @param nest true for NESTED numbering; default false (RING)
 * @returns the θ and φ arrays, radians
 */
export function pix2angArray(
  nside: number,
  ipix: ArrayLike<number>,
  nest = false,
  theta: Float64Array = new Float64Array(ipix.length),
  phi: Float64Array = new Float64Array(ipix.length),
): { theta: Float64Array; phi: Float64Array } {
  checkNside(nside);
  const n = ipix.length;
  if (theta.length < n || phi.length < n) {
    throw new RangeError(`output arrays hold ${String(Math.min(theta.length, phi.length))} values, ${String(n)} needed`);
  }
  const npix = 12 * nside * nside;
  for (let k = 0; k < n; k++) {
    const p = ipix[k]!;
    if (!(p >= 0 && p < npix && Number.isInteger(p))) checkPixel(nside, p);
    pix2angInto(nside, p, nest, theta, phi, k);
  }
  return { theta, phi };
}

/**
 * Index of the pixel containing the point (θ, φ).
 * @param theta colatitude in [0, π] radians (RangeError otherwise)
 * @param phi longitude in radians, any finite value (taken modulo 2π)
 * @param nest true for NESTED numbering; default false (RING)
 */
export function ang2pix(nside: number, theta: number, phi: number, nest = false): number {
  checkNside(nside);
  checkAngles(theta, phi);
  return angToPix(nside, Math.cos(theta), Math.sin(theta), phi, nest);
}

/**
 * Index of the pixel containing the unit vector (x, y, z), without argument checks: for hot loops
 * (one lookup per image pixel) that checked `nside` once. Saves ang2pix's acos, cos and sin.
 */
export function vec2pixUnchecked(nside: number, x: number, y: number, z: number, nest = false): number {
  return angToPix(nside, z, Math.sqrt(x * x + y * y), Math.atan2(y, x), nest);
}

/**
 * Vectorised {@link ang2pix}; `theta` and `phi` have equal lengths. Indices go to `out`
 * (at least as long; Float64Array, Int32Array or Uint32Array — every index below 2^31 fits
 * an Int32Array up to nside 8192), else to a new Float64Array.
 */
export function ang2pixArray<T extends Float64Array | Int32Array | Uint32Array = Float64Array>(
  nside: number,
  theta: ArrayLike<number>,
  phi: ArrayLike<number>,
  nest = false,
  out?: T,
): T {
  checkNside(nside);
  const n = theta.length;
  if (phi.length !== n) throw new RangeError(`theta and phi lengths differ: ${String(n)} and ${String(phi.length)}`);
  const result = out ?? (new Float64Array(n) as T);
  if (result.length < n) throw new RangeError(`output array holds ${String(result.length)} values, ${String(n)} needed`);
  for (let k = 0; k < n; k++) {
    const th = theta[k]!;
    const ph = phi[k]!;
    if (!(th >= 0 && th <= Math.PI) || !Number.isFinite(ph)) checkAngles(th, ph);
    result[k] = angToPix(nside, Math.cos(th), Math.sin(th), ph, nest);
  }
  return result;
}

/** RING index of NESTED pixel `ipix` (validated like {@link pix2ang}). */
export function nest2ring(nside: number, ipix: number): number {
  checkNside(nside);
  checkPixel(nside, ipix);
  return nest2ringUnchecked(nside, ipix);
}

/** NESTED index of RING pixel `ipix` (validated like {@link pix2ang}). */
export function ring2nest(nside: number, ipix: number): number {
  checkNside(nside);
  checkPixel(nside, ipix);
  return ring2nestUnchecked(nside, ipix);
}

/**
 * Renumbers a whole map between RING and NESTED order; nside is inferred from the length
 * (RangeError when it is not 12·nside² for a valid nside). Returns a new array of the same
 * type as `map` (a copy when `from === to`); `map` is not modified. O(npix), no per-pixel allocation.
 */
export function reorderMap<T extends PixelArray>(map: T, from: Ordering, to: Ordering): T {
  checkOrdering(from);
  checkOrdering(to);
  const npix = map.length;
  const nside = npix2nside(npix);
  const out = new (map.constructor as new (length: number) => T)(npix);
  if (from === to) {
    out.set(map);
    return out;
  }
  if (from === "NESTED") {
    for (let p = 0; p < npix; p++) out[nest2ringUnchecked(nside, p)] = map[p]!;
  } else {
    for (let p = 0; p < npix; p++) out[ring2nestUnchecked(nside, p)] = map[p]!;
  }
  return out;
}

/** NESTED → RING map reordering; see {@link reorderMap}. */
export function nest2ringMap<T extends PixelArray>(map: T): T {
  return reorderMap(map, "NESTED", "RING");
}

/** RING → NESTED map reordering; see {@link reorderMap}. */
export function ring2nestMap<T extends PixelArray>(map: T): T {
  return reorderMap(map, "RING", "NESTED");
}
