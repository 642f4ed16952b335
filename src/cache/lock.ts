/**
 * One writer at a time: `<cacheDir>/lock` holds `{pid, host, start, token}` (and the project
 * folder of the run) of the process that may write the cache (state store, object store,
 * file-digest memo). Readers (`status`, `dag`, `explain`) do not take it. The same lock, under
 * another file name (`DATA_LOCK_FILE`), guards the dataset folder a run writes its outputs to:
 * two projects, each with its own cache, may share one data root (`CMBFLOW_DATA`).
 *
 * Creating the lock is exclusive and atomic with its content: the JSON is written to a
 * temporary file which is then hard-linked to the lock name; `link` fails with EEXIST when a
 * lock exists, and a lock file is never seen half-written. (Where hard links are not
 * supported, an O_EXCL create is used instead.)
 *
 * A lock whose holder runs on this host and is gone (`kill(pid, 0)` fails with ESRCH) is
 * taken over: the stale file is renamed aside — only one contender can rename that file — and
 * the new lock is created exclusively as above, so two contenders cannot both win. If the file
 * renamed aside turns out not to be the stale lock (a contender replaced it in between), it is
 * linked back. A lock from another host is always treated as held: its pid cannot be checked
 * from here. A recycled pid (the holder died and another process got its pid) also looks
 * held; the message names the holder and its start time so the user can judge, and removing
 * the lock file by hand is always safe when no cmbflow run is active.
 */
import { link, mkdir, open, readFile, rename, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { assertNever, err, ok } from "../diagnostics/result.js";
import type { Result } from "../diagnostics/result.js";
import { CacheFileError, errnoCode, fsProblem } from "./cache-file-error.js";

/** Who holds (or held) the lock. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** When the holder took the lock, ISO 8601. */
  readonly start: string;
  /** The project folder of the run holding it, when it said (locks written before it did not). */
  readonly project?: string;
}

/** What a lock guards, for its messages. */
export type LockSubject = "cache" | "data-folder";

/** Why the lock could not be taken. */
export type LockFailure =
  | { readonly reason: "lock-held"; readonly path: string; readonly holder: LockHolder }
  | { readonly reason: "lock-unreadable"; readonly path: string; readonly content: string };

/** The failure `acquireLock` reports when another live process holds the lock. */
export type LockHeld = Extract<LockFailure, { reason: "lock-held" }>;

/** A held lock. */
export interface Lock {
  readonly path: string;
  /** This process as recorded in the lock. */
  readonly holder: LockHolder;
  /** The dead holder whose lock was taken over, if any (tell the user: `lockTakeoverMessage`). */
  readonly tookOverFrom?: LockHolder;
  /** Removes the lock file if it is still ours (a no-op otherwise, and on a second call). */
  release(): Promise<void>;
}

/** Collaborators of `acquireLock` (defaults: the real process). */
export interface LockOptions {
  /** Current time; default `() => new Date()`. */
  readonly clock?: () => Date;
  /** Our pid; default `process.pid`. */
  readonly pid?: number;
  /** Our host name; default `os.hostname()`. */
  readonly host?: string;
  /** File name of the lock inside the folder; default {@link LOCK_FILE}. */
  readonly file?: string;
  /** Our project folder, recorded so a refused run can say whose run holds the lock. */
  readonly project?: string;
}

/** File name of the lock inside the cache folder. */
export const LOCK_FILE = "lock";

/** File name of the lock inside a dataset folder (hidden: the folder is the user's data). */
export const DATA_LOCK_FILE = ".cmbflow-lock";

interface LockContent extends LockHolder {
  /** Tells our lock from one written by another process that got the same pid. */
  readonly token: string;
}

/** The holder named in a lock's content (its token left out). */
function holderOf(content: LockContent): LockHolder {
  const { pid, host, start, project } = content;
  return project === undefined ? { pid, host, start } : { pid, host, start, project };
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

function parseLock(text: string): LockContent | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockContent> | null;
    if (
      typeof value?.pid === "number" &&
      Number.isInteger(value.pid) &&
      value.pid > 0 &&
      typeof value.host === "string" &&
      typeof value.start === "string" &&
      typeof value.token === "string" &&
      (value.project === undefined || typeof value.project === "string")
    ) {
      return { pid: value.pid, host: value.host, start: value.start, token: value.token, ...(value.project === undefined ? {} : { project: value.project }) };
    }
  } catch {
    // Falls through to "unreadable".
  }
  return undefined;
}

async function readLock(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (codeOf(error) === "ENOENT") return undefined;
    // Not a file at all (a folder named lock): not a cmbflow lock, reported as such.
    if (codeOf(error) === "EISDIR") return "";
    throw error;
  }
}

/**
 * This host's name as it can stand in a file name (letters, digits, `.`, `-`, `_`): temporary
 * files carry it beside their writer's pid, because a pid means something only on the host
 * whose process it is (several hosts write in one shared folder under Slurm).
 */
export function hostLabel(): string {
  return hostname().replace(/[^\w.-]/g, "_").slice(0, 64) || "host";
}

