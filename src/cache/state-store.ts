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
import { copyFile, mkdir, open, rename, rm, stat } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { canonicalJson } from "./canonical.js";
import type { CacheDamage } from "./cache-damage.js";
import { checkEntry, statIfExists, quarantineCopyPath } from "./cache-damage.js";
import { CacheFileError } from "./cache-file-error.js";

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
  /** How long the node took, in ms, from when the scheduler handed it to the runner (a wait in the runner's queue included). */
  readonly durationMs: number;
  /**
   * What the node's work cost the threads that ran it (scheduler/unit-usage.ts): `workMs`, its
   * units' wall time in their threads; `heapPeakBytes`, the peak of that thread's V8 heap in use
   * plus external (ArrayBuffer) memory — not the process's RSS, which all threads share;
   * `heapGrowthBytes`, that peak less the thread's reading when the unit started. Absent from
   * records written before it was measured, and from runners that do not measure.
   */
  readonly usage?: { readonly workMs: number; readonly heapPeakBytes: number; readonly heapGrowthBytes: number };
  /**
   * Set when the outputs were restored from the object store rather than computed: the run
   * that restored them and when. `runId`, `start` and `durationMs` stay those of the run that
   * computed them.
   */
  readonly restoredBy?: { readonly runId: string; readonly at: string };
  /** Where the node's units ran, when the backend says (Slurm: job, array index and host); absent for threads. */
  readonly ranOn?: readonly string[];
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
  /**
   * The cache folder the state folder is in. With it, write mode moves damaged files (a
   * folder or FIFO in a file's place, a log with unreadable lines) to its quarantine
   * (cache-damage.ts) and goes on without them; without it they are only read around.
   */
  readonly cacheDir?: string;
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

/** Bytes read at a time when looking for the last newline, and when a log is too large for one string. */
const CHUNK = 1 << 20;
/** A log up to this size is decoded as one string (the fast path); larger ones line by line. */
const MAX_TEXT = 256 << 20;
/** A "line" longer than this is damage (e.g. a run of zeros a crash left), not a record: skipped unread. */
const MAX_LINE = 64 << 20;

/** The complete lines of a JSON-lines file and whether it ends in a torn line. */
interface LoadedLines {
  readonly lines: string[];
  readonly tornTail: boolean;
  /** Lines dropped unread for their length (counted as skipped). */
  readonly oversized: number;
}

const NO_LINES: LoadedLines = { lines: [], tornTail: false, oversized: 0 };

/**
 * Reads the complete lines of a log: everything before its last newline. Only a regular file
 * is opened (a FIFO would block for ever; a folder is reported by `open`'s checks). A torn
 * tail of any length (a crash can leave hundreds of MB of zeros) is never read into memory:
 * the last newline is found by reading backwards, and the text before it is read in chunks
 * when it is too large for one string.
 */
async function readLines(path: string): Promise<LoadedLines> {
  const stats = await statIfExists(path);
  if (stats?.isFile() !== true) return NO_LINES;
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    const end = await lastNewline(handle, size);
    const tornTail = end < size;
    if (end <= MAX_TEXT) {
      if (end === 0) return { lines: [], tornTail, oversized: 0 };
      const buffer = Buffer.allocUnsafe(end);
      let read = 0;
      while (read < end) read += (await handle.read(buffer, read, end - read, read)).bytesRead;
      return { lines: buffer.toString("utf8", 0, end - 1).split("\n"), tornTail, oversized: 0 };
    }
    const lines: string[] = [];
    let oversized = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const chunk = Buffer.allocUnsafe(CHUNK);
    for (let position = 0; position < end; ) {
      const { bytesRead } = await handle.read(chunk, 0, Math.min(CHUNK, end - position), position);
      if (bytesRead === 0) break;
      position += bytesRead;
      let from = 0;
      for (let nl = chunk.indexOf(10, from); nl >= 0 && nl < bytesRead; nl = chunk.indexOf(10, from)) {
        if (pendingBytes + nl - from > MAX_LINE) oversized += 1;
        else lines.push(Buffer.concat([...pending, chunk.subarray(from, nl)]).toString("utf8"));
        pending = [];
        pendingBytes = 0;
        from = nl + 1;
      }
      if (from < bytesRead) {
        pendingBytes += bytesRead - from;
        // Why drop rather than keep a too-long line's bytes: it is skipped anyway, and keeping it could exhaust memory.
        pending = pendingBytes > MAX_LINE ? [] : [...pending, Buffer.from(chunk.subarray(from, bytesRead))];
      }
    }
    return { lines, tornTail, oversized };
  } finally {
    await handle.close();
  }
}

