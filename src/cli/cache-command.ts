/**
 * `cmbflow cache du | gc [--keep-last N] | verify`: the size of the cache folder, clean-up of the
 * run-cache's object store, and a re-digest of the stored objects and the recorded outputs.
 *
 * These work on the cache folder alone (`./cache`), without the configuration: they concern
 * what was recorded, whichever config recorded it.
 *
 * `gc` is a writer (it removes objects and compacts the state logs), so it takes the cache
 * lock and refuses while a `run` holds it; `du` and `verify` only read and never wait.
 * Objects a node may still be restored from are kept: those of each node's latest record at
 * each location (dataset folder) and, with `--keep-last N`, of its last N distinct fingerprints
 * there (the state store remembers at most 5). `gc` drops, and lists, the records none of
 * whose outputs exists any more (a removed dataset folder); every other dataset keeps its own. A superseded record whose objects were removed stays in the history; the engine
 * only restores a record whose objects are all present, so it is just not restorable any more.
 */
import { existsSync } from "node:fs";
import { rmdir, stat } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import type { CacheEngine } from "../cache/engine.js";
import { CacheEngine as Engine } from "../cache/engine.js";
import { SCANS_DIR } from "../cache/scan-cache.js";
import { FILE_DIGESTS_FILE, NOT_A_FILE } from "../cache/file-digests.js";
import { isNotAFile } from "../cache/hash.js";
import { insideRoots } from "../cache/data-roots.js";
import { acquireLock, lockFailureMessage, lockTakeoverMessage } from "../cache/lock.js";
import { describeDamage, QUARANTINE_DIR, REPAIR_HINT } from "../cache/cache-damage.js";
import type { Lock } from "../cache/lock.js";
import { OBJECTS_DIR } from "../cache/object-store.js";
import type { VerifiedObject } from "../cache/object-store.js";
import type { NodeRecord } from "../cache/state-store.js";
import { DEFAULT_HISTORY_DEPTH, keyOf, STATE_FILES } from "../cache/state-store.js";
import { sweepDeadTemporaries } from "../core/output-transaction.js";
import { journalDir, journalsLeft } from "../backends/slurm/journal.js";
import { sweepResultFiles } from "../backends/slurm/manifest.js";
import type { CliIo } from "./io.js";
import { EXIT_FAILED, EXIT_OK } from "./io.js";
import { cacheDirFor } from "./run-command.js";

interface JsonFlag {
  readonly json?: boolean;
}

interface GcFlags extends JsonFlag {
  readonly keepLast: number;
}

interface VerifyFlags extends JsonFlag {
  readonly removeCorrupt?: boolean;
  readonly repair?: boolean;
}

/** The state folder inside the cache folder (as `CacheEngine.open` lays it out). */
const STATE_DIR = "state";

/** Dropped records listed by `gc` (the rest are counted). */
const DROPPED_SHOWN = 10;

/** Settings only matter to `run`; these commands never store or restore outputs. */
const SETTINGS = { enabled: true, link: "copy" } as const;