/** Whether a process with this pid exists on this host. EPERM means it exists but belongs to another user. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return codeOf(error) !== "ESRCH";
  }
}

/** Creates the lock file with `text` unless one exists; false when one exists. */
async function createExclusive(path: string, text: string): Promise<boolean> {
  const temp = `${path}.${String(process.pid)}-${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeFile(temp, text);
  } catch (error) {
    await rm(temp, { force: true });
    // The write error of a full disk carries no path: name the lock, which is what could not be made.
    const problem = errnoCode(error) === undefined ? undefined : fsProblem(error);
    if (problem === undefined) throw error;
    throw new CacheFileError(path, `the cache lock could not be written: ${problem}`);
  }
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    const code = codeOf(error);
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw error;
  } finally {
    await rm(temp, { force: true });
  }
  // No hard links on this file system: O_EXCL create. A crash between create and write can
  // leave an empty lock, which is then reported as unreadable.
  try {
    const handle = await open(path, "wx");
    try {
      await handle.writeFile(text);
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if (codeOf(error) === "EEXIST") return false;
    throw error;
  }
}

/**
 * Takes the cache's writer lock. Fails with `lock-held` (another live process on this host, or
 * any process on another host, holds it) or `lock-unreadable` (the lock file is not a lock
 * cmbflow wrote). A lock of a dead process on this host is taken over and reported in
 * `tookOverFrom`. Creates `cacheDir` if needed.
 */
export async function acquireLock(cacheDir: string, options: LockOptions = {}): Promise<Result<Lock, LockFailure>> {
  await mkdir(cacheDir, { recursive: true });
  const path = join(cacheDir, options.file ?? LOCK_FILE);
  const mine: LockContent = {
    pid: options.pid ?? process.pid,
    host: options.host ?? hostname(),
    start: (options.clock ?? (() => new Date()))().toISOString(),
    token: `${String(process.pid)}-${Math.random().toString(36).slice(2)}`,
    ...(options.project === undefined ? {} : { project: options.project }),
  };
  const text = `${JSON.stringify(mine)}\n`;
  let tookOverFrom: LockHolder | undefined;
  // A few rounds: each round either wins, fails, or removed a stale lock and tries again.
  for (let round = 0; round < 4; round++) {
    if (await createExclusive(path, text)) return ok(makeLock(path, mine, tookOverFrom));
    const existing = await readLock(path);
    if (existing === undefined) continue; // Released meanwhile.
    const holder = parseLock(existing);
    if (holder === undefined) return err({ reason: "lock-unreadable", path, content: existing });
    const { pid, host } = holder;
    if (host !== mine.host || isAlive(pid)) return err({ reason: "lock-held", path, holder: holderOf(holder) });
    // The holder is gone. Why rename aside rather than delete: rename of one directory entry
    // succeeds for exactly one contender, and we can then check what we actually moved.
    const aside = `${path}.stale-${mine.token}`;
    try {
      await rename(path, aside);
    } catch (error) {
      if (codeOf(error) === "ENOENT") continue; // Another contender moved it first.
      throw error;
    }
    const moved = await readLock(aside);
    if (moved !== existing) {
      // We moved a fresh lock that a contender created after our read: put it back.
      try {
        if (moved !== undefined) await link(aside, path);
      } catch (error) {
        if (codeOf(error) !== "EEXIST") throw error;
      } finally {
        await rm(aside, { force: true });
      }
      const current = parseLock(moved ?? "");
      if (current !== undefined) return err({ reason: "lock-held", path, holder: holderOf(current) });
      continue;
    }
    await rm(aside, { force: true });
    tookOverFrom = holderOf(holder);
  }
  const last = parseLock((await readLock(path)) ?? "");
  if (last === undefined) return err({ reason: "lock-unreadable", path, content: "" });
  return err({ reason: "lock-held", path, holder: holderOf(last) });
}

function makeLock(path: string, mine: LockContent, tookOverFrom: LockHolder | undefined): Lock {
  let released = false;
  const holder = holderOf(mine);
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    const current = parseLock((await readLock(path)) ?? "");
    // Only our own lock: a lock with another token belongs to a process that took it over
    // (which only happens if it judged us dead) and must stay.
    if (current?.token === mine.token) await rm(path, { force: true });
  };
  return tookOverFrom === undefined ? { path, holder, release } : { path, holder, tookOverFrom, release };
}

/** "The cache" or "The data folder <dir>", for a lock at `path`. */
function subjectText(subject: LockSubject, path: string): string {
  switch (subject) {
    case "cache":
      return "The cache";
    case "data-folder":
      return `The data folder ${dirname(path)}`;
    default:
      return assertNever(subject);
  }
}

/** The user-facing message for a lock failure; `subject` says what the lock guards (default the cache). */
export function lockFailureMessage(failure: LockFailure, subject: LockSubject = "cache"): string {
  switch (failure.reason) {
    case "lock-held": {
      const { pid, host, start, project } = failure.holder;
      return `${subjectText(subject, failure.path)} is locked by another cmbflow run: pid ${String(pid)} on host ${host}${project === undefined ? "" : `, project ${project}`}, started ${start} (lock file ${failure.path}). Wait for it to finish; if no such run is active, delete the lock file.`;
    }
    case "lock-unreadable":
      return `${subject === "cache" ? "The cache lock file" : "The data folder's lock file"} ${failure.path} is not a cmbflow lock. If no cmbflow run is active, delete it.`;
    default:
      return assertNever(failure);
  }
}

/** The message to show when `acquireLock` took over a dead process's lock. */
export function lockTakeoverMessage(from: LockHolder, subject: LockSubject = "cache"): string {
  const what = subject === "cache" ? "the cache lock" : "the data folder's lock";
  return `Took over ${what} of pid ${String(from.pid)} on host ${from.host}${from.project === undefined ? "" : `, project ${from.project}`} (started ${from.start}), which is no longer running.`;
}
