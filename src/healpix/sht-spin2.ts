/**
 * Polarised spherical-harmonic transforms: (T, E, B) ↔ (I, Q, U) on RING-ordered maps, matching
 * healpy 1.16's `alm2map(..., pol=True)` and `map2alm(..., pol=True, iter)` (HEALPix polarisation
 * convention). T ↔ I is the spin-0 transform of ./sht.ts; this module adds the spin-2 part.
 *
 * | symbol   | meaning                                                             | range          |
 * |----------|---------------------------------------------------------------------|----------------|
 * | a^E, a^B | gradient and curl coefficients, healpy layout, interleaved re/im    | a_lm = 0, l<2  |
 * | x, s²    | cos θ and sin² θ of a ring (x → −x on the southern mirror)           | (−1,1), (0,1]  |
 * | λ_l      | λ_lm(x), the spin-0 normalised Legendre function (m fixed)          |                |
 * | n_l      | 1/√((l+2)(l+1)l(l−1)), 0 for l < 2                                  |                |
 * | f_l      | √((2l+1)(l²−m²)/(2l−1)), so that f_l λ_{l−1} = (2l+1) ε_l λ_{l−1}     |                |
 * | W, X     | spin-2 functions: ₊₂Y_lm, ₋₂Y_lm ∝ (W ± X) e^{imφ}                   |                |
 * | Q_m, U_m | Fourier coefficient m of the Q and U rings                          |                |
 *
 * With the HEALPix/Zaldarriaga–Seljak functions
 *   W_l = 2 n_l [ −((l − m²)/s² + l(l−1)/2) λ_l + f_l (x/s²) λ_{l−1} ],
 *   X_l = 2 n_l (m/s²) [ (l−1) x λ_l − f_l λ_{l−1} ],
 * synthesis is Q_m = −Σ_l (a^E W − i a^B X), U_m = −Σ_l (a^B W + i a^E X) (the signs of healpy
 * 1.16, checked mode by mode), and analysis its quadrature adjoint:
 * a^E = −Σ_rings (W Q̂_m − i X Û_m), a^B = −Σ_rings (W Û_m + i X Q̂_m), with Q̂_m, Û_m the weighted
 * ring coefficients of ./fft.ts.
 *
 * Both are reduced to the spin-0 Legendre kernel, so spin 0 and spin 2 share one plan (ring pairs,
 * chunks, λ_mm state, dead-lane bookkeeping) and the kernel's hot loops and their module-global
 * block state are unchanged: every sum above is a spin-0 sum Σ_l c_l λ_l of modified coefficients
 * times a ring factor 1/s², 1 or x/s². The exact identity x λ_l = ε_{l+1} λ_{l+1} + ε_l λ_{l−1}
 * folds the three into one, s²·(field sum) = Σ_l w_l λ_l over l ≤ lmax + 2, so synthesis needs
 * one kernel sum per field and m (Q, U) and analysis one per field on Z/s² (Z = Q̂, Û), whose
 * shifted sums give the other two. Q and U have a kernel F set each. Synthesis puts them through
 * the kernel as a pair (synthPair): the native kernel shares one λ recurrence between them; the
 * WebAssembly kernel, whose hot loops have no registers to spare, runs two passes. Analysis runs
 * one pass per field, which measured faster (see analyzeSpin2Add).
 * Near the poles the 1/s² form cancels: by ~1/s² for m ≤ 1 and less for small m ≥ 2 (2.2e-11
 * relative error at nside 512 with white alm). Rings with s² < {@link WIGNER_S2} therefore take
 * the Wigner d recurrence in l for m < {@link WIGNER_M} (scalar, O(lmax) per ring and m, no 1/s²).
 */
import { almShape, almSize, checkLmax } from "./alm.js";
import { ringFft } from "./fft.js";
import { legendreKernel, releaseLegendreKernel } from "./legendre.js";
import type { LegendreKernel } from "./legendre.js";
import { checkNside } from "./nside.js";
import { scratchF64 } from "./scratch.js";
import { isUnseen } from "./stats.js";
import {
  alm2map, checkMapLength, KEEP_KERNEL_BYTES, lanesPerChunk, legendreSweep, map2alm, nsideOfMap, ringPairs,
} from "./sht.js";
import type { FloatMap, RingPairs } from "./sht.js";

/** Three maps or three alm: (I, Q, U) or (T, E, B). */
export type Triple<T> = readonly [T, T, T];

/** Options of {@link alm2mapPol}. */
export interface Alm2MapPolOptions {
  /** Largest multipole of the alm; default from their length (with `mmax`, or mmax = lmax). */
  readonly lmax?: number;
  /** Largest m; default lmax. */
  readonly mmax?: number;
}

/** Options of {@link map2almPol}. */
export interface Map2AlmPolOptions {
  /** Largest multipole; default 3·nside − 1. */
  readonly lmax?: number;
  /** Largest m; default lmax. */
  readonly mmax?: number;
  /** Jacobi iterations alm += A(map − S(alm)), per field; default 3 (healpy's default). */
  readonly iter?: number;
}

/** Per-lmax factors n_l (l ≤ lmax + 1). */
interface Spin2Tables {
  readonly norm: Float64Array;
}

function spin2Tables(lmax: number): Spin2Tables {
  const norm = new Float64Array(lmax + 2);
  for (let l = 2; l <= lmax + 1; l++) norm[l] = 1 / Math.sqrt((l + 2) * (l + 1) * l * (l - 1));
  return { norm };
}

