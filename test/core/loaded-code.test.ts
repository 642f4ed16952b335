import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hasher } from "../../src/cache/hash.js";
import { rememberImportLists } from "../../src/cache/module-graph.js";
import { LoadedCode } from "../../src/core/loaded-code.js";

describe("LoadedCode", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-loaded-"));
    writeFileSync(join(dir, "stage.ts"), `export async function run() { return (await import("./late.js")).word; }\n`);
    writeFileSync(join(dir, "late.ts"), `export const word = "one";\n`);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("names each file of the closure once, with its digest at load time, while nothing changes", async () => {
    const h = await hasher();
    const code = new LoadedCode(h, dir, "/nonexistent-package");
    const files = code.watch([join(dir, "stage.ts")]);
    expect(files.sort()).toEqual([join(dir, "late.ts"), join(dir, "stage.ts")]);
    expect(code.check(files).sort((a, b) => a.file.localeCompare(b.file))).toEqual([
      { file: "late.ts", digest: h.digestString(`export const word = "one";\n`) },
      { file: "stage.ts", digest: h.digestFileSync(join(dir, "stage.ts")).digest },
    ]);
  });

  it("adds the file's digest as it is now when it was edited after loading, and 'missing' when removed", async () => {
    const h = await hasher();
    const code = new LoadedCode(h, dir, "/nonexistent-package");
    const files = code.watch([join(dir, "stage.ts")]);
    writeFileSync(join(dir, "late.ts"), `export const word = "two";\n`);
    expect(code.check(files).filter((f) => f.file === "late.ts")).toEqual([
      { file: "late.ts", digest: h.digestString(`export const word = "one";\n`) },
      { file: "late.ts", digest: h.digestString(`export const word = "two";\n`) },
    ]);
    rmSync(join(dir, "late.ts"));
    expect(code.check(files).filter((f) => f.file === "late.ts").map((f) => f.digest)).toEqual([h.digestString(`export const word = "one";\n`), "missing"]);
  });

  it("keeps the load-time digest of a file a second watch meets again", async () => {
    const h = await hasher();
    const code = new LoadedCode(h, dir, "/nonexistent-package");
    code.watch([join(dir, "late.ts")]);
    writeFileSync(join(dir, "late.ts"), `export const word = "two";\n`);
    const files = code.watch([join(dir, "stage.ts")]);
    expect(code.check(files).filter((f) => f.file === "late.ts").map((f) => f.digest)).toEqual([
      h.digestString(`export const word = "one";\n`),
      h.digestString(`export const word = "two";\n`),
    ]);
  });

  it("takes a file's imports from the lists known by its content, as a worker handed the main thread's lists does, instead of parsing it", async () => {
    const h = await hasher();
    // A list that parsing would never give for this content: seeing "./extra.js" followed shows
    // the list came from the memo (a worker then starts no esbuild for an unchanged stage).
    const text = `export const only = 1;\n`;
    writeFileSync(join(dir, "lonely.ts"), text);
    writeFileSync(join(dir, "extra.ts"), `export const extra = 2;\n`);
    expect(new LoadedCode(h, dir, "/nonexistent-package").watch([join(dir, "lonely.ts")])).toEqual([join(dir, "lonely.ts")]);
    writeFileSync(join(dir, "twin.ts"), text + " ");
    rememberImportLists({ [`.ts:${h.digestString(text + " ")}`]: ["./extra.js"] });
    expect(new LoadedCode(h, dir, "/nonexistent-package").watch([join(dir, "twin.ts")]).sort()).toEqual([join(dir, "extra.ts"), join(dir, "twin.ts")]);
  });
});
