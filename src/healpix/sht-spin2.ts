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
 * folds the three into one, s²·(field sum) = Σ_l w_l λ_l over l ≤ lmax + 2, so synthesis runs the
 * kernel once per field and m (Q, U) and analysis once per field on Z/s² (Z = Q̂, Û), whose
 * shifted sums give the other two.
 * Near the poles the 1/s² form cancels: by ~1/s² for m ≤ 1 and less for small m ≥ 2 (2.2e-11
 * relative error at nside 512 with white alm). Rings with s² < {@link WIGNER_S2} therefore take
 * the Wigner d recurrence in l for m < {@link WIGNER_M} (scalar, O(lmax) per ring and m, no 1/s²).
 */
import { almShape, almSize, checkLmax } from "./alm.js";
import { ringFft } from "./fft.js";
import type { TiledColumn } from "./fft.js";
import { legendreKernel, releaseLegendreKernel } from "./legendre.js";
import type { LegendreKernel } from "./legendre.js";
import { checkNside } from "./nside.js";
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

/** f_l for order m (0 at l = m, where λ_{l−1} vanishes). */
function fl(l: number, m: number): number {
  return Math.sqrt(((2 * l + 1) * (l * l - m * m)) / (2 * l - 1));
}

/**
 * Fills the kernel's a column (l = m … lmax, interleaved) with the coefficients of kernel run
 * `kind` for one field: `g` is that field's a (a^E for Q, a^B for U), `h` the other one and
 * `sign` +1 for Q, −1 for U (Q_m = −Σ(a^E W + i a^B X), U_m = −Σ(a^B W − i a^E X)). The overall
 * minus sign is applied here too.
 */
function fillColumn(
  col: Float64Array, at: number, kind: number, m: number, lmax: number, start: number,
  g: Float64Array, h: Float64Array, sign: number, norm: Float64Array,
): void {
  const sm = sign * m;
  for (let l = m; l <= lmax; l++) {
    const k = start + 2 * (l - m);
    const n = norm[l]!;
    let re: number, im: number;
    if (kind === 1) {
      const c = n * l * (l - 1);
      re = c * g[k]!;
      im = c * g[k + 1]!;
    } else {
      // p3_l = 2 n_{l+1} f_{l+1} a_{l+1} (the λ_{l−1} terms, moved onto λ_l).
      const p3 = l < lmax ? 2 * norm[l + 1]! * fl(l + 1, m) : 0;
      if (kind === 0) {
        // −p1(g) + i·sign·m·p3(h): W's 1/s² part of g and X's λ_{l−1} part of h.
        const c = 2 * n * (l - m * m);
        re = c * g[k]! - (l < lmax ? sm * p3 * h[k + 3]! : 0);
        im = c * g[k + 1]! + (l < lmax ? sm * p3 * h[k + 2]! : 0);
      } else {
        // −p3(g) − i·sign·m·q1(h), q1_l = 2 n_l (l−1): W's x/s² part of g and X's x λ_l part of h.
        const q1 = 2 * n * (l - 1) * sm;
        re = -(l < lmax ? p3 * g[k + 2]! : 0) + q1 * h[k + 1]!;
        im = -(l < lmax ? p3 * g[k + 3]! : 0) - q1 * h[k]!;
      }
    }
    col[at + 2 * (l - m)] = re;
    col[at + 2 * (l - m) + 1] = im;
  }
}

