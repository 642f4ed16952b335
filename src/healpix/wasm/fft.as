// AssemblyScript source of the SIMD FFT kernels, compiled by scripts/build-wasm.ts into
// src/healpix/wasm/fft-wasm.generated.ts (the .as suffix keeps tsc and eslint off it).
//
// | symbol | meaning                                                        | range            |
// |--------|----------------------------------------------------------------|------------------|
// | n      | complex transform length, a power of two                       | ≥ 1              |
// | len, s | current sequence length and stride of a Stockham stage         | len·s = n        |
// | ω      | e^{∓2πi/len} (forward: −)                                      |                  |
// | h      | half length of a real transform (n_real = 2h), a power of two  | ≥ 1              |
// | (a, b) | one complex number in an f64x2 vector: a = re, b = im          |                  |
//
// Complex multiplication z·w uses the twiddle stored as two vectors (w_re, w_re) and
// (−w_im, w_im): z·w = z·(w_re, w_re) + swap(z)·(−w_im, w_im), one shuffle, two multiplies and
// one add per product.
//
// Memory is owned by the JavaScript side (src/healpix/fft.ts); pointers are byte offsets,
// 16-byte aligned. Twiddle tables are built by JavaScript with exact cos/sin.
//
// Stockham stage (decimation in frequency), radix 4, for j < m = len/4, q < s:
//   y[q + s(4j + k)] = ω^{jk} Σ_t x[q + s(j + m t)] ω_4^{tk}.
// Outputs for fixed k form a batch of stride 4s, so the result comes out in natural order.

@inline function swap(z: v128): v128 {
  return v128.shuffle<f64>(z, z, 1, 0);
}

@inline function cmul(z: v128, wr: v128, wi: v128): v128 {
  return f64x2.add(f64x2.mul(z, wr), f64x2.mul(swap(z), wi));
}

/**
 * One radix-4 stage (forward): `tw` holds per j the six vectors (ω^j, ω^{2j}, ω^{3j}) in the
 * (re, re), (−im, im) form; `sv` = (1, −1) gives ω_4·z = −i·z = swap(z)·sv.
 */
function radix4(len: i32, s: i32, x: usize, y: usize, tw: usize, sv: v128): void {
  const m = len >> 2;
  const sm = <usize>(s * m) << 4;
  const ss = <usize>s << 4;
  for (let j = 0; j < m; j++) {
    const t = tw + <usize>j * 96;
    const w1r = v128.load(t), w1i = v128.load(t, 16);
    const w2r = v128.load(t, 32), w2i = v128.load(t, 48);
    const w3r = v128.load(t, 64), w3i = v128.load(t, 80);
    let ip = x + (<usize>(s * j) << 4);
    let op = y + (<usize>(4 * s * j) << 4);
    if (j == 0) {
      for (let q = 0; q < s; q++) {
        const a0 = v128.load(ip), a1 = v128.load(ip + sm), a2 = v128.load(ip + 2 * sm), a3 = v128.load(ip + 3 * sm);
        const s02 = f64x2.add(a0, a2), d02 = f64x2.sub(a0, a2);
        const s13 = f64x2.add(a1, a3);
        const r = f64x2.mul(swap(f64x2.sub(a1, a3)), sv);
        v128.store(op, f64x2.add(s02, s13));
        v128.store(op + ss, f64x2.add(d02, r));
        v128.store(op + 2 * ss, f64x2.sub(s02, s13));
        v128.store(op + 3 * ss, f64x2.sub(d02, r));
        ip += 16;
        op += 16;
      }
    } else {
      for (let q = 0; q < s; q++) {
        const a0 = v128.load(ip), a1 = v128.load(ip + sm), a2 = v128.load(ip + 2 * sm), a3 = v128.load(ip + 3 * sm);
        const s02 = f64x2.add(a0, a2), d02 = f64x2.sub(a0, a2);
        const s13 = f64x2.add(a1, a3);
        const r = f64x2.mul(swap(f64x2.sub(a1, a3)), sv);
        v128.store(op, f64x2.add(s02, s13));
        v128.store(op + ss, cmul(f64x2.add(d02, r), w1r, w1i));
        v128.store(op + 2 * ss, cmul(f64x2.sub(s02, s13), w2r, w2i));
        v128.store(op + 3 * ss, cmul(f64x2.sub(d02, r), w3r, w3i));
        ip += 16;
        op += 16;
      }
    }
  }
}

