// AssemblyScript source of the Legendre kernels, compiled by scripts/build-wasm.ts into
// src/healpix/wasm/legendre-wasm.generated.ts (the .as suffix keeps tsc and eslint off it).
//
// | symbol  | meaning                                                          | range              |
// |---------|------------------------------------------------------------------|--------------------|
// | x, y    | cos θ of a lane's northern ring, y = x²                          | [0, 1)             |
// | λ_l     | normalised λ_lm(x) (Y_lm = λ_lm e^{imφ}), m fixed                | |λ| ≲ √((2l+1)/4π)  |
// | e2_l    | ε_l² = (l² − m²)/(4l² − 1)                                        | [0, ~1/4]          |
// | N_l     | Π_{j=m+1..l} 1/ε_j; μ_l = λ_l / N_l is the monic sequence        | N_m = 1            |
// | b_l,c_l | e2_l + e2_{l+1}, e2_{l−1}·e2_l                                    |                    |
// | j       | "step" (l − m) >> 1: the pair (m+2j, m+2j+1)                     | 0 … (lmax−m)/2+1   |
// | S_j, N' | product of renormalisation factors up to step j; N'_l = N_l/S_j  | N' ∈ [1, ~2^470]   |
// | v, k    | a lane's μ̃ = μ·S with exponent: value = v · 2^(512 k), k ≤ 0     |                    |
// | lane    | one ring pair; 4 lanes per block = two f64x2 vectors a and b    |                    |
//
// Recurrences (from λ_{l+1} = (x λ_l − ε_l λ_{l−1})/ε_{l+1}):
//   monic in x:   μ_{l+1} = x μ_l − e2_l μ_{l−1}
//   monic in y:   μ_{l+2} = (y − b_l) μ_l − c_l μ_{l−2}     (Ishioka 2018)
// The y form splits even and odd l − m into two independent chains with 2 multiplies per step
// and half the dependency-chain latency of the x form, which is what bounds a 2-wide SIMD loop
// without FMA. μ shrinks like 2^{−(l−m)}, so at steps listed in the boundary table the state is
// multiplied by a power of two F and N' divided by it (exact); a_lm are used pre-multiplied by N'.
//
// Underflow: λ_mm = (−1)^m c_m s^m underflows doubles at high m near the poles. Lanes carry
// (v, k), rescaled by 2^−512 whenever |v|·N' reaches LIMIT; while k < 0 the lane's λ is below
// THRESH = 2^−60 and its terms are dropped (cf = 0), far below the 1e−12 accuracy target.
// Per block of lanes: phase 0 (nothing significant: the two y chains, recurrence only, one cheap
// test per step), phase A (some lanes significant: x form, accumulate v·cf, keep checking), then,
// once all lanes are at scale 0, the hot loops: for synthesis the two y chains per block
// (chainSynth: its accumulators must stay in registers, which limits it to two vectors, and the
// y form's independent chains hide the latency); for analysis the x form over two blocks at once
// (xRun4: no loop-carried accumulators, so four vectors fit and hide the latency with fewer
// operations). A lane that never becomes significant up to lmax is marked dead: at fixed l beyond
// the turning point λ_lm decays as m grows, so later m skip it.
//
// Memory is owned by the JavaScript side; pointers are byte offsets, 16-byte aligned.
// Per-lane arrays (x, y, v, k, dead) hold one f64 per lane. F holds per lane a column of complex
// coefficients over m for the north ring (E + O), then one for the south ring (E − O), using
// λ_lm(−x) = (−1)^{l−m} λ_lm(x); kernels get F offset to the current m, the lane stride and the
// offset of the south column.
// Per-m tables (from coefs()): e2 (f64), nrm (N'), lim (LIMIT/N') linear from l = m; bc (b, c)
// parity-split (configure()); the boundary list bj (i32 steps, terminated by 0x7fffffff) with
// factors bf (f64).

/**
 * a·b + c and c − a·b: fused (one rounding) in the relaxed-SIMD build (legendre-relaxed), where
 * the engine may use FMA; unfused, and so bit for bit the arithmetic of the plain build, otherwise.
 */
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(c, f64x2.mul(a, b));
}

@inline function nmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_nmadd(a, b, c);
  return f64x2.sub(c, f64x2.mul(a, b));
}

const THRESH: f64 = 8.673617379884035e-19; // 2^-60, on λ = μ̃·N'
const LIMIT: f64 = 1.1620871203850335e136; // THRESH · 2^512
const DOWN: f64 = 7.458340731200207e-155; // 2^-512
const UP: f64 = 1.3407807929942597e154; // 2^512
// Renormalise once N' exceeds 2^400: boundaries stay rare (a few per m) while a_lm·N' stays far
// from overflow for |a_lm| up to ~1e150.
const RENORM_AT: f64 = 2.5822498780869086e120; // 2^400
const NO_STEP: i32 = 0x7fffffff;

/** Byte offset of the odd-parity half of the split per-m arrays (see configure()). */
let gOdd: usize = 0;

/**
 * Sets the layout of the parity-split arrays (bc, the synthesis a column, the analysis sums):
 * the entry of l sits at base + ((l − m) & 1)·oddBytes + 16·((l − m) >> 1), so each y chain
 * streams one contiguous half instead of every other entry of the whole column.
 */
export function configure(oddBytes: usize): void {
  gOdd = oddBytes;
}

@inline function split(base: usize, m: i32, l: i32): usize {
  return base + (<usize>((l - m) & 1)) * gOdd + (<usize>((l - m) >> 1) << 4);
}

@inline function pow2(e: i32): f64 {
  return reinterpret<f64>(<i64>(e + 1023) << 52);
}

@inline function exponentOf(x: f64): i32 {
  return <i32>((reinterpret<i64>(x) >> 52) & 0x7ff) - 1023;
}

/**
 * Per-lmax tables: inv4[l] = 1/(4l² − 1), sq4[l] = √(4l² − 1) for l ≤ lmax + 4, isq[k] = 1/√k for
 * 1 ≤ k ≤ 2·lmax + 8.
 */
export function lmaxTables(lmax: i32, inv4: usize, sq4: usize, isq: usize): void {
  for (let l = 0; l <= lmax + 4; l++) {
    const q = 4 * <f64>l * <f64>l - 1;
    store<f64>(inv4 + (<usize>l << 3), 1 / q);
    store<f64>(sq4 + (<usize>l << 3), l == 0 ? 0 : Math.sqrt(q));
  }
  store<f64>(isq, 0);
  for (let k = 1; k <= 2 * lmax + 8; k++) store<f64>(isq + (<usize>k << 3), 1 / Math.sqrt(<f64>k));
}

