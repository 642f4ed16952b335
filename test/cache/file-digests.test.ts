import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DigestFiles, StatKey } from "../../src/cache/file-digests.js";
import { FILE_DIGESTS_FILE, FileDigestCache, NOT_A_FILE, racyWindowNs } from "../../src/cache/file-digests.js";
import type { Hasher } from "../../src/cache/hash.js";
import { hasher } from "../../src/cache/hash.js";

/** Real files, with every content read counted. */
function countingFiles(h: Hasher): DigestFiles & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    stat: (path) => {
      try {
        return Promise.resolve(statSync(path, { bigint: true }));
      } catch {
        return Promise.resolve(undefined);
      }
    },
    read: (path) => {
      reads.push(path);
      return h.streamFile(path);
    },
  };
}

/** A clock far after every mtime in the test, so no entry is racy. */
const later = (): bigint => BigInt(Date.now() + 60_000) * 1_000_000n;

describe("FileDigestCache", () => {
  let dir: string;
  let cacheDir: string;
  let h: Hasher;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-digests-"));
    cacheDir = join(dir, "cache");
    h = await hasher();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("reads an unchanged file once, also across save and open", async () => {
    const path = join(dir, "a.txt");
    writeFileSync(path, "alpha");
    const files = countingFiles(h);
    const cache = await FileDigestCache.open(cacheDir, h, { files, clock: later });
    const first = await cache.digest(path);
    expect(first).toEqual({ digest: h.digestString("alpha"), size: 5 });
    expect(await cache.digest(path)).toEqual(first);
    await cache.save();
    const reopened = await FileDigestCache.open(cacheDir, h, { files, clock: later });
    expect(await reopened.digest(path)).toEqual(first);
    expect(files.reads).toEqual([path]);
  });

  it("peeks without a promise: the memoised digest while the stat matches, null for a missing file, undefined when only a read can tell", async () => {
    const path = join(dir, "a.txt");
    const cache = await FileDigestCache.open(cacheDir, h, { clock: later });
    expect(cache.peek(path)).toBeNull();
    writeFileSync(path, "alpha");
    expect(cache.peek(path)).toBeUndefined();
    const read = await cache.digest(path);
    expect(cache.peek(path)).toEqual(read);
    utimesSync(path, new Date(Date.now() - 5000), new Date(Date.now() - 5000));
    expect(cache.peek(path)).toBeUndefined();
    rmSync(path);
    // Missing now, but memoised: only digest() forgets the entry, so peek defers to it.
    expect(cache.peek(path)).toBeUndefined();
    expect(await cache.digest(path)).toBeUndefined();
    expect(cache.peek(path)).toBeNull();
    // A collaborator without statSync cannot be peeked through.
    const counting = await FileDigestCache.open(cacheDir, h, { files: countingFiles(h), clock: later });
    expect(counting.peek(path)).toBeUndefined();
  });

  it("re-reads a file whose mtime changed but not its content, and gives the same digest", async () => {
    const path = join(dir, "a.txt");
    writeFileSync(path, "alpha");
    const files = countingFiles(h);
    const cache = await FileDigestCache.open(cacheDir, h, { files, clock: later });
    const first = await cache.digest(path);
    utimesSync(path, new Date(Date.now() - 5000), new Date(Date.now() - 5000));
    expect(await cache.digest(path)).toEqual(first);
    expect(files.reads).toHaveLength(2);
  });

  it("detects a rewrite of the same size with different content once the mtime differs", async () => {
    const path = join(dir, "a.txt");
    writeFileSync(path, "alpha");
    utimesSync(path, 1_000_000, 1_000_000);
    const cache = await FileDigestCache.open(cacheDir, h, { clock: later });
    expect((await cache.digest(path))?.digest).toBe(h.digestString("alpha"));
    writeFileSync(path, "omega");
    utimesSync(path, 1_000_001, 1_000_001);
    expect(await cache.digest(path)).toEqual({ digest: h.digestString("omega"), size: 5 });
  });

  it("returns undefined for a missing file and forgets a file that disappeared", async () => {
    const path = join(dir, "a.txt");
    const cache = await FileDigestCache.open(cacheDir, h, { clock: later });
    expect(await cache.digest(path)).toBeUndefined();
    writeFileSync(path, "alpha");
    await cache.digest(path);
    expect(cache.size).toBe(1);
    rmSync(path);
    expect(await cache.digest(path)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("gives a folder found where a file was a digest no file has, and does not memoise it", async () => {
    const path = join(dir, "a.txt");
    const cache = await FileDigestCache.open(cacheDir, h, { clock: later });
    writeFileSync(path, "alpha");
    await cache.digest(path);
    rmSync(path);
    mkdirSync(path);
    expect(await cache.digest(path)).toEqual({ digest: NOT_A_FILE, size: 0 });
    expect(cache.peek(path)).toBeUndefined();
  });

  it("does not trust an entry read within the racy window of its mtime: reads again, does not save it", async () => {
    const path = join(dir, "a.txt");
    writeFileSync(path, "alpha");
    const mtimeNs = statSync(path, { bigint: true }).mtimeNs;
    let now = mtimeNs + 1_000_000n; // read 1 ms after the write: a write in the same tick could hide
    const files = countingFiles(h);
    const cache = await FileDigestCache.open(cacheDir, h, { files, clock: () => now });
    await cache.digest(path);
    await cache.save();
    expect(JSON.parse(readFileSync(join(cacheDir, FILE_DIGESTS_FILE), "utf8"))).toEqual({ version: 4, paths: [], entries: [] });
    now = mtimeNs + 5_000_000_000n;
    await cache.digest(path); // read again, now old enough to trust
    await cache.digest(path); // trusted
    expect(files.reads).toHaveLength(2);
    await cache.save();
    const saved = JSON.parse(readFileSync(join(cacheDir, FILE_DIGESTS_FILE), "utf8")) as { paths: string[] };
    expect(saved.paths).toEqual([path]);
  });

  it("uses a 2 s racy window for whole-second mtimes (coarse file systems), else 20 ms", () => {
    expect(racyWindowNs(1_714_557_600_000_000_000n)).toBe(2_000_000_000n);
    expect(racyWindowNs(1_714_557_600_123_456_789n)).toBe(20_000_000n);
  });

  it("remembers outputs digested while written, without reading them", async () => {
    const path = join(dir, "out.bin");
    writeFileSync(path, "written by a node");
    const files = countingFiles(h);
    const cache = await FileDigestCache.open(cacheDir, h, { files, clock: later });
    cache.remember(path, statSync(path, { bigint: true }), "0123456789abcdef");
    expect(await cache.digest(path)).toEqual({ digest: "0123456789abcdef", size: 17 });
    await cache.save();
    const reopened = await FileDigestCache.open(cacheDir, h, { files, clock: later });
    expect((await reopened.digest(path))?.digest).toBe("0123456789abcdef");
    expect(files.reads).toEqual([]);
    const st = statSync(path, { bigint: true });
    expect(JSON.parse(readFileSync(join(cacheDir, FILE_DIGESTS_FILE), "utf8"))).toEqual({
      version: 4,
      paths: [path],
      entries: [`${st.dev.toString()}:${st.ino.toString()}:17:${st.mtimeNs.toString()}:${st.ctimeNs.toString()}:0123456789abcdef`],
    });
  });

  it("reads a file again after a same-size edit whose mtime was put back (touch -r): its ctime changed", async () => {
    const path = join(dir, "same-size.txt");
    writeFileSync(path, "alpha");
    // A whole-second mtime, so that putting it back restores it to the nanosecond.
    utimesSync(path, 1_700_000_000, 1_700_000_000);
    const before = statSync(path, { bigint: true });
    const files = countingFiles(h);
    const cache = await FileDigestCache.open(cacheDir, h, { files, clock: later });
    expect((await cache.digest(path))?.digest).toBe(h.digestString("alpha"));
    await cache.save();
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(path, "omega");
    utimesSync(path, 1_700_000_000, 1_700_000_000);
    const after = statSync(path, { bigint: true });
    expect([after.ino, after.size, after.mtimeNs]).toEqual([before.ino, before.size, before.mtimeNs]);
    const reopened = await FileDigestCache.open(cacheDir, h, { files, clock: later });
    expect(reopened.peek(path)).toBeUndefined();
    expect((await reopened.digest(path))?.digest).toBe(h.digestString("omega"));
  });

  it("shares one read among concurrent lookups of a path", async () => {
    const path = join(dir, "a.txt");
    writeFileSync(path, "alpha");
    const files = countingFiles(h);
    const cache = await FileDigestCache.open(cacheDir, h, { files, clock: later });
    const results = await Promise.all([cache.digest(path), cache.digest(join(dir, ".", "a.txt")), cache.digest(path)]);
    expect(new Set(results.map((r) => r?.digest))).toEqual(new Set([h.digestString("alpha")]));
    expect(files.reads).toHaveLength(1);
  });

  it("does not memoise a file that keeps changing while it is read", async () => {
    let mtime = 1_000_000_000_000n;
    const stat = (): Promise<StatKey> => {
      mtime += 1_000_000_000n;
      return Promise.resolve({ dev: 1n, ino: 2n, size: 3n, mtimeNs: mtime, ctimeNs: mtime });
    };
    let reads = 0;
    const files: DigestFiles = {
      stat,
      read: () => {
        reads += 1;
        return Promise.resolve({ digest: `digest${String(reads).padStart(10, "0")}`, size: 3 });
      },
    };
    const cache = await FileDigestCache.open(cacheDir, h, { files, clock: later });
    expect(await cache.digest("/x")).toEqual({ digest: "digest0000000003", size: 3 });
    expect(reads).toBe(3);
    expect(cache.size).toBe(0);
  });

  it("starts empty from a corrupt memo file, and saves atomically over it", async () => {
    const path = join(dir, "a.txt");
    writeFileSync(path, "alpha");
    const files = countingFiles(h);
    const cache = await FileDigestCache.open(cacheDir, h, { files, clock: later });
    await cache.digest(path);
    await cache.save();
    writeFileSync(join(cacheDir, FILE_DIGESTS_FILE), '{"version":4,"paths":["/a"],"entries":["1:2');
    const broken = await FileDigestCache.open(cacheDir, h, { files, clock: later });
    expect(broken.size).toBe(0);
    await broken.digest(path);
    await broken.save();
    expect(files.reads).toHaveLength(2);
    expect((await FileDigestCache.open(cacheDir, h, { files, clock: later })).size).toBe(1);
  });

  it("forgets and prunes entries", async () => {
    const cache = await FileDigestCache.open(cacheDir, h, { clock: later });
    const st: StatKey = { dev: 1n, ino: 1n, size: 1n, mtimeNs: 1n, ctimeNs: 1n };
    cache.remember("/p/a", st, "aaaaaaaaaaaaaaaa");
    cache.remember("/p/b", st, "bbbbbbbbbbbbbbbb");
    cache.remember("/q/c", st, "cccccccccccccccc");
    cache.forget("/p/a");
    cache.prune((path) => path.startsWith("/p/"));
    expect(cache.size).toBe(1);
  });
});
