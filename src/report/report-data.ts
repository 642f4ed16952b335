/**
 * The HTML run report's content as plain data: gathered from the cache's records, the run's log
 * folder and the compiled pipeline (collect-report.ts), rendered by render-html.ts.
 */
import type { StageCounts } from "../scheduler/events.js";

/** A stage's colour in the DAG: what happened to its nodes in the run the report is about. */
export type StageStatus = "failed" | "skipped" | "ran" | "restored" | "fresh" | "not-run";

/** What happened to one node in that run. */
export type NodeStatus = "ran" | "failed" | "restored" | "blocked" | "fresh" | "not-logged";

/** What a node's work cost the threads that ran it (NodeRecord `usage`). */
export interface ReportUsage {
  readonly workMs: number;
  readonly heapPeakBytes: number;
  readonly heapGrowthBytes: number;
}

/** One output file of a node. */
export interface ReportOutput {
  /** As recorded (relative to the project folder when inside it). */
  readonly path: string;
  /** What `cmbflow provenance` prints for it; undefined when not traced (the report's limit). */
  readonly provenance?: string;
}

/** One node of a stage. */
export interface ReportNode {
  readonly id: string;
  readonly status: NodeStatus;
  /** The failure's message, or the failed dependency of a blocked node. */
  readonly note?: string;
  /** From hand-over to the runner to its result, in ms; of the run in `measuredIn`. */
  readonly durationMs?: number;
  readonly usage?: ReportUsage;
  /** The run the figures come from, when not the report's (a node fresh in it keeps its earlier run's). */
  readonly measuredIn?: string;
  readonly outputs: readonly ReportOutput[];
}

/** One stage. */
export interface ReportStage {
  readonly name: string;
  readonly status: StageStatus;
  /** Its nodes' counts in the run; undefined when the run did not include the stage. */
  readonly counts?: StageCounts;
  /** Nodes in the stage (all of them, also those not listed). */
  readonly nodeCount: number;
  /** The nodes listed (at most the report's limit per stage). */
  readonly nodes: readonly ReportNode[];
  /** When the stage started, in ms after the run started, and how long it took; from the run's log. */
  readonly startMs?: number;
  readonly durationMs?: number;
}

/** A stage-graph edge: `to` reads `assets` of `from`. */
export interface ReportEdge {
  readonly from: string;
  readonly to: string;
  readonly assets: readonly string[];
}

/** A PNG output, embedded. */
export interface ReportFigure {
  readonly path: string;
  readonly node: string;
  /** `data:image/png;base64,...`, or undefined with `problem` saying why it is not shown. */
  readonly dataUri?: string;
  readonly problem?: string;
}

/** One key whose value differs between two runs' resolved configurations (values as JSON; undefined: absent). */
export interface ConfigChange {
  readonly key: string;
  readonly before?: string;
  readonly after?: string;
}

/** The configuration compared with the previous run's. */
export type ConfigDiff =
  | { readonly kind: "first-run" }
  | { readonly kind: "compared"; readonly previousRunId: string; readonly changes: readonly ConfigChange[] }
  | { readonly kind: "unreadable"; readonly problem: string };

/** Everything the report shows. */
export interface ReportData {
  readonly runId: string;
  /** success | failed | interrupted, or `unfinished` when the run wrote no summary (killed, or still going). */
  readonly outcome: string;
  readonly datasetDir: string;
  readonly runDir: string;
  /** When the run started (ISO 8601), from its log. */
  readonly startedAt?: string;
  readonly durationMs?: number;
  readonly overrides: readonly string[];
  readonly stages: readonly ReportStage[];
  readonly edges: readonly ReportEdge[];
  readonly figures: readonly ReportFigure[];
  readonly configDiff: ConfigDiff;
  /** Things the reader should know (limits reached, unreadable log lines). */
  readonly notes: readonly string[];
  /** When the report was made (ISO 8601) and by which cmbflow. */
  readonly generatedAt: string;
  readonly version: string;
}