/**
 * Per-m tables for l = m … lmax + 3 (see the header), from the per-lmax tables; lim = LIMIT/N'
 * is the phase-0 test on μ̃.
 */
export function coefs(
  m: i32, lmax: i32, inv4: usize, sq4: usize, isq: usize,
  e2p: usize, bcp: usize, nrmp: usize, limp: usize, bjp: usize, bfp: usize,
): void {
  const end = lmax + 3;
  for (let l = m; l <= end + 1; l++) {
    const e2 = <f64>(l - m) * <f64>(l + m) * load<f64>(inv4 + (<usize>l << 3));
    store<f64>(e2p + (<usize>(l - m) << 3), e2);
  }
  for (let par = 0; par < 2; par++) {
    let q = bcp + (par == 0 ? 0 : gOdd);
    for (let i = par; i <= end - m; i += 2) {
      const e2 = load<f64>(e2p + (<usize>i << 3));
      store<f64>(q, e2 + load<f64>(e2p + (<usize>i << 3), 8));
      store<f64>(q, i == 0 ? 0 : load<f64>(e2p + (<usize>(i - 1) << 3)) * e2, 8);
      q += 16;
    }
  }
  // N' per l; decide renormalisations per step once both members of the step are known.
  let n: f64 = 1;
  let nb = 0;
  store<f64>(nrmp, 1);
  for (let l = m + 1; l <= end; l++) {
    const r = load<f64>(sq4 + (<usize>l << 3)) * load<f64>(isq + (<usize>(l - m) << 3)) * load<f64>(isq + (<usize>(l + m) << 3));
    n *= r;
    store<f64>(nrmp + (<usize>(l - m) << 3), n);
    if (((l - m) & 1) == 1 && n > RENORM_AT) {
      // Step j = (l − m) >> 1 becomes a boundary: its two values and everything after carry F.
      const f = pow2(exponentOf(load<f64>(nrmp + (<usize>(l - 1 - m) << 3))));
      const inv = 1 / f;
      store<f64>(nrmp + (<usize>(l - 1 - m) << 3), load<f64>(nrmp + (<usize>(l - 1 - m) << 3)) * inv);
      n *= inv;
      store<f64>(nrmp + (<usize>(l - m) << 3), n);
      store<i32>(bjp + (<usize>nb << 2), (l - m) >> 1);
      store<f64>(bfp + (<usize>nb << 3), f);
      nb++;
    }
  }
  store<i32>(bjp + (<usize>nb << 2), NO_STEP);
  for (let i = 0; i <= end - m; i++) store<f64>(limp + (<usize>i << 3), LIMIT / load<f64>(nrmp + (<usize>i << 3)));
}

/** dst(l) = a_l · N'_l for l = m … lmax: `src` linear from l = m, `dst` parity-split. */
export function prescale(m: i32, lmax: i32, src: usize, dst: usize, nrmp: usize): void {
  for (let par = 0; par < 2; par++) {
    let q = dst + (par == 0 ? 0 : gOdd);
    for (let i = par; i <= lmax - m; i += 2) {
      v128.store(q, f64x2.mul(v128.load(src + (<usize>i << 4)), v128.load64_splat(nrmp + (<usize>i << 3))));
      q += 16;
    }
  }
}

/**
 * Finishes an analysis column: a_l += N'_l · p(l) for l = m … lmax from the parity-split column
 * sums `p`, which are zeroed for the next m; `a` is linear from l = m.
 */
export function finish(m: i32, lmax: i32, p: usize, a: usize, nrmp: usize): void {
  const zero = f64x2.splat(0);
  for (let par = 0; par < 2; par++) {
    let q = p + (par == 0 ? 0 : gOdd);
    for (let i = par; i <= lmax - m; i += 2) {
      const o = a + (<usize>i << 4);
      v128.store(o, madd(v128.load(q), v128.load64_splat(nrmp + (<usize>i << 3)), v128.load(o)));
      v128.store(q, zero);
      q += 16;
    }
  }
}

/**
 * Advances λ_mm from m − 1 to m for `n` lanes: v ← −v · s · √((2m+1)/(2m)), renormalised so a lane
 * with k < 0 keeps v in [THRESH, LIMIT).
 */
export function advanceMM(m: i32, n: i32, sp: usize, vp: usize, kp: usize): void {
  const f = -Math.sqrt(<f64>(2 * m + 1) / <f64>(2 * m));
  for (let r = 0; r < n; r++) {
    const o = <usize>r << 3;
    let v = load<f64>(vp + o) * load<f64>(sp + o) * f;
    let k = load<f64>(kp + o);
    while (v != 0 && Math.abs(v) < THRESH) {
      v *= UP;
      k -= 1;
    }
    if (k < 0 && Math.abs(v) >= LIMIT) {
      v *= DOWN;
      k += 1;
    }
    store<f64>(vp + o, v);
    store<f64>(kp + o, k);
  }
}

// ---- Block state shared by the kernels -------------------------------------------------------
// AssemblyScript functions return one value, so the phases communicate through these globals
// (wasm globals; the hot loops copy them into locals).

let X_a: v128 = f64x2.splat(0);
let X_b: v128 = f64x2.splat(0);
let Y_a: v128 = f64x2.splat(0);
let Y_b: v128 = f64x2.splat(0);
let K_a: v128 = f64x2.splat(0);
let K_b: v128 = f64x2.splat(0);
/** Pair state (μ̃_l, μ̃_{l+1}) per vector, and the previous pair for the chains. */
let M0_a: v128 = f64x2.splat(0);
let M0_b: v128 = f64x2.splat(0);
let M1_a: v128 = f64x2.splat(0);
let M1_b: v128 = f64x2.splat(0);
let P0_a: v128 = f64x2.splat(0);
let P0_b: v128 = f64x2.splat(0);
let P1_a: v128 = f64x2.splat(0);
let P1_b: v128 = f64x2.splat(0);
/** cf per vector: 1.0 for significant lanes (k = 0), else 0. */
let CF_a: v128 = f64x2.splat(0);
let CF_b: v128 = f64x2.splat(0);
/** Synthesis accumulators (E, O re/im per vector) or analysis inputs (P_E, P_O re/im). */
let ER_a: v128 = f64x2.splat(0);
let EI_a: v128 = f64x2.splat(0);
let OR_a: v128 = f64x2.splat(0);
let OI_a: v128 = f64x2.splat(0);
let ER_b: v128 = f64x2.splat(0);
let EI_b: v128 = f64x2.splat(0);
let OR_b: v128 = f64x2.splat(0);
let OI_b: v128 = f64x2.splat(0);
/** Current l, step j and boundary index after the x-form phases. */
let gL: i32 = 0;
let gJ: i32 = 0;
let gB: i32 = 0;

