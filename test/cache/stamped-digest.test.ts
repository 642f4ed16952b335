/**
 * A digest and its file stamp come from the same open file: a writer changing the file while
 * it is read is caught, and the engine pairs a worker's digest with the stamp of the file the
 * worker read — never with a stat of whatever another writer put at the path afterwards.
 */
import { appendFileSync, existsSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CacheEngine } from "../../src/cache/engine.js";
import type { StageParts } from "../../src/cache/engine.js";
import { hasher } from "../../src/cache/hash.js";
import { stampedDigestMessage, stampedDigestSync, stampOf } from "../../src/cache/stamped-digest.js";

describe("stampedDigestSync", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-stamp-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("gives the digest with the stamp of the file read", async () => {
    const h = await hasher();
    const path = join(dir, "a.txt");
    writeFileSync(path, "hello\n");
    const d = stampedDigestSync(h, path);
    expect(d).toEqual({ ok: true, value: { digest: h.digestString("hello\n"), size: 6, stamp: stampOf(statSync(path, { bigint: true })) } });
  });

  it("fails when another writer changes the file while it is read", async () => {
    const h = await hasher();
    const path = join(dir, "a.txt");
    writeFileSync(path, "hello\n");
    // A reader that lets another writer in half-way through its read.
    const racing = {
      digestFdSync: (fd: number) => {
        const d = h.digestFdSync(fd);
        appendFileSync(path, "more\n");
        return d;
      },
    };
    const d = stampedDigestSync(racing, path);
    expect(d).toEqual({ ok: false, error: { reason: "changed-while-digested", path } });
    if (!d.ok) expect(stampedDigestMessage(d.error)).toBe(`${path} changed while being digested (another process wrote it at the same time); it is not recorded, so the next run makes it again`);
  });
});

describe("CacheEngine.recordWritten with another writer at the same path", () => {
  let dir: string;
  let engine: CacheEngine;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-stamp-engine-"));
    engine = await CacheEngine.open({ cacheDir: join(dir, "cache"), workDir: dir, mode: "write", settings: { enabled: true, link: "copy" } });
  });
  afterEach(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const part = <T>(value: T) => ({ value, digest: engine.hasher.digestString(JSON.stringify(value)) });
  const stage = (): StageParts => ({
    stage: part({ version: 2, executor: "a.ts#A", outputs: [], inputs: [] }),
    code: part({ files: {}, runtime: { node: "20", cmbflow: "0.1.0" } }),
    params: part({ reads: {}, block: {} }),
    unfollowedImports: [],
  });

  it("records nothing, stores nothing, and memoises nothing when the file was replaced after the worker digested it", async () => {
    const out = join(dir, "out.txt");
    writeFileSync(out, "ours\n");
    const ours = stampedDigestSync(engine.hasher, out);
    if (!ours.ok) throw new Error(ours.error.reason);
    // The other project's run commits its own bytes at the same path (temp + rename), of the
    // same size, between our worker's digest and our main thread's record.
    writeFileSync(join(dir, "theirs.tmp"), "them\n");
    renameSync(join(dir, "theirs.tmp"), out);
    const fp = engine.fingerprint(stage(), { partition: { sim: 0 }, baseSeed: 1, seed: () => 7, outputs: ["out.txt"], location: "here", key: "a[sim=0]\nhere", complete: true }, []);
    await expect(engine.recordWritten("a[sim=0]", fp, [{ path: out, ...ours.value }], "run", new Date(), 1)).rejects.toThrow(
      `${out} was replaced or changed by another writer after this node wrote it; it is not recorded, so the next run makes it again`,
    );
    expect(engine.store.get("a[sim=0]\nhere")).toBeUndefined();
    expect(engine.digests.peek(out)).toBeUndefined();
    expect(existsSync(engine.objects.pathOf(ours.value.digest))).toBe(false);
    expect((await engine.assess("a[sim=0]", fp, false)).state).toBe("stale");
  });

  it("remembers the stamp the worker took, so a later in-place change is seen as one", async () => {
    const out = join(dir, "out.txt");
    writeFileSync(out, "ours\n");
    const ours = stampedDigestSync(engine.hasher, out);
    if (!ours.ok) throw new Error(ours.error.reason);
    const fp = engine.fingerprint(stage(), { partition: { sim: 0 }, baseSeed: 1, seed: () => 7, outputs: ["out.txt"], location: "here", key: "a[sim=0]\nhere", complete: true }, []);
    await engine.recordWritten("a[sim=0]", fp, [{ path: out, ...ours.value }], "run", new Date(), 1);
    expect(engine.assessNow("a[sim=0]", fp, false)?.state).toBe("fresh");
    writeFileSync(out, "them\n");
    expect(engine.assessNow("a[sim=0]", fp, false)).toBeUndefined();
    const verdict = await engine.assess("a[sim=0]", fp, false);
    expect(verdict.state === "fresh" ? [] : verdict.reasons).toEqual([{ kind: "output-modified", path: "out.txt" }]);
  });
});