/** Registers `cache` and its subcommands `du`, `gc` and `verify` on the program. */
export function cacheCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  const cache = program
    .command("cache")
    .description("size, clean-up and check of the cache folder (./cache)")
    .addHelpText(
      "after",
      `
Examples:
  cmbflow cache du                 objects, state logs and records, with their sizes
  cmbflow cache gc                 remove the objects no node's current record uses
  cmbflow cache gc --keep-last 3   ... but keep each node's last 3 fingerprints restorable
  cmbflow cache verify             re-digest objects, outputs and scan results; exit 1 when anything is wrong`,
    );
  cache
    .command("du")
    .description("sizes of the object store and the state logs, and the number of node records")
    .option("--json", "print the sizes as JSON")
    .addHelpText("after", "\nSizes are apparent sizes: objects cloned with reflinks share blocks with the outputs.\n\nExamples:\n  cmbflow cache du\n  cmbflow cache du --json")
    .action(async (flags: JsonFlag) => {
      done(await du(flags, io));
    });
  cache
    .command("gc")
    .description("remove stored objects no node's last N fingerprints use, stale temporary files, and compact the state logs")
    .option("--keep-last <n>", "keep the objects of each node's last N distinct fingerprints (1: only the current one)", keepLastCount, 1)
    .option("--json", "print what was freed as JSON")
    .addHelpText(
      "after",
      `
Takes the cache lock: refused while a cmbflow run is active.

Examples:
  cmbflow cache gc                 after a config change: free the objects of old outputs
  cmbflow cache gc --keep-last 2   keep the previous version of every node restorable`,
    )
    .action(async (flags: GcFlags) => {
      done(await gc(flags, io));
    });
  cache
    .command("verify")
    .description("re-digest every stored object and every recorded output; exit 1 when any is corrupt, modified or missing")
    .option("--remove-corrupt", "remove corrupt objects (takes the cache lock), so they are never restored")
    .option("--repair", "also put damaged cache files aside in cache/quarantine/ (takes the cache lock); what they held is recomputed by the next run")
    .option("--json", "print the findings as JSON")
    .addHelpText(
      "after",
      `
Every file is read again (the digest memo is not trusted), so this takes as long as reading the
data once. Run it when no cmbflow run is active: an output being rewritten may show as modified.

Examples:
  cmbflow cache verify
  cmbflow cache verify --remove-corrupt
  cmbflow cache verify --repair`,
    )
    .action(async (flags: VerifyFlags) => {
      done(await verify(flags, io));
    });
}

function keepLastCount(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError("expected a whole number ≥ 1.");
  // More would promise versions the store has already forgotten.
  if (Number(value) > DEFAULT_HISTORY_DEPTH) throw new InvalidArgumentError(`the store remembers at most ${String(DEFAULT_HISTORY_DEPTH)} fingerprints per node.`);
  return Number(value);
}

function shownPath(path: string, io: CliIo): string {
  const rel = relative(io.cwd, path);
  return rel === "" ? "." : rel.startsWith("..") ? path : rel;
}

/** Bytes as `512 B`, `1.5 KiB`, `2.9 MiB`, ... (binary units). */
function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${String(bytes)} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"] as const;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit] ?? "TiB"}`;
}

function plural(n: number, word: string): string {
  return `${String(n)} ${word}${n === 1 ? "" : "s"}`;
}

async function sizeOf(path: string): Promise<number> {
  return stat(path).then(
    (s) => s.size,
    () => 0,
  );
}

/** Sizes of the state logs, by file name. */
async function stateSizes(cacheDir: string): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  for (const file of Object.values(STATE_FILES)) sizes[file] = await sizeOf(join(cacheDir, STATE_DIR, file));
  return sizes;
}

function sum(sizes: Readonly<Record<string, number>>): number {
  return Object.values(sizes).reduce((a, b) => a + b, 0);
}

/** The cache folder, or undefined (message printed) when there is none. */
function existingCacheDir(io: CliIo): string | undefined {
  const cacheDir = cacheDirFor(io);
  if (existsSync(cacheDir)) return cacheDir;
  io.stderr(`error: no cache folder ${cacheDir}: run cmbflow cache in the project folder where cmbflow run was run\n`);
  return undefined;
}