/**
 * Writes the kernel columns of Q and U for order m (see {@link synthesizeSpin2}),
 * w = c0 + c1 + X(c2) − X(X(c1)), n + 2 entries from l = m (n = lmax + 1 − m), into `outQ` and
 * `outU` from double index `atQ` and `atU`. For a field with alm g (a^E for Q, a^B for U), h the
 * other one and sign −1 for Q, +1 for U (Q_m = −Σ(a^E W − i a^B X), U_m = −Σ(a^B W + i a^E X),
 * the overall minus sign applied here too), the three parts are
 *   c0 (1/s²):  −p1(g) + i·sign·m·p3(h), p1_l = −2 n_l (l − m²), p3_l = 2 n_{l+1} f_{l+1} (a_{l+1}),
 *   c1 (1):     n_l l(l − 1) g,
 *   c2 (x/s²):  −p3(g) − i·sign·m·q1(h), q1_l = 2 n_l (l − 1),
 * built once into `c` (6 zero-padded parts of 2(n + 6) doubles: Q's three, then U's) and shifted
 * in one pass, with X(X(v))_j = ε_j ε_{j−1} v_{j−2} + (ε_j² + ε_{j+1}²) v_j + ε_{j+1} ε_{j+2} v_{j+2}.
 * Both fields share their loads and factors. `eps[j]` = ε_{m+j} for j ≤ n + 2;
 * f_{l+1} = (2l + 3) ε_{l+1}, so no square root is taken here.
 */
function synthesisColumns(
  outQ: Float64Array, atQ: number, outU: Float64Array, atU: number, m: number, lmax: number, start: number,
  almE: Float64Array, almB: Float64Array, norm: Float64Array, eps: Float64Array, c: Float64Array,
): void {
  const n = lmax + 1 - m;
  const len = 2 * (n + 6);
  // Parts: Q's c0, c1, c2 at 0, len, 2len; U's at 3len, 4len, 5len.
  const q1 = len, q2 = 2 * len, u0 = 3 * len, u1 = 4 * len, u2 = 5 * len;
  // Entry j of a part sits at 2(j + 2); the zero entries around 0 … n − 1 stand for v_j outside it.
  for (let part = 0; part < 6; part++) {
    c.fill(0, part * len, part * len + 4);
    c.fill(0, part * len + 2 * (n + 2), (part + 1) * len);
  }
  for (let j = 0; j < n; j++) {
    const l = m + j;
    const k = start + 2 * j;
    const nl = norm[l]!;
    const er = almE[k]!, ei = almE[k + 1]!, br = almB[k]!, bi = almB[k + 1]!;
    let p3 = 0, er1 = 0, ei1 = 0, br1 = 0, bi1 = 0;
    if (l < lmax) {
      p3 = 2 * norm[l + 1]! * (2 * l + 3) * eps[j + 1]!;
      er1 = almE[k + 2]!;
      ei1 = almE[k + 3]!;
      br1 = almB[k + 2]!;
      bi1 = almB[k + 3]!;
    }
    const i = 2 * (j + 2);
    const a0 = 2 * nl * (l - m * m), a1 = nl * l * (l - 1);
    const mp3 = m * p3, qm = 2 * nl * (l - 1) * m;
    c[i] = a0 * er + mp3 * bi1;
    c[i + 1] = a0 * ei - mp3 * br1;
    c[q1 + i] = a1 * er;
    c[q1 + i + 1] = a1 * ei;
    c[q2 + i] = -p3 * er1 - qm * bi;
    c[q2 + i + 1] = -p3 * ei1 + qm * br;
    c[u0 + i] = a0 * br - mp3 * ei1;
    c[u0 + i + 1] = a0 * bi + mp3 * er1;
    c[u1 + i] = a1 * br;
    c[u1 + i + 1] = a1 * bi;
    c[u2 + i] = -p3 * br1 + qm * ei;
    c[u2 + i + 1] = -p3 * bi1 - qm * er;
  }
  for (let j = 0; j < n + 2; j++) {
    const i = 2 * (j + 2);
    const e0 = eps[j]!, e1 = eps[j + 1]!;
    const em = j >= 1 ? eps[j - 1]! : 0;
    const mm = e0 * em, mid = e0 * e0 + e1 * e1, pp = e1 * eps[j + 2]!;
    outQ[atQ + 2 * j] = c[i]! + c[q1 + i]! + e0 * c[q2 + i - 2]! + e1 * c[q2 + i + 2]!
      - (mm * c[q1 + i - 4]! + mid * c[q1 + i]! + pp * c[q1 + i + 4]!);
    outQ[atQ + 2 * j + 1] = c[i + 1]! + c[q1 + i + 1]! + e0 * c[q2 + i - 1]! + e1 * c[q2 + i + 3]!
      - (mm * c[q1 + i - 3]! + mid * c[q1 + i + 1]! + pp * c[q1 + i + 5]!);
    outU[atU + 2 * j] = c[u0 + i]! + c[u1 + i]! + e0 * c[u2 + i - 2]! + e1 * c[u2 + i + 2]!
      - (mm * c[u1 + i - 4]! + mid * c[u1 + i]! + pp * c[u1 + i + 4]!);
    outU[atU + 2 * j + 1] = c[u0 + i + 1]! + c[u1 + i + 1]! + e0 * c[u2 + i - 1]! + e1 * c[u2 + i + 3]!
      - (mm * c[u1 + i - 3]! + mid * c[u1 + i + 1]! + pp * c[u1 + i + 5]!);
  }
}

