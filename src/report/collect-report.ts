/**
 * Gathers the report's content for one run of a dataset: the stage graph from the compiled
 * pipeline; what each stage and node did from the run's log folder (its JSON log and summary);
 * each node's outputs, duration and memory from the cache's records; the configuration diff
 * from this run's and the previous run's resolved configurations; figures and provenance from
 * the outputs. Collaborators (records, provenance, file reading) are passed in.
 */
import { readFile } from "node:fs/promises";
import { relative, sep } from "node:path";
import type { NodeRecord } from "../cache/state-store.js";
import type { Result } from "../diagnostics/result.js";
import { err, ok } from "../diagnostics/result.js";
import type { CompiledPipeline } from "../graph/compile.js";
import type { StageCounts } from "../scheduler/events.js";
import { configDiff } from "./config-diff.js";
import type { ConfigDiff, NodeStatus, ReportData, ReportFigure, ReportNode, ReportOutput, ReportStage, ReportUsage, StageStatus } from "./report-data.js";
import type { LoggedEvent } from "./run-log.js";
import { listRuns, readEvents, readRunConfig, readSummary } from "./run-log.js";

/** How much the report holds at most. */
export interface ReportLimits {
  /** Nodes listed per stage (default 1000); the rest are counted. */
  readonly nodesPerStage: number;
  /** Outputs whose provenance is traced (default 400), in stage order. */
  readonly provenance: number;
  /** Bytes of one embedded figure (default 20 MiB); larger ones are named, not embedded. */
  readonly figureBytes: number;
  /** Figures embedded (default 100), in stage order; the rest are counted (a figure per simulation over thousands would make a page no browser opens). */
  readonly figures: number;
}

/** Default {@link ReportLimits}. */
export const DEFAULT_REPORT_LIMITS: ReportLimits = { nodesPerStage: 1000, provenance: 400, figureBytes: 20 << 20, figures: 100 };

/** What the report is made from. */
export interface CollectOptions {
  readonly pipeline: CompiledPipeline;
  /** `{root}/{dataset}`: its `Logs/` holds the runs. */
  readonly datasetDir: string;
  /** The latest record of every node at every location (the state store's `entries()`). */
  readonly records: Iterable<NodeRecord>;
  /** A recorded output path made absolute (the engine's `absolutePath`). */
  readonly absolutePath: (recorded: string) => string;
  /** What `cmbflow provenance` prints for an output (absolute path); undefined when it has nothing. */
  readonly provenanceOf: (path: string) => Promise<string | undefined>;
  readonly readFile?: (path: string) => Promise<Buffer>;
  readonly limits?: ReportLimits;
  readonly version: string;
  readonly now?: Date;
}