async function du(flags: JsonFlag, io: CliIo): Promise<number> {
  const cacheDir = existingCacheDir(io);
  if (cacheDir === undefined) return EXIT_FAILED;
  const engine = await Engine.open({ cacheDir, workDir: io.cwd, mode: "read", settings: SETTINGS });
  try {
    const objects = await engine.objects.du();
    const state = await stateSizes(cacheDir);
    let earlier = 0;
    for (const record of engine.store.entries()) earlier += (await engine.store.history(keyOf(record))).length - 1;
    const memo = await sizeOf(join(cacheDir, FILE_DIGESTS_FILE));
    const scans = await engine.scans.du();
    const total = objects.bytes + sum(state) + memo + scans.bytes;
    if (flags.json === true) {
      io.stdout(
        `${JSON.stringify(
          {
            objects: { count: objects.objects, bytes: objects.bytes },
            state: { bytes: sum(state), files: state },
            records: { nodes: engine.store.size, earlier_fingerprints: earlier },
            digest_memo_bytes: memo,
            scan_results: { count: scans.results, bytes: scans.bytes },
            total_bytes: total,
          },
          null,
          2,
        )}\n`,
      );
      return EXIT_OK;
    }
    const files = Object.entries(state)
      .map(([name, bytes]) => `${name} ${formatBytes(bytes)}`)
      .join(", ");
    const rows: [string, string, string][] = [
      ["objects", `${plural(objects.objects, "file")}, ${formatBytes(objects.bytes)}`, shownPath(join(cacheDir, OBJECTS_DIR), io)],
      ["state logs", formatBytes(sum(state)), `${shownPath(join(cacheDir, STATE_DIR), io)} (${files})`],
      ["records", `${plural(engine.store.size, "node")}, ${plural(earlier, "earlier fingerprint")}`, ""],
      ["digest memo", formatBytes(memo), shownPath(join(cacheDir, FILE_DIGESTS_FILE), io)],
      ["scan results", `${plural(scans.results, "file")}, ${formatBytes(scans.bytes)}`, shownPath(join(cacheDir, SCANS_DIR), io)],
      ["total", formatBytes(total), ""],
    ];
    const width = Math.max(...rows.map((r) => r[1].length));
    for (const [label, value, where] of rows) io.stdout(`${label.padEnd(12)} ${where === "" ? value : `${value.padEnd(width)}  ${where}`}\n`);
    return EXIT_OK;
  } finally {
    await engine.close();
  }
}

/** Takes the cache lock for a writing subcommand; undefined (message printed) when another process holds it. */
async function lockFor(what: string, cacheDir: string, io: CliIo): Promise<Lock | undefined> {
  const lock = await acquireLock(cacheDir);
  if (!lock.ok) {
    io.stderr(`error: ${what} needs the cache to itself. ${lockFailureMessage(lock.error)}\n`);
    return undefined;
  }
  if (lock.value.tookOverFrom !== undefined) io.stderr(`note: ${lockTakeoverMessage(lock.value.tookOverFrom)}\n`);
  return lock.value;
}

