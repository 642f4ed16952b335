import { describe, expect, it } from "vitest";
import { closestMatches, editDistance, listNames, naturalSort, suggestion } from "../../src/diagnostics/suggest.js";

describe("suggestions", () => {
  it("counts a transposition as one edit", () => {
    expect(editDistance("make_cbm", "make_cmb")).toBe(1);
    expect(editDistance("asset_out", "assets_out")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });
  it("offers only the closest tier of candidates, case-insensitively", () => {
    expect(closestMatches("make_cbm", ["make_cmb", "make_obs", "ps_setup"])).toEqual(["make_cmb"]);
    expect(closestMatches("TRAIN", ["Train", "Test"])).toEqual(["Train"]);
    expect(suggestion("zzzzzz", ["make_cmb"])).toBeUndefined();
    expect(suggestion("nside", ["nsid", "nsides"])).toBe('did you mean one of "nsid", "nsides"?');
    expect(suggestion("stgae", ["stage", "split"])).toBe('did you mean "stage"?');
  });
  it("sorts and lists option names for people", () => {
    expect(naturalSort(["1450", "10-10", "3-3", "1-1"])).toEqual(["1-1", "3-3", "10-10", "1450"]);
    expect(listNames(["a", "b", "c"], 2)).toBe("a, b, … (1 more)");
  });
});
