/**
 * Scan results of reductions, kept per simulation (DESIGN.md: "scans are cached per sim, so
 * adding sims scans only the new ones"). A reduction's sift still runs over every result,
 * but a simulation whose scan inputs and stage are unchanged is not scanned again.
 *
 * Key: a digest of the stage's stage, code and parameter parts, the scanned partition, and
 * the recorded outputs (path and digest) of the dependency nodes that partition reads. So a
 * code or parameter change, or a changed input, re-scans; a new simulation scans only itself.
 *
 * On disk: `cache/scans/<first two hex digits>/<key>.v8`, written whole (temporary file and
 * rename): 16 hex digits of the digest of the key line and payload, a newline, `key:` and the
 * key and a newline, then the value as `v8.serialize` (what crosses between worker threads, typed
 * arrays included). A result is bound to its key: a file whose key line is not the key it was
 * looked up by (copied or renamed by hand, or written by an older format), or whose content
 * does not match its digest, is ignored and removed, so the scan runs again; `cache verify`
 * reports such files. Reading a result touches its mtime, so `cache gc` can drop results no
 * recent run used.
 */
import { mkdir, readdir, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { kindOf, putAsideUnlessFile } from "./cache-damage.js";
import { isNotAFile, readRegularFile } from "./hash.js";
import { basename, dirname, join } from "node:path";
import { deserialize, serialize } from "node:v8";
import type { Hasher } from "./hash.js";

/** Folder of scan results inside the cache folder. */
export const SCANS_DIR = "scans";
const DIGEST_CHARS = 16;
/** Starts the key line; a file of the older format (payload right after the digest) never does. */
const KEY_LINE = "key:";

/** Per-simulation scan results under one cache folder. */
export class ScanCache {
  readonly #dir: string;
  readonly #cacheDir: string;
  readonly #hasher: Hasher;

  constructor(cacheDir: string, hasher: Hasher) {
    this.#dir = join(cacheDir, SCANS_DIR);
    this.#cacheDir = cacheDir;
    this.#hasher = hasher;
  }

  pathOf(key: string): string {
    return join(this.#dir, key.slice(0, 2), `${key}.v8`);
  }

  /** The stored value under `key`, or undefined when there is none (or it was damaged or is another key's: then it is removed). */
  async get(key: string): Promise<{ readonly value: unknown } | undefined> {
    const path = this.pathOf(key);
    let bytes: Buffer;
    try {
      bytes = await readRegularFile(path);
    } catch {
      // Missing, or a folder or FIFO in its place (which `put` moves aside before storing).
      return undefined;
    }
    const parsed = this.#parse(bytes);
    if (typeof parsed === "string" || parsed.key !== key) {
      await rm(path, { force: true });
      return undefined;
    }
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined);
    return { value: deserialize(parsed.payload) as unknown };
  }

  /** Stores `value` under `key`, replacing any previous file whole. */
  async put(key: string, value: unknown): Promise<void> {
    const body = Buffer.concat([Buffer.from(`${KEY_LINE}${key}\n`, "utf8"), serialize(value)]);
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    await putAsideUnlessFile(this.#cacheDir, path);
    const temp = `${path}.${String(process.pid)}-${Math.random().toString(36).slice(2)}.tmp`;
    try {
      await writeFile(temp, Buffer.concat([Buffer.from(`${this.#hasher.digestBytes(body)}\n`, "latin1"), body]));
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  /**
   * Re-reads every stored result: each one whose content does not match its digest, or whose
   * key line is not its file name's key, with what is wrong (for `cache verify`).
   */
  async *verify(): AsyncIterable<{ readonly path: string; readonly ok: boolean; readonly problem?: string }> {
    for await (const file of this.#files()) {
      if (file.kind !== undefined) {
        yield { path: file.path, ok: false, problem: `${file.kind} where a file should be` };
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = await readRegularFile(file.path);
      } catch (error) {
        if (isNotAFile(error)) yield { path: file.path, ok: false, problem: "not a regular file" };
        continue; // Else removed meanwhile (a run replacing it, or gc).
      }
      const parsed = this.#parse(bytes);
      const named = basename(file.path).slice(0, -".v8".length);
      if (typeof parsed === "string") yield { path: file.path, ok: false, problem: parsed };
      else if (parsed.key !== named) yield { path: file.path, ok: false, problem: `it holds the result of key ${parsed.key}` };
      else yield { path: file.path, ok: true };
    }
  }

  /** A file's key and payload, or what is wrong with it. */
  #parse(bytes: Buffer): { readonly key: string; readonly payload: Buffer } | string {
    const body = bytes.subarray(DIGEST_CHARS + 1);
    if (bytes.length <= DIGEST_CHARS || bytes[DIGEST_CHARS] !== 10 || bytes.toString("latin1", 0, DIGEST_CHARS) !== this.#hasher.digestBytes(body)) {
      return "its content does not match its digest";
    }
    const end = body.indexOf(10);
    if (end < 0 || body.toString("latin1", 0, KEY_LINE.length) !== KEY_LINE) return "it has no key line (written by an older cmbflow)";
    return { key: body.toString("utf8", KEY_LINE.length, end), payload: body.subarray(end + 1) };
  }

  /** Count and bytes of stored results. */
  async du(): Promise<{ readonly results: number; readonly bytes: number }> {
    let results = 0;
    let bytes = 0;
    for await (const { size, kind } of this.#files()) {
      if (kind !== undefined) continue;
      results++;
      bytes += size;
    }
    return { results, bytes };
  }

  /** Removes results not read or written since `since` (ms since the epoch); returns how many and their bytes. */
  async removeUnusedSince(since: number): Promise<{ readonly removed: number; readonly bytes: number }> {
    let removed = 0;
    let bytes = 0;
    for await (const file of this.#files()) {
      if (file.kind !== undefined || file.mtimeMs >= since) continue;
      await rm(file.path, { force: true });
      removed++;
      bytes += file.size;
    }
    return { removed, bytes };
  }

  /**
   * Removes a damaged result: a file, or (moved to the quarantine) whatever else is there.
   * For `cache verify --remove-corrupt`; the caller holds the lock.
   */
  async remove(path: string): Promise<void> {
    if (!(await putAsideUnlessFile(this.#cacheDir, path))) await rm(path, { force: true });
  }

  /** Every result file; `kind` says what an entry that is not a regular file is. */
  async *#files(): AsyncIterable<{ readonly path: string; readonly size: number; readonly mtimeMs: number; readonly kind?: string }> {
    let shards: string[];
    try {
      shards = await readdir(this.#dir);
    } catch {
      return;
    }
    for (const shard of shards) {
      let names: string[];
      try {
        names = await readdir(join(this.#dir, shard));
      } catch {
        continue;
      }
      for (const name of names) {
        if (!name.endsWith(".v8")) continue;
        const path = join(this.#dir, shard, name);
        const s = await stat(path).catch(() => undefined);
        if (s !== undefined) yield { path, size: s.size, mtimeMs: s.mtimeMs, ...(s.isFile() ? {} : { kind: kindOf(s) }) };
      }
    }
  }
}
