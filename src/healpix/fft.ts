/**
 * Fast Fourier transforms of any length, for the ring FFTs of the spherical-harmonic transforms.
 *
 * | symbol | meaning                                                   | range              |
 * |--------|-----------------------------------------------------------|--------------------|
 * | n      | transform length (HEALPix rings: 4i in the caps, 4·nside) | ≥ 1                |
 * | x_j    | real samples, j = 0 … n−1                                 |                    |
 * | c_k    | spectrum Σ_j x_j e^{−2πijk/n}, k = 0 … ⌊n/2⌋ (real input) |                    |
 * | p      | radix of one Stockham stage: 4, 2, 3 or 5                 |                    |
 * | s      | stride of a stage: product of the radices already applied |                    |
 *
 * Complex data are interleaved Float64Arrays (re at 2t, im at 2t+1). Plans are cached per length
 * (tables bounded by {@link FFT_TABLE_BUDGET}) and share one WebAssembly scratch area, so calls must
 * not be nested (JavaScript is single-threaded and no transform calls back into user code).
 *
 * Algorithms: a mixed-radix Stockham autosort FFT (decimation in frequency, natural order in and
 * out) for lengths 2^a·3^b·5^c; any other length goes through Bluestein's chirp-z convolution,
 * whose inner FFT length is the smallest such number ≥ 2n − 1. Real transforms of even length n
 * use one complex FFT of length n/2 plus a post/pre-processing pass; odd lengths a full complex
 * FFT. The butterflies, Bluestein's pointwise stages, the real-FFT passes and the ring stages of
 * the spherical-harmonic transforms ({@link RingFft}: UNSEEN masking, aliasing, phase rotation)
 * run in a WebAssembly SIMD kernel (./wasm/fft.as; one complex number per f64x2 vector) on tables
 * of twiddles computed here from exact cos/sin; inverse transforms use conj(FFT(conj(x))).
 */
import { ensureMemory, instantiateKernel } from "./sht-wasm.js";
import type { WasmMemory } from "./sht-wasm.js";
import { FFT_WASM_BASE64 } from "./wasm/fft-wasm.generated.js";

/** Largest prime factor handled by direct radix stages; lengths with larger ones use Bluestein. */
export const MAX_DIRECT_RADIX = 5;

/** A complex FFT of fixed length; obtain one with {@link complexFft}. */
export interface ComplexFft {
  /** Transform length (number of complex points). */
  readonly n: number;
  /**
   * In-place transform of `data` (interleaved complex, 2n doubles from index 0):
   * forward X_k = Σ_t x_t e^{−2πitk/n}; inverse (`inverse = true`) uses e^{+2πitk/n}, unnormalised.
   */
  transform(data: Float64Array, inverse: boolean): void;
}

/** A real FFT of fixed length; obtain one with {@link realFft}. */
export interface RealFft {
  /** Transform length (number of real samples). */
  readonly n: number;
  /**
   * Forward transform of x[xOff … xOff+n) into `spec` (interleaved complex, k = 0 … ⌊n/2⌋, i.e.
   * 2(⌊n/2⌋+1) doubles): c_k = Σ_j x_j e^{−2πijk/n}.
   */
  forward(x: Float64Array | Float32Array, xOff: number, spec: Float64Array): void;
  /**
   * Unnormalised inverse of a Hermitian half-spectrum: x_j = Σ_{k=0}^{n−1} c_k e^{+2πijk/n} with
   * c_{n−k} = conj(c_k), written to x[xOff … xOff+n). The imaginary parts of c_0 and (n even)
   * c_{n/2} are ignored. `spec` is not modified.
   */
  inverse(spec: Float64Array, x: Float64Array | Float32Array, xOff: number): void;
}

/**
 * A complex column over m stored in tiles of `tile` entries: (re, im) of entry m at
 * data[base + ⌊m/tile⌋·stride + 2(m mod tile)] and the next double.
 */
