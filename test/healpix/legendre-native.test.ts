import { afterAll, describe, expect, it } from "vitest";
import { legendreKernel, relaxedSimdAvailable, useLegendreKernel } from "../../src/healpix/legendre.js";
import type { KernelSpec } from "../../src/healpix/legendre.js";
import { chooseKernel, kernelDescription, loadNativeAddon, nativeIsas } from "../../src/healpix/legendre-native.js";
import { RandomState } from "../../src/healpix/rng.js";
import { alm2map, map2alm } from "../../src/healpix/sht.js";
import { alm2mapPol, map2almPol } from "../../src/healpix/sht-spin2.js";
import { synalm } from "../../src/healpix/synalm.js";

const load = loadNativeAddon();
const skipNative = load.ok ? false : `native kernel not built: ${load.reason}`;

/** ‖a − b‖₂ / ‖b‖₂. */
function relL2(a: Float64Array, b: Float64Array): number {
  let e = 0, n = 0;
  for (let i = 0; i < a.length; i++) {
    e += (a[i]! - b[i]!) ** 2;
    n += b[i]! ** 2;
  }
  return Math.sqrt(e / n);
}

interface Results {
  readonly map: Float64Array;
  readonly alm: Float64Array;
  readonly pol: readonly Float64Array[];
  readonly polAlm: readonly Float64Array[];
}

/** The four transforms under `spec`; white alm (C_l = 1), so every l weighs alike. */
function transforms(spec: KernelSpec, nside: number, mmaxOf: (lmax: number) => number = (l) => l): Results {
  useLegendreKernel(spec);
  const lmax = 3 * nside - 1;
  const mmax = mmaxOf(lmax);
  const cl = new Float64Array(lmax + 1).fill(1);
  const cut = (a: Float64Array): Float64Array => {
    if (mmax === lmax) return a;
    // healpy layout is m-major: the first m ≤ mmax columns are a prefix.
    return a.slice(0, 2 * (((mmax + 1) * (2 * lmax + 2 - mmax)) / 2));
  };
  const t = cut(synalm(cl, lmax, new RandomState(nside)));
  const e = cut(synalm(cl, lmax, new RandomState(nside + 1)));
  const b = cut(synalm(cl, lmax, new RandomState(nside + 2)));
  const map = alm2map(t, nside, { lmax, mmax });
  const pol = alm2mapPol([t, e, b], nside, { lmax, mmax });
  return {
    map,
    alm: map2alm(map, { lmax, mmax, iter: 1 }),
    pol,
    polAlm: map2almPol(pol, { lmax, mmax, iter: 0 }),
  };
}

describe.skipIf(skipNative !== false)("native kernel against the WebAssembly kernel", () => {
  afterAll(() => useLegendreKernel(undefined));
  if (!load.ok) return;
  const addon = load.addon;
  const cases = nativeIsas().flatMap((isa) => [16, 64, 128].map((nside) => [isa, nside] as const));

  it.each(cases)("%s at nside %i: all transforms within 1e-13 (relative L2)", (isa, nside) => {
    const wasm = transforms({ kind: "wasm" }, nside);
    const native = transforms({ kind: "native", addon, isa }, nside);
    expect(legendreKernel().name).toBe("native");
    expect(legendreKernel().isa).toBe(isa);
    expect(relL2(native.map, wasm.map)).toBeLessThan(1e-13);
    expect(relL2(native.alm, wasm.alm)).toBeLessThan(1e-13);
    for (let f = 0; f < 3; f++) {
      expect(relL2(native.pol[f]!, wasm.pol[f]!)).toBeLessThan(1e-13);
      expect(relL2(native.polAlm[f]!, wasm.polAlm[f]!)).toBeLessThan(1e-13);
    }
  });

  it("agrees with mmax < lmax and at nside 256, where λ_mm underflows near the poles", () => {
    const best = addon.best;
    const a = transforms({ kind: "wasm" }, 256, (l) => l >> 1);
    const b = transforms({ kind: "native", addon, isa: best }, 256, (l) => l >> 1);
    expect(relL2(b.map, a.map)).toBeLessThan(1e-13);
    expect(relL2(b.alm, a.alm)).toBeLessThan(1e-13);
  });

  it("lists the instruction sets this CPU runs, with SSE2 always among them", () => {
    const isas = nativeIsas();
    expect(isas).toContain("sse2");
    expect(isas[0]).toBe(addon.best);
  });
});

describe.skipIf(!relaxedSimdAvailable())("relaxed-SIMD WebAssembly build (needs Node ≥ 22)", () => {
  afterAll(() => useLegendreKernel(undefined));

  it.each([16, 128])("agrees with the plain build at nside %i (relative L2 1e-13)", (nside) => {
    const plain = transforms({ kind: "wasm", relaxed: false }, nside);
    const relaxed = transforms({ kind: "wasm", relaxed: true }, nside);
    expect(legendreKernel().isa).toBe("relaxed-simd");
    expect(relL2(relaxed.map, plain.map)).toBeLessThan(1e-13);
    expect(relL2(relaxed.alm, plain.alm)).toBeLessThan(1e-13);
    for (let f = 0; f < 3; f++) expect(relL2(relaxed.polAlm[f]!, plain.polAlm[f]!)).toBeLessThan(1e-13);
  });
});

describe("choosing the kernel from the environment", () => {
  it("takes native by default when the addon loads, else falls back to wasm saying why", () => {
    const c = chooseKernel({});
    if (load.ok) {
      expect(c).toMatchObject({ ok: true, kind: "native", isa: load.addon.best });
      expect(kernelDescription(c)).toBe(`Legendre kernel: native (${load.addon.best})`);
    } else {
      expect(c).toMatchObject({ ok: true, kind: "wasm", fallback: load.reason });
    }
  });

  it("forces wasm with CMBFLOW_KERNEL=wasm", () => {
    const c = chooseKernel({ CMBFLOW_KERNEL: "wasm" });
    expect(c).toEqual({ ok: true, kind: "wasm" });
    expect(kernelDescription(c)).toBe("Legendre kernel: wasm (CMBFLOW_KERNEL=wasm)");
  });

  it("rejects an unknown CMBFLOW_KERNEL, naming the value", () => {
    expect(chooseKernel({ CMBFLOW_KERNEL: "gpu" })).toEqual({ ok: false, message: 'CMBFLOW_KERNEL must be "native" or "wasm", got "gpu"' });
  });

  it("rejects an unknown CMBFLOW_NATIVE_ISA, naming the value", () => {
    const c = chooseKernel({ CMBFLOW_KERNEL: "native", CMBFLOW_NATIVE_ISA: "neon" });
    if (load.ok) expect(c).toEqual({ ok: false, message: "CMBFLOW_NATIVE_ISA must be one of avx512f, avx2, sse2, got \"neon\"" });
    else expect(c).toMatchObject({ ok: false });
  });

  it.skipIf(skipNative !== false)("honours CMBFLOW_NATIVE_ISA=sse2", () => {
    expect(chooseKernel({ CMBFLOW_NATIVE_ISA: "sse2" })).toMatchObject({ ok: true, kind: "native", isa: "sse2" });
  });

  it.skipIf(load.ok)("fails clearly when native is forced but not built", () => {
    const c = chooseKernel({ CMBFLOW_KERNEL: "native" });
    expect(c).toEqual({ ok: false, message: `CMBFLOW_KERNEL=native but the native kernel is not available: ${load.ok ? "" : load.reason}` });
  });
});
