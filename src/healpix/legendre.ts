/**
 * Legendre stage of the spherical-harmonic transforms: a WebAssembly SIMD kernel (source in
 * ./wasm/legendre.as, compiled by scripts/build-wasm.ts) driven one m at a time over a chunk of
 * ring pairs ("lanes").
 *
 * | symbol  | meaning                                                          | range              |
 * |---------|------------------------------------------------------------------|--------------------|
 * | lane    | one ring pair (north ring and its southern mirror)              | 0 … lanes−1        |
 * | x, s    | cos θ ≥ 0 and sin θ of the lane's northern ring                  | [0, 1), (0, 1]     |
 * | m       | azimuthal order, processed in increasing order                   | 0 … mmax           |
 * | l       | multipole                                                        | m … lmax           |
 * | F       | per lane and ring (north, south): complex column over m, tiled   | 16 bytes per entry |
 *
 * Synthesis: F_lane,m = Σ_l a_lm λ_lm(±x). Analysis: a_lm += Σ_lanes λ_lm(x)·(N ± S) by parity of
 * l − m. λ_mm is advanced from m − 1 to m in scaled form (mantissa and power-of-2^512 exponent),
 * so high m near the poles neither underflows nor costs work once negligible. The recurrence runs
 * in monic form: in cos²θ as two independent even/odd chains for synthesis, in cos θ over two
 * blocks of lanes at once for analysis (see the kernel source for the formulas, the
 * renormalisation and the significance threshold). Per-m tables are rebuilt for every m of every
 * chunk from O(lmax) per-lmax tables, so no (l, m) table is ever held.
 */
import type { TiledColumn } from "./fft.js";
import { chooseKernel } from "./legendre-native.js";
import type { KernelKind, NativeAddon, NativeIsa, NativeIsaKernel } from "./legendre-native.js";
import { engineAccepts, ensureMemory, instantiateKernel, WASM_PAGE } from "./sht-wasm.js";
import type { WasmMemory } from "./sht-wasm.js";
import { LEGENDRE_RELAXED_WASM_BASE64 } from "./wasm/legendre-relaxed-wasm.generated.js";
import { LEGENDRE_WASM_BASE64 } from "./wasm/legendre-wasm.generated.js";

interface KernelExports {
  readonly lmaxTables: (lmax: number, inv4: number, sq4: number, isq: number) => void;
  readonly coefs: (
    m: number, lmax: number, inv4: number, sq4: number, isq: number,
    e2: number, bc: number, nrm: number, lim: number, bj: number, bf: number,
  ) => void;
  readonly configure: (oddBytes: number) => void;
  readonly prescale: (m: number, lmax: number, src: number, dst: number, nrm: number) => void;
  readonly finish: (m: number, lmax: number, p: number, a: number, nrm: number) => void;
  readonly advanceMM: (m: number, n: number, s: number, v: number, k: number) => void;
  readonly synth: KernelFn;
  readonly analyze: KernelFn;
  /** Two coefficient sets, one pass (native only); see {@link LegendreKernel.synthSets}. */
  readonly synth2?: BatchFn | undefined;
  /** Two F sets, one pass (native only); see {@link LegendreKernel.analyzeSets}. */
  readonly analyze2?: BatchFn | undefined;
  /** Four coefficient sets, one pass (native only). */
  readonly synth4?: BatchFn | undefined;
  /** Four F sets, one pass (native only). */
  readonly analyze4?: BatchFn | undefined;
}

type BatchFn = (
  m: number, lmax: number, nblk: number, x: number, v: number, k: number, dead: number,
  e2: number, nrm: number, bj: number, bf: number, a: number, astride: number, f: number, fstride: number, soff: number,
  fset: number,
) => number;

type KernelFn = (
  m: number, lmax: number, nblk: number,
  x: number, y: number, v: number, k: number, dead: number,
  e2: number, bc: number, nrm: number, lim: number, bj: number, bf: number,
  a: number, f: number, fstride: number, soff: number, ws?: number,
) => number;

/** 1/√(4π) = λ_00. */
const LAMBDA_00 = 1 / Math.sqrt(4 * Math.PI);

/** Lanes per WebAssembly kernel block (two f64x2 vectors); chunks are sized in these. */
export const LANES_PER_BLOCK = 4;

