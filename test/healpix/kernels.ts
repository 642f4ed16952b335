/**
 * The Legendre kernels the transform tests run under: WebAssembly always (and its relaxed-SIMD
 * build where the engine has it), native (its fastest instruction set) when the addon is built. Golden-test files wrap their suites in
 * `describe.each(kernelCases())` and call {@link useKernelCase} in `beforeAll`.
 */
import { relaxedSimdAvailable, useLegendreKernel } from "../../src/healpix/legendre.js";
import type { KernelSpec } from "../../src/healpix/legendre.js";
import { loadNativeAddon } from "../../src/healpix/legendre-native.js";

/** One kernel to test, or the reason it cannot run here. */
export interface KernelCase {
  readonly name: string;
  readonly spec: KernelSpec | undefined;
  readonly skip: string | undefined;
}

/**
 * The kernels: "wasm", its relaxed-SIMD build where the engine has it (Node ≥ 22), then "native"
 * (skipped with the reason when the addon is missing).
 */
export function kernelCases(): KernelCase[] {
  const load = loadNativeAddon();
  return [
    { name: "wasm", spec: { kind: "wasm", relaxed: false }, skip: undefined },
    ...(relaxedSimdAvailable() ? [{ name: "wasm relaxed-simd", spec: { kind: "wasm", relaxed: true } as const, skip: undefined }] : []),
    load.ok
      ? { name: `native ${load.addon.best}`, spec: { kind: "native", addon: load.addon, isa: load.addon.best }, skip: undefined }
      : { name: "native", spec: undefined, skip: `native kernel not built: ${load.reason}` },
  ];
}

/** Makes `c` the process-wide kernel. */
export function useKernelCase(c: KernelCase): void {
  if (c.spec !== undefined) useLegendreKernel(c.spec);
}
