/**
 * Content-addressed object store for the run-cache: `<cacheDir>/objects/<first 2 hex>/<digest>`.
 * An object's name is the digest of its content, so an object is written once and never
 * changed; it is kept read-only (0444).
 *
 * Invariant: a file at an object path is complete. Objects are copied to a temporary file in
 * the same folder and renamed into place (rename is atomic within a file system), so a crash
 * leaves at most a stray temporary file (dot-named, skipped by every listing and removed by
 * `removeTemps`), never a truncated object. Restores likewise go through a temporary file
 * beside the target, so a failed restore leaves the target as it was.
 *
 * Copies use `copyFile` with copy-on-write cloning (reflink) when the file system supports it
 * (btrfs, XFS, APFS, ...): a clone shares the blocks, so storing and restoring a 48 MiB map
 * costs metadata only. Elsewhere it is a plain copy.
 */
import { constants } from "node:fs";
import { chmod, copyFile, link, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { err, ok } from "../diagnostics/result.js";
import type { Result } from "../diagnostics/result.js";
import type { Hasher } from "./hash.js";
import { isNotAFile } from "./hash.js";
import { kindOf, putAsideUnlessFile } from "./cache-damage.js";
import { hostLabel } from "./lock.js";

/** How `restore` puts a file in place: an independent copy (reflink when possible) or a hard link to the object. */
export type LinkMode = "copy" | "hardlink";

/** How bytes were copied: a copy-on-write clone, or a plain copy (the file system could not clone). */
export type CopyMethod = "reflink" | "copy";

/** How a restore happened. `hardlink` falls back to a copy when linking is impossible (another file system). */
export type RestoreMethod = CopyMethod | "hardlink";

/** Outcome of `put`. */
export interface PutResult {
  /** False when the object was already present (nothing copied). */
  readonly stored: boolean;
  /** How the bytes were copied, when `stored`. */
  readonly method?: CopyMethod;
}

/** A restore that could not happen; the target is unchanged. */
export type RestoreFailure =
  | { readonly reason: "object-missing"; readonly digest: string }
  | { readonly reason: "restore-failed"; readonly digest: string; readonly target: string; readonly message: string };

/** Result of re-digesting one object. */
export interface VerifiedObject {
  readonly digest: string;
  /** True when the content still has its name's digest. */
  readonly ok: boolean;
  /** The content's actual digest, when not ok. */
  readonly actual?: string;
  /** Bytes read. */
  readonly size: number;
  /** What is wrong when the entry is not a regular file (e.g. `a directory where a file should be`). */
  readonly problem?: string;
}

/** An object in the store. */
export interface StoredObject {
  readonly digest: string;
  /** Apparent size in bytes (clones share blocks, so disk use may be lower). */
  readonly size: number;
}

/** File operations the store copies and links with (tests fake them to fail mid-way). */
export interface ObjectFiles {
  copyFile(source: string, destination: string, mode: number): Promise<void>;
  link(existing: string, newPath: string): Promise<void>;
}

/** Collaborators of `ObjectStore`. */
export interface ObjectStoreOptions {
  /** Re-digests objects in `verify`. */
  readonly hasher: Pick<Hasher, "streamFile">;
  /** Default: node:fs/promises. */
  readonly files?: ObjectFiles;
  /**
   * The content digest of an object file already present, for `put` (default: read it with
   * `hasher.streamFile`). The engine passes its file-digest memo, keyed by stat including
   * ctime: an object edited through a hard link is read again, an untouched one is not.
   */
  readonly digestOf?: (path: string) => Promise<{ readonly digest: string } | undefined>;
}

/** Folder of the store inside the cache folder. */
export const OBJECTS_DIR = "objects";

/** Mode of a restored copy: what a newly written output gets under the usual umask 022. */
const RESTORED_COPY_MODE = 0o644;
const OBJECT_MODE = 0o444;
const DIGEST = /^[0-9a-f]{8,64}$/;
/** Errors that say "this file system pair cannot clone", after which a plain copy is used. */
const NO_CLONE = new Set(["ENOTSUP", "EOPNOTSUPP", "EINVAL", "ENOSYS", "ENOTTY", "EXDEV"]);

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Best-effort clean-up of a temporary file on a failure path: the original error is what matters. */
async function removeQuietly(path: string): Promise<void> {
  try {
    await rm(path, { force: true });
  } catch {
    // E.g. ENOTDIR when the folder could not be made; nothing was created then.
  }
}

/** `<pid>-<random>@<host>.tmp`: a sweep judges the pid only on the host that names it (see output-transaction.ts). */
function tempName(): string {
  return `${String(process.pid)}-${Math.random().toString(36).slice(2)}@${hostLabel()}.tmp`;
}

/** The content-addressed store (see the module comment). */
export class ObjectStore {
  readonly #root: string;
  readonly #cacheDir: string;
  readonly #hasher: Pick<Hasher, "streamFile">;
  readonly #files: ObjectFiles;
  readonly #digestOf: (path: string) => Promise<{ readonly digest: string } | undefined>;
  /** Set once a clone failed for a reason other than crossing file systems: stop trying. */
  #cloneUnsupported = false;

  /** A store under `<cacheDir>/objects` (created on the first `put`). */
  constructor(cacheDir: string, options: ObjectStoreOptions) {
    this.#root = join(cacheDir, OBJECTS_DIR);
    this.#cacheDir = cacheDir;
    this.#hasher = options.hasher;
    this.#files = options.files ?? { copyFile, link };
    this.#digestOf = options.digestOf ?? ((path) => this.#hasher.streamFile(path));
  }

  /** The path of an object (whether or not it exists). Throws `Internal error` for a string that is not a hex digest. */
  pathOf(digest: string): string {
    if (!DIGEST.test(digest)) throw new Error(`Internal error: not a content digest: ${JSON.stringify(digest)}`);
    return join(this.#root, digest.slice(0, 2), digest);
  }

  /** Whether the object is present. */
  async has(digest: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(digest))).isFile();
    } catch {
      return false;
    }
  }

  /**
   * Stores a copy of the file at `source` under `digest`, which the caller computed from
   * exactly these bytes (outputs are digested as they are written; `verify` catches a lie).
   * Skips the copy when the object is present with that content; an object whose content no
   * longer matches its name (edited through a hard link, say) is replaced by this good copy.
   * Rejects on I/O errors (source missing, disk
   * full); the run-cache is an optimisation, so callers typically report that as a warning.
   */
  async put(source: string, digest: string): Promise<PutResult> {
    const target = this.pathOf(digest);
    if (await this.has(digest)) {
      const present = await this.#digestOf(target).catch(() => undefined);
      if (present?.digest === digest) return { stored: false };
      // Corrupt: fall through and rename a good copy over it (the folder's write permission is
      // what rename needs, not the read-only object's).
    }
    await mkdir(dirname(target), { recursive: true });
    // A folder or a FIFO in the object's place would fail the rename below on every run: put it
    // aside (a put comes from a run, which holds the lock).
    await putAsideUnlessFile(this.#cacheDir, target);
    const temp = join(dirname(target), `.${digest}.${tempName()}`);
    try {
      const method = await this.#copy(source, temp);
      await chmod(temp, OBJECT_MODE);
      // Why rename: an object path must only ever hold complete content. Two puts of the same
      // digest racing each other both rename identical bytes into place, which is harmless.
      await rename(temp, target);
      return { stored: true, method };
    } catch (error) {
      await removeQuietly(temp);
      throw error;
    }
  }

  /**
   * Puts the object's content at `target` (folders created): through a temporary file beside
   * the target, renamed over it, so the target is replaced whole or not at all.
   *
   * `link: "copy"` (default): a reflink clone when possible, else a copy; the result is an
   * independent, writable (0644) file.
   *
   * `link: "hardlink"`: the target becomes another name of the object file — instant and no
   * extra space, but then *editing the output in place edits the cached object*, corrupting
   * every later restore of it. So the shared inode is made read-only (0444): an editor or a
   * stage that opens the file for writing gets EACCES (this includes handlers that append in
   * place), while writers that replace the file (temp + rename, as cmbflow's outputs do)
   * simply break the link. Falls back to a copy when a link is impossible (another file
   * system, link limit), reported in the method.
   */
  async restore(digest: string, target: string, options: { readonly link?: LinkMode } = {}): Promise<Result<{ readonly method: RestoreMethod }, RestoreFailure>> {
    const source = this.pathOf(digest);
    const temp = join(dirname(target), `.${basename(target)}.cmbflow-restore-${tempName()}`);
    try {
      await mkdir(dirname(target), { recursive: true });
      let method: RestoreMethod | undefined;
      if (options.link === "hardlink") method = await this.#tryLink(source, temp);
      if (method === undefined) {
        method = await this.#copy(source, temp);
        await chmod(temp, RESTORED_COPY_MODE);
      }
      await rename(temp, target);
      // Why: when target was already a hard link to this same object, rename() of one name of
      // an inode onto another name of it does nothing and leaves the temporary name behind.
      if (method === "hardlink") await rm(temp, { force: true });
      return ok({ method });
    } catch (error) {
      await removeQuietly(temp);
      if (codeOf(error) === "ENOENT" && !(await this.has(digest))) return err({ reason: "object-missing", digest });
      return err({ reason: "restore-failed", digest, target, message: messageOf(error) });
    }
  }

  async #tryLink(source: string, temp: string): Promise<RestoreMethod | undefined> {
    try {
      await this.#files.link(source, temp);
    } catch (error) {
      const code = codeOf(error);
      if (code === "EXDEV" || code === "EMLINK" || code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP") return undefined;
      throw error;
    }
    await chmod(temp, OBJECT_MODE);
    return "hardlink";
  }

  /** Copies with a forced clone first, so the method is known; a plain copy when cloning is impossible. */
  async #copy(source: string, destination: string): Promise<CopyMethod> {
    if (!this.#cloneUnsupported) {
      try {
        await this.#files.copyFile(source, destination, constants.COPYFILE_FICLONE_FORCE);
        return "reflink";
      } catch (error) {
        const code = codeOf(error);
        if (typeof code !== "string" || !NO_CLONE.has(code)) throw error;
        // Crossing file systems says nothing about the store's own file system: keep trying there.
        if (code !== "EXDEV") this.#cloneUnsupported = true;
      }
    }
    await this.#files.copyFile(source, destination, 0);
    return "copy";
  }

  /** Removes an object (an entry there that is not a file is moved to the quarantine); true when it existed. */
  async remove(digest: string): Promise<boolean> {
    const path = this.pathOf(digest);
    if (await putAsideUnlessFile(this.#cacheDir, path)) return true;
    try {
      await rm(path);
      return true;
    } catch (error) {
      if (codeOf(error) === "ENOENT") return false;
      throw error;
    }
  }

  /** Every object with its size, in no particular order. Temporary files are skipped. */
  async *list(): AsyncIterable<StoredObject> {
    for await (const entry of this.#entries()) if (entry.kind === undefined) yield { digest: entry.digest, size: entry.size };
  }

  /** Every entry named like an object; `kind` says what one that is not a regular file is. */
  async *#entries(): AsyncIterable<StoredObject & { readonly kind?: string }> {
    let prefixes: string[];
    try {
      prefixes = await readdir(this.#root);
    } catch (error) {
      // ENOTDIR: a file where the folder should be, which opening the engine reports as damage.
      if (codeOf(error) === "ENOENT" || codeOf(error) === "ENOTDIR") return;
      throw error;
    }
    for (const prefix of prefixes.sort()) {
      if (prefix.startsWith(".")) continue;
      let names: string[];
      try {
        names = await readdir(join(this.#root, prefix));
      } catch {
        continue;
      }
      for (const name of names.sort()) {
        if (name.startsWith(".") || !DIGEST.test(name)) continue;
        try {
          const info = await stat(join(this.#root, prefix, name));
          yield info.isFile() ? { digest: name, size: info.size } : { digest: name, size: 0, kind: kindOf(info) };
        } catch {
          // Removed while listing.
        }
      }
    }
  }

  /** Object count and total apparent size in bytes. */
  async du(): Promise<{ readonly objects: number; readonly bytes: number }> {
    let objects = 0;
    let bytes = 0;
    for await (const object of this.list()) {
      objects += 1;
      bytes += object.size;
    }
    return { objects, bytes };
  }

  /** Re-digests every object, yielding one result per object; `ok: false` means the object is corrupt and should be removed. */
  async *verify(): AsyncIterable<VerifiedObject> {
    for await (const { digest, kind } of this.#entries()) {
      if (kind !== undefined) {
        yield { digest, ok: false, size: 0, problem: `${kind} where a file should be` };
        continue;
      }
      let actual: { digest: string; size: number };
      try {
        actual = await this.#hasher.streamFile(this.pathOf(digest));
      } catch (error) {
        if (codeOf(error) === "ENOENT") continue;
        // Replaced by a FIFO or a folder since it was listed.
        if (isNotAFile(error)) {
          yield { digest, ok: false, size: 0, problem: "not a regular file" };
          continue;
        }
        throw error;
      }
      yield actual.digest === digest ? { digest, ok: true, size: actual.size } : { digest, ok: false, actual: actual.digest, size: actual.size };
    }
  }

  /** Removes temporary files left by interrupted `put`s that are older than `olderThanMs` (default 1 h, so a `put` in progress is never hit). Returns how many. */
  async removeTemps(olderThanMs = 3_600_000, now: number = Date.now()): Promise<number> {
    let removed = 0;
    let prefixes: string[];
    try {
      prefixes = await readdir(this.#root);
    } catch {
      return 0;
    }
    for (const prefix of prefixes) {
      let names: string[];
      try {
        names = await readdir(join(this.#root, prefix));
      } catch {
        continue;
      }
      for (const name of names) {
        if (!name.startsWith(".") || !name.endsWith(".tmp")) continue;
        const path = join(this.#root, prefix, name);
        try {
          if (now - (await stat(path)).mtimeMs > olderThanMs) {
            await rm(path, { force: true });
            removed += 1;
          }
        } catch {
          // Renamed into place or removed meanwhile.
        }
      }
    }
    return removed;
  }
}