async function gc(flags: GcFlags, io: CliIo): Promise<number> {
  const cacheDir = existingCacheDir(io);
  if (cacheDir === undefined) return EXIT_FAILED;
  const lock = await lockFor("cache gc", cacheDir, io);
  if (lock === undefined) return EXIT_FAILED;
  try {
    // Measured before opening: opening for writing may already compact.
    const stateBefore = sum(await stateSizes(cacheDir));
    const engine = await Engine.open({ cacheDir, workDir: io.cwd, mode: "write", settings: SETTINGS });
    let freed: Awaited<ReturnType<typeof collect>>;
    try {
      freed = await collect(engine, cacheDir, flags.keepLast);
    } finally {
      await engine.close();
    }
    const stateAfter = sum(await stateSizes(cacheDir));
    if (flags.json === true) {
      io.stdout(
        `${JSON.stringify(
          {
            keep_last: flags.keepLast,
            records_dropped: freed.dropped.map((r) => ({ node: r.node, outputs: r.outputs.map((o) => o.path) })),
            removed: { objects: freed.removed, bytes: freed.removedBytes },
            kept: { objects: freed.kept, bytes: freed.keptBytes },
            temp_files_removed: freed.temps,
            slurm_result_files: { removed: freed.results.kept ? 0 : freed.results.count, kept: freed.results.kept ? freed.results.count : 0 },
            scan_results_removed: { count: freed.scans, bytes: freed.scanBytes },
            digest_memo_entries_removed: freed.memo,
            state_bytes: { before: stateBefore, after: stateAfter },
          },
          null,
          2,
        )}\n`,
      );
      return EXIT_OK;
    }
    const which = flags.keepLast === 1 ? "current fingerprint" : `last ${String(flags.keepLast)} fingerprints`;
    if (freed.dropped.length > 0) {
      io.stdout(`dropped ${plural(freed.dropped.length, "record")} whose outputs are all gone:\n`);
      for (const r of freed.dropped.slice(0, DROPPED_SHOWN)) io.stdout(`  ${r.node}  ${r.outputs.map((o) => o.path).join(", ")}\n`);
      if (freed.dropped.length > DROPPED_SHOWN) io.stdout(`  … and ${String(freed.dropped.length - DROPPED_SHOWN)} more (--json lists them all)\n`);
    }
    io.stdout(`removed ${plural(freed.removed, "object")} (${formatBytes(freed.removedBytes)}) not used by any node's ${which}\n`);
    io.stdout(`kept ${plural(freed.kept, "object")} (${formatBytes(freed.keptBytes)})\n`);
    io.stdout(`removed ${plural(freed.temps, "stale temporary file")}\n`);
    if (freed.results.count > 0) {
      io.stdout(
        freed.results.kept
          ? `kept ${plural(freed.results.count, "Slurm result file")} beside outputs: a coordinator that stopped left its journal in ${shownPath(journalDir(cacheDir), io)}, and the next run takes them over\n`
          : `removed ${plural(freed.results.count, "Slurm result file")} beside outputs that no run will record\n`,
      );
    }
    if (freed.scans > 0) io.stdout(`removed ${plural(freed.scans, "scan result")} (${formatBytes(freed.scanBytes)}) unused since the oldest current record was made\n`);
    if (freed.memo > 0) io.stdout(`forgot ${plural(freed.memo, "file")} in the digest memo that no record lists\n`);
    io.stdout(`state logs ${formatBytes(stateBefore)} → ${formatBytes(stateAfter)} (compacted)\n`);
    return EXIT_OK;
  } finally {
    await lock.release();
  }
}

