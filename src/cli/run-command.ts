/**
 * `cmbflow run`: runs the stale nodes of the pipeline (fresh ones are skipped, restorable
 * ones restored from the run-cache), one writer at a time, with a log folder per run.
 */
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import type { Command } from "commander";
import pino from "pino";
import type { CacheEngine } from "../cache/engine.js";
import { CacheEngine as Engine, cacheSettings, reasonLabel } from "../cache/engine.js";
import { acquireLock, DATA_LOCK_FILE, lockFailureMessage, lockTakeoverMessage } from "../cache/lock.js";
import type { CacheDamage } from "../cache/cache-damage.js";
import { describeDamage, REPAIR_HINT } from "../cache/cache-damage.js";
import { errnoCode, fileFailureText, fsProblem } from "../cache/cache-file-error.js";
import { describeOrigin, originOf } from "../config/index.js";
import { error } from "../diagnostics/diagnostic.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { LogMaker, newRunId } from "../core/log-maker.js";
import { makeFolder } from "../core/make-folder.js";
import { moduleFileFor, PACKAGE_ROOT, parseExecutorRef } from "../core/executor-loader.js";
import { pluginFiles } from "../core/plugins.js";
import { ExecutorMemo } from "../cache/executor-memo.js";
import { hasher } from "../cache/hash.js";
import { buildStamp, checkSnapshot, snapshotKey, writeSnapshot } from "../cache/fresh-snapshot.js";
import type { PlanAction, PlannedNode, RunSummary } from "../core/pipeline-context.js";
import { planTotals } from "./plan.js";
import { PipelineContext, PrerunError } from "../core/pipeline-context.js";
import { parseStageList, selectNodes } from "../graph/selection.js";
import { sweepAxes, sweepVariants } from "../config/sweep.js";
import type { RunEvent } from "../scheduler/events.js";
import type { PipelineSource, PortableConfig } from "../backends/pipeline-source.js";
import type { CliIo } from "./io.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, exitForSignal } from "./io.js";
import type { Compiled, ConfigFlags } from "./load.js";
import { compileForCommand, configDirFor, printDiagnostics, withConfigOptions } from "./load.js";
import { ProgressDisplay } from "./progress.js";
import type { NodeRunner } from "../scheduler/node-runner.js";
import { defaultThreads } from "../backends/threads/pool-runner.js";
import { backendName, createRunner, poolRunner, slurmRunner } from "../backends/index.js";
import type { SlurmRunner } from "../backends/slurm/slurm-runner.js";
import { assertNever, ok } from "../diagnostics/result.js";
import type { Result } from "../diagnostics/result.js";
import { chooseKernel } from "../healpix/legendre-native.js";

interface RunFlags extends ConfigFlags {
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly force?: string[];
  readonly forceDownstream?: boolean;
  readonly forceAll?: boolean;
  readonly only?: string[];
  readonly until?: string[];
  readonly from?: string[];
  readonly sims?: string;
  readonly dryRun?: boolean;
  readonly list?: boolean;
  readonly keepGoing?: boolean;
  readonly jobs?: string;
  readonly nodeTimeout?: string;
  readonly workerMemory?: string;
  readonly grace?: string;
  readonly multirun?: boolean;
  readonly failFast?: boolean;
  readonly backend?: string;
  readonly retries?: string;
  /** Not an option: a sweep's hook for each variant's counts (called once the run has them). */
  readonly onTotals?: (totals: RunTotals) => void;
}

/** A run's node counts, summed over its stages. */
export interface RunTotals {
  readonly ran: number;
  readonly fresh: number;
  readonly restored: number;
  readonly failed: number;
  readonly skipped: number;
}

/** The stage of the first of `nodes` in run order, as a list for a pool's preload (empty when it names no executor). */
function firstStage(compiled: Compiled, nodes: ReadonlySet<number>): string[] {
  let first = Number.POSITIVE_INFINITY;
  for (const n of nodes) if (n < first) first = n;
  const graph = compiled.pipeline.nodes;
  const stage = Number.isFinite(first) ? graph.stages[graph.stageIndex[first] ?? -1]?.stage : undefined;
  return stage !== undefined && compiled.pipeline.stageGraph.stages.get(stage.name)?.executor != null ? [stage.name] : [];
}

/** The numeric run options, checked. */
interface RunLimits {
  readonly jobs: number;
  readonly nodeTimeoutMs?: number;
  readonly workerMemoryMb?: number;
  readonly graceMs: number;
}

/** Parses -j, --node-timeout, --worker-memory and --grace; a message naming the flag and value at fault. */
export function parseLimits(flags: RunFlags): { ok: true; value: RunLimits } | { ok: false; error: string } {
  const number = (flag: string, raw: string | undefined, integer: boolean): number | string | undefined => {
    if (raw === undefined) return undefined;
    const value = Number(raw);
    // Plain decimal digits only: Number() would also take " 2", "0x2", "1e1" and "0b10".
    const decimal = integer ? /^\d+$/ : /^(?:\d+(?:\.\d*)?|\.\d+)$/;
    if (!decimal.test(raw) || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      return `${flag} must be a positive ${integer ? "integer" : "number"}, not "${raw}"`;
    }
    return value;
  };
  const jobs = number("--jobs", flags.jobs, true);
  const timeout = number("--node-timeout", flags.nodeTimeout, false);
  const memory = number("--worker-memory", flags.workerMemory, true);
  const grace = number("--grace", flags.grace, false);
  for (const v of [jobs, timeout, memory, grace]) if (typeof v === "string") return { ok: false, error: v };
  if (typeof memory === "number" && memory < MIN_WORKER_MEMORY_MB) {
    // Why a floor: with a heap limit of 1 or 2 MiB, Node.js 22 and 24 abort the whole process as
    // a worker starts ("Fatal JavaScript out of memory: GC during deserialization"), where
    // Node.js 20 fails the worker; from 4 MiB on, every version fails the node instead.
    return { ok: false, error: `--worker-memory must be at least ${String(MIN_WORKER_MEMORY_MB)} (MiB), not "${flags.workerMemory ?? ""}": below that a worker thread cannot start` };
  }
  const maxJobs = MAX_JOBS_PER_CORE * defaultThreads();
  if (typeof jobs === "number" && jobs > maxJobs) {
    // Every worker is a V8 isolate with its own heap and compiled kernels; thousands of them
    // exhaust memory long before they do any work.
    return { ok: false, error: `--jobs ${String(jobs)} is more worker threads than cmbflow starts: at most ${String(MAX_JOBS_PER_CORE)} per core, ${String(maxJobs)} on this machine` };
  }
  return {
    ok: true,
    value: {
      jobs: typeof jobs === "number" ? jobs : defaultThreads(),
      ...(typeof timeout === "number" ? { nodeTimeoutMs: timeout * 1000 } : {}),
      ...(typeof memory === "number" ? { workerMemoryMb: memory } : {}),
      graceMs: (typeof grace === "number" ? grace : DEFAULT_GRACE_S) * 1000,
    },
  };
}