export interface TiledColumn {
  readonly data: Float64Array;
  readonly base: number;
  readonly tile: number;
  readonly stride: number;
}

/**
 * The ring stages of the spherical-harmonic transforms for one ring length; obtain one with
 * {@link ringFft}. The rotation e^{±im·phi0} is applied by recurrence re-anchored every 32 m
 * (error ≲ 100 ulp for m ≤ 24575).
 */
export interface RingFft {
  /** Pixels in the ring (even). */
  readonly nphi: number;
  /**
   * Synthesis: out[first … first+nphi) ← Re G_0 + 2 Re Σ_{1≤m<mEnd} G_m e^{2πimj/nphi} with
   * G_m = F_m e^{im·phi0}, F_m read from `col`; terms beyond the Nyquist frequency alias into bin
   * m mod nphi.
   */
  synthesize(col: TiledColumn, mEnd: number, phi0: number, out: Float64Array | Float32Array, first: number): void;
  /**
   * Analysis: entry m of `dst` ← w·c_{m mod nphi}·e^{−im·phi0} for m ≤ mmax, where
   * c_k = Σ_j x_j e^{−2πijk/nphi} over x = map[first … first+nphi) with pixels within 1e-5
   * relative of UNSEEN taken as 0.
   */
  analyze(
    map: Float64Array | Float32Array, first: number, phi0: number, weight: number, mmax: number, dst: TiledColumn,
  ): void;
}

/** cos and sin of 2π·num/den, with num reduced modulo den first so the argument stays small. */
function unitRoot(num: number, den: number, out: Float64Array, at: number): void {
  const r = num % den;
  const a = (2 * Math.PI * r) / den;
  out[at] = Math.cos(a);
  out[at + 1] = Math.sin(a);
}

/** Real FFT of odd length (or length 1) through a full complex FFT. */
class OddRealFft implements RealFft {
  readonly n: number;
  readonly #cfft: ComplexFft;
  readonly #z: Float64Array;

  constructor(n: number) {
    this.n = n;
    this.#cfft = complexFft(n);
    this.#z = new Float64Array(2 * n);
  }

  forward(x: Float64Array | Float32Array, xOff: number, spec: Float64Array): void {
    const n = this.n;
    const z = this.#z;
    for (let j = 0; j < n; j++) {
      z[2 * j] = x[xOff + j]!;
      z[2 * j + 1] = 0;
    }
    this.#cfft.transform(z, false);
    const half = Math.floor(n / 2);
    for (let i = 0; i < 2 * (half + 1); i++) spec[i] = z[i]!;
    spec[1] = 0;
  }

  inverse(spec: Float64Array, x: Float64Array | Float32Array, xOff: number): void {
    const n = this.n;
    const z = this.#z;
    const half = Math.floor(n / 2);
    z[0] = spec[0]!;
    z[1] = 0;
    for (let k = 1; k <= half; k++) {
      z[2 * k] = spec[2 * k]!;
      z[2 * k + 1] = spec[2 * k + 1]!;
      z[2 * (n - k)] = spec[2 * k]!;
      z[2 * (n - k) + 1] = -spec[2 * k + 1]!;
    }
    this.#cfft.transform(z, true);
    for (let j = 0; j < n; j++) x[xOff + j] = z[2 * j]!;
  }
}

interface FftExports {
  readonly smooth: (n: number, data: number, scratch: number, tw: number, inverse: number) => void;
  readonly realForward: (h: number, z: number, spec: number, rt: number) => void;
  readonly realInverse: (h: number, spec: number, z: number, rt: number) => void;
  readonly chirpIn: (n: number, size: number, x: number, b: number, w: number, inverse: number) => void;
  readonly pointwise: (size: number, w: number, kern: number) => void;
  readonly chirpOut: (n: number, w: number, b: number, x: number, inverse: number) => void;
  readonly sanitize: (n: number, x: number) => void;
  readonly fold: (nphi: number, col: number, mEnd: number, c1: number, s1: number, c32: number, s32: number, spec: number) => void;
  readonly extract: (
    nphi: number, spec: number, mmax: number, c1: number, s1: number, c32: number, s32: number, w: number, col: number,
  ) => void;
}

