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
import type { LoadedFile } from "../scheduler/node-runner.js";

/** What a missing file digests to. */
const MISSING = "missing";

interface Watched {
  /** The file's name in fingerprints' code parts. */
  readonly name: string;
  /** Its digest when the thread loaded it. */
  readonly loaded: string;
  /** Its digest and stamp as last looked at. */
  current: string;
  stamp: string | undefined;
}

/** A file's stamp as one string, or undefined when it does not exist (or cannot be looked at). */
function stampOf(file: string): string | undefined {
  const s = statSync(file, { bigint: true, throwIfNoEntry: false });
  return s === undefined ? undefined : `${s.dev.toString()}:${s.ino.toString()}:${s.size.toString()}:${s.mtimeNs.toString()}:${s.ctimeNs.toString()}`;
}

/** The code files one thread loaded, each with its digest at load time and as it is now. */
export class LoadedCode {
  readonly #files = new Map<string, Watched>();
  readonly #hasher: Pick<Hasher, "digestFileSync">;
  readonly #projectDir: string;
  readonly #packageRoot: string;

  constructor(hasher: Pick<Hasher, "digestFileSync">, projectDir: string, packageRoot: string) {
    this.#hasher = hasher;
    this.#projectDir = projectDir;
    this.#packageRoot = packageRoot;
  }

  /**
   * Takes in the closures of modules just loaded (`entries`: the files imported), digesting
   * each file not watched yet; returns the closure's files. Call right after the import.
   */
  watch(entries: readonly string[]): string[] {
    const files = moduleClosure(entries, { packageRoot: this.#packageRoot });
    for (const file of files) {
      if (this.#files.has(file)) continue;
      // Stamp first: a write between stamp and digest leaves a stamp older than the bytes, so
      // the next look digests again rather than trusting a stamp paired with other bytes.
      const stamp = stampOf(file);
      const digest = this.#digest(file);
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
      const stamp = stampOf(file);
      if (stamp !== w.stamp) {
        w.stamp = stamp;
        w.current = stamp === undefined ? MISSING : this.#digest(file);
      }
      out.push({ file: w.name, digest: w.loaded });
      if (w.current !== w.loaded) out.push({ file: w.name, digest: w.current });
    }
    return out;
  }

  #digest(file: string): string {
    try {
      return this.#hasher.digestFileSync(file).digest;
    } catch {
      return MISSING;
    }
  }
}