/** Loads lanes 4b … 4b+3; false when all four are dead. Dead lanes become v = 0, k = 0. */
function loadBlock(b: i32, xp: usize, yp: usize, vp: usize, kp: usize, dp: usize): bool {
  const o = <usize>b << 5;
  const one = f64x2.splat(1);
  const dead_a = f64x2.eq(v128.load(dp + o), one);
  const dead_b = f64x2.eq(v128.load(dp + o, 16), one);
  if (i64x2.all_true(v128.and(dead_a, dead_b))) return false;
  const zero = f64x2.splat(0);
  X_a = v128.load(xp + o);
  X_b = v128.load(xp + o, 16);
  Y_a = v128.load(yp + o);
  Y_b = v128.load(yp + o, 16);
  M0_a = v128.bitselect(zero, v128.load(vp + o), dead_a);
  M0_b = v128.bitselect(zero, v128.load(vp + o, 16), dead_b);
  K_a = v128.bitselect(zero, v128.load(kp + o), dead_a);
  K_b = v128.bitselect(zero, v128.load(kp + o, 16), dead_b);
  M1_a = f64x2.mul(X_a, M0_a); // μ_{m+1} = x μ_m (e2_m = 0)
  M1_b = f64x2.mul(X_b, M0_b);
  return true;
}

/**
 * Marks lanes whose scale never reached 0 as dead (k < 0 at the end of the l range); returns 1
 * when some lane of the block is still live, else 0.
 */
function markDead(b: i32, dp: usize): i32 {
  const o = <usize>b << 5;
  if (f64x2.extract_lane(K_a, 0) < 0) store<f64>(dp + o, 1);
  if (f64x2.extract_lane(K_a, 1) < 0) store<f64>(dp + o, 1, 8);
  if (f64x2.extract_lane(K_b, 0) < 0) store<f64>(dp + o, 1, 16);
  if (f64x2.extract_lane(K_b, 1) < 0) store<f64>(dp + o, 1, 24);
  const one = f64x2.splat(1);
  return i64x2.all_true(v128.and(f64x2.eq(v128.load(dp + o), one), f64x2.eq(v128.load(dp + o, 16), one))) ? 0 : 1;
}

/**
 * Phase-0 inner loop: the two y chains of the block from the pair at l = gL (state in M0/M1,
 * previous values in P0/P1), recurrence only, until the range ends or the newest odd value of some
 * lane reaches LIMIT/N' (a possible rescale). Leaves the state in the same globals.
 */
function phase0(m: i32, lmax: i32, bcp: usize, limp: usize, bjp: usize, bfp: usize): void {
  const ya = Y_a, yb = Y_b;
  let e0a = P0_a, e0b = P0_b, o0a = P1_a, o0b = P1_b;
  let v0a = M0_a, v0b = M0_b, v1a = M1_a, v1b = M1_b;
  let l = gL, j = gJ, bi = gB;
  let nextJ = load<i32>(bjp + (<usize>bi << 2));
  let cp = bcp + (<usize>((l - m) >> 1) << 4); // even chain; the odd chain's entries are gOdd further
  let lp = limp + (<usize>(l + 1 - m) << 3);
  while (l + 1 <= lmax) {
    let bb = v128.load64_splat(cp), cc = v128.load64_splat(cp, 8);
    const ea = nmadd(cc, e0a, f64x2.mul(f64x2.sub(ya, bb), v0a));
    const eb = nmadd(cc, e0b, f64x2.mul(f64x2.sub(yb, bb), v0b));
    bb = v128.load64_splat(cp + gOdd);
    cc = v128.load64_splat(cp + gOdd, 8);
    const oa = nmadd(cc, o0a, f64x2.mul(f64x2.sub(ya, bb), v1a));
    const ob = nmadd(cc, o0b, f64x2.mul(f64x2.sub(yb, bb), v1b));
    e0a = v0a;
    e0b = v0b;
    o0a = v1a;
    o0b = v1b;
    v0a = ea;
    v0b = eb;
    v1a = oa;
    v1b = ob;
    l += 2;
    j += 1;
    cp += 16;
    lp += 16;
    if (j == nextJ) {
      const f = v128.load64_splat(bfp + (<usize>bi << 3));
      v0a = f64x2.mul(v0a, f);
      v1a = f64x2.mul(v1a, f);
      v0b = f64x2.mul(v0b, f);
      v1b = f64x2.mul(v1b, f);
      e0a = f64x2.mul(e0a, f);
      e0b = f64x2.mul(e0b, f);
      o0a = f64x2.mul(o0a, f);
      o0b = f64x2.mul(o0b, f);
      bi++;
      nextJ = load<i32>(bjp + (<usize>bi << 2));
    }
    const lv = v128.load64_splat(lp);
    if (v128.any_true(v128.or(f64x2.ge(f64x2.abs(v1a), lv), f64x2.ge(f64x2.abs(v1b), lv)))) break;
  }
  P0_a = e0a; P0_b = e0b; P1_a = o0a; P1_b = o0b;
  M0_a = v0a; M0_b = v0b; M1_a = v1a; M1_b = v1b;
  gL = l; gJ = j; gB = bi;
}

/**
 * Phases 0 and A (x form, pairs (l, l+1) with l − m even, scaled lanes). Starts from the block
 * state at l = m and stops at the first pair where every lane is significant, or at the end of the
 * range. `synthesis` selects what phase A accumulates: E/O sums from the a column (synthesis) or
 * column sums into `a` from the P_E/P_O inputs (analysis). Leaves gL, gJ, gB, M0, M1, K, CF set.
 */
