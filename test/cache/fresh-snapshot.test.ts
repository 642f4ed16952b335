import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileDigestCache, statKey } from "../../src/cache/file-digests.js";
import { buildStamp, checkSnapshot, KEEP_SNAPSHOTS, SNAPSHOT_DIR, snapshotKey, writeSnapshot } from "../../src/cache/fresh-snapshot.js";
import type { SnapshotKeyParts } from "../../src/cache/fresh-snapshot.js";
import type { Hasher } from "../../src/cache/hash.js";
import { hasher } from "../../src/cache/hash.js";

const stampOfFile = (path: string): string => statKey(statSync(path, { bigint: true }));

describe("freshness snapshot", () => {
  let dir: string;
  let cacheDir: string;
  let h: Hasher;
  const abs = (p: string): string => join(dir, p);
  const files = ["data/a.txt", "data/b.txt", "data/c.txt"];
  const outputs = (): { paths: string[]; stamps: string[] } => ({ paths: files, stamps: files.map((f) => stampOfFile(abs(f))) });
  const check = (key = "k1"): ReturnType<typeof checkSnapshot> => checkSnapshot(h, cacheDir, key, abs);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-snapshot-"));
    cacheDir = join(dir, "cache");
    mkdirSync(join(cacheDir, "state"), { recursive: true });
    writeFileSync(join(cacheDir, "state", "nodes.jsonl"), '{"node":"a"}\n');
    mkdirSync(join(dir, "data"));
    for (const f of files) writeFileSync(abs(f), `content of ${f}\n`);
    h = await hasher();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("holds while the state files and every output keep their stamps", async () => {
    await writeSnapshot(h, cacheDir, "k1", outputs());
    expect(await check()).toEqual({ taken: true, outputs: 3 });
    expect(await check("k2")).toEqual({ taken: false, miss: "none" });
  });

  it("misses when an output is edited in place with its size and mtime set back (ctime moves)", async () => {
    await writeSnapshot(h, cacheDir, "k1", outputs());
    const path = abs("data/b.txt");
    const before = statSync(path);
    writeFileSync(path, readFileSync(path, "utf8").replace("content", "CONTENT"));
    utimesSync(path, before.atime, before.mtime);
    expect(await check()).toEqual({ taken: false, miss: "output-changed" });
  });

  it("misses when an output is removed, or replaced by a folder", async () => {
    await writeSnapshot(h, cacheDir, "k1", outputs());
    rmSync(abs("data/c.txt"));
    expect(await check()).toEqual({ taken: false, miss: "output-changed" });
    mkdirSync(abs("data/c.txt"));
    expect(await check()).toEqual({ taken: false, miss: "output-changed" });
  });

  it("misses when a record is appended, or the records file appears or goes", async () => {
    await writeSnapshot(h, cacheDir, "k1", outputs());
    appendFileSync(join(cacheDir, "state", "nodes.jsonl"), '{"node":"b"}\n');
    expect(await check()).toEqual({ taken: false, miss: "state-changed" });
    await writeSnapshot(h, cacheDir, "k1", outputs());
    writeFileSync(join(cacheDir, "state", "history.jsonl"), "");
    expect(await check()).toEqual({ taken: false, miss: "state-changed" });
  });

  it("misses when a cache entry the engine checks is of the wrong kind (the engine then reports it)", async () => {
    await writeSnapshot(h, cacheDir, "k1", outputs());
    writeFileSync(join(cacheDir, "objects"), "a file where a folder should be");
    expect(await check()).toEqual({ taken: false, miss: "cache-entry" });
  });

  it("misses when the state folder is a file (its files cannot be stat-ed, which is not their absence)", async () => {
    rmSync(join(cacheDir, "state"), { recursive: true });
    await writeSnapshot(h, cacheDir, "k1", outputs());
    expect(await check()).toEqual({ taken: true, outputs: 3 });
    writeFileSync(join(cacheDir, "state"), "a file where a folder should be");
    expect(await check()).toEqual({ taken: false, miss: "state-changed" });
  });

  it("misses while a dead Slurm coordinator's journal is left (its jobs may still write outputs)", async () => {
    await writeSnapshot(h, cacheDir, "k1", outputs());
    mkdirSync(join(cacheDir, "slurm", "journal"), { recursive: true });
    writeFileSync(join(cacheDir, "slurm", "journal", "run1.jsonl"), "{}\n");
    expect(await check()).toEqual({ taken: false, miss: "jobs-left" });
  });

  it("is never taken when its file is damaged or edited, even consistently", async () => {
    await writeSnapshot(h, cacheDir, "k1", outputs());
    const file = join(cacheDir, SNAPSHOT_DIR, "k1.json");
    const [digest, json] = readFileSync(file, "utf8").split("\n") as [string, string];
    const saved = JSON.parse(json) as { paths: string[]; stamps: string[] };
    // An output left out of the lists (consistently): the check digest no longer matches.
    writeFileSync(file, `${digest}\n${JSON.stringify({ ...saved, paths: saved.paths.slice(1), stamps: saved.stamps.slice(1) })}`);
    expect(await check()).toEqual({ taken: false, miss: "damaged" });
    writeFileSync(file, readFileSync(file, "utf8").slice(0, 40));
    expect(await check()).toEqual({ taken: false, miss: "damaged" });
    writeFileSync(file, "null");
    expect(await check()).toEqual({ taken: false, miss: "damaged" });
  });

  it("keeps the newest snapshots only", async () => {
    for (let i = 0; i < KEEP_SNAPSHOTS + 2; i++) {
      await writeSnapshot(h, cacheDir, `key${String(i)}`, outputs());
      // Distinct mtimes, oldest first.
      const t = new Date(Date.now() - (KEEP_SNAPSHOTS + 2 - i) * 1000);
      utimesSync(join(cacheDir, SNAPSHOT_DIR, `key${String(i)}.json`), t, t);
    }
    await writeSnapshot(h, cacheDir, "newest", outputs());
    const kept = readdirSync(join(cacheDir, SNAPSHOT_DIR)).sort();
    expect(kept).toHaveLength(KEEP_SNAPSHOTS);
    expect(kept).toContain("newest.json");
    expect(kept).not.toContain("key0.json");
  });

  it("keys on every part: configuration, each stage's parts and node count, work folder, build", () => {
    const base: SnapshotKeyParts = { workDir: "/p", config: "c", build: "b", stages: [{ name: "s", stage: "1", code: "2", params: "3", nodes: 4 }] };
    const key = snapshotKey(h, base);
    const variants: SnapshotKeyParts[] = [
      { ...base, workDir: "/q" },
      { ...base, config: "c2" },
      { ...base, build: "b2" },
      { ...base, stages: [{ name: "s", stage: "1", code: "2x", params: "3", nodes: 4 }] },
      { ...base, stages: [{ name: "s", stage: "1", code: "2", params: "3x", nodes: 4 }] },
      { ...base, stages: [{ name: "s", stage: "1x", code: "2", params: "3", nodes: 4 }] },
      { ...base, stages: [{ name: "s", stage: "1", code: "2", params: "3", nodes: 5 }] },
      { ...base, stages: [] },
    ];
    const keys = new Set(variants.map((v) => snapshotKey(h, v)));
    expect(keys.size).toBe(variants.length);
    expect(keys.has(key)).toBe(false);
    expect(snapshotKey(h, { ...base })).toBe(key);
  });

  it("build stamp moves when a compiled file of the package changes", () => {
    const pkg = join(dir, "pkg");
    mkdirSync(join(pkg, "dist", "cli"), { recursive: true });
    writeFileSync(join(pkg, "package.json"), "{}");
    writeFileSync(join(pkg, "dist", "cli", "main.js"), "export {};\n");
    const before = buildStamp(h, pkg);
    const pkg2 = join(dir, "pkg2");
    mkdirSync(join(pkg2, "dist", "cli"), { recursive: true });
    writeFileSync(join(pkg2, "package.json"), "{}");
    writeFileSync(join(pkg2, "dist", "cli", "main.js"), "export {};\n");
    // Another build (other files, so other stamps) is another stamp.
    expect(buildStamp(h, pkg2)).not.toBe(before);
  });
});

describe("FileDigestCache.trustedStamp", () => {
  it("gives the stamp of a trusted entry with that digest only", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cmbflow-trusted-"));
    try {
      const h = await hasher();
      const path = join(dir, "f.txt");
      writeFileSync(path, "hello\n");
      const racyClock = (): bigint => statSync(path, { bigint: true }).mtimeNs;
      const racy = await FileDigestCache.open(join(dir, "cache"), h, { clock: racyClock });
      const d = await racy.digest(path);
      // Read within a clock tick of its mtime: racy, not trusted.
      expect(racy.trustedStamp(path, d?.digest ?? "")).toBeUndefined();
      const memo = await FileDigestCache.open(join(dir, "cache"), h, { clock: () => BigInt(Date.now() + 60_000) * 1_000_000n });
      const digest = (await memo.digest(path))?.digest ?? "";
      expect(memo.trustedStamp(path, digest)).toBe(stampOfFile(path));
      expect(memo.trustedStamp(path, "0000000000000000")).toBeUndefined();
      expect(memo.trustedStamp(join(dir, "other.txt"), digest)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
