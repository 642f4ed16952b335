/**
 * Choice and loading of the Legendre kernel: the native addon (native/legendre.cc, built by
 * node-gyp at install into build/Release/cmbflow_legendre.node; AVX-512F, AVX2 + FMA or SSE2,
 * picked by cpuid) or the portable WebAssembly kernel (./wasm/legendre.as). Both take the same
 * byte-offset calls on one linear memory laid out by ./legendre.ts, so the transforms do not know
 * which one runs.
 *
 * `CMBFLOW_KERNEL` = `native` | `wasm` forces one (forcing native where the addon cannot load is
 * an error); unset or empty: native when it loads, else WebAssembly. `CMBFLOW_NATIVE_ISA` =
 * `avx512f` | `avx2` | `sse2` forces the native instruction set (tests run every variant the CPU
 * has).
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The two kernels. */
export type KernelKind = "native" | "wasm";

/** Native instruction sets, fastest first. */
export const NATIVE_ISAS = ["avx512f", "avx2", "sse2"] as const;

/** A native instruction set. */
export type NativeIsa = (typeof NATIVE_ISAS)[number];

/** The addon's per-instruction-set functions; offsets are bytes into the passed buffer. */
export interface NativeIsaKernel {
  readonly synth: NativeSweep;
  /** synth for two coefficient sets into two F sets in one pass (absent from addons built before it). */
  readonly synth2?: NativeBatchSweep;
  /** analyze for two F sets into two column-sum regions in one pass (likewise). */
  readonly analyze2?: NativeBatchSweep;
  /** synth2 for four sets (absent from addons built before it). */
  readonly synth4?: NativeBatchSweep;
  /** analyze2 for four sets (likewise). */
  readonly analyze4?: NativeBatchSweep;
  readonly analyze: NativeSweep;
  readonly finish: (buf: ArrayBuffer, m: number, lmax: number, p: number, a: number, nrm: number) => void;
  /** Doubles per vector. */
  readonly width: number;
}

/**
 * The addon's exports (native/legendre.cc): scalar table functions, one {@link NativeIsaKernel}
 * per instruction set this CPU runs, and the fastest one's name.
 */
export type NativeAddon = {
  readonly lmaxTables: (buf: ArrayBuffer, lmax: number, inv4: number, sq4: number, isq: number) => void;
  readonly coefs: (
    buf: ArrayBuffer, m: number, lmax: number, inv4: number, sq4: number, isq: number,
    e2: number, nrm: number, lim: number, bj: number, bf: number,
  ) => void;
  readonly prescale: (buf: ArrayBuffer, m: number, lmax: number, src: number, dst: number, nrm: number) => void;
  readonly advanceMM: (buf: ArrayBuffer, m: number, n: number, s: number, v: number, k: number) => void;
  readonly best: NativeIsa;
} & { readonly [isa in NativeIsa]?: NativeIsaKernel };

type NativeSweep = (
  buf: ArrayBuffer, m: number, lmax: number, lanes: number,
  x: number, v: number, k: number, dead: number, e2: number, nrm: number, bj: number, bf: number,
  column: number, f: number, fstride: number, soff: number,
) => number;

/**
 * {@link NativeSweep} for two or four sets: set b's column (analysis: column sums) b·`astride`
 * bytes after `column`, its F b·`fset` bytes after `f`.
 */
type NativeBatchSweep = (
  buf: ArrayBuffer, m: number, lmax: number, lanes: number,
  x: number, v: number, k: number, dead: number, e2: number, nrm: number, bj: number, bf: number,
  column: number, astride: number, f: number, fstride: number, soff: number, fset: number,
) => number;

/** Where node-gyp puts the addon, from src/healpix/ or dist/healpix/ alike. */
export const ADDON_PATH = fileURLToPath(new URL("../../build/Release/cmbflow_legendre.node", import.meta.url));

/** The addon, or why it is not available. */
export type AddonLoad = { readonly ok: true; readonly addon: NativeAddon } | { readonly ok: false; readonly reason: string };

let loaded: AddonLoad | undefined;

/** Loads the addon once per thread (each worker thread has its own module instance). */
export function loadNativeAddon(): AddonLoad {
  if (loaded !== undefined) return loaded;
  if (!existsSync(ADDON_PATH)) {
    loaded = { ok: false, reason: `${ADDON_PATH} is missing (node-gyp did not build it at install; see "npm run build:native")` };
    return loaded;
  }
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
    loaded = { ok: true, addon };
  } catch (caught) {
    loaded = { ok: false, reason: `${ADDON_PATH} does not load: ${caught instanceof Error ? caught.message : String(caught)}` };
  }
  return loaded;
}

/** The kernel to use and, for native, its instruction set; or a message for a bad setting. */
export type KernelChoice =
  | { readonly ok: true; readonly kind: "native"; readonly addon: NativeAddon; readonly isa: NativeIsa }
  | { readonly ok: true; readonly kind: "wasm"; readonly fallback?: string }
  | { readonly ok: false; readonly message: string };

/**
 * Resolves CMBFLOW_KERNEL and CMBFLOW_NATIVE_ISA from `env` (see the module header). `fallback`
 * on a WebAssembly choice says why native was not taken when it was not asked for.
 */
export function chooseKernel(env: Readonly<Record<string, string | undefined>> = process.env): KernelChoice {
  const want = env["CMBFLOW_KERNEL"] ?? "";
  if (want !== "" && want !== "native" && want !== "wasm") {
    return { ok: false, message: `CMBFLOW_KERNEL must be "native" or "wasm", got "${want}"` };
  }
  if (want === "wasm") return { ok: true, kind: "wasm" };
  const load = loadNativeAddon();
  if (!load.ok) {
    if (want === "native") return { ok: false, message: `CMBFLOW_KERNEL=native but the native kernel is not available: ${load.reason}` };
    return { ok: true, kind: "wasm", fallback: load.reason };
  }
  const isa = env["CMBFLOW_NATIVE_ISA"] ?? "";
  if (isa !== "") {
    if (!(NATIVE_ISAS as readonly string[]).includes(isa)) {
      return { ok: false, message: `CMBFLOW_NATIVE_ISA must be one of ${NATIVE_ISAS.join(", ")}, got "${isa}"` };
    }
    if (load.addon[isa as NativeIsa] === undefined) {
      return { ok: false, message: `CMBFLOW_NATIVE_ISA=${isa} but this CPU does not run ${isa}` };
    }
    return { ok: true, kind: "native", addon: load.addon, isa: isa as NativeIsa };
  }
  return { ok: true, kind: "native", addon: load.addon, isa: load.addon.best };
}

/** One line for `cmbflow --version`: which Legendre kernel runs, and why. */
export function kernelDescription(choice: KernelChoice): string {
  if (!choice.ok) return `Legendre kernel: none (${choice.message})`;
  if (choice.kind === "native") return `Legendre kernel: native (${choice.isa})`;
  return choice.fallback === undefined
    ? "Legendre kernel: wasm (CMBFLOW_KERNEL=wasm)"
    : `Legendre kernel: wasm (native unavailable: ${choice.fallback})`;
}

/** Native instruction sets this CPU runs, fastest first (empty without the addon). */
export function nativeIsas(): NativeIsa[] {
  const load = loadNativeAddon();
  return load.ok ? NATIVE_ISAS.filter((isa) => load.addon[isa] !== undefined) : [];
}
