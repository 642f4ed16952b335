/** The analytic polarisation theory: a valid (positive definite) TT, EE, BB, TE set with the documented peaks. */
import { describe, expect, it } from "vitest";
import { theoryCl, theoryClPol } from "../../src/stages/theory-spectrum.js";

const SHAPE = { plateauDl: 1000, peakDl: 5700, peakEll: 220, dampingEll: 1400 };
const POL = { eePeakDl: 40, eePeakEll: 1000, bbPeakDl: 0.1, bbPeakEll: 1000, teCorrelation: 0.5, tePeriodEll: 300 };

describe("theoryClPol", () => {
  it("keeps TT, peaks EE and BB where configured, and keeps |TE| ≤ ρ √(TT·EE)", () => {
    const [tt, ee, bb, te] = theoryClPol(1500, SHAPE, POL);
    expect(Array.from(tt)).toEqual(Array.from(theoryCl(1500, SHAPE)));
    for (const c of [tt, ee, bb, te]) expect([c[0], c[1]]).toEqual([0, 0]);
    const dl = (c: Float64Array, l: number): number => (c[l]! * l * (l + 1)) / (2 * Math.PI);
    expect(dl(ee, 1000)).toBeCloseTo(40, 10);
    expect(dl(bb, 1000)).toBeCloseTo(0.1, 12);
    expect(dl(ee, 999)).toBeLessThan(40);
    expect(dl(ee, 1001)).toBeLessThan(40);
    for (let l = 2; l <= 1500; l++) {
      expect(te[l]! ** 2).toBeLessThanOrEqual(0.25 * tt[l]! * ee[l]! * (1 + 1e-12));
    }
    // TE changes sign: cos(2π l / 300) is negative at l = 150.
    expect(te[150]!).toBeLessThan(0);
    expect(te[300]!).toBeGreaterThan(0);
  });

  it("refuses a TE correlation that would break positive definiteness", () => {
    expect(() => theoryClPol(10, SHAPE, { ...POL, teCorrelation: 1 })).toThrow("te_correlation must be between −1 and 1 (exclusive), got 1");
  });
});
