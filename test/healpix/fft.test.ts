import { describe, expect, it } from "vitest";
import { complexFft, MAX_DIRECT_RADIX, realFft, ringFft } from "../../src/healpix/fft.js";
import type { TiledColumn } from "../../src/healpix/fft.js";
import { UNSEEN } from "../../src/healpix/nside.js";

/** Deterministic pseudo-random values in [−1, 1) (a small LCG; the FFT tests need no quality). */
function pseudoRandom(count: number, seed: number): Float64Array {
  const out = new Float64Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Naive DFT in extended care: angles reduced modulo n before cos/sin. */
function naiveDft(re: Float64Array, im: Float64Array, sign: number): [Float64Array, Float64Array] {
  const n = re.length;
  const or = new Float64Array(n);
  const oi = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let t = 0; t < n; t++) {
      const a = (sign * 2 * Math.PI * ((t * k) % n)) / n;
      const c = Math.cos(a);
      const s = Math.sin(a);
      sr += re[t]! * c - im[t]! * s;
      si += re[t]! * s + im[t]! * c;
    }
    or[k] = sr;
    oi[k] = si;
  }
  return [or, oi];
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

// Small lengths of every kind, primes (direct radices and Bluestein), 4·prime as in the polar caps,
// and composite lengths mixing radices.
const LENGTHS = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 20, 24, 25, 28, 30, 31, 32, 36, 44, 49, 52, 60, 61, 64, 67,
  68, 97, 100, 101, 121, 124, 128, 148, 180, 210, 244, 252, 256, 268, 343, 388, 404, 500, 509, 512, 1009, 1020, 1024,
  1036, 4 * 251,
];

describe("complexFft", () => {
  it.each(LENGTHS)("matches a naive DFT, forward and inverse, n = %i", (n) => {
    const re = pseudoRandom(n, n);
    const im = pseudoRandom(n, n + 7);
    const data = new Float64Array(2 * n);
    for (let t = 0; t < n; t++) {
      data[2 * t] = re[t]!;
      data[2 * t + 1] = im[t]!;
    }
    for (const inverse of [false, true]) {
      const got = data.slice();
      complexFft(n).transform(got, inverse);
      const [er, ei] = naiveDft(re, im, inverse ? 1 : -1);
      let err = 0;
      for (let k = 0; k < n; k++) err = Math.max(err, Math.abs(got[2 * k]! - er[k]!), Math.abs(got[2 * k + 1]! - ei[k]!));
      expect(err / Math.max(maxAbs(er), maxAbs(ei))).toBeLessThan(1e-13);
    }
  });

  it("uses Bluestein above MAX_DIRECT_RADIX and stays accurate for a large prime", () => {
    const n = 8191;
    expect(n).toBeGreaterThan(MAX_DIRECT_RADIX);
    const data = pseudoRandom(2 * n, 5);
    const back = data.slice();
    complexFft(n).transform(back, false);
    complexFft(n).transform(back, true);
    for (let i = 0; i < back.length; i++) back[i] = back[i]! / n - data[i]!;
    expect(maxAbs(back)).toBeLessThan(1e-13);
  });

  it("rejects bad lengths with a RangeError naming the value", () => {
    expect(() => complexFft(0)).toThrow(new RangeError("FFT length must be a positive integer, got 0"));
    expect(() => realFft(2.5)).toThrow(new RangeError("FFT length must be a positive integer, got 2.5"));
  });

  it("caches plans per length", () => {
    expect(complexFft(48)).toBe(complexFft(48));
    expect(realFft(48)).toBe(realFft(48));
  });
});

