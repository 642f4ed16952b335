/** `cmbflow status`: per stage, how many nodes are fresh, stale or never run, and why. */
import type { Command } from "commander";
import { reasonLabel } from "../cache/engine.js";
import type { CliIo } from "./io.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "./io.js";
import type { ConfigFlags } from "./load.js";
import { withConfigOptions } from "./load.js";
import { openReadingSession } from "./plan.js";

interface StatusFlags extends ConfigFlags {
  readonly json?: boolean;
}

/** Per-stage counts as `status --json` prints them. */
export interface StageStatus {
  readonly name: string;
  readonly total: number;
  readonly fresh: number;
  readonly stale: number;
  /** Stale nodes that never ran (also counted in `stale`). */
  readonly missing: number;
  readonly reasons: Readonly<Record<string, number>>;
}

/** Registers `status` on the program. */
export function statusCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  const command = program
    .command("status")
    .description("count fresh and stale nodes per stage, with the reasons; exit 1 when anything is stale")
    .option("--json", "print the counts as JSON")
    .addHelpText(
      "after",
      `
Examples:
  cmbflow status                    after a run: everything fresh, exit 0
  cmbflow status scenario.lmax=100  what an override would make stale`,
    );
  withConfigOptions(command).action(async (overrides: string[], flags: StatusFlags) => {
    done(await status(overrides, flags, io));
  });
}

async function status(overrides: readonly string[], flags: StatusFlags, io: CliIo): Promise<number> {
  const session = await openReadingSession(overrides, flags, io);
  if (session === undefined) return EXIT_USAGE;
  try {
    const plan = await session.context.planPipeline(session.engine);
    const stages = new Map<string, { total: number; fresh: number; stale: number; missing: number; reasons: Map<string, number> }>();
    for (const name of session.compiled.pipeline.stageGraph.order) stages.set(name, { total: 0, fresh: 0, stale: 0, missing: 0, reasons: new Map() });
    for (const p of plan) {
      const s = stages.get(p.stage);
      if (s === undefined) continue;
      s.total++;
      if (p.state === "fresh") {
        s.fresh++;
        continue;
      }
      s.stale++;
      if (p.reasons.some((r) => r.kind === "never-run")) s.missing++;
      for (const label of new Set(p.reasons.map(reasonLabel))) s.reasons.set(label, (s.reasons.get(label) ?? 0) + 1);
    }
    const rows: StageStatus[] = [...stages].map(([name, s]) => ({ name, total: s.total, fresh: s.fresh, stale: s.stale, missing: s.missing, reasons: Object.fromEntries(s.reasons) }));
    const stale = rows.reduce((n, r) => n + r.stale, 0);
    if (flags.json === true) {
      io.stdout(`${JSON.stringify({ stages: rows }, null, 2)}\n`);
    } else {
      const width = Math.max(...rows.map((r) => r.name.length));
      for (const r of rows) {
        const reasons = Object.entries(r.reasons)
          .map(([label, n]) => `${label}: ${String(n)}`)
          .join(", ");
        io.stdout(
          `${r.name.padEnd(width)}  ${String(r.fresh).padStart(6)} fresh  ${String(r.stale).padStart(6)} stale${r.missing > 0 ? ` (${String(r.missing)} never run)` : ""}${reasons === "" ? "" : `  — ${reasons}`}\n`,
        );
      }
      const total = rows.reduce((n, r) => n + r.total, 0);
      io.stdout(stale === 0 ? `all ${String(total)} nodes are fresh\n` : `${String(stale)} of ${String(total)} nodes are stale: cmbflow run would run or restore them\n`);
    }
    return stale === 0 ? EXIT_OK : EXIT_FAILED;
  } finally {
    await session.engine.close();
  }
}