/** Lanes per native kernel block: four vectors of up to eight doubles (native/legendre-body.h). */
const NATIVE_BLOCK_VECTORS = 4;

/**
 * Memory of the native kernel: a plain ArrayBuffer that grows like a WebAssembly memory (by whole
 * pages, keeping its contents), so the layout code serves both kernels.
 */
class NativeMemory implements WasmMemory {
  buffer = new ArrayBuffer(WASM_PAGE);

  grow(pages: number): number {
    const old = this.buffer;
    this.buffer = new ArrayBuffer(old.byteLength + pages * WASM_PAGE);
    new Uint8Array(this.buffer).set(new Uint8Array(old));
    return old.byteLength / WASM_PAGE;
  }
}

/**
 * The native addon behind the WebAssembly kernel's exports: same offsets, the buffer prepended.
 * The native kernel runs only the x-form recurrence, so the y-form tables (bc), the lane y array,
 * the phase-0 limits and the analysis scratch are not passed; its a column and analysis sums are
 * linear in l (configure() is moot), and `nblk` counts blocks of {@link LANES_PER_BLOCK} lanes.
 */
function nativeExports(addon: NativeAddon, kernel: NativeIsaKernel, memory: NativeMemory): KernelExports {
  return {
    lmaxTables: (lmax, inv4, sq4, isq) => addon.lmaxTables(memory.buffer, lmax, inv4, sq4, isq),
    coefs: (m, lmax, inv4, sq4, isq, e2, _bc, nrm, lim, bj, bf) =>
      addon.coefs(memory.buffer, m, lmax, inv4, sq4, isq, e2, nrm, lim, bj, bf),
    configure: () => undefined,
    prescale: (m, lmax, src, dst, nrm) => addon.prescale(memory.buffer, m, lmax, src, dst, nrm),
    finish: (m, lmax, p, a, nrm) => kernel.finish(memory.buffer, m, lmax, p, a, nrm),
    advanceMM: (m, n, sp, v, k) => addon.advanceMM(memory.buffer, m, n, sp, v, k),
    synth: (m, lmax, nblk, x, _y, v, k, d, e2, _bc, nrm, _lim, bj, bf, a, f, fstride, soff) =>
      kernel.synth(memory.buffer, m, lmax, nblk * LANES_PER_BLOCK, x, v, k, d, e2, nrm, bj, bf, a, f, fstride, soff),
    analyze: (m, lmax, nblk, x, _y, v, k, d, e2, _bc, nrm, _lim, bj, bf, p, f, fstride, soff) =>
      kernel.analyze(memory.buffer, m, lmax, nblk * LANES_PER_BLOCK, x, v, k, d, e2, nrm, bj, bf, p, f, fstride, soff),
    synth2: batch(kernel.synth2, memory),
    analyze2: batch(kernel.analyze2, memory),
    synth4: batch(kernel.synth4, memory),
    analyze4: batch(kernel.analyze4, memory),
  };
}

/** A batched native entry behind the kernel's offsets, or undefined where the addon lacks it. */
function batch(fn: NativeIsaKernel["synth2"], memory: NativeMemory): BatchFn | undefined {
  if (fn === undefined) return undefined;
  return (m, lmax, nblk, x, v, k, d, e2, nrm, bj, bf, a, astride, f, fstride, soff, fset) =>
    fn(memory.buffer, m, lmax, nblk * LANES_PER_BLOCK, x, v, k, d, e2, nrm, bj, bf, a, astride, f, fstride, soff, fset);
}

/**
 * Whether the relaxed-SIMD build is taken by default where available. It is not: measured with
 * scripts/bench-sht.ts on Node 22 and 24 (V8 12.4, 13.6; AVX-512 CPU) it was 0–30% slower than the
 * plain build at nside 256 and 512 (the FMA shortens no dependency chain that bounds these loops,
 * which the plain build already splits). It stays selectable ({ kind: "wasm", relaxed: true }) and
 * in the benchmark, so the choice can be revisited per engine.
 */
const RELAXED_BY_DEFAULT = false;

/** The WebAssembly builds: plain SIMD128, or with relaxed SIMD's fused multiply-add. */
export type WasmIsa = "simd128" | "relaxed-simd";

let relaxedOk: boolean | undefined;