function scaledPhases(
  m: i32, lmax: i32, e2p: usize, bcp: usize, nrmp: usize, limp: usize, a: usize, bjp: usize, bfp: usize,
  synthesis: bool,
): void {
  const zero = f64x2.splat(0);
  const one = f64x2.splat(1);
  const inf = f64x2.splat(Infinity);
  const limit = f64x2.splat(LIMIT);
  const down = f64x2.splat(DOWN);
  const xa = X_a, xb = X_b;
  let ka = K_a, kb = K_b;
  let za = f64x2.eq(ka, zero), zb = f64x2.eq(kb, zero);
  let cfa = v128.and(za, one), cfb = v128.and(zb, one);
  let lima = v128.bitselect(inf, limit, za), limb = v128.bitselect(inf, limit, zb);
  let v0a = M0_a, v0b = M0_b, v1a = M1_a, v1b = M1_b;
  let l = m, j = 0, bi = 0;
  let nextJ = load<i32>(bjp);
  let ep = e2p, ap = a;
  let none = !v128.any_true(v128.or(cfa, cfb));
  let full = i64x2.all_true(v128.and(f64x2.eq(cfa, one), f64x2.eq(cfb, one)));
  if (none) {
    // Phase 0, the common case near the poles: recurrence only. It runs as the two y chains
    // (even and odd l − m), whose steps are independent, halving the dependency-chain latency of
    // the x form; one cheap test per step on the newest pair against LIMIT/N' (every lane has
    // k < 0 here, so they share that limit). On exit (v0, v1) is again the pair at l.
    let e0a = zero, e0b = zero, o0a = zero, o0b = zero;
    while (l + 1 <= lmax) {
      // Tight loop in its own function (few live values, so nothing spills); it returns at the
      // end of the range or when some lane may need rescaling.
      P0_a = e0a; P0_b = e0b; P1_a = o0a; P1_b = o0b;
      M0_a = v0a; M0_b = v0b; M1_a = v1a; M1_b = v1b;
      gL = l; gJ = j; gB = bi;
      phase0(m, lmax, bcp, limp, bjp, bfp);
      e0a = P0_a; e0b = P0_b; o0a = P1_a; o0b = P1_b;
      v0a = M0_a; v0b = M0_b; v1a = M1_a; v1b = M1_b;
      l = gL; j = gJ; bi = gB;
      nextJ = load<i32>(bjp + (<usize>bi << 2));
      ep = e2p + (<usize>(l - m) << 3);
      if (l + 1 > lmax) break;
      const nn = v128.load64_splat(nrmp + (<usize>(l + 1 - m) << 3));
      const ma = v128.or(f64x2.ge(f64x2.mul(f64x2.abs(v1a), nn), lima), f64x2.ge(f64x2.mul(f64x2.abs(v0a), nn), lima));
      const mb = v128.or(f64x2.ge(f64x2.mul(f64x2.abs(v1b), nn), limb), f64x2.ge(f64x2.mul(f64x2.abs(v0b), nn), limb));
      v0a = v128.bitselect(f64x2.mul(v0a, down), v0a, ma);
      v1a = v128.bitselect(f64x2.mul(v1a, down), v1a, ma);
      e0a = v128.bitselect(f64x2.mul(e0a, down), e0a, ma);
      o0a = v128.bitselect(f64x2.mul(o0a, down), o0a, ma);
      ka = v128.bitselect(f64x2.add(ka, one), ka, ma);
      v0b = v128.bitselect(f64x2.mul(v0b, down), v0b, mb);
      v1b = v128.bitselect(f64x2.mul(v1b, down), v1b, mb);
      e0b = v128.bitselect(f64x2.mul(e0b, down), e0b, mb);
      o0b = v128.bitselect(f64x2.mul(o0b, down), o0b, mb);
      kb = v128.bitselect(f64x2.add(kb, one), kb, mb);
      za = f64x2.eq(ka, zero);
      zb = f64x2.eq(kb, zero);
      cfa = v128.and(za, one);
      cfb = v128.and(zb, one);
      lima = v128.bitselect(inf, limit, za);
      limb = v128.bitselect(inf, limit, zb);
      none = !v128.any_true(v128.or(cfa, cfb));
      full = i64x2.all_true(v128.and(f64x2.eq(cfa, one), f64x2.eq(cfb, one)));
      if (!none) break;
    }
    ap = split(a, m, l);
  }
  while (!full && l + 1 <= lmax) {
    if (!none) {
      const wa0 = f64x2.mul(v0a, cfa), wb0 = f64x2.mul(v0b, cfb);
      const wa1 = f64x2.mul(v1a, cfa), wb1 = f64x2.mul(v1b, cfb);
      if (synthesis) {
        let ar = v128.load64_splat(ap), ai = v128.load64_splat(ap, 8);
        ER_a = madd(wa0, ar, ER_a);
        EI_a = madd(wa0, ai, EI_a);
        ER_b = madd(wb0, ar, ER_b);
        EI_b = madd(wb0, ai, EI_b);
        ar = v128.load64_splat(ap + gOdd);
        ai = v128.load64_splat(ap + gOdd, 8);
        OR_a = madd(wa1, ar, OR_a);
        OI_a = madd(wa1, ai, OI_a);
        OR_b = madd(wb1, ar, OR_b);
        OI_b = madd(wb1, ai, OI_b);
      } else {
        const q = split(a, m, l);
        v128.store(q, f64x2.add(v128.load(q), fold(wa0, wb0, ER_a, EI_a, ER_b, EI_b)));
        v128.store(q + gOdd, f64x2.add(v128.load(q + gOdd), fold(wa1, wb1, OR_a, OI_a, OR_b, OI_b)));
      }
    }
    let e = v128.load64_splat(ep, 8);
    v0a = nmadd(e, v0a, f64x2.mul(xa, v1a));
    v0b = nmadd(e, v0b, f64x2.mul(xb, v1b));
    e = v128.load64_splat(ep, 16);
    v1a = nmadd(e, v1a, f64x2.mul(xa, v0a));
    v1b = nmadd(e, v1b, f64x2.mul(xb, v0b));
    l += 2;
    j += 1;
    ep += 16;
    ap += 16;
    if (j == nextJ) {
      const f = v128.load64_splat(bfp + (<usize>bi << 3));
      v0a = f64x2.mul(v0a, f);
      v1a = f64x2.mul(v1a, f);
      v0b = f64x2.mul(v0b, f);
      v1b = f64x2.mul(v1b, f);
      bi++;
      nextJ = load<i32>(bjp + (<usize>bi << 2));
    }
    // Significance is judged on λ = μ̃·N'; N' of the odd member is the larger of the pair.
    const nn = v128.load64_splat(nrmp + (<usize>(l + 1 - m) << 3));
    const ma = v128.or(f64x2.ge(f64x2.mul(f64x2.abs(v1a), nn), lima), f64x2.ge(f64x2.mul(f64x2.abs(v0a), nn), lima));
    const mb = v128.or(f64x2.ge(f64x2.mul(f64x2.abs(v1b), nn), limb), f64x2.ge(f64x2.mul(f64x2.abs(v0b), nn), limb));
    if (v128.any_true(v128.or(ma, mb))) {
      v0a = v128.bitselect(f64x2.mul(v0a, down), v0a, ma);
      v1a = v128.bitselect(f64x2.mul(v1a, down), v1a, ma);
      ka = v128.bitselect(f64x2.add(ka, one), ka, ma);
      v0b = v128.bitselect(f64x2.mul(v0b, down), v0b, mb);
      v1b = v128.bitselect(f64x2.mul(v1b, down), v1b, mb);
      kb = v128.bitselect(f64x2.add(kb, one), kb, mb);
      za = f64x2.eq(ka, zero);
      zb = f64x2.eq(kb, zero);
      cfa = v128.and(za, one);
      cfb = v128.and(zb, one);
      lima = v128.bitselect(inf, limit, za);
      limb = v128.bitselect(inf, limit, zb);
      none = !v128.any_true(v128.or(cfa, cfb));
      full = i64x2.all_true(v128.and(f64x2.eq(cfa, one), f64x2.eq(cfb, one)));
    }
  }
  M0_a = v0a;
  M0_b = v0b;
  M1_a = v1a;
  M1_b = v1b;
  K_a = ka;
  K_b = kb;
  CF_a = cfa;
  CF_b = cfb;
  gL = l;
  gJ = j;
  gB = bi;
}

