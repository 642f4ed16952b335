import { describe, expect, it } from "vitest";
import { almIndex } from "../../src/healpix/alm.js";
import { map2alm } from "../../src/healpix/sht.js";
import { alm2cl, anafast } from "../../src/healpix/spectra.js";
import { formulaAlm, formulaMap, goldenCases, goldenValues, num } from "./sht-goldens.js";

describe("alm2cl", () => {
  it("follows healpy's definition: Re a_l0 Re b_l0 + 2 Σ_{m≤min(l,mmax)} Re(a conj b), over 2l+1", () => {
    const lmax = 9;
    const mmax = 4;
    const a = formulaAlm(lmax, mmax, 1);
    const b = formulaAlm(lmax, mmax, 2);
    // Give a_l0 imaginary parts: healpy ignores them.
    for (let l = 0; l <= lmax; l++) a[2 * l + 1] = 0.3 * l;
    const cl = alm2cl(a, b, { lmax, mmax });
    for (let l = 0; l <= lmax; l++) {
      let s = a[2 * l]! * b[2 * l]!;
      for (let m = 1; m <= Math.min(l, mmax); m++) {
        const k = almIndex(l, m, lmax);
        s += 2 * (a[2 * k]! * b[2 * k]! + a[2 * k + 1]! * b[2 * k + 1]!);
      }
      expect(cl[l]).toBeCloseTo(s / (2 * l + 1), 15);
    }
    const auto = alm2cl(a, undefined, { lmax, mmax });
    expect(Array.from(auto)).toEqual(Array.from(alm2cl(a, a, { lmax, mmax })));
  });

  it("infers lmax from the size and writes into out", () => {
    const a = formulaAlm(6, 6, 3);
    const out = new Float64Array(7);
    expect(alm2cl(a, undefined, { out })).toBe(out);
  });

  it("rejects mismatched sizes with a RangeError naming the values", () => {
    const a = formulaAlm(6, 6, 3);
    expect(() => alm2cl(a, formulaAlm(5, 5, 1))).toThrow(new RangeError("alm2 has 42 doubles, alm has 56"));
    expect(() => alm2cl(a, undefined, { lmax: 7 })).toThrow(new RangeError("alm has 28 coefficients but lmax=7, mmax=7 needs 36"));
    expect(() => alm2cl(a, undefined, { out: new Float64Array(3) })).toThrow(
      new RangeError("out has 3 entries, lmax=6 needs 7"),
    );
  });
});

describe("anafast against healpy 1.16", () => {
  it.each(goldenCases("anafast").map((c) => [c.name, c] as const))("%s ≤ 1e-12 relative", (_name, c) => {
    const nside = num(c, "nside");
    const map = formulaMap(nside, num(c, "seed"));
    const seed2 = c.params.seed2;
    const map2 = typeof seed2 === "number" ? formulaMap(nside, seed2) : undefined;
    const cl = anafast(map, map2, { lmax: num(c, "lmax"), iter: num(c, "iter") });
    const want = goldenValues(c);
    let err = 0;
    let scale = 0;
    for (let l = 0; l < want.length; l++) {
      err = Math.max(err, Math.abs(cl[l]! - want[l]!));
      scale = Math.max(scale, Math.abs(want[l]!));
    }
    expect(err / scale).toBeLessThan(1e-12);
  });

  it("defaults to lmax = 3·nside − 1 and iter 3, and returns the alm on request", () => {
    const map = formulaMap(8, 5);
    const cl = anafast(map);
    expect(cl.length).toBe(24);
    const withAlm = anafast(map, undefined, { alm: true });
    expect(Array.from(withAlm.cl)).toEqual(Array.from(cl));
    expect(Array.from(withAlm.alm)).toEqual(Array.from(map2alm(map)));
    expect(withAlm.alm2).toBeUndefined();
    const cross = anafast(map, formulaMap(8, 6), { alm: true, iter: 0 });
    expect(cross.alm2).toBeInstanceOf(Float64Array);
  });

  it("rejects maps of different sizes", () => {
    expect(() => anafast(formulaMap(4, 1), formulaMap(8, 1))).toThrow(new RangeError("map2 has 768 pixels, map has 192"));
  });
});
