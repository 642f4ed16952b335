/** `cmbflow status`: per stage, how many nodes are fresh, stale or never run, and why. */
import type { Command } from "commander";
import { reasonLabel } from "../cache/engine.js";
import { eachVariant } from "./run-command.js";
import type { CliIo } from "./io.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "./io.js";
import type { ConfigFlags } from "./load.js";
import { withConfigOptions } from "./load.js";
import { openReadingSession, planTotals } from "./plan.js";
import type { PlanAction } from "../core/pipeline-context.js";
import type { NodeRecord } from "../cache/state-store.js";

interface StatusFlags extends ConfigFlags {
  readonly json?: boolean;
}

/** Per-stage counts as `status --json` prints them. */
export interface StageStatus {
  readonly name: string;
  readonly total: number;
  readonly fresh: number;
  /** Nodes a run would not leave as they are: run + restore + may_run. */
  readonly stale: number;
  readonly run: number;
  readonly restore: number;
  /** Nodes waiting on an upstream node that will run; early cutoff skips them if its bytes do not change. */
  readonly may_run: number;
  /** Stale nodes that never ran (also counted in `stale`). */
  readonly missing: number;
  /** The stage names no executor (its nodes cannot run; all counted in `stale`). */
  readonly no_executor: boolean;
  readonly reasons: Readonly<Record<string, number>>;
  /** The stage's nodes' last recorded runs (cache records, whatever their freshness now): how many there are. */
  readonly recorded: number;
  /** Their durations summed, in ms (each from when the node was handed to the runner). */
  readonly duration_ms: number;
  /** Their work in the threads that ran them summed, in ms; null when none was measured (older records). */
  readonly work_ms: number | null;
  /** The highest peak of a running thread's V8 heap in use plus external memory, in bytes; null when none was measured. */
  readonly heap_peak_bytes: number | null;
}

/** Registers `status` on the program. */
export function statusCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  const command = program
    .command("status")
    .description("count per stage the nodes a run would leave, run, restore or may run, with the reasons; exit 1 unless every node is fresh")
    .option("--json", "print the counts as JSON")
    .addHelpText(
      "after",
      `
A node that "may run" waits on an upstream node that will run: it runs only if that node writes
different bytes. Exit code 1 when any node will run or be restored (a node that may run always
waits on one that will run), or cannot run because its stage has no executor; 0 when
everything is fresh.

Examples:
  cmbflow status                    after a run: everything fresh, exit 0
  cmbflow status scenario.lmax=100  what an override would make stale`,
    );
  command.option("-m, --multirun", "over a sweep: once per combination of the overrides' values (a,b  range(1,4)  glob(nside*)), each under a header");
  withConfigOptions(command).action(async (overrides: string[], flags: StatusFlags & { readonly multirun?: boolean }) => {
    done(flags.multirun === true ? await eachVariant(overrides, flags, io, (variant) => status(variant, flags, io)) : await status(overrides, flags, io));
  });
}

/** Running totals of a stage's recorded node costs. */
interface RecordedCost {
  recorded: number;
  durationMs: number;
  workMs: number | null;
  heapPeakBytes: number | null;
}

function addCost(cost: RecordedCost, record: NodeRecord | undefined): void {
  // A record of a run whose inputs changed under it has no outputs and describes no finished work.
  if (record === undefined || record.changedDuringRun !== undefined) return;
  cost.recorded++;
  cost.durationMs += record.durationMs;
  if (record.usage === undefined) return;
  cost.workMs = (cost.workMs ?? 0) + record.usage.workMs;
  cost.heapPeakBytes = Math.max(cost.heapPeakBytes ?? 0, record.usage.heapPeakBytes);
}