/** A plain (single-tile) column over m in `data` at double index `base`. */
function plainColumn(data: Float64Array, base: number, mmax: number): TiledColumn {
  return { data, base, tile: mmax + 1, stride: 0 };
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
 * W_l and X_l (l = max(m, 2) … lmax) of order m at cos θ = x, sin² θ = s2, into w and xx (after
 * {@link wignerOrder} for m). `omx` and `opx` are 1 − x and 1 + x computed without cancellation.
 */
function wignerFunctions(
  t: WignerTables, m: number, lmax: number, x: number, s2: number, omx: number, opx: number, w: Float64Array, xx: Float64Array,
): void {
  const s = Math.sqrt(s2);
  const l0 = Math.max(m, 2);
  const parity = m % 2 === 0 ? 1 : -1;
  for (let branch = 0; branch < (m === 0 ? 1 : 2); branch++) {
    const abc = t.abc[branch as 0 | 1];
    let g: number;
    if (m === 0) g = Math.sqrt(3 / 8) * s2;
    else if (m === 1) g = branch === 0 ? (opx * s) / 2 : (-omx * s) / 2;
    else {
      // d^m_{m,±2} = (−1)^m √C(2m, m±2) cos(θ/2)^{m±2} sin(θ/2)^{m∓2}.
      const up = branch === 0 ? m + 2 : m - 2;
      g = parity * t.seed[branch]! * Math.pow(opx / 2, up / 2) * Math.pow(omx / 2, (2 * m - up) / 2);
    }
    let prev = 0;
    for (let l = l0; l <= lmax; l++) {
      const v = t.nrm[l]! * g;
      if (m === 0) {
        w[l] = v;
        xx[l] = 0;
      } else if (branch === 0) {
        w[l] = v / 2;
        xx[l] = v / 2;
      } else {
        w[l] = w[l]! + v / 2;
        xx[l] = xx[l]! - v / 2;
      }
      const next = (abc[3 * l]! * x - abc[3 * l + 1]!) * g - abc[3 * l + 2]! * prev;
      prev = g;
      g = next;
    }
  }
}

/** 1 − x and 1 + x for a ring of cos θ = x, sin² θ = s2, each without cancellation. */
function oneMinusPlus(x: number, s2: number): [number, number] {
  return x >= 0 ? [s2 / (1 + x), 1 + x] : [1 - x, s2 / (1 - x)];
}

/**
 * Q_m, U_m for m < {@link WIGNER_M} of the chunk's lanes into `acc` (layout of synthesizeSpin2), from the
 * Wigner recurrence: Q_m = −Σ_l (a^E W − i a^B X), U_m = −Σ_l (a^B W + i a^E X).
 */
function wignerSynthesis(
  almE: Float64Array, almB: Float64Array, lmax: number, mmax: number, pairs: RingPairs,
  from: number, count: number, acc: Float64Array, colLen: number, t: WignerTables,
): void {
  const w = new Float64Array(lmax + 1);
  const xx = new Float64Array(lmax + 1);
  for (let m = 0; m <= Math.min(WIGNER_M - 1, mmax); m++) {
    wignerOrder(t, m, lmax);
    const start = 2 * ((m * (2 * lmax + 1 - m)) / 2 + m);
    forPolarRings(t, m, lmax, pairs, from, count, w, xx, (lane, ring) => {
      let qr = 0, qi = 0, ur = 0, ui = 0;
      for (let l = Math.max(2, m); l <= lmax; l++) {
        const k = start + 2 * (l - m);
        const wl = w[l]!, xl = xx[l]!;
        // −(E W − i B X) and −(B W + i E X).
        qr -= almE[k]! * wl + almB[k + 1]! * xl;
        qi -= almE[k + 1]! * wl - almB[k]! * xl;
        ur -= almB[k]! * wl - almE[k + 1]! * xl;
        ui -= almB[k + 1]! * wl + almE[k]! * xl;
      }
      const a = 2 * lane * colLen + ring * colLen + 2 * m;
      acc[a] = qr;
      acc[a + 1] = qi;
      acc[a + 2 * count * colLen] = ur;
      acc[a + 2 * count * colLen + 1] = ui;
    });
  }
}

/**
 * Calls `visit` for each ring of the chunk's lanes near a pole (sin² θ below {@link WIGNER_S2}),
 * northern then southern, once `w` and `xx` hold the Wigner functions of order m there.
 */
function forPolarRings(
  t: WignerTables, m: number, lmax: number, pairs: RingPairs, from: number, count: number,
  w: Float64Array, xx: Float64Array, visit: (lane: number, ring: number) => void,
): void {
  for (let lane = 0; lane < count; lane++) {
    const p = from + lane;
    const s = pairs.sinTheta[p]!;
    const s2 = s * s;
    if (s2 >= WIGNER_S2) continue;
    for (let ring = 0; ring < 2; ring++) {
      const x = ring === 0 ? pairs.cosTheta[p]! : -pairs.cosTheta[p]!;
      const [omx, opx] = oneMinusPlus(x, s2);
      wignerFunctions(t, m, lmax, x, s2, omx, opx, w, xx);
      visit(lane, ring);
    }
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
 * (columns of fillColumn) become one: s² F = S[c0 + c1 + X(c2) − X(X(c1))] with s² = 1 − x² and
 * the exact shift X of {@link xShift}, so the kernel runs once per field and m, to lmax + 2.
 */
function synthesizeSpin2(
  almE: Float64Array, almB: Float64Array, lmax: number, mmax: number, pairs: RingPairs, outQ: FloatMap, outU: FloatMap,
): void {
  const kernel = legendreKernel();
  const { norm } = spin2Tables(lmax);
  const lk = lmax + 2;
  // Q and U columns per lane and ring: 2 fields × 2 rings × 16 bytes per m.
  const chunk = lanesPerChunk(pairs.count, mmax, pairs.npix, 64);
  const colLen = 2 * (mmax + 1);
  const acc = new Float64Array(4 * colLen * Math.min(chunk, pairs.count));
  const fields: readonly [Float64Array, Float64Array, number][] = [[almE, almB, -1], [almB, almE, 1]];
  const low = wignerTables(lmax);
  const eps = new Float64Array(lk + 2);
  const c = [0, 1, 2].map(() => new Float64Array(2 * (lmax + 1)));
  const t1 = new Float64Array(2 * (lk + 1));
  const t2 = new Float64Array(2 * (lk + 1));
  const invS2 = new Float64Array(pairs.count);
  for (let p = 0; p < pairs.count; p++) invS2[p] = 1 / (pairs.sinTheta[p]! * pairs.sinTheta[p]!);
  for (let from = 0; from < pairs.count; from += chunk) {
    const count = Math.min(chunk, pairs.count - from);
    kernel.layout(count, lk, mmax);
    kernel.setLanes(pairs.cosTheta, pairs.sinTheta, from, count);
    acc.fill(0);
    const mEnd = legendreSweep(kernel, mmax, (m) => {
      const start = 2 * ((m * (2 * lmax + 1 - m)) / 2 + m);
      const n = lmax + 1 - m;
      epsilons(m, n + 2, eps);
      let live = false;
      const f = kernel.f64;
      const col = kernel.colIndex;
      for (let field = 0; field < 2; field++) {
        const [g, h, sign] = fields[field]!;
        for (let kind = 0; kind < 3; kind++) fillColumn(c[kind]!, 0, kind, m, lmax, start, g, h, sign, norm);
        // w = c0 + c1 + X(c2) − X(X(c1)), n + 2 entries.
        xShift(c[2]!, n, eps, t1);
        xShift(c[1]!, n, eps, t2);
        f.fill(0, col, col + 2 * (n + 2));
        for (let i = 0; i < 2 * n; i++) f[col + i] = c[0]![i]! + c[1]![i]!;
        for (let i = 0; i < 2 * (n + 1); i++) f[col + i] = f[col + i]! + t1[i]!;
        xShift(t2, n + 1, eps, t1);
        for (let i = 0; i < 2 * (n + 2); i++) f[col + i] = f[col + i]! - t1[i]!;
        live = kernel.synth(m) || live;
        const no0 = kernel.entry(0, false, m), laneStep = kernel.entry(1, false, m) - no0;
        const southStep = kernel.entry(0, true, m) - no0;
        for (let lane = 0, no = no0, a = 2 * field * count * colLen + 2 * m; lane < count; lane++, no += laneStep, a += 2 * colLen) {
          const r = invS2[from + lane]!;
          acc[a] = r * f[no]!;
          acc[a + 1] = r * f[no + 1]!;
          acc[a + colLen] = r * f[no + southStep]!;
          acc[a + colLen + 1] = r * f[no + southStep + 1]!;
        }
      }
      return live;
    });
    wignerSynthesis(almE, almB, lmax, mmax, pairs, from, count, acc, colLen, low);
    for (let field = 0; field < 2; field++) {
      const out = field === 0 ? outQ : outU;
      for (let lane = 0; lane < count; lane++) {
        const p = from + lane;
        const ring = ringFft(pairs.nphi[p]!);
        const base = (2 * field * count + 2 * lane) * colLen;
        ring.synthesize(plainColumn(acc, base, mmax), mEnd, pairs.phi0[p]!, out, pairs.northFirst[p]!);
        const south = pairs.southFirst[p]!;
        if (south >= 0) ring.synthesize(plainColumn(acc, base + colLen, mmax), mEnd, pairs.phi0[p]!, out, south);
      }
    }
  }
  releaseLegendreKernel(KEEP_KERNEL_BYTES);
}

/**
 * a^E, a^B (m < {@link WIGNER_M}) of the chunk's lanes added into `low` (per m, l = m … lmax,
 * E then B), from the Wigner recurrence: a^E += −(W Q̂ − i X Û), a^B += −(W Û + i X Q̂).
 * `zc` holds Q̂, Û per lane and ring in the layout of analyzeSpin2Add.
 */
function wignerAnalysis(
  lmax: number, mmax: number, pairs: RingPairs, from: number, count: number, zc: Float64Array, colLen: number,
  t: WignerTables, low: Float64Array,
): void {
  const w = new Float64Array(lmax + 1);
  const xx = new Float64Array(lmax + 1);
  let at = 0;
  for (let m = 0; m <= Math.min(WIGNER_M - 1, mmax); m++) {
    wignerOrder(t, m, lmax);
    const n = lmax + 1 - m;
    forPolarRings(t, m, lmax, pairs, from, count, w, xx, (lane, ring) => {
      const q = 2 * lane * colLen + ring * colLen + 2 * m;
      const u = q + 2 * count * colLen;
      const qr = zc[q]!, qi = zc[q + 1]!, ur = zc[u]!, ui = zc[u + 1]!;
      for (let l = Math.max(2, m); l <= lmax; l++) {
        const k = at + 2 * (l - m);
        const wl = w[l]!, xl = xx[l]!;
        low[k] = low[k]! - (wl * qr + xl * ui);
        low[k + 1] = low[k + 1]! - (wl * qi - xl * ur);
        low[k + 2 * n] = low[k + 2 * n]! - (wl * ur - xl * qi);
        low[k + 2 * n + 1] = low[k + 2 * n + 1]! - (wl * ui + xl * qr);
      }
    });
    at += 4 * n;
  }
}

/**
 * Spin-2 analysis core: adds A(Q, U) into (a^E, a^B) (validated sizes); `fresh` when both are
 * all zeros. The adjoint of synthesizeSpin2: per field one kernel run on Z/s² (Z = Q̂, Û) to
 * lmax + 2 gives A1 = A[Z/s²]; then A[xZ/s²] = X(A1) and A[Z] = A1 − X(X(A1)) (combineSpin2).
 * Orders below {@link WIGNER_M} use the Wigner recurrence instead.
 */
function analyzeSpin2Add(
  mapQ: FloatMap, mapU: FloatMap, lmax: number, mmax: number, pairs: RingPairs,
  almE: Float64Array, almB: Float64Array, fresh: boolean,
): void {
  const kernel: LegendreKernel = legendreKernel();
  const lk = lmax + 2;
  const sizeK = 2 * almSize(lk, mmax);
  const chunk = lanesPerChunk(pairs.count, mmax, pairs.npix, 64);
  const colLen = 2 * (mmax + 1);
  const zc = new Float64Array(4 * colLen * Math.min(chunk, pairs.count));
  const weight = (4 * Math.PI) / pairs.npix;
  const wt = wignerTables(lmax);
  let lowSize = 0;
  for (let m = 0; m <= Math.min(WIGNER_M - 1, mmax); m++) lowSize += 4 * (lmax + 1 - m);
  const low = new Float64Array(lowSize);
  const invS2 = new Float64Array(pairs.count);
  const polar = new Uint8Array(pairs.count);
  for (let p = 0; p < pairs.count; p++) {
    const s2 = pairs.sinTheta[p]! * pairs.sinTheta[p]!;
    invS2[p] = 1 / s2;
    polar[p] = s2 < WIGNER_S2 ? 1 : 0;
  }
  for (let from = 0; from < pairs.count; from += chunk) {
    const count = Math.min(chunk, pairs.count - from);
    // Two accumulators A[Q̂/s²], A[Û/s²] (layout of lmax + 2) in kernel memory from offset 0.
    kernel.layout(count, lk, mmax, 8 * 2 * sizeK);
    if (from === 0) kernel.f64.fill(0, 0, 2 * sizeK);
    kernel.setLanes(pairs.cosTheta, pairs.sinTheta, from, count);
    for (let field = 0; field < 2; field++) {
      const map = field === 0 ? mapQ : mapU;
      for (let lane = 0; lane < count; lane++) {
        const p = from + lane;
        const ring = ringFft(pairs.nphi[p]!);
        const base = (2 * field * count + 2 * lane) * colLen;
        ring.analyze(map, pairs.northFirst[p]!, pairs.phi0[p]!, weight, mmax, plainColumn(zc, base, mmax));
        const south = pairs.southFirst[p]!;
        if (south >= 0) ring.analyze(map, south, pairs.phi0[p]!, weight, mmax, plainColumn(zc, base + colLen, mmax));
        else zc.fill(0, base + colLen, base + 2 * colLen);
      }
    }
    wignerAnalysis(lmax, mmax, pairs, from, count, zc, colLen, wt, low);
    legendreSweep(kernel, mmax, (m) => {
      const colStart = 2 * ((m * (2 * lk + 1 - m)) / 2 + m);
      let live = false;
      const f = kernel.f64;
      const no0 = kernel.entry(0, false, m), laneStep = kernel.entry(1, false, m) - no0;
      const southStep = kernel.entry(0, true, m) - no0;
      for (let field = 0; field < 2; field++) {
        for (let lane = 0, n = no0, a = 2 * field * count * colLen + 2 * m; lane < count; lane++, n += laneStep, a += 2 * colLen) {
          // Polar rings of m < WIGNER_M are in wignerAnalysis's sums instead.
          const r = m < WIGNER_M && polar[from + lane] === 1 ? 0 : invS2[from + lane]!;
          f[n] = r * zc[a]!;
          f[n + 1] = r * zc[a + 1]!;
          f[n + southStep] = r * zc[a + colLen]!;
          f[n + southStep + 1] = r * zc[a + colLen + 1]!;
        }
        live = kernel.analyze(m, field * sizeK + colStart) || live;
      }
      return live;
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
  // Per field: A1 (copied), Ax, A0 for l = m … lmax (+ spare), interleaved.
  const a1 = [new Float64Array(2 * (lk + 1)), new Float64Array(2 * (lk + 1))];
  const ax = [new Float64Array(2 * (lk + 2)), new Float64Array(2 * (lk + 2))];
  const a0 = [new Float64Array(2 * (lk + 3)), new Float64Array(2 * (lk + 3))];
  let lowAt = 0;
  for (let m = 0; m <= mmax; m++) {
    const start = 2 * ((m * (2 * lmax + 1 - m)) / 2 + m);
    const n = lmax + 1 - m;
    const startK = 2 * ((m * (2 * lk + 1 - m)) / 2 + m);
    const nk = lk + 1 - m;
    epsilons(m, nk + 2, eps);
    for (let field = 0; field < 2; field++) {
      a1[field]!.set(acc.subarray(field * sizeK + startK, field * sizeK + startK + 2 * nk));
      xShift(a1[field]!, nk, eps, ax[field]!);
      xShift(ax[field]!, nk, eps, a0[field]!);
      for (let i = 0; i < 2 * n; i++) a0[field]![i] = a1[field]![i]! - a0[field]![i]!;
    }
    for (let l = m; l <= lmax; l++) {
      const j = 2 * (l - m);
      const k = start + j;
      if (l < 2) {
        if (fresh) {
          almE[k] = 0; almE[k + 1] = 0; almB[k] = 0; almB[k + 1] = 0;
        }
        continue;
      }
      const c1 = -(l - m * m), c0 = -(l * (l - 1)) / 2, cx = l - 1;
      const f = l > m ? fl(l, m) : 0;
      const jm = l > m ? j - 2 : j; // λ_{l−1} terms; f = 0 at l = m
      const scale = -2 * norm[l]!;
      for (let field = 0; field < 2; field++) {
        const o = field, q = 1 - field;
        const sm = field === 0 ? -m : m;
        let re = c1 * a1[o]![j]! + c0 * a0[o]![j]! + f * ax[o]![jm]!;
        let im = c1 * a1[o]![j + 1]! + c0 * a0[o]![j + 1]! + f * ax[o]![jm + 1]!;
        const tr = cx * ax[q]![j]! - f * a1[q]![jm]!;
        const ti = cx * ax[q]![j + 1]! - f * a1[q]![jm + 1]!;
        re -= sm * ti;
        im += sm * tr;
        const out = field === 0 ? almE : almB;
        out[k] = (fresh ? 0 : out[k]!) + scale * re;
        out[k + 1] = (fresh ? 0 : out[k + 1]!) + scale * im;
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
    const rq = new Float64Array(maps[1].length);
    const ru = new Float64Array(maps[1].length);
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
