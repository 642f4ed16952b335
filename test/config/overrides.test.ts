import { describe, expect, it } from "vitest";
import { parseOverride } from "../../src/config/index.js";
import { parseValueText } from "../../src/config/overrides.js";
import { loadOk } from "./helpers.js";

const WITH_SCENARIO = {
  "config.yaml": "defaults:\n  - splits: 3-3\n  - pipeline: simple\n  - _self_\nscenario:\n  nside: 128\n  freqs: [30]\n  name: s\n",
};

describe("parseOverride", () => {
  it("reads the four forms", () => {
    expect(parseOverride("a.b=1", 0)).toMatchObject({ ok: true, value: { kind: "set", key: "a.b", path: ["a", "b"], valueText: "1" } });
    expect(parseOverride("+a=x", 1)).toMatchObject({ ok: true, value: { kind: "add", key: "a", valueText: "x", index: 1 } });
    expect(parseOverride("++a=x", 2)).toMatchObject({ ok: true, value: { kind: "force", key: "a" } });
    expect(parseOverride("~a.b", 3)).toMatchObject({ ok: true, value: { kind: "delete", key: "a.b", valueText: undefined } });
    expect(parseOverride("a=", 4)).toMatchObject({ ok: true, value: { kind: "set", valueText: "" } });
    expect(parseOverride("a=x=y", 5)).toMatchObject({ ok: true, value: { valueText: "x=y" } });
  });

  it("rejects a missing value and empty key names", () => {
    expect(parseOverride("a.b", 0).ok).toBe(false);
    expect(parseOverride("a..b=1", 0).ok).toBe(false);
    expect(parseOverride("=1", 0).ok).toBe(false);
  });
});

describe("override values", () => {
  it("are typed as YAML scalars and flow collections", () => {
    expect(parseValueText("512")).toEqual({ ok: true, value: 512 });
    expect(parseValueText("2.5")).toEqual({ ok: true, value: 2.5 });
    expect(parseValueText("true")).toEqual({ ok: true, value: true });
    expect(parseValueText("null")).toEqual({ ok: true, value: null });
    expect(parseValueText("[30,44,70]")).toEqual({ ok: true, value: [30, 44, 70] });
    expect(parseValueText("{a: 1, b: [x]}")).toEqual({ ok: true, value: { a: 1, b: ["x"] } });
    expect(parseValueText("'512'")).toEqual({ ok: true, value: "512" });
    expect(parseValueText('"a b"')).toEqual({ ok: true, value: "a b" });
    expect(parseValueText("")).toEqual({ ok: true, value: "" });
  });

  it("take other text as a string", () => {
    expect(parseValueText("hello world")).toEqual({ ok: true, value: "hello world" });
    expect(parseValueText("x: y")).toEqual({ ok: true, value: "x: y" });
    expect(parseValueText("${a.b}")).toEqual({ ok: true, value: "${a.b}" });
    expect(parseValueText("[1, 2").ok).toBe(false);
  });
});

describe("applying overrides", () => {
  it("changes existing keys, with typed values", () => {
    const config = loadOk(WITH_SCENARIO, ["scenario.nside=512", "scenario.freqs=[30,44,70]", "splits.Train.n_sims=7"]);
    expect(config.resolved["scenario"]).toEqual({ nside: 512, freqs: [30, 44, 70], name: "s" });
    expect((config.resolved["splits"] as Record<string, Record<string, unknown>>)["Train"]).toEqual({ n_sims: 7 });
    expect(config.overrides).toEqual(["scenario.nside=512", "scenario.freqs=[30,44,70]", "splits.Train.n_sims=7"]);
  });

  it("indexes lists with numeric keys", () => {
    const config = loadOk(WITH_SCENARIO, ["scenario.freqs.0=100"]);
    expect((config.resolved["scenario"] as Record<string, unknown>)["freqs"]).toEqual([100]);
  });

  it("adds new keys with +, creating mappings on the way, and sets either way with ++", () => {
    const config = loadOk(WITH_SCENARIO, ["+scenario.beam.fwhm=5.0", "++scenario.nside=64", "++fresh=yes"]);
    expect(config.resolved["scenario"]).toMatchObject({ nside: 64, beam: { fwhm: 5 } });
    expect(config.resolved["fresh"]).toBe("yes");
  });

  it("deletes keys with ~, optionally only if the value matches", () => {
    const config = loadOk(WITH_SCENARIO, ["~scenario.freqs", "~scenario.name=s"]);
    expect(config.resolved["scenario"]).toEqual({ nside: 128 });
  });

  it("applies overrides in order", () => {
    const config = loadOk(WITH_SCENARIO, ["scenario.nside=1", "scenario.nside=2"]);
    expect((config.resolved["scenario"] as Record<string, unknown>)["nside"]).toBe(2);
  });

  it("picks another option of a config group with group=option", () => {
    const config = loadOk({}, ["splits=10-10"]);
    expect(config.choices["splits"]).toBe("10-10");
    expect((config.resolved["splits"] as Record<string, unknown>)["name"]).toBe("10-10");
    expect(config.sources.map((s) => s.relativePath)).toContain("splits/10-10.yaml");
    expect(config.sources.map((s) => s.relativePath)).not.toContain("splits/3-3.yaml");
  });

  it("changes nested group choices, including ones made inside group files", () => {
    const config = loadOk(
      {
        "config.yaml": "defaults:\n  - splits: 3-3\n  - pipeline: simple\n  - model/sim: basic\n",
        "model/sim/basic.yaml": "beam: 5\n",
        "model/sim/fancy.yaml": "beam: 10\n",
      },
      ["model/sim=fancy"],
    );
    expect(config.resolved["model"]).toEqual({ sim: { beam: 10 } });
    expect(config.choices["model/sim"]).toBe("fancy");
  });

  it("adds a group with +group=option and removes one with ~group", () => {
    const files = {
      "config.yaml": "defaults:\n  - splits: 3-3\n  - pipeline: simple\n  - scenario: a\n",
      "scenario/a.yaml": "nside: 1\n",
      "extras/b.yaml": "more: true\n",
    };
    const config = loadOk(files, ["+extras=b", "~scenario"]);
    expect(config.resolved["extras"]).toEqual({ more: true });
    expect(config.resolved["scenario"]).toBeUndefined();
    expect(config.choices).toEqual({ splits: "3-3", pipeline: "simple", extras: "b" });
  });

  it("treats a key override of a value inside a group as a key override", () => {
    const config = loadOk({}, ["splits.name=renamed"]);
    expect(config.choices["splits"]).toBe("3-3");
    expect((config.resolved["splits"] as Record<string, unknown>)["name"]).toBe("renamed");
  });

  it("keeps interpolations in override values for the interpolation step", () => {
    const config = loadOk(WITH_SCENARIO, ["+label=nside_${scenario.nside}"]);
    expect(config.raw["label"]).toBe("nside_${scenario.nside}");
    expect(config.resolved["label"]).toBe("nside_128");
  });
});
