/**
 * The state store: the last recorded run of every node at every location (its fingerprint, the
 * digests of the fingerprint's parts, its outputs with digests and sizes, run id, start and
 * duration), the structured fingerprint parts themselves ("blobs", stored once per distinct
 * digest), and a short history of earlier fingerprints per node and location for the run-cache.
 *
 * Records are keyed by node id and location (`recordKey`): a location is a digest of where the
 * node's outputs go, so a configuration that writes to another dataset folder has its own
 * records and never overwrites this one's freshness; configurations writing the same files
 * share one record, and only the last one to write them is fresh.
 *
 * Files, in the state folder (usually `cache/state`), all append-only JSON lines:
 * - `nodes.jsonl`   — one `NodeRecord` per line, or a tombstone `{"node": id, "at": location, "deleted": true}`;
 *                     the last line for a node and location wins. After compaction: one line per key.
 * - `history.jsonl` — records superseded by a newer fingerprint, moved here by compaction;
 *                     read only when a history lookup needs it (not by `status`).
 * - `blobs.jsonl`   — `{"d": digest, "v": value}`, one line per distinct digest; read lazily.
 *
 * Crash safety. The caller appends a node's record only after every output of the node has
 * been renamed into place, so a record on disk means the outputs are complete; a crash before
 * the append leaves the node without a (new) record, i.e. stale. A line is written with one
 * `write` on a descriptor opened with O_APPEND, so the file only ever grows by whole lines
 * plus, after a crash mid-write, one torn final line without its newline. Loading ignores that
 * torn line (and any other unparseable line) without error; a writer truncates it away before
 * appending, so the next record does not get glued to it. By default appends are not fsync'd:
 * a record survives a crash of the process (the kernel has it) but not necessarily a power
 * loss — and the outputs' own renames are not fsync'd either, so an fsync of the log alone
 * would not make the pair durable. Option `fsync: true` syncs every append.
 *
 * Concurrency. One writer at a time (the cache lock, lock.ts; this module does not take it).
 * Readers take no lock and never wait: they read whole files, and a concurrent append shows
 * up as a complete line or as a torn final line they ignore. Compaction replaces a file by
 * rename, so a reader sees either the old or the new file, never a mix.
 */
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { canonicalJson } from "./canonical.js";

/** One output of a node as recorded. */
export interface OutputRecord {
  /** The output's path, as the caller gives it (project-relative paths keep the store small and movable). */
  readonly path: string;
  /** Content digest (hash.ts). */
  readonly digest: string;
  /** Size in bytes. */
  readonly size: number;
}

/** The recorded run of one node. */
export interface NodeRecord {
  /** Node id, e.g. `make_cmb[split=Train,sim=3]`. */
  readonly node: string;
  /**
   * Where the node's outputs are: a digest of its output paths (engine `locationOf`). One node
   * id has one record per location, so two configurations writing to different folders keep
   * each other's records; absent in records written before locations were kept.
   */
  readonly at?: string;
  /** Digest of the whole fingerprint record. */
  readonly fingerprint: string;
  /** Digest of each part of the fingerprint (e.g. code, params, stage, context, inputs); each part's value is a blob under that digest. */
  readonly parts: Readonly<Record<string, string>>;
  /** The node's outputs after the run, in the node's order. */
  readonly outputs: readonly OutputRecord[];
  /** Id of the run that produced (or restored) the outputs. */
  readonly runId: string;
  /** When the node started, ISO 8601. */
  readonly start: string;
  /** How long the node took, in ms. */
  readonly durationMs: number;
  /**
   * Set when the outputs were restored from the object store rather than computed: the run
   * that restored them and when. `runId`, `start` and `durationMs` stay those of the run that
   * computed them.
   */
  readonly restoredBy?: { readonly runId: string; readonly at: string };
  /**
   * Set on a node that ran while something it ran with changed (an input file, its code, the
   * configuration): the run kept its outputs but recorded this instead of them, so the node
   * is stale (never fresh, never restored from this record) until it runs again. Such a
   * record has no outputs and an empty fingerprint.
   */
  readonly changedDuringRun?: { readonly changes: readonly string[] };
}