/** Whether this engine runs the relaxed-SIMD build (Node ≥ 22 has relaxed SIMD on by default). */
export function relaxedSimdAvailable(): boolean {
  relaxedOk ??= engineAccepts(LEGENDRE_RELAXED_WASM_BASE64);
  return relaxedOk;
}

/** Which kernel a {@link LegendreKernel} runs. */
export type KernelSpec =
  /** `relaxed`: the relaxed-SIMD build (fused multiply-add); default where the engine has it. */
  | { readonly kind: "wasm"; readonly relaxed?: boolean }
  | { readonly kind: "native"; readonly addon: NativeAddon; readonly isa: NativeIsa };

/**
 * m per tile of F. For one m the kernel touches one entry per lane; with F tiled as
 * [m / TILE][lane][north, south][m mod TILE] those entries lie 2 KiB apart instead of a whole
 * column (~50 KiB at lmax 1535) apart, which keeps the pages touched per m within the TLB.
 */
const TILE = 64;

/**
 * A Legendre kernel instance with its own WebAssembly memory, laid out for one chunk of lanes and
 * one (lmax, mmax). Reuse it across calls: memory only grows (see {@link releaseLegendreKernel}).
 * Not re-entrant.
 */
export class LegendreKernel {
  readonly #memory: WasmMemory;
  readonly #k: KernelExports;
  /** Lanes are padded to a multiple of this. */
  readonly #block: number;
  /** Bytes of analysis column sums per l (native: one vector of partial sums for re and for im). */
  readonly #partPerL: number;
  /** "wasm" or the native instruction set. */
  readonly name: KernelKind;
  readonly isa: NativeIsa | WasmIsa;
  #f64: Float64Array;
  #lanes = 0;
  #lmax = -1;
  #mmax = 0;
  // Byte offsets of the regions (see layout()).
  #x = 0;
  #y = 0;
  #s = 0;
  #v = 0;
  #kexp = 0;
  #dead = 0;
  #inv4 = 0;
  #sq4 = 0;
  #isq = 0;
  #e2 = 0;
  #bc = 0;
  #nrm = 0;
  #lim = 0;
  #bj = 0;
  #bf = 0;
  // Per set (at least two, so spin 2's pair always has its own): the a_lm column, its prescaled
  // copy and the analysis column sums, each set's region a fixed stride after the previous one.
  #col = 0;
  #cols = 0;
  #colStride = 0;
  #part = 0;
  #partStride = 0;
  /** F sets laid out (layout()'s `sets`). */
  #sets = 0;
  #ws = 0;
  #f = 0;
  /** Bytes of one F set (see layout()). */
  #fSet = 0;

  constructor(spec: KernelSpec = { kind: "wasm" }) {
    if (spec.kind === "native") {
      const kernel = spec.addon[spec.isa];
      if (kernel === undefined) throw new Error(`Internal error: the native kernel has no ${spec.isa} variant on this CPU`);
      const memory = new NativeMemory();
      this.#memory = memory;
      this.#k = nativeExports(spec.addon, kernel, memory);
      this.#block = kernel.width * NATIVE_BLOCK_VECTORS;
      this.#partPerL = 16 * kernel.width;
      this.name = "native";
      this.isa = spec.isa;
    } else {
      const relaxed = (spec.relaxed ?? RELAXED_BY_DEFAULT) && relaxedSimdAvailable();
      const { exports, memory } = instantiateKernel<KernelExports>(relaxed ? LEGENDRE_RELAXED_WASM_BASE64 : LEGENDRE_WASM_BASE64);
      this.#memory = memory;
      this.#k = exports;
      this.#block = LANES_PER_BLOCK;
      this.#partPerL = 0;
      this.name = "wasm";
      this.isa = relaxed ? "relaxed-simd" : "simd128";
    }
    this.#f64 = new Float64Array(this.#memory.buffer);
  }

