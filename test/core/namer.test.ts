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

describe("Namer.former", () => {
  it("forms what path() forms, for any partition, and undefined where path() throws", () => {
    const namer = new Namer({ root: "/data", dataset: "ds", stage: "B_Make" }, { prefix: "sim", digits: 4 }, "make");
    const templates = ["{root}/{dataset}/{stage}/{split}/{sim}/map_{freq}.fits", "{root}/{stage}/{{literal}}/{sim_num}-{epoch}.txt", "{root}/{stage}/stats.yaml", "{root}/{detector}/x"];
    const partitions = [{ split: "Train", sim_num: 3, freq: 100 }, { split: "Test", sim_num: 12345 }, { epoch: 2, sim_num: 0 }, {}];
    for (const template of templates) {
      const form = namer.former(template);
      for (const partition of partitions) {
        let expected: string | undefined;
        try {
          expected = namer.path(template, partition);
        } catch {
          expected = undefined;
        }
        expect(form(partition)).toBe(expected);
      }
    }
    expect(namer.former(templates[0] ?? "")({ split: "Train", sim_num: 3, freq: 100 })).toBe("/data/ds/B_Make/Train/sim0003/map_100.fits");
  });
});