/** Options of `StateStore.open`. */
export interface StateStoreOptions {
  /** `"read"` (default): load only; never writes, never waits. `"write"`: the single writer (hold the cache lock). */
  readonly mode?: "read" | "write";
  /** Distinct fingerprints remembered per node, the current one included (default 5, at least 1). */
  readonly historyDepth?: number;
  /** fsync each append before it resolves (default false; see the module comment). */
  readonly fsync?: boolean;
}

/** Counts from loading `nodes.jsonl`, for `cache verify` and diagnostics. */
export interface StateStoreStats {
  /** Complete lines in `nodes.jsonl` (records, tombstones and skipped lines). */
  readonly lines: number;
  /** Complete lines that were not a valid record or tombstone (ignored). */
  readonly skippedLines: number;
  /** Whether the file ended in a torn line (ignored). */
  readonly tornTail: boolean;
}

/** File names inside the state folder. */
export const STATE_FILES = { nodes: "nodes.jsonl", history: "history.jsonl", blobs: "blobs.jsonl" } as const;

/** Distinct fingerprints remembered per node by default (what `cache gc --keep-last` can keep). */
export const DEFAULT_HISTORY_DEPTH = 5;
const BLOB_PREFIX = '{"d":"';
const BLOB_VALUE = '","v":';

type Line = { readonly kind: "record"; readonly record: NodeRecord } | { readonly kind: "tombstone"; readonly key: string };

/**
 * The store's key of a node's record at a location: the node id alone for a record without a
 * location. A newline cannot occur in a node id, so the two parts never run into each other.
 */
export function recordKey(node: string, at: string | undefined): string {
  // Why join: it makes a flat string, where `+` or a template makes a rope that every Map
  // lookup must walk (about five times slower over the no-op run's 60k lookups).
  return at === undefined ? node : [node, at].join("\n");
}

/** The store's key of a record (see {@link recordKey}). */
export function keyOf(record: Pick<NodeRecord, "node" | "at">): string {
  return recordKey(record.node, record.at);
}

function historyDepthOf(options: StateStoreOptions): number {
  return Math.max(1, Math.floor(options.historyDepth ?? DEFAULT_HISTORY_DEPTH));
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

async function readIfExists(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (codeOf(error) === "ENOENT") return "";
    throw error;
  }
}

/** The complete lines of a JSON-lines text: everything before the last newline. */
function completeLines(text: string): { lines: string[]; tornTail: boolean } {
  const end = text.lastIndexOf("\n");
  return { lines: end < 0 ? [] : text.slice(0, end).split("\n"), tornTail: end < text.length - 1 };
}

function parseLine(line: string): Line | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.node !== "string" || (v.at !== undefined && typeof v.at !== "string")) return undefined;
  if (v.deleted === true) return { kind: "tombstone", key: recordKey(v.node, v.at) };
  if (
    typeof v.fingerprint !== "string" ||
    typeof v.parts !== "object" ||
    v.parts === null ||
    !Array.isArray(v.outputs) ||
    typeof v.runId !== "string" ||
    typeof v.start !== "string" ||
    typeof v.durationMs !== "number"
  ) {
    return undefined;
  }
  return { kind: "record", record: value as NodeRecord };
}

/** A record's line, keys in a fixed order (and no foreign properties a caller's object might carry). */
function recordLine(r: NodeRecord): string {
  const outputs = r.outputs.map((o) => ({ path: o.path, digest: o.digest, size: o.size }));
  const restored = r.restoredBy === undefined ? {} : { restoredBy: { runId: r.restoredBy.runId, at: r.restoredBy.at } };
  const at = r.at === undefined ? {} : { at: r.at };
  const changed = r.changedDuringRun === undefined ? {} : { changedDuringRun: { changes: [...r.changedDuringRun.changes] } };
  return `${JSON.stringify({ node: r.node, ...at, fingerprint: r.fingerprint, parts: r.parts, outputs, runId: r.runId, start: r.start, durationMs: r.durationMs, ...restored, ...changed })}\n`;
}

/**
 * Adds `record` as the newest entry of a fingerprint history (newest last): an older entry
 * with the same fingerprint is replaced, and the list is capped to `depth` entries.
 */