/**
 * Orders below this are synthesised with the Wigner recurrence instead of the 1/s² form, whose
 * terms near the poles exceed the result by up to ~l for 2 ≤ m ≲ 10 and ~1/s² for m ≤ 1
 * (measured at nside 256, white alm: 3e-11 relative error with 0, 1.7e-11 with 2, 1.9e-12 with 16).
 */
export const WIGNER_M = 16;

/**
 * Rings with sin² θ below this (θ < 5.7°, ~3% of the ring pairs) take the Wigner recurrence for
 * m < {@link WIGNER_M}; elsewhere the cancellation costs at most a factor 1/s² = 100 and the
 * kernel result is kept. Measured against healpy with white alm, lmax = 3·nside − 1: at nside 512,
 * 2.2e-11 relative without the Wigner rings, 5.9e-12 with them; thresholds from 5e-4 to 0.1 give
 * the same error at nside 256.
 */
export const WIGNER_S2 = 0.01;

/**
 * Wigner recurrence for order m (see the header): with g_l = d^l_{m,m'}(θ), m' = ±2,
 *   g_{l+1} = (A_l x − B_l) g_l − C_l g_{l−1},   A_l = (2l+1) l(l+1)/D_l, B_l = (2l+1) m m'/D_l,
 *   C_l = (l+1)√((l²−m²)(l²−4))/D_l,            D_l = l √(((l+1)²−m²)((l+1)²−4)),
 * from l₀ = max(m, 2). Then W ± X = √((2l+1)/4π) g^{(±2)} (m = 0: X = 0). Rounding grows like l,
 * never like 1/s².
 */
interface WignerTables {
  /** Per m' = +2 then −2: A, B, C at 3l … 3l + 2. */
  readonly abc: readonly [Float64Array, Float64Array];
  /** √((2l+1)/4π). */
  readonly nrm: Float64Array;
  /** Seed constant: √(C(2m, m ± 2)) for m ≥ 2 (index 0: +2, 1: −2). */
  readonly seed: Float64Array;
}

function wignerTables(lmax: number): WignerTables {
  const nrm = new Float64Array(lmax + 1);
  for (let l = 0; l <= lmax; l++) nrm[l] = Math.sqrt((2 * l + 1) / (4 * Math.PI));
  return { abc: [new Float64Array(3 * (lmax + 1)), new Float64Array(3 * (lmax + 1))], nrm, seed: new Float64Array(2) };
}

/** Fills the recurrence coefficients of order m. */
function wignerOrder(t: WignerTables, m: number, lmax: number): void {
  for (let branch = 0; branch < 2; branch++) {
    const mp = branch === 0 ? 2 : -2;
    const abc = t.abc[branch as 0 | 1];
    for (let l = Math.max(m, 2); l < lmax; l++) {
      const d = l * Math.sqrt(((l + 1) ** 2 - m * m) * ((l + 1) ** 2 - 4));
      abc[3 * l] = ((2 * l + 1) * l * (l + 1)) / d;
      abc[3 * l + 1] = ((2 * l + 1) * m * mp) / d;
      abc[3 * l + 2] = ((l + 1) * Math.sqrt((l * l - m * m) * (l * l - 4))) / d;
    }
  }
  if (m >= 2) {
    // C(2m, m − 2) = C(2m, m + 2), built as a product of ratios.
    let c = 1;
    for (let i = 1; i <= m - 2; i++) c = (c * (m + 2 + i)) / i;
    t.seed[0] = Math.sqrt(c);
    t.seed[1] = Math.sqrt(c);
  }
}

/**
 * Starting values d^m_{m,+2}/2 and d^m_{m,−2}/2 (l = max(m, 2); for m = 0 and 1 at l = 2) of order
 * m at cos θ = x, sin² θ = s2, into seeds[0] and seeds[1]. `omx` and `opx` are 1 − x and 1 + x
 * computed without cancellation. From them the recurrence of {@link wignerOrder} gives
 * W_l = √((2l+1)/4π)(d₊ + d₋)/2 and X_l = √((2l+1)/4π)(d₊ − d₋)/2; for m = 0, d₋ = d₊ (so X = 0).
 */
function wignerSeeds(t: WignerTables, m: number, s2: number, omx: number, opx: number, seeds: Float64Array): void {
  if (m === 0) {
    seeds[0] = seeds[1] = 0.5 * Math.sqrt(3 / 8) * s2;
    return;
  }
  const s = Math.sqrt(s2);
  if (m === 1) {
    seeds[0] = (opx * s) / 4;
    seeds[1] = (-omx * s) / 4;
    return;
  }
  // d^m_{m,±2} = (−1)^m √C(2m, m±2) cos(θ/2)^{m±2} sin(θ/2)^{m∓2}.
  const parity = m % 2 === 0 ? 0.5 : -0.5;
  for (let branch = 0; branch < 2; branch++) {
    const up = branch === 0 ? m + 2 : m - 2;
    seeds[branch] = parity * t.seed[branch]! * Math.pow(opx / 2, up / 2) * Math.pow(omx / 2, (2 * m - up) / 2);
  }
}

/** 1 − x and 1 + x for a ring of cos θ = x, sin² θ = s2, each without cancellation. */
function oneMinusPlus(x: number, s2: number): [number, number] {
  return x >= 0 ? [s2 / (1 + x), 1 + x] : [1 - x, s2 / (1 - x)];
}

/**
 * Q_m, U_m for m < {@link WIGNER_M} of the chunk's polar lanes, from the Wigner recurrence:
 * Q_m = −Σ_l (a^E W − i a^B X), U_m = −Σ_l (a^B W + i a^E X), times s² (the kernel's F sets hold
 * s² F; see synthesizeSpin2), replacing the kernel's values there. The southern ring's functions
 * are the northern ones with W → (−1)^{l+m} W, X → −(−1)^{l+m} X, so one recurrence per lane
 * serves both rings through sums over even and odd l − m.
 */
