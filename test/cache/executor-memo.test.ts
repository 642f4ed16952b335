import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXECUTOR_MEMO_FILE, ExecutorMemo } from "../../src/cache/executor-memo.js";
import type { Hasher } from "../../src/cache/hash.js";
import { hasher } from "../../src/cache/hash.js";

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

  it("keeps descriptors across save and open, and starts empty from a damaged file", async () => {
    const memo = await ExecutorMemo.open(dir);
    memo.set("k1", { kind: "scan-sift", reads: ["scenario.nside", "pipeline.a.lmax"] });
    await memo.save();
    expect((await ExecutorMemo.open(dir)).get("k1")).toEqual({ kind: "scan-sift", reads: ["pipeline.a.lmax", "scenario.nside"] });
    writeFileSync(join(dir, EXECUTOR_MEMO_FILE), '{"version": 1, "entries": {"k1": {"kind": "bogus", "reads": []}');
    expect((await ExecutorMemo.open(dir)).get("k1")).toBeUndefined();
    writeFileSync(join(dir, EXECUTOR_MEMO_FILE), '{"version": 1, "entries": {"k1": {"kind": "bogus", "reads": []}}}');
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
