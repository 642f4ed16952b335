import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadExecutorClass, PACKAGE_ROOT, parseExecutorRef } from "../../src/core/executor-loader.js";

describe("executor references", () => {
  it("resolve against the project folder, or cmbflow's package with cmbflow:", () => {
    expect(parseExecutorRef("stages/a.ts#A", "/proj")).toEqual({ ok: true, value: { module: "/proj/stages/a.ts", exportName: "A" } });
    expect(parseExecutorRef("cmbflow:src/stages/make-cmb.ts#MakeCmbExecutor", "/proj")).toEqual({
      ok: true,
      value: { module: join(PACKAGE_ROOT, "src/stages/make-cmb.ts"), exportName: "MakeCmbExecutor" },
    });
    expect(parseExecutorRef("stages/a.ts", "/proj")).toEqual({
      ok: false,
      error: 'executor "stages/a.ts" must be written module#ExportName, e.g. stages/my-stage.ts#MyExecutor or cmbflow:src/stages/make-cmb.ts#MakeCmbExecutor',
    });
  });

  it("load a built-in executor class, and name the stage and path when the export is missing", async () => {
    const loaded = await loadExecutorClass("cmbflow:src/stages/make-cmb.ts#MakeCmbExecutor", "make_cmb", "/nowhere");
    expect(loaded.ok && loaded.value.name).toBe("MakeCmbExecutor");
    const missing = await loadExecutorClass("cmbflow:src/stages/make-cmb.ts#Nope", "make_cmb", "/nowhere");
    expect(missing).toEqual({ ok: false, error: `stage "make_cmb": ${resolve(PACKAGE_ROOT, "src/stages/make-cmb.ts")} has no export "Nope" (it exports MakeCmbExecutor)` });
  });
});