  /**
   * Lays out memory for `lanes` ring pairs (rounded up to a multiple of {@link LANES_PER_BLOCK}),
   * multipoles up to lmax and m up to mmax, after an analysis output region of `almBytes` at
   * offset 0 (kept across calls with the same size); grows the memory when needed. `sets` F
   * buffers (default 1) let several fields share one λ_mm state and one set of per-m tables
   * (spin 2: Q and U), each synthesised into or analysed from its own F. Returns the padded lane
   * count.
   */
  layout(lanes: number, lmax: number, mmax: number, almBytes = 0, sets = 1): number {
    const padded = Math.ceil(lanes / this.#block) * this.#block;
    // The analysis output alm sits first, so it keeps its offset across chunks.
    let at = Math.ceil(almBytes / 16) * 16;
    const take = (bytes: number): number => {
      const start = at;
      at += Math.ceil(bytes / 16) * 16;
      return start;
    };
    this.#x = take(8 * padded);
    this.#y = take(8 * padded);
    this.#s = take(8 * padded);
    this.#v = take(8 * padded);
    this.#kexp = take(8 * padded);
    this.#dead = take(8 * padded);
    this.#inv4 = take(8 * (lmax + 5));
    this.#sq4 = take(8 * (lmax + 5));
    this.#isq = take(8 * (2 * lmax + 9));
    this.#e2 = take(8 * (lmax + 6));
    // Parity-split arrays: even half, then odd half, each `odd` bytes.
    const odd = 16 * ((lmax + 8) >> 1);
    this.#bc = take(2 * odd);
    this.#nrm = take(8 * (lmax + 6));
    this.#lim = take(8 * (lmax + 6));
    this.#bj = take(4 * (lmax + 8));
    this.#bf = take(8 * (lmax + 8));
    const regions = Math.max(2, sets);
    this.#col = take(16 * (lmax + 2));
    this.#cols = take(2 * odd);
    this.#colStride = at - this.#col;
    for (let b = 1; b < regions; b++) take(this.#colStride);
    const partBytes = Math.max(2 * odd, this.#partPerL * (lmax + 2));
    this.#part = take(partBytes);
    this.#partStride = at - this.#part;
    for (let b = 1; b < regions; b++) take(partBytes);
    this.#sets = sets;
    this.#ws = take(512);
    this.#fSet = 32 * padded * TILE * Math.ceil((mmax + 1) / TILE);
    this.#f = take(sets * this.#fSet);
    ensureMemory(this.#memory, at);
    if (this.#f64.buffer !== this.#memory.buffer) this.#f64 = new Float64Array(this.#memory.buffer);
    // Regions move with lane count and lmax, so per-lmax tables are rebuilt on every layout.
    this.#k.lmaxTables(lmax, this.#inv4, this.#sq4, this.#isq);
    this.#f64.fill(0, this.#part >> 3, (this.#part + regions * this.#partStride) >> 3);
    this.#k.configure(odd);
    this.#lanes = padded;
    this.#lmax = lmax;
    this.#mmax = mmax;
    return padded;
  }

  /** Size of the kernel's WebAssembly memory in bytes. */
  get memoryBytes(): number {
    return this.#memory.buffer.byteLength;
  }

  /** The kernel memory as doubles (valid until the next layout()). */
  get f64(): Float64Array {
    return this.#f64;
  }

  /** The lane's F column of F set `set` for its north (`south` false) or south ring, tiled over m. */
  column(lane: number, south: boolean, set = 0): TiledColumn {
    return {
      data: this.#f64,
      base: (this.#f + set * this.#fSet + 32 * TILE * lane + (south ? 16 * TILE : 0)) / 8,
      tile: TILE,
      stride: (32 * TILE * this.#lanes) / 8,
    };
  }

  /** Zeroes the lane's F column of set `set` for the north or south ring. */
  clearColumn(lane: number, south: boolean, set = 0): void {
    const c = this.column(lane, south, set);
    for (let m0 = 0, at = c.base; m0 <= this.#mmax; m0 += TILE, at += c.stride) this.#f64.fill(0, at, at + 2 * TILE);
  }

  /**
   * Double index of F(lane, north or south ring, m) in F set `set`: re there, im next. Spin-2
   * transforms read and write single entries (the polar rings' low orders).
   */
  entry(lane: number, south: boolean, m: number, set = 0): number {
    return (this.#fAt(m, set) + 32 * TILE * lane + (south ? 16 * TILE : 0)) / 8;
  }

  /** Byte offset of F(lane 0, north, m) in F set `set`. */
  #fAt(m: number, set: number): number {
    return this.#f + set * this.#fSet + 32 * TILE * this.#lanes * Math.floor(m / TILE) + 16 * (m % TILE);
  }

  /** Double index of the a_lm column (l = m … lmax, interleaved re/im from l = m). */
  get colIndex(): number {
    return this.#col >> 3;
  }

  /**
   * Sets lane geometry (cos θ, sin θ of the northern rings `from` … `from + count − 1`) and resets
   * the λ_mm state to m = 0. Padding lanes are dead.
   */
  setLanes(cosTheta: Float64Array, sinTheta: Float64Array, from: number, count: number): void {
    const f = this.#f64;
    const x = this.#x >> 3, y = this.#y >> 3, s = this.#s >> 3;
    const v = this.#v >> 3, k = this.#kexp >> 3, d = this.#dead >> 3;
    for (let i = 0; i < this.#lanes; i++) {
      const live = i < count;
      const c = live ? cosTheta[from + i]! : 0;
      f[x + i] = c;
      f[y + i] = c * c;
      f[s + i] = live ? sinTheta[from + i]! : 1;
      f[v + i] = live ? LAMBDA_00 : 0;
      f[k + i] = 0;
      f[d + i] = live ? 0 : 1;
    }
  }

  /** Prepares order m: λ_mm advanced from m − 1 (m > 0) and the per-m recurrence tables. */
  beginM(m: number): void {
    if (m > 0) this.#k.advanceMM(m, this.#lanes, this.#s, this.#v, this.#kexp);
    this.#k.coefs(
      m, this.#lmax, this.#inv4, this.#sq4, this.#isq,
      this.#e2, this.#bc, this.#nrm, this.#lim, this.#bj, this.#bf,
    );
  }

  /**
   * Synthesis for order m: the caller has copied a_lm (l = m … lmax) into the column at
   * {@link colIndex}; writes F(·, m) of F set `set` for every lane. Returns false when every lane
   * is dead from m + 1 on (λ_lm negligible for all larger m).
   */
  synth(m: number, set = 0): boolean {
    this.#k.prescale(m, this.#lmax, this.#col, this.#cols, this.#nrm);
    return 0 < this.#k.synth(
      m, this.#lmax, this.#lanes / LANES_PER_BLOCK,
      this.#x, this.#y, this.#v, this.#kexp, this.#dead,
      this.#e2, this.#bc, this.#nrm, this.#lim, this.#bj, this.#bf,
      this.#cols, this.#fAt(m, set), 32 * TILE, 16 * TILE,
    );
  }

  /** Double index of the second a_lm column, set 1's in {@link synthSets}. */
  get colIndex2(): number {
    return this.colIndexOf(1);
  }

  /** Double index of set `set`'s a_lm column for {@link synthSets} (set 0's is {@link colIndex}). */
  colIndexOf(set: number): number {
    if (!(set >= 0 && set < Math.max(2, this.#sets))) throw new RangeError(`Internal error: no column for set ${String(set)} in this layout`);
    return (this.#col + set * this.#colStride) >> 3;
  }

  /**
   * Synthesis for order m of `sets` (2 or 4; layout() with as many) fields at once: the columns
   * at colIndexOf(0 … sets − 1) into F sets 0 … sets − 1. The native kernel shares one recurrence
   * between them (one pass instead of `sets`); the WebAssembly kernel runs {@link synth} per set.
   * Results equal `sets` synth calls. Returns false when every lane is dead from m + 1 on.
   * Transforms use two sets (spin 2's Q and U); scripts/bench-batch.ts measured four no faster per
   * set than two, and the batched analysis slower than one pass per set.
   */
  synthSets(m: number, sets: 2 | 4): boolean {
    this.#checkSets(sets);
    const k = this.#k;
    const fn = sets === 4 ? k.synth4 : k.synth2;
    if (fn === undefined) {
      let live = this.synth(m, 0);
      const n = 2 * (this.#lmax + 1 - m);
      for (let b = 1; b < sets; b++) {
        const col = this.colIndexOf(b);
        this.#f64.copyWithin(this.#col >> 3, col, col + n);
        live = this.synth(m, b) || live;
      }
      return live;
    }
    for (let b = 0; b < sets; b++) {
      const at = b * this.#colStride;
      k.prescale(m, this.#lmax, this.#col + at, this.#cols + at, this.#nrm);
    }
    return 0 < fn(
      m, this.#lmax, this.#lanes / LANES_PER_BLOCK, this.#x, this.#v, this.#kexp, this.#dead,
      this.#e2, this.#nrm, this.#bj, this.#bf, this.#cols, this.#colStride,
      this.#fAt(m, 0), 32 * TILE, 16 * TILE, this.#fSet,
    );
  }

  /** {@link synthSets} for two fields (spin 2's Q and U). */
  synthPair(m: number): boolean {
    return this.synthSets(m, 2);
  }

  /**
   * Analysis for order m of F sets 0 … colStarts.length − 1 (2 or 4) at once, set b adding into
   * the output alm region at the column `colStarts[b]` (doubles): one shared recurrence on the
   * native kernel, one {@link analyze} call per set on the WebAssembly kernel; results equal
   * those calls. Returns false when every lane is dead from m + 1 on.
   */
  analyzeSets(m: number, colStarts: readonly number[]): boolean {
    const k = this.#k;
    const sets = colStarts.length;
    this.#checkSets(sets);
    const fn = sets === 4 ? k.analyze4 : sets === 2 ? k.analyze2 : undefined;
    if (fn === undefined) {
      let live = false;
      colStarts.forEach((col, b) => {
        live = this.analyze(m, col, b) || live;
      });
      return live;
    }
    const live = fn(
      m, this.#lmax, this.#lanes / LANES_PER_BLOCK, this.#x, this.#v, this.#kexp, this.#dead,
      this.#e2, this.#nrm, this.#bj, this.#bf, this.#part, this.#partStride,
      this.#fAt(m, 0), 32 * TILE, 16 * TILE, this.#fSet,
    );
    colStarts.forEach((col, b) => k.finish(m, this.#lmax, this.#part + b * this.#partStride, 8 * col, this.#nrm));
    return live > 0;
  }

  /** A batched call over more F sets than layout() made would write past them. */
  #checkSets(sets: number): void {
    if (sets > this.#sets) throw new RangeError(`Internal error: ${String(sets)} sets in one pass, but the layout has ${String(this.#sets)}`);
  }


  /**
   * Analysis for order m: reads F(·, m) of F set `set` and adds Σ_lanes λ_lm·(N ± S) for
   * l = m … lmax into the output alm region (offset 0) at the column of m, `colStart` doubles in.
   * Returns false when every lane is dead from m + 1 on.
   */
  analyze(m: number, colStart: number, set = 0): boolean {
    const live = this.#k.analyze(
      m, this.#lmax, this.#lanes / LANES_PER_BLOCK,
      this.#x, this.#y, this.#v, this.#kexp, this.#dead,
      this.#e2, this.#bc, this.#nrm, this.#lim, this.#bj, this.#bf,
      this.#part, this.#fAt(m, set), 32 * TILE, 16 * TILE, this.#ws,
    );
    this.#k.finish(m, this.#lmax, this.#part, 8 * colStart, this.#nrm);
    return live > 0;
  }
}

let shared: LegendreKernel | undefined;
let selected: KernelSpec | undefined;

/**
 * The kernel chosen by CMBFLOW_KERNEL / CMBFLOW_NATIVE_ISA (./legendre-native.ts), resolved once
 * per thread. Throws a RangeError with the setting at fault when it cannot be honoured.
 */
function selectedSpec(): KernelSpec {
  if (selected !== undefined) return selected;
  const choice = chooseKernel();
  if (!choice.ok) throw new RangeError(choice.message);
  selected = choice.kind === "native" ? { kind: "native", addon: choice.addon, isa: choice.isa } : { kind: "wasm" };
  return selected;
}

/** The kernel that {@link legendreKernel} runs (resolving the environment's choice if needed). */
export function currentKernelSpec(): KernelSpec {
  return selectedSpec();
}

/** The process-wide kernel instance (created on first use). */
export function legendreKernel(): LegendreKernel {
  shared ??= new LegendreKernel(selectedSpec());
  return shared;
}

/**
 * Replaces the process-wide kernel choice (tests and benchmarks compare kernels in one process);
 * undefined returns to the environment's choice.
 */
export function useLegendreKernel(spec: KernelSpec | undefined): void {
  selected = spec;
  shared = undefined;
}

/**
 * Drops the process-wide instance when its memory exceeds `maxBytes`: WebAssembly memory cannot
 * shrink, so after a large transform the next call starts with a fresh, small instance instead of
 * pinning the large one.
 */
export function releaseLegendreKernel(maxBytes: number): void {
  if (shared !== undefined && shared.memoryBytes > maxBytes) shared = undefined;
}