/** The offset just past the last newline of an open file of `size` bytes (0 when it has none), reading backwards. */
async function lastNewline(handle: FileHandle, size: number): Promise<number> {
  const chunk = new Uint8Array(Math.min(CHUNK, Math.max(size, 1)));
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await handle.read(chunk, 0, end - start, start);
    const newline = chunk.subarray(0, bytesRead).lastIndexOf(10);
    if (newline >= 0) return start + newline + 1;
    end = start;
  }
  return 0;
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}

/** Whether `value` is a recorded output: `{path, digest, size}` of the right types. */
function isOutput(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const o = value as Record<string, unknown>;
  return isString(o.path) && o.path !== "" && isString(o.digest) && typeof o.size === "number";
}

/** Whether `value` is an object whose values are all strings (a record's `parts`). */
function isStringMap(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  for (const v of Object.values(value)) if (!isString(v)) return false;
  return true;
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
  // Every field a reader uses is checked here, once, so that a line that is valid JSON but not
  // a record (hand-edited, or written by something else) is damage, never a crash further on.
  if (
    typeof v.fingerprint !== "string" ||
    !isStringMap(v.parts) ||
    !Array.isArray(v.outputs) ||
    !v.outputs.every(isOutput) ||
    typeof v.runId !== "string" ||
    typeof v.start !== "string" ||
    typeof v.durationMs !== "number"
  ) {
    return undefined;
  }
  if (v.restoredBy !== undefined) {
    const r = v.restoredBy as Record<string, unknown> | null;
    if (typeof r !== "object" || r === null || !isString(r.runId) || !isString(r.at)) return undefined;
  }
  if (v.ranOn !== undefined && (!Array.isArray(v.ranOn) || !v.ranOn.every(isString))) return undefined;
  if (v.changedDuringRun !== undefined) {
    const c = v.changedDuringRun as Record<string, unknown> | null;
    if (typeof c !== "object" || c === null || !Array.isArray(c.changes) || !c.changes.every(isString)) return undefined;
  }
  if (v.usage !== undefined) {
    const u = v.usage as Record<string, unknown> | null;
    if (typeof u !== "object" || u === null || ![u.workMs, u.heapPeakBytes, u.heapGrowthBytes].every((x) => typeof x === "number" && Number.isFinite(x) && x >= 0)) return undefined;
  }
  return { kind: "record", record: value as NodeRecord };
}

