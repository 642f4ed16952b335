/**
 * `cmbflow provenance PATH`: how a file was made — the node and the run that wrote it, when,
 * the code and parameters it ran with, its partition and seed, its inputs (each with the run
 * that wrote them, recursively, as a tree) and the run's log folder.
 *
 * Everything comes from the cache's records (`cache/state`), not from the current
 * configuration: provenance describes what happened, also after the configuration changed.
 * So the command takes no config options, and the log folder is found without the config as
 * well: a run logs to `{root}/{dataset}/Logs/<run id>/` and outputs are written under
 * `{root}/{dataset}`, so the folders above the file are searched for `Logs/<run id>`. The
 * outermost match wins, because a stage with `make_stage_log: true` keeps a copy of the run's
 * log in its own folder, nearer the file. An output written outside `{root}/{dataset}` has no
 * log folder found (reported as such).
 *
 * An input's writer is the record of the input node whose outputs have exactly the digests the
 * node recorded for them: its current record, or one from its fingerprint history when the
 * input node has re-run since. Records and fingerprint parts that compaction dropped are
 * reported as no longer kept.
 */
import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import type { CacheEngine } from "../cache/engine.js";
import { CacheEngine as Engine } from "../cache/engine.js";
import type { CodePart, ContextPart, InputsPart, ParamsPart } from "../cache/fingerprint.js";
import type { NodeRecord, OutputRecord, StateStore } from "../cache/state-store.js";
import { keyOf } from "../cache/state-store.js";
import { assertNever, err, ok } from "../diagnostics/result.js";
import type { Result } from "../diagnostics/result.js";
import { DIMS } from "../graph/partition.js";
import type { CliIo } from "./io.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "./io.js";
import { cacheDirFor } from "./run-command.js";

interface ProvenanceFlags {
  readonly json?: boolean;
  readonly depth: number;
  readonly maxInputs: number;
}

/** How much of the inputs tree to trace. */
export interface TreeLimits {
  /** Levels of inputs below the file's own node (default 3; 0: none). */
  readonly depth: number;
  /** Inputs shown per node, and files shown per input; the rest are counted (default 5). */
  readonly fanOut: number;
}

/** Default `TreeLimits`: enough for the default pipeline's chains, bounded for reductions over thousands of sims. */
export const DEFAULT_TREE_LIMITS: TreeLimits = { depth: 3, fanOut: 5 };

/** The record of the run that wrote an input's files. */
export interface InputWriter {
  readonly record: NodeRecord;
  /** False when the input node has re-run since (the record is from its fingerprint history). */
  readonly current: boolean;
}

/** One input node of a node in the provenance tree. */
export interface InputProvenance {
  readonly node: string;
  /** The files the node read from this input, path (as recorded) → digest, as recorded when it ran. */
  readonly files: Readonly<Record<string, string>>;
  /** The record that wrote those files; undefined when no such record is kept. */
  readonly writer: InputWriter | undefined;
  readonly inputs: InputsTree;
}

/** A node's inputs in the tree, or why they are not shown. */
export type InputsTree =
  | { readonly kind: "shown"; readonly nodes: readonly InputProvenance[]; readonly more: number }
  /** Below the depth limit; `count` inputs not traced. */
  | { readonly kind: "depth-limit"; readonly count: number }
  /** The same run of the same node was traced earlier in the tree. */
  | { readonly kind: "shown-above" }
  /** The run's record or its fingerprint parts are no longer kept (superseded and compacted away). */
  | { readonly kind: "not-kept" };

/** State of a recorded output's file now. */
export type OnDisk = { readonly state: "unchanged" } | { readonly state: "modified"; readonly digest: string; readonly size: number } | { readonly state: "missing" };