function pushDistinct(list: NodeRecord[], record: NodeRecord, depth: number): void {
  const same = list.findIndex((r) => r.fingerprint === record.fingerprint);
  if (same >= 0) list.splice(same, 1);
  list.push(record);
  if (list.length > depth) list.splice(0, list.length - depth);
}

/**
 * Truncates a torn final line (a crash mid-append) so that the next append starts on a line
 * of its own. Writers only: readers must not modify the files.
 */
async function repairTail(path: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r+");
  } catch (error) {
    if (codeOf(error) === "ENOENT") return;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const chunk = new Uint8Array(1 << 16);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await handle.read(chunk, 0, end - start, start);
      const newline = chunk.subarray(0, bytesRead).lastIndexOf(10);
      if (newline >= 0) {
        if (start + newline + 1 < size) await handle.truncate(start + newline + 1);
        return;
      }
      end = start;
    }
    if (size > 0) await handle.truncate(0);
  } finally {
    await handle.close();
  }
}

/** Writes a whole buffer at the end of an O_APPEND descriptor. */
async function appendAll(handle: FileHandle, text: string, sync: boolean): Promise<void> {
  const bytes = Buffer.from(text, "utf8");
  let offset = 0;
  // One write call in practice; the loop only covers a short write (e.g. disk nearly full),
  // whose remainder then follows in order because appends are serialised (one writer, one queue).
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, null);
    offset += bytesWritten;
  }
  if (sync) await handle.datasync();
}