/** One radix-2 stage (`tw`: per j the two vectors of ω^j). */
function radix2(len: i32, s: i32, x: usize, y: usize, tw: usize): void {
  const m = len >> 1;
  const sm = <usize>(s * m) << 4;
  const ss = <usize>s << 4;
  for (let j = 0; j < m; j++) {
    const t = tw + <usize>j * 32;
    const wr = v128.load(t), wi = v128.load(t, 16);
    let ip = x + (<usize>(s * j) << 4);
    let op = y + (<usize>(2 * s * j) << 4);
    for (let q = 0; q < s; q++) {
      const a0 = v128.load(ip), a1 = v128.load(ip + sm);
      v128.store(op, f64x2.add(a0, a1));
      v128.store(op + ss, cmul(f64x2.sub(a0, a1), wr, wi));
      ip += 16;
      op += 16;
    }
  }
}

/**
 * One radix-3 stage (`tw`: per j the vectors of ω^j, ω^{2j}); `c3` = swap-multiplier giving
 * i·(−√3/2)·z = swap(z)·c3 (forward direction).
 */
function radix3(len: i32, s: i32, x: usize, y: usize, tw: usize, c3: v128): void {
  const m = len / 3;
  const sm = <usize>(s * m) << 4;
  const ss = <usize>s << 4;
  const half = f64x2.splat(0.5);
  for (let j = 0; j < m; j++) {
    const t = tw + <usize>j * 64;
    const w1r = v128.load(t), w1i = v128.load(t, 16);
    const w2r = v128.load(t, 32), w2i = v128.load(t, 48);
    let ip = x + (<usize>(s * j) << 4);
    let op = y + (<usize>(3 * s * j) << 4);
    for (let q = 0; q < s; q++) {
      const a0 = v128.load(ip), a1 = v128.load(ip + sm), a2 = v128.load(ip + 2 * sm);
      const t1 = f64x2.add(a1, a2);
      const mm = f64x2.sub(a0, f64x2.mul(t1, half));
      const u = f64x2.mul(swap(f64x2.sub(a1, a2)), c3);
      v128.store(op, f64x2.add(a0, t1));
      v128.store(op + ss, cmul(f64x2.add(mm, u), w1r, w1i));
      v128.store(op + 2 * ss, cmul(f64x2.sub(mm, u), w2r, w2i));
      ip += 16;
      op += 16;
    }
  }
}

/**
 * One radix-5 stage (`tw`: per j the vectors of ω^j … ω^{4j}); s1, s2 = −sin(2π/5), −sin(4π/5)
 * (forward direction), and X_k, X_{5−k} share the cosine sums (pairing inputs t, 5 − t).
 */
function radix5(len: i32, s: i32, x: usize, y: usize, tw: usize, s1: v128, s2: v128): void {
  const m = len / 5;
  const sm = <usize>(s * m) << 4;
  const ss = <usize>s << 4;
  const c1 = f64x2.splat(0.30901699437494745); // cos(2π/5)
  const c2 = f64x2.splat(-0.8090169943749475); // cos(4π/5)
  const ipos = f64x2(-1, 1);
  for (let j = 0; j < m; j++) {
    const t = tw + <usize>j * 128;
    let ip = x + (<usize>(s * j) << 4);
    let op = y + (<usize>(5 * s * j) << 4);
    for (let q = 0; q < s; q++) {
      const a0 = v128.load(ip), a1 = v128.load(ip + sm), a2 = v128.load(ip + 2 * sm);
      const a3 = v128.load(ip + 3 * sm), a4 = v128.load(ip + 4 * sm);
      const p1 = f64x2.add(a1, a4), q1 = f64x2.sub(a1, a4);
      const p2 = f64x2.add(a2, a3), q2 = f64x2.sub(a2, a3);
      const r1 = f64x2.add(a0, f64x2.add(f64x2.mul(c1, p1), f64x2.mul(c2, p2)));
      const r2 = f64x2.add(a0, f64x2.add(f64x2.mul(c2, p1), f64x2.mul(c1, p2)));
      const u1 = f64x2.mul(swap(f64x2.add(f64x2.mul(s1, q1), f64x2.mul(s2, q2))), ipos);
      const u2 = f64x2.mul(swap(f64x2.sub(f64x2.mul(s2, q1), f64x2.mul(s1, q2))), ipos);
      v128.store(op, f64x2.add(a0, f64x2.add(p1, p2)));
      v128.store(op + ss, cmul(f64x2.add(r1, u1), v128.load(t), v128.load(t, 16)));
      v128.store(op + 2 * ss, cmul(f64x2.add(r2, u2), v128.load(t, 32), v128.load(t, 48)));
      v128.store(op + 3 * ss, cmul(f64x2.sub(r2, u2), v128.load(t, 64), v128.load(t, 80)));
      v128.store(op + 4 * ss, cmul(f64x2.sub(r1, u1), v128.load(t, 96), v128.load(t, 112)));
      ip += 16;
      op += 16;
    }
  }
}

