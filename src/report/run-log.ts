/**
 * Reads what LogMaker keeps per run in `{root}/{dataset}/Logs/<run-id>/`: the list of runs,
 * a run's summary, its JSON log's events and its resolved configuration.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "../config/yaml-lib.js";

/** Run ids sort in time order (log-maker.ts `newRunId`); `.snapshots` and other dot folders are not runs. */
const RUN_ID = /^[\w-]+$/;

/** The run folders of a dataset, oldest first; empty when it has no `Logs/`. */
export async function listRuns(datasetDir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(datasetDir, "Logs"), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ENOTDIR") return [];
    throw error;
  }
  return entries
    .filter((e) => e.isDirectory() && RUN_ID.test(e.name))
    .map((e) => e.name)
    .sort();
}

/** One event of a run's log as pino wrote it: the event's own fields, `event` its type and `time` ISO 8601. */
export interface LoggedEvent {
  readonly event: string;
  readonly time?: string;
  readonly [field: string]: unknown;
}

/** A run's log events in order, and how many lines could not be read (a torn last line after a kill). */
export async function readEvents(runDir: string): Promise<{ readonly events: readonly LoggedEvent[]; readonly unreadable: number }> {
  let text: string;
  try {
    text = await readFile(join(runDir, "run.log"), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { events: [], unreadable: 0 };
    throw error;
  }
  const events: LoggedEvent[] = [];
  let unreadable = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value === "object" && value !== null && typeof (value as { event?: unknown }).event === "string") events.push(value as LoggedEvent);
      else unreadable++;
    } catch {
      unreadable++;
    }
  }
  return { events, unreadable };
}

/** A run's summary.json (outcome, duration, per-stage counts), or undefined when it wrote none. */
export async function readSummary(runDir: string): Promise<Readonly<Record<string, unknown>> | undefined> {
  try {
    const value = JSON.parse(await readFile(join(runDir, "summary.json"), "utf8")) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A run's resolved configuration (config_resolved.yaml) and overrides, or why they cannot be read. */
export async function readRunConfig(runDir: string): Promise<{ readonly ok: true; readonly resolved: unknown; readonly overrides: readonly string[] } | { readonly ok: false; readonly problem: string }> {
  const file = join(runDir, "config_resolved.yaml");
  let resolved: unknown;
  try {
    resolved = parse(await readFile(file, "utf8"));
  } catch (error) {
    return { ok: false, problem: `${file}: ${error instanceof Error ? error.message.split("\n")[0] ?? "" : String(error)}` };
  }
  let overrides: readonly string[] = [];
  try {
    const parsed = parse(await readFile(join(runDir, "overrides.yaml"), "utf8"));
    if (Array.isArray(parsed)) overrides = parsed.map(String);
  } catch {
    // Older run folders, or a damaged file: the overrides are only shown, never compared.
  }
  return { ok: true, resolved, overrides };
}