/** Everything `provenance` reports about one file. */
export interface FileProvenance {
  /** The file's path as recorded (relative to the project folder when inside it). */
  readonly path: string;
  /** The latest record of the node that lists the file as an output. */
  readonly record: NodeRecord;
  readonly output: OutputRecord;
  readonly onDisk: OnDisk;
  /** Absolute path of the run's log folder, when found (see the module comment). */
  readonly logDir: string | undefined;
  /** Fingerprint parts; undefined when no longer stored. */
  readonly code: CodePart | undefined;
  readonly params: ParamsPart | undefined;
  readonly context: ContextPart | undefined;
  readonly inputs: InputsTree;
}

/** Why `traceProvenance` found nothing. */
export type ProvenanceFailure = { readonly reason: "not-an-output"; readonly path: string };

/**
 * Traces the file at `path` (absolute) through the engine's records; `not-an-output` when no
 * node's latest record lists it. Reads the file once to tell whether it still matches its
 * record (through the digest memo, so an unchanged file is not read).
 */
export async function traceProvenance(engine: CacheEngine, path: string, limits: TreeLimits = DEFAULT_TREE_LIMITS): Promise<Result<FileProvenance, ProvenanceFailure>> {
  const recorded = engine.recordedPath(path);
  const found = findWriter(engine.store, recorded);
  if (found === undefined) return err({ reason: "not-an-output", path: recorded });
  const { record, output } = found;
  const now = await engine.digests.digest(path);
  const onDisk: OnDisk = now === undefined ? { state: "missing" } : now.digest === output.digest ? { state: "unchanged" } : { state: "modified", digest: now.digest, size: now.size };
  const part = async <T>(name: string): Promise<T | undefined> => {
    const digest = record.parts[name];
    return digest === undefined ? undefined : ((await engine.store.getBlob(digest)) as T | undefined);
  };
  return ok({
    path: recorded,
    record,
    output,
    onDisk,
    logDir: await findLogDir(path, record.runId),
    code: await part<CodePart>("code"),
    params: await part<ParamsPart>("params"),
    context: await part<ContextPart>("context"),
    inputs: await traceInputs(engine.store, record.parts["inputs"], 1, limits, new Set()),
  });
}

/** Registers `provenance` on the program. */
export function provenanceCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command("provenance")
    .description("show how a file was made: node, run, code, parameters, inputs (recursively) and log folder")
    .argument("<path>", "an output file, relative to this folder or absolute")
    .option("--json", "print the provenance as JSON")
    .option("--depth <n>", "levels of inputs to trace", nonNegativeInteger, DEFAULT_TREE_LIMITS.depth)
    .option("--max-inputs <n>", "inputs (and files) shown per node; the rest are counted", positiveInteger, DEFAULT_TREE_LIMITS.fanOut)
    .addHelpText(
      "after",
      `
The answer comes from the cache's records, not from the current configuration.

Examples:
  cmbflow provenance data/T_64_3-3/Simulation_Working/D_Make_Obs/Train/sim0000/obs_30_map.fits
  cmbflow provenance data/T_64_3-3/Simulation_Working/G_PS_Summary/ps_summary.png --depth 1
  cmbflow provenance data/T_64_3-3/Simulation_Working/E_Dataset_Stats/dataset_stats.yaml --json`,
    )
    .action(async (path: string, flags: ProvenanceFlags) => {
      done(await provenance(path, flags, io));
    });
}