/** z ← conj(z) for n points (the inverse transform is conj(forward(conj(x)))). */
function conjugate(n: i32, data: usize): void {
  const c = f64x2(1, -1);
  for (let i = 0; i < n; i++) {
    const p = data + (<usize>i << 4);
    v128.store(p, f64x2.mul(v128.load(p), c));
  }
}

/**
 * Complex FFT of n = 2^a·3^b·5^c points at `data` (interleaved), radices in the order 4…4, 2,
 * 3…3, 5…5 (as listed in the plan's forward twiddle tables at `tw`), using `scratch` (n points).
 * The inverse (unnormalised) is conj(forward(conj(x))), so one set of tables serves both. The
 * result is left in `data`.
 */
export function smooth(n: i32, data: usize, scratch: usize, tw: usize, inverse: bool): void {
  if (n <= 1) return;
  if (inverse) conjugate(n, data);
  const sv = f64x2(1, -1);
  const c3 = f64x2(0.8660254037844386, -0.8660254037844386); // i·(−sin(π/3))·z = swap(z)·c3
  const s1 = f64x2.splat(-0.9510565162951535); // −sin(2π/5)
  const s2 = f64x2.splat(-0.5877852522924731); // −sin(4π/5)
  let t = tw;
  let src = data, dst = scratch;
  let len = n, s = 1;
  while ((len & 3) == 0) {
    radix4(len, s, src, dst, t, sv);
    t += <usize>(len >> 2) * 96;
    const tmp = src;
    src = dst;
    dst = tmp;
    len >>= 2;
    s <<= 2;
  }
  if ((len & 1) == 0) {
    radix2(len, s, src, dst, t);
    t += <usize>(len >> 1) * 32;
    const tmp = src;
    src = dst;
    dst = tmp;
    len >>= 1;
    s <<= 1;
  }
  while (len % 3 == 0) {
    radix3(len, s, src, dst, t, c3);
    t += <usize>(len / 3) * 64;
    const tmp = src;
    src = dst;
    dst = tmp;
    len /= 3;
    s *= 3;
  }
  while (len % 5 == 0) {
    radix5(len, s, src, dst, t, s1, s2);
    t += <usize>(len / 5) * 128;
    const tmp = src;
    src = dst;
    dst = tmp;
    len /= 5;
    s *= 5;
  }
  if (src != data) memory.copy(data, src, <usize>n << 4);
  if (inverse) conjugate(n, data);
}

/**
 * Real forward post-processing for n_real = 2h: from Z = FFT_h(x_{2j} + i x_{2j+1}) at `z`
 * writes c_k = E_k + e^{−2πik/n} O_k for k = 0 … h at `spec`, with E_k = (Z_k + conj Z_{h−k})/2,
 * O_k = (Z_k − conj Z_{h−k})/(2i). `rt` holds per k ≤ h the vectors (c, c), (s, −s) of θ = 2πk/n.
 */
export function realForward(h: i32, z: usize, spec: usize, rt: usize): void {
  const half = f64x2.splat(0.5);
  const conj = f64x2(1, -1);
  for (let k = 0; k <= h; k++) {
    const a = v128.load(z + (<usize>(k == h ? 0 : k) << 4));
    const bc = f64x2.mul(v128.load(z + (<usize>(k == 0 ? 0 : h - k) << 4)), conj);
    const e = f64x2.mul(f64x2.add(a, bc), half);
    // O = (A − conj B)/(2i) = −i·D/… : −i·(x, y) = (y, −x)
    const o = f64x2.mul(swap(f64x2.mul(f64x2.sub(a, bc), half)), conj);
    const t = rt + (<usize>k << 5);
    v128.store(spec + (<usize>k << 4), f64x2.add(e, cmul(o, v128.load(t), v128.load(t, 16))));
  }
  // c_0 and c_h are real for real input (their imaginary parts are rounding noise).
  v128.store(spec, f64x2.replace_lane(v128.load(spec), 1, 0));
  v128.store(spec + (<usize>h << 4), f64x2.replace_lane(v128.load(spec + (<usize>h << 4)), 1, 0));
}