/**
 * Transition from the x form to the two y chains, with every lane significant and the pair
 * (μ_l, μ_{l+1}) at l = gL not yet accumulated (caller accumulates it). Computes the next pair
 * and leaves the chains as P0 = previous (μ_l, μ_{l+1}), M0/M1 = (μ_{l+2}, μ_{l+3}); advances
 * gL, gJ, gB.
 */
function toChains(m: i32, e2p: usize, bjp: usize, bfp: usize): void {
  const ep = e2p + (<usize>(gL - m) << 3);
  let p0a = M0_a, p0b = M0_b, p1a = M1_a, p1b = M1_b;
  let e = v128.load64_splat(ep, 8);
  let v0a = nmadd(e, p0a, f64x2.mul(X_a, p1a));
  let v0b = nmadd(e, p0b, f64x2.mul(X_b, p1b));
  e = v128.load64_splat(ep, 16);
  let v1a = nmadd(e, p1a, f64x2.mul(X_a, v0a));
  let v1b = nmadd(e, p1b, f64x2.mul(X_b, v0b));
  gL += 2;
  gJ += 1;
  if (gJ == load<i32>(bjp + (<usize>gB << 2))) {
    const f = v128.load64_splat(bfp + (<usize>gB << 3));
    p0a = f64x2.mul(p0a, f);
    p0b = f64x2.mul(p0b, f);
    p1a = f64x2.mul(p1a, f);
    p1b = f64x2.mul(p1b, f);
    v0a = f64x2.mul(v0a, f);
    v0b = f64x2.mul(v0b, f);
    v1a = f64x2.mul(v1a, f);
    v1b = f64x2.mul(v1b, f);
    gB++;
  }
  P0_a = p0a;
  P0_b = p0b;
  P1_a = p1a;
  P1_b = p1b;
  M0_a = v0a;
  M0_b = v0b;
  M1_a = v1a;
  M1_b = v1b;
}

/**
 * One y chain for synthesis: from l0 (value c1 not yet accumulated, previous c0 = μ_{l0−2}) to
 * lmax in steps of 2, accumulating a_l·N'_l·μ̃_l into (sr, si) per vector; returns via ER/EI.
 */
function chainSynth(
  m: i32, lmax: i32, l0: i32, j0: i32, b0: i32,
  c0a: v128, c0b: v128, c1a: v128, c1b: v128, sra: v128, sia: v128, srb: v128, sib: v128,
  bcp: usize, a: usize, bjp: usize, bfp: usize,
): void {
  const ya = Y_a, yb = Y_b;
  let p0a = c0a, p0b = c0b, p1a = c1a, p1b = c1b;
  let ra = sra, ia = sia, rb = srb, ib = sib;
  let l = l0, j = j0, bi = b0;
  let nextJ = load<i32>(bjp + (<usize>bi << 2));
  let cp = split(bcp, m, l);
  let ap = split(a, m, l);
  while (true) {
    // Hot loop: two steps per iteration, no renormalisation boundary among them.
    while (l + 2 <= lmax && j + 2 < nextJ) {
      let ar = v128.load64_splat(ap), ai = v128.load64_splat(ap, 8);
      ra = madd(p1a, ar, ra);
      ia = madd(p1a, ai, ia);
      rb = madd(p1b, ar, rb);
      ib = madd(p1b, ai, ib);
      let bb = v128.load64_splat(cp), cc = v128.load64_splat(cp, 8);
      p0a = nmadd(cc, p0a, f64x2.mul(f64x2.sub(ya, bb), p1a));
      p0b = nmadd(cc, p0b, f64x2.mul(f64x2.sub(yb, bb), p1b));
      ar = v128.load64_splat(ap, 16);
      ai = v128.load64_splat(ap, 24);
      ra = madd(p0a, ar, ra);
      ia = madd(p0a, ai, ia);
      rb = madd(p0b, ar, rb);
      ib = madd(p0b, ai, ib);
      bb = v128.load64_splat(cp, 16);
      cc = v128.load64_splat(cp, 24);
      p1a = nmadd(cc, p1a, f64x2.mul(f64x2.sub(ya, bb), p0a));
      p1b = nmadd(cc, p1b, f64x2.mul(f64x2.sub(yb, bb), p0b));
      j += 2;
      l += 4;
      cp += 32;
      ap += 32;
    }
    if (l + 2 > lmax) break;
    // One step that may cross a boundary; the roles of p0 and p1 then swap back.
    const ar = v128.load64_splat(ap), ai = v128.load64_splat(ap, 8);
    ra = madd(p1a, ar, ra);
    ia = madd(p1a, ai, ia);
    rb = madd(p1b, ar, rb);
    ib = madd(p1b, ai, ib);
    const bb = v128.load64_splat(cp), cc = v128.load64_splat(cp, 8);
    let na = nmadd(cc, p0a, f64x2.mul(f64x2.sub(ya, bb), p1a));
    let nb = nmadd(cc, p0b, f64x2.mul(f64x2.sub(yb, bb), p1b));
    p0a = p1a;
    p0b = p1b;
    j += 1;
    if (j == nextJ) {
      const f = v128.load64_splat(bfp + (<usize>bi << 3));
      na = f64x2.mul(na, f);
      nb = f64x2.mul(nb, f);
      p0a = f64x2.mul(p0a, f);
      p0b = f64x2.mul(p0b, f);
      bi++;
      nextJ = load<i32>(bjp + (<usize>bi << 2));
    }
    p1a = na;
    p1b = nb;
    l += 2;
    cp += 16;
    ap += 16;
  }
  if (l <= lmax) {
    const ar = v128.load64_splat(ap), ai = v128.load64_splat(ap, 8);
    ra = madd(p1a, ar, ra);
    ia = madd(p1a, ai, ia);
    rb = madd(p1b, ar, rb);
    ib = madd(p1b, ai, ib);
  }
  ER_a = ra;
  EI_a = ia;
  ER_b = rb;
  EI_b = ib;
}