async function provenance(path: string, flags: ProvenanceFlags, io: CliIo): Promise<number> {
  const cacheDir = cacheDirFor(io);
  if (!existsSync(cacheDir)) {
    io.stderr(`error: no cache folder ${cacheDir}: run cmbflow provenance in the project folder where cmbflow run was run\n`);
    return EXIT_FAILED;
  }
  // Settings only matter to a writing engine; provenance reads records.
  const engine = await Engine.open({ cacheDir, workDir: io.cwd, mode: "read", settings: { enabled: true, link: "copy" } });
  try {
    const traced = await traceProvenance(engine, resolve(io.here ?? io.cwd, path), { depth: flags.depth, fanOut: flags.maxInputs });
    if (!traced.ok) {
      switch (traced.error.reason) {
        case "not-an-output":
          // Neither a file nor a record: most likely a mistyped path.
          if (!existsSync(resolve(io.here ?? io.cwd, path))) {
            io.stderr(`error: no such file: ${traced.error.path} (and cmbflow has no record of writing it)\n`);
            return EXIT_USAGE;
          }
          io.stderr(`error: no recorded node output is ${traced.error.path}: cmbflow has no record of writing it (cmbflow status shows which nodes have run)\n`);
          return EXIT_FAILED;
        default:
          return assertNever(traced.error.reason);
      }
    }
    if (flags.json === true) io.stdout(`${JSON.stringify(toJson(traced.value), null, 2)}\n`);
    else io.stdout(renderProvenanceText(traced.value, { depth: flags.depth, fanOut: flags.maxInputs }, io));
    return EXIT_OK;
  } finally {
    await engine.close();
  }
}

function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a whole number ≥ 0.");
  return Number(value);
}

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError("expected a whole number ≥ 1.");
  return Number(value);
}

/** The node whose latest record lists `recorded` as an output. */
function findWriter(store: StateStore, recorded: string): { record: NodeRecord; output: OutputRecord } | undefined {
  for (const record of store.entries()) {
    const output = record.outputs.find((o) => o.path === recorded);
    if (output !== undefined) return { record, output };
  }
  return undefined;
}

/** The record of `node` whose outputs are exactly `files` (path → digest): its current record, else one from its history. */
async function writerOf(store: StateStore, node: string, files: Readonly<Record<string, string>>): Promise<InputWriter | undefined> {
  const matches = (r: NodeRecord): boolean => r.outputs.length === Object.keys(files).length && r.outputs.every((o) => files[o.path] === o.digest);
  // A node has a record per location (output folder); the one that wrote these files is the one listing them.
  const records = store.recordsOf(node);
  const current = records.find(matches);
  if (current !== undefined) return { record: current, current: true };
  for (const record of records) {
    const older = (await store.history(keyOf(record))).find(matches);
    if (older !== undefined) return { record: older, current: false };
  }
  return undefined;
}

/**
 * The inputs recorded in the inputs part `digest`, each with its writer and, down to
 * `limits.depth`, its own inputs. `seen` holds `node@run` of nodes whose inputs were shown,
 * so a shared ancestor (ps_setup under every make_cmb) is traced once.
 */
async function traceInputs(store: StateStore, digest: string | undefined, level: number, limits: TreeLimits, seen: Set<string>): Promise<InputsTree> {
  const part = digest === undefined ? undefined : ((await store.getBlob(digest)) as InputsPart | undefined);
  if (part === undefined) return { kind: "not-kept" };
  const entries = Object.entries(part);
  if (entries.length > 0 && level > limits.depth) return { kind: "depth-limit", count: entries.length };
  const nodes: InputProvenance[] = [];
  for (const [node, files] of entries.slice(0, limits.fanOut)) {
    const writer = await writerOf(store, node, files);
    const key = `${node}@${writer?.record.runId ?? ""}`;
    let inputs: InputsTree;
    if (writer === undefined) inputs = { kind: "not-kept" };
    else if (seen.has(key)) inputs = { kind: "shown-above" };
    else inputs = await traceInputs(store, writer.record.parts["inputs"], level + 1, limits, seen);
    if (inputs.kind === "shown" && inputs.nodes.length > 0) seen.add(key);
    nodes.push({ node, files, writer, inputs });
  }
  return { kind: "shown", nodes, more: entries.length - nodes.length };
}

/** Run ids are generated (log-maker.ts); anything else in a record is not used as a path. */
const RUN_ID = /^[\w.-]+$/;

/** The outermost `Logs/<runId>` folder above `file` (see the module comment), or undefined. */
async function findLogDir(file: string, runId: string): Promise<string | undefined> {
  if (!RUN_ID.test(runId) || runId === "." || runId === "..") return undefined;
  let found: string | undefined;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const candidate = join(dir, "Logs", runId);
    if (await stat(candidate).then((s) => s.isDirectory(), () => false)) found = candidate;
    if (dirname(dir) === dir) return found;
  }
}