/**
 * Real inverse pre-processing: from the Hermitian half-spectrum c_0 … c_h at `spec` (imaginary
 * parts of c_0, c_h ignored) writes Z_k = (c_k + conj c_{h−k}) + i e^{2πik/n}(c_k − conj c_{h−k})
 * for k < h at `z`, whose unnormalised inverse FFT_h is x_{2j} + i x_{2j+1}.
 */
export function realInverse(h: i32, spec: usize, z: usize, rt: usize): void {
  const conj = f64x2(1, -1);
  const ipos = f64x2(-1, 1);
  // Drop the imaginary parts of c_0 and c_h.
  v128.store(spec, f64x2.replace_lane(v128.load(spec), 1, 0));
  v128.store(spec + (<usize>h << 4), f64x2.replace_lane(v128.load(spec + (<usize>h << 4)), 1, 0));
  for (let k = 0; k < h; k++) {
    const a = v128.load(spec + (<usize>k << 4));
    const bc = f64x2.mul(v128.load(spec + (<usize>(h - k) << 4)), conj);
    const t = rt + (<usize>k << 5);
    // e^{+iθ}·D = D·(c, c) − swap(D)·(s, −s); then i·(x, y) = (−y, x).
    const d = f64x2.sub(a, bc);
    const rot = f64x2.sub(f64x2.mul(d, v128.load(t)), f64x2.mul(swap(d), v128.load(t, 16)));
    v128.store(z + (<usize>k << 4), f64x2.add(f64x2.add(a, bc), f64x2.mul(swap(rot), ipos)));
  }
}

/**
 * Bluestein input stage: w_t = x_t·conj(b_t) for t < n (x conjugated first when `inverse`),
 * zero for n ≤ t < size. `b` holds the chirp b_t = e^{iπt²/n} as (re, re), (−im, im) pairs of
 * conj(b_t).
 */
export function chirpIn(n: i32, size: i32, x: usize, b: usize, w: usize, inverse: bool): void {
  const sg = inverse ? f64x2(1, -1) : f64x2(1, 1);
  for (let t = 0; t < n; t++) {
    const p = b + (<usize>t << 5);
    v128.store(w + (<usize>t << 4), cmul(f64x2.mul(v128.load(x + (<usize>t << 4)), sg), v128.load(p), v128.load(p, 16)));
  }
  memory.fill(w + (<usize>n << 4), 0, <usize>(size - n) << 4);
}

/** Pointwise w_k ← w_k·K_k for k < size, K stored as (re, re), (−im, im) pairs. */
export function pointwise(size: i32, w: usize, kern: usize): void {
  for (let k = 0; k < size; k++) {
    const p = kern + (<usize>k << 5);
    const q = w + (<usize>k << 4);
    v128.store(q, cmul(v128.load(q), v128.load(p), v128.load(p, 16)));
  }
}

/** Bluestein output stage: X_k = conj(b_k)·w_k for k < n (conjugated back when `inverse`). */
export function chirpOut(n: i32, w: usize, b: usize, x: usize, inverse: bool): void {
  const sg = inverse ? f64x2(1, -1) : f64x2(1, 1);
  for (let t = 0; t < n; t++) {
    const p = b + (<usize>t << 5);
    v128.store(x + (<usize>t << 4), f64x2.mul(cmul(v128.load(w + (<usize>t << 4)), v128.load(p), v128.load(p, 16)), sg));
  }
}

// ---- Ring stages of the spherical-harmonic transforms ------------------------------------------
// A RING-ordered ring of nphi = 2h pixels with first-pixel longitude phi0. The rotation
// e^{±im·phi0} is advanced by complex multiplication with e^{i·phi0}, re-anchored every 32 m from
// a second recurrence in steps of e^{32i·phi0}, so its error stays within ~100 ulp for m ≤ 24575.

const UNSEEN: f64 = -1.6375e30;

