import { describe, expect, it } from "vitest";
import { almIndex, almSize } from "../../src/healpix/alm.js";
import { RandomState } from "../../src/healpix/rng.js";
import { synalm } from "../../src/healpix/synalm.js";
import { goldenArray, manifest } from "./geometry-goldens.js";

describe("synalm against healpy (np.random.seed(s); hp.synalm(cl, lmax))", () => {
  for (const c of manifest().synalm) {
    it(`case ${c.name}: seed ${String(c.seed)}, lmax ${String(c.lmax)}`, () => {
      const cl = goldenArray(`synalm_${c.name}_cl`);
      const want = goldenArray(`synalm_${c.name}_alm`);
      const rng = new RandomState(c.seed);
      const got = synalm(cl, c.lmax, rng);
      expect(got.length).toBe(want.length);
      // Normals agree with numpy to a few ulp (rng.ts), so the alm do too.
      for (let i = 0; i < want.length; i++) {
        expect(Math.abs(got[i]! - want[i]!), `value ${String(i)}`).toBeLessThanOrEqual(1e-15 * Math.abs(want[i]!));
      }
      // The stream advanced by exactly as many normals as healpy drew (2 per slot, m = 0 included).
      expect(Math.abs(rng.standardNormal() - c.next_normal)).toBeLessThanOrEqual(1e-15 * Math.abs(c.next_normal));
    });
  }
});

describe("synalm", () => {
  it("zeroes C_l ≤ 0, l past the end of cl and Im a_l0, and still draws for those slots", () => {
    const lmax = 10;
    const cl = [0, -1, 2, 3, 4];
    const got = synalm(cl, lmax, new RandomState(3));
    for (let m = 0; m <= lmax; m++) {
      for (let l = m; l <= lmax; l++) {
        const k = almIndex(l, m, lmax);
        if (l < 2 || l >= cl.length) {
          expect(got[2 * k]).toEqual(0);
          expect(got[2 * k + 1]).toEqual(0);
        } else {
          expect(got[2 * k]).not.toBe(0);
          if (m === 0) expect(got[2 * k + 1]).toBe(0);
          else expect(got[2 * k + 1]).not.toBe(0);
        }
      }
    }
    // Same draws as with a full-length spectrum: slot values for l < 5 are unchanged.
    const full = synalm([0, -1, 2, 3, 4, 5, 6, 7, 8, 9, 10], lmax, new RandomState(3));
    for (let m = 0; m < 5; m++) for (let l = Math.max(m, 2); l < 5; l++) {
      const k = almIndex(l, m, lmax);
      expect(got[2 * k]).toBe(full[2 * k]);
      expect(got[2 * k + 1]).toBe(full[2 * k + 1]);
    }
  });

  it("has E|a_lm|² = C_l (mean over 20 000 slots within 3 %)", () => {
    const lmax = 199;
    const cl = new Float64Array(lmax + 1).fill(2.5);
    const alm = synalm(cl, lmax, new RandomState(11));
    let s = 0;
    const n = almSize(lmax);
    for (let k = 0; k < n; k++) s += alm[2 * k]! ** 2 + alm[2 * k + 1]! ** 2;
    expect(Math.abs(s / n / 2.5 - 1)).toBeLessThan(0.03);
  });

  it("writes into a caller-owned buffer and checks its size and the spectrum", () => {
    const buf = new Float64Array(2 * almSize(4));
    expect(synalm([1, 1, 1, 1, 1], 4, new RandomState(1), buf)).toBe(buf);
    expect(() => synalm([1], 4, new RandomState(1), new Float64Array(10))).toThrow(
      new RangeError("synalm output must hold 2·15 = 30 doubles for lmax 4, got 10"),
    );
    expect(() => synalm([1, Number.NaN], 4, new RandomState(1))).toThrow(new RangeError("cl[1] must be finite, got NaN"));
    expect(() => synalm([1], -1, new RandomState(1))).toThrow(new RangeError("lmax must be a non-negative integer, got -1"));
  });
});
