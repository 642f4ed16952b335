import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXECUTOR_MEMO_FILE, ExecutorMemo } from "../../src/cache/executor-memo.js";
import type { Hasher } from "../../src/cache/hash.js";
import { hasher } from "../../src/cache/hash.js";
import { codePart } from "../../src/cache/code-part.js";

describe("ExecutorMemo", () => {
  let dir: string;
  let h: Hasher;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-execmemo-"));
    h = await hasher();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const source = (module: string) => ({ ref: "stages/a.ts#A", module, projectDir: dir, packageRoot: "/nowhere" });

  it("keys by the module closure's content and the configuration", () => {
    writeFileSync(join(dir, "a.ts"), 'import { f } from "./b.js";\nexport class A {}\n');
    writeFileSync(join(dir, "b.ts"), "export const f = 1;\n");
    const config = ExecutorMemo.configDigest(h, { seed: 1 });
    const key = ExecutorMemo.key(h, "a", source(join(dir, "a.ts")), config);
    expect(ExecutorMemo.key(h, "a", source(join(dir, "a.ts")), config)).toBe(key);
    expect(ExecutorMemo.key(h, "other", source(join(dir, "a.ts")), config)).not.toBe(key);
    expect(ExecutorMemo.key(h, "a", source(join(dir, "a.ts")), ExecutorMemo.configDigest(h, { seed: 2 }))).not.toBe(key);
    writeFileSync(join(dir, "b.ts"), "export const f = 2;\n");
    expect(ExecutorMemo.key(h, "a", source(join(dir, "a.ts")), config)).not.toBe(key);
  });

  it("keys by the runtime and by cmbflow's modules a bare cmbflow import reaches, through an import whose braces hold a comment", () => {
    const pkg = join(dir, "pkg");
    mkdirSync(join(pkg, "dist"), { recursive: true });
    writeFileSync(join(pkg, "package.json"), '{"version": "1.0.0"}\n');
    writeFileSync(join(pkg, "dist", "index.js"), "export class BaseStageExecutor {}\n");
    writeFileSync(join(dir, "a.ts"), 'import {\n  BaseStageExecutor, // isn\'t; here\n} from "cmbflow";\nexport class A extends BaseStageExecutor {}\n');
    const withPackage = { ...source(join(dir, "a.ts")), packageRoot: pkg };
    const key = ExecutorMemo.key(h, "a", withPackage, "c");
    writeFileSync(join(pkg, "dist", "index.js"), "export class BaseStageExecutor { edited = true; }\n");
    const edited = ExecutorMemo.key(h, "a", withPackage, "c");
    expect(edited).not.toBe(key);
    writeFileSync(join(pkg, "package.json"), '{"version": "1.0.1"}\n');
    // The version is read once per process and package root: a new root stands for an upgrade.
    mkdirSync(join(dir, "pkg2", "dist"), { recursive: true });
    writeFileSync(join(dir, "pkg2", "package.json"), '{"version": "1.0.1"}\n');
    writeFileSync(join(dir, "pkg2", "dist", "index.js"), "export class BaseStageExecutor { edited = true; }\n");
    expect(ExecutorMemo.key(h, "a", { ...withPackage, packageRoot: join(dir, "pkg2") }, "c")).not.toBe(edited);
  });

  it("keeps the import lists of the code it keyed, and takes a saved list instead of parsing the file again", async () => {
    const memo = await ExecutorMemo.open(dir);
    writeFileSync(join(dir, "a.ts"), 'import { f } from "./b.js";\nexport class A {}\n');
    writeFileSync(join(dir, "b.ts"), "export const f = 1;\n");
    ExecutorMemo.key(h, "a", source(join(dir, "a.ts")), "c");
    await memo.save();
    const saved = JSON.parse(readFileSync(join(dir, EXECUTOR_MEMO_FILE), "utf8")) as { imports: Record<string, string[]> };
    const keyOfA = `.ts:${h.digestBytes(readFileSync(join(dir, "a.ts")))}`;
    expect(saved.imports[keyOfA]).toEqual(["./b.js"]);
    // A list saved for the content of c.ts is believed: c.ts is not parsed (it imports nothing).
    writeFileSync(join(dir, "c.ts"), "export class C {}\n");
    writeFileSync(join(dir, "d.ts"), "export const d = 1;\n");
    const keyOfC = `.ts:${h.digestBytes(readFileSync(join(dir, "c.ts")))}`;
    writeFileSync(join(dir, EXECUTOR_MEMO_FILE), JSON.stringify({ version: 3, entries: {}, imports: { [keyOfC]: ["./d.js"] } }));
    await ExecutorMemo.open(dir);
    const before = ExecutorMemo.key(h, "c", source(join(dir, "c.ts")), "c");
    writeFileSync(join(dir, "d.ts"), "export const d = 2;\n");
    expect(ExecutorMemo.key(h, "c", source(join(dir, "c.ts")), "c")).not.toBe(before);
  });

  it("does not believe the import lists of an older memo, which did not name the imports it could not follow", async () => {
    writeFileSync(join(dir, "e.ts"), "export const load = (n: string) => import(`./${n}.js`);\n");
    writeFileSync(join(dir, "f.ts"), "export const f = 1;\n");
    const keyOfE = `.ts:${h.digestBytes(readFileSync(join(dir, "e.ts")))}`;
    writeFileSync(join(dir, EXECUTOR_MEMO_FILE), JSON.stringify({ version: 2, entries: {}, imports: { [keyOfE]: ["./f.js"] } }));
    await ExecutorMemo.open(dir);
    const unfollowed: string[] = [];
    const part = codePart(h, { entries: [join(dir, "e.ts")], projectDir: dir, packageRoot: join(dir, "no-package") }, unfollowed);
    expect(Object.keys(part.files)).toEqual(["e.ts"]);
    expect(unfollowed).toEqual(["e.ts: import(`./${n}.js`)"]);
  });

  it("keeps descriptors across save and open, and starts empty from a damaged file", async () => {
    const memo = await ExecutorMemo.open(dir);
    memo.set("k1", { kind: "scan-sift", reads: ["scenario.nside", "pipeline.a.lmax"] });
    await memo.save();
    expect((await ExecutorMemo.open(dir)).get("k1")).toEqual({ kind: "scan-sift", reads: ["pipeline.a.lmax", "scenario.nside"] });
    writeFileSync(join(dir, EXECUTOR_MEMO_FILE), '{"version": 3, "entries": {"k1": {"kind": "bogus", "reads": []}');
    expect((await ExecutorMemo.open(dir)).get("k1")).toBeUndefined();
    writeFileSync(join(dir, EXECUTOR_MEMO_FILE), '{"version": 3, "entries": {"k1": {"kind": "bogus", "reads": []}}}');
    expect((await ExecutorMemo.open(dir)).get("k1")).toBeUndefined();
  });

  it("a save that fails names the memo file, and leaves no temporary behind", async () => {
    const memo = await ExecutorMemo.open(dir);
    memo.set("k", { kind: "process-sim", reads: [] });
    // A folder in the memo's place (the run quarantines one first; this is the save's own report).
    mkdirSync(join(dir, EXECUTOR_MEMO_FILE));
    await expect(memo.save()).rejects.toThrow(
      `${join(dir, EXECUTOR_MEMO_FILE)}: the executor memo could not be saved: is a directory where cmbflow needs a file (EISDIR): move it away and run again`,
    );
    expect(readdirSync(dir)).toEqual([EXECUTOR_MEMO_FILE]);
  });
});
