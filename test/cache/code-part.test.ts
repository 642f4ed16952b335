import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { codePart, kernelPart, runtimePart } from "../../src/cache/code-part.js";
import { ADDON_PATH, nativeIsas } from "../../src/healpix/legendre-native.js";
import { readFileSync } from "node:fs";
import type { Hasher } from "../../src/cache/hash.js";
import { hasher } from "../../src/cache/hash.js";

describe("the code part", () => {
  let dir: string;
  let h: Hasher;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-codepart-"));
    h = await hasher();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };

  it("holds the Node.js major version and the cmbflow version of the package that runs", () => {
    write("pkg/package.json", '{"name": "cmbflow", "version": "7.8.9"}\n');
    const major = process.versions.node.split(".")[0];
    expect(runtimePart(join(dir, "pkg"))).toEqual({ node: major, cmbflow: "7.8.9" });
    expect(codePart(h, { entries: [], projectDir: join(dir, "project"), packageRoot: join(dir, "pkg") }).runtime).toEqual({ node: major, cmbflow: "7.8.9", kernel: kernelPart((b) => h.digestBytes(b)) });
    expect(runtimePart(join(dir, "no-such-package")).cmbflow).toBe("unknown");
  });

  it("names the Legendre kernel the transforms run, so outputs of one kernel are not fresh for the other", () => {
    const digest = (b: Uint8Array): string => h.digestBytes(b);
    expect(kernelPart(digest, { CMBFLOW_KERNEL: "wasm" })).toBe("wasm");
    expect(kernelPart(digest, { CMBFLOW_KERNEL: "gpu" })).toMatch(/^unusable: CMBFLOW_KERNEL must be/);
    const isas = nativeIsas();
    if (isas.length === 0) {
      expect(kernelPart(digest, {})).toBe("wasm");
      return;
    }
    const addon = digest(readFileSync(ADDON_PATH));
    expect(kernelPart(digest, {})).toBe(`native ${String(isas[0])} ${addon}`);
    for (const isa of isas) expect(kernelPart(digest, { CMBFLOW_NATIVE_ISA: isa })).toBe(`native ${isa} ${addon}`);
  });

  it("digests the compiled modules a built-in stage runs and a user stage reaches through a bare cmbflow import", () => {
    write("pkg/package.json", '{"name": "cmbflow", "version": "1.0.0"}\n');
    write("pkg/dist/index.js", 'export { BaseStageExecutor } from "./core/executor.js";\n');
    write("pkg/dist/core/executor.js", "export class BaseStageExecutor {}\n");
    write("pkg/dist/stages/x.js", 'import { BaseStageExecutor } from "../core/executor.js";\nexport class X extends BaseStageExecutor {}\n');
    write("project/stages/mine.ts", 'import { BaseStageExecutor } from "cmbflow";\nexport class Mine extends BaseStageExecutor {}\n');
    const source = (entry: string) => ({ entries: [join(dir, entry)], projectDir: join(dir, "project"), packageRoot: join(dir, "pkg") });
    const builtin = codePart(h, source("pkg/dist/stages/x.js"));
    const user = codePart(h, source("project/stages/mine.ts"));
    expect(Object.keys(builtin.files)).toEqual(["cmbflow/dist/core/executor.js", "cmbflow/dist/stages/x.js"]);
    expect(Object.keys(user.files)).toEqual(["cmbflow/dist/core/executor.js", "cmbflow/dist/index.js", "stages/mine.ts"]);
    write("pkg/dist/core/executor.js", "export class BaseStageExecutor { run() {} }\n");
    const builtinAfter = codePart(h, source("pkg/dist/stages/x.js"));
    const userAfter = codePart(h, source("project/stages/mine.ts"));
    expect(builtinAfter.files["cmbflow/dist/core/executor.js"]).not.toBe(builtin.files["cmbflow/dist/core/executor.js"]);
    expect(builtinAfter.files["cmbflow/dist/stages/x.js"]).toBe(builtin.files["cmbflow/dist/stages/x.js"]);
    expect(userAfter.files["cmbflow/dist/core/executor.js"]).toBe(builtinAfter.files["cmbflow/dist/core/executor.js"]);
    expect(userAfter.files["stages/mine.ts"]).toBe(user.files["stages/mine.ts"]);
  });
});
