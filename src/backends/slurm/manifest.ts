/**
 * What the coordinator hands a Slurm array job, and what each task hands back, on the shared
 * file system. One manifest per submission lists, per array index, the units of work that
 * task runs; the task writes one result file per unit as it finishes it, so a task killed
 * half-way still delivers the units it finished.
 *
 * Both are v8-serialised (the structured-clone format worker threads use), so a scan's value
 * crosses as it does between threads: typed arrays, Maps and Dates included.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { deserialize, serialize } from "node:v8";
import type { WorkResult, WorkTask } from "../../scheduler/node-runner.js";
import type { PipelineSource } from "../pipeline-source.js";

/** One submission's manifest. */
export interface SlurmManifest {
  readonly format: 1;
  readonly runId: string;
  readonly source: PipelineSource;
  /** Folder of the result files. */
  readonly resultsDir: string;
  /** Per array index, its units of work, run in order. */
  readonly tasks: readonly (readonly WorkTask[])[];
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

/** The result file of unit `unit` of array index `task`. */
export function resultFile(resultsDir: string, task: number, unit: number): string {
  return join(resultsDir, `${String(task)}.${String(unit)}.result`);
}

/** Writes a file whole or not at all (temp file + rename), so a reader never sees half of it. */
export async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${String(process.pid)}.tmp`;
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
  if (m === null || typeof m !== "object" || m.format !== 1 || !Array.isArray(m.tasks)) throw new Error(`${path} is not a cmbflow Slurm manifest`);
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
