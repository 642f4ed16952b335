import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_VARIANTS, sweepAxes, sweepVariants } from "../../src/config/sweep.js";

describe("sweeps", () => {
  const cfg = mkdtempSync(join(tmpdir(), "cmbflow-sweep-"));
  mkdirSync(join(cfg, "scenario"));
  mkdirSync(join(cfg, "model", "sim"), { recursive: true });
  for (const name of ["nside16", "nside64", "nside256", "other"]) writeFileSync(join(cfg, "scenario", `${name}.yaml`), "");
  writeFileSync(join(cfg, "model", "sim", "a.yaml"), "");
  afterAll(() => rmSync(cfg, { recursive: true, force: true }));

  const values = (overrides: string[]): string[][] => {
    const axes = sweepAxes(overrides, cfg);
    if (!axes.ok) throw new Error(axes.error);
    return axes.value.map((a) => [...a.values]);
  };
  const error = (overrides: string[]): string => {
    const axes = sweepAxes(overrides, cfg);
    if (axes.ok) throw new Error("expected an error");
    return axes.error;
  };

  it("splits values at top-level commas only: flow lists, mappings and quotes stay whole", () => {
    expect(values(["seed=1,2", "scenario.freqs=[30,44],[70]", "x='a,b'", "y={a: 1, b: 2}", "z=3"])).toEqual([
      ["seed=1", "seed=2"],
      ["scenario.freqs=[30,44]", "scenario.freqs=[70]"],
      ["x='a,b'"],
      ["y={a: 1, b: 2}"],
      ["z=3"],
    ]);
  });

  it("expands range as Python's range does, and glob over a config group's options in name order", () => {
    expect(values(["seed=range(3)", "a=range(1,4)", "b=range(10,0,-4)", "c=range(0,1,0.25)"])).toEqual([
      ["seed=0", "seed=1", "seed=2"],
      ["a=1", "a=2", "a=3"],
      ["b=10", "b=6", "b=2"],
      ["c=0", "c=0.25", "c=0.5", "c=0.75"],
    ]);
    expect(values(["scenario=glob(nside*)", "model.sim=glob(*)"])).toEqual([["scenario=nside16", "scenario=nside256", "scenario=nside64"], ["model.sim=a"]]);
  });

  it("gives every combination, the first axis slowest, as Hydra's basic sweeper does", () => {
    const axes = sweepAxes(["a=1,2", "keep=x", "b=p,q,r"], cfg);
    if (!axes.ok) throw new Error(axes.error);
    expect(sweepVariants(axes.value)).toEqual([
      ["a=1", "keep=x", "b=p"],
      ["a=1", "keep=x", "b=q"],
      ["a=1", "keep=x", "b=r"],
      ["a=2", "keep=x", "b=p"],
      ["a=2", "keep=x", "b=q"],
      ["a=2", "keep=x", "b=r"],
    ]);
  });

  it("names what is wrong with a sweep", () => {
    expect(error(["seed=range(1,x)"])).toBe("seed=range(1,x): range takes one to three numbers, range(stop), range(start, stop) or range(start, stop, step)");
    expect(error(["seed=range(1,5,0)"])).toBe("seed=range(1,5,0): range's step must not be 0");
    expect(error(["seed=range(5,1)"])).toBe("seed=range(5,1): range gives no values");
    expect(error(["splits=glob(*)"])).toBe(`splits=glob(*): glob() chooses options of a config group, and splits is none (no folder ${join(cfg, "splits")})`);
    expect(error(["scenario=glob(nope*)"])).toBe("scenario=glob(nope*): no option of group scenario matches (options: nside16, nside256, nside64, other)");
    expect(error(["seed=1,,2"])).toBe("seed=1,,2: an empty value in the list (two commas, or one at an end)");
    expect(error(["a=range(100)", "b=range(100)", "c=range(2)"])).toBe(`the sweep has 20000 combinations, more than ${String(MAX_VARIANTS)}`);
  });
});