describe("realFft", () => {
  it.each(LENGTHS)("forward matches the naive DFT and inverse inverts it, n = %i", (n) => {
    const x = pseudoRandom(n, 3 * n + 1);
    const zero = new Float64Array(n);
    const [er, ei] = naiveDft(x, zero, -1);
    const half = Math.floor(n / 2);
    // Offsets and Float32 input exercise the strided entry points used by the ring transforms.
    const padded = new Float64Array(n + 5);
    padded.set(x, 5);
    const spec = new Float64Array(2 * (half + 1));
    const plan = realFft(n);
    plan.forward(padded, 5, spec);
    let err = 0;
    for (let k = 0; k <= half; k++) err = Math.max(err, Math.abs(spec[2 * k]! - er[k]!), Math.abs(spec[2 * k + 1]! - ei[k]!));
    expect(err / maxAbs(er)).toBeLessThan(1e-13);

    const back = new Float64Array(n + 3);
    plan.inverse(spec, back, 3);
    let rt = 0;
    for (let j = 0; j < n; j++) rt = Math.max(rt, Math.abs(back[3 + j]! / n - x[j]!));
    expect(rt).toBeLessThan(1e-13);
  });

  it("accepts Float32Array input and output", () => {
    const n = 36;
    const x = Float32Array.from(pseudoRandom(n, 9));
    const spec = new Float64Array(n + 2);
    realFft(n).forward(x, 0, spec);
    const out = new Float32Array(n);
    realFft(n).inverse(spec, out, 0);
    for (let j = 0; j < n; j++) expect(out[j]! / n).toBeCloseTo(x[j]!, 6);
  });

  it("ignores the imaginary parts of the DC and Nyquist bins in the inverse", () => {
    const n = 8;
    const spec = new Float64Array(n + 2);
    spec[0] = 1;
    spec[1] = 5;
    spec[n] = 2;
    spec[n + 1] = -3;
    const out = new Float64Array(n);
    realFft(n).inverse(spec, out, 0);
    for (let j = 0; j < n; j++) expect(out[j]).toBeCloseTo(1 + 2 * (j % 2 === 0 ? 1 : -1), 14);
  });
});

describe("ringFft", () => {
  // Columns tiled by 3 (entry m at base + ⌊m/3⌋·stride + 2(m mod 3)) exercise the tiled access.
  function tiled(values: Float64Array, base: number, stride: number): TiledColumn {
    const count = values.length / 2;
    const data = new Float64Array(base + stride * Math.ceil(count / 3) + 8);
    for (let m = 0; m < count; m++) {
      const at = base + Math.floor(m / 3) * stride + 2 * (m % 3);
      data[at] = values[2 * m]!;
      data[at + 1] = values[2 * m + 1]!;
    }
    return { data, base, tile: 3, stride };
  }

  it.each([[12, 20], [12, 7], [16, 16], [20, 3]])("synthesizes with aliasing, nphi = %i, mEnd = %i", (nphi, mEnd) => {
    const phi0 = Math.PI / nphi;
    const f = pseudoRandom(2 * mEnd, nphi + mEnd);
    const out = new Float64Array(nphi + 4);
    ringFft(nphi).synthesize(tiled(f, 5, 11), mEnd, phi0, out, 4);
    for (let j = 0; j < nphi; j++) {
      const phi = phi0 + (2 * Math.PI * j) / nphi;
      let want = f[0]!;
      for (let m = 1; m < mEnd; m++) want += 2 * (f[2 * m]! * Math.cos(m * phi) - f[2 * m + 1]! * Math.sin(m * phi));
      expect(out[4 + j]).toBeCloseTo(want, 12);
    }
  });

  it.each([[12, 20], [16, 5], [8, 8]])("analyzes with aliasing and UNSEEN masking, nphi = %i, mmax = %i", (nphi, mmax) => {
    const phi0 = Math.PI / nphi;
    const map = new Float32Array(pseudoRandom(nphi + 2, 3 * nphi));
    map[3] = UNSEEN;
    const col = tiled(new Float64Array(2 * (mmax + 1)), 2, 9);
    ringFft(nphi).analyze(map, 2, phi0, 0.5, mmax, col);
    for (let m = 0; m <= mmax; m++) {
      let re = 0;
      let im = 0;
      for (let j = 0; j < nphi; j++) {
        const x = j === 1 ? 0 : map[2 + j]!; // map[3] is UNSEEN
        const phi = phi0 + (2 * Math.PI * j) / nphi;
        re += x * Math.cos(m * phi);
        im -= x * Math.sin(m * phi);
      }
      const at = col.base + Math.floor(m / 3) * col.stride + 2 * (m % 3);
      expect(col.data[at]).toBeCloseTo(0.5 * re, 12);
      expect(col.data[at + 1]).toBeCloseTo(0.5 * im, 12);
    }
  });

  it("rejects odd ring lengths", () => {
    expect(() => ringFft(7)).toThrow(new RangeError("ring length must be a positive even integer, got 7"));
  });
});