/** The clean-up itself, under the lock. */
async function collect(
  engine: CacheEngine,
  cacheDir: string,
  keepLast: number,
): Promise<{
  removed: number;
  removedBytes: number;
  kept: number;
  keptBytes: number;
  temps: number;
  results: { count: number; kept: boolean };
  memo: number;
  scans: number;
  scanBytes: number;
  dropped: readonly NodeRecord[];
}> {
  const keep = new Set<string>();
  const outputs = new Set<string>();
  // Records are kept per node and output location (dataset folder), so every dataset whose
  // outputs are on disk keeps its records and objects. A record none of whose outputs exists
  // any more (its dataset folder was removed) describes nothing: it is dropped, and said so.
  const dropped: NodeRecord[] = [];
  for (const record of [...engine.store.entries()]) {
    if (record.outputs.length === 0 || record.outputs.some((o) => existsSync(engine.absolutePath(o.path)))) continue;
    await engine.store.delete(record.node, record.at);
    dropped.push(record);
  }
  // Scan results are kept while the run of any current record may have used them.
  let oldestRecord = Number.POSITIVE_INFINITY;
  for (const record of [...engine.store.entries()]) {
    const started = Date.parse(record.start);
    if (Number.isFinite(started)) oldestRecord = Math.min(oldestRecord, started);
    for (const o of record.outputs) outputs.add(engine.absolutePath(o.path));
    // history() is newest first and starts with the current record.
    for (const r of (await engine.store.history(keyOf(record))).slice(0, keepLast)) for (const o of r.outputs) keep.add(o.digest);
  }
  const listed: { digest: string; size: number }[] = [];
  for await (const object of engine.objects.list()) listed.push(object);
  let removed = 0;
  let removedBytes = 0;
  let kept = 0;
  let keptBytes = 0;
  const folders = new Set<string>();
  for (const object of listed) {
    if (keep.has(object.digest)) {
      kept++;
      keptBytes += object.size;
    } else if (await engine.objects.remove(object.digest)) {
      removed++;
      removedBytes += object.size;
      folders.add(dirname(engine.objects.pathOf(object.digest)));
    }
  }
  for (const folder of folders) await rmdir(folder).catch(() => undefined); // Only when empty.
  // Why no age limit: we hold the lock, so no `put` is in progress and every temporary file is stale.
  let temps = await engine.objects.removeTemps(0);
  // Temporaries a killed run left beside recorded outputs (the next run sweeps those of the nodes
  // it runs), only inside the folders runs wrote in: a record's paths come from a file anyone can
  // edit, and one naming a folder elsewhere must not make gc delete files there.
  const roots = await engine.dataRoots();
  // Slurm result files of nodes never recorded (a coordinator interrupted or killed) sit in the
  // same folders. While a dead coordinator's journal is left, the next run takes them over
  // instead of running their nodes again, so they are kept; otherwise no run will read them.
  const keepResults = await journalsLeft(cacheDir);
  let results = 0;
  for (const folder of new Set([...outputs].map((path) => dirname(path)))) {
    if (!insideRoots(folder, roots)) continue;
    temps += await sweepDeadTemporaries(folder);
    results += await sweepResultFiles(folder, keepResults);
  }
  const memoBefore = engine.digests.size;
  engine.digests.prune((path) => outputs.has(path));
  const memo = memoBefore - engine.digests.size;
  const scans = await engine.scans.removeUnusedSince(oldestRecord);
  await engine.store.compact();
  return { removed, removedBytes, kept, keptBytes, temps, results: { count: results, kept: keepResults }, memo, scans: scans.removed, scanBytes: scans.bytes, dropped };
}