/** The smallest --worker-memory a worker thread starts with on every supported Node.js (see parseLimits). */
const MIN_WORKER_MEMORY_MB = 4;

/** Worker threads allowed per available core (-j): the pool is for CPU-bound stage work. */
const MAX_JOBS_PER_CORE = 4;

/** Seconds running nodes get to finish after the first Ctrl-C. */
const DEFAULT_GRACE_S = 60;

/**
 * A repeatable option's values, each kept whole: `--until a --until b,c`. Why not commander's
 * variadic `<stages...>`: it swallows every word after the flag, so overrides written after it
 * (`--until make_cmb scenario.lmax=20`) were taken as stage names.
 */
export function collectValues(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}

/**
 * The run's arguments split into config overrides and stage targets. Every override form has
 * an "=" (key=value, +key=value, ++key=value, group=option) or starts with "~" (delete); a bare
 * word is a stage to run, as in `dvc repro STAGE`.
 */
export function splitTargets(words: readonly string[]): { overrides: string[]; targets: string[] } {
  const overrides: string[] = [];
  const targets: string[] = [];
  for (const word of words) (word.includes("=") || word.startsWith("~") ? overrides : targets).push(word);
  return { overrides, targets };
}

/** Registers `run` on the program. */
export function runCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  const command = program
    .command("run")
    .description("run the stale nodes of the pipeline")
    .option("--force <stages>", "run these stages' nodes even when fresh (comma-separated or repeated)", collectValues)
    .option("--force-downstream", "with --force, also every node that depends on a forced one")
    .option("--force-all", "run every node")
    .option("--only <stages>", "only these stages (not their upstream; comma-separated or repeated)", collectValues)
    .option("--until <stages>", "these stages and their ancestors (comma-separated or repeated; also STAGE... as arguments)", collectValues)
    .option("--from <stages>", "these stages and their descendants (comma-separated or repeated)", collectValues)
    .option("--sims <list>", "only these simulations, e.g. Train:0-9,Test:3")
    .option("-n, --dry-run", "print what would run, be restored or may run, and why; write nothing")
    .option("--list", "with --dry-run, list every node that is not fresh, with what will happen to it and why")
    .option("-k, --keep-going", "after a failure, go on with every node that does not depend on it")
    .option("-j, --jobs <n>", "worker threads (default: the available cores; at most 4 per core)")
    .option("--node-timeout <seconds>", "fail a node that runs longer than this (its worker is replaced)")
    .option("--worker-memory <MiB>", "JavaScript heap limit of each worker thread, at least 4 (typed-array data such as maps is outside it); a node passing it fails")
    .option("--backend <name>", "where nodes run: threads (default), inline (this thread) or slurm (array jobs; see the slurm: config block)")
    .option("--retries <n>", "with --backend slurm, resubmit a node whose Slurm task failed (not one whose stage threw) up to n times")
    .option("--grace <seconds>", `after Ctrl-C, how long running nodes may take to finish (default ${String(DEFAULT_GRACE_S)})`)
    .option("--json", "print a JSON summary on stdout")
    .option("-q, --quiet", "print only errors and the final line")
    .option("-m, --multirun", "a sweep: run every combination of the overrides' values (a,b,c  range(1,4)  glob(nside*)), one cache for all")
    .option("--fail-fast", "with -m, stop the sweep at the first variant that fails")
    .addHelpText(
      "after",
      `
Stage names among the arguments (words without "=") are targets, as with --until: the
stages and everything they need. Overrides and targets may come in any order.

Examples:
  cmbflow run                                 the default pipeline (splits 3-3, nside 64)
  cmbflow run make_obs scenario=nside16       make_obs and what it needs, at nside 16
  cmbflow run splits=10-10 scenario=nside256  more and larger maps: only what changed runs
  cmbflow run --force make_noise --force-downstream
  cmbflow run --until make_obs --sims Train:0-1
  cmbflow run --dry-run                       the plan, with reasons
  cmbflow run --dry-run --list                every node that is not fresh, one a line
  cmbflow run --config-name tutorial          CMB-ML's tutorial pipeline
  cmbflow run -m scenario=nside16,nside64 splits=1-1  two variants, one after another`,
    );
  withConfigOptions(command).action(async (overrides: string[], flags: RunFlags) => {
    done(flags.multirun === true ? await runSweep(overrides, flags, io) : await run(overrides, flags, io));
  });
}

/**
 * One diagnostic, at the first stage's name in the pipeline YAML, for the stages a run would run
 * that name no executor (CMB-ML's stage files name none); undefined when every one has one.
 */
export function missingExecutors(compiled: Compiled, nodes: ReadonlySet<number> | undefined): Diagnostic | undefined {
  const selected = (first: number, count: number): boolean => {
    if (nodes === undefined) return count > 0;
    for (let n = first; n < first + count; n++) if (nodes.has(n)) return true;
    return false;
  };
  const lacking = compiled.pipeline.nodes.stages.filter((s) => s.stage.executor === null && selected(s.first, s.count)).map((s) => s.stage.name);
  const first = lacking[0];
  if (first === undefined) return undefined;
  const origin = originOf(compiled.config, ["pipeline", first]);
  const at = origin?.kind === "file" ? (origin.keyLocation ?? origin.location) : undefined;
  const which = lacking.length === 1 ? `stage "${first}" has no executor` : `${String(lacking.length)} stages have no executor: ${lacking.join(", ")}`;
  return error(`${which}; nothing was run`, at, [
    "bind executors without editing the pipeline: an executors: mapping (stage: module#Export) in a config file or group, e.g. +executors=NAME",
    "or add executor: module#Export to the stage's block",
  ]);
}