/** Why no report can be made. */
export type CollectFailure = { readonly reason: "no-run"; readonly logsDir: string };

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The report of the dataset's latest run. */
export async function collectReport(options: CollectOptions): Promise<Result<ReportData, CollectFailure>> {
  const limits = options.limits ?? DEFAULT_REPORT_LIMITS;
  const read = options.readFile ?? ((path: string) => readFile(path));
  const runs = await listRuns(options.datasetDir);
  const runId = runs.at(-1);
  if (runId === undefined) return err({ reason: "no-run", logsDir: `${options.datasetDir}${sep}Logs` });
  const runDir = `${options.datasetDir}${sep}Logs${sep}${runId}`;
  const notes: string[] = [];
  const { events, unreadable } = await readEvents(runDir);
  if (unreadable > 0) notes.push(`${String(unreadable)} line${unreadable === 1 ? "" : "s"} of ${runDir}${sep}run.log could not be read (a run killed mid-write leaves a torn last line).`);
  const summary = await readSummary(runDir);
  if (summary === undefined) notes.push(`The run wrote no summary.json: it was killed, or is still going. What it did is taken from its log.`);
  const log = indexEvents(events);

  const records = pickRecords(options.records, runId, options);
  const { nodes: graph, stageGraph } = options.pipeline;
  let traced = 0;
  const stages: ReportStage[] = [];
  const figures: ReportFigure[] = [];
  let moreFigures = 0;
  for (const { stage, first, count } of graph.stages) {
    const finished = log.stageFinished.get(stage.name);
    const counts = finished?.counts ?? summaryCounts(summary, stage.name);
    const blocked = [...log.nodes.values()].filter((n) => n.stage === stage.name && n.status === "blocked").length;
    // Nodes without an event were fresh when the stage's skips are all accounted for by blocked nodes.
    const silent: NodeStatus = counts !== undefined && counts.skipped === blocked ? "fresh" : "not-logged";
    const nodes: ReportNode[] = [];
    for (let n = first; n < first + count; n++) {
      const id = graph.id(n);
      const record = records.get(id);
      for (const o of record?.outputs ?? []) {
        if (!o.path.toLowerCase().endsWith(".png")) continue;
        if (figures.length < limits.figures) figures.push(await figure(o.path, id, options.absolutePath(o.path), read, limits));
        else moreFigures++;
      }
      if (nodes.length >= limits.nodesPerStage) continue;
      const logged = log.nodes.get(id);
      const outputs: ReportOutput[] = [];
      for (const o of record?.outputs ?? []) {
        const provenance = traced < limits.provenance ? await options.provenanceOf(options.absolutePath(o.path)) : undefined;
        if (provenance !== undefined) traced++;
        outputs.push({ path: o.path, ...(provenance === undefined ? {} : { provenance }) });
      }
      nodes.push(reportNode(id, logged, record, silent, runId, outputs));
    }
    const startedAt = log.stageStarted.get(stage.name);
    const runStart = log.runStarted;
    stages.push({
      name: stage.name,
      status: stageStatus(counts),
      ...(counts === undefined ? {} : { counts }),
      nodeCount: count,
      nodes,
      ...(startedAt !== undefined && runStart !== undefined ? { startMs: Math.max(0, startedAt - runStart) } : {}),
      ...(finished === undefined ? {} : { durationMs: finished.durationMs }),
    });
  }
  const outputCount = stages.reduce((sum, s) => sum + s.nodes.reduce((k, n) => k + n.outputs.length, 0), 0);
  if (outputCount > traced && traced >= limits.provenance) notes.push(`Provenance is shown for the first ${String(limits.provenance)} outputs; run cmbflow provenance PATH for the others.`);
  if (moreFigures > 0) notes.push(`${String(limits.figures)} figures are shown; ${String(moreFigures)} more PNG output${moreFigures === 1 ? " is" : "s are"} not.`);
  for (const s of stages) if (s.nodeCount > s.nodes.length) notes.push(`Stage ${s.name}: ${String(s.nodes.length)} of ${String(s.nodeCount)} nodes listed.`);

  const edges = new Map<string, { from: string; to: string; assets: string[] }>();
  stageGraph.graph.forEachEdge((_edge, attributes, from, to) => {
    const key = JSON.stringify([from, to]);
    const edge = edges.get(key) ?? { from, to, assets: [] };
    if (!edge.assets.includes(attributes.asset)) edge.assets.push(attributes.asset);
    edges.set(key, edge);
  });

  const current = await readRunConfig(runDir);
  const previousId = runs.at(-2);
  let diff: ConfigDiff;
  if (!current.ok) diff = { kind: "unreadable", problem: current.problem };
  else if (previousId === undefined) diff = { kind: "first-run" };
  else {
    const previous = await readRunConfig(`${options.datasetDir}${sep}Logs${sep}${previousId}`);
    diff = previous.ok ? { kind: "compared", previousRunId: previousId, changes: configDiff(previous.resolved, current.resolved) } : { kind: "unreadable", problem: previous.problem };
  }

  const outcome = typeof summary?.["outcome"] === "string" ? summary["outcome"] : "unfinished";
  const durationMs = typeof summary?.["durationMs"] === "number" ? summary["durationMs"] : log.runDurationMs;
  return ok({
    runId,
    outcome,
    datasetDir: options.datasetDir,
    runDir,
    ...(log.runStarted === undefined ? {} : { startedAt: new Date(log.runStarted).toISOString() }),
    ...(durationMs === undefined ? {} : { durationMs }),
    overrides: current.ok ? current.overrides : [],
    stages,
    edges: [...edges.values()],
    figures,
    configDiff: diff,
    notes,
    generatedAt: (options.now ?? new Date()).toISOString(),
    version: options.version,
  });
}

