/**
 * `cmbflow explain NODE_ID`: what changed since the node's last recorded run — parameters
 * old → new with where the new value is set, code files, the stage definition, inputs
 * (followed upstream to the root cause), outputs missing or modified outside cmbflow.
 */
import type { Command } from "commander";
import type { StaleReason } from "../cache/engine.js";
import { reasonLabel } from "../cache/engine.js";
import type { CodePart, ContextPart, ParamsPart, StagePart } from "../cache/fingerprint.js";
import { describeOrigin, originOf } from "../config/index.js";
import type { ConfigValue } from "../config/types.js";
import type { PlannedNode } from "../core/pipeline-context.js";
import { parseNodeId } from "../graph/partition.js";
import { selectNodes } from "../graph/selection.js";
import { suggestion } from "../diagnostics/suggest.js";
import type { CliIo } from "./io.js";
import { EXIT_OK, EXIT_USAGE } from "./io.js";
import type { ConfigFlags } from "./load.js";
import { withConfigOptions } from "./load.js";
import { collectValues } from "./run-command.js";
import type { ReadingSession } from "./plan.js";
import { openReadingSession } from "./plan.js";

/** How many upstream nodes to follow per level before summarising the rest. */
const UPSTREAM_SHOWN = 3;

/** Registers `explain` on the program. */
export function explainCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  const command = program
    .command("explain")
    .description("say why a node is stale: what changed since its last recorded run")
    .argument("<node>", "node id, e.g. 'make_cmb[split=Train,sim=3]' (quote it in the shell)")
    .option("--force <stages>", "explain as `run --force` would see it: these stages' nodes are forced (comma-separated or repeated)", collectValues)
    .option("--force-downstream", "with --force, also every node that depends on a forced one")
    .option("--force-all", "every node is forced")
    .addHelpText(
      "after",
      `
Examples:
  cmbflow explain 'make_cmb[split=Train,sim=0]'
  cmbflow explain ps_setup scenario.lmax=100     what the override would change
  cmbflow explain 'make_obs[split=Test,sim=0,freq=100]' --force make_noise --force-downstream`,
    );
  withConfigOptions(command).action(async (node: string, overrides: string[], flags: ExplainFlags) => {
    done(await explain(node, overrides, flags, io));
  });
}

/** explain's flags: the configuration's, and run's forcing flags. */
interface ExplainFlags extends ConfigFlags {
  readonly force?: readonly string[];
  readonly forceDownstream?: boolean;
  readonly forceAll?: boolean;
}

async function explain(nodeId: string, overrides: readonly string[], flags: ExplainFlags, io: CliIo): Promise<number> {
  const parsed = parseNodeId(nodeId);
  if (!parsed.ok) {
    io.stderr(`error: ${parsed.error}\n`);
    return EXIT_USAGE;
  }
  const session = await openReadingSession(overrides, flags, io);
  if (session === undefined) return EXIT_USAGE;
  try {
    const { nodes } = session.compiled.pipeline;
    const n = nodes.find(nodeId);
    if (n === undefined) {
      const stage = nodes.stages.find((s) => s.stage.name === parsed.value.stage);
      if (stage === undefined) {
        const hint = suggestion(parsed.value.stage, nodes.stages.map((s) => s.stage.name));
        io.stderr(`error: no stage "${parsed.value.stage}" in the pipeline${hint === undefined ? "" : `; ${hint}`}\n`);
      } else {
        io.stderr(`error: stage "${stage.stage.name}" has no node ${nodeId}; its nodes look like ${nodes.id(stage.first)}\n`);
      }
      return EXIT_USAGE;
    }
    const selection = selectNodes(session.compiled.pipeline, {
      ...(flags.force === undefined ? {} : { force: flags.force }),
      ...(flags.forceDownstream === undefined ? {} : { forceDownstream: flags.forceDownstream }),
      ...(flags.forceAll === undefined ? {} : { forceAll: flags.forceAll }),
    });
    if (!selection.ok) {
      io.stderr(`error: ${selection.error}\n`);
      return EXIT_USAGE;
    }
    const plan = new Map((await session.context.planPipeline(session.engine, { forced: selection.value.forced })).map((p) => [p.node, p]));
    const lines: string[] = [];
    await describeNode(session, plan, n, 0, new Set(), lines);
    io.stdout(`${lines.join("\n")}\n`);
    return EXIT_OK;
  } finally {
    await session.engine.close();
  }
}

async function describeNode(session: ReadingSession, plan: ReadonlyMap<number, PlannedNode>, n: number, depth: number, seen: Set<number>, lines: string[]): Promise<void> {
  const indent = "  ".repeat(depth);
  const planned = plan.get(n);
  const { nodes } = session.compiled.pipeline;
  const id = nodes.id(n);
  if (planned === undefined) {
    // Stages that name no executor are not planned (reading commands describe CMB-ML pipelines without code).
    const stage = nodes.stages.find((s) => n >= s.first && n < s.first + s.count)?.stage;
    if (stage?.executor === null) lines.push(`${indent}${id} cannot run: stage "${stage.name}" has no executor (bind one in an executors: mapping)`);
    return;
  }
  seen.add(n);
  const record = session.engine.recordOf(id, planned.fingerprint.at);
  const last = record === undefined ? "" : ` (last run ${record.runId} at ${record.start}, ${(record.durationMs / 1000).toFixed(2)} s)`;
  if (planned.state === "fresh") {
    lines.push(`${indent}${id} is fresh${last}`);
    return;
  }
  if (planned.action === "may-run") lines.push(`${indent}${id} may run${last}, only if the upstream nodes that will run write different outputs:`);
  else lines.push(`${indent}${id} is stale${planned.state === "restorable" ? " (its outputs for this fingerprint are in the run-cache: run restores them)" : ""}${last}:`);
  for (const reason of planned.reasons) await describeReason(session, plan, planned, reason, depth + 1, seen, lines);
}

