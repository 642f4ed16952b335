/**
 * The freshness snapshot: how a run whose every node is fresh finds so without reading the
 * state store.
 *
 * A run that selects the whole pipeline and ends with every node fresh by its record (judged
 * fresh, or run or restored and recorded) writes a snapshot: a key, the stamps of the state
 * store's files, and the stamp (device, inode, size, mtime and ctime in ns) of every output of
 * every node, each being a stamp the digest memo trusts for the digest that node's record holds.
 * The next run with the same key takes the snapshot instead of judging node by node when the
 * state files and every output still have exactly those stamps.
 *
 * Why that is the judgement a node-by-node run would make. A node's fingerprint is a function
 * of its stage parts (stage definition, code, parameters: in the key), its context (partition,
 * seed, output paths: functions of the resolved configuration and of cmbflow's own code, both
 * in the key) and its dependencies' records (in the state store, whose files are unchanged); it
 * is fresh when its record holds that fingerprint and each output's digest is the recorded one.
 * When the snapshot was written each node's record held the fingerprint that run computed, and
 * each output had a stamp the memo trusted for the recorded digest; equal stamps now mean equal
 * content, the one assumption the digest memo already makes (file-digests.ts: touch cannot set
 * ctime back). Anything else — another configuration, an edited stage or handler, another
 * cmbflow build, Node.js version or Legendre kernel, a record appended by any run, an output
 * edited, removed or replaced — changes the key or a stamp, and the run judges node by node.
 * Damaged cache entries are never hidden: the entries the engine checks at open must be of
 * the right kind, or the run opens the engine, which reports them.
 *
 * Snapshots live in `cache/fresh/<key>.json`, written atomically (temporary file, rename):
 * a first line with the digest of the rest, then the content as JSON; a torn or edited snapshot
 * is ignored, never trusted.
 * The newest {@link KEEP_SNAPSHOTS} are kept, so switching between a few configurations stays cheap.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { canonicalJson } from "./canonical.js";
import type { Hasher } from "./hash.js";
import { statIfExists } from "./cache-damage.js";
import { errnoCode } from "./cache-file-error.js";
import { statKey } from "./file-digests.js";

/** The folder of snapshots inside the cache folder. */
export const SNAPSHOT_DIR = "fresh";

/** How many snapshots are kept (the newest). */
export const KEEP_SNAPSHOTS = 4;

const FORMAT_VERSION = 1;

/** The state files a judgement reads, whose stamps must not have moved. */
const STATE_FILES = ["state/nodes.jsonl", "state/history.jsonl", "state/blobs.jsonl"] as const;

/** Entries the engine checks at open (engine.ts, state-store.ts), with the kind each must be. */
const CHECKED_ENTRIES: readonly (readonly [string, "file" | "folder"])[] = [
  ["objects", "folder"],
  ["scans", "folder"],
  ["file-digests.json", "file"],
  ["executors.json", "file"],
  ["state", "folder"],
  ["state/data-roots.json", "file"],
];

/** What the key of a snapshot is made of: everything a node's fingerprint depends on except files' contents and records. */
export interface SnapshotKeyParts {
  /** The folder the run works in (recorded paths are relative to it). */
  readonly workDir: string;
  /** Digest of the resolved configuration. */
  readonly config: string;
  /** Per stage in pipeline order: name, the digests of its stage, code and params parts, and its node count. */
  readonly stages: readonly { readonly name: string; readonly stage: string; readonly code: string; readonly params: string; readonly nodes: number }[];
  /** The cmbflow build that judges (see {@link buildStamp}). */
  readonly build: string;
}

/** The key of a snapshot: a digest of its parts and of the Node.js version that judges. */
export function snapshotKey(hasher: Pick<Hasher, "digestString">, parts: SnapshotKeyParts): string {
  return hasher.digestString(canonicalJson({ version: FORMAT_VERSION, node: process.version, ...parts }));
}

const builds = new Map<string, string>();

/**
 * The stamps of cmbflow's compiled code and package.json under `packageRoot`, digested: a
 * rebuilt or upgraded cmbflow (whose planning or judging may differ) never takes a snapshot
 * made by another build. Read once per process.
 */
export function buildStamp(hasher: Pick<Hasher, "digestString">, packageRoot: string): string {
  let stamp = builds.get(packageRoot);
  if (stamp === undefined) {
    const lines: string[] = [];
    const add = (path: string): void => {
      const s = statSync(path, { bigint: true, throwIfNoEntry: false });
      lines.push(`${path} ${s === undefined ? "-" : statKey(s)}`);
    };
    add(join(packageRoot, "package.json"));
    const dist = join(packageRoot, "dist");
    let files: string[] = [];
    try {
      files = readdirSync(dist, { recursive: true, encoding: "utf8" }).sort();
    } catch {
      // No dist/ (cmbflow run from its sources): the sources' stamps below stand in.
    }
    for (const file of files) if (file.endsWith(".js")) add(join(dist, file));
    if (files.length === 0) {
      const src = join(packageRoot, "src");
      for (const file of readdirSync(src, { recursive: true, encoding: "utf8" }).sort()) if (file.endsWith(".ts")) add(join(src, file));
    }
    stamp = hasher.digestString(lines.join("\n"));
    builds.set(packageRoot, stamp);
  }
  return stamp;
}

/** A snapshot's content (the file is its check digest, a newline, then this as JSON). */
interface SnapshotBody {
  readonly version: number;
  readonly key: string;
  /** Stamp of each of {@link STATE_FILES}, "-" when absent. */
  readonly state: readonly string[];
  /** Outputs' paths as recorded (relative to the work folder when inside it) and their stamps. */
  readonly paths: readonly string[];
  readonly stamps: readonly string[];
}

