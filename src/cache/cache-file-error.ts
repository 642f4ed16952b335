/**
 * File-system failures on cmbflow's own files (the cache folder, the run folder), turned into
 * one sentence that names the file and says what to do. The CLI prints them instead of a
 * stack trace; stage outputs have their own wording (core/output-transaction.ts).
 */

/** A cache file that could not be read or written; `message` names the file and the way out. */
export class CacheFileError extends Error {
  /**
   * @param path the file or folder at fault (absolute)
   * @param problem what went wrong and what to do, as a clause after the path
   */
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = "CacheFileError";
  }
}

/** The errno code of a Node file-system error, if `error` is one. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/**
 * What a file-system error means for the user, as a clause (no path); undefined when `error`
 * is not a file-system error. The errno code is kept in brackets for searching.
 */
export function fsProblem(error: unknown): string | undefined {
  const code = errnoCode(error);
  if (code === undefined) return undefined;
  const syscall = (error as { syscall?: unknown }).syscall;
  switch (code) {
    case "ENOSPC":
    case "EDQUOT":
      return `no space left on the device (${code}): free some space and run again`;
    case "EROFS":
      return "the file system is read-only (EROFS)";
    case "EACCES":
    case "EPERM":
      return `permission denied (${code})`;
    case "EISDIR":
      return "is a directory where cmbflow needs a file (EISDIR): move it away and run again";
    case "ENOTDIR":
      return "a part of this path is a file where cmbflow needs a folder (ENOTDIR): move it away and run again";
    case "EEXIST":
      return syscall === "mkdir" ? "is a file where cmbflow needs a folder (EEXIST): move it away and run again" : "already exists (EEXIST)";
    case "ENOENT":
      return "does not exist (any more) (ENOENT)";
    default:
      return (error as Error).message;
  }
}

/**
 * One line for a failure on cmbflow's own files: a `CacheFileError`'s message, or
 * `path: problem` for a Node file-system error that carries its path. Undefined for anything
 * else (a bug, which keeps its stack).
 */
export function fileFailureText(error: unknown): string | undefined {
  if (error instanceof CacheFileError) return error.message;
  const problem = fsProblem(error);
  const path = (error as { path?: unknown } | null)?.path;
  if (problem === undefined) return undefined;
  return typeof path === "string" ? `${path}: ${problem}` : problem;
}
