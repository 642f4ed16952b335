/**
 * Damage in the cache folder: a cache file of the wrong kind (a folder, a FIFO, a device
 * where a file should be, or a file where a folder should be) or a file with unreadable
 * content. A run holding the lock moves the damaged entry aside to `cache/quarantine/` and
 * goes on as if it were missing (its nodes are recomputed); read-only commands leave it in
 * place and read around it. Either way the damage is reported once, with the way out.
 *
 * Only entries inside the cache folder are ever moved: the cache is cmbflow's own, and a
 * quarantined entry is kept (not deleted), so nothing a user put there by mistake is lost.
 */
import type { Stats } from "node:fs";
import { lstat, mkdir, open, rename, stat } from "node:fs/promises";
import { basename, dirname, join, relative, sep } from "node:path";
import { errnoCode } from "./cache-file-error.js";

/** One damaged cache entry and what was done about it. */
export interface CacheDamage {
  /** The damaged file or folder (absolute). */
  readonly path: string;
  /** What is wrong, e.g. `a directory where a file should be`, `2 unreadable lines`. */
  readonly problem: string;
  /** Where it was moved (absolute), when it was quarantined. */
  readonly movedTo?: string;
  /** Where a copy of it was kept (absolute), when the file itself was rewritten without its damaged lines. */
  readonly copiedTo?: string;
}

/** The folder inside the cache folder that damaged entries are moved to. */
export const QUARANTINE_DIR = "quarantine";

/** The way out that every damage report ends with. */
export const REPAIR_HINT = "cmbflow cache verify --repair";

/** What an entry that is not a regular file is, for messages. */
export function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return "a directory";
  if (stats.isFIFO()) return "a FIFO (named pipe)";
  if (stats.isSocket()) return "a socket";
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return "a device";
  return "a file";
}

/**
 * What is at `path`, symbolic links followed (a cache folder linked to a larger disk is a
 * folder), or undefined when there is nothing (or only a dangling link).
 */
export async function statIfExists(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    const code = errnoCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

/** A quarantine name: the time, then the entry's path inside the cache folder with `/` as `-`. */
function quarantineName(cacheDir: string, path: string, at: Date): string {
  const inside = relative(cacheDir, path);
  const name = inside === "" || inside.startsWith("..") ? basename(path) : inside.split(sep).join("-");
  return `${at.toISOString().replace(/[:.]/g, "-")}-${name}`;
}

/** Moves `path` (inside `cacheDir`) to the quarantine folder; the new path. */
export async function quarantine(cacheDir: string, path: string, at = new Date()): Promise<string> {
  const target = join(cacheDir, QUARANTINE_DIR, quarantineName(cacheDir, path, at));
  await mkdir(dirname(target), { recursive: true });
  await rename(path, target);
  return target;
}

/** The quarantine path a copy of `path` is kept under (the caller writes it). */
export async function quarantineCopyPath(cacheDir: string, path: string, at = new Date()): Promise<string> {
  const target = join(cacheDir, QUARANTINE_DIR, quarantineName(cacheDir, path, at));
  await mkdir(dirname(target), { recursive: true });
  return target;
}

/**
 * Moves whatever is at `path` that is not a regular file (a folder, a FIFO, a device) to the
 * quarantine, so a file can be renamed into its place; true when it did. The caller holds the
 * lock. Nothing at `path`, or a file, is left as it is.
 */
export async function putAsideUnlessFile(cacheDir: string, path: string): Promise<boolean> {
  const stats = await lstatIfExists(path);
  if (stats === undefined || stats.isFile() || stats.isSymbolicLink()) return false;
  await quarantine(cacheDir, path);
  return true;
}

async function lstatIfExists(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    const code = errnoCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

/**
 * Checks that `path` is what cmbflow expects there (`"file"` or `"folder"`, or nothing at all).
 * Otherwise, with `cacheDir` (the caller holds the lock), moves it to the quarantine; without,
 * leaves it. Returns the damage found, or undefined when all is well.
 */
export async function checkEntry(path: string, expected: "file" | "folder", cacheDir: string | undefined): Promise<CacheDamage | undefined> {
  const stats = await statIfExists(path);
  if (stats === undefined || (expected === "file" ? stats.isFile() : stats.isDirectory())) return undefined;
  const problem = `${kindOf(stats)} where a ${expected === "file" ? "file" : "folder"} should be`;
  if (cacheDir === undefined) return { path, problem };
  return { path, problem, movedTo: await quarantine(cacheDir, path) };
}

/**
 * The text of a small cache file, read only when it is a regular file (a FIFO would block the
 * read for ever, a folder fails it): undefined when missing, `{ damage }` when not a file.
 */
export async function readCacheFile(path: string): Promise<string | undefined | { readonly damage: CacheDamage }> {
  const stats = await statIfExists(path);
  if (stats === undefined) return undefined;
  if (!stats.isFile()) return { damage: { path, problem: `${kindOf(stats)} where a file should be` } };
  const handle = await open(path, "r");
  try {
    return await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
}

/** `cache/state/nodes.jsonl: a directory where a file should be (moved to cache/quarantine/…)`, paths shown by `show`. */
export function describeDamage(damage: CacheDamage, show: (path: string) => string): string {
  const done = damage.movedTo !== undefined ? ` (moved to ${show(damage.movedTo)})` : damage.copiedTo !== undefined ? ` (the file as it was is kept at ${show(damage.copiedTo)})` : "";
  return `${show(damage.path)}: ${damage.problem}${done}`;
}