function wignerSynthesis(
  almE: Float64Array, almB: Float64Array, lmax: number, mmax: number, pairs: RingPairs,
  from: number, count: number, kernel: LegendreKernel, t: WignerTables,
): void {
  const f = kernel.f64;
  const nrm = t.nrm;
  // Per parity of l − m (even at 0, odd at 8): Σ E_re W, E_im W, B_re W, B_im W, then with X.
  const sums = new Float64Array(16);
  for (let m = 0; m <= Math.min(WIGNER_M - 1, mmax); m++) {
    wignerOrder(t, m, lmax);
    const [abcP, abcM] = t.abc;
    const start = 2 * ((m * (2 * lmax + 1 - m)) / 2 + m);
    const l0 = Math.max(2, m);
    forPolarLanes(t, m, pairs, from, count, (lane, x, gp0, gm0) => {
      // Both branches' recurrences run side by side (independent chains); the sums of l of the
      // parity of l0 − m go to a*, the others to b*.
      let gp = gp0, gm = gm0, pp = 0, pm = 0;
      let aEw = 0, aFw = 0, aBw = 0, aGw = 0, aEx = 0, aFx = 0, aBx = 0, aGx = 0;
      let bEw = 0, bFw = 0, bBw = 0, bGw = 0, bEx = 0, bFx = 0, bBx = 0, bGx = 0;
      for (let l = l0; l <= lmax; l += 2) {
        let n = nrm[l]!, wl = n * (gp + gm), xl = n * (gp - gm);
        let k = start + 2 * (l - m);
        let er = almE[k]!, ei = almE[k + 1]!, br = almB[k]!, bi = almB[k + 1]!;
        aEw += er * wl; aFw += ei * wl; aBw += br * wl; aGw += bi * wl;
        aEx += er * xl; aFx += ei * xl; aBx += br * xl; aGx += bi * xl;
        let np = (abcP[3 * l]! * x - abcP[3 * l + 1]!) * gp - abcP[3 * l + 2]! * pp;
        let nm = (abcM[3 * l]! * x - abcM[3 * l + 1]!) * gm - abcM[3 * l + 2]! * pm;
        pp = gp; gp = np; pm = gm; gm = nm;
        if (l === lmax) break;
        const l1 = l + 1;
        n = nrm[l1]!; wl = n * (gp + gm); xl = n * (gp - gm);
        k += 2;
        er = almE[k]!; ei = almE[k + 1]!; br = almB[k]!; bi = almB[k + 1]!;
        bEw += er * wl; bFw += ei * wl; bBw += br * wl; bGw += bi * wl;
        bEx += er * xl; bFx += ei * xl; bBx += br * xl; bGx += bi * xl;
        np = (abcP[3 * l1]! * x - abcP[3 * l1 + 1]!) * gp - abcP[3 * l1 + 2]! * pp;
        nm = (abcM[3 * l1]! * x - abcM[3 * l1 + 1]!) * gm - abcM[3 * l1 + 2]! * pm;
        pp = gp; gp = np; pm = gm; gm = nm;
      }
      const a = ((l0 - m) & 1) === 0 ? 0 : 8, b = 8 - a;
      sums[a] = aEw; sums[a + 1] = aFw; sums[a + 2] = aBw; sums[a + 3] = aGw;
      sums[a + 4] = aEx; sums[a + 5] = aFx; sums[a + 6] = aBx; sums[a + 7] = aGx;
      sums[b] = bEw; sums[b + 1] = bFw; sums[b + 2] = bBw; sums[b + 3] = bGw;
      sums[b + 4] = bEx; sums[b + 5] = bFx; sums[b + 6] = bBx; sums[b + 7] = bGx;
      const s = pairs.sinTheta[from + lane]!;
      const s2 = s * s;
      for (let ring = 0; ring < 2; ring++) {
        // North: W = W_even + W_odd, X likewise; south: W_even − W_odd and X_odd − X_even.
        const sw = ring === 0 ? 1 : -1;
        const wE = (i: number): number => sums[i]! + sw * sums[8 + i]!;
        const xE = (i: number): number => sw * sums[4 + i]! + sums[12 + i]!;
        // −(E W − i B X) and −(B W + i E X).
        const q = kernel.entry(lane, ring === 1, m, 0), u = kernel.entry(lane, ring === 1, m, 1);
        f[q] = -s2 * (wE(0) + xE(3));
        f[q + 1] = -s2 * (wE(1) - xE(2));
        f[u] = -s2 * (wE(2) - xE(1));
        f[u + 1] = -s2 * (wE(3) + xE(0));
      }
    });
  }
}

/**
 * Calls `visit(lane, x, g₊, g₋)` for each lane of the chunk near a pole (sin² θ below
 * {@link WIGNER_S2}) with cos θ of its northern ring and the seeds of {@link wignerSeeds}.
 */
function forPolarLanes(
  t: WignerTables, m: number, pairs: RingPairs, from: number, count: number,
  visit: (lane: number, x: number, gp: number, gm: number) => void,
): void {
  const seeds = new Float64Array(2);
  for (let lane = 0; lane < count; lane++) {
    const p = from + lane;
    const s = pairs.sinTheta[p]!;
    const s2 = s * s;
    if (s2 >= WIGNER_S2) continue;
    const x = pairs.cosTheta[p]!;
    const [omx, opx] = oneMinusPlus(x, s2);
    wignerSeeds(t, m, s2, omx, opx, seeds);
    visit(lane, x, seeds[0]!, seeds[1]!);
  }
}

