/**
 * Content digests of files, memoised by (device, inode, size, mtime and ctime in ns) so a file
 * whose stat is unchanged is never read again (STYLE.md "Digest each file once"). The memo is
 * kept in `<cacheDir>/file-digests.json` between runs.
 *
 * Why ctime too: a same-size edit in place followed by `touch -r` (or any utimes call) restores
 * size and mtime, but the kernel sets ctime to now on every write and every utimes, and no
 * system call sets it back; so such an edit always misses the memo and is digested again.
 *
 * The memo is advisory: losing it (a crash before `save`, two processes saving at once, a
 * corrupt file) only costs re-reading files; an entry is a fact "a file with this stat had
 * this content", which stays true for as long as the stat matches.
 *
 * Racy entries. File systems stamp mtime with a coarse clock (a kernel tick on Linux, up to
 * ~10 ms; whole seconds on some network and FAT file systems). A write landing in the same
 * tick as the mtime we recorded, after we read the file, would change the content without
 * changing the stat, and we would keep serving the old digest. So an entry read less than one
 * tick after its mtime (the read began within `racyWindowNs` of the mtime) is kept only as
 * *racy*: it is not trusted on lookup (the file is read again, by which time it is old enough
 * to be trusted) and it is not saved. This is git's "racily clean" rule. It assumes the file
 * system's clock and ours agree (true for local file systems).
 */
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import type { FileDigest, Hasher } from "./hash.js";
import { isNotAFile } from "./hash.js";
import { readCacheFile } from "./cache-damage.js";

/** The stat fields the memo is keyed by; a `fs.BigIntStats` (`stat(path, {bigint: true})`) is one. */
export interface StatKey {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly size: bigint;
  /** Modification time in ns since the epoch. */
  readonly mtimeNs: bigint;
  /** Inode change time in ns since the epoch (see the module comment). */
  readonly ctimeNs: bigint;
}

/** File access used by `FileDigestCache` (tests pass a counting or fake one). */
export interface DigestFiles {
  /** The file's stat, or undefined when it does not exist. */
  stat(path: string): Promise<StatKey | undefined>;
  /** Reads and digests the whole file; rejects with ENOENT when it is gone. */
  read(path: string): Promise<FileDigest>;
  /** `stat` without a promise, when the collaborator can (enables {@link FileDigestCache.peek}). */
  readonly statSync?: (path: string) => StatKey | undefined;
}

/** Collaborators and tuning for `FileDigestCache.open`. */
export interface FileDigestCacheOptions {
  /** File access; default: `fs.stat` with bigint times and `hasher.streamFile`. */
  readonly files?: DigestFiles;
  /** Wall clock in ns since the epoch, for the racy-entry rule; default `Date.now() × 10⁶`. */
  readonly clock?: () => bigint;
}

/** File name of the memo inside the cache folder. */
export const FILE_DIGESTS_FILE = "file-digests.json";

/** The "digest" of a folder found where a file should be: no hex digest equals it. */
export const NOT_A_FILE = "not-a-file";

const FORMAT_VERSION = 4;
/** Reading tries this many times when the file changes while it is read. */
const READ_ATTEMPTS = 3;

/**
 * On disk: `{"version": 4, "paths": [...], "entries": [...]}`, where `entries[i]` is
 * `"dev:ino:size:mtimeNs:ctimeNs:digest"` (decimal numbers) for `paths[i]`. Two flat string arrays
 * parse about twice as fast as an object keyed by path, and the memo keeps each entry as that
 * one string (compared by prefix), so loading parses no numbers: 100k entries load in about
 * 0.1 s (scripts/bench-state-store.ts measures it).
 */
interface SavedFile {
  readonly version: number;
  readonly paths: readonly string[];
  readonly entries: readonly string[];
}

/**
 * Window within which an entry read after its mtime is racy, in ns: 2 s when the mtime is a
 * whole second (a file system with coarse timestamps: FAT has 2 s, HFS+ and some NFS servers
 * 1 s), else 20 ms (twice the longest Linux tick, at HZ=100).
 */
export function racyWindowNs(mtimeNs: bigint): bigint {
  return mtimeNs % 1_000_000_000n === 0n ? 2_000_000_000n : 20_000_000n;
}

/** The memo key of a stat: `dev:ino:size:mtimeNs:ctimeNs` (the freshness snapshot keeps stamps in this form too). */
export function statKey(stat: StatKey): string {
  return `${stat.dev.toString()}:${stat.ino.toString()}:${stat.size.toString()}:${stat.mtimeNs.toString()}:${stat.ctimeNs.toString()}`;
}