interface OutputProblem {
  readonly path: string;
  readonly node: string;
  readonly recorded: string;
  /** The digest now; undefined when the file is missing. */
  readonly actual: string | undefined;
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

async function verify(flags: VerifyFlags, io: CliIo): Promise<number> {
  const cacheDir = existingCacheDir(io);
  if (cacheDir === undefined) return EXIT_FAILED;
  let lock: Lock | undefined;
  const repair = flags.repair === true;
  const removeCorrupt = flags.removeCorrupt === true || repair;
  if (removeCorrupt) {
    lock = await lockFor(repair ? "cache verify --repair" : "cache verify --remove-corrupt", cacheDir, io);
    if (lock === undefined) return EXIT_FAILED;
  }
  try {
    // Write mode is what repairs: opening the stores as the lock holder moves damaged entries aside (cache-damage.ts).
    const engine = await Engine.open({ cacheDir, workDir: io.cwd, mode: repair ? "write" : "read", settings: SETTINGS });
    try {
      const corrupt: VerifiedObject[] = [];
      let objects = 0;
      let objectBytes = 0;
      for await (const object of engine.objects.verify()) {
        objects++;
        objectBytes += object.size;
        if (!object.ok) corrupt.push(object);
      }
      let removed = 0;
      if (removeCorrupt) for (const object of corrupt) if (await engine.objects.remove(object.digest)) removed++;

      const problems: OutputProblem[] = [];
      let outputs = 0;
      for (const record of engine.store.entries()) {
        for (const output of record.outputs) {
          outputs++;
          // Read again rather than asking the digest memo: verify is for changes a stat does not show.
          let actual: string | undefined;
          try {
            actual = (await engine.hasher.streamFile(engine.absolutePath(output.path))).digest;
          } catch (error) {
            const code = codeOf(error);
            // A folder or a FIFO in the file's place, or a file cmbflow may not read: modified, not a crash.
            if (isNotAFile(error)) actual = NOT_A_FILE;
            else if (code === "EACCES" || code === "EPERM") actual = "unreadable";
            else if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
          }
          if (actual !== output.digest) problems.push({ path: output.path, node: record.node, recorded: output.digest, actual });
        }
      }
      // The fingerprint parts the current records name, as explain reads them to say what changed.
      const parts = { checked: 0, missing: [] as string[], damaged: [] as string[] };
      const seenParts = new Set<string>();
      for (const record of engine.store.entries()) {
        for (const [part, digest] of Object.entries(record.parts)) {
          if (seenParts.has(digest)) continue;
          seenParts.add(digest);
          parts.checked++;
          const state = await engine.checkPart(part, digest);
          if (state !== "ok") parts[state].push(digest);
        }
      }
      const unreadableParts = engine.store.unreadableBlobLines;
      const badParts = parts.missing.length + parts.damaged.length;
      // Scan results are bound to their key: one holding another key's result (or damaged) would be sifted as this simulation's.
      const badScans: { path: string; problem: string }[] = [];
      let scans = 0;
      for await (const scan of engine.scans.verify()) {
        scans++;
        if (!scan.ok) badScans.push({ path: scan.path, problem: scan.problem ?? "damaged" });
      }
      if (removeCorrupt) for (const scan of badScans) await engine.scans.remove(scan.path);
      const modified = problems.filter((p) => p.actual !== undefined);
      const missing = problems.filter((p) => p.actual === undefined);
      const { skippedLines, tornTail } = engine.store.stats;
      const damage = engine.damage;
      const ok = corrupt.length === 0 && problems.length === 0 && skippedLines === 0 && badScans.length === 0 && damage.length === 0 && badParts === 0 && unreadableParts === 0;

      if (flags.json === true) {
        io.stdout(
          `${JSON.stringify(
            {
              ok,
              objects: {
                checked: objects,
                bytes: objectBytes,
                corrupt: corrupt.map((o) => ({ digest: o.digest, actual: o.actual ?? null, path: shownPath(engine.objects.pathOf(o.digest), io) })),
                removed,
              },
              outputs: {
                checked: outputs,
                modified: modified.map((p) => ({ path: p.path, node: p.node, recorded: p.recorded, actual: p.actual ?? null })),
                missing: missing.map((p) => ({ path: p.path, node: p.node })),
              },
              scan_results: { checked: scans, bad: badScans.map((b) => ({ path: shownPath(b.path, io), problem: b.problem })), removed: removeCorrupt ? badScans.length : 0 },
              state: { records: engine.store.size, skipped_lines: skippedLines, torn_tail: tornTail },
              fingerprint_parts: { checked: parts.checked, missing: parts.missing, damaged: parts.damaged, unreadable_lines: unreadableParts },
              damaged: damage.map((d) => ({
                path: shownPath(d.path, io),
                problem: d.problem,
                moved_to: d.movedTo === undefined ? null : shownPath(d.movedTo, io),
                copied_to: d.copiedTo === undefined ? null : shownPath(d.copiedTo, io),
              })),
            },
            null,
            2,
          )}\n`,
        );
        return ok ? EXIT_OK : EXIT_FAILED;
      }

      io.stdout(`objects  ${String(objects)} checked (${formatBytes(objectBytes)}): ${corrupt.length === 0 ? "all match their digests" : `${String(corrupt.length)} corrupt`}\n`);
      for (const o of corrupt) io.stdout(`  corrupt   ${shownPath(engine.objects.pathOf(o.digest), io)}: ${o.problem ?? `its content's digest is ${o.actual ?? "?"}`}${removeCorrupt ? (o.problem === undefined ? " (removed)" : " (moved to the quarantine)") : ""}\n`);
      io.stdout(`outputs  ${String(outputs)} checked: ${problems.length === 0 ? "all match their records" : `${String(modified.length)} modified outside cmbflow, ${String(missing.length)} missing`}\n`);
      for (const p of modified) io.stdout(`  modified  ${p.path} (${p.node}): recorded ${p.recorded}, now ${p.actual ?? "?"}\n`);
      for (const p of missing) io.stdout(`  missing   ${p.path} (${p.node})\n`);
      io.stdout(`scans    ${String(scans)} checked: ${badScans.length === 0 ? "all match their keys" : `${String(badScans.length)} bad`}\n`);
      for (const b of badScans) io.stdout(`  bad       ${shownPath(b.path, io)}: ${b.problem}${removeCorrupt ? " (removed)" : ""}\n`);
      io.stdout(`records  ${plural(engine.store.size, "node")}${skippedLines > 0 ? `; ${plural(skippedLines, "unreadable line")} in ${STATE_FILES.nodes} ignored` : ""}${tornTail ? `; an incomplete last line (an interrupted write; the next run removes it)` : ""}\n`);
      io.stdout(
        `parts    ${String(parts.checked)} checked: ${badParts === 0 ? "all intact" : `${String(parts.missing.length)} missing, ${String(parts.damaged.length)} damaged`}${unreadableParts > 0 ? `; ${plural(unreadableParts, "unreadable line")} in ${STATE_FILES.blobs}` : ""}\n`,
      );
      if (damage.length > 0) io.stdout(`damaged  ${String(damage.length)} cache ${damage.length === 1 ? "entry" : "entries"}:\n`);
      for (const d of damage) io.stdout(`  ${describeDamage(d, (path) => shownPath(path, io))}\n`);
      if (ok) {
        io.stdout("all is well\n");
        return EXIT_OK;
      }
      if (corrupt.length > 0 && !removeCorrupt) io.stderr("error: corrupt objects would be restored with the wrong content: remove them with cmbflow cache verify --remove-corrupt\n");
      if (corrupt.length > 0 && removeCorrupt) io.stderr(`removed ${plural(removed, "corrupt object")}: outputs that needed ${removed === 1 ? "it" : "them"} will be recomputed instead of restored\n`);
      if (problems.length > 0) io.stderr(`error: ${plural(problems.length, "recorded output")} ${problems.length === 1 ? "does" : "do"} not match ${problems.length === 1 ? "its record" : "their records"}: cmbflow run will re-run (or restore) ${problems.length === 1 ? "its node" : "their nodes"}\n`);
      if (badScans.length > 0 && !removeCorrupt) io.stderr(`error: ${plural(badScans.length, "scan result")} ${badScans.length === 1 ? "does" : "do"} not match ${badScans.length === 1 ? "its key" : "their keys"}: cmbflow run never uses ${badScans.length === 1 ? "it" : "them"} (each is removed when a run next looks for its key, and scanned again); remove ${badScans.length === 1 ? "it" : "them"} now with cmbflow cache verify --remove-corrupt\n`);
      if (badParts > 0 || unreadableParts > 0) {
        io.stderr(
          `error: ${STATE_FILES.blobs} is damaged (${String(badParts)} fingerprint ${badParts === 1 ? "part" : "parts"} missing or wrong, ${plural(unreadableParts, "unreadable line")}): freshness does not depend on it, but cmbflow explain cannot show what changed for the nodes concerned until they run again\n`,
        );
      }
      if (damage.length > 0 && repair) io.stderr(`repaired: the damaged cache entries are in ${shownPath(join(cacheDir, QUARANTINE_DIR), io)}/; the next run recomputes what they held\n`);
      else if (damage.length > 0 || skippedLines > 0) io.stderr(`error: the cache is damaged: put the damaged entries aside with ${REPAIR_HINT} (the next run also does), and what they held is recomputed\n`);
      return EXIT_FAILED;
    } finally {
      await engine.close();
    }
  } finally {
    await lock?.release();
  }
}