/**
 * x·Σ_l v_l λ_l as Σ_l X(v)_l λ_l, from x λ_l = ε_{l+1} λ_{l+1} + ε_l λ_{l−1}:
 * X(v)_l = ε_l v_{l−1} + ε_{l+1} v_{l+1}. `v` holds n complex entries from l = m (interleaved),
 * `eps[j]` = ε_{m+j}; writes n + 1 entries to `out`. The same tridiagonal map, being symmetric,
 * gives the analysis sums Σ_rings x λ_l Y from those of λ_l Y.
 */
function xShift(v: Float64Array, n: number, eps: Float64Array, out: Float64Array): void {
  for (let j = 0; j <= n; j++) {
    let re = 0, im = 0;
    if (j >= 1) {
      re = eps[j]! * v[2 * j - 2]!;
      im = eps[j]! * v[2 * j - 1]!;
    }
    if (j + 1 < n) {
      re += eps[j + 1]! * v[2 * j + 2]!;
      im += eps[j + 1]! * v[2 * j + 3]!;
    }
    out[2 * j] = re;
    out[2 * j + 1] = im;
  }
}

/** ε_{m+j} = √(((m+j)² − m²)/(4(m+j)² − 1)) for j = 0 … n − 1. */
function epsilons(m: number, n: number, out: Float64Array): void {
  for (let j = 0; j < n; j++) {
    const l = m + j;
    out[j] = Math.sqrt((l * l - m * m) / (4 * l * l - 1));
  }
}

/**
 * Spin-2 synthesis core: (a^E, a^B) (validated) → (Q, U) (validated).
 *
 * Per field and m ≥ {@link WIGNER_M}, the three runs F = (1/s²) S[c0] + S[c1] + (x/s²) S[c2]
 * (see {@link synthesisColumns}) become one: s² F = S[c0 + c1 + X(c2) − X(X(c1))] with s² = 1 − x²
 * and the exact shift X of {@link xShift}, so one kernel sum per field and m, to lmax + 2, for
 * both fields in one {@link LegendreKernel.synthPair} call.
 * Q and U have a kernel F set each, so the ring FFTs read s² F straight from kernel memory and
 * the 1/s² is applied to the ring's pixels: no per-call buffer of F (at nside 256 a fresh 25 MB
 * buffer cost as much as both kernel passes, its pages being touched for the first time).
 */
function synthesizeSpin2(
  almE: Float64Array, almB: Float64Array, lmax: number, mmax: number, pairs: RingPairs, outQ: FloatMap, outU: FloatMap,
): void {
  const kernel = legendreKernel();
  const { norm } = spin2Tables(lmax);
  const lk = lmax + 2;
  // The second F set: 32 more bytes per lane and m.
  const chunk = lanesPerChunk(pairs.count, mmax, pairs.npix, 32);
  const low = wignerTables(lmax);
  const eps = new Float64Array(lmax + 5);
  const scratch = new Float64Array(12 * (lmax + 7));
  for (let from = 0; from < pairs.count; from += chunk) {
    const count = Math.min(chunk, pairs.count - from);
    kernel.layout(count, lk, mmax, 0, 2);
    kernel.setLanes(pairs.cosTheta, pairs.sinTheta, from, count);
    const mEnd = legendreSweep(kernel, mmax, (m) => {
      const start = 2 * ((m * (2 * lmax + 1 - m)) / 2 + m);
      epsilons(m, lmax + 4 - m, eps);
      synthesisColumns(kernel.f64, kernel.colIndex, kernel.f64, kernel.colIndex2, m, lmax, start, almE, almB, norm, eps, scratch);
      return kernel.synthPair(m);
    });
    wignerSynthesis(almE, almB, lmax, mmax, pairs, from, count, kernel, low);
    for (let field = 0; field < 2; field++) {
      const out = field === 0 ? outQ : outU;
      for (let lane = 0; lane < count; lane++) {
        const p = from + lane;
        const nphi = pairs.nphi[p]!;
        const ring = ringFft(nphi);
        const s = pairs.sinTheta[p]!;
        const r = 1 / (s * s);
        const north = pairs.northFirst[p]!;
        ring.synthesize(kernel.column(lane, false, field), mEnd, pairs.phi0[p]!, out, north);
        for (let j = north; j < north + nphi; j++) out[j] = r * out[j]!;
        const south = pairs.southFirst[p]!;
        if (south >= 0) {
          ring.synthesize(kernel.column(lane, true, field), mEnd, pairs.phi0[p]!, out, south);
          for (let j = south; j < south + nphi; j++) out[j] = r * out[j]!;
        }
      }
    }
  }
  releaseLegendreKernel(KEEP_KERNEL_BYTES);
}

/**
 * a^E, a^B (m < {@link WIGNER_M}) of the chunk's polar lanes added into `low` (per m,
 * l = m … lmax, E then B), from the Wigner recurrence: a^E += −(W Q̂ − i X Û), a^B += −(W Û + i X Q̂)
 * over both rings, the southern ring's W, X being (−1)^{l+m} W, −(−1)^{l+m} X of the northern one.
 * Reads Q̂/s², Û/s² from the kernel's F sets 0 and 1 (see analyzeSpin2Add) and zeroes those
 * entries, so the kernel pass leaves them out.
 */
