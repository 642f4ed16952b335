/**
 * The coordinator's journal of submissions, in `cache/slurm/journal/<run id>.jsonl`: one line
 * per array job submitted, written before the coordinator waits on it. A coordinator that dies
 * (kill -9, a lost login node) leaves its journal behind; the next run reads it, and a unit it
 * would submit that an earlier job already runs or ran (same unit, same configuration) is
 * waited for there instead of being submitted twice. A run that ends normally removes its
 * journal and the ones it took over.
 */
import { appendFile, mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";

/** One submission as journalled. */
export interface JournalEntry {
  readonly runId: string;
  readonly jobId: string;
  /** The log file pattern (`%A`, `%a`). */
  readonly log: string;
  /** Per array index, the keys of its units (see SlurmRunner: unit and configuration); a unit's result file follows from its key's unit and configuration. */
  readonly keys: readonly (readonly string[])[];
  /**
   * Per array index, the result file of each unit (same shape as `keys`): where the job writes
   * them. Absent from an older cmbflow's journal, whose jobs wrote them elsewhere: such an
   * entry is not re-attached to (its units' results would never be found where this one looks).
   */
  readonly results?: readonly (readonly string[])[];
}

/** The journal folder of a cache. */
export function journalDir(cacheDir: string): string {
  return join(cacheDir, "slurm", "journal");
}

/** Whether any coordinator's journal is in the cache (one that stopped without ending its run, if no run is active). */
export async function journalsLeft(cacheDir: string): Promise<boolean> {
  try {
    return (await readdir(journalDir(cacheDir))).some((n) => n.endsWith(".jsonl"));
  } catch (caught) {
    if ((caught as { code?: unknown }).code === "ENOENT") return false;
    throw caught;
  }
}

export class Journal {
  readonly #file: string;
  readonly #dir: string;

  constructor(cacheDir: string, runId: string) {
    this.#dir = journalDir(cacheDir);
    this.#file = join(this.#dir, `${runId}.jsonl`);
  }

  async append(entry: JournalEntry): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    await appendFile(this.#file, `${JSON.stringify(entry)}\n`);
  }

  /**
   * The entries earlier coordinators left (the cache lock makes this run the only coordinator,
   * so every journal but this run's is a dead one's). A torn last line (the coordinator died
   * writing it) is skipped: its job's units are submitted again.
   */
  async leftBehind(): Promise<{ readonly files: readonly string[]; readonly entries: readonly JournalEntry[] }> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (caught) {
      if ((caught as { code?: unknown }).code === "ENOENT") return { files: [], entries: [] };
      throw caught;
    }
    const files = names.filter((n) => n.endsWith(".jsonl")).map((n) => join(this.#dir, n)).filter((f) => f !== this.#file);
    const entries: JournalEntry[] = [];
    for (const file of files) {
      for (const line of (await readFile(file, "utf8")).split("\n")) {
        if (line.trim() === "") continue;
        try {
          entries.push(JSON.parse(line) as JournalEntry);
        } catch {
          // The torn last line of a coordinator killed while writing it.
        }
      }
    }
    return { files, entries };
  }

  /** Removes this run's journal and the given ones (taken over). */
  async remove(others: readonly string[]): Promise<void> {
    for (const file of [this.#file, ...others]) await rm(file, { force: true });
  }
}
