import { describe, expect, it } from "vitest";
import { configDiff } from "../../src/report/config-diff.js";

describe("configDiff", () => {
  it("lists changed, added and removed leaves by dotted path, lists by index, sorted by key", () => {
    const before = { seed: 1, scenario: { nside: 64, freqs: [30, 100] }, gone: { a: true }, same: "x" };
    const after = { seed: 2, scenario: { nside: 64, freqs: [30, 100, 217] }, extra: null, same: "x" };
    expect(configDiff(before, after)).toEqual([
      { key: "extra", after: "null" },
      { key: "gone.a", before: "true" },
      { key: "scenario.freqs[2]", after: "217" },
      { key: "seed", before: "1", after: "2" },
    ]);
  });

  it("tells a string from a number, and an emptied block from a missing one", () => {
    expect(configDiff({ n: 1, b: { k: 1 } }, { n: "1", b: {} })).toEqual([
      { key: "b", after: "{}" },
      { key: "b.k", before: "1" },
      { key: "n", before: "1", after: '"1"' },
    ]);
  });

  it("finds nothing between equal configurations", () => {
    expect(configDiff({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual([]);
  });
});