function wignerAnalysis(
  lmax: number, mmax: number, pairs: RingPairs, from: number, count: number, kernel: LegendreKernel,
  t: WignerTables, low: Float64Array,
): void {
  const f = kernel.f64;
  const nrm = t.nrm;
  // Per ring (north at 0, south at 4): Q̂_re, Q̂_im, Û_re, Û_im.
  const z = new Float64Array(8);
  // Per parity of l − m (even at 0, odd at 8): the ring combinations that W and X multiply.
  const c = new Float64Array(16);
  let at = 0;
  for (let m = 0; m <= Math.min(WIGNER_M - 1, mmax); m++) {
    wignerOrder(t, m, lmax);
    const [abcP, abcM] = t.abc;
    const n = lmax + 1 - m;
    const l0 = Math.max(2, m);
    forPolarLanes(t, m, pairs, from, count, (lane, x, gp0, gm0) => {
      const s = pairs.sinTheta[from + lane]!;
      const s2 = s * s;
      for (let ring = 0; ring < 2; ring++) {
        const q = kernel.entry(lane, ring === 1, m, 0), u = kernel.entry(lane, ring === 1, m, 1);
        z[4 * ring] = s2 * f[q]!;
        z[4 * ring + 1] = s2 * f[q + 1]!;
        z[4 * ring + 2] = s2 * f[u]!;
        z[4 * ring + 3] = s2 * f[u + 1]!;
        f[q] = 0;
        f[q + 1] = 0;
        f[u] = 0;
        f[u + 1] = 0;
      }
      for (let parity = 0; parity < 2; parity++) {
        // σ = (−1)^{l+m}: W multiplies north + σ·south, X multiplies north − σ·south.
        const sg = parity === 0 ? 1 : -1, o = 8 * parity;
        for (let i = 0; i < 4; i++) {
          c[o + i] = z[i]! + sg * z[4 + i]!;
          c[o + 4 + i] = z[i]! - sg * z[4 + i]!;
        }
      }
      // a*: the parity of l0 − m, b*: the other one. W·(Q̂w, Ûw), X·(Q̂x, Ûx).
      const a = ((l0 - m) & 1) === 0 ? 0 : 8, b = 8 - a;
      const aQwr = c[a]!, aQwi = c[a + 1]!, aUwr = c[a + 2]!, aUwi = c[a + 3]!;
      const aQxr = c[a + 4]!, aQxi = c[a + 5]!, aUxr = c[a + 6]!, aUxi = c[a + 7]!;
      const bQwr = c[b]!, bQwi = c[b + 1]!, bUwr = c[b + 2]!, bUwi = c[b + 3]!;
      const bQxr = c[b + 4]!, bQxi = c[b + 5]!, bUxr = c[b + 6]!, bUxi = c[b + 7]!;
      let gp = gp0, gm = gm0, pp = 0, pm = 0;
      for (let l = l0; l <= lmax; l += 2) {
        let nl = nrm[l]!, wl = nl * (gp + gm), xl = nl * (gp - gm);
        let k = at + 2 * (l - m);
        low[k] = low[k]! - (wl * aQwr + xl * aUxi);
        low[k + 1] = low[k + 1]! - (wl * aQwi - xl * aUxr);
        low[k + 2 * n] = low[k + 2 * n]! - (wl * aUwr - xl * aQxi);
        low[k + 2 * n + 1] = low[k + 2 * n + 1]! - (wl * aUwi + xl * aQxr);
        let np = (abcP[3 * l]! * x - abcP[3 * l + 1]!) * gp - abcP[3 * l + 2]! * pp;
        let nm = (abcM[3 * l]! * x - abcM[3 * l + 1]!) * gm - abcM[3 * l + 2]! * pm;
        pp = gp; gp = np; pm = gm; gm = nm;
        if (l === lmax) break;
        const l1 = l + 1;
        nl = nrm[l1]!; wl = nl * (gp + gm); xl = nl * (gp - gm);
        k += 2;
        low[k] = low[k]! - (wl * bQwr + xl * bUxi);
        low[k + 1] = low[k + 1]! - (wl * bQwi - xl * bUxr);
        low[k + 2 * n] = low[k + 2 * n]! - (wl * bUwr - xl * bQxi);
        low[k + 2 * n + 1] = low[k + 2 * n + 1]! - (wl * bUwi + xl * bQxr);
        np = (abcP[3 * l1]! * x - abcP[3 * l1 + 1]!) * gp - abcP[3 * l1 + 2]! * pp;
        nm = (abcM[3 * l1]! * x - abcM[3 * l1 + 1]!) * gm - abcM[3 * l1 + 2]! * pm;
        pp = gp; gp = np; pm = gm; gm = nm;
      }
    });
    at += 4 * n;
  }
}

/**
 * Spin-2 analysis core: adds A(Q, U) into (a^E, a^B) (validated sizes); `fresh` when both are
 * all zeros. The adjoint of synthesizeSpin2: per field one kernel run on Z/s² (Z = Q̂, Û) to
 * lmax + 2 gives A1 = A[Z/s²]; then A[xZ/s²] = X(A1) and A[Z] = A1 − X(X(A1)) (combineSpin2).
 * The ring FFTs write Z/s² (their weight times 1/s²) straight into the kernel's F sets, Q̂ in set
 * 0 and Û in set 1. Orders below {@link WIGNER_M} of the polar rings use the Wigner recurrence
 * instead.
 */