async function describeReason(
  session: ReadingSession,
  plan: ReadonlyMap<number, PlannedNode>,
  planned: PlannedNode,
  reason: StaleReason,
  depth: number,
  seen: Set<number>,
  lines: string[],
): Promise<void> {
  const indent = "  ".repeat(depth);
  const record = session.engine.recordOf(planned.id, planned.fingerprint.at);
  const old = async <T>(part: string): Promise<T | undefined> => (record === undefined ? undefined : ((await session.engine.store.getBlob(record.parts[part] ?? "")) as T | undefined));
  const now = planned.fingerprint.values;
  lines.push(`${indent}${reasonLabel(reason)}${"path" in reason ? `: ${reason.path}` : ""}`);
  // The part as it was is needed to say what changed; without it a diff would call every value new.
  const partName = PART_OF[reason.kind];
  if (partName !== undefined && record !== undefined) {
    const state = await session.engine.checkPart(partName, record.parts[partName] ?? "");
    if (state !== "ok") {
      lines.push(`${indent}  (what it was cannot be shown: its earlier value is ${state} in cache/state/blobs.jsonl; see cmbflow cache verify)`);
      return;
    }
  }
  switch (reason.kind) {
    case "params-changed": {
      const before = await old<ParamsPart>("params");
      for (const change of diffValues(before?.reads ?? {}, now.params.reads)) {
        const origin = describeOrigin(originOf(session.compiled.config, change.key.split(".")), session.cwd);
        lines.push(`${indent}  ${change.key}: ${change.text}   (${origin})`);
      }
      for (const change of diffValues(flatten(before?.block ?? {}), flatten(now.params.block))) {
        lines.push(`${indent}  pipeline.${planned.stage}.${change.key}: ${change.text}`);
      }
      break;
    }
    case "code-changed": {
      const before = await old<CodePart>("code");
      for (const change of diffValues(before?.files ?? {}, now.code.files)) {
        lines.push(`${indent}  ${change.key} ${change.before === undefined ? "added" : change.after === undefined ? "removed" : "edited"}`);
      }
      for (const change of diffValues({ ...before?.runtime }, { ...now.code.runtime })) {
        lines.push(`${indent}  ${change.key === "node" ? "Node.js major version" : "cmbflow version"}: ${change.text}`);
      }
      break;
    }
    case "stage-changed": {
      const before = await old<StagePart>("stage");
      for (const change of diffValues(flatten((before ?? {}) as unknown as Record<string, ConfigValue>), flatten(now.stage as unknown as Record<string, ConfigValue>))) {
        lines.push(`${indent}  ${change.key}: ${change.text}`);
      }
      break;
    }
    case "context-changed": {
      const before = await old<ContextPart>("context");
      for (const change of diffValues(flatten((before ?? {}) as unknown as Record<string, ConfigValue>), flatten(now.context as unknown as Record<string, ConfigValue>))) {
        lines.push(`${indent}  ${change.key}: ${change.text}`);
      }
      break;
    }
    case "inputs-changed":
    case "upstream-stale": {
      const { nodes } = session.compiled.pipeline;
      const shown = reason.nodes.slice(0, UPSTREAM_SHOWN);
      for (const dep of shown) {
        const d = nodes.find(dep);
        if (d === undefined) {
          lines.push(`${indent}  ${dep} (no longer in the pipeline)`);
        } else if (seen.has(d)) {
          lines.push(`${indent}  ${dep} (see above)`);
        } else if (plan.get(d)?.state === "fresh") {
          const depPlanned = plan.get(d);
          const depRecord = depPlanned === undefined ? undefined : session.engine.recordOf(dep, depPlanned.fingerprint.at);
          lines.push(`${indent}  ${dep} re-ran${depRecord === undefined ? "" : ` in run ${depRecord.runId} at ${depRecord.start}`} and its outputs changed`);
        } else {
          await describeNode(session, plan, d, depth + 1, seen, lines);
        }
      }
      if (reason.nodes.length > shown.length) lines.push(`${indent}  … and ${String(reason.nodes.length - shown.length)} more`);
      break;
    }
    case "changed-during-run":
      for (const change of reason.changes) lines.push(`${indent}  ${change}`);
      lines.push(`${indent}  (run ${record?.runId ?? "?"} kept the outputs it made but recorded none)`);
      break;
    case "never-run":
    case "forced":
    case "output-missing":
    case "output-modified":
      break;
  }
}

/** The fingerprint part each kind of change is explained from. */
const PART_OF: Partial<Record<StaleReason["kind"], string>> = {
  "params-changed": "params",
  "code-changed": "code",
  "stage-changed": "stage",
  "context-changed": "context",
};

/** Leaves of a nested value as dotted keys. */
function flatten(value: Readonly<Record<string, unknown>>, prefix = ""): Record<string, ConfigValue> {
  const out: Record<string, ConfigValue> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = prefix === "" ? k : `${prefix}.${k}`;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, key));
    else out[key] = v as ConfigValue;
  }
  return out;
}

/** Keys whose values differ, with `old → new` text. */
function diffValues(
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
): { key: string; before: unknown; after: unknown; text: string }[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const out: { key: string; before: unknown; after: unknown; text: string }[] = [];
  for (const key of keys) {
    const b = before[key];
    const a = after[key];
    if (JSON.stringify(b) === JSON.stringify(a)) continue;
    const show = (v: unknown): string => (v === undefined ? "(absent)" : JSON.stringify(v));
    out.push({ key, before: b, after: a, text: `${show(b)} → ${show(a)}` });
  }
  return out;
}