/**
 * Synthesis for one m over `nblk` blocks of four lanes: F_lane ← (E + O, E − O) with
 * E = Σ_{l−m even} a_lm λ_lm and O the odd sum. `a` is the a_lm column (l = m … lmax, 16 bytes
 * per l) already multiplied by N' (prescale()). Returns the number of blocks with a lane still
 * live for m + 1 (0: every later m is negligible).
 */
export function synth(
  m: i32, lmax: i32, nblk: i32,
  xp: usize, yp: usize, vp: usize, kp: usize, dp: usize,
  e2p: usize, bcp: usize, nrmp: usize, limp: usize, bjp: usize, bfp: usize,
  a: usize, f: usize, fstride: usize, soff: usize,
): i32 {
  const zero = f64x2.splat(0);
  let live = 0;
  for (let b = 0; b < nblk; b++) {
    const fo = f + <usize>(b << 2) * fstride;
    if (!loadBlock(b, xp, yp, vp, kp, dp)) {
      for (let r = 0; r < 4; r++) {
        v128.store(fo + <usize>r * fstride, zero);
        v128.store(fo + <usize>r * fstride + soff, zero);
      }
      continue;
    }
    ER_a = zero; EI_a = zero; OR_a = zero; OI_a = zero;
    ER_b = zero; EI_b = zero; OR_b = zero; OI_b = zero;
    scaledPhases(m, lmax, e2p, bcp, nrmp, limp, a, bjp, bfp, true);
    let l = gL;
    if (l + 1 <= lmax) {
      // Every lane significant: accumulate the pair, then run the even and odd chains.
      const ap = split(a, m, l);
      let ar = v128.load64_splat(ap), ai = v128.load64_splat(ap, 8);
      ER_a = madd(M0_a, ar, ER_a);
      EI_a = madd(M0_a, ai, EI_a);
      ER_b = madd(M0_b, ar, ER_b);
      EI_b = madd(M0_b, ai, EI_b);
      ar = v128.load64_splat(ap + gOdd);
      ai = v128.load64_splat(ap + gOdd, 8);
      OR_a = madd(M1_a, ar, OR_a);
      OI_a = madd(M1_a, ai, OI_a);
      OR_b = madd(M1_b, ar, OR_b);
      OI_b = madd(M1_b, ai, OI_b);
      toChains(m, e2p, bjp, bfp);
      l = gL;
      const oRa = OR_a, oIa = OI_a, oRb = OR_b, oIb = OI_b;
      const m1a = M1_a, m1b = M1_b, p1a = P1_a, p1b = P1_b;
      chainSynth(m, lmax, l, gJ, gB, P0_a, P0_b, M0_a, M0_b, ER_a, EI_a, ER_b, EI_b, bcp, a, bjp, bfp);
      const eRa = ER_a, eIa = EI_a, eRb = ER_b, eIb = EI_b;
      chainSynth(m, lmax, l + 1, gJ, gB, p1a, p1b, m1a, m1b, oRa, oIa, oRb, oIb, bcp, a, bjp, bfp);
      OR_a = ER_a; OI_a = EI_a; OR_b = ER_b; OI_b = EI_b;
      ER_a = eRa; EI_a = eIa; ER_b = eRb; EI_b = eIb;
    } else if (l == lmax) {
      const ap = split(a, m, l);
      const ar = v128.load64_splat(ap), ai = v128.load64_splat(ap, 8);
      const wa = f64x2.mul(M0_a, CF_a), wb = f64x2.mul(M0_b, CF_b);
      ER_a = madd(wa, ar, ER_a);
      EI_a = madd(wa, ai, EI_a);
      ER_b = madd(wb, ar, ER_b);
      EI_b = madd(wb, ai, EI_b);
    }
    live += markDead(b, dp);
    // North = E + O, south = E − O; transpose the lane vectors into per-lane (re, im) pairs.
    const nra = f64x2.add(ER_a, OR_a), nia = f64x2.add(EI_a, OI_a);
    const sra = f64x2.sub(ER_a, OR_a), sia = f64x2.sub(EI_a, OI_a);
    const nrb = f64x2.add(ER_b, OR_b), nib = f64x2.add(EI_b, OI_b);
    const srb = f64x2.sub(ER_b, OR_b), sib = f64x2.sub(EI_b, OI_b);
    v128.store(fo, v128.shuffle<f64>(nra, nia, 0, 2));
    v128.store(fo + soff, v128.shuffle<f64>(sra, sia, 0, 2));
    v128.store(fo + fstride, v128.shuffle<f64>(nra, nia, 1, 3));
    v128.store(fo + fstride + soff, v128.shuffle<f64>(sra, sia, 1, 3));
    v128.store(fo + 2 * fstride, v128.shuffle<f64>(nrb, nib, 0, 2));
    v128.store(fo + 2 * fstride + soff, v128.shuffle<f64>(srb, sib, 0, 2));
    v128.store(fo + 3 * fstride, v128.shuffle<f64>(nrb, nib, 1, 3));
    v128.store(fo + 3 * fstride + soff, v128.shuffle<f64>(srb, sib, 1, 3));
  }
  return live;
}

/**
 * Σ over the four lanes of μ̃·P as one (re, im) vector: lanes of vector a weigh (pra, pia), of
 * vector b (prb, pib).
 */
@inline function fold(va: v128, vb: v128, pra: v128, pia: v128, prb: v128, pib: v128): v128 {
  const tr = madd(vb, prb, f64x2.mul(va, pra));
  const ti = madd(vb, pib, f64x2.mul(va, pia));
  return f64x2.add(v128.shuffle<f64>(tr, ti, 0, 2), v128.shuffle<f64>(tr, ti, 1, 3));
}

// ---- Analysis: x-form chains over pairs of blocks ------------------------------------------
// Analysis has no loop-carried accumulators (each l gets its own column sum), so its chain can run
// four vectors (two blocks, eight lanes) at once; with the x form that hides the recurrence
// latency and needs fewer operations than the y chains. Per block slot s ∈ {0, 1} the scratch area
// `ws` holds P (128 bytes: per vector P_E re, P_E im, P_O re, P_O im), the pair state (μ̃_l,
// μ̃_{l+1}) per vector (64 bytes at 256 + 64s), and l, j, boundary index (ints at 384 + 16s).

@inline function wsP(ws: usize, s: i32): usize {
  return ws + (<usize>s << 7);
}
@inline function wsU(ws: usize, s: i32): usize {
  return ws + 256 + (<usize>s << 6);
}
@inline function wsI(ws: usize, s: i32): usize {
  return ws + 384 + (<usize>s << 4);
}