/** What the log says of a node. */
interface LoggedNode {
  readonly stage: string;
  readonly status: "ran" | "failed" | "restored" | "blocked";
  readonly note?: string;
  readonly durationMs?: number;
  readonly usage?: ReportUsage;
}

interface EventIndex {
  runStarted: number | undefined;
  runDurationMs: number | undefined;
  readonly stageStarted: Map<string, number>;
  readonly stageFinished: Map<string, { readonly counts: StageCounts; readonly durationMs: number }>;
  readonly nodes: Map<string, LoggedNode>;
}

function indexEvents(events: readonly LoggedEvent[]): EventIndex {
  const index: EventIndex = { runStarted: undefined, runDurationMs: undefined, stageStarted: new Map(), stageFinished: new Map(), nodes: new Map() };
  const time = (ev: LoggedEvent): number | undefined => {
    const t = typeof ev.time === "string" ? Date.parse(ev.time) : Number.NaN;
    return Number.isFinite(t) ? t : undefined;
  };
  const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
  const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  for (const ev of events) {
    const stage = str(ev["stage"]);
    const nodeId = str(ev["nodeId"]);
    switch (ev.event) {
      case "run-started":
        index.runStarted = time(ev);
        break;
      case "run-finished":
        index.runDurationMs = num(ev["durationMs"]);
        break;
      case "stage-started": {
        const t = time(ev);
        if (stage !== undefined && t !== undefined) index.stageStarted.set(stage, t);
        break;
      }
      case "stage-finished": {
        const counts = asCounts(ev["counts"]);
        const durationMs = num(ev["durationMs"]);
        if (stage !== undefined && counts !== undefined && durationMs !== undefined) index.stageFinished.set(stage, { counts, durationMs });
        break;
      }
      case "node-finished":
      case "node-restored":
        if (stage !== undefined && nodeId !== undefined) {
          const durationMs = num(ev["durationMs"]);
          const usage = asUsage(ev["usage"]);
          index.nodes.set(nodeId, { stage, status: ev.event === "node-finished" ? "ran" : "restored", ...(durationMs === undefined ? {} : { durationMs }), ...(usage === undefined ? {} : { usage }) });
        }
        break;
      case "node-blocked":
        if (stage !== undefined && nodeId !== undefined) index.nodes.set(nodeId, { stage, status: "blocked", note: `blocked by ${str(ev["failedDependency"]) ?? "a failed node"}` });
        break;
      case "node-failed": {
        const failure = ev["failure"] as Record<string, unknown> | undefined;
        const id = str(failure?.["nodeId"]);
        const of = str(failure?.["stage"]);
        if (id === undefined || of === undefined) break;
        const durationMs = num(ev["durationMs"]);
        const usage = asUsage(ev["usage"]);
        const message = str(failure?.["message"]) ?? "";
        index.nodes.set(id, { stage: of, status: "failed", note: message.split("\n")[0] ?? "", ...(durationMs === undefined ? {} : { durationMs }), ...(usage === undefined ? {} : { usage }) });
        break;
      }
      default:
        break;
    }
  }
  return index;
}

function asCounts(value: unknown): StageCounts | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const keys = ["ran", "fresh", "restored", "failed", "skipped"] as const;
  if (!keys.every((k) => typeof v[k] === "number")) return undefined;
  return { ran: v["ran"] as number, fresh: v["fresh"] as number, restored: v["restored"] as number, failed: v["failed"] as number, skipped: v["skipped"] as number };
}