/** Writes `text` to `path` atomically: a temporary file beside it, fsync'd, renamed over it. */
async function replaceFile(path: string, text: string): Promise<void> {
  const temp = `${path}.${String(process.pid)}-${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const handle = await open(temp, "w");
    try {
      await handle.writeFile(text, "utf8");
      // Why fsync before rename: otherwise a power loss can leave the new name pointing at an
      // empty file, losing the whole store instead of one run's appends.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** The state store (see the module comment). */
export class StateStore {
  readonly #dir: string;
  readonly #writable: boolean;
  readonly #depth: number;
  readonly #fsync: boolean;
  /** Latest record per node. */
  readonly #current: Map<string, NodeRecord>;
  /** Records in nodes.jsonl superseded by a different fingerprint since the last compaction, newest last, distinct. */
  readonly #recent: Map<string, NodeRecord[]>;
  /** Nodes with a tombstone in nodes.jsonl: their history.jsonl entries predate it and are void. */
  readonly #tombstoned: Set<string>;
  #lines: number;
  readonly #skipped: number;
  readonly #tornTail: boolean;
  #history: Promise<Map<string, NodeRecord[]>> | undefined;
  #blobs: Promise<Map<string, string>> | undefined;
  #blobLines = 0;
  #nodesHandle: FileHandle | undefined;
  #blobsHandle: FileHandle | undefined;
  /** Serialises writes (appends, blob puts, compaction) so each lands whole and in call order. */
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(dir: string, options: StateStoreOptions, loaded: { current: Map<string, NodeRecord>; recent: Map<string, NodeRecord[]>; tombstoned: Set<string>; lines: number; skipped: number; tornTail: boolean }) {
    this.#dir = dir;
    this.#writable = options.mode === "write";
    this.#depth = historyDepthOf(options);
    this.#fsync = options.fsync ?? false;
    this.#current = loaded.current;
    this.#recent = loaded.recent;
    this.#tombstoned = loaded.tombstoned;
    this.#lines = loaded.lines;
    this.#skipped = loaded.skipped;
    this.#tornTail = loaded.tornTail;
  }

  /**
   * Loads the store in folder `dir` (a missing folder is an empty store). In write mode the
   * folder is created, a torn final line is truncated, and the log is compacted when it has
   * more than twice as many lines as live nodes.
   */
  static async open(dir: string, options: StateStoreOptions = {}): Promise<StateStore> {
    const nodesPath = join(dir, STATE_FILES.nodes);
    if (options.mode === "write") {
      await mkdir(dir, { recursive: true });
      await repairTail(nodesPath);
    }
    const depth = historyDepthOf(options);
    const { lines, tornTail } = completeLines(await readIfExists(nodesPath));
    const current = new Map<string, NodeRecord>();
    const recent = new Map<string, NodeRecord[]>();
    const tombstoned = new Set<string>();
    let skipped = 0;
    for (const text of lines) {
      const line = text === "" ? undefined : parseLine(text);
      if (line === undefined) {
        skipped += 1;
      } else if (line.kind === "tombstone") {
        current.delete(line.key);
        recent.delete(line.key);
        tombstoned.add(line.key);
      } else {
        supersede(current, recent, line.record, depth);
      }
    }
    const store = new StateStore(dir, options, { current, recent, tombstoned, lines: lines.length, skipped, tornTail });
    if (store.#writable && store.#needsCompaction()) await store.#enqueue(() => store.#compact(false));
    return store;
  }

  /** Number of records (one per node and location). */
  get size(): number {
    return this.#current.size;
  }

  /** Counts from loading (lines appended since are included in `lines`). */
  get stats(): StateStoreStats {
    return { lines: this.#lines, skippedLines: this.#skipped, tornTail: this.#tornTail };
  }

  /** The latest record under `key` ({@link recordKey}: a node at a location), or undefined when it has none. */
  get(key: string): NodeRecord | undefined {
    return this.#current.get(key);
  }

  /** The latest record of every node at every location, in the order they were first recorded. */
  entries(): IterableIterator<NodeRecord> {
    return this.#current.values();
  }

  /** The latest records of node id `node`, one per location it was recorded at. */
  recordsOf(node: string): NodeRecord[] {
    return [...this.#current.values()].filter((r) => r.node === node);
  }

  /**
   * The most recent record under `key` whose fingerprint is `fingerprint` (the current one or one
   * of the last `historyDepth - 1` other fingerprints), or undefined. For the run-cache: when a
   * stale node's new fingerprint was recorded before, its outputs may be restorable from the
   * object store (check `ObjectStore.has` for each output digest). Loads history.jsonl on
   * first use.
   */
  async findByFingerprint(key: string, fingerprint: string): Promise<NodeRecord | undefined> {
    const current = this.#current.get(key);
    if (current?.fingerprint === fingerprint) return current;
    const match = (list: readonly NodeRecord[] | undefined): NodeRecord | undefined => list?.findLast((r) => r.fingerprint === fingerprint);
    return match(this.#recent.get(key)) ?? match((await this.#loadHistory()).get(key));
  }

  /** The records under `key` with distinct fingerprints, newest first, the current one first; at most `historyDepth`. Loads history.jsonl on first use. */
  async history(key: string): Promise<readonly NodeRecord[]> {
    const older = (await this.#loadHistory()).get(key) ?? [];
    const merged: NodeRecord[] = [];
    for (const r of older) pushDistinct(merged, r, Infinity);
    for (const r of this.#recent.get(key) ?? []) pushDistinct(merged, r, Infinity);
    const current = this.#current.get(key);
    if (current !== undefined) pushDistinct(merged, current, Infinity);
    return merged.reverse().slice(0, this.#depth);
  }

  /**
   * Records a node's run. Call only after all of the node's outputs are renamed into place
   * (and after `putBlob` of its parts): from the moment the line is written the node counts as
   * done. Resolves once the line is written (and fsync'd with `fsync: true`); the in-memory
   * view (`get`) changes only then.
   */
  append(record: NodeRecord): Promise<void> {
    this.#assertWritable();
    const line = recordLine(record);
    return this.#enqueue(async () => {
      this.#nodesHandle ??= await open(join(this.#dir, STATE_FILES.nodes), "a");
      await appendAll(this.#nodesHandle, line, this.#fsync);
      this.#lines += 1;
      supersede(this.#current, this.#recent, record, this.#depth);
    });
  }

  /** Forgets a node at a location entirely (its record and fingerprint history), e.g. one whose outputs are gone. */
  delete(node: string, at?: string): Promise<void> {
    this.#assertWritable();
    const key = recordKey(node, at);
    const line = `${JSON.stringify({ node, ...(at === undefined ? {} : { at }), deleted: true })}\n`;
    return this.#enqueue(async () => {
      this.#nodesHandle ??= await open(join(this.#dir, STATE_FILES.nodes), "a");
      await appendAll(this.#nodesHandle, line, this.#fsync);
      this.#lines += 1;
      this.#current.delete(key);
      this.#recent.delete(key);
      this.#tombstoned.add(key);
      (await this.#history)?.delete(key);
    });
  }

  /**
   * Stores a structured fingerprint part under its digest, once: a digest already present is
   * not written again. The value is written as `canonicalJson` (so it must be a value
   * `canonicalJson` accepts). Writes are queued with `append`, so a blob put before a record's
   * append is on disk before the record.
   */
  putBlob(digest: string, value: unknown): Promise<void> {
    this.#assertWritable();
    const text = canonicalJson(value);
    return this.#enqueue(async () => {
      const blobs = await this.#loadBlobs();
      if (blobs.has(digest)) return;
      if (this.#blobsHandle === undefined) {
        await repairTail(join(this.#dir, STATE_FILES.blobs));
        this.#blobsHandle = await open(join(this.#dir, STATE_FILES.blobs), "a");
      }
      await appendAll(this.#blobsHandle, `${BLOB_PREFIX}${digest}${BLOB_VALUE}${text}}\n`, this.#fsync);
      blobs.set(digest, text);
      this.#blobLines += 1;
    });
  }

  /** The structured part stored under `digest` (as parsed JSON; see `canonicalJson` for the mapping), or undefined. */
  async getBlob(digest: string): Promise<unknown> {
    const text = (await this.#loadBlobs()).get(digest);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  }

  /**
   * Rewrites the logs compactly: nodes.jsonl keeps only the latest record per node; superseded
   * records move to history.jsonl, which keeps the last `historyDepth - 1` other fingerprints
   * per node; blobs.jsonl keeps the blobs the latest records reference. Each file is replaced
   * by an fsync'd temporary file renamed over it. Call it when no node is between `putBlob`
   * and `append` (e.g. at open and close, which do it when the log has more than twice as many
   * lines as live nodes).
   */
  compact(): Promise<void> {
    this.#assertWritable();
    return this.#enqueue(() => this.#compact(true));
  }

  /** Waits for pending writes, compacts when the log has more than twice as many lines as live nodes (write mode), and closes the files. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#enqueue(async () => {
      if (this.#writable && this.#needsCompaction()) await this.#compact(false);
      await this.#nodesHandle?.close();
      await this.#blobsHandle?.close();
      this.#nodesHandle = undefined;
      this.#blobsHandle = undefined;
    });
  }

  #needsCompaction(): boolean {
    return this.#lines > 2 * this.#current.size;
  }

  #assertWritable(): void {
    if (!this.#writable) throw new Error("Internal error: the state store was opened read-only");
    if (this.#closed) throw new Error("Internal error: the state store is closed");
  }

  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  #loadHistory(): Promise<Map<string, NodeRecord[]>> {
    this.#history ??= (async () => {
      const history = new Map<string, NodeRecord[]>();
      const { lines } = completeLines(await readIfExists(join(this.#dir, STATE_FILES.history)));
      for (const text of lines) {
        const line = text === "" ? undefined : parseLine(text);
        if (line?.kind !== "record" || this.#tombstoned.has(keyOf(line.record))) continue;
        let list = history.get(keyOf(line.record));
        if (list === undefined) history.set(keyOf(line.record), (list = []));
        pushDistinct(list, line.record, this.#depth - 1);
      }
      return history;
    })();
    return this.#history;
  }

  #loadBlobs(): Promise<Map<string, string>> {
    this.#blobs ??= (async () => {
      const blobs = new Map<string, string>();
      const { lines } = completeLines(await readIfExists(join(this.#dir, STATE_FILES.blobs)));
      for (const line of lines) {
        // Indexed without parsing: the value is parsed only when asked for (explain reads a few).
        if (!line.startsWith(BLOB_PREFIX) || !line.endsWith("}")) continue;
        const end = line.indexOf('"', BLOB_PREFIX.length);
        if (end < 0 || !line.startsWith(BLOB_VALUE, end)) continue;
        blobs.set(line.slice(BLOB_PREFIX.length, end), line.slice(end + BLOB_VALUE.length, -1));
      }
      this.#blobLines = lines.length;
      return blobs;
    })();
    return this.#blobs;
  }

  /**
   * `full` (an explicit `compact()`): rewrite history.jsonl and blobs.jsonl whenever they hold
   * anything dead. Otherwise (automatic, at open and close) only when they have grown past
   * about twice their live size, so that a routine close does not reread them every time.
   */
  async #compact(full: boolean): Promise<void> {
    const nodesPath = join(this.#dir, STATE_FILES.nodes);
    const historyPath = join(this.#dir, STATE_FILES.history);
    const blobsPath = join(this.#dir, STATE_FILES.blobs);
    const nodesText = [...this.#current.values()].map(recordLine).join("");

    // 1. History first: if we crash before nodes.jsonl is replaced, the superseded records are
    //    in both files, and duplicates collapse on load (distinct fingerprints).
    const superseded = [...this.#recent.values()].flat();
    const historyDepth = this.#depth - 1;
    const historyBytes = await stat(historyPath).then((s) => s.size, () => 0);
    if (historyDepth === 0) {
      if (historyBytes > 0) await rm(historyPath, { force: true });
      this.#history = Promise.resolve(new Map());
    } else if (full || this.#tombstoned.size > 0 || historyBytes > 2 * historyDepth * Math.max(nodesText.length, 1)) {
      const history = await this.#loadHistory();
      for (const r of superseded) {
        let list = history.get(keyOf(r));
        if (list === undefined) history.set(keyOf(r), (list = []));
        pushDistinct(list, r, historyDepth);
      }
      const kept: string[] = [];
      for (const [key, list] of history) {
        const currentFingerprint = this.#current.get(key)?.fingerprint;
        for (const r of list) if (r.fingerprint !== currentFingerprint) kept.push(recordLine(r));
      }
      await replaceFile(historyPath, kept.join(""));
    } else if (superseded.length > 0) {
      await repairTail(historyPath);
      const handle = await open(historyPath, "a");
      try {
        await appendAll(handle, superseded.map(recordLine).join(""), true);
      } finally {
        await handle.close();
      }
      const loaded = await this.#history;
      if (loaded !== undefined) {
        for (const r of superseded) {
          let list = loaded.get(keyOf(r));
          if (list === undefined) loaded.set(keyOf(r), (list = []));
          pushDistinct(list, r, historyDepth);
        }
      }
    }

    // 2. The node log. Why reopen afterwards: the old descriptor still points at the replaced
    //    file, and appends through it would vanish with that file.
    await replaceFile(nodesPath, nodesText);
    await this.#nodesHandle?.close();
    this.#nodesHandle = undefined;
    this.#recent.clear();
    this.#tombstoned.clear();
    this.#lines = this.#current.size;

    // 3. Blobs no current record references.
    const blobs = await this.#loadBlobs();
    const referenced = new Set<string>();
    for (const r of this.#current.values()) for (const digest of Object.values(r.parts)) referenced.add(digest);
    if (full ? this.#blobLines > [...blobs.keys()].filter((d) => referenced.has(d)).length : this.#blobLines > 2 * referenced.size) {
      const kept = new Map<string, string>();
      for (const [digest, text] of blobs) if (referenced.has(digest)) kept.set(digest, text);
      await replaceFile(blobsPath, [...kept].map(([digest, text]) => `${BLOB_PREFIX}${digest}${BLOB_VALUE}${text}}\n`).join(""));
      await this.#blobsHandle?.close();
      this.#blobsHandle = undefined;
      this.#blobs = Promise.resolve(kept);
      this.#blobLines = kept.size;
    }
  }
}

/** Makes `record` the node's current record; the previous one, when its fingerprint differs, joins the node's recent history. */
function supersede(current: Map<string, NodeRecord>, recent: Map<string, NodeRecord[]>, record: NodeRecord, depth: number): void {
  const key = keyOf(record);
  const previous = current.get(key);
  current.set(key, record);
  if (previous === undefined || depth <= 1) return;
  let list = recent.get(key);
  if (previous.fingerprint !== record.fingerprint) {
    if (list === undefined) recent.set(key, (list = []));
    pushDistinct(list, previous, depth - 1);
  }
  // A fingerprint that is current again is no longer "other": drop its older copy from the recent list.
  if (list !== undefined) {
    const same = list.findIndex((r) => r.fingerprint === record.fingerprint);
    if (same >= 0) list.splice(same, 1);
    if (list.length === 0) recent.delete(key);
  }
}