/**
 * The WebAssembly FFT instance: plan tables are allocated once and kept (plans are cached for
 * the process); a scratch work area sits above them and moves up as tables are added.
 */
class WasmRuntime {
  readonly k: FftExports;
  readonly #memory: WasmMemory;
  #f64: Float64Array;
  #top = 0;

  constructor() {
    const { exports, memory } = instantiateKernel<FftExports>(FFT_WASM_BASE64);
    this.k = exports;
    this.#memory = memory;
    this.#f64 = new Float64Array(memory.buffer);
  }

  /** Doubles view of the memory; re-read after alloc() or work(). */
  get f64(): Float64Array {
    return this.#f64;
  }

  /** Bytes of plan tables allocated so far. */
  get tableBytes(): number {
    return this.#top;
  }

  /** Permanent table storage of `bytes`; returns its byte offset. */
  alloc(bytes: number): number {
    const at = this.#top;
    this.#top += Math.ceil(bytes / 16) * 16;
    this.#grow(this.#top);
    return at;
  }

  /** A scratch area of at least `bytes` above the tables, valid until the next alloc(). */
  work(bytes: number): number {
    this.#grow(this.#top + bytes);
    return this.#top;
  }

  #grow(bytes: number): void {
    ensureMemory(this.#memory, bytes);
    if (this.#f64.buffer !== this.#memory.buffer) this.#f64 = new Float64Array(this.#memory.buffer);
  }
}

let runtime: WasmRuntime | undefined;

function wasmRuntime(): WasmRuntime {
  runtime ??= new WasmRuntime();
  return runtime;
}

/** Stores the twiddle w = (wr, wi) as the vectors (wr, wr), (−wi, wi) at double index i. */
function putTwiddle(f: Float64Array, i: number, wr: number, wi: number): void {
  f[i] = wr;
  f[i + 1] = wr;
  f[i + 2] = -wi;
  f[i + 3] = wi;
}

/** A complex transform whose data already sit in the WebAssembly memory. */
interface WasmComplex extends ComplexFft {
  /** Scratch bytes runAt() needs beyond the data. */
  readonly scratchBytes: number;
  /** Transforms the n points at byte offset `data` in place, using `scratch`. */
  runAt(data: number, scratch: number, inverse: boolean): void;
}

/** Radices of a smooth length in stage order: 4…4, then 2, then 3…3, then 5…5 (wasm/fft.as). */
function smoothRadices(n: number): number[] {
  const out: number[] = [];
  let len = n;
  while (len % 4 === 0) {
    out.push(4);
    len /= 4;
  }
  if (len % 2 === 0) {
    out.push(2);
    len /= 2;
  }
  for (const p of [3, 5]) {
    while (len % p === 0) {
      out.push(p);
      len /= p;
    }
  }
  if (len !== 1) throw new Error(`Internal error: ${String(n)} is not 5-smooth`);
  return out;
}

/** True when n = 2^a·3^b·5^c. */
function isSmooth(n: number): boolean {
  let len = n;
  for (const p of [2, 3, 5]) while (len % p === 0) len /= p;
  return len === 1;
}

/** Complex FFT of a 5-smooth length: Stockham stages of radix 4, 2, 3, 5 in WebAssembly. */
class WasmSmoothFft implements WasmComplex {
  readonly n: number;
  readonly scratchBytes: number;
  readonly #rt: WasmRuntime;
  readonly #tw: number;