/**
 * Builds the pipeline context with every stage's executor, printing problems; undefined on
 * failure. Stages that name no executor are left out when `skipUnbound` (the reading commands
 * describe them without code). With a memo, a stage whose executor code and configuration are unchanged since
 * it was last constructed is described from the memo instead of loaded (see
 * cache/executor-memo.ts); the stages constructed here are remembered in it.
 */
export async function prepareContext(compiled: Compiled, io: CliIo, memo?: ExecutorMemo, skipUnbound = false): Promise<PipelineContext | undefined> {
  const context = new PipelineContext(compiled.config, compiled.pipeline, compiled.projectDir, io.cwd);
  const keys = new Map<string, string>();
  const toLoad: string[] = [];
  const h = memo === undefined ? undefined : await hasher();
  const configDigest = h === undefined ? "" : ExecutorMemo.configDigest(h, compiled.config.resolved);
  for (const name of compiled.pipeline.stageGraph.order) {
    const ref = compiled.pipeline.stageGraph.stages.get(name)?.executor ?? null;
    if (ref === null && skipUnbound) continue;
    const parsed = ref === null ? undefined : parseExecutorRef(ref, compiled.projectDir);
    if (h !== undefined && ref !== null && parsed?.ok === true) {
      try {
        keys.set(name, ExecutorMemo.key(h, name, { ref, module: moduleFileFor(parsed.value.module), projectDir: compiled.projectDir, packageRoot: PACKAGE_ROOT }, configDigest));
      } catch {
        // The module is missing or unreadable: loading it reports why.
      }
    }
    const known = keys.has(name) ? memo?.get(keys.get(name) ?? "") : undefined;
    if (known === undefined) toLoad.push(name);
    else context.describePipe(name, known);
  }
  const added = await context.addPipesFromConfig(toLoad);
  if (!added.ok) {
    for (const problem of added.error) io.stderr(`error: ${problem}\n`);
    return undefined;
  }
  try {
    context.prerunPipeline();
  } catch (caught) {
    if (!(caught instanceof PrerunError)) throw caught;
    for (const problem of caught.problems) io.stderr(`error: ${problem}\n`);
    io.stderr(`${String(caught.problems.length)} problem${caught.problems.length === 1 ? "" : "s"} found before running; nothing was run\n`);
    return undefined;
  }
  if (memo !== undefined) {
    for (const [stage, descriptor] of context.descriptors()) {
      const key = keys.get(stage);
      if (key !== undefined) memo.set(key, descriptor);
    }
  }
  return context;
}

/**
 * The loaded configuration as workers receive it. The values left unresolved travel with it (the
 * worker spreads what it is given into its own configuration), so an executor reading one while
 * it works fails in a worker thread as it does in the main thread, instead of reading null.
 */
function portableConfig(compiled: Compiled): PortableConfig {
  const { raw, resolved, overrides, choices, unresolved } = compiled.config;
  const portable = { raw, resolved, overrides, choices, unresolved: unresolved ?? [] };
  return portable;
}

/** Where the pipeline comes from, as plain data, for workers on threads or Slurm nodes. */
function sourceFor(compiled: Compiled, flags: RunFlags, overrides: readonly string[], io: CliIo): PipelineSource {
  return {
    configDir: configDirFor(flags, io).dir,
    configName: flags.configName,
    overrides,
    projectDir: compiled.projectDir,
    workDir: io.cwd,
    env: io.env,
    config: portableConfig(compiled),
  };
}

/**
 * `--dry-run --backend slurm`: the batch script each stage's array job would be submitted
 * with (RUN_ID and the submission folder are filled in at submission; a reduction also
 * submits one unit per simulation it must scan).
 */
async function printSbatchScripts(plan: readonly PlannedNode[], runner: SlurmRunner, dir: string, io: CliIo): Promise<void> {
  const counts = new Map<string, number>();
  for (const p of plan) if (p.action === "run" || p.action === "may-run") counts.set(p.stage, (counts.get(p.stage) ?? 0) + 1);
  if (counts.size === 0) {
    io.stdout("slurm: nothing to submit\n");
    return;
  }
  for (const [seq, [stage, nodes]] of [...counts].entries()) {
    const sub = join(dir, `${String(seq + 1).padStart(4, "0")}-${stage}`);
    const tasks = await runner.tasksFor(stage, nodes);
    io.stdout(`\n# ---- sbatch script for stage ${stage}: ${String(nodes)} node(s) in ${String(tasks)} array task(s) ----\n`);
    io.stdout(runner.scriptFor(stage, tasks, join(sub, "manifest.bin"), join(sub, "logs", "%A_%a.log"), `${String(nodes)} nodes of stage ${stage}`));
  }
  // Which nodes travel with their upstream is decided as nodes become ready, so a dry run cannot
  // list the jobs exactly; it says how a run departs from one script per stage.
  if (counts.size > 1) {
    io.stdout(
      "\n# ---- a run may submit fewer jobs than the scripts above: a node whose dependencies are handed to Slurm\n" +
        "# ---- goes with them (a simulation's chain of stages in one array task, or a job submitted with\n" +
        "# ---- --dependency=afterany on its upstream's), with its own stage's resources where they differ\n",
    );
  }
}

/** The project's cache folder. */
export function cacheDirFor(io: CliIo): string {
  return resolve(io.cwd, "cache");
}

/**
 * Ctrl-C and SIGTERM while a run holds the cache lock. The first stops scheduling and lets
 * running nodes finish within the grace period; a second one, or the end of the grace
 * period, stops them at once. Installed from the moment the lock is taken until it is
 * released, so a signal while the run starts or closes its stores does not kill the process
 * half-way (the default action) but ends the run the same way.
 */