function sameStat(a: StatKey, b: StatKey): boolean {
  return a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.size === b.size && a.ino === b.ino && a.dev === b.dev;
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

function defaultFiles(hasher: Pick<Hasher, "streamFile">): DigestFiles {
  return {
    // Synchronous on purpose: a no-op run stats every output one after another, and a
    // sync stat costs ~3 µs where an awaited one costs ~12 µs of thread-pool round trip.
    stat(path) {
      try {
        return Promise.resolve(statSync(path, { bigint: true, throwIfNoEntry: false }));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    read: (path) => hasher.streamFile(path),
    statSync: (path) => statSync(path, { bigint: true, throwIfNoEntry: false }),
  };
}

function parseSaved(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  let saved: { readonly version?: unknown; readonly paths?: unknown; readonly entries?: unknown } | null;
  try {
    saved = JSON.parse(text) as typeof saved;
  } catch {
    return entries;
  }
  if (saved?.version !== FORMAT_VERSION) return entries;
  const paths: unknown = saved.paths;
  const rows: unknown = saved.entries;
  if (!Array.isArray(paths) || !Array.isArray(rows) || paths.length !== rows.length) return entries;
  for (let i = 0; i < paths.length; i++) {
    const path: unknown = paths[i];
    const row: unknown = rows[i];
    if (typeof path === "string" && typeof row === "string") entries.set(path, row);
  }
  return entries;
}

/** The digest in an entry `key:digest` when its key is `key`, else undefined. */
function digestIfKey(entry: string | undefined, key: string): string | undefined {
  // The key has exactly four colons and the digest none, so "key + ':'" as a prefix is an exact match.
  return entry !== undefined && entry.startsWith(key) && entry.charCodeAt(key.length) === 58 ? entry.slice(key.length + 1) : undefined;
}

/** Memoised content digests of files (see the module comment). Paths are resolved to absolute paths. */
export class FileDigestCache {
  readonly #file: string;
  readonly #files: DigestFiles;
  readonly #clock: () => bigint;
  /** Absolute path → `statKey:digest`. */
  readonly #entries: Map<string, string>;
  /** Paths whose entry is racy (see the module comment): read again on lookup, not saved. */
  readonly #racy = new Set<string>();
  readonly #inFlight = new Map<string, Promise<FileDigest | undefined>>();
  #dirty = false;

  private constructor(file: string, entries: Map<string, string>, files: DigestFiles, clock: () => bigint) {
    this.#file = file;
    this.#entries = entries;
    this.#files = files;
    this.#clock = clock;
  }

  /** Loads `<cacheDir>/file-digests.json` (a missing or unreadable memo starts empty). */
  static async open(cacheDir: string, hasher: Pick<Hasher, "streamFile">, options: FileDigestCacheOptions = {}): Promise<FileDigestCache> {
    const file = join(cacheDir, FILE_DIGESTS_FILE);
    let entries = new Map<string, string>();
    try {
      // Read only when a regular file (a FIFO would block); anything else is an empty memo (the engine reports it).
      const text = await readCacheFile(file);
      if (typeof text === "string") entries = parseSaved(text);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    return new FileDigestCache(file, entries, options.files ?? defaultFiles(hasher), options.clock ?? (() => BigInt(Date.now()) * 1_000_000n));
  }

  /** Number of memoised files (racy ones included). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The content digest and size of a file, or undefined when it does not exist. Reads the file
   * only when its stat differs from the memo (or the memo entry is racy). Concurrent calls for
   * one path share one read. If the file keeps changing while it is read (its stat differs
   * before and after, three times), the last digest is returned and not memoised.
   * Other file-system errors (EACCES, EISDIR, ...) reject.
   */
  digest(path: string): Promise<FileDigest | undefined> {
    const abs = resolve(path);
    const running = this.#inFlight.get(abs);
    if (running !== undefined) return running;
    const work = this.#digest(abs).finally(() => this.#inFlight.delete(abs));
    this.#inFlight.set(abs, work);
    return work;
  }

  /**
   * The memoised digest of a file whose stat still matches, without a promise: `null` when
   * the file does not exist, undefined when only {@link digest} can tell (no trusted entry
   * matches, or the file-access collaborator has no `statSync`). A no-op run checks every
   * output this way.
   */
  peek(path: string): FileDigest | null | undefined {
    const statNow = this.#files.statSync;
    if (statNow === undefined) return undefined;
    const abs = isAbsolute(path) && !path.includes("/.") && !path.includes("//") ? path : resolve(path);
    if (this.#inFlight.has(abs) || this.#racy.has(abs)) return undefined;
    const stat = statNow(abs);
    if (stat === undefined) return this.#entries.has(abs) ? undefined : null;
    const known = digestIfKey(this.#entries.get(abs), statKey(stat));
    return known === undefined ? undefined : { digest: known, size: Number(stat.size) };
  }

  /**
   * The stamp (`dev:ino:size:mtimeNs:ctimeNs`) under which the memo trusts `path` to have
   * content `digest`, without touching the file; undefined when it trusts no such thing (no
   * entry, another digest, a racy entry or a read in flight). The freshness snapshot
   * (fresh-snapshot.ts) keeps these stamps.
   */
  trustedStamp(path: string, digest: string): string | undefined {
    const abs = resolve(path);
    if (this.#inFlight.has(abs) || this.#racy.has(abs)) return undefined;
    const entry = this.#entries.get(abs);
    if (entry === undefined) return undefined;
    const colon = entry.lastIndexOf(":");
    return entry.slice(colon + 1) === digest ? entry.slice(0, colon) : undefined;
  }

  async #digest(abs: string): Promise<FileDigest | undefined> {
    let before = await this.#files.stat(abs);
    if (before === undefined) return this.#forgetMissing(abs);
    const known = this.#racy.has(abs) ? undefined : digestIfKey(this.#entries.get(abs), statKey(before));
    if (known !== undefined) return { digest: known, size: Number(before.size) };
    let result: FileDigest | undefined;
    for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      const readStart = this.#clock();
      try {
        result = await this.#files.read(abs);
      } catch (error) {
        if (isMissing(error)) return this.#forgetMissing(abs);
        // A folder (or a FIFO, a device) where a file should be: a content that matches no file's digest (so an
        // output replaced by a folder reads as modified), never memoised.
        if (isNotAFile(error)) return { digest: NOT_A_FILE, size: 0 };
        throw error;
      }
      const after = await this.#files.stat(abs);
      if (after === undefined) return this.#forgetMissing(abs);
      // Why compare stats around the read: a writer active during the read gives a digest
      // of a mix of old and new bytes; memoising it under either stat would be wrong.
      if (sameStat(before, after) && BigInt(result.size) === after.size) {
        this.#set(abs, `${statKey(after)}:${result.digest}`, readStart - after.mtimeNs > racyWindowNs(after.mtimeNs));
        this.#dirty = true;
        return result;
      }
      before = after;
    }
    this.#delete(abs);
    return result;
  }

  #set(abs: string, entry: string, trusted: boolean): void {
    this.#entries.set(abs, entry);
    if (trusted) this.#racy.delete(abs);
    else this.#racy.add(abs);
    this.#dirty = true;
  }

  #delete(abs: string): void {
    this.#racy.delete(abs);
    if (this.#entries.delete(abs)) this.#dirty = true;
  }

  #forgetMissing(abs: string): undefined {
    this.#delete(abs);
    return undefined;
  }

  /**
   * Memoises the digest of a file the caller has just written and digested while writing
   * (an output), so it is not read again. `stat` must be taken after the file was closed
   * and renamed into place. Unlike entries found by reading, these are trusted at once: the
   * caller produced exactly these bytes, and only a foreign write within the same clock tick
   * as ours could hide behind an unchanged stat — not a case cmbflow defends against.
   */
  remember(path: string, stat: StatKey, digest: string): void {
    this.#set(resolve(path), `${statKey(stat)}:${digest}`, true);
  }

  /** Drops the memo of one path (e.g. a file that cmbflow deleted). */
  forget(path: string): void {
    this.#delete(resolve(path));
  }

  /** Drops the memo of every path for which `keep` returns false (clean-up of files no longer referenced). */
  prune(keep: (absolutePath: string) => boolean): void {
    for (const path of [...this.#entries.keys()]) if (!keep(path)) this.#delete(path);
  }

  /** Writes the memo (trusted entries only) atomically: a temporary file in the cache folder renamed over the old one. No-op when nothing changed. */
  async save(): Promise<void> {
    if (!this.#dirty) return;
    // Cleared before the snapshot (taken synchronously), so a change made while the write is pending marks the memo dirty again.
    this.#dirty = false;
    const paths: string[] = [];
    const entries: string[] = [];
    for (const [path, entry] of this.#entries) {
      if (this.#racy.has(path)) continue;
      paths.push(path);
      entries.push(entry);
    }
    const saved: SavedFile = { version: FORMAT_VERSION, paths, entries };
    const temp = `${this.#file}.${String(process.pid)}-${Math.random().toString(36).slice(2)}.tmp`;
    await mkdir(resolve(this.#file, ".."), { recursive: true });
    try {
      await writeFile(temp, JSON.stringify(saved));
      // Why rename: a reader (another process opening the memo) sees the old or the new file, never half of one.
      await rename(temp, this.#file);
    } catch (error) {
      this.#dirty = true;
      await rm(temp, { force: true });
      throw error;
    }
  }
}
