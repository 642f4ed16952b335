/**
 * What constructing a stage's executor told us last time — its work grain and the config keys
 * its constructor read — keyed by everything that could change it: the executor reference,
 * the content of its module and every module it imports (cmbflow's own included), the Node.js
 * and cmbflow versions, and the whole resolved configuration. With the same key the answer is the same (a constructor sees
 * nothing else through the framework), so a run whose stages are all unchanged needs no
 * executor in the main thread: the user's TypeScript is not even compiled there. Workers
 * still load and construct executors for the nodes they run.
 *
 * The memo also keeps the import lists of the code files the last run's closures reached, by
 * content digest (module-graph.ts), so computing code parts of unchanged code parses nothing:
 * for TypeScript that would start esbuild, a noticeable part of a no-op run.
 *
 * On disk: `cache/executors.json`, `{"version": 3, "entries": {key: {kind, reads}},
 * "imports": {"<ext>:<digest>": [specifier, ...]}}`, replaced whole (temporary file and
 * rename). A missing or unreadable file is an empty memo.
 */
import { rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { WorkKind } from "../core/executor.js";
import { readCacheFile } from "./cache-damage.js";
import { CacheFileError, fsProblem } from "./cache-file-error.js";
import { canonicalJson } from "./canonical.js";
import type { Hasher } from "./hash.js";
import { codePart } from "./code-part.js";
import { importListsInUse, rememberImportLists } from "./module-graph.js";

/** What a stage's constructed executor declared. */
export interface ExecutorDescriptor {
  readonly kind: WorkKind;
  /** Config keys its constructor read, sorted. */
  readonly reads: readonly string[];
}

/** Where an executor's code is. */
export interface ExecutorSource {
  /** The `executor:` value as written. */
  readonly ref: string;
  /** The module file that runs (a built-in stage's dist/ module when cmbflow runs compiled: `moduleFileFor`). */
  readonly module: string;
  readonly projectDir: string;
  readonly packageRoot: string;
}

export const EXECUTOR_MEMO_FILE = "executors.json";
const VERSION = 3;
const KINDS: readonly WorkKind[] = ["process-sim", "scan-sift", "execute"];

/** The memo of one cache folder. */
export class ExecutorMemo {
  readonly #file: string;
  readonly #entries: Map<string, ExecutorDescriptor>;
  #dirty = false;
  /** The keys of the import lists as last read or written: lists are written when one is new. */
  #importKeys: ReadonlySet<string>;

  private constructor(file: string, entries: Map<string, ExecutorDescriptor>, importKeys: ReadonlySet<string>) {
    this.#file = file;
    this.#entries = entries;
    this.#importKeys = importKeys;
  }

  static async open(cacheDir: string): Promise<ExecutorMemo> {
    const file = join(cacheDir, EXECUTOR_MEMO_FILE);
    const entries = new Map<string, ExecutorDescriptor>();
    let importKeys = new Set<string>();
    try {
      // Read only when a regular file: a FIFO in its place would block the run before it starts.
      const text = await readCacheFile(file);
      const saved = (typeof text === "string" ? JSON.parse(text) : {}) as { version?: unknown; entries?: unknown; imports?: unknown };
      if (saved.version === VERSION && typeof saved.entries === "object" && saved.entries !== null) {
        for (const [key, value] of Object.entries(saved.entries as Record<string, unknown>)) {
          const d = value as { kind?: unknown; reads?: unknown } | null;
          if (d !== null && KINDS.includes(d.kind as WorkKind) && Array.isArray(d.reads) && d.reads.every((r) => typeof r === "string")) {
            entries.set(key, { kind: d.kind as WorkKind, reads: d.reads });
          }
        }
      }
      if (saved.version === VERSION && typeof saved.imports === "object" && saved.imports !== null) {
        const lists: Record<string, string[]> = {};
        for (const [key, value] of Object.entries(saved.imports as Record<string, unknown>)) {
          if (Array.isArray(value) && value.every((v) => typeof v === "string")) lists[key] = value;
        }
        rememberImportLists(lists);
        importKeys = new Set(Object.keys(lists));
      }
    } catch {
      // Missing or unreadable: start empty; the next run writes a good one.
    }
    return new ExecutorMemo(file, entries, importKeys);
  }

  /**
   * The key of a stage's executor: stage name, reference, its code part (the digests of its
   * module's closure, named as the fingerprint's code part names them, and the runtime), and the
   * resolved configuration's digest.
   */
  static key(hasher: Pick<Hasher, "digestString" | "digestBytes">, stage: string, source: ExecutorSource, configDigest: string): string {
    const code = codePart(hasher, { entries: [source.module], projectDir: source.projectDir, packageRoot: source.packageRoot });
    return hasher.digestString(JSON.stringify(["executor/2", stage, source.ref, Object.entries(code.files), code.runtime.node, code.runtime.cmbflow, configDigest]));
  }

  /** The digest of a resolved configuration, for {@link key}. */
  static configDigest(hasher: Pick<Hasher, "digestString">, resolved: unknown): string {
    return hasher.digestString(canonicalJson(resolved));
  }

  get(key: string): ExecutorDescriptor | undefined {
    return this.#entries.get(key);
  }

  set(key: string, descriptor: ExecutorDescriptor): void {
    const old = this.#entries.get(key);
    if (old?.kind === descriptor.kind && old.reads.join("\n") === descriptor.reads.join("\n")) return;
    this.#entries.set(key, { kind: descriptor.kind, reads: [...descriptor.reads].sort() });
    this.#dirty = true;
  }

  /** Writes the memo when it changed, keeping at most `limit` entries (the newest). */
  async save(limit = 1000): Promise<void> {
    // The import lists of this process's closures, written when one was parsed anew (those of
    // code no longer used then drop out); a run over unchanged code writes nothing.
    const imports = importListsInUse();
    const newLists = Object.keys(imports).some((key) => !this.#importKeys.has(key));
    if (!this.#dirty && !newLists) return;
    const kept = [...this.#entries].slice(-limit);
    const temp = `${this.#file}.${String(process.pid)}.tmp`;
    try {
      await writeFile(temp, `${JSON.stringify({ version: VERSION, entries: Object.fromEntries(kept), imports })}\n`);
      await rename(temp, this.#file);
      this.#dirty = false;
      this.#importKeys = new Set(Object.keys(imports));
    } catch (error) {
      await rm(temp, { force: true });
      const problem = fsProblem(error);
      if (problem === undefined) throw error;
      throw new CacheFileError(this.#file, `the executor memo could not be saved: ${problem}`);
    }
  }
}
