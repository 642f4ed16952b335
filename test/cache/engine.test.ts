import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CacheEngine } from "../../src/cache/engine.js";
import type { Fingerprint, StageParts } from "../../src/cache/engine.js";
import { stampedDigestSync } from "../../src/cache/stamped-digest.js";

describe("CacheEngine.assess", () => {
  let dir: string;
  let engine: CacheEngine;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-engine-"));
    engine = await CacheEngine.open({ cacheDir: join(dir, "cache"), workDir: dir, mode: "write", settings: { enabled: false, link: "copy" } });
  });
  afterEach(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const part = <T>(value: T) => ({ value, digest: engine.hasher.digestString(JSON.stringify(value)) });
  const stage = (): StageParts => ({
    stage: part({ version: 3, executor: "a.ts#A", outputs: [], inputs: [] }),
    code: part({ files: {}, runtime: { node: "20", cmbflow: "0.1.0" } }),
    params: part({ reads: {}, block: {} }),
    unfollowedImports: [],
  });

  async function recorded(): Promise<Fingerprint> {
    const out = join(dir, "out.txt");
    writeFileSync(out, "x");
    const fp = engine.fingerprint(stage(), { partition: { split: "Train", sim: 0 }, baseSeed: 1, seed: () => 7, outputs: ["out.txt"], location: "here", key: "a[split=Train,sim=0]\nhere", complete: true }, []);
    const written = stampedDigestSync(engine.hasher, out);
    if (!written.ok) throw new Error(written.error.reason);
    await engine.recordWritten("a[split=Train,sim=0]", fp, [{ path: out, ...written.value }], "run", new Date(), 1);
    return fp;
  }

  it("is fresh, at once and without a promise, when the fingerprint and every output are unchanged", async () => {
    const fp = await recorded();
    expect(engine.assessNow("a[split=Train,sim=0]", fp, false)?.state).toBe("fresh");
    expect(engine.assessNow("a[split=Train,sim=0]", fp, true)).toBeUndefined();
    expect((await engine.assess("a[split=Train,sim=0]", fp, false)).state).toBe("fresh");
  });

  it("checks the outputs whenever the parts agree, also when only the whole digest differs", async () => {
    const fp = await recorded();
    const recombined: Fingerprint = { ...fp, values: fp.values, digest: "0000000000000000" };
    expect(engine.assessNow("a[split=Train,sim=0]", recombined, false)).toBeUndefined();
    expect((await engine.assess("a[split=Train,sim=0]", recombined, false)).state).toBe("fresh");
    rmSync(join(dir, "out.txt"));
    const verdict = await engine.assess("a[split=Train,sim=0]", recombined, false);
    expect(verdict.state === "stale" ? verdict.reasons : []).toEqual([{ kind: "output-missing", path: "out.txt" }]);
  });

  it("builds the stored record only when asked: the node's seed is computed then", () => {
    let seeds = 0;
    const fp = engine.fingerprint(stage(), { partition: { sim: 3 }, baseSeed: 1, seed: () => ++seeds, outputs: [], location: "here", key: "a[split=Train,sim=0]\nhere", complete: true }, []);
    expect(seeds).toBe(0);
    expect(fp.values.context).toEqual({ partition: { sim: 3 }, baseSeed: 1, seed: 1, outputs: [] });
    expect(fp.values.context.seed).toBe(1);
    expect(seeds).toBe(1);
  });
});

describe("CacheEngine.restore", () => {
  let dir: string;
  let engine: CacheEngine;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-engine-"));
    engine = await CacheEngine.open({ cacheDir: join(dir, "cache"), workDir: dir, mode: "write", settings: { enabled: true, link: "copy" } });
  });
  afterEach(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("pairs a restored file's digest with the stamp of the file it read, not of one another writer put there after", async () => {
    const part = <T>(value: T) => ({ value, digest: engine.hasher.digestString(JSON.stringify(value)) });
    const stage: StageParts = {
      stage: part({ version: 3, executor: "a.ts#A", outputs: [], inputs: [] }),
      code: part({ files: {}, runtime: { node: "20", cmbflow: "0.1.0" } }),
      params: part({ reads: {}, block: {} }),
      unfollowedImports: [],
    };
    const out = join(dir, "out.txt");
    writeFileSync(out, "first");
    const fp = engine.fingerprint(stage, { partition: { sim: 0 }, baseSeed: 1, seed: () => 7, outputs: ["out.txt"], location: "here", key: "a\nhere", complete: true }, []);
    const written = stampedDigestSync(engine.hasher, out);
    if (!written.ok) throw new Error(written.error.reason);
    const record = await engine.recordWritten("a", fp, [{ path: out, ...written.value }], "run", new Date(), 1);
    rmSync(out);

    // Another writer replaces the file right after the restore's check has read it.
    const h = engine.hasher;
    const digestFdSync = h.digestFdSync.bind(h);
    const streamFile = h.streamFile.bind(h);
    const replace = (): void => {
      writeFileSync(`${out}.other`, "other");
      renameSync(`${out}.other`, out);
    };
    h.digestFdSync = (fd) => {
      const d = digestFdSync(fd);
      replace();
      return d;
    };
    h.streamFile = async (path) => {
      const d = await streamFile(path);
      if (path === out) replace();
      return d;
    };
    let restored: Awaited<ReturnType<typeof engine.restore>>;
    try {
      restored = await engine.restore(record, fp, [dir]);
    } finally {
      h.digestFdSync = digestFdSync;
      h.streamFile = streamFile;
    }
    expect(readFileSync(out, "utf8")).toBe("other");
    // Whether the restore saw the replacement (then the node runs) or not, the memo never
    // vouches for the other writer's file with the restored content's digest.
    if (!restored.ok) expect(restored.error).toBe("the restored copy of out.txt changed while it was checked (another process wrote it); the node runs instead");
    expect((await engine.digests.digest(out))?.digest).toBe(engine.hasher.digestString("other"));
  });
});