/** The stamps of {@link STATE_FILES}: "-" for one that is absent, "?" (which never matches) for one that cannot be stat-ed. */
async function stateStamps(cacheDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const file of STATE_FILES) {
    out.push(
      await stat(join(cacheDir, file), { bigint: true }).then(
        (s) => statKey(s),
        (caught: unknown) => (errnoCode(caught) === "ENOENT" ? "-" : "?"),
      ),
    );
  }
  return out;
}

/**
 * Writes the snapshot of `key` with the outputs' recorded paths and trusted stamps, after the
 * run has closed its stores (the state files' stamps are taken now), and keeps the newest
 * {@link KEEP_SNAPSHOTS}. Only a shortcut: the caller ignores a failure to write it.
 */
export async function writeSnapshot(hasher: Pick<Hasher, "digestString">, cacheDir: string, key: string, outputs: { readonly paths: readonly string[]; readonly stamps: readonly string[] }): Promise<void> {
  const body: SnapshotBody = { version: FORMAT_VERSION, key, state: await stateStamps(cacheDir), paths: outputs.paths, stamps: outputs.stamps };
  const json = JSON.stringify(body);
  const dir = join(cacheDir, SNAPSHOT_DIR);
  await mkdir(dir, { recursive: true });
  const target = join(dir, `${key}.json`);
  const temp = `${target}.${String(process.pid)}-${Math.random().toString(36).slice(2)}.tmp`;
  try {
    // The digest of the body first, so a damaged or edited snapshot is never taken.
    await writeFile(temp, `${hasher.digestString(json)}\n${json}`);
    await rename(temp, target);
  } finally {
    await rm(temp, { force: true });
  }
  const names = (await readdir(dir)).filter((n) => n.endsWith(".json"));
  if (names.length > KEEP_SNAPSHOTS) {
    const aged = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(dir, n)).catch(() => undefined))?.mtimeMs ?? 0 })));
    aged.sort((a, b) => b.t - a.t);
    for (const { n } of aged.slice(KEEP_SNAPSHOTS)) await rm(join(dir, n), { force: true });
  }
}

/** Why a snapshot was not taken (the first thing found), for tests and for anyone debugging a slow no-op run. */
export type SnapshotMiss = "none" | "damaged" | "state-changed" | "cache-entry" | "jobs-left" | "output-changed";

/**
 * Whether the snapshot of `key` holds: it exists and is intact, the state files and the
 * engine's checked entries are as they were, and every output's stamp is the one recorded.
 * `located` makes a recorded path one to stat from this process (engine `absolutePath`, or the
 * path as it is when the process runs in the work folder).
 */
export async function checkSnapshot(
  hasher: Pick<Hasher, "digestString">,
  cacheDir: string,
  key: string,
  located: (recorded: string) => string,
): Promise<{ readonly taken: true; readonly outputs: number } | { readonly taken: false; readonly miss: SnapshotMiss }> {
  let text: string;
  try {
    const path = join(cacheDir, SNAPSHOT_DIR, `${key}.json`);
    // Only a regular file is read (a FIFO would block).
    if ((await statIfExists(path))?.isFile() !== true) return { taken: false, miss: "none" };
    text = readFileSync(path, "utf8");
  } catch {
    return { taken: false, miss: "none" };
  }
  const newline = text.indexOf("\n");
  const json = text.slice(newline + 1);
  if (newline < 0 || text.slice(0, newline) !== hasher.digestString(json)) return { taken: false, miss: "damaged" };
  let file: SnapshotBody;
  try {
    file = JSON.parse(json) as SnapshotBody;
  } catch {
    return { taken: false, miss: "damaged" };
  }
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");
  if (
    file === null ||
    typeof file !== "object" ||
    file.version !== FORMAT_VERSION ||
    file.key !== key ||
    !strings(file.state) ||
    !strings(file.paths) ||
    !strings(file.stamps) ||
    file.paths.length !== file.stamps.length
  ) {
    return { taken: false, miss: "damaged" };
  }
  const state = await stateStamps(cacheDir);
  if (state.length !== file.state.length || state.some((s, i) => s === "?" || s !== file.state[i])) return { taken: false, miss: "state-changed" };
  for (const [entry, kind] of CHECKED_ENTRIES) {
    const s = await statIfExists(join(cacheDir, entry));
    if (s !== undefined && !(kind === "file" ? s.isFile() : s.isDirectory())) return { taken: false, miss: "cache-entry" };
  }
  // A dead Slurm coordinator's journal (backends/slurm/journal.ts): its jobs may still be
  // writing outputs, and the run that re-attaches to them must judge node by node.
  const journals = await readdir(join(cacheDir, "slurm", "journal")).catch(() => [] as string[]);
  if (journals.some((n) => n.endsWith(".jsonl"))) return { taken: false, miss: "jobs-left" };
  const same = allStampsMatch(file.paths.map(located), file.stamps);
  return same ? { taken: true, outputs: file.paths.length } : { taken: false, miss: "output-changed" };
}

/**
 * Whether every path's stat has its stamp, stopping at the first that has not. Why synchronous
 * stats, one after another: from the thread pool a stat costs more in callbacks than it saves
 * here, and a second thread checking half of a 30,000-output list (measured) finished no
 * sooner, its start and the kernel's own path walks eating what it took off this thread.
 */
function allStampsMatch(paths: readonly string[], stamps: readonly string[]): boolean {
  for (let i = 0; i < paths.length; i++) {
    const s = statSync(paths[i] ?? "", { bigint: true, throwIfNoEntry: false });
    if (s === undefined || statKey(s) !== stamps[i]) return false;
  }
  return true;
}
