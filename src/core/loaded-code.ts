/**
 * The code a thread runs, watched from the moment it is loaded until each unit of work ends.
 *
 * Each file of a loaded module's closure is digested when the module is loaded; when a unit
 * finishes, every file is looked at again (a `stat`, and a new digest only when the stamp
 * moved). Why again at the end: a module imported lazily — a literal `import("./x.js")` run
 * inside `processSim` — is read from disk long after the executor module, so its digest at the
 * executor's import time says nothing of what ran. An edit in between shows at the unit's end
 * as a second, different digest of the file, and the judge then does not record the unit's
 * outputs under the fingerprint it judged. An edit after the unit ended is the next run's
 * business. Errs only towards running again: a file edited after the thread loaded it counts
 * as changed even though the module cache kept the old code.
 */
import { statSync } from "node:fs";
import type { Hasher } from "../cache/hash.js";
import { moduleClosure, sourceName } from "../cache/module-graph.js";
import type { FileStamp } from "../cache/stamped-digest.js";
import { sameStamp, stampedDigestSync, stampOf } from "../cache/stamped-digest.js";
import type { LoadedFile } from "../scheduler/node-runner.js";

/** What a missing file digests to. */
const MISSING = "missing";

interface Watched {
  /** The file's name in fingerprints' code parts. */
  readonly name: string;
  /** Its digest when the thread loaded it. */
  readonly loaded: string;
  /** Its digest and the stamp of the file digested, as last looked at (no stamp: missing, or changing while read). */
  current: string;
  stamp: FileStamp | undefined;
}

/** The code files one thread loaded, each with its digest at load time and as it is now. */
export class LoadedCode {
  readonly #files = new Map<string, Watched>();
  readonly #hasher: Pick<Hasher, "digestFileSync" | "digestFdSync" | "digestBytes">;
  readonly #projectDir: string;
  readonly #packageRoot: string;

  constructor(hasher: Pick<Hasher, "digestFileSync" | "digestFdSync" | "digestBytes">, projectDir: string, packageRoot: string) {
    this.#hasher = hasher;
    this.#projectDir = projectDir;
    this.#packageRoot = packageRoot;
  }

  /**
   * Takes in the closures of modules just loaded (`entries`: the files imported), digesting
   * each file not watched yet; returns the closure's files. Call right after the import.
   */
  watch(entries: readonly string[]): string[] {
    // With a digest, import lists come from the memo by content (a worker is handed the main
    // thread's), so unchanged files are not parsed again.
    const files = moduleClosure(entries, { packageRoot: this.#packageRoot, digest: (bytes) => this.#hasher.digestBytes(bytes) });
    for (const file of files) {
      if (this.#files.has(file)) continue;
      const { digest, stamp } = this.#read(file);
      this.#files.set(file, { name: sourceName(file, this.#projectDir, this.#packageRoot), loaded: digest, current: digest, stamp });
    }
    return files;
  }

  /** Each of `files` (watched ones) as loaded and, when it differs, as it is now. */
  check(files: readonly string[]): LoadedFile[] {
    const out: LoadedFile[] = [];
    for (const file of files) {
      const w = this.#files.get(file);
      if (w === undefined) continue;
      const now = statSync(file, { bigint: true, throwIfNoEntry: false });
      // Only a file whose stamp moved (or that was unstamped) is read again.
      if (now === undefined || w.stamp === undefined || !sameStamp(stampOf(now), w.stamp)) {
        const read = this.#read(file);
        w.current = read.digest;
        w.stamp = read.stamp;
      }
      out.push({ file: w.name, digest: w.loaded });
      if (w.current !== w.loaded) out.push({ file: w.name, digest: w.current });
    }
    return out;
  }

  /** The file's digest and the stamp of the very file read (stamped-digest.ts). */
  #read(file: string): { digest: string; stamp: FileStamp | undefined } {
    try {
      const d = stampedDigestSync(this.#hasher, file);
      return d.ok ? { digest: d.value.digest, stamp: d.value.stamp } : { digest: this.#hasher.digestFileSync(file).digest, stamp: undefined };
    } catch {
      return { digest: MISSING, stamp: undefined };
    }
  }
}
