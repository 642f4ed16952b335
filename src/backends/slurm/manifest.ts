/**
 * What the coordinator hands a Slurm array job, and what each task hands back, on the shared
 * file system. One manifest per submission lists, per array index, the units of work that
 * task runs and where each unit's result goes; the task writes one result file per unit as it
 * finishes it, so a task killed half-way still delivers the units it finished.
 *
 * A result file sits next to the unit's outputs, in its node's output folder (see
 * PipelineContext.outputFolder), hidden and named for the node:
 * `.cmbflow-result-<node id>[.scan-<simulation>].<configuration>.bin`. The coordinator removes
 * it once the node is recorded; until then a coordinator started after this one died finds it
 * there. It is never an output (no record lists it) nor a temporary of the output transaction.
 *
 * Both are v8-serialised (the structured-clone format worker threads use), so a scan's value
 * crosses as it does between threads: typed arrays, Maps and Dates included.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { deserialize, serialize } from "node:v8";
import type { WorkResult, WorkTask } from "../../scheduler/node-runner.js";
import type { PipelineSource } from "../pipeline-source.js";

/** One submission's manifest. */
export interface SlurmManifest {
  /** 3 added `after`; a format-2 manifest (an older coordinator's) has none and is read the same. */
  readonly format: 2 | 3;
  readonly runId: string;
  readonly source: PipelineSource;
  /** Per array index, its units of work, run in order. */
  readonly tasks: readonly (readonly WorkTask[])[];
  /** Per array index, the result file of each of its units (same shape as `tasks`). */
  readonly results: readonly (readonly string[])[];
  /**
   * Per array index, per unit, the indices in the same task of the units it was handed ahead
   * to follow (see SlurmRunner): it runs only if each of them succeeded there.
   */
  readonly after?: readonly (readonly (readonly number[])[])[];
  /**
   * Per array index, per unit, the result files of its upstream units in other tasks (their
   * jobs ended before this task started): it runs only if each is there and succeeded.
   */
  readonly needs?: readonly (readonly (readonly string[])[])[];
}

/** Where a unit ran: the Slurm job, array index and host, for provenance and messages. */
export interface RanOn {
  readonly jobId: string;
  readonly arrayTask: number;
  readonly host: string;
}

/** A unit's result file. */
export interface UnitResult {
  readonly result: WorkResult;
  /** Wall time of the unit in the task, in ms. */
  readonly durationMs: number;
  readonly ranOn: RanOn;
}

/** Start of every result file's name (and of its temporary's). */
export const RESULT_PREFIX = ".cmbflow-result-";

/** A result file, or the temporary a task killed while writing one left (`<name>.<host>-<pid>.tmp`). */
const RESULT_NAME = /^\.cmbflow-result-.+\.bin(?:\.[\w.-]+\.tmp)?$/;

/** Longest node part of a name kept readable; a longer one is shortened to a digest (names are at most 255 bytes). */
const MAX_LABEL = 160;

/**
 * The result file of `task` in `folder` (its node's output folder), for a run whose
 * configuration key is `configKey`: results of another configuration have other names, so a
 * job a dead coordinator left running with an older configuration never writes this one's.
 */
export function resultFile(folder: string, task: WorkTask, configKey: string): string {
  const own = task.kind === "scan" ? `${task.nodeId}.scan-${Object.entries(task.partition).map(([k, v]) => `${k}=${String(v)}`).join(",")}` : task.nodeId;
  // A partition value may hold a slash or a control character; neither belongs in one name.
  const safe = [...own].map((c) => (c === "/" || c === "\\" || c.charCodeAt(0) < 0x20 ? "_" : c)).join("");
  const label = Buffer.byteLength(safe) <= MAX_LABEL ? safe : `${safe.slice(0, 60)}~${createHash("sha256").update(own).digest("hex").slice(0, 16)}`;
  return join(folder, `${RESULT_PREFIX}${label}.${configKey.slice(0, 8)}.bin`);
}

/** Whether a file name is a result file or a result file's temporary. */
export function isResultFile(name: string): boolean {
  return RESULT_NAME.test(name);
}

/**
 * The result files (and their temporaries) in `folder`: removed, unless `keep`, in which case
 * only counted. For `cache gc`, which holds the cache lock, so no coordinator is waiting on them.
 */
export async function sweepResultFiles(folder: string, keep: boolean): Promise<number> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return 0;
  }
  let found = 0;
  for (const name of names) {
    if (!isResultFile(name)) continue;
    found++;
    if (!keep) await rm(join(folder, name), { force: true });
  }
  return found;
}

/**
 * Writes a file whole or not at all (temp file + rename), so a reader never sees half of it.
 * The temporary names host and pid: tasks on several machines may share the folder.
 */
export async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${hostname()}-${String(process.pid)}.tmp`;
  await writeFile(temp, bytes);
  await rename(temp, path);
}

export async function writeManifest(path: string, manifest: SlurmManifest): Promise<void> {
  await writeAtomically(path, serialize(manifest));
}

/** Reads a manifest; a message naming the file when it is missing or not one. */
export async function readManifest(path: string): Promise<SlurmManifest> {
  let value: unknown;
  try {
    value = deserialize(await readFile(path));
  } catch (caught) {
    throw new Error(`the manifest ${path} cannot be read: ${caught instanceof Error ? caught.message : String(caught)}`, { cause: caught });
  }
  const m = value as Partial<SlurmManifest> | null;
  if (m === null || typeof m !== "object" || !Array.isArray(m.tasks)) throw new Error(`${path} is not a cmbflow Slurm manifest`);
  // Written by another version of cmbflow than the one the task runs (upgraded while the job waited).
  if (m.format !== 2 && m.format !== 3) throw new Error(`the manifest ${path} is of format ${String(m.format)}; this cmbflow reads formats 2 and 3`);
  if (!Array.isArray(m.results)) throw new Error(`${path} is not a cmbflow Slurm manifest`);
  return m as SlurmManifest;
}

export async function writeUnitResult(path: string, result: UnitResult): Promise<void> {
  await writeAtomically(path, serialize(result));
}

/** A unit's result, or undefined when its file is not (yet) there. */
export async function readUnitResult(path: string): Promise<UnitResult | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (caught) {
    if ((caught as { code?: unknown }).code === "ENOENT") return undefined;
    throw caught;
  }
  return deserialize(bytes) as UnitResult;
}
