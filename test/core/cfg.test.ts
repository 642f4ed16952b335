import { describe, expect, it } from "vitest";
import { Cfg, ConfigKeyError } from "../../src/core/cfg.js";
import { newRunId } from "../../src/core/log-maker.js";

const ROOT = { scenario: { nside: 64, name: "x", ok: true, freqs: [30, 100], detectors: { "30": { fwhm: 32 } } }, pipeline: { a: { lmax: 1.5 } } };

describe("Cfg", () => {
  it("fails, naming the cause, when a value left unresolved is read, alone or inside a mapping", () => {
    const why = new Map([["scenario.label", 'interpolation "${model.name}" refers to a missing key "model.name"']]);
    const cfg = new Cfg({ scenario: { nside: 64, label: null } }, "a", why);
    expect(cfg.integer("scenario.nside")).toBe(64);
    expect(cfg.has("scenario.label")).toBe(true);
    expect(() => cfg.get("scenario.label")).toThrow(
      'stage "a": config key "scenario.label" cannot be resolved: interpolation "${model.name}" refers to a missing key "model.name"',
    );
    expect(() => cfg.object("scenario")).toThrow('config key "scenario.label" cannot be resolved: interpolation "${model.name}" refers to a missing key "model.name" (read as part of "scenario")');
    expect(() => cfg.getOr("scenario.label", "x")).toThrow(ConfigKeyError);
  });

  it("reads typed values by dotted path and records every read with its phase", () => {
    const cfg = new Cfg(ROOT).forStage("a");
    expect(cfg.integer("scenario.nside")).toBe(64);
    expect(cfg.string("scenario.name")).toBe("x");
    expect(cfg.boolean("scenario.ok")).toBe(true);
    expect(cfg.list("scenario.freqs")).toEqual([30, 100]);
    expect(cfg.object("scenario.detectors.30")).toEqual({ fwhm: 32 });
    expect(cfg.getOr("scenario.missing", 7)).toBe(7);
    expect(cfg.has("scenario.absent")).toBe(false);
    cfg.startWork();
    cfg.number("pipeline.a.lmax");
    cfg.integer("scenario.nside");
    expect(cfg.reads()).toEqual([
      { key: "scenario.nside", phase: "construct" },
      { key: "scenario.name", phase: "construct" },
      { key: "scenario.ok", phase: "construct" },
      { key: "scenario.freqs", phase: "construct" },
      { key: "scenario.detectors.30", phase: "construct" },
      { key: "scenario.missing", phase: "construct" },
      { key: "scenario.absent", phase: "construct" },
      { key: "pipeline.a.lmax", phase: "work" },
    ]);
  });

  it("names the key, the stage and the closest key when a key is missing or mistyped", () => {
    const cfg = new Cfg(ROOT, "make_cmb");
    expect(() => cfg.get("scenario.nsid")).toThrow(ConfigKeyError);
    expect(() => cfg.get("scenario.nsid")).toThrow('stage "make_cmb": config key "scenario.nsid" does not exist; did you mean "nside"?');
    expect(() => cfg.integer("pipeline.a.lmax")).toThrow('stage "make_cmb": config key "pipeline.a.lmax" must be a whole number, got 1.5');
    expect(() => cfg.string("scenario.nside")).toThrow('config key "scenario.nside" must be a string, got 64');
  });

  it("checks a HEALPix nside when it is read", () => {
    expect(new Cfg(ROOT, "make_cmb").nside("scenario.nside")).toBe(64);
    const odd = new Cfg({ scenario: { nside: 17 } }, "make_cmb");
    expect(() => odd.nside("scenario.nside")).toThrow('stage "make_cmb": config key "scenario.nside" must be a HEALPix nside, a power of two from 1 to 8192, got 17');
  });

  it("refuses lmax above 3·nside − 1 unless the key beside it allows it, and reads that key only then", () => {
    const low = new Cfg({ scenario: { nside: 64, lmax: 191 } }, "make_cmb");
    expect(low.lmax("scenario.lmax", 64)).toBe(191);
    expect(low.reads().map((r) => r.key)).toEqual(["scenario.lmax"]);
    const high = new Cfg({ scenario: { nside: 64, lmax: 192 } }, "make_cmb");
    expect(() => high.lmax("scenario.lmax", 64)).toThrow(
      'stage "make_cmb": config key "scenario.lmax" is 192, above 3·nside − 1 = 191 for nside 64; set scenario.allow_lmax_above_3nside: true to allow it',
    );
    const allowed = new Cfg({ scenario: { nside: 64, lmax: 500, allow_lmax_above_3nside: true } }, "make_cmb");
    expect(allowed.lmax("scenario.lmax", 64)).toBe(500);
    expect(allowed.reads().map((r) => r.key)).toEqual(["scenario.lmax", "scenario.allow_lmax_above_3nside"]);
  });

  it("writes a non-finite value as YAML does, not as null", () => {
    expect(() => new Cfg({ scenario: { nside: Number.NaN } }, "make_cmb").nside("scenario.nside")).toThrow(
      'stage "make_cmb": config key "scenario.nside" must be a number, got .nan',
    );
  });
});

describe("run ids", () => {
  it("sort in time order within one second, and are safe in paths", () => {
    const early = newRunId(new Date("2026-11-22T04:01:43.009Z"));
    const late = newRunId(new Date("2026-11-22T04:01:43.010Z"));
    expect(early).toMatch(/^2026-11-22T04-01-43-009_[0-9a-f]{4}$/);
    expect([late, early].sort()).toEqual([early, late]);
  });
});