class Interrupts {
  readonly #controller = new AbortController();
  readonly #graceMs: number;
  #stoppedBy: "SIGINT" | "SIGTERM" = "SIGINT";
  #graceTimer: NodeJS.Timeout | undefined;
  #terminate: (() => void) | undefined;
  #say: (text: string) => void;
  #closing = false;
  readonly #onSignal = (signal: "SIGINT" | "SIGTERM"): void => {
    if (this.#closing) {
      if (this.#controller.signal.aborted) process.exit(exitForSignal(signal));
      this.#stoppedBy = signal;
      this.#controller.abort();
      this.#say(`\n${signal}: the run is writing its records; ${signal === "SIGINT" ? "Ctrl-C" : "a signal"} again quits at once (the next run takes the lock over)\n`);
      return;
    }
    if (!this.#controller.signal.aborted) {
      this.#stoppedBy = signal;
      this.#say(`\n${signal}: stopping; running nodes may finish within ${String(this.#graceMs / 1000)} s (Ctrl-C again stops them now)\n`);
      this.#controller.abort();
      this.#graceTimer = setTimeout(() => this.#terminate?.(), this.#graceMs);
      this.#graceTimer.unref();
      return;
    }
    this.#say(`${signal}: stopping running nodes now\n`);
    this.#terminate?.();
  };