function shownPath(path: string, io: CliIo): string {
  const rel = relative(io.cwd, path);
  return rel === "" ? "." : rel.startsWith("..") ? path : rel;
}

function formatPartition(partition: ContextPart["partition"]): string {
  const fields = DIMS.filter((d) => partition[d] !== undefined).map((d) => `${d}=${String(partition[d])}`);
  return fields.length === 0 ? "(none: the stage has one node)" : fields.join(", ");
}

function describeDisk(onDisk: OnDisk): string {
  switch (onDisk.state) {
    case "unchanged":
      return "the file on disk matches";
    case "modified":
      return `the file on disk differs (now ${onDisk.digest}, ${String(onDisk.size)} bytes): modified outside cmbflow`;
    case "missing":
      return "the file is no longer on disk";
    default:
      return assertNever(onDisk);
  }
}

function describeWriter(writer: InputWriter | undefined): string {
  if (writer === undefined) return "run unknown (no record of these files is kept)";
  return `run ${writer.record.runId}${writer.current ? "" : " (the node has re-run since)"}`;
}

/** What `cmbflow provenance` prints for a traced file (the report shows the same). */
export function renderProvenanceText(p: FileProvenance, limits: TreeLimits, io: CliIo): string {
  const lines: string[] = [p.path];
  const field = (label: string, text: string): void => {
    lines.push(`  ${label.padEnd(11)} ${text}`);
  };
  const detail = (text: string): void => {
    lines.push(`              ${text}`);
  };
  const { record, output } = p;
  field("node", record.node);
  field("run", `${record.runId} (started ${record.start}, took ${(record.durationMs / 1000).toFixed(2)} s)`);
  if (record.ranOn !== undefined) field("ran on", record.ranOn.join("; "));
  if (record.restoredBy !== undefined) field("restored", `by run ${record.restoredBy.runId} at ${record.restoredBy.at}, from the object store`);
  field("log folder", p.logDir === undefined ? `not found (no Logs/${record.runId} folder above the file)` : shownPath(p.logDir, io));
  field("content", `${output.digest}, ${String(output.size)} bytes; ${describeDisk(p.onDisk)}`);
  // Records from before usage was measured have none.
  if (record.usage !== undefined) {
    const mib = (bytes: number): string => `${(bytes / (1 << 20)).toFixed(1)} MiB`;
    field("cost", `work ${(record.usage.workMs / 1000).toFixed(2)} s in its thread; that thread's heap + external memory peaked at ${mib(record.usage.heapPeakBytes)} (+${mib(record.usage.heapGrowthBytes)} during the node)`);
  }
  const code = record.parts["code"] ?? "?";
  if (p.code === undefined) {
    field("code", `${code} (the file list is no longer stored)`);
  } else {
    const files = Object.entries(p.code.files);
    field("code", `${code}, ${String(files.length)} file${files.length === 1 ? "" : "s"}${files.length === 0 ? " (the stage has no executor)" : ""}`);
    const width = Math.max(0, ...files.map(([f]) => f.length));
    for (const [file, digest] of files) detail(`${file.padEnd(width)}  ${digest}`);
    // Records from before the runtime was part of the code part have none.
    if ("runtime" in p.code) field("runtime", `Node.js ${p.code.runtime.node}, cmbflow ${p.code.runtime.cmbflow}`);
  }
  const params = record.parts["params"] ?? "?";
  if (p.params === undefined) {
    field("parameters", `${params} (the values are no longer stored)`);
  } else {
    const reads = Object.entries(p.params.reads);
    field("parameters", `${params}${reads.length === 0 ? " (the executor read no config keys)" : ""}`);
    for (const [key, value] of reads) detail(`${key} = ${JSON.stringify(value)}`);
  }
  if (p.context === undefined) {
    field("partition", "(no longer stored)");
  } else {
    field("partition", formatPartition(p.context.partition));
    field("seed", String(p.context.seed));
  }
  renderInputs(p.inputs, "  ", limits, lines);
  return `${lines.join("\n")}\n`;
}