function analyzeSpin2Add(
  mapQ: FloatMap, mapU: FloatMap, lmax: number, mmax: number, pairs: RingPairs,
  almE: Float64Array, almB: Float64Array, fresh: boolean,
): void {
  const kernel: LegendreKernel = legendreKernel();
  const lk = lmax + 2;
  const sizeK = 2 * almSize(lk, mmax);
  const chunk = lanesPerChunk(pairs.count, mmax, pairs.npix, 32);
  const weight = (4 * Math.PI) / pairs.npix;
  const wt = wignerTables(lmax);
  let lowSize = 0;
  for (let m = 0; m <= Math.min(WIGNER_M - 1, mmax); m++) lowSize += 4 * (lmax + 1 - m);
  const low = new Float64Array(lowSize);
  for (let from = 0; from < pairs.count; from += chunk) {
    const count = Math.min(chunk, pairs.count - from);
    // Two accumulators A[Q̂/s²], A[Û/s²] (layout of lmax + 2) in kernel memory from offset 0.
    kernel.layout(count, lk, mmax, 8 * 2 * sizeK, 2);
    if (from === 0) kernel.f64.fill(0, 0, 2 * sizeK);
    kernel.setLanes(pairs.cosTheta, pairs.sinTheta, from, count);
    for (let field = 0; field < 2; field++) {
      const map = field === 0 ? mapQ : mapU;
      for (let lane = 0; lane < count; lane++) {
        const p = from + lane;
        const ring = ringFft(pairs.nphi[p]!);
        const s = pairs.sinTheta[p]!;
        const w = weight / (s * s);
        ring.analyze(map, pairs.northFirst[p]!, pairs.phi0[p]!, w, mmax, kernel.column(lane, false, field));
        const south = pairs.southFirst[p]!;
        if (south >= 0) ring.analyze(map, south, pairs.phi0[p]!, w, mmax, kernel.column(lane, true, field));
        else kernel.clearColumn(lane, true, field);
      }
    }
    wignerAnalysis(lmax, mmax, pairs, from, count, kernel, wt, low);
    // One pass per field: scripts/bench-batch.ts measured the native one-pass pair (analyzeSets)
    // 8–12% slower than two passes at nside 128–512, as it loads and stores every column sum once
    // per set and group of vectors, where a single pass keeps them in registers.
    legendreSweep(kernel, mmax, (m) => {
      const colStart = 2 * ((m * (2 * lk + 1 - m)) / 2 + m);
      const liveQ = kernel.analyze(m, colStart, 0);
      return kernel.analyze(m, sizeK + colStart, 1) || liveQ;
    });
  }
  combineSpin2(kernel.f64, lmax, mmax, sizeK, low, almE, almB, fresh);
  releaseLegendreKernel(KEEP_KERNEL_BYTES);
}

/**
 * a^E, a^B from A1Z = A[Z/s²] (Z = Q̂ at 0, Û at sizeK, layout of lmax + 2), with AxZ = X(A1Z) and
 * A0Z = A1Z − X(AxZ):
 *   a^E = −2n_l{−(l−m²)A1Q_l − l(l−1)/2·A0Q_l + f_l AxQ_{l−1} − i m[(l−1)AxU_l − f_l A1U_{l−1}]},
 *   a^B = −2n_l{−(l−m²)A1U_l − l(l−1)/2·A0U_l + f_l AxU_{l−1} + i m[(l−1)AxQ_l − f_l A1Q_{l−1}]};
 * m < WIGNER_M from `low` (wignerAnalysis).
 */
function combineSpin2(
  acc: Float64Array, lmax: number, mmax: number, sizeK: number, low: Float64Array,
  almE: Float64Array, almB: Float64Array, fresh: boolean,
): void {
  const { norm } = spin2Tables(lmax);
  const lk = lmax + 2;
  const eps = new Float64Array(lk + 2);
  // Per field (Q̂, Û): A1 (copied), Ax, A0 for l = m … lmax (+ spare), interleaved.
  const a1Q = new Float64Array(2 * (lk + 1)), a1U = new Float64Array(2 * (lk + 1));
  const axQ = new Float64Array(2 * (lk + 2)), axU = new Float64Array(2 * (lk + 2));
  const a0Q = new Float64Array(2 * (lk + 3)), a0U = new Float64Array(2 * (lk + 3));
  let lowAt = 0;
  for (let m = 0; m <= mmax; m++) {
    const start = 2 * ((m * (2 * lmax + 1 - m)) / 2 + m);
    const n = lmax + 1 - m;
    const startK = 2 * ((m * (2 * lk + 1 - m)) / 2 + m);
    const nk = lk + 1 - m;
    epsilons(m, nk + 2, eps);
    a1Q.set(acc.subarray(startK, startK + 2 * nk));
    a1U.set(acc.subarray(sizeK + startK, sizeK + startK + 2 * nk));
    xShift(a1Q, nk, eps, axQ);
    xShift(axQ, nk, eps, a0Q);
    xShift(a1U, nk, eps, axU);
    xShift(axU, nk, eps, a0U);
    for (let i = 0; i < 2 * n; i++) {
      a0Q[i] = a1Q[i]! - a0Q[i]!;
      a0U[i] = a1U[i]! - a0U[i]!;
    }
    for (let l = Math.max(m, 2); l <= lmax; l++) {
      const j = 2 * (l - m);
      const k = start + j;
      const c1 = -(l - m * m), c0 = -(l * (l - 1)) / 2, cx = l - 1;
      // f_l = (2l + 1) ε_l, 0 at l = m (where λ_{l−1} vanishes and jm is unused).
      const f = (2 * l + 1) * eps[l - m]!;
      const jm = l > m ? j - 2 : j;
      const scale = -2 * norm[l]!;
      const reQ = c1 * a1Q[j]! + c0 * a0Q[j]! + f * axQ[jm]!;
      const imQ = c1 * a1Q[j + 1]! + c0 * a0Q[j + 1]! + f * axQ[jm + 1]!;
      const reU = c1 * a1U[j]! + c0 * a0U[j]! + f * axU[jm]!;
      const imU = c1 * a1U[j + 1]! + c0 * a0U[j + 1]! + f * axU[jm + 1]!;
      // The cross terms: i·m·[(l − 1) Ax − f A1_{l−1}] of the other field, −m for E, +m for B.
      const trU = cx * axU[j]! - f * a1U[jm]!, tiU = cx * axU[j + 1]! - f * a1U[jm + 1]!;
      const trQ = cx * axQ[j]! - f * a1Q[jm]!, tiQ = cx * axQ[j + 1]! - f * a1Q[jm + 1]!;
      const eRe = scale * (reQ + m * tiU), eIm = scale * (imQ - m * trU);
      const bRe = scale * (reU - m * tiQ), bIm = scale * (imU + m * trQ);
      if (fresh) {
        almE[k] = eRe;
        almE[k + 1] = eIm;
        almB[k] = bRe;
        almB[k + 1] = bIm;
      } else {
        almE[k] = almE[k]! + eRe;
        almE[k + 1] = almE[k + 1]! + eIm;
        almB[k] = almB[k]! + bRe;
        almB[k + 1] = almB[k + 1]! + bIm;
      }
    }
    if (fresh) {
      for (let l = m; l < 2; l++) {
        const k = start + 2 * (l - m);
        almE[k] = 0; almE[k + 1] = 0; almB[k] = 0; almB[k + 1] = 0;
      }
    }
    if (m < WIGNER_M) {
      // The polar rings' share, from wignerAnalysis.
      for (let i = 0; i < 2 * n; i++) {
        if (m + (i >> 1) < 2) continue;
        almE[start + i] = almE[start + i]! + low[lowAt + i]!;
        almB[start + i] = almB[start + i]! + low[lowAt + 2 * n + i]!;
      }
      lowAt += 4 * n;
    }
  }
  // Im a_l0 = 0, as for spin 0.
  for (let l = 0; l <= lmax; l++) {
    almE[2 * l + 1] = 0;
    almB[2 * l + 1] = 0;
  }
}

