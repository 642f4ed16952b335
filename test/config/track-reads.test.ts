import { describe, expect, it } from "vitest";
import { trackReads } from "../../src/config/index.js";
import type { ConfigObject } from "../../src/config/index.js";

const CONFIG: ConfigObject = {
  scenario: { nside: 512, lmax: 1535, freqs: [30, 44], beam: { fwhm: 5, kind: "gauss" } },
  splits: { name: "3-3", Train: { n_sims: 3 } },
  pipeline: { make_cmb: { dir_name: "CMB" } },
};

describe("trackReads", () => {
  it("records scalar and list reads by key path, in order, once each", () => {
    const tracked = trackReads(CONFIG);
    const scenario = tracked.view["scenario"] as Record<string, unknown>;
    expect(scenario["nside"]).toBe(512);
    expect(scenario["freqs"]).toEqual([30, 44]);
    expect(scenario["nside"]).toBe(512);
    expect(tracked.reads()).toEqual([
      ["scenario", "nside"],
      ["scenario", "freqs"],
    ]);
  });

  it("records nothing for getting a mapping alone", () => {
    const tracked = trackReads(CONFIG);
    void tracked.view["pipeline"];
    expect(tracked.reads()).toEqual([]);
  });

  it("records reads of missing keys and `in` checks: absence is a dependency", () => {
    const tracked = trackReads(CONFIG);
    const scenario = tracked.view["scenario"] as Record<string, unknown>;
    expect(scenario["seed"]).toBeUndefined();
    expect("lmax" in scenario).toBe(true);
    expect(tracked.reads()).toEqual([
      ["scenario", "seed"],
      ["scenario", "lmax"],
    ]);
  });

  it("records a whole mapping when it is enumerated, covering the paths below it", () => {
    const tracked = trackReads(CONFIG);
    const scenario = tracked.view["scenario"] as Record<string, Record<string, unknown>>;
    expect(scenario["beam"]?.["fwhm"]).toBe(5);
    expect({ ...scenario["beam"] }).toEqual({ fwhm: 5, kind: "gauss" });
    expect(Object.keys(tracked.view["splits"] as object)).toEqual(["name", "Train"]);
    expect(tracked.reads()).toEqual([
      ["scenario", "beam"],
      ["splits"],
    ]);
  });

  it("serialises like the plain config", () => {
    const tracked = trackReads(CONFIG);
    expect(JSON.parse(JSON.stringify(tracked.view))).toEqual(CONFIG);
    expect(tracked.reads()).toEqual([[]]);
  });

  it("is read-only", () => {
    const { view } = trackReads(CONFIG);
    const scenario = view["scenario"] as Record<string, unknown>;
    expect(() => {
      scenario["nside"] = 1;
    }).toThrow("Configuration is read-only (writing scenario)");
    expect(() => {
      delete scenario["nside"];
    }).toThrow(TypeError);
  });

  it("works over frozen objects and keeps separate paths to a shared object apart", () => {
    const shared = Object.freeze({ a: 1 });
    const tracked = trackReads(Object.freeze({ x: shared, y: shared }) as ConfigObject);
    expect((tracked.view["y"] as Record<string, unknown>)["a"]).toBe(1);
    expect(tracked.reads()).toEqual([["y", "a"]]);
  });
});
