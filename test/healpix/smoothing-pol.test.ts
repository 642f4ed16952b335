import { describe, expect, it } from "vitest";
import { almxfl, gaussBeamPol } from "../../src/healpix/beams.js";
import { UNSEEN } from "../../src/healpix/nside.js";
import { almxflPol, smoothAlmPol, smoothingPol } from "../../src/healpix/smoothing.js";
import { formulaAlm, formulaMap, goldenCases, goldenValues, maxStridedError, num } from "./sht-goldens.js";

describe("smoothingPol against healpy 1.16 (smoothing(pol=True))", () => {
  const cases = goldenCases("smoothing-pol");
  const memo = new Map<number, readonly Float64Array[]>();
  it.each(cases.map((c) => [c.name, c] as const))("%s ≤ 1e-11 × max|map|, UNSEEN kept per field", (_name, c) => {
    const nside = num(c, "nside"), s = num(c, "seed");
    let out = memo.get(s);
    if (out === undefined) {
      out = smoothingPol([formulaMap(nside, s), formulaMap(nside, s + 1, true), formulaMap(nside, s + 2)], num(c, "fwhm"));
      memo.set(s, out);
    }
    const map = out[num(c, "field")]!;
    const want = goldenValues(c);
    const stride = c.stride ?? 1;
    for (let i = 0; i < want.length; i++) expect(want[i] === UNSEEN).toBe(map[stride * i] === UNSEEN);
    const masked = Float64Array.from(map, (v) => (v === UNSEEN ? 0 : v));
    const wantMasked = want.map((v) => (v === UNSEEN ? 0 : v));
    expect(maxStridedError(masked, wantMasked, stride, false) / num(c, "max_abs")).toBeLessThan(1e-11);
  });

  it("keeps UNSEEN only where that field had it", () => {
    const c = cases.find((k) => num(k, "field") === 1 && num(k, "nside") === 16);
    if (c === undefined) throw new Error("missing Q case");
    const out = memo.get(num(c, "seed"))!;
    expect(out[1]!.filter((v) => v === UNSEEN).length).toBe(Math.ceil(3072 / 97));
    expect(out[0]!.includes(UNSEEN) || out[2]!.includes(UNSEEN)).toBe(false);
  });
});

describe("almxflPol and smoothAlmPol", () => {
  it("apply the T window to T and the polarisation window to E and B", () => {
    const lmax = 12;
    const alms = [formulaAlm(lmax, lmax, 1), formulaAlm(lmax, lmax, 2), formulaAlm(lmax, lmax, 3)] as const;
    const [bt, bp] = gaussBeamPol(0.2, lmax);
    const want = [almxfl(alms[0], bt, lmax), almxfl(alms[1], bp, lmax), almxfl(alms[2], bp, lmax)];
    const got = smoothAlmPol([alms[0].slice(), alms[1].slice(), alms[2].slice()], 0.2, lmax);
    got.forEach((a, f) => expect(Array.from(a)).toEqual(Array.from(want[f]!)));
    const ones = new Float64Array(lmax + 1).fill(1);
    const twice = almxflPol([alms[0].slice(), alms[1].slice(), alms[2].slice()], ones, new Float64Array(lmax + 1).fill(2), lmax);
    expect(Array.from(twice[0])).toEqual(Array.from(alms[0]));
    expect(Array.from(twice[2])).toEqual(Array.from(alms[2], (v) => 2 * v));
  });
});