/**
 * Polarised synthesis (healpy's `alm2map([T, E, B], nside, lmax, mmax, pol=True)`): the I, Q, U
 * maps of resolution `nside`, RING-ordered float64. The three alm share one layout; E and B
 * entries with l < 2 are ignored. Throws a RangeError for a bad nside, lmax/mmax or alm sizes.
 */
export function alm2mapPol(alms: Triple<Float64Array>, nside: number, options: Alm2MapPolOptions = {}): Triple<Float64Array> {
  checkNside(nside);
  const [lmax, mmax] = almShape(alms[0].length, options.lmax, options.mmax);
  for (const [i, a] of alms.entries()) {
    if (a.length !== alms[0].length) {
      throw new RangeError(`alm ${"TEB"[i]!} has ${String(a.length / 2)} coefficients, T has ${String(alms[0].length / 2)}`);
    }
  }
  const npix = 12 * nside * nside;
  const i = alm2map(alms[0], nside, { lmax, mmax });
  const q = new Float64Array(npix);
  const u = new Float64Array(npix);
  synthesizeSpin2(alms[1], alms[2], lmax, mmax, ringPairs(nside), q, u);
  return [i, q, u];
}

/**
 * Polarised analysis (healpy's `map2alm([I, Q, U], lmax, mmax, iter, pol=True)`, uniform weights):
 * T from I as {@link map2alm}; E, B from Q, U by A, then `iter` times (E, B) += A((Q, U) − S(E, B)).
 * UNSEEN pixels (within 1e-5 relative) count as 0. Returns interleaved complex [T, E, B] in
 * healpy's layout, with Im a_l0 = 0 and E, B zero for l < 2. RangeError for maps of different or
 * invalid lengths, or bad lmax/mmax/iter.
 */
export function map2almPol(maps: Triple<FloatMap>, options: Map2AlmPolOptions = {}): Triple<Float64Array> {
  const nside = nsideOfMap(maps[0].length);
  checkMapLength(maps[1].length, nside, "Q map");
  checkMapLength(maps[2].length, nside, "U map");
  const lmax = options.lmax ?? 3 * nside - 1;
  const mmax = options.mmax ?? lmax;
  checkLmax(lmax, mmax);
  const iter = options.iter ?? 3;
  if (!Number.isInteger(iter) || iter < 0) throw new RangeError(`iter must be a non-negative integer, got ${String(iter)}`);
  const t = map2alm(maps[0], { lmax, mmax, iter });
  const size = 2 * almSize(lmax, mmax);
  const e = new Float64Array(size);
  const b = new Float64Array(size);
  const pairs = ringPairs(nside);
  analyzeSpin2Add(maps[1], maps[2], lmax, mmax, pairs, e, b, true);
  if (iter > 0) {
    const rq = scratchF64("map2almPol.q", maps[1].length);
    const ru = scratchF64("map2almPol.u", maps[1].length);
    for (let it = 0; it < iter; it++) {
      synthesizeSpin2(e, b, lmax, mmax, pairs, rq, ru);
      for (let p = 0; p < rq.length; p++) {
        const vq = maps[1][p]!, vu = maps[2][p]!;
        rq[p] = (isUnseen(vq) ? 0 : vq) - rq[p]!;
        ru[p] = (isUnseen(vu) ? 0 : vu) - ru[p]!;
      }
      analyzeSpin2Add(rq, ru, lmax, mmax, pairs, e, b, false);
    }
  }
  return [t, e, b];
}