function asUsage(value: unknown): ReportUsage | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v["workMs"] !== "number" || typeof v["heapPeakBytes"] !== "number" || typeof v["heapGrowthBytes"] !== "number") return undefined;
  return { workMs: v["workMs"], heapPeakBytes: v["heapPeakBytes"], heapGrowthBytes: v["heapGrowthBytes"] };
}

/** A stage's counts from summary.json, when its log has none (a log cut short). */
function summaryCounts(summary: Readonly<Record<string, unknown>> | undefined, stage: string): StageCounts | undefined {
  const list = summary?.["stages"];
  if (!Array.isArray(list)) return undefined;
  const entry = (list as unknown[]).find((s) => typeof s === "object" && s !== null && (s as { name?: unknown }).name === stage);
  return asCounts(entry);
}

/** The stage's colour: the most telling thing that happened to any of its nodes. */
function stageStatus(counts: StageCounts | undefined): StageStatus {
  if (counts === undefined) return "not-run";
  if (counts.failed > 0) return "failed";
  if (counts.skipped > 0) return "skipped";
  if (counts.ran > 0) return "ran";
  if (counts.restored > 0) return "restored";
  return "fresh";
}

/**
 * The record each node id is reported with: the one this run wrote or restored; else, of a
 * node recorded at several locations (configurations writing to other dataset folders), one
 * whose outputs lie in this dataset's folder; else the latest.
 */
function pickRecords(all: Iterable<NodeRecord>, runId: string, options: CollectOptions): Map<string, NodeRecord> {
  const inDataset = (r: NodeRecord): boolean => r.outputs.some((o) => !relative(options.datasetDir, options.absolutePath(o.path)).startsWith(".."));
  const rank = (r: NodeRecord): number => (r.runId === runId || r.restoredBy?.runId === runId ? 2 : inDataset(r) ? 1 : 0);
  const chosen = new Map<string, NodeRecord>();
  for (const record of all) {
    const had = chosen.get(record.node);
    if (had === undefined || rank(record) > rank(had) || (rank(record) === rank(had) && record.start > had.start)) chosen.set(record.node, record);
  }
  return chosen;
}

function reportNode(id: string, logged: LoggedNode | undefined, record: NodeRecord | undefined, silent: NodeStatus, runId: string, outputs: readonly ReportOutput[]): ReportNode {
  if (logged !== undefined && logged.status !== "restored") {
    return { id, status: logged.status, ...(logged.note === undefined ? {} : { note: logged.note }), ...(logged.durationMs === undefined ? {} : { durationMs: logged.durationMs }), ...(logged.usage === undefined ? {} : { usage: logged.usage }), outputs };
  }
  // Restored and fresh nodes are reported with the run that computed their outputs.
  const status: NodeStatus = logged?.status ?? silent;
  if (record === undefined) return { id, status, outputs };
  return {
    id,
    status,
    durationMs: record.durationMs,
    ...(record.usage === undefined ? {} : { usage: record.usage }),
    ...(record.runId === runId ? {} : { measuredIn: record.runId }),
    outputs,
  };
}

async function figure(path: string, node: string, absolute: string, read: (path: string) => Promise<Buffer>, limits: ReportLimits): Promise<ReportFigure> {
  let bytes: Buffer;
  try {
    bytes = await read(absolute);
  } catch (error) {
    return { path, node, problem: `not shown: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "the file is no longer there" : String((error as Error).message)}` };
  }
  if (bytes.length > limits.figureBytes) return { path, node, problem: `not embedded: ${String(bytes.length)} bytes, more than the report's ${String(limits.figureBytes)}` };
  if (!bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return { path, node, problem: "not shown: the file is not a PNG image" };
  return { path, node, dataUri: `data:image/png;base64,${bytes.toString("base64")}` };
}