  constructor(graceMs: number, say: (text: string) => void) {
    this.#graceMs = graceMs;
    this.#say = say;
    process.on("SIGINT", this.#onSignal);
    process.on("SIGTERM", this.#onSignal);
  }

  /** Aborted at the first signal. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get stoppedBy(): "SIGINT" | "SIGTERM" {
    return this.#stoppedBy;
  }

  /** What stops running nodes at once, and where messages go (the live display, once it is up). */
  attach(terminate: () => void, say: (text: string) => void): void {
    this.#terminate = terminate;
    this.#say = say;
  }

  /** Running nodes are done: messages go back to plain stderr, and the run closes its stores. */
  detach(say: (text: string) => void): void {
    clearTimeout(this.#graceTimer);
    this.#terminate = undefined;
    this.#say = say;
    this.#closing = true;
  }

  uninstall(): void {
    clearTimeout(this.#graceTimer);
    process.off("SIGINT", this.#onSignal);
    process.off("SIGTERM", this.#onSignal);
  }
}

/**
 * A sweep's variants (each the words for one command: its overrides and the stage targets)
 * and their labels (the swept values); undefined, with the error printed, for a bad sweep.
 */
export function expandSweep(words: readonly string[], flags: ConfigFlags, io: CliIo): { variants: string[][]; labels: string[] } | undefined {
  const { overrides, targets } = splitTargets(words);
  const axes = sweepAxes(overrides, configDirFor(flags, io).dir);
  if (!axes.ok) {
    io.stderr(`error: ${axes.error}\n`);
    return undefined;
  }
  const variants = sweepVariants(axes.value);
  const swept = axes.value.map((a) => a.values.length > 1);
  return {
    variants: variants.map((v) => [...v, ...targets]),
    labels: variants.map((v) => v.filter((_, k) => swept[k] === true).join(" ") || "(one variant)"),
  };
}

/**
 * `status -m`, `dag -m`: the command once per variant of the sweep, each under a header line
 * naming the variant; the first exit code that is not 0 (0 when all are).
 */
export async function eachVariant(words: readonly string[], flags: ConfigFlags, io: CliIo, command: (words: readonly string[]) => Promise<number>): Promise<number> {
  const sweep = expandSweep(words, flags, io);
  if (sweep === undefined) return EXIT_USAGE;
  let first = EXIT_OK;
  for (const [i, variant] of sweep.variants.entries()) {
    io.stdout(`${i === 0 ? "" : "\n"}== [${String(i + 1)}/${String(sweep.variants.length)}] ${sweep.labels[i] ?? ""}\n`);
    const code = await command(variant);
    if (first === EXIT_OK) first = code;
  }
  return first;
}

/**
 * `run -m`: every variant of the sweep, one after another, each a whole run with its own
 * lock taken on the one cache (so nodes equal across variants run once, and each variant
 * writes where its configuration says), then a table of what each did. A failing variant does
 * not stop the others unless --fail-fast; an interrupt stops the sweep.
 */
async function runSweep(words: readonly string[], flags: RunFlags, io: CliIo): Promise<number> {
  const sweep = expandSweep(words, flags, io);
  if (sweep === undefined) return EXIT_USAGE;
  const { variants, labels } = sweep;
  const rows: { label: string; code: number | undefined; totals: RunTotals | undefined }[] = labels.map((label) => ({ label, code: undefined, totals: undefined }));
  for (const [i, variant] of variants.entries()) {
    const row = rows[i];
    if (row === undefined) continue;
    io.stderr(`[${String(i + 1)}/${String(variants.length)}] ${row.label}\n`);
    row.code = await run(variant, { ...flags, json: false, onTotals: (totals) => (row.totals = totals) }, io);
    // 128 + signal: the user stopped the run; the sweep stops with it.
    if (row.code >= 128 || (row.code !== EXIT_OK && flags.failFast === true)) break;
  }
  if (flags.json === true) {
    const out = rows.map((r) => ({ variant: r.label, exit_code: r.code ?? null, totals: r.totals ?? null }));
    io.stdout(`${JSON.stringify({ variants: out }, null, 2)}\n`);
  } else {
    const width = Math.max(7, ...rows.map((r) => r.label.length));
    const cell = (n: number | undefined): string => (n === undefined ? "—" : String(n)).padStart(8);
    io.stderr(`sweep of ${String(variants.length)} variant${variants.length === 1 ? "" : "s"}:\n`);
    io.stderr(`  ${"variant".padEnd(width)} ${["ran", "fresh", "restored", "failed"].map((h) => h.padStart(8)).join("")}  outcome\n`);
    for (const r of rows) {
      const outcome = r.code === undefined ? "not run" : r.code === EXIT_OK ? "ok" : r.totals === undefined ? `error (exit ${String(r.code)})` : `failed (exit ${String(r.code)})`;
      io.stderr(`  ${r.label.padEnd(width)} ${cell(r.totals?.ran)}${cell(r.totals?.fresh)}${cell(r.totals?.restored)}${cell(r.totals?.failed)}  ${outcome}\n`);
    }
  }
  return rows.find((r) => r.code !== undefined && r.code !== EXIT_OK)?.code ?? EXIT_OK;
}

async function run(overrides: readonly string[], flags: RunFlags, io: CliIo): Promise<number> {
  if (flags.failFast === true && flags.multirun !== true) {
    io.stderr("error: --fail-fast goes with -m (--multirun)\n");
    return EXIT_USAGE;
  }
  // A kernel setting that cannot be honoured stops the run before any node fails on it.
  const kernel = chooseKernel(io.env);
  if (!kernel.ok) {
    io.stderr(`error: ${kernel.message}\n`);
    return EXIT_USAGE;
  }
  try {
    return await runChecked(overrides, flags, io);
  } catch (caught) {
    // A failure on cmbflow's own files (a full disk, a damaged cache that cannot be moved
    // aside): one line naming the file, never a stack trace. Anything else is a bug and keeps its stack.
    const text = fileFailureText(caught);
    if (text === undefined) throw caught;
    io.stderr(`error: ${text}\n`);
    return EXIT_FAILED;
  }
}

/** Reports damaged cache entries once per run, with the way out. */
function reportDamage(damage: readonly CacheDamage[], io: CliIo): void {
  if (damage.length === 0) return;
  const show = (path: string): string => (relative(io.cwd, path).startsWith("..") ? path : relative(io.cwd, path));
  const moved = damage.some((d) => d.movedTo !== undefined || d.copiedTo !== undefined);
  io.stderr(`warning: the cache is damaged${moved ? "; the damaged entries were put aside and what they held is recomputed" : ""}:\n`);
  for (const d of damage) io.stderr(`  ${describeDamage(d, show)}\n`);
  io.stderr(`  to check the rest of the cache: ${REPAIR_HINT}\n`);
}

async function runChecked(words: readonly string[], given: RunFlags, io: CliIo): Promise<number> {
  const { overrides, targets } = splitTargets(words);
  const compiled = await compileForCommand(overrides, given, io);
  if (compiled === undefined) return EXIT_USAGE;
  let flags = given;
  if (targets.length > 0) {
    const named = parseStageList(targets, compiled.pipeline, "run");
    if (!named.ok) {
      io.stderr(`error: ${named.error}; a word without "=" is a stage to run (an override is written key=value)\n`);
      return EXIT_USAGE;
    }
    flags = { ...given, until: [...(given.until ?? []), ...named.value] };
  }
  const selection = selectNodes(compiled.pipeline, flags);
  if (!selection.ok) {
    io.stderr(`error: ${selection.error}\n`);
    return EXIT_USAGE;
  }
  const unbound = missingExecutors(compiled, selection.value.nodes);
  if (unbound !== undefined) {
    printDiagnostics([unbound], io);
    return EXIT_USAGE;
  }
  if (flags.list === true && flags.dryRun !== true) {
    io.stderr("error: --list goes with --dry-run: it lists what a run would do\n");
    return EXIT_USAGE;
  }
  const limits = parseLimits(flags);
  if (!limits.ok) {
    io.stderr(`error: ${limits.error}\n`);
    return EXIT_USAGE;
  }
  const backend = backendName(flags.backend, compiled.config.resolved["backend"]);
  if (!backend.ok) {
    io.stderr(`error: ${backend.error}\n`);
    return EXIT_USAGE;
  }
  const retries = flags.retries === undefined ? undefined : /^\d+$/.test(flags.retries) ? Number(flags.retries) : Number.NaN;
  if (retries !== undefined && Number.isNaN(retries)) {
    io.stderr(`error: --retries must be a whole number (0 or more), not "${flags.retries ?? ""}"\n`);
    return EXIT_USAGE;
  }
  if (retries !== undefined && backend.value !== "slurm") {
    io.stderr(`error: --retries goes with --backend slurm: it resubmits nodes whose Slurm task failed\n`);
    return EXIT_USAGE;
  }
  const settings = cacheSettings(compiled.config.resolved);
  const cacheDir = cacheDirFor(io);

  if (flags.dryRun === true) {
    // missingExecutors() has refused the selection if a stage in it has none; the others are not needed.
    const context = await prepareContext(compiled, io, await ExecutorMemo.open(cacheDir), true);
    if (context === undefined) return EXIT_USAGE;
    const engine = await Engine.open({ cacheDir, workDir: io.cwd, mode: "read", settings });
    try {
      const plan = await context.planPipeline(engine, { ...(selection.value.nodes === undefined ? {} : { nodes: selection.value.nodes }), forced: selection.value.forced });
      printPlan(plan, flags.json === true, flags.list === true, io);
      if (backend.value === "slurm") {
        const slurm = slurmRunner({ source: sourceFor(compiled, flags, overrides, io), context, runId: "RUN_ID", cacheDir });
        if (!slurm.ok) {
          io.stderr(`error: ${slurm.error}\n`);
          return EXIT_USAGE;
        }
        await printSbatchScripts(plan, slurm.value, join(cacheDir, "slurm", "RUN_ID"), io);
      }
    } finally {
      await engine.close();
    }
    return EXIT_OK;
  }

  // Loading the executors (a project's TypeScript is compiled off the main thread) overlaps
  // starting the early pool's threads.
  const memo = await ExecutorMemo.open(cacheDir);
  const preparing = prepareContext(compiled, io, memo, true);
  const pool = {
    source: sourceFor(compiled, flags, overrides, io),
    keepGoing: flags.keepGoing === true,
    threads: limits.value.jobs,
    ...(limits.value.nodeTimeoutMs === undefined ? {} : { nodeTimeoutMs: limits.value.nodeTimeoutMs }),
    ...(limits.value.workerMemoryMb === undefined ? {} : { workerMemoryMb: limits.value.workerMemoryMb }),
  };
  // Forced nodes are sure to run: the worker threads start now, so that their start-up (about
  // half a second each here) overlaps this thread preparing the executors and judging the
  // nodes. Other runs start them once a node turns out stale (a no-op run starts none).
  // Each thread also loads the executor of the stage that runs first, so its first node does not.
  const early = backend.value === "threads" && selection.value.forced.size > 0 ? poolRunner({ ...pool, preload: firstStage(compiled, selection.value.forced) }) : undefined;
  early?.warm();
  // The executors load and are constructed on this thread: that is the project's code. Until
  // they are in, no signal handler is installed, so a signal has its default action and ends the
  // process on the spot. A handler could not run while a stage module or constructor spins, and
  // would only keep Ctrl-C from ending such a run; nothing is held or written yet.
  const context = await preparing.catch(async (caught: unknown) => {
    await early?.terminate();
    throw caught;
  });
  if (context === undefined) {
    await early?.terminate();
    return EXIT_USAGE;
  }
  // Installed before the lock is taken, so no moment of holding it is left to the default
  // action of a signal.
  const interrupts = new Interrupts(limits.value.graceMs, io.stderr);
  const lock = await acquireLock(cacheDir);
  if (!lock.ok) {
    interrupts.uninstall();
    await early?.terminate();
    io.stderr(`error: ${lockFailureMessage(lock.error)}\n`);
    return EXIT_FAILED;
  }
  if (lock.value.tookOverFrom !== undefined) io.stderr(`note: ${lockTakeoverMessage(lock.value.tookOverFrom)}\n`);
  let engine: CacheEngine | undefined;
  // Once the early pool is the run's runner, the run closes it; before that, an early exit must.
  let handedOver = false;
  let snapshot: { key: string; outputs?: { paths: string[]; stamps: string[] } } | undefined;
  const h = await hasher();
  try {
    // Why the stores are opened only after the executors are in: a run of the whole pipeline
    // first tries its freshness snapshot, keyed by the stages' code and parameters, which needs
    // no store at all when it holds.
    if (selection.value.nodes === undefined && selection.value.forced.size === 0 && settings.enabled) {
      snapshot = { key: snapshotKey(h, { ...context.snapshotKeyParts(h), workDir: io.cwd, build: buildStamp(h, PACKAGE_ROOT) }) };
    }
    // Called once the dataset folder's lock is held too, as judging is: no other project's run
    // can then be writing the outputs whose stamps the snapshot checks.
    const openStores = async (): Promise<CacheEngine | undefined> => {
      if (snapshot !== undefined) {
        // A recorded path is relative to the work folder; when the process runs there, it is
        // stat-ed as it is (the kernel walks fewer folders than for the absolute path).
        const here = process.cwd() === resolve(io.cwd);
        const workPrefix = `${resolve(io.cwd)}${sep}`;
        const check = await checkSnapshot(h, cacheDir, snapshot.key, (p) => (isAbsolute(p) || here ? p : workPrefix + p));
        if (check.taken) return undefined;
      }
      const opened = await Engine.open({ cacheDir, workDir: io.cwd, mode: "write", settings });
      engine = opened;
      reportDamage(opened.damage, io);
      return opened;
    };
    const runId = newRunId();
    const made: Result<NodeRunner, string> =
      early !== undefined
        ? ok(early)
        : createRunner(backend.value, {
            ...pool,
            context,
            hasher: h,
            runId,
            cacheDir,
            ...(retries === undefined ? {} : { retries }),
            onNote: (text) => io.stderr(`note: ${text}\n`),
          });
    if (!made.ok) {
      io.stderr(`error: ${made.error}\n`);
      return EXIT_USAGE;
    }
    const runner = made.value;
    handedOver = true;
    // Only when some node is sure to run (a run where every node is fresh starts no thread):
    // the threads start while this thread judges the nodes (already started, for threads).
    if (selection.value.forced.size > 0) runner.warm?.();
    // Only a memo, and the stores that quarantine a damaged one (a folder as executors.json)
    // open later: a failure to write it must not change the run's outcome.
    await memo.save().catch(() => undefined);
    try {
      const code = await runWithLog(compiled, context, openStores, runner, selection.value, flags, interrupts, io, runId, (outputs) => {
        if (snapshot !== undefined) snapshot.outputs = outputs;
      });
      return code;
    } finally {
      await runner.close();
      // Again, for the import lists of the handler modules, read while planning. Only a
      // memo: failing to write it must not change the run's outcome.
      await memo.save().catch(() => undefined);
    }
  } finally {
    // Why nested: closing the stores can fail (a full disk while saving the digest memo, the
    // state folder removed during the run), and the lock must be released all the same.
    try {
      await engine?.close();
      // After the stores are closed (the state files' stamps are final), before the lock goes.
      // Only a shortcut for the next run: failing to write it changes nothing of this one.
      if (engine !== undefined && snapshot?.outputs !== undefined) await writeSnapshot(h, cacheDir, snapshot.key, snapshot.outputs).catch(() => undefined);
    } finally {
      if (!handedOver) await early?.terminate();
      await lock.value.release();
      interrupts.uninstall();
    }
  }
}

async function runWithLog(
  compiled: Compiled,
  context: PipelineContext,
  openStores: () => Promise<CacheEngine | undefined>,
  runner: NodeRunner,
  selection: { nodes: ReadonlySet<number> | undefined; forced: ReadonlySet<number> },
  flags: RunFlags,
  interrupts: Interrupts,
  io: CliIo,
  runId: string,
  onAllFresh: (outputs: { paths: string[]; stamps: string[] }) => void,
): Promise<number> {
  const base = context.namer.context;
  const datasetDir = resolve(io.cwd, String(base["root"]), String(base["dataset"]));
  // Checked before anything is written: a data root that cannot hold folders is a
  // configuration error, named with where the root was set.
  const made = makeFolder(datasetDir);
  if (!made.ok) {
    const origin = describeOrigin(originOf(compiled.config, ["local_system", "datasets_root"]), io.cwd);
    io.stderr(`error: the dataset folder cannot be made: ${made.error} (local_system.datasets_root is ${String(base["root"])}, set at ${origin})\n`);
    return EXIT_USAGE;
  }
  // The cache lock covers only this project's cache/: another project (its own cache) may
  // have the same data root, and two runs writing one dataset folder would pair one run's
  // records with the other's bytes.
  const dataLock = await acquireLock(datasetDir, { file: DATA_LOCK_FILE, project: io.cwd });
  if (!dataLock.ok) {
    io.stderr(`error: ${lockFailureMessage(dataLock.error, "data-folder")}\n`);
    return EXIT_FAILED;
  }
  if (dataLock.value.tookOverFrom !== undefined) io.stderr(`note: ${lockTakeoverMessage(dataLock.value.tookOverFrom, "data-folder")}\n`);
  try {
    // Undefined: the freshness snapshot held, every node is fresh (see runChecked).
    const engine = await openStores();
    return await runInDataset(compiled, context, engine, runner, selection, flags, interrupts, io, datasetDir, runId, onAllFresh);
  } finally {
    await dataLock.value.release();
  }
}

/** The run proper, holding the cache lock and the dataset folder's lock: log folder, schedule, summary. */
async function runInDataset(
  compiled: Compiled,
  context: PipelineContext,
  engine: CacheEngine | undefined,
  runner: NodeRunner,
  selection: { nodes: ReadonlySet<number> | undefined; forced: ReadonlySet<number> },
  flags: RunFlags,
  interrupts: Interrupts,
  io: CliIo,
  datasetDir: string,
  runId: string,
  onAllFresh: (outputs: { paths: string[]; stamps: string[] }) => void,
): Promise<number> {
  const stages = compiled.pipeline.stageGraph.order.map((name) => compiled.pipeline.stageGraph.stages.get(name));
  const codeEntries = stages.flatMap((s) => {
    if (s?.executor === undefined || s.executor === null) return [];
    const ref = parseExecutorRef(s.executor, compiled.projectDir);
    // The source module: for built-in stages that is cmbflow's src/, not its compiled dist/ copy.
    return ref.ok ? [ref.value.module] : [];
  });
  // The plugins' handlers run too: their code is snapshot with the stages'.
  codeEntries.push(...(pluginFiles(compiled.config, compiled.projectDir) ?? []));
  const logMaker = new LogMaker({ config: compiled.config, datasetDir, projectDir: compiled.projectDir, runId, codeEntries });
  try {
    await logMaker.start();
  } catch (caught) {
    const problem = fsProblem(caught);
    if (problem === undefined) throw caught;
    // Nothing has run yet: the write error itself often carries no path, so the run folder is named here.
    io.stderr(`error: the run folder ${logMaker.runDir} could not be written: ${problem}\n`);
    return EXIT_FAILED;
  }
  const logger = pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: logMaker.logFile, sync: true }));
  const print = flags.json !== true && flags.quiet !== true;
  const shown = (path: string): string => (relative(io.cwd, path).startsWith("..") ? path : relative(io.cwd, path));
  if (print) io.stderr(`run ${runId}: log in ${shown(logMaker.runDir)}\n`);

  // On a terminal a live display; otherwise (or with --quiet / --json) plain lines.
  const live = print && io.terminal && io.frames !== undefined ? new ProgressDisplay({ sink: await io.frames(), color: io.color }) : undefined;
  const say = (text: string): void => (live === undefined ? io.stderr(text) : live.print(text, io.stderr));
  const onEvent = (event: RunEvent): void => {
    // Fresh nodes are counted in their stage's stage-finished line, not logged one by one:
    // a no-op run over 100k nodes would otherwise write 100k lines.
    if (event.type !== "node-cached") logger.info({ ...event, event: event.type, type: undefined });
    live?.onEvent(event);
    switch (event.type) {
      case "stage-finished":
        if (print && live === undefined) io.stderr(`  ${event.stage.padEnd(24)} ${describeCounts(event.counts)}  ${(event.durationMs / 1000).toFixed(2)} s\n`);
        break;
      case "node-failed":
        say(failureText(event));
        break;
      case "warning":
        if (print) say(`warning: ${event.message}\n`);
        break;
      case "node-restore-failed":
        // Said even with --quiet: a damaged cache is worth knowing about, and costs a recomputation.
        say(`warning: ${event.nodeId} is recomputed: ${event.reason}\n`);
        break;
      case "stage-log":
        if (print && event.level === "warn") say(`warning: ${event.stage}: ${event.message}\n`);
        break;
      case "run-started":
      case "stage-started":
      case "node-started":
      case "node-cached":
      case "node-restored":
      case "node-blocked":
      case "node-finished":
      case "run-finished":
        break;
      default:
        assertNever(event);
    }
  };

  interrupts.attach(() => void runner.terminate(), say);

  let summary: RunSummary;
  try {
    summary = await context.runPipeline({
      onEvent,
      // Without an engine the run took its freshness snapshot: every node is fresh.
      ...(engine === undefined ? { allFresh: true } : { engine }),
      runner,
      signal: interrupts.signal,
      runId,
      forced: selection.forced,
      keepGoing: flags.keepGoing === true,
      ...(selection.nodes === undefined ? {} : { nodes: selection.nodes }),
    });
  } finally {
    interrupts.detach(io.stderr);
    live?.finish();
    logger.flush();
  }
  // Checked before anything is reported: a run whose records vanished must not say "done".
  const recordsLost = await engine?.store.checkIntact().then(
    () => undefined,
    (caught: unknown) => {
      const text = fileFailureText(caught);
      if (text === undefined) throw caught;
      return text;
    },
  );
  try {
    await logMaker.finish({ runId, ...summary });
    for (const s of stages) {
      if (s?.makeStageLog === true) await logMaker.copyToStage(context.namer.path("{root}/{dataset}/{working}{stage}", { stage: s.dirName }));
    }
  } catch (caught) {
    const code = errnoCode(caught);
    if (code !== "ENOENT" && code !== "ENOTDIR") throw caught;
    // The data folder (and the run folder in it) was removed while the run went on.
    io.stderr(`error: the run folder ${shown(logMaker.runDir)} was removed during the run: its summary could not be written (outputs removed with it are recomputed by the next run)\n`);
    return EXIT_FAILED;
  }

  if (recordsLost !== undefined) {
    io.stderr(`error: ${recordsLost}\n`);
    return EXIT_FAILED;
  }
  const totals = { ran: 0, fresh: 0, restored: 0, failed: 0, skipped: 0 };
  for (const s of summary.stages) for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += s[k];
  if (engine !== undefined && summary.outcome === "success" && selection.nodes === undefined && totals.failed === 0 && totals.skipped === 0) {
    const outputs = context.snapshotOutputs(engine);
    if (outputs !== undefined) onAllFresh(outputs);
  }
  flags.onTotals?.(totals);
  if (flags.json === true) {
    io.stdout(
      `${JSON.stringify(
        {
          run_id: runId,
          outcome: summary.outcome,
          stages: summary.stages.map((s) => ({ name: s.name, ran: s.ran, fresh: s.fresh, restored: s.restored, failed: s.failed, skipped: s.skipped })),
          totals,
          // "snapshot": every node was found fresh by the freshness snapshot (cache/fresh-snapshot.ts), not judged one by one.
          judged_by: engine === undefined ? "snapshot" : "nodes",
          duration_s: summary.durationMs / 1000,
          log_dir: logMaker.runDir,
        },
        null,
        2,
      )}\n`,
    );
  }
  const seconds = (summary.durationMs / 1000).toFixed(2);
  if (summary.outcome === "success") {
    if (flags.json !== true) io.stderr(`done: ${describeCounts(totals)} in ${seconds} s; outputs in ${shown(datasetDir)}\n`);
    return EXIT_OK;
  }
  if (summary.outcome === "interrupted") {
    io.stderr(`interrupted: ${describeCounts(totals)} in ${seconds} s; the next run resumes with the nodes left\n`);
    return exitForSignal(interrupts.stoppedBy);
  }
  io.stderr(`failed: ${describeCounts(totals)} in ${seconds} s; log in ${shown(logMaker.runDir)}\n`);
  return EXIT_FAILED;
}

/** `9 ran, 3 fresh, 1 restored, 1 failed, 2 skipped`, leaving out zero counts after "ran". */
function describeCounts(c: { ran: number; fresh: number; restored: number; failed: number; skipped: number }): string {
  const parts = [`${String(c.ran)} ran`];
  if (c.fresh > 0) parts.push(`${String(c.fresh)} fresh`);
  if (c.restored > 0) parts.push(`${String(c.restored)} restored`);
  if (c.failed > 0) parts.push(`${String(c.failed)} failed`);
  if (c.skipped > 0) parts.push(`${String(c.skipped)} skipped`);
  return parts.join(", ");
}

/** The dry-run plan: per stage what will happen, grouped reasons, and totals; with `list`, every node that is not fresh. */
function printPlan(plan: readonly PlannedNode[], json: boolean, list: boolean, io: CliIo): void {
  const stages = new Map<string, Record<PlanAction, number> & { reasons: Map<string, number> }>();
  for (const p of plan) {
    const s = stages.get(p.stage) ?? { fresh: 0, run: 0, restore: 0, "may-run": 0, reasons: new Map<string, number>() };
    s[p.action]++;
    for (const label of new Set(p.reasons.map(reasonLabel))) s.reasons.set(label, (s.reasons.get(label) ?? 0) + 1);
    stages.set(p.stage, s);
  }
  if (json) {
    io.stdout(
      `${JSON.stringify(
        {
          stages: [...stages].map(([name, s]) => ({ name, run: s.run, restore: s.restore, may_run: s["may-run"], fresh: s.fresh, reasons: Object.fromEntries(s.reasons) })),
          nodes: plan.filter((p) => p.action !== "fresh").map((p) => ({ id: p.id, action: p.action, reasons: p.reasons.map(reasonLabel) })),
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  if (list) {
    const width = Math.max(0, ...plan.filter((p) => p.action !== "fresh").map((p) => p.id.length));
    for (const p of plan) if (p.action !== "fresh") io.stdout(`${ACTION_WORDS[p.action].padEnd(8)} ${p.id.padEnd(width)}  ${planReason(p)}\n`);
  }
  const total: Record<PlanAction, number> = { fresh: 0, run: 0, restore: 0, "may-run": 0 };
  for (const [name, s] of stages) {
    for (const action of PLAN_ACTIONS) total[action] += s[action];
    const reasons = [...s.reasons].map(([label, n]) => `${label}: ${String(n)}`).join(", ");
    io.stdout(
      `${name.padEnd(24)} run ${String(s.run).padStart(5)}  restore ${String(s.restore).padStart(5)}  may run ${String(s["may-run"]).padStart(5)}  fresh ${String(s.fresh).padStart(5)}${reasons === "" ? "" : `  (${reasons})`}\n`,
    );
  }
  io.stdout(`${planTotals(total, plan.length)} (dry run: nothing was written)\n`);
}

const PLAN_ACTIONS: readonly PlanAction[] = ["fresh", "run", "restore", "may-run"];
const ACTION_WORDS: Readonly<Record<PlanAction, string>> = { fresh: "fresh", run: "run", restore: "restore", "may-run": "may run" };

/** One line's reason for `--list`. */
function planReason(p: PlannedNode): string {
  if (p.action === "may-run") {
    const waits = p.reasons.find((r) => r.kind === "upstream-stale");
    const on = waits !== undefined && "nodes" in waits ? waits.nodes : [];
    const shown = on.slice(0, 2).join(", ") + (on.length > 2 ? ` and ${String(on.length - 2)} more` : "");
    return `waits on ${shown}, which will run (early cutoff may skip it)`;
  }
  // A node that runs for its own reasons runs whatever its upstream writes: those are its reasons.
  const own = p.reasons.filter((r) => r.kind !== "upstream-stale");
  return own.map((r) => `${reasonLabel(r)}${"path" in r ? `: ${r.path}` : ""}`).join("; ");
}

/** The failure with the stage's own stack (frames inside cmbflow's runtime, piscina and Node's internals left out). */
function failureText(event: Extract<RunEvent, { type: "node-failed" }>): string {
  const { failure } = event;
  const frames = (failure.stack ?? "")
    .split("\n")
    .slice(1)
    .filter((line) => line.trim().startsWith("at ") && !/node:internal|node_modules\/piscina\/|\/(core\/(run-node|pipeline-context)|scheduler\/[a-z-]+)\.[jt]s/.test(line));
  return `error: stage "${failure.stage}" failed at node ${failure.nodeId}: ${failure.message}\n${frames.map((frame) => `    ${frame.trim()}\n`).join("")}`;
}