/** Adds the pair (l, l+1) of a two-vector state with P at `pp` into the column sums at q. */
@inline function addPair2(q: usize, u0a: v128, u0b: v128, u1a: v128, u1b: v128, pp: usize): void {
  v128.store(q, f64x2.add(v128.load(q), fold(u0a, u0b, v128.load(pp), v128.load(pp, 16), v128.load(pp, 64), v128.load(pp, 80))));
  v128.store(q + gOdd, f64x2.add(v128.load(q + gOdd), fold(u1a, u1b, v128.load(pp, 32), v128.load(pp, 48), v128.load(pp, 96), v128.load(pp, 112))));
}

/**
 * Runs block slot s alone (x form, all lanes significant) from its stored l over pairs with
 * l < lEnd and l + 1 ≤ lmax, accumulating into the column sums p; then, when the range is done and
 * l = lmax, the last (even) term. Updates the stored state.
 */
function xRun2(m: i32, lmax: i32, lEnd: i32, s: i32, ws: usize, xp: usize, e2p: usize, p: usize, bjp: usize, bfp: usize): void {
  const pp = wsP(ws, s);
  const up = wsU(ws, s);
  const ip = wsI(ws, s);
  let u0a = v128.load(up), u0b = v128.load(up, 16), u1a = v128.load(up, 32), u1b = v128.load(up, 48);
  let l = load<i32>(ip), j = load<i32>(ip, 4), bi = load<i32>(ip, 8);
  const xa = v128.load(xp), xb = v128.load(xp, 16);
  let nextJ = load<i32>(bjp + (<usize>bi << 2));
  let ep = e2p + (<usize>(l - m) << 3);
  let q = split(p, m, l);
  while (l < lEnd && l + 1 <= lmax) {
    addPair2(q, u0a, u0b, u1a, u1b, pp);
    let e = v128.load64_splat(ep, 8);
    u0a = nmadd(e, u0a, f64x2.mul(xa, u1a));
    u0b = nmadd(e, u0b, f64x2.mul(xb, u1b));
    e = v128.load64_splat(ep, 16);
    u1a = nmadd(e, u1a, f64x2.mul(xa, u0a));
    u1b = nmadd(e, u1b, f64x2.mul(xb, u0b));
    l += 2;
    j += 1;
    ep += 16;
    q += 16;
    if (j == nextJ) {
      const f = v128.load64_splat(bfp + (<usize>bi << 3));
      u0a = f64x2.mul(u0a, f);
      u0b = f64x2.mul(u0b, f);
      u1a = f64x2.mul(u1a, f);
      u1b = f64x2.mul(u1b, f);
      bi++;
      nextJ = load<i32>(bjp + (<usize>bi << 2));
    }
  }
  if (l == lmax && lEnd > lmax) {
    v128.store(q, f64x2.add(v128.load(q), fold(u0a, u0b, v128.load(pp), v128.load(pp, 16), v128.load(pp, 64), v128.load(pp, 80))));
  }
  v128.store(up, u0a);
  v128.store(up, u0b, 16);
  v128.store(up, u1a, 32);
  v128.store(up, u1b, 48);
  store<i32>(ip, l);
  store<i32>(ip, j, 4);
  store<i32>(ip, bi, 8);
}

/**
 * Runs both block slots together (four vectors) from their common stored l to lmax, including the
 * last even term when lmax − l is even. `x0`, `x1` are the blocks' lane x arrays.
 */
function xRun4(m: i32, lmax: i32, ws: usize, x0: usize, x1: usize, e2p: usize, p: usize, bjp: usize, bfp: usize): void {
  const pp = ws; // slot 0's P at ws, slot 1's at ws + 128
  let u0a = v128.load(ws, 256), u0b = v128.load(ws, 272), u1a = v128.load(ws, 288), u1b = v128.load(ws, 304);
  let u0c = v128.load(ws, 320), u0d = v128.load(ws, 336), u1c = v128.load(ws, 352), u1d = v128.load(ws, 368);
  let l = load<i32>(ws, 384), j = load<i32>(ws, 388), bi = load<i32>(ws, 392);
  let nextJ = load<i32>(bjp + (<usize>bi << 2));
  let ep = e2p + (<usize>(l - m) << 3);
  let q = split(p, m, l);
  while (l + 1 <= lmax) {
    // Pairs up to the next renormalisation boundary (or the end) without any test in the loop.
    let n = (lmax - l + 1) >> 1;
    if (nextJ - j < n) n = nextJ - j;
    for (let i = 0; i < n; i++) {
      let tr = f64x2.add(madd(u0b, v128.load(pp, 64), f64x2.mul(u0a, v128.load(pp))),
        madd(u0d, v128.load(pp, 192), f64x2.mul(u0c, v128.load(pp, 128))));
      let ti = f64x2.add(madd(u0b, v128.load(pp, 80), f64x2.mul(u0a, v128.load(pp, 16))),
        madd(u0d, v128.load(pp, 208), f64x2.mul(u0c, v128.load(pp, 144))));
      v128.store(q, f64x2.add(v128.load(q), f64x2.add(v128.shuffle<f64>(tr, ti, 0, 2), v128.shuffle<f64>(tr, ti, 1, 3))));
      tr = f64x2.add(madd(u1b, v128.load(pp, 96), f64x2.mul(u1a, v128.load(pp, 32))),
        madd(u1d, v128.load(pp, 224), f64x2.mul(u1c, v128.load(pp, 160))));
      ti = f64x2.add(madd(u1b, v128.load(pp, 112), f64x2.mul(u1a, v128.load(pp, 48))),
        madd(u1d, v128.load(pp, 240), f64x2.mul(u1c, v128.load(pp, 176))));
      const qo = q + gOdd;
      v128.store(qo, f64x2.add(v128.load(qo), f64x2.add(v128.shuffle<f64>(tr, ti, 0, 2), v128.shuffle<f64>(tr, ti, 1, 3))));
      let e = v128.load64_splat(ep, 8);
      u0a = nmadd(e, u0a, f64x2.mul(v128.load(x0), u1a));
      u0b = nmadd(e, u0b, f64x2.mul(v128.load(x0, 16), u1b));
      u0c = nmadd(e, u0c, f64x2.mul(v128.load(x1), u1c));
      u0d = nmadd(e, u0d, f64x2.mul(v128.load(x1, 16), u1d));
      e = v128.load64_splat(ep, 16);
      u1a = nmadd(e, u1a, f64x2.mul(v128.load(x0), u0a));
      u1b = nmadd(e, u1b, f64x2.mul(v128.load(x0, 16), u0b));
      u1c = nmadd(e, u1c, f64x2.mul(v128.load(x1), u0c));
      u1d = nmadd(e, u1d, f64x2.mul(v128.load(x1, 16), u0d));
      ep += 16;
      q += 16;
    }
    l += 2 * n;
    j += n;
    if (j == nextJ) {
      const f = v128.load64_splat(bfp + (<usize>bi << 3));
      u0a = f64x2.mul(u0a, f);
      u0b = f64x2.mul(u0b, f);
      u1a = f64x2.mul(u1a, f);
      u1b = f64x2.mul(u1b, f);
      u0c = f64x2.mul(u0c, f);
      u0d = f64x2.mul(u0d, f);
      u1c = f64x2.mul(u1c, f);
      u1d = f64x2.mul(u1d, f);
      bi++;
      nextJ = load<i32>(bjp + (<usize>bi << 2));
    }
  }
  if (l == lmax) {
    addPair2(q, u0a, u0b, zero2(), zero2(), pp);
    addPair2(q, u0c, u0d, zero2(), zero2(), pp + 128);
  }
}

