/**
 * The incremental engine: computes node fingerprints, decides whether a node is fresh,
 * stale (with reasons) or restorable from the run-cache, restores outputs, and records a
 * node after its outputs are in place. Owns the state store, the object store and the
 * file-digest memo under the cache folder.
 *
 * Invariant (crash safety): a node's record is appended only after every output has been
 * renamed into place and digested, so a record always describes complete files; a node
 * interrupted before that has no new record and is stale on the next run.
 */
import { addDataRoots, readDataRoots } from "./data-roots.js";
import { rm, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import type { ConfigValue } from "../config/types.js";
import type { Result } from "../diagnostics/result.js";
import { assertNever, err, ok } from "../diagnostics/result.js";
import type { StageDef } from "../graph/stage-graph.js";
import { digestRecord } from "./canonical.js";
import type { FileDigestCache as FileDigestCacheType } from "./file-digests.js";
import { FILE_DIGESTS_FILE, FileDigestCache } from "./file-digests.js";
import type { CodeSource } from "./code-part.js";
import { codePart } from "./code-part.js";
import type { CacheDamage } from "./cache-damage.js";
import { checkEntry } from "./cache-damage.js";
import { CacheFileError, fsProblem } from "./cache-file-error.js";
import { EXECUTOR_MEMO_FILE } from "./executor-memo.js";
import type { CodePart, ContextInput, ContextPart, FingerprintRecord, InputsPart, ParamsPart, PartName, StagePart } from "./fingerprint.js";
import { contextDigestText, paramsPart, PART_NAMES, stagePart } from "./fingerprint.js";
import type { FileDigest, Hasher } from "./hash.js";
import { hasher as makeHasher } from "./hash.js";
import type { LinkMode } from "./object-store.js";
import { OBJECTS_DIR, ObjectStore } from "./object-store.js";
import type { FileStamp } from "./stamped-digest.js";
import { sameStamp, stampedDigestMessage, stampedDigestSync, stampOf, statKeyOf } from "./stamped-digest.js";
import type { NodeRecord, OutputRecord } from "./state-store.js";
import type { NodeUsage } from "../scheduler/unit-usage.js";
import { recordKey, StateStore } from "./state-store.js";
import { restoreProblem } from "./restore-guard.js";
import { ScanCache, SCANS_DIR } from "./scan-cache.js";
import type { Partition } from "../graph/partition.js";

/** Why a node must run. */
export type StaleReason =
  | { readonly kind: "never-run" }
  | { readonly kind: "forced" }
  | { readonly kind: "stage-changed" }
  | { readonly kind: "code-changed" }
  | { readonly kind: "params-changed" }
  | { readonly kind: "context-changed" }
  | { readonly kind: "inputs-changed"; readonly nodes: readonly string[] }
  | { readonly kind: "upstream-stale"; readonly nodes: readonly string[] }
  | { readonly kind: "output-missing"; readonly path: string }
  | { readonly kind: "output-modified"; readonly path: string }
  /** The node's last run ran with something other than it was judged with (see `recordChangedDuringRun`). */
  | { readonly kind: "changed-during-run"; readonly changes: readonly string[] };

/** A short label per reason kind, for grouped counts (`status`, `--dry-run`). */
export function reasonLabel(reason: StaleReason): string {
  switch (reason.kind) {
    case "never-run":
      return "never run";
    case "forced":
      return "forced";
    case "stage-changed":
      return "stage definition changed";
    case "code-changed":
      return "code changed";
    case "params-changed":
      return "parameters changed";
    case "context-changed":
      return "partition, seed or output paths changed";
    case "inputs-changed":
      return "inputs changed";
    case "upstream-stale":
      return "upstream stale";
    case "output-missing":
      return "output missing";
    case "output-modified":
      return "output modified outside cmbflow";
    case "changed-during-run":
      return "changed during the run";
  }
}

/** The engine's judgement of one node. */
export type Verdict =
  | { readonly state: "fresh"; readonly record: NodeRecord }
  | { readonly state: "restorable"; readonly reasons: readonly StaleReason[]; readonly from: NodeRecord }
  | { readonly state: "stale"; readonly reasons: readonly StaleReason[] };

/** A node's fingerprint: each part's value and digest, and the whole digest. */
export interface Fingerprint {
  readonly values: FingerprintRecord;
  readonly parts: Readonly<Record<PartName, string>>;
  readonly digest: string;
  /** The node's location (see `CacheEngine.locationOf`): its record is the one under this location. */
  readonly at: string;
  /** The state store's key of that record (`recordKey(node, at)`). */
  readonly key: string;
  /** The node's output paths as its templates form them now (recorded form), and whether that is all of them. */
  readonly outputs: { readonly paths: readonly string[]; readonly complete: boolean };
}

/** The stage-wide parts of a fingerprint, computed once per stage. */
export interface StageParts {
  readonly stage: { readonly value: StagePart; readonly digest: string };
  readonly code: { readonly value: CodePart; readonly digest: string };
  readonly params: { readonly value: ParamsPart; readonly digest: string };
  /** Imports in the stage's code that cannot be followed (`file: code`): what they load is not in the code part. */
  readonly unfollowedImports: readonly string[];
}

/** An output as its writer digested it, with the stamp of the file read (see stamped-digest.ts). */
export interface WrittenFile {
  readonly path: string;
  readonly digest: string;
  readonly size: number;
  readonly stamp: FileStamp;
}

/** Run-cache settings (config `cache.enabled`, `cache.link`). */
export interface CacheSettings {
  /** Keep outputs in the object store and restore them instead of recomputing. Default true. */
  readonly enabled: boolean;
  /** How restored outputs are made: a copy (reflink where the file system can), or a read-only hard link. */
  readonly link: LinkMode;
}

/** Where and how the engine works. */
export interface EngineOptions {
  /** The cache folder (`cache/` in the project). */
  readonly cacheDir: string;
  /** Paths inside it are recorded relative to it (records stay valid when the project moves). */
  readonly workDir: string;
  /** "write" for `run` (hold the lock), "read" for `status`, `explain`, `provenance`. */
  readonly mode: "read" | "write";
  readonly settings: CacheSettings;
}

/** Reads the `cache:` block of the resolved config. */
export function cacheSettings(resolved: Readonly<Record<string, ConfigValue>>): CacheSettings {
  const block = resolved["cache"];
  const get = (key: string): ConfigValue | undefined =>
    block !== null && typeof block === "object" && !Array.isArray(block) ? (block as Record<string, ConfigValue>)[key] : undefined;
  return { enabled: get("enabled") !== false, link: get("link") === "hardlink" ? "hardlink" : "copy" };
}

/** A record's `usage` field from a node's measured usage (none when the runner did not measure). */
function usageField(usage: NodeUsage | undefined): Pick<NodeRecord, "usage"> {
  return usage === undefined ? {} : { usage: { workMs: usage.workMs, heapPeakBytes: usage.heapPeakBytes, heapGrowthBytes: usage.heapGrowthBytes } };
}

/** The incremental engine over one cache folder. */
/** A stage's stage-wide fingerprint parts (see {@link CacheEngine.stageParts}); needs only a hasher, so a run can key its freshness snapshot before it opens the stores. */
export function stagePartsOf(hasher: Hasher, def: StageDef, code: CodeSource, reads: readonly string[], lookup: (key: string) => ConfigValue | undefined): StageParts {
  const stage = stagePart(def);
  const params = paramsPart(reads, lookup, def.block);
  const unfollowedImports: string[] = [];
  const codeValue = codePart(hasher, code, unfollowedImports);
  return {
    stage: { value: stage, digest: digestRecord(hasher, stage) },
    code: { value: codeValue, digest: digestRecord(hasher, codeValue) },
    params: { value: params, digest: digestRecord(hasher, params) },
    unfollowedImports,
  };
}

export class CacheEngine {
  readonly store: StateStore;
  readonly objects: ObjectStore;
  readonly digests: FileDigestCacheType;
  readonly hasher: Hasher;
  /** Per-simulation scan results of reductions. */
  readonly scans: ScanCache;
  /** Damaged cache entries found at open (quarantined in write mode), for a report once per run. */
  damage: readonly CacheDamage[] = [];
  readonly #options: EngineOptions;
  readonly #workPrefix: string;

  private constructor(options: EngineOptions, store: StateStore, objects: ObjectStore, digests: FileDigestCacheType, hasher: Hasher) {
    this.#options = options;
    this.#workPrefix = `${resolve(options.workDir)}${sep}`;
    this.store = store;
    this.objects = objects;
    this.digests = digests;
    this.hasher = hasher;
    this.scans = new ScanCache(options.cacheDir, hasher);
  }

  /**
   * Opens the stores under `options.cacheDir`. In write mode (the caller holds the lock),
   * damaged entries are moved to the quarantine first (cache-damage.ts); `damage` lists what
   * was found either way.
   */
  static async open(options: EngineOptions): Promise<CacheEngine> {
    const hasher = await makeHasher();
    const quarantineIn = options.mode === "write" ? options.cacheDir : undefined;
    const damage: CacheDamage[] = [];
    for (const [name, kind] of [
      [OBJECTS_DIR, "folder"],
      [SCANS_DIR, "folder"],
      [FILE_DIGESTS_FILE, "file"],
      [EXECUTOR_MEMO_FILE, "file"],
    ] as const) {
      const found = await checkEntry(join(options.cacheDir, name), kind, quarantineIn);
      if (found !== undefined) damage.push(found);
    }
    const store = await StateStore.open(join(options.cacheDir, "state"), { mode: options.mode, cacheDir: options.cacheDir });
    const digests = await FileDigestCache.open(options.cacheDir, hasher);
    const objects = new ObjectStore(options.cacheDir, { hasher, digestOf: (path) => digests.digest(path) });
    const engine = new CacheEngine(options, store, objects, digests, hasher);
    engine.damage = [...damage, ...store.damage];
    return engine;
  }

  get settings(): CacheSettings {
    return this.#options.settings;
  }

  /**
   * Adds folders a run writes outputs in to the cache's list of data folders (data-roots.ts), so
   * `cache gc` may tidy beside the outputs recorded there. Only in write mode (the lock is held).
   */
  async addDataRoots(roots: readonly string[]): Promise<void> {
    if (this.#options.mode === "write") await addDataRoots(this.#options.cacheDir, roots);
  }

  /** The folders runs of this cache wrote outputs in, as far as its list knows. */
  dataRoots(): Promise<string[]> {
    return readDataRoots(this.#options.cacheDir);
  }

  /**
   * Whether the stored value of a record's fingerprint part is there and intact: it digests to
   * its name the way that part is digested. (The inputs part is digested from its dependencies'
   * order, which the stored value does not keep: only its presence is checked.)
   */
  checkPart(part: string, digest: string): Promise<"ok" | "missing" | "damaged"> {
    return this.store.checkBlob(digest, (text) => {
      if (part === "inputs") return true;
      if (part !== "context") return this.hasher.digestString(text) === digest;
      try {
        return this.hasher.digestString(contextDigestText(JSON.parse(text) as Parameters<typeof contextDigestText>[0])) === digest;
      } catch {
        return false;
      }
    });
  }

  /** A path as recorded: relative to the work folder when inside it. */
  recordedPath(path: string): string {
    // The common case without path.relative's normalising: an absolute path inside the work folder.
    const prefix = this.#workPrefix;
    if (path.startsWith(prefix) && !path.includes("/..") && !path.includes("/./") && !path.includes("//")) return path.slice(prefix.length);
    const rel = relative(this.#options.workDir, path);
    return rel.startsWith("..") || isAbsolute(rel) ? path : rel;
  }

  /** A recorded path made absolute. */
  absolutePath(recorded: string): string {
    // The common case without path.resolve's normalising: a plain relative path.
    if (!isAbsolute(recorded) && !recorded.startsWith(".") && !recorded.includes("/.") && !recorded.includes("//")) return this.#workPrefix + recorded;
    return resolve(this.#options.workDir, recorded);
  }

  /**
   * A node's location: a short digest of its output paths (recorded form) as the templates
   * form them now, plus `folder` (the dataset folder) when not every path can be formed alone
   * (a whole-stage node). Records are kept per node and location, so configurations that
   * write to different folders each keep their own record, while two that write the same files
   * share one — and only the one that wrote last is fresh.
   */
  locationOf(outputs: readonly string[], complete: boolean, folder: string): string {
    return this.hasher.digestString(JSON.stringify(complete ? outputs : [...outputs, folder]));
  }

  /**
   * The record of `node` at location `at` (see {@link locationOf}), or undefined. A record
   * written before locations were kept (keyed by the node id alone) stands in when there is
   * none: it is judged like any other, and its fingerprint (which holds the output paths)
   * matches only where it was made — so an upgrade does not re-run every node.
   */
  recordOf(node: string, at: string): NodeRecord | undefined {
    return this.recordAt(recordKey(node, at), node);
  }

  /** {@link recordOf} by the record's key, made once per node by the caller (the no-op path looks up every node's). */
  recordAt(key: string, node: string): NodeRecord | undefined {
    return this.store.get(key) ?? this.store.get(node);
  }

  /**
   * The stage-wide parts: the stage definition, the code (every module the stage's nodes run,
   * by content, and the runtime: code-part.ts), and the parameters the executor read.
   */
  stageParts(def: StageDef, code: CodeSource, reads: readonly string[], lookup: (key: string) => ConfigValue | undefined): StageParts {
    return stagePartsOf(this.hasher, def, code, reads, lookup);
  }

  /**
   * The node's fingerprint from its stage parts, its context and its dependencies' records.
   * Only the digests are computed here; the structured record (`values`) is built when first
   * asked for — when the node is recorded or explained, not for the fresh nodes of a no-op run.
   */
  fingerprint(stage: StageParts, context: ContextInput, dependencies: readonly NodeRecord[]): Fingerprint {
    // These two parts differ per node, so they are digested from fixed-order JSON arrays
    // (JSON.stringify, which is injective for strings, numbers and arrays) rather than the
    // general canonical writer.
    const contextDigest = this.hasher.digestString(contextDigestText(context));
    const inputsDigest = this.hasher.digestString(JSON.stringify(dependencies.map((dep) => [dep.node, dep.outputs.map((o) => [o.path, o.digest])])));
    const parts: Record<PartName, string> = {
      stage: stage.stage.digest,
      code: stage.code.digest,
      params: stage.params.digest,
      context: contextDigest,
      inputs: inputsDigest,
    };
    let values: FingerprintRecord | undefined;
    // The parts' digests joined in their fixed order: each is exactly 16 hex digits, so the
    // joined string is injective (no "ab" + "c" = "a" + "bc").
    const digest = this.hasher.digestString(`${parts.stage}${parts.code}${parts.params}${parts.context}${parts.inputs}`);
    return {
      get values(): FingerprintRecord {
        if (values === undefined) {
          const inputs: Record<string, Record<string, string>> = {};
          for (const dep of dependencies) {
            const outputs: Record<string, string> = {};
            for (const o of dep.outputs) outputs[o.path] = o.digest;
            inputs[dep.node] = outputs;
          }
          const contextPart: ContextPart = { partition: context.partition, baseSeed: context.baseSeed, seed: context.seed(), outputs: context.outputs };
          values = { stage: stage.stage.value, code: stage.code.value, params: stage.params.value, context: contextPart, inputs };
        }
        return values;
      },
      parts,
      digest,
      at: context.location,
      key: context.key,
      outputs: { paths: context.outputs, complete: context.complete },
    };
  }

  /**
   * A dependency's record as its files are now: the record itself when every output still
   * has its recorded digest, else a copy carrying the digests on disk ("missing" for a file
   * that is gone). A node is fingerprinted from what it will read: for a dependency judged in
   * the same run the two agree (it ran again otherwise), but one outside the run's selection
   * (`--only`, `--sims`) may have been edited by hand since it was recorded.
   */
  observe(record: NodeRecord): NodeRecord | Promise<NodeRecord> {
    const now: (FileDigest | undefined)[] = [];
    let pending = false;
    for (const output of record.outputs) {
      const peeked = this.digests.peek(this.absolutePath(output.path));
      if (peeked === undefined) pending = true;
      now.push(peeked ?? undefined);
    }
    const build = (digests: readonly (FileDigest | undefined)[]): NodeRecord => {
      if (record.outputs.every((o, i) => digests[i]?.digest === o.digest)) return record;
      return { ...record, outputs: record.outputs.map((o, i) => ({ path: o.path, digest: digests[i]?.digest ?? "missing", size: digests[i]?.size ?? 0 })) };
    };
    if (!pending) return build(now);
    return Promise.all(record.outputs.map((o) => this.digests.digest(this.absolutePath(o.path)))).then(build);
  }

  /**
   * The scan-cache key of one simulation of a reduction: its stage parts, the partition, and
   * the recorded outputs of the dependencies that simulation reads (see scan-cache.ts).
   */
  scanKey(stage: StageParts, partition: Partition, inputs: readonly NodeRecord[]): string {
    const p = partition;
    return this.hasher.digestString(
      JSON.stringify([
        "scan/1",
        stage.stage.digest,
        stage.code.digest,
        stage.params.digest,
        p.split ?? null,
        p.sim ?? null,
        p.freq ?? null,
        p.epoch ?? null,
        inputs.map((dep) => [dep.node, dep.outputs.map((o) => [o.path, o.digest])]),
      ]),
    );
  }

  /**
   * The common case of {@link assess}, decided without a promise: the node's record has this
   * fingerprint and every output's memoised digest still matches its stat. Undefined when
   * anything else may hold (then call `assess`).
   */
  assessNow(node: string, fp: Fingerprint, forced: boolean): Verdict | undefined {
    if (forced) return undefined;
    const record = this.recordAt(fp.key, node);
    if (record?.fingerprint !== fp.digest) return undefined;
    for (const output of record.outputs) {
      if (this.digests.peek(this.absolutePath(output.path))?.digest !== output.digest) return undefined;
    }
    return { state: "fresh", record };
  }

  /**
   * Judges a node: fresh when its record has the same fingerprint and every output is
   * present with the recorded content; otherwise stale with every reason found, or
   * restorable when the new fingerprint was recorded before and its outputs are in the store.
   */
  async assess(node: string, fp: Fingerprint, forced: boolean): Promise<Verdict> {
    const record = this.recordAt(fp.key, node);
    const reasons: StaleReason[] = [];
    if (forced) reasons.push({ kind: "forced" });
    if (record === undefined) {
      reasons.push({ kind: "never-run" });
    } else if (record.changedDuringRun !== undefined) {
      // Its outputs are those of a run that did not record them: nothing to compare.
      reasons.push({ kind: "changed-during-run", changes: record.changedDuringRun.changes });
    } else {
      let partsChanged = false;
      for (const part of PART_NAMES) {
        if (record.parts[part] === fp.parts[part]) continue;
        partsChanged = true;
        if (part === "inputs") reasons.push({ kind: "inputs-changed", nodes: await this.#changedInputs(record, fp) });
        else reasons.push({ kind: `${part}-changed` });
      }
      // Outputs are checked whenever the parts agree (not only when the whole digests do, which
      // also differ when only the way parts are combined changed).
      if (!partsChanged) {
        for (const output of record.outputs) {
          const path = this.absolutePath(output.path);
          const peeked = this.digests.peek(path);
          const now = peeked === null ? undefined : (peeked ?? (await this.digests.digest(path)));
          if (now === undefined) reasons.push({ kind: "output-missing", path: output.path });
          else if (now.digest !== output.digest) reasons.push({ kind: "output-modified", path: output.path });
        }
      }
    }
    if (reasons.length === 0 && record !== undefined) return { state: "fresh", record };
    // A hand-edited output is re-run, not restored: the user changed something on purpose.
    if (!forced && this.#options.settings.enabled && !reasons.some((r) => r.kind === "output-modified")) {
      const previous = await this.store.findByFingerprint(fp.key, fp.digest);
      if (previous !== undefined && restoreProblem(previous, fp, (p) => this.absolutePath(p)) === undefined && (await this.#allStored(previous))) {
        return { state: "restorable", reasons, from: previous };
      }
    }
    return { state: "stale", reasons };
  }

  /**
   * Restores a previous record's outputs from the object store, checking each restored file's
   * digest. Refused when the record's paths are not the node's own (see restore-guard.ts) or lie
   * outside `roots` (the data root and assets folder). An object whose content no longer matches
   * its digest is removed from the store, and so is the copy just put at the output path: nothing
   * corrupt is left where a fresh file should be. The error says, for the user, which output could
   * not be restored and why; the node then runs.
   */
  async restore(from: NodeRecord, fp: Fingerprint, roots: readonly string[]): Promise<Result<void, string>> {
    // Checked again here, with the folders: nothing is ever written where the node's templates
    // do not put its outputs now, nor outside the data (a damaged or crafted record must not aim a restore).
    const problem = restoreProblem(from, fp, (p) => this.absolutePath(p), roots);
    if (problem !== undefined) return err(`the run-cache record was not used: ${problem}`);
    for (const output of from.outputs) {
      const target = this.absolutePath(output.path);
      const restored = await this.objects.restore(output.digest, target, { link: this.#options.settings.link });
      if (!restored.ok) {
        const failure = restored.error;
        switch (failure.reason) {
          case "object-missing":
            return err(`the cached copy of ${output.path} (object ${output.digest}) is missing from cache/objects`);
          case "restore-failed":
            return err(`the cached copy of ${output.path} could not be put in place: ${failure.message}`);
          default:
            return assertNever(failure);
        }
      }
      // Digest and stamp from one open file: a stat taken after the read could be of a file
      // another writer put there meanwhile, and the memo would pair it with these bytes.
      const check = stampedDigestSync(this.hasher, target);
      if (!check.ok) return err(`the restored copy of ${output.path} changed while it was checked (another process wrote it); the node runs instead`);
      if (check.value.digest !== output.digest) {
        await this.objects.remove(output.digest);
        await rm(target, { force: true });
        return err(`the cached copy of ${output.path} is corrupt (object ${output.digest} now digests to ${check.value.digest}); it was removed from cache/objects`);
      }
      this.digests.remember(target, statKeyOf(check.value.stamp), output.digest);
    }
    return ok(undefined);
  }

  /**
   * Records a node whose outputs are in place: digests them (once, right after they were
   * written), keeps them in the object store when the run-cache is on, stores the
   * fingerprint parts, and appends the record.
   */
  async record(node: string, fp: Fingerprint, outputPaths: readonly string[], runId: string, start: Date, durationMs: number, usage?: NodeUsage): Promise<NodeRecord> {
    const outputs: OutputRecord[] = [];
    for (const path of outputPaths) {
      const stamped = stampedDigestSync(this.hasher, path);
      if (!stamped.ok) throw new Error(stampedDigestMessage(stamped.error));
      const digest = stamped.value;
      this.digests.remember(path, statKeyOf(digest.stamp), digest.digest);
      if (this.#options.settings.enabled) await this.objects.put(path, digest.digest);
      outputs.push({ path: this.recordedPath(path), digest: digest.digest, size: digest.size });
    }
    return this.recordOutputs(node, fp, outputs, runId, start, durationMs, undefined, usage);
  }

  /**
   * Records a node whose outputs were digested as they were written (in the worker that
   * wrote them): remembers each file's digest against the stamp of the file the worker read
   * (not a stat taken now, which could be of a file another writer put there since), keeps
   * it in the object store when the run-cache is on, and appends the record. An output whose
   * file is no longer the stamped one is refused: nothing is recorded, so the node runs again.
   */
  async recordWritten(node: string, fp: Fingerprint, written: readonly WrittenFile[], runId: string, start: Date, durationMs: number, ranOn?: readonly string[], usage?: NodeUsage): Promise<NodeRecord> {
    const outputs: OutputRecord[] = [];
    for (const { path, digest, size, stamp } of written) {
      await this.#assertStamped(path, stamp);
      if (this.#options.settings.enabled) {
        const put = await this.objects.put(path, digest);
        // Why check again after the copy: the bytes stored under `digest` must be the stamped
        // file's; a replacement landing during the copy would be stored under the wrong digest.
        try {
          await this.#assertStamped(path, stamp);
        } catch (error) {
          if (put.stored) await this.objects.remove(digest);
          throw error;
        }
      }
      this.digests.remember(path, statKeyOf(stamp), digest);
      outputs.push({ path: this.recordedPath(path), digest, size });
    }
    return this.recordOutputs(node, fp, outputs, runId, start, durationMs, ranOn, usage);
  }

  /** Throws when the file at `path` is not (any more) the one the stamp was taken from. */
  async #assertStamped(path: string, stamp: FileStamp): Promise<void> {
    let now: FileStamp | undefined;
    try {
      now = stampOf(await stat(path, { bigint: true }));
    } catch (error) {
      if ((error as NodeJS.ErrnoException | null)?.code !== "ENOENT") throw error;
    }
    if (now === undefined || !sameStamp(now, stamp)) throw new Error(`${path} was ${now === undefined ? "removed" : "replaced or changed"} by another writer after this node wrote it; it is not recorded, so the next run makes it again`);
  }

  /**
   * Records that a node ran, but with something other than its fingerprint says — an input
   * file, its code or the configuration changed while the run was in progress — so its
   * outputs, though on disk, are recorded under no fingerprint: the node is stale with reason
   * `changed-during-run` until it runs again. An earlier record stays in the history (a
   * revert restores from it).
   */
  async recordChangedDuringRun(node: string, changes: readonly string[], runId: string, start: Date, durationMs: number, usage?: NodeUsage): Promise<NodeRecord> {
    const record: NodeRecord = { node, fingerprint: "", parts: {}, outputs: [], runId, start: start.toISOString(), durationMs, ...usageField(usage), changedDuringRun: { changes } };
    await this.store.append(record);
    return record;
  }

  /**
   * What changed, since a node's fingerprint was taken, in the input files it names: each
   * file's digest now (through the memo: a stat, and a read only when the stamp moved)
   * against the digest the fingerprint holds. A downstream node's fingerprint is taken from
   * its upstream records, so an output edited after its node was recorded and before this
   * node read it shows here. Empty when nothing changed.
   */
  async changedInputs(fp: Fingerprint): Promise<string[]> {
    const changes: string[] = [];
    for (const [dep, outputs] of Object.entries(fp.values.inputs)) {
      for (const [path, digest] of Object.entries(outputs)) {
        const now = await this.digests.digest(this.absolutePath(path));
        if ((now?.digest ?? "missing") !== digest) changes.push(`input ${path} (of ${dep}) ${now === undefined ? "removed" : "changed"}`);
      }
    }
    return changes;
  }

  /** Appends a record for outputs already digested (a restore reuses the previous record's). */
  async recordOutputs(node: string, fp: Fingerprint, outputs: readonly OutputRecord[], runId: string, start: Date, durationMs: number, ranOn?: readonly string[], usage?: NodeUsage): Promise<NodeRecord> {
    for (const part of PART_NAMES) await this.store.putBlob(fp.parts[part], fp.values[part]);
    const record: NodeRecord = { node, at: fp.at, fingerprint: fp.digest, parts: fp.parts, outputs, runId, start: start.toISOString(), durationMs, ...usageField(usage), ...(ranOn === undefined || ranOn.length === 0 ? {} : { ranOn }) };
    await this.store.append(record);
    return record;
  }

  /**
   * Records a node whose outputs were restored from `from`, an earlier record with this
   * fingerprint: the run that computed them stays the node's run (provenance names it), and
   * the restoring run is noted beside it.
   */
  async recordRestored(node: string, fp: Fingerprint, from: NodeRecord, runId: string, at: Date): Promise<NodeRecord> {
    for (const part of PART_NAMES) await this.store.putBlob(fp.parts[part], fp.values[part]);
    const record: NodeRecord = {
      node,
      at: fp.at,
      fingerprint: fp.digest,
      parts: fp.parts,
      outputs: from.outputs,
      runId: from.runId,
      start: from.start,
      durationMs: from.durationMs,
      ...(from.usage === undefined ? {} : { usage: from.usage }),
      restoredBy: { runId, at: at.toISOString() },
    };
    await this.store.append(record);
    return record;
  }

  /**
   * Saves the digest memo and closes the state store; the store is closed even when the memo
   * cannot be saved (a full disk), and a failure names the file (a `CacheFileError`).
   */
  async close(): Promise<void> {
    let saveFailure: { readonly error: unknown } | undefined;
    if (this.#options.mode === "write") {
      try {
        await this.digests.save();
      } catch (error) {
        saveFailure = { error };
      }
    }
    await this.store.close();
    if (saveFailure !== undefined) {
      // The memo only saves re-reading files: the previous one is intact (saves go through a temporary file), so losing this one costs time, not correctness.
      const problem = fsProblem(saveFailure.error);
      if (problem === undefined) throw saveFailure.error instanceof Error ? saveFailure.error : new Error(String(saveFailure.error));
      throw new CacheFileError(join(this.#options.cacheDir, FILE_DIGESTS_FILE), `the digest memo could not be saved: ${problem} (the run's records are kept; the next run re-reads files to check them)`);
    }
  }

  /** Dependency nodes whose recorded outputs differ from those the node last ran with. */
  async #changedInputs(record: NodeRecord, fp: Fingerprint): Promise<string[]> {
    const old = (await this.store.getBlob(record.parts["inputs"] ?? "")) as InputsPart | undefined;
    if (old === undefined) return Object.keys(fp.values.inputs);
    const changed: string[] = [];
    for (const [dep, outputs] of Object.entries(fp.values.inputs)) {
      const before = old[dep];
      if (before === undefined || digestRecord(this.hasher, before) !== digestRecord(this.hasher, outputs)) changed.push(dep);
    }
    for (const dep of Object.keys(old)) if (!(dep in fp.values.inputs)) changed.push(dep);
    return changed;
  }

  async #allStored(record: NodeRecord): Promise<boolean> {
    for (const o of record.outputs) if (!(await this.objects.has(o.digest))) return false;
    return true;
  }
}