  constructor(n: number) {
    this.n = n;
    this.scratchBytes = 16 * n;
    const rt = wasmRuntime();
    this.#rt = rt;
    // Per stage (sequence length len, radix p): len/p entries of p − 1 twiddles ω^{jk}.
    const stages: [number, number][] = [];
    let len = n;
    let entries = 0;
    for (const p of smoothRadices(n)) {
      stages.push([len, p]);
      entries += (len / p) * (p - 1);
      len /= p;
    }
    this.#tw = rt.alloc(entries * 32);
    const f = rt.f64;
    let at = this.#tw / 8;
    const cs = new Float64Array(2);
    for (const [l, p] of stages) {
      for (let j = 0; j < l / p; j++) {
        for (let k = 1; k < p; k++) {
          unitRoot(j * k, l, cs, 0);
          putTwiddle(f, at, cs[0]!, -cs[1]!); // forward: e^{−2πijk/len}
          at += 4;
        }
      }
    }
  }

  runAt(data: number, scratch: number, inverse: boolean): void {
    this.#rt.k.smooth(this.n, data, scratch, this.#tw, inverse ? 1 : 0);
  }

  transform(data: Float64Array, inverse: boolean): void {
    const n = this.n;
    const w = this.#rt.work(16 * n + this.scratchBytes);
    const f = this.#rt.f64;
    f.set(data.subarray(0, 2 * n), w / 8);
    this.runAt(w, w + 16 * n, inverse);
    data.set(f.subarray(w / 8, w / 8 + 2 * n));
  }
}

/**
 * Bluestein's chirp-z transform: with b_t = e^{iπt²/n}, X_k = conj(b_k)·Σ_t (x_t conj(b_t)) b_{k−t},
 * a circular convolution of length M ≥ 2n − 1 (5-smooth) done with two FFTs of length M (the
 * chirp's transform is precomputed). The inverse is conj(forward(conj(x))).
 */
class WasmBluesteinFft implements WasmComplex {
  readonly n: number;
  readonly scratchBytes: number;
  readonly #rt: WasmRuntime;
  readonly #inner: WasmComplex;
  readonly #size: number;
  readonly #chirp: number;
  readonly #kernel: number;

