import { describe, expect, it } from "vitest";
import { SCRATCH_BUDGET, scratchBytes, scratchF64 } from "../../src/healpix/scratch.js";
import { alm2map, map2alm } from "../../src/healpix/sht.js";
import { synfast } from "../../src/healpix/synfast.js";

describe("kept scratch arrays", () => {
  it("gives the same array back for the same name and length, a new one otherwise", () => {
    const a = scratchF64("test.a", 1000);
    expect(scratchF64("test.a", 1000)).toBe(a);
    expect(scratchF64("test.b", 1000)).not.toBe(a);
    const longer = scratchF64("test.a", 2000);
    expect(longer).not.toBe(a);
    expect(longer).toHaveLength(2000);
  });

  it("keeps at most the budget: a larger request is served but not kept, and a new one that overflows drops the others", () => {
    // Identity checks as booleans: a failing matcher would print arrays of 16M doubles.
    const small = scratchF64("test.small", 1024);
    const tooLarge = SCRATCH_BUDGET / 8 + 1;
    const big = scratchF64("test.big", tooLarge);
    expect(big.length).toBe(tooLarge);
    expect(scratchF64("test.big", tooLarge) === big).toBe(false);
    expect(scratchF64("test.small", 1024) === small).toBe(true);
    const most = scratchF64("test.most", SCRATCH_BUDGET / 8 - 64);
    expect(scratchBytes()).toBeLessThanOrEqual(SCRATCH_BUDGET);
    expect(scratchF64("test.most", SCRATCH_BUDGET / 8 - 64) === most).toBe(true);
    expect(scratchF64("test.small", 1024) === small).toBe(false);
  });
});

describe("transforms with kept internal arrays", () => {
  const lmax = 23, nside = 8;
  const cl = Float64Array.from({ length: lmax + 1 }, (_, l) => 1 / (l + 1));

  it("synfast gives each call its own map, equal to a first call with the same seed", () => {
    const first = synfast(cl, nside, { lmax, seed: 5 });
    const other = synfast(cl, nside, { lmax, seed: 6 });
    const again = synfast(cl, nside, { lmax, seed: 5 });
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    expect(again).not.toBe(first);
  });

  it("synfast's returned a_lm are the caller's own: later calls leave them alone", () => {
    const { map, alm } = synfast(cl, nside, { lmax, seed: 5, alm: true });
    const copy = Float64Array.from(alm);
    synfast(cl, nside, { lmax, seed: 9 });
    expect(alm).toEqual(copy);
    expect(alm2map(alm, nside, { lmax })).toEqual(map);
  });

  it("map2alm with iterations gives the same result on a repeated call, after another map's", () => {
    const a = synfast(cl, nside, { lmax, seed: 1 });
    const b = synfast(cl, nside, { lmax, seed: 2 });
    const first = map2alm(a, { lmax, iter: 3 });
    map2alm(b, { lmax, iter: 3 });
    expect(map2alm(a, { lmax, iter: 3 })).toEqual(first);
  });
});
