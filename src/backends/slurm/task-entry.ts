/**
 * What `cmbflow worker --manifest FILE --task N` does on a compute node: start the host once
 * (the coordinator's configuration, the plugins, the pipeline), run the task's units one after
 * another, and write each unit's result file as soon as it is done. It never plans: the
 * coordinator chose the units, and records them from the result files.
 */
import { hostname } from "node:os";
import type { WorkHost } from "../../core/work-host.js";
import type { WorkResult } from "../../scheduler/node-runner.js";
import { startWorkHost } from "../start-work-host.js";
import type { UnitResult } from "./manifest.js";
import { readManifest, readUnitResult, writeUnitResult } from "./manifest.js";

/** Runs array index `task` of the manifest at `file`; the exit code (0 once every unit has its result file). */
export async function runManifestTask(file: string, task: number, say: (text: string) => void): Promise<number> {
  const manifest = await readManifest(file);
  const units = manifest.tasks[task];
  const results = manifest.results[task];
  if (units === undefined || results?.length !== units.length) {
    say(`error: the manifest ${file} has no task ${String(task)} (it has ${String(manifest.tasks.length)})\n`);
    return 2;
  }
  const ranOn = { jobId: process.env["SLURM_ARRAY_JOB_ID"] ?? process.env["SLURM_JOB_ID"] ?? "", arrayTask: task, host: hostname() };
  let host: WorkHost;
  try {
    host = await startWorkHost(manifest.source);
  } catch (caught) {
    // Every unit fails with the reason, so the coordinator says it once per node, not "no result".
    const message = caught instanceof Error ? caught.message : String(caught);
    for (const path of results) await writeUnitResult(path, { result: { ok: false, message, logs: [], lateReads: [] }, durationMs: 0, ranOn });
    say(`${message}\n`);
    return 1;
  }
  const done: (WorkResult | undefined)[] = [];
  for (const [k, unit] of units.entries()) {
    const path = results[k] ?? "";
    // Slurm requeued the task (a node failure): units already done stay done. (The coordinator
    // removed any older file at this path before it submitted the unit.)
    const before = await readUnitResult(path);
    if (before !== undefined) {
      done[k] = before.result;
      continue;
    }
    const t0 = performance.now();
    const ups: { name: string; result: WorkResult | undefined }[] = (manifest.after?.[task]?.[k] ?? []).map((i) => ({ name: units[i]?.nodeId ?? "a unit", result: done[i] }));
    // Upstream units of other tasks, whose jobs ended before this task started: their result files.
    for (const need of manifest.needs?.[task]?.[k] ?? []) ups.push({ name: need, result: (await readUnitResult(need).catch(() => undefined))?.result });
    const failed = ups.find((u) => u.result?.ok !== true);
    // A unit handed ahead reads what the units before it wrote: when one of them failed, it is
    // not run (the coordinator, which records neither, asks for it again only after a rerun).
    const result: WorkResult =
      failed !== undefined
        ? { ok: false, notStarted: true, message: `not run: ${failed.name} before it did not succeed (or its result is gone)`, logs: [], lateReads: [] }
        : withAfter(await host.run(unit), ups.flatMap((u) => (u.result?.ok === true ? u.result.outputs.map((o) => ({ path: o.path, digest: o.digest })) : [])));
    done[k] = result;
    const written: UnitResult = { result, durationMs: performance.now() - t0, ranOn };
    await writeUnitResult(path, written);
    say(`${unit.nodeId} (${unit.kind}): ${result.ok ? "done" : result.notStarted === true ? result.message : `failed: ${result.message}`}\n`);
  }
  return 0;
}

/** A result that names the outputs of the units it ran after in its task, as they wrote them (RanWith.after). */
function withAfter(result: WorkResult, after: readonly { path: string; digest: string }[]): WorkResult {
  if (!result.ok || after.length === 0) return result;
  return { ...result, ranWith: { config: result.ranWith?.config ?? "", code: result.ranWith?.code ?? [], ...result.ranWith, after } };
}
