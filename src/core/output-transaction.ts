/**
 * A node's outputs are written to temporary files beside their final paths and renamed into
 * place together when the node succeeds; when it fails they are removed. So a failed or
 * interrupted node never leaves a half-written file at an output path, and a file at an
 * output path is always complete.
 */
import { mkdirSync, renameSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { threadId } from "node:worker_threads";
import { hostLabel, isAlive } from "../cache/lock.js";

let counter = 0;

/**
 * The name of a temporary file for `base`: hidden, and marked with the writing process's pid
 * and host (`tag` is `<pid>-...`, `@<host>` is added) so it can be swept: the pid is judged
 * only on that host.
 */
export function tempName(base: string, tag: string, host: string = hostLabel()): string {
  return `.${base}.cmbflow-${tag}@${host}.tmp`;
}

/**
 * A temporary file of an output (`.name.cmbflow-<pid>-<thread>-<n>@<host>.tmp`) or of a restore
 * (`.name.cmbflow-restore-<pid>-<random>@<host>.tmp`); one an older cmbflow wrote has no host.
 */
const TEMPORARY = /^\.(.+)\.cmbflow-(?:restore-)?(\d+)-[0-9a-z-]+(?:@([\w.-]+))?\.tmp$/;

/** Whether a temporary's host is this one (a name without a host was written before names had one: taken as this host's, as then). */
function here(host: string | undefined): boolean {
  return host === undefined || host === hostLabel();
}

/** Removes the temporary files in `dir` for which `remove(outputName, pid, host)` holds; returns how many. */
async function sweepFolder(dir: string, remove: (name: string, pid: number, host: string | undefined) => boolean): Promise<number> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const entry of entries) {
    const match = TEMPORARY.exec(entry);
    if (match === null || !remove(match[1] ?? "", Number(match[2]), match[3])) continue;
    await rm(join(dir, entry), { force: true });
    removed++;
  }
  return removed;
}

/**
 * Removes the temporary files this process left beside `finalPaths` (a node whose worker was
 * stopped mid-write cannot remove its own). Returns how many were removed.
 */
export async function sweepTemporaries(finalPaths: readonly string[], pid: number = process.pid): Promise<number> {
  const byDir = new Map<string, Set<string>>();
  for (const path of finalPaths) {
    const names = byDir.get(dirname(path)) ?? new Set<string>();
    names.add(basename(path));
    byDir.set(dirname(path), names);
  }
  let removed = 0;
  for (const [dir, names] of byDir) removed += await sweepFolder(dir, (name, owner, host) => owner === pid && here(host) && names.has(name));
  return removed;
}

/**
 * Removes temporary files in `dir` left by processes of this host that no longer exist — a run
 * killed with SIGKILL, or a crash, cannot remove its own. Another host's are left: its pids
 * say nothing here (a Slurm task on another node may be writing them now). Returns how many
 * were removed.
 */
export async function sweepDeadTemporaries(dir: string): Promise<number> {
  const alive = new Map<number, boolean>();
  return sweepFolder(dir, (_name, pid, host) => {
    if (!here(host)) return false;
    let exists = alive.get(pid);
    if (exists === undefined) {
      exists = pid === process.pid || isAlive(pid);
      alive.set(pid, exists);
    }
    return !exists;
  });
}

/** Sweeps the folders of nodes about to run, each folder once per run (a folder may hold every sim's outputs). */
export class DeadTemporarySweeper {
  readonly #swept = new Set<string>();

  async sweep(finalPaths: readonly string[]): Promise<number> {
    let removed = 0;
    for (const path of finalPaths) {
      const dir = dirname(path);
      if (this.#swept.has(dir)) continue;
      this.#swept.add(dir);
      removed += await sweepDeadTemporaries(dir);
    }
    return removed;
  }
}

/** An output that cannot be put at its path: one message naming the path, shown without a stack. */
export class OutputPathError extends Error {
  override readonly name = "OutputPathError";
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`cannot write ${path}: ${reason}`);
  }
}

/** The pending outputs of one node. */
export class OutputTransaction {
  readonly #pending = new Map<string, string>();

  /** A fresh temporary path beside `finalPath` (same folder, so the rename is atomic), its folder created. */
  tempFor(finalPath: string): string {
    const dir = dirname(finalPath);
    // Synchronous: a node runs in a worker thread of its own, where blocking costs nothing
    // and a thread-pool round trip per file operation would cost more than the operation.
    mkdirSync(dir, { recursive: true });
    counter += 1;
    return join(dir, tempName(basename(finalPath), `${String(process.pid)}-${String(threadId)}-${String(counter)}`));
  }

  /** Records that `tempPath` holds the content for `finalPath`; a second write to the same final path replaces the first. */
  async stage(finalPath: string, tempPath: string): Promise<void> {
    const previous = this.#pending.get(finalPath);
    this.#pending.set(finalPath, tempPath);
    if (previous !== undefined && previous !== tempPath) await rm(previous, { force: true });
  }

  /** The final paths written so far, in order. */
  get paths(): readonly string[] {
    return [...this.#pending.keys()];
  }

  /** Renames every pending file into place. */
  commit(): void {
    for (const [finalPath, tempPath] of this.#pending) {
      try {
        renameSync(tempPath, finalPath);
      } catch (caught) {
        const code = (caught as NodeJS.ErrnoException).code;
        if (code === "EISDIR" || code === "ENOTEMPTY" || code === "EEXIST") throw new OutputPathError(finalPath, "a directory is in the way; remove it and run again");
        throw caught;
      }
    }
    this.#pending.clear();
  }

  /** Removes every pending file. */
  async abort(): Promise<void> {
    await Promise.all([...this.#pending.values()].map((p) => rm(p, { force: true })));
    this.#pending.clear();
  }
}