/** Appends the `inputs` block at `indent`: a header, then each input node with its files and its own inputs. */
function renderInputs(tree: InputsTree, indent: string, limits: TreeLimits, lines: string[]): void {
  const { fanOut } = limits;
  switch (tree.kind) {
    case "shown": {
      const total = tree.nodes.length + tree.more;
      if (total === 0) {
        lines.push(`${indent}inputs      none`);
        return;
      }
      lines.push(`${indent}inputs (${String(total)})`);
      const inner = `${indent}    `;
      for (const input of tree.nodes) {
        lines.push(`${indent}  ${input.node}, ${describeWriter(input.writer)}`);
        const files = Object.entries(input.files);
        for (const [file, digest] of files.slice(0, fanOut)) lines.push(`${inner}${file}  ${digest}`);
        if (files.length > fanOut) lines.push(`${inner}… ${String(files.length - fanOut)} more file${files.length - fanOut === 1 ? "" : "s"}`);
        if (input.inputs.kind !== "shown" || input.inputs.nodes.length + input.inputs.more > 0) renderInputs(input.inputs, inner, limits, lines);
      }
      if (tree.more > 0) lines.push(`${indent}  … ${String(tree.more)} more input${tree.more === 1 ? "" : "s"} (--max-inputs ${String(fanOut)})`);
      return;
    }
    case "depth-limit":
      lines.push(`${indent}inputs (${String(tree.count)}): not traced (--depth ${String(limits.depth)})`);
      return;
    case "shown-above":
      lines.push(`${indent}inputs: as shown above`);
      return;
    case "not-kept":
      lines.push(`${indent}inputs: not known (the record of this run is no longer kept)`);
      return;
    default:
      assertNever(tree);
  }
}

function inputsJson(tree: InputsTree): unknown {
  switch (tree.kind) {
    case "shown":
      return {
        nodes: tree.nodes.map((n) => ({
          node: n.node,
          run_id: n.writer?.record.runId ?? null,
          current: n.writer?.current ?? null,
          files: n.files,
          inputs: inputsJson(n.inputs),
        })),
        more: tree.more,
      };
    case "depth-limit":
      return { omitted: "depth-limit", count: tree.count };
    case "shown-above":
      return { omitted: "shown-above" };
    case "not-kept":
      return { omitted: "not-kept" };
    default:
      return assertNever(tree);
  }
}

/** The `--json` shape: snake_case keys like `run --json`; parts no longer stored are null. */
function toJson(p: FileProvenance): unknown {
  const { record, output } = p;
  return {
    path: p.path,
    node: record.node,
    run_id: record.runId,
    start: record.start,
    duration_ms: record.durationMs,
    usage: record.usage === undefined ? null : { work_ms: record.usage.workMs, heap_peak_bytes: record.usage.heapPeakBytes, heap_growth_bytes: record.usage.heapGrowthBytes },
    restored_by: record.restoredBy === undefined ? null : { run_id: record.restoredBy.runId, at: record.restoredBy.at },
    log_dir: p.logDir ?? null,
    digest: output.digest,
    size: output.size,
    on_disk: p.onDisk.state,
    ...(p.onDisk.state === "modified" ? { disk_digest: p.onDisk.digest } : {}),
    fingerprint: record.fingerprint,
    code: { digest: record.parts["code"] ?? null, files: p.code?.files ?? null },
    params: { digest: record.parts["params"] ?? null, reads: p.params?.reads ?? null, block: p.params?.block ?? null },
    context: { digest: record.parts["context"] ?? null, partition: p.context?.partition ?? null, seed: p.context?.seed ?? null },
    inputs: inputsJson(p.inputs),
  };
}
