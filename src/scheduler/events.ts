/**
 * The one event union of a run. The terminal display, the JSON log and the summary all
 * consume these; library code never writes to the console.
 */

import type { NodeUsage } from "./unit-usage.js";

/** A node failure as reported to the user. */
export interface NodeFailure {
  readonly stage: string;
  readonly nodeId: string;
  readonly message: string;
  /** The stage code's own stack, when the failure was an exception. */
  readonly stack?: string;
}

export type RunEvent =
  | { readonly type: "run-started"; readonly runId: string; readonly nodes: number; readonly stages: readonly string[] }
  | { readonly type: "stage-started"; readonly stage: string; readonly nodes: number }
  | { readonly type: "node-started"; readonly stage: string; readonly nodeId: string; readonly reasons: readonly string[] }
  | { readonly type: "node-cached"; readonly stage: string; readonly nodeId: string }
  | { readonly type: "node-restored"; readonly stage: string; readonly nodeId: string; readonly outputs: readonly string[] }
  /** A restorable node whose cached outputs could not be restored (a corrupt or missing object): it runs instead. */
  | { readonly type: "node-restore-failed"; readonly stage: string; readonly nodeId: string; readonly reason: string }
  | { readonly type: "node-blocked"; readonly stage: string; readonly nodeId: string; readonly failedDependency: string }
  /** `usage`: what the node's units cost their threads (unit-usage.ts), when the runner measures. */
  | { readonly type: "node-finished"; readonly stage: string; readonly nodeId: string; readonly durationMs: number; readonly outputs: readonly string[]; readonly usage?: NodeUsage }
  | { readonly type: "node-failed"; readonly failure: NodeFailure; readonly durationMs: number; readonly usage?: NodeUsage }
  | { readonly type: "stage-finished"; readonly stage: string; readonly counts: StageCounts; readonly durationMs: number }
  | { readonly type: "warning"; readonly message: string; readonly stage?: string }
  | {
      readonly type: "stage-log";
      readonly level: "info" | "warn";
      readonly stage: string;
      readonly message: string;
      readonly fields?: Readonly<Record<string, unknown>>;
    }
  | { readonly type: "run-finished"; readonly outcome: RunOutcome; readonly durationMs: number };

/** What happened to a stage's nodes in a run. */
export interface StageCounts {
  readonly ran: number;
  readonly fresh: number;
  readonly restored: number;
  readonly failed: number;
  /** Not run because a dependency failed (with --keep-going) or the run stopped. */
  readonly skipped: number;
}

/** How a run ended. */
export type RunOutcome = "success" | "failed" | "interrupted";

/** Receives events as they happen. */
export type EventSink = (event: RunEvent) => void;
