import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, chmodSync, writeFileSync } from "node:fs";
import { copyFile, link } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Hasher } from "../../src/cache/hash.js";
import { hasher } from "../../src/cache/hash.js";
import type { VerifiedObject } from "../../src/cache/object-store.js";
import { ObjectStore } from "../../src/cache/object-store.js";

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe("ObjectStore", () => {
  let dir: string;
  let cacheDir: string;
  let h: Hasher;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-objects-"));
    cacheDir = join(dir, "cache");
    h = await hasher();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, content: string): { path: string; digest: string } => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return { path, digest: h.digestString(content) };
  };

  it("stores a read-only copy under objects/<2 hex>/<digest>, once", async () => {
    const store = new ObjectStore(cacheDir, { hasher: h });
    const a = file("a.txt", "alpha");
    expect(await store.has(a.digest)).toBe(false);
    const put = await store.put(a.path, a.digest);
    expect(put.stored).toBe(true);
    expect(["reflink", "copy"]).toContain(put.method);
    const objectPath = join(cacheDir, "objects", a.digest.slice(0, 2), a.digest);
    expect(store.pathOf(a.digest)).toBe(objectPath);
    expect(readFileSync(objectPath, "utf8")).toBe("alpha");
    expect(statSync(objectPath).mode & 0o777).toBe(0o444);
    expect(await store.has(a.digest)).toBe(true);
    expect(await store.put(a.path, a.digest)).toEqual({ stored: false });
    expect(readdirSync(join(cacheDir, "objects", a.digest.slice(0, 2)))).toEqual([a.digest]);
  });

  it("restores an independent writable copy atomically over an existing target", async () => {
    const store = new ObjectStore(cacheDir, { hasher: h });
    const a = file("a.txt", "alpha");
    await store.put(a.path, a.digest);
    const target = join(dir, "out", "deep", "map.fits");
    mkdirSync(join(dir, "out", "deep"), { recursive: true });
    writeFileSync(target, "old content");
    const restored = await store.restore(a.digest, target);
    expect(restored.ok).toBe(true);
    expect(restored.ok && ["reflink", "copy"].includes(restored.value.method)).toBe(true);
    expect(readFileSync(target, "utf8")).toBe("alpha");
    expect(statSync(target).mode & 0o777).toBe(0o644);
    writeFileSync(target, "edited");
    expect(readFileSync(store.pathOf(a.digest), "utf8")).toBe("alpha");
    expect(readdirSync(join(dir, "out", "deep"))).toEqual(["map.fits"]);
  });

  it("restores a hard link made read-only, also over a link to the same object", async () => {
    const store = new ObjectStore(cacheDir, { hasher: h });
    const a = file("a.txt", "alpha");
    await store.put(a.path, a.digest);
    const target = join(dir, "out", "x.bin");
    const first = await store.restore(a.digest, target, { link: "hardlink" });
    expect(first).toEqual({ ok: true, value: { method: "hardlink" } });
    expect(statSync(target).ino).toBe(statSync(store.pathOf(a.digest)).ino);
    expect(statSync(target).mode & 0o777).toBe(0o444);
    if (process.getuid?.() !== 0) expect(() => writeFileSync(target, "edit")).toThrow(/EACCES/);
    // rename() between two names of one inode is a no-op; the temporary name must not stay behind.
    expect(await store.restore(a.digest, target, { link: "hardlink" })).toEqual({ ok: true, value: { method: "hardlink" } });
    expect(readdirSync(join(dir, "out"))).toEqual(["x.bin"]);
  });

  it("replaces a corrupt object (a hard-linked output edited after chmod) the next time its content is put", async () => {
    const store = new ObjectStore(cacheDir, { hasher: h });
    const a = file("a.txt", "alpha");
    await store.put(a.path, a.digest);
    const target = join(dir, "out", "x.bin");
    await store.restore(a.digest, target, { link: "hardlink" });
    chmodSync(target, 0o644);
    writeFileSync(target, "ALPHA");
    expect(readFileSync(store.pathOf(a.digest), "utf8")).toBe("ALPHA");
    // The node runs again and writes the same content as before into a new file.
    const again = file("again.txt", "alpha");
    const put = await store.put(again.path, again.digest);
    expect(put.stored).toBe(true);
    expect(readFileSync(store.pathOf(a.digest), "utf8")).toBe("alpha");
    expect(statSync(store.pathOf(a.digest)).mode & 0o777).toBe(0o444);
    expect((await store.put(again.path, again.digest)).stored).toBe(false);
    expect((await collect(store.verify())).every((o) => o.ok)).toBe(true);
  });

  it("reports a missing object and leaves the target untouched", async () => {
    const store = new ObjectStore(cacheDir, { hasher: h });
    const target = join(dir, "out.txt");
    writeFileSync(target, "keep me");
    expect(await store.restore("0123456789abcdef", target)).toEqual({ ok: false, error: { reason: "object-missing", digest: "0123456789abcdef" } });
    expect(await store.restore("0123456789abcdef", target, { link: "hardlink" })).toEqual({
      ok: false,
      error: { reason: "object-missing", digest: "0123456789abcdef" },
    });
    expect(readFileSync(target, "utf8")).toBe("keep me");
    expect(readdirSync(dir)).toEqual(["out.txt"]);
  });

  it("leaves the target untouched and no temporary file when the copy fails mid-way (object vanishing)", async () => {
    const a = file("a.txt", "alpha");
    let failing = false;
    const store = new ObjectStore(cacheDir, {
      hasher: h,
      files: {
        link,
        async copyFile(source, destination, mode) {
          if (!failing) return copyFile(source, destination, mode);
          writeFileSync(destination, "alp"); // a partial copy, then the source disappears
          rmSync(source, { force: true });
          throw Object.assign(new Error(`ENOENT: no such file or directory, copyfile '${source}'`), { code: "ENOENT" });
        },
      },
    });
    await store.put(a.path, a.digest);
    const target = join(dir, "out", "t.txt");
    mkdirSync(join(dir, "out"));
    writeFileSync(target, "previous output");
    failing = true;
    expect(await store.restore(a.digest, target)).toEqual({ ok: false, error: { reason: "object-missing", digest: a.digest } });
    expect(readFileSync(target, "utf8")).toBe("previous output");
    expect(readdirSync(join(dir, "out"))).toEqual(["t.txt"]);
  });

  it("reports other restore failures as values", async () => {
    const a = file("a.txt", "alpha");
    const store = new ObjectStore(cacheDir, { hasher: h });
    await store.put(a.path, a.digest);
    writeFileSync(join(dir, "blocker"), "a file where a folder should be");
    const result = await store.restore(a.digest, join(dir, "blocker", "t.txt"));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.reason).toBe("restore-failed");
  });

  it("leaves no object when a put fails mid-way", async () => {
    const a = file("a.txt", "alpha");
    const store = new ObjectStore(cacheDir, {
      hasher: h,
      files: {
        link,
        copyFile(_source, destination) {
          writeFileSync(destination, "al");
          return Promise.reject(Object.assign(new Error("EIO: i/o error"), { code: "EIO" }));
        },
      },
    });
    await expect(store.put(a.path, a.digest)).rejects.toThrow("EIO");
    expect(await store.has(a.digest)).toBe(false);
    expect(readdirSync(join(cacheDir, "objects", a.digest.slice(0, 2)))).toEqual([]);
  });

  it("verify detects an object whose bytes were overwritten", async () => {
    const store = new ObjectStore(cacheDir, { hasher: h });
    const a = file("a.txt", "alpha");
    const b = file("b.txt", "beta");
    await store.put(a.path, a.digest);
    await store.put(b.path, b.digest);
    const objectB = store.pathOf(b.digest);
    chmodSync(objectB, 0o644);
    writeFileSync(objectB, "bet!");
    const results = await collect(store.verify());
    const byDigest = new Map(results.map((r): [string, VerifiedObject] => [r.digest, r]));
    expect(byDigest.get(a.digest)).toEqual({ digest: a.digest, ok: true, size: 5 });
    expect(byDigest.get(b.digest)).toEqual({ digest: b.digest, ok: false, actual: h.digestString("bet!"), size: 4 });
  });

  it("lists, sizes and removes objects, and sweeps stale temporary files", async () => {
    const store = new ObjectStore(cacheDir, { hasher: h });
    expect(await store.du()).toEqual({ objects: 0, bytes: 0 });
    const a = file("a.txt", "alpha");
    const b = file("b.txt", "beta");
    await store.put(a.path, a.digest);
    await store.put(b.path, b.digest);
    expect(await store.du()).toEqual({ objects: 2, bytes: 9 });
    const stale = join(cacheDir, "objects", a.digest.slice(0, 2), `.${a.digest}.1-x.tmp`);
    const fresh = join(cacheDir, "objects", b.digest.slice(0, 2), `.${b.digest}.2-y.tmp`);
    writeFileSync(stale, "half");
    writeFileSync(fresh, "half");
    utimesSync(stale, new Date(Date.now() - 7_200_000), new Date(Date.now() - 7_200_000));
    expect((await collect(store.list())).map((o) => o.digest).sort()).toEqual([a.digest, b.digest].sort());
    expect(await store.removeTemps()).toBe(1);
    expect([existsSync(stale), existsSync(fresh)]).toEqual([false, true]);
    expect(await store.remove(a.digest)).toBe(true);
    expect(await store.remove(a.digest)).toBe(false);
    expect(await store.du()).toEqual({ objects: 1, bytes: 4 });
  });

  it("refuses a non-digest as an object name", () => {
    const store = new ObjectStore(cacheDir, { hasher: h });
    expect(() => store.pathOf("../../etc/passwd")).toThrow('Internal error: not a content digest: "../../etc/passwd"');
  });
});
