import { describe, expect, it } from "vitest";
import { MissingContextKeyError, Namer } from "../../src/core/namer.js";

describe("Namer", () => {
  const base = { root: "/data", dataset: "T_64_3-3", working: "Simulation_Working/", src_root: "/data/Assets" };

  it("fills templates, {sim} from sim_num with prefix and digits", () => {
    const namer = new Namer(base, { prefix: "sim", digits: 4 }, "make_cmb");
    const path = namer.withContexts({ stage: "B_Make_CMB", split: "Train", sim_num: 3 }, () =>
      namer.path("{root}/{dataset}/{working}{stage}/{split}/{sim}/cmb_map.fits"),
    );
    expect(path).toBe("/data/T_64_3-3/Simulation_Working/B_Make_CMB/Train/sim0003/cmb_map.fits");
    expect(new Namer({ sim_num: 12 }, { prefix: "s", digits: 2 }).path("{sim}")).toBe("s12");
  });

  it("restores the context on exit, on throw and after a rejected promise", async () => {
    const namer = new Namer(base);
    namer.withContext("freq", 100, () => expect(namer.context["freq"]).toBe(100));
    expect(namer.context["freq"]).toBeUndefined();
    expect(() =>
      namer.withContext("freq", 100, () => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(namer.context["freq"]).toBeUndefined();
    await expect(namer.withContext("epoch", 5, () => Promise.reject(new Error("later")))).rejects.toThrow("later");
    expect(namer.context["epoch"]).toBeUndefined();
    await namer.withContexts({ split: "Test" }, async () => {
      await Promise.resolve();
      expect(namer.path("{split}")).toBe("Test");
    });
    expect(namer.context["split"]).toBeUndefined();
  });

  it("names the missing key, the template and the stage", () => {
    const namer = new Namer(base, undefined, "make_noise");
    const template = "{root}/{stage}/{split}/noise_{freq}.fits";
    expect(() => namer.path(template, { stage: "C" , split: "Train" })).toThrow(MissingContextKeyError);
    expect(() => namer.path(template, { stage: "C", split: "Train" })).toThrow(
      'key "freq" is not in the context of stage "make_noise" while forming the path "{root}/{stage}/{split}/noise_{freq}.fits"; check the path_template in the pipeline YAML',
    );
  });

  it("ignores extra context keys and lets per-call context win", () => {
    const namer = new Namer({ ...base, unused: "x" });
    expect(namer.path("{dataset}/{freq}", { freq: 30 })).toBe("T_64_3-3/30");
    expect(namer.child({ freq: 100 }).path("{freq}")).toBe("100");
  });
});