/** Pixels within 1e-5 relative of UNSEEN become 0 (healpy's treatment in map2alm). */
export function sanitize(n: i32, x: usize): void {
  const u = f64x2.splat(UNSEEN);
  const tol = f64x2.splat(1e-5 * 1.6375e30);
  const zero = f64x2.splat(0);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const p = x + (<usize>i << 3);
    const v = v128.load(p);
    v128.store(p, v128.bitselect(zero, v, f64x2.le(f64x2.abs(f64x2.sub(v, u)), tol)));
  }
  if (i < n) {
    const p = x + (<usize>i << 3);
    const v = load<f64>(p);
    if (Math.abs(v - UNSEEN) <= 1e-5 * 1.6375e30) store<f64>(p, 0);
  }
}

/**
 * Synthesis folding: the Hermitian half-spectrum (h + 1 bins at `spec`) of the ring from
 * F_m (m < mEnd, complex at `col`): G_m = F_m e^{im·phi0}; bin 0 gets Re G_0; for m ≥ 1, G_m goes
 * to bin m mod nphi and conj(G_m) to bin −m mod nphi when those are ≤ h (aliasing).
 * (c1, s1) = e^{i·phi0}, (c32, s32) = e^{32i·phi0}.
 */
export function fold(nphi: i32, col: usize, mEnd: i32, c1: f64, s1: f64, c32: f64, s32: f64, spec: usize): void {
  const h = nphi >> 1;
  memory.fill(spec, 0, <usize>(h + 1) << 4);
  const conj = f64x2(1, -1);
  let ac: f64 = 1, as: f64 = 0;
  let c: f64 = 1, s: f64 = 0;
  let k = 0;
  for (let m = 0; m < mEnd; m++) {
    if ((m & 31) == 0 && m > 0) {
      const t = ac * c32 - as * s32;
      as = as * c32 + ac * s32;
      ac = t;
      c = ac;
      s = as;
    }
    const f = v128.load(col + (<usize>m << 4));
    const g = f64x2.add(f64x2.mul(f, f64x2.splat(c)), f64x2.mul(v128.shuffle<f64>(f, f, 1, 0), f64x2(-s, s)));
    const t = c * c1 - s * s1;
    s = s * c1 + c * s1;
    c = t;
    if (m == 0) {
      store<f64>(spec, load<f64>(spec) + f64x2.extract_lane(g, 0));
    } else {
      if (k <= h) {
        const p = spec + (<usize>k << 4);
        v128.store(p, f64x2.add(v128.load(p), g));
      }
      const kc = k == 0 ? 0 : nphi - k;
      if (kc <= h) {
        const p = spec + (<usize>kc << 4);
        v128.store(p, f64x2.add(v128.load(p), f64x2.mul(g, conj)));
      }
    }
    k++;
    if (k == nphi) k = 0;
  }
}

/**
 * Analysis extraction: for m ≤ mmax, col[m] = w·c_{m mod nphi}·e^{−im·phi0} from the half-spectrum
 * (h + 1 bins at `spec`), with c_{nphi−k} = conj(c_k) above h.
 */
export function extract(nphi: i32, spec: usize, mmax: i32, c1: f64, s1: f64, c32: f64, s32: f64, w: f64, col: usize): void {
  const h = nphi >> 1;
  const conj = f64x2(1, -1);
  const wv = f64x2.splat(w);
  let ac: f64 = 1, as: f64 = 0;
  let c: f64 = 1, s: f64 = 0;
  let k = 0;
  for (let m = 0; m <= mmax; m++) {
    if ((m & 31) == 0 && m > 0) {
      const t = ac * c32 - as * s32;
      as = as * c32 + ac * s32;
      ac = t;
      c = ac;
      s = as;
    }
    const x = k <= h ? v128.load(spec + (<usize>k << 4)) : f64x2.mul(v128.load(spec + (<usize>(nphi - k) << 4)), conj);
    // x·e^{−iθ} = x·(c, c) + swap(x)·(s, −s)
    const g = f64x2.add(f64x2.mul(x, f64x2.splat(c)), f64x2.mul(v128.shuffle<f64>(x, x, 1, 0), f64x2(s, -s)));
    v128.store(col + (<usize>m << 4), f64x2.mul(g, wv));
    const t = c * c1 - s * s1;
    s = s * c1 + c * s1;
    c = t;
    k++;
    if (k == nphi) k = 0;
  }
}