  constructor(n: number) {
    this.n = n;
    let size = 2 * n - 1;
    while (!isSmooth(size)) size++;
    this.#size = size;
    this.scratchBytes = 32 * size;
    const rt = wasmRuntime();
    this.#rt = rt;
    this.#inner = complexPlan(size);
    const b = new Float64Array(2 * n);
    for (let t = 0; t < n; t++) {
      // t² mod 2n keeps the angle exact for large t (π t²/n is periodic in t² with period 2n).
      const r = (t * t) % (2 * n);
      b[2 * t] = Math.cos((Math.PI * r) / n);
      b[2 * t + 1] = Math.sin((Math.PI * r) / n);
    }
    const kern = new Float64Array(2 * size);
    for (let t = 0; t < n; t++) {
      kern[2 * t] = b[2 * t]! / size;
      kern[2 * t + 1] = b[2 * t + 1]! / size;
      if (t > 0) {
        kern[2 * (size - t)] = kern[2 * t]!;
        kern[2 * (size - t) + 1] = kern[2 * t + 1]!;
      }
    }
    this.#inner.transform(kern, false);
    this.#chirp = rt.alloc(32 * n);
    this.#kernel = rt.alloc(32 * size);
    const f = rt.f64;
    for (let t = 0; t < n; t++) putTwiddle(f, this.#chirp / 8 + 4 * t, b[2 * t]!, -b[2 * t + 1]!);
    for (let k = 0; k < size; k++) putTwiddle(f, this.#kernel / 8 + 4 * k, kern[2 * k]!, kern[2 * k + 1]!);
  }

  runAt(data: number, scratch: number, inverse: boolean): void {
    const k = this.#rt.k;
    const w = scratch;
    const inner = scratch + 16 * this.#size;
    const inv = inverse ? 1 : 0;
    k.chirpIn(this.n, this.#size, data, this.#chirp, w, inv);
    this.#inner.runAt(w, inner, false);
    k.pointwise(this.#size, w, this.#kernel);
    this.#inner.runAt(w, inner, true);
    k.chirpOut(this.n, w, this.#chirp, data, inv);
  }

  transform(data: Float64Array, inverse: boolean): void {
    const n = this.n;
    const w = this.#rt.work(16 * n + this.scratchBytes);
    const f = this.#rt.f64;
    f.set(data.subarray(0, 2 * n), w / 8);
    this.runAt(w, w + 16 * n, inverse);
    data.set(f.subarray(w / 8, w / 8 + 2 * n));
  }
}

/** Real FFT of even length n = 2h with the half-length complex transform in WebAssembly. */
class WasmHalfRealFft implements RealFft, RingFft {
  readonly n: number;
  readonly #h: number;
  readonly #rt: WasmRuntime;
  readonly #inner: WasmComplex;
  /** (cos, cos), (sin, −sin) of 2πk/n for k ≤ h. */
  readonly #tw: number;

  constructor(n: number, inner: WasmComplex) {
    this.n = n;
    const h = n / 2;
    this.#h = h;
    this.#inner = inner;
    const rt = wasmRuntime();
    this.#rt = rt;
    this.#tw = rt.alloc(32 * (h + 1));
    const f = rt.f64;
    const cs = new Float64Array(2);
    for (let k = 0; k <= h; k++) {
      unitRoot(k, n, cs, 0);
      putTwiddle(f, this.#tw / 8 + 4 * k, cs[0]!, -cs[1]!);
    }
  }

  forward(x: Float64Array | Float32Array, xOff: number, spec: Float64Array): void {
    const h = this.#h;
    // Work layout: z (h points), spectrum (h + 1 points), then the inner transform's scratch.
    const z = this.#rt.work(16 * h + 16 * (h + 1) + this.#inner.scratchBytes);
    const s = z + 16 * h;
    const f = this.#rt.f64;
    f.set(x.subarray(xOff, xOff + this.n), z / 8);
    this.#inner.runAt(z, s + 16 * (h + 1), false);
    this.#rt.k.realForward(h, z, s, this.#tw);
    spec.set(f.subarray(s / 8, s / 8 + 2 * (h + 1)));
  }

  inverse(spec: Float64Array, x: Float64Array | Float32Array, xOff: number): void {
    const h = this.#h;
    const z = this.#rt.work(16 * h + 16 * (h + 1) + this.#inner.scratchBytes);
    const s = z + 16 * h;
    const f = this.#rt.f64;
    f.set(spec.subarray(0, 2 * (h + 1)), s / 8);
    this.#rt.k.realInverse(h, s, z, this.#tw);
    this.#inner.runAt(z, s + 16 * (h + 1), true);
    x.set(f.subarray(z / 8, z / 8 + this.n), xOff);
  }

  get nphi(): number {
    return this.n;
  }

  synthesize(col: TiledColumn, mEnd: number, phi0: number, out: Float64Array | Float32Array, first: number): void {
    const h = this.#h;
    // Work layout: z (h points), spectrum (h + 1), the F column (mEnd), inner scratch.
    const z = this.#rt.work(16 * h + 16 * (h + 1) + 16 * mEnd + this.#inner.scratchBytes);
    const s = z + 16 * h;
    const c = s + 16 * (h + 1);
    const f = this.#rt.f64;
    for (let m0 = 0, at = col.base; m0 < mEnd; m0 += col.tile, at += col.stride) {
      f.set(col.data.subarray(at, at + 2 * Math.min(col.tile, mEnd - m0)), c / 8 + 2 * m0);
    }
    this.#rt.k.fold(this.n, c, mEnd, Math.cos(phi0), Math.sin(phi0), Math.cos(32 * phi0), Math.sin(32 * phi0), s);
    this.#rt.k.realInverse(h, s, z, this.#tw);
    this.#inner.runAt(z, c + 16 * mEnd, true);
    out.set(f.subarray(z / 8, z / 8 + this.n), first);
  }

  analyze(
    map: Float64Array | Float32Array, first: number, phi0: number, weight: number, mmax: number, dst: TiledColumn,
  ): void {
    const h = this.#h;
    const z = this.#rt.work(16 * h + 16 * (h + 1) + 16 * (mmax + 1) + this.#inner.scratchBytes);
    const s = z + 16 * h;
    const c = s + 16 * (h + 1);
    const f = this.#rt.f64;
    const k = this.#rt.k;
    f.set(map.subarray(first, first + this.n), z / 8);
    k.sanitize(this.n, z);
    this.#inner.runAt(z, c + 16 * (mmax + 1), false);
    k.realForward(h, z, s, this.#tw);
    k.extract(this.n, s, mmax, Math.cos(phi0), Math.sin(phi0), Math.cos(32 * phi0), Math.sin(32 * phi0), weight, c);
    for (let m0 = 0, at = dst.base; m0 <= mmax; m0 += dst.tile, at += dst.stride) {
      dst.data.set(f.subarray(c / 8 + 2 * m0, c / 8 + 2 * Math.min(m0 + dst.tile, mmax + 1)), at);
    }
  }
}

const complexPlans = new Map<number, WasmComplex>();
const realPlans = new Map<number, RealFft>();

/**
 * Plan tables kept before the plan cache is dropped (with its WebAssembly memory) and rebuilt on
 * demand. Up to nside 512 every ring length's plan fits (about 40 MiB); at nside ≥ 1024 the caps
 * alone would need ~160 MiB, so their plans are rebuilt per transform instead (a few per cent of
 * the transform time) to keep memory bounded.
 */
export const FFT_TABLE_BUDGET = 64 * 1024 * 1024;

/** Bytes of FFT plan tables currently cached (see {@link FFT_TABLE_BUDGET}). */
export function fftPlanCacheBytes(): number {
  return runtime?.tableBytes ?? 0;
}

/** Drops every plan (and the memory holding their tables) once the tables exceed the budget. */
function enforceBudget(): void {
  if (runtime !== undefined && runtime.tableBytes > FFT_TABLE_BUDGET) {
    runtime = undefined;
    complexPlans.clear();
    realPlans.clear();
  }
}

function checkLength(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`FFT length must be a positive integer, got ${String(n)}`);
}

/**
 * Complex FFT plan of length n (cached per length within {@link FFT_TABLE_BUDGET}; a plan stays
 * usable after the cache is dropped). Throws a RangeError unless n is a positive integer.
 */
export function complexFft(n: number): ComplexFft {
  if (!complexPlans.has(n)) enforceBudget();
  return complexPlan(n);
}

function complexPlan(n: number): WasmComplex {
  checkLength(n);
  let plan = complexPlans.get(n);
  if (plan === undefined) {
    plan = isSmooth(n) ? new WasmSmoothFft(n) : new WasmBluesteinFft(n);
    complexPlans.set(n, plan);
  }
  return plan;
}

/**
 * Ring transform stages for rings of `nphi` pixels (cached per length within
 * {@link FFT_TABLE_BUDGET}; a plan stays usable after the cache is dropped, since it keeps its own
 * tables). Throws a RangeError unless nphi is a positive even integer.
 */
export function ringFft(nphi: number): RingFft {
  if (!Number.isInteger(nphi) || nphi < 2 || nphi % 2 !== 0) {
    throw new RangeError(`ring length must be a positive even integer, got ${String(nphi)}`);
  }
  return realFft(nphi) as WasmHalfRealFft;
}

/**
 * Real FFT plan of length n (cached per length within {@link FFT_TABLE_BUDGET}; a plan stays usable
 * after the cache is dropped). Throws a RangeError unless n is a positive integer.
 */
export function realFft(n: number): RealFft {
  checkLength(n);
  let plan = realPlans.get(n);
  if (plan === undefined) {
    enforceBudget();
    plan = n % 2 === 1 ? new OddRealFft(n) : new WasmHalfRealFft(n, complexPlan(n / 2));
    realPlans.set(n, plan);
  }
  return plan;
}
