/**
 * Instantiation of the embedded WebAssembly kernels used by the transforms (./legendre.ts,
 * ./fft.ts). Each instance gets its own growable memory, imported as `env.memory`; modules are
 * compiled once per process.
 */

/** The part of a WebAssembly.Memory used here. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The part of the WebAssembly JS API used here (the project's `lib`/`types` do not declare it). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly validate: (bytes: Uint8Array) => boolean;
  readonly Instance: new (module: object, imports: object) => { readonly exports: object };
  readonly Memory: new (descriptor: { initial: number }) => WasmMemory;
}

const wasm = (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly;

/** Bytes per WebAssembly page. */
export const WASM_PAGE = 65536;

const modules = new Map<string, object>();

/**
 * A new instance of the base64-encoded module with a fresh one-page memory. `T` describes the
 * exports; the caller vouches for it (the modules are generated alongside their wrappers).
 */
export function instantiateKernel<T>(base64: string): { readonly exports: T; readonly memory: WasmMemory } {
  let module = modules.get(base64);
  if (module === undefined) {
    // Synchronous compilation is fine in Node for modules of a few kilobytes.
    module = new wasm.Module(Buffer.from(base64, "base64"));
    modules.set(base64, module);
  }
  const memory = new wasm.Memory({ initial: 1 });
  const instance = new wasm.Instance(module, { env: { memory } });
  return { exports: instance.exports as T, memory };
}

/** Whether this engine accepts the base64-encoded module (e.g. one using relaxed SIMD). */
export function engineAccepts(base64: string): boolean {
  return wasm.validate(Buffer.from(base64, "base64"));
}

/** Grows `memory` so that it holds at least `bytes`. */
export function ensureMemory(memory: WasmMemory, bytes: number): void {
  const need = Math.ceil(bytes / WASM_PAGE);
  const have = memory.buffer.byteLength / WASM_PAGE;
  if (need > have) memory.grow(need - have);
}