@inline function zero2(): v128 {
  return f64x2.splat(0);
}

/**
 * Loads block b into slot s: P from F, phases 0/A (accumulating into p), then either the state
 * for the chains (returns true) or, when the range ended in the phases, its last term. Marks dead
 * lanes; gLive is 1 when a lane of the block stays live for m + 1.
 */
function prepAnalysis(
  b: i32, s: i32, ws: usize, m: i32, lmax: i32,
  xp: usize, yp: usize, vp: usize, kp: usize, dp: usize,
  e2p: usize, bcp: usize, nrmp: usize, limp: usize, bjp: usize, bfp: usize,
  p: usize, f: usize, fstride: usize, soff: usize,
): bool {
  gLive = 0;
  if (!loadBlock(b, xp, yp, vp, kp, dp)) return false;
  const fo = f + <usize>(b << 2) * fstride;
  // Transpose per-lane (re, im) pairs into lane vectors and form the even/odd combinations.
  const n0 = v128.load(fo), s0 = v128.load(fo + soff);
  const n1 = v128.load(fo + fstride), s1 = v128.load(fo + fstride + soff);
  const n2 = v128.load(fo + 2 * fstride), s2 = v128.load(fo + 2 * fstride + soff);
  const n3 = v128.load(fo + 3 * fstride), s3 = v128.load(fo + 3 * fstride + soff);
  const pnra = v128.shuffle<f64>(n0, n1, 0, 2), pnia = v128.shuffle<f64>(n0, n1, 1, 3);
  const psra = v128.shuffle<f64>(s0, s1, 0, 2), psia = v128.shuffle<f64>(s0, s1, 1, 3);
  const pnrb = v128.shuffle<f64>(n2, n3, 0, 2), pnib = v128.shuffle<f64>(n2, n3, 1, 3);
  const psrb = v128.shuffle<f64>(s2, s3, 0, 2), psib = v128.shuffle<f64>(s2, s3, 1, 3);
  ER_a = f64x2.add(pnra, psra);
  EI_a = f64x2.add(pnia, psia);
  OR_a = f64x2.sub(pnra, psra);
  OI_a = f64x2.sub(pnia, psia);
  ER_b = f64x2.add(pnrb, psrb);
  EI_b = f64x2.add(pnib, psib);
  OR_b = f64x2.sub(pnrb, psrb);
  OI_b = f64x2.sub(pnib, psib);
  const pp = wsP(ws, s);
  v128.store(pp, ER_a);
  v128.store(pp, EI_a, 16);
  v128.store(pp, OR_a, 32);
  v128.store(pp, OI_a, 48);
  v128.store(pp, ER_b, 64);
  v128.store(pp, EI_b, 80);
  v128.store(pp, OR_b, 96);
  v128.store(pp, OI_b, 112);
  scaledPhases(m, lmax, e2p, bcp, nrmp, limp, p, bjp, bfp, false);
  gLive = markDead(b, dp);
  const l = gL;
  if (l + 1 <= lmax) {
    const up = wsU(ws, s);
    v128.store(up, M0_a);
    v128.store(up, M0_b, 16);
    v128.store(up, M1_a, 32);
    v128.store(up, M1_b, 48);
    const ip = wsI(ws, s);
    store<i32>(ip, l);
    store<i32>(ip, gJ, 4);
    store<i32>(ip, gB, 8);
    return true;
  }
  if (l == lmax) {
    const q = split(p, m, l);
    const wa = f64x2.mul(M0_a, CF_a), wb = f64x2.mul(M0_b, CF_b);
    v128.store(q, f64x2.add(v128.load(q), fold(wa, wb, ER_a, EI_a, ER_b, EI_b)));
  }
  return false;
}

let gLive: i32 = 0;

/**
 * Analysis for one m over `nblk` blocks of four lanes: adds λ_lm/N'_l · P into the column sums
 * `p` (parity-split, 16 bytes per l), with P = N + S for even l − m and N − S for odd, where F
 * holds the weighted, phase-shifted ring Fourier coefficients per lane (north column, south column).
 * `ws` is a 512-byte scratch area. finish() then applies N'. Returns the number of blocks with a
 * lane still live for m + 1.
 */
export function analyze(
  m: i32, lmax: i32, nblk: i32,
  xp: usize, yp: usize, vp: usize, kp: usize, dp: usize,
  e2p: usize, bcp: usize, nrmp: usize, limp: usize, bjp: usize, bfp: usize,
  p: usize, f: usize, fstride: usize, soff: usize, ws: usize,
): i32 {
  let live = 0;
  for (let b = 0; b < nblk; b += 2) {
    const a0 = prepAnalysis(b, 0, ws, m, lmax, xp, yp, vp, kp, dp, e2p, bcp, nrmp, limp, bjp, bfp, p, f, fstride, soff);
    live += gLive;
    let a1 = false;
    if (b + 1 < nblk) {
      a1 = prepAnalysis(b + 1, 1, ws, m, lmax, xp, yp, vp, kp, dp, e2p, bcp, nrmp, limp, bjp, bfp, p, f, fstride, soff);
      live += gLive;
    }
    const x0 = xp + (<usize>b << 5), x1 = x0 + 32;
    if (a0 && a1) {
      // Bring the block that became significant earlier up to the other's l, then run both.
      const l0 = load<i32>(wsI(ws, 0)), l1 = load<i32>(wsI(ws, 1));
      if (l0 < l1) xRun2(m, lmax, l1, 0, ws, x0, e2p, p, bjp, bfp);
      else if (l1 < l0) xRun2(m, lmax, l0, 1, ws, x1, e2p, p, bjp, bfp);
      xRun4(m, lmax, ws, x0, x1, e2p, p, bjp, bfp);
    } else if (a0) {
      xRun2(m, lmax, lmax + 2, 0, ws, x0, e2p, p, bjp, bfp);
    } else if (a1) {
      xRun2(m, lmax, lmax + 2, 1, ws, x1, e2p, p, bjp, bfp);
    }
  }
  return live;
}