/** A record's line, keys in a fixed order (and no foreign properties a caller's object might carry). */
function recordLine(r: NodeRecord): string {
  const outputs = r.outputs.map((o) => ({ path: o.path, digest: o.digest, size: o.size }));
  const restored = r.restoredBy === undefined ? {} : { restoredBy: { runId: r.restoredBy.runId, at: r.restoredBy.at } };
  const at = r.at === undefined ? {} : { at: r.at };
  const changed = r.changedDuringRun === undefined ? {} : { changedDuringRun: { changes: [...r.changedDuringRun.changes] } };
  const usage = r.usage === undefined ? {} : { usage: { workMs: r.usage.workMs, heapPeakBytes: r.usage.heapPeakBytes, heapGrowthBytes: r.usage.heapGrowthBytes } };
  const ranOn = r.ranOn === undefined ? {} : { ranOn: [...r.ranOn] };
  return `${JSON.stringify({ node: r.node, ...at, fingerprint: r.fingerprint, parts: r.parts, outputs, runId: r.runId, start: r.start, durationMs: r.durationMs, ...usage, ...restored, ...ranOn, ...changed })}\n`;
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
  const stats = await statIfExists(path);
  if (stats?.isFile() !== true) return;
  const handle = await open(path, "r+");
  try {
    const { size } = await handle.stat();
    const end = await lastNewline(handle, size);
    if (end < size) await handle.truncate(end);
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
  #blobSkipped = 0;
  #nodesHandle: FileHandle | undefined;
  #blobsHandle: FileHandle | undefined;
  /** Serialises writes (appends, blob puts, compaction) so each lands whole and in call order. */
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  readonly #damage: readonly CacheDamage[];
  /** The state folder's device and inode when a writer opened it: a different one at close means it was removed during the run. */
  readonly #identity: { readonly dev: number; readonly ino: number } | undefined;

  private constructor(
    dir: string,
    options: StateStoreOptions,
    loaded: {
      current: Map<string, NodeRecord>;
      recent: Map<string, NodeRecord[]>;
      tombstoned: Set<string>;
      lines: number;
      skipped: number;
      tornTail: boolean;
      damage: readonly CacheDamage[];
      identity: { dev: number; ino: number } | undefined;
    },
  ) {
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
    this.#damage = loaded.damage;
    this.#identity = loaded.identity;
  }

  /**
   * Loads the store in folder `dir` (a missing folder is an empty store). In write mode the
   * folder is created, a torn final line is truncated, and the log is compacted when it has
   * more than twice as many lines as live nodes.
   */
  static async open(dir: string, options: StateStoreOptions = {}): Promise<StateStore> {
    const nodesPath = join(dir, STATE_FILES.nodes);
    const writable = options.mode === "write";
    const quarantineIn = writable ? options.cacheDir : undefined;
    const damage: CacheDamage[] = [];
    // Kinds are checked before anything is opened: a FIFO in a log's place would block the
    // read for ever, and a file in the folder's place would fail every append.
    const folderDamage = await checkEntry(dir, "folder", quarantineIn);
    if (folderDamage !== undefined) damage.push(folderDamage);
    if (folderDamage === undefined || folderDamage.movedTo !== undefined) {
      for (const name of [STATE_FILES.nodes, STATE_FILES.history, STATE_FILES.blobs]) {
        const found = await checkEntry(join(dir, name), "file", quarantineIn);
        if (found !== undefined) damage.push(found);
      }
    }
    let identity: { dev: number; ino: number } | undefined;
    if (writable) {
      await mkdir(dir, { recursive: true });
      await repairTail(nodesPath);
      const s = await stat(dir);
      identity = { dev: s.dev, ino: s.ino };
    }
    const depth = historyDepthOf(options);
    const { lines, tornTail, oversized } = await readLines(nodesPath);
    const current = new Map<string, NodeRecord>();
    const recent = new Map<string, NodeRecord[]>();
    const tombstoned = new Set<string>();
    let skipped = oversized;
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
    if (skipped > 0) {
      const problem = `${String(skipped)} unreadable line${skipped === 1 ? "" : "s"} (their records are lost; those nodes run again)`;
      if (quarantineIn === undefined) {
        damage.push({ path: nodesPath, problem });
      } else {
        // The log as it was is kept aside before compaction rewrites it without the damaged lines.
        const copy = await quarantineCopyPath(quarantineIn, nodesPath);
        await copyFile(nodesPath, copy);
        damage.push({ path: nodesPath, problem, copiedTo: copy });
      }
    }
    const store = new StateStore(dir, options, { current, recent, tombstoned, lines: lines.length + oversized, skipped, tornTail, damage, identity });
    if (store.#writable && (store.#needsCompaction() || (skipped > 0 && quarantineIn !== undefined))) await store.#enqueue(() => store.#compact(false));
    return store;
  }

  /** Damaged files found when the store was opened (and, in write mode with `cacheDir`, quarantined). */
  get damage(): readonly CacheDamage[] {
    return this.#damage;
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
      // A line damaged by hand holds other text under this digest: the new line replaces it (the last line wins on load).
      if (blobs.get(digest) === text) return;
      if (this.#blobsHandle === undefined) {
        await repairTail(join(this.#dir, STATE_FILES.blobs));
        this.#blobsHandle = await open(join(this.#dir, STATE_FILES.blobs), "a");
      }
      await appendAll(this.#blobsHandle, `${BLOB_PREFIX}${digest}${BLOB_VALUE}${text}}\n`, this.#fsync);
      blobs.set(digest, text);
      this.#blobLines += 1;
    });
  }

  /**
   * Whether the part stored under `digest` is there and intact (`intact` of its text: it
   * digests to its name), for `cache verify` and `explain`. Damage here does not touch freshness (records
   * hold the parts' digests); it leaves `explain` unable to say what changed.
   */
  async checkBlob(digest: string, intact: (text: string) => boolean): Promise<"ok" | "missing" | "damaged"> {
    const text = (await this.#loadBlobs()).get(digest);
    if (text === undefined) return "missing";
    return intact(text) ? "ok" : "damaged";
  }

  /** Lines of blobs.jsonl that could not be read (after `checkBlob` or `getBlob` loaded it). */
  get unreadableBlobLines(): number {
    return this.#blobSkipped;
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
      if (this.#lost) return;
      if (this.#writable) await this.#checkStillThere();
      if (this.#writable && this.#needsCompaction()) await this.#compact(false);
      await this.#nodesHandle?.close();
      await this.#blobsHandle?.close();
      this.#nodesHandle = undefined;
      this.#blobsHandle = undefined;
    });
  }

  /**
   * Fails (a `CacheFileError`) when the state folder or the node log was removed or replaced while we wrote to it:
   * appends through a descriptor of a deleted file succeed and vanish with it, so without this
   * check a run whose records were all lost would report success.
   */
  checkIntact(): Promise<void> {
    this.#assertWritable();
    return this.#enqueue(() => this.#checkStillThere());
  }

  async #checkStillThere(): Promise<void> {
    const lost = (what: string): CacheFileError => {
      // Said once: `close` after this neither checks again nor compacts into a folder that is gone.
      this.#lost = true;
      return new CacheFileError(this.#dir, `${what} during the run: the records of this run could not be kept, so their nodes will run again next time`);
    };
    const now = await statIfExists(this.#dir);
    if (this.#identity !== undefined && (now?.isDirectory() !== true || now.dev !== this.#identity.dev || now.ino !== this.#identity.ino)) {
      await this.#closeHandles();
      throw lost("the state folder was removed or replaced");
    }
    if (this.#nodesHandle !== undefined && (await this.#nodesHandle.stat()).nlink === 0) {
      await this.#closeHandles();
      throw lost(`${STATE_FILES.nodes} was removed`);
    }
  }

  async #closeHandles(): Promise<void> {
    await this.#nodesHandle?.close();
    await this.#blobsHandle?.close();
    this.#nodesHandle = undefined;
    this.#blobsHandle = undefined;
  }

  #lost = false;

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
      const { lines } = await readLines(join(this.#dir, STATE_FILES.history));
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
      const { lines } = await readLines(join(this.#dir, STATE_FILES.blobs));
      for (const line of lines) {
        // Indexed without parsing: the value is parsed only when asked for (explain reads a few).
        if (!line.startsWith(BLOB_PREFIX) || !line.endsWith("}")) {
          if (line !== "") this.#blobSkipped++;
          continue;
        }
        const end = line.indexOf('"', BLOB_PREFIX.length);
        if (end < 0 || !line.startsWith(BLOB_VALUE, end)) {
          this.#blobSkipped++;
          continue;
        }
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