async function status(overrides: readonly string[], flags: StatusFlags, io: CliIo): Promise<number> {
  const session = await openReadingSession(overrides, flags, io);
  if (session === undefined) return EXIT_USAGE;
  try {
    const plan = await session.context.planPipeline(session.engine);
    for (const warning of session.context.codeWarnings()) io.stderr(`warning: ${warning}\n`);
    const stages = new Map<string, Record<PlanAction, number> & { total: number; missing: number; reasons: Map<string, number>; cost: RecordedCost }>();
    for (const name of session.compiled.pipeline.stageGraph.order) {
      stages.set(name, { total: 0, fresh: 0, run: 0, restore: 0, "may-run": 0, missing: 0, reasons: new Map(), cost: { recorded: 0, durationMs: 0, workMs: null, heapPeakBytes: null } });
    }
    const unbound = new Set<string>();
    for (const { stage, count } of session.compiled.pipeline.nodes.stages) {
      const s = stages.get(stage.name);
      if (stage.executor !== null || s === undefined) continue;
      unbound.add(stage.name);
      s.total = count;
      s.reasons.set("no executor", count);
    }
    for (const p of plan) {
      const s = stages.get(p.stage);
      if (s === undefined) continue;
      s.total++;
      s[p.action]++;
      addCost(s.cost, session.engine.recordAt(p.fingerprint.key, p.id));
      if (p.action === "fresh") continue;
      if (p.reasons.some((r) => r.kind === "never-run")) s.missing++;
      for (const label of new Set(p.reasons.map(reasonLabel))) s.reasons.set(label, (s.reasons.get(label) ?? 0) + 1);
    }
    const rows: StageStatus[] = [...stages].map(([name, s]) => ({
      name,
      total: s.total,
      fresh: s.fresh,
      stale: unbound.has(name) ? s.total : s.run + s.restore + s["may-run"],
      run: s.run,
      restore: s.restore,
      may_run: s["may-run"],
      missing: s.missing,
      no_executor: unbound.has(name),
      reasons: Object.fromEntries(s.reasons),
      recorded: s.cost.recorded,
      duration_ms: s.cost.durationMs,
      work_ms: s.cost.workMs,
      heap_peak_bytes: s.cost.heapPeakBytes,
    }));
    const total: Record<PlanAction, number> = { fresh: 0, run: 0, restore: 0, "may-run": 0 };
    for (const s of stages.values()) for (const action of ["fresh", "run", "restore", "may-run"] as const) total[action] += s[action];
    const stale = total.run + total.restore + total["may-run"] + rows.filter((r) => r.no_executor).reduce((n, r) => n + r.total, 0);
    if (flags.json === true) {
      io.stdout(`${JSON.stringify({ stages: rows }, null, 2)}\n`);
    } else {
      const width = Math.max(...rows.map((r) => r.name.length));
      for (const r of rows) {
        const reasons = Object.entries(r.reasons)
          .map(([label, n]) => `${label}: ${String(n)}`)
          .join(", ");
        const counts = [`${String(r.fresh).padStart(6)} fresh`, `${String(r.run).padStart(6)} run`, `${String(r.restore).padStart(6)} restore`, `${String(r.may_run).padStart(6)} may run`];
        io.stdout(`${r.name.padEnd(width)}  ${counts.join("  ")}${r.missing > 0 ? ` (${String(r.missing)} never run)` : ""}${reasons === "" ? "" : `  — ${reasons}`}\n`);
      }
      const nodes = rows.reduce((n, r) => n + r.total, 0);
      io.stdout(stale === 0 ? `all ${String(nodes)} nodes are fresh\n` : `cmbflow run ${planTotals(total, nodes)}\n`);
      const lacking = rows.filter((r) => r.no_executor);
      if (lacking.length > 0) {
        const n = lacking.reduce((sum, r) => sum + r.total, 0);
        io.stdout(`${String(n)} node${n === 1 ? "" : "s"} cannot run: no executor for ${lacking.map((r) => r.name).join(", ")} (bind them in an executors: mapping)\n`);
      }
    }
    return stale === 0 ? EXIT_OK : EXIT_FAILED;
  } finally {
    await session.engine.close();
  }
}
