/**
 * PipelineContext (CMB-ML's): holds the executors of a pipeline, constructs and checks them
 * all before any work (`prerunPipeline`), then runs them (`runPipeline`). The CLI builds one
 * from the YAML's `executor:` keys; a TypeScript script can build one by hand:
 *
 * ```ts
 * const pipeline = (await PipelineContext.fromConfig({ configDir: "cfg" })).value; // a Result: check .ok
 * pipeline.addPipe(MakeCmbExecutor, "make_cmb");
 * await pipeline.prerunPipeline();
 * const summary = await pipeline.runPipeline();
 * ```
 */
import { dirname, resolve } from "node:path";
import type { LoadedConfig } from "../config/types.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { Result } from "../diagnostics/result.js";
import { err, ok } from "../diagnostics/result.js";
import type { CompiledPipeline } from "../graph/compile.js";
import type { Dim } from "../graph/partition.js";
import type { StageDef } from "../graph/stage-graph.js";
import type { CacheEngine, Fingerprint, StageParts, StaleReason, Verdict } from "../cache/engine.js";
import type { ExecutorDescriptor } from "../cache/executor-memo.js";
import type { Hasher } from "../cache/hash.js";
import { hasher as makeHasher } from "../cache/hash.js";
import type { NodeRunner, RanWith } from "../scheduler/node-runner.js";
import type { Judgement, NodeJudge, ScanMemo, ScheduleSummary } from "../scheduler/scheduler.js";
import type { SnapshotKeyParts } from "../cache/fresh-snapshot.js";
import type { Partition } from "../graph/partition.js";
import { schedule, scheduleAllFresh } from "../scheduler/scheduler.js";
import { InProcessRunner, WorkHost } from "./work-host.js";
import type { StagePipe } from "./stage-host.js";
import { StageHost } from "./stage-host.js";
import { reasonLabel, stagePartsOf } from "../cache/engine.js";
import type { ContextInput } from "../cache/fingerprint.js";
import type { NodeRecord } from "../cache/state-store.js";
import { recordKey } from "../cache/state-store.js";
import type { ConfigObject, ConfigValue } from "../config/types.js";
import type { EventSink, NodeFailure, RunEvent, RunOutcome, StageCounts } from "../scheduler/events.js";
import { ConfigKeyError } from "./cfg.js";
import { DeadTemporarySweeper, sweepTemporaries } from "./output-transaction.js";
import { compileHost, loadHostConfig } from "./host.js";
import type { StageEnvironment } from "./executor.js";
import type { ExecutorClass } from "./executor-loader.js";
import { PACKAGE_ROOT } from "./executor-loader.js";
import type { ContextValue } from "./namer.js";
import type { Namer } from "./namer.js";
import type { NodeRuntime } from "./run-node.js";
import { partitionContext, scanPartitions, seedFor } from "./run-node.js";
import { pluginFiles } from "./plugins.js";
import { stageCodeEntries } from "./stage-code.js";

/** Where the configuration comes from, for {@link PipelineContext.fromConfig}. */
export interface FromConfigOptions {
  readonly configDir: string;
  readonly configName?: string;
  readonly overrides?: readonly string[];
  /** Folder executor modules resolve against; default the config folder's parent. */
  readonly projectDir?: string;
  /** Folder a relative data root resolves against; default the working directory. */
  readonly workDir?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Options of a run. */
export interface RunOptions {
  /** Receives every event. */
  readonly onEvent?: EventSink;
  /** Only these nodes run (indices into the node graph); default all nodes of added stages. */
  readonly nodes?: ReadonlySet<number>;
  /** The incremental engine: with it, fresh nodes are skipped and restorable ones restored. */
  readonly engine?: CacheEngine;
  /** Nodes to run even when fresh. */
  readonly forced?: ReadonlySet<number>;
  /** Go on with every node that does not depend on a failure. */
  readonly keepGoing?: boolean;
  /** Recorded with every node. */
  readonly runId?: string;
  /** Runs the work; default this thread, one node at a time. */
  readonly runner?: NodeRunner;
  /** Aborting stops scheduling (Ctrl-C): running nodes finish, the rest are skipped. */
  readonly signal?: AbortSignal;
  /**
   * Every node is known to be fresh (the caller took a freshness snapshot: cache/fresh-snapshot.ts),
   * so each is counted fresh without an engine and without visiting the nodes
   * (scheduler `scheduleAllFresh`). Only with no `nodes`, `forced` or `engine`.
   */
  readonly allFresh?: boolean;
}

/** What a run did, per stage and in all. */
export interface RunSummary {
  readonly outcome: RunOutcome;
  readonly ran: number;
  readonly failed: readonly NodeFailure[];
  readonly durationMs: number;
  readonly stages: readonly ({ readonly name: string } & StageCounts)[];
}

/**
 * What a run will do with a node: leave it (`fresh`), `run` it, `restore` its outputs from the
 * run-cache, or — for a node that is fresh or restorable now but waits on an upstream node that
 * will run — `may-run`: it runs if that upstream node writes different bytes, and is skipped
 * (or restored) if early cutoff finds them identical.
 */
export type PlanAction = "fresh" | "run" | "restore" | "may-run";

/** One node of a plan: what a run would do with it and why. */
export interface PlannedNode {
  readonly node: number;
  readonly id: string;
  readonly stage: string;
  readonly action: PlanAction;
  /** The engine's view: `stale` for run and may-run, `restorable` for restore. */
  readonly state: "fresh" | "stale" | "restorable";
  readonly reasons: readonly StaleReason[];
  readonly fingerprint: Fingerprint;
}

/** Where a node's record is: its id, its location and the state store's key of the two. */
interface Place {
  readonly id: string;
  readonly at: string;
  readonly key: string;
}

/** Problems found before any work: every one of them, together. */
export class PrerunError extends Error {
  override readonly name = "PrerunError";
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
  }
}

/** A pipeline's executors and how to run them. */
export class PipelineContext {
  readonly config: LoadedConfig;
  readonly pipeline: CompiledPipeline;
  readonly projectDir: string;
  /** The stages' executors and environments: what a worker builds alone (stage-host.ts). */
  readonly #host: StageHost;
  readonly #seed: number;
  /** The dataset folder: where a whole-stage node whose paths cannot be formed alone writes. */
  readonly #datasetDir: string;
  /** Folders a restore may write in: the data root and the assets folder. */
  readonly #dataRoots: readonly string[];
  /** Per node index, its id, location (engine `locationOf`) and record key, made once. */
  readonly #places: (Place | undefined)[] = [];
  /** Per node index, the fingerprint digest this run judged it with (see {@link snapshotOutputs}). */
  readonly #judged: (string | undefined)[] = [];
  #prerun = false;
  readonly #partsCache = new Map<string, StageParts>();
  /** Per stage, its output templates made into functions of a partition. */
  readonly #formers = new Map<string, ((partition: Readonly<Record<string, ContextValue>>) => string | undefined)[]>();
  /** Warnings about stages' code met while fingerprinting it (imports that cannot be followed). */
  readonly #codeWarnings: { readonly stage: string; readonly message: string }[] = [];
  /** Where a run in progress sends such warnings as they are met. */
  #onCodeWarning: ((warning: { readonly stage: string; readonly message: string }) => void) | undefined;

  /**
   * @param projectDir folder executor module paths resolve against
   * @param workDir folder a relative data root resolves against
   */
  constructor(config: LoadedConfig, pipeline: CompiledPipeline, projectDir: string, workDir: string = process.cwd()) {
    this.config = config;
    this.pipeline = pipeline;
    this.projectDir = projectDir;
    this.#host = new StageHost(config, pipeline.stageGraph, projectDir, workDir);
    this.#seed = this.#host.seed;
    this.#datasetDir = this.#host.datasetDir;
    this.#dataRoots = this.#host.dataRoots;
  }

  /**
   * Loads a configuration, imports its plugins and compiles the pipeline (the same start-up
   * as the CLI's and every worker's, see core/host.ts); diagnostics when any step fails.
   */
  static async fromConfig(options: FromConfigOptions): Promise<Result<PipelineContext, Diagnostic[]>> {
    const loaded = loadHostConfig({ configDir: options.configDir, configName: options.configName ?? "config", overrides: options.overrides ?? [], ...(options.env === undefined ? {} : { env: options.env }) });
    if (!loaded.ok) return loaded;
    const projectDir = options.projectDir ?? resolve(options.configDir, "..");
    const compiled = await compileHost(loaded.value, projectDir);
    if (!compiled.ok) return compiled;
    const context = new PipelineContext(loaded.value, compiled.value, projectDir, options.workDir ?? process.cwd());
    await context.watchPlugins();
    return ok(context);
  }

  /** The Namer's base context: root, src_root, dataset, working. */
  get namer(): Namer {
    return this.#host.namer;
  }

  /** What a worker builds of this pipeline: its stages, executors and environments. */
  get stageHost(): StageHost {
    return this.#host;
  }

  /** Stage names in topological order. */
  get stageNames(): readonly string[] {
    return this.pipeline.stageGraph.order;
  }

  /** Adds a stage's executor. Throws when the stage is not in the pipeline or was added already. */
  addPipe(Executor: ExecutorClass, stage: string): this {
    this.#host.addPipe(Executor, stage);
    this.#prerun = false;
    return this;
  }

  /**
   * Adds a stage by what its executor declared when last constructed with the same code and
   * configuration (see cache/executor-memo.ts), without loading its module: fingerprints
   * and the schedule need only its work grain and the keys its constructor read. The
   * executor is loaded only if a node of the stage runs in this thread.
   */
  describePipe(stage: string, descriptor: ExecutorDescriptor): this {
    this.#host.describePipe(stage, descriptor);
    this.#prerun = false;
    return this;
  }

  /** What each constructed or described stage's executor declared: work grain and constructor reads. */
  descriptors(): ReadonlyMap<string, ExecutorDescriptor> {
    const out = new Map<string, ExecutorDescriptor>();
    for (const pipe of this.#host.pipes) {
      if (pipe.descriptor !== undefined) out.set(pipe.stage, pipe.descriptor);
      else if (pipe.kind !== undefined && pipe.cfg !== undefined) out.set(pipe.stage, { kind: pipe.kind, reads: this.#host.constructReads(pipe) });
    }
    return out;
  }

  /** Adds every stage that has an `executor:` key, loading its module; all load errors together. */
  async addPipesFromConfig(stages: readonly string[] = this.stageNames): Promise<Result<void, string[]>> {
    const problems = await this.#host.addPipesFromConfig(stages);
    this.#prerun = false;
    return problems.length === 0 ? ok(undefined) : err(problems);
  }

  /**
   * Constructs every executor (each reads its parameters; a key that does not exist fails
   * here, naming key and stage) and checks that each stage's output paths, and the input
   * paths a node can name alone, can be formed (for one node per stage: a stage's nodes all
   * have the same context keys). Throws {@link PrerunError} with all problems.
   */
  prerunPipeline(): void {
    const problems: string[] = [];
    for (const pipe of this.#host.pipes) {
      try {
        // A described pipe was constructed, with this code and configuration, by an earlier run.
        if (pipe.descriptor === undefined) this.#host.construct(pipe);
      } catch (caught) {
        problems.push(caught instanceof ConfigKeyError ? this.#host.withOrigin(caught) : caught instanceof Error ? caught.message : String(caught));
        continue;
      }
      const problem = this.#checkPaths(this.#def(pipe.stage));
      if (problem !== undefined) problems.push(problem);
    }
    if (problems.length > 0) throw new PrerunError(problems);
    this.#prerun = true;
  }

  /**
   * Runs the selected nodes of the added stages, each once its dependencies are done. With
   * an engine, a fresh node is skipped, a restorable one restored, a stale one run and
   * recorded. Stops starting nodes at the first failure unless `keepGoing`, which goes on
   * with every node that does not depend on one. Work runs on `runner` (default: this
   * thread, one node at a time).
   */
  async runPipeline(options: RunOptions = {}): Promise<RunSummary> {
    if (!this.#prerun) this.prerunPipeline();
    if (options.allFresh === true && (options.engine !== undefined || options.nodes !== undefined || (options.forced?.size ?? 0) > 0)) {
      throw new Error("Internal error: allFresh goes with no engine, no node selection and nothing forced");
    }
    const started = performance.now();
    const runner = options.runner ?? new InProcessRunner(new WorkHost(this.#host, options.engine?.hasher ?? (await makeHasher())));
    const engine = options.engine;
    const stages = this.pipeline.nodes.stages.map((s) => s.stage.name).filter((name) => this.#pipeFor(name) !== undefined);
    let summary: ScheduleSummary;
    // Before any output is written there: `cache gc` tidies only inside folders listed so.
    await engine?.addDataRoots(this.#dataRoots);
    const warn = (w: { readonly stage: string; readonly message: string }): void => options.onEvent?.({ type: "warning", stage: w.stage, message: w.message });
    for (const w of this.#codeWarnings) warn(w);
    this.#onCodeWarning = warn;
    const sweeper = new DeadTemporarySweeper();
    try {
      summary = options.allFresh === true ? scheduleAllFresh({ graph: this.pipeline.nodes, stages, onEvent: options.onEvent ?? (() => undefined), ...(options.runId === undefined ? {} : { runId: options.runId }) }) : await schedule({
        graph: this.pipeline.nodes,
        stages,
        ...(options.nodes === undefined ? {} : { selected: options.nodes }),
        ...(options.forced === undefined ? {} : { forced: options.forced }),
        runner,
        ...(engine === undefined ? {} : { judge: this.#judge(engine, options.runId ?? "", options.nodes) }),
        kindOf: (stage) => this.#pipeFor(stage)?.kind ?? "process-sim",
        scanPartitions: (n) => scanPartitions(this.#def(this.#stageOf(n)), this.pipeline.nodes.partition(n)),
        ...(engine === undefined || !engine.settings.enabled ? {} : { scans: this.#scanMemo(engine, options.nodes) }),
        outputPaths: (n) => this.#outputPaths(this.#stageOf(n), n),
        sweepDead: (paths) => sweeper.sweep(paths),
        sweepLost: (paths) => sweepTemporaries(paths),
        keepGoing: options.keepGoing === true,
        onEvent: options.onEvent ?? (() => undefined),
        ...(options.runId === undefined ? {} : { runId: options.runId }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    } finally {
      this.#onCodeWarning = undefined;
      if (options.runner === undefined) await runner.close();
    }
    const durationMs = performance.now() - started;
    options.onEvent?.({ type: "run-finished", outcome: summary.outcome, durationMs });
    return { ...summary, durationMs };
  }

  /**
   * What the key of a freshness snapshot (cache/fresh-snapshot.ts) is made of, but the build and
   * the work folder: the resolved configuration and, per added stage, its stage parts and node count.
   */
  snapshotKeyParts(hasher: Hasher): Omit<SnapshotKeyParts, "build" | "workDir"> {
    if (!this.#prerun) this.prerunPipeline();
    const config = this.#host.configDigest(hasher);
    const stages: SnapshotKeyParts["stages"][number][] = [];
    for (const s of this.pipeline.nodes.stages) {
      const pipe = this.#pipeFor(s.stage.name);
      if (pipe === undefined) continue;
      const parts = this.#stageParts(hasher, pipe);
      stages.push({ name: s.stage.name, stage: parts.stage.digest, code: parts.code.digest, params: parts.params.digest, nodes: s.count });
    }
    return { config, stages };
  }

  /**
   * After a run of every node of the added stages: each node's outputs (recorded paths) and the
   * stamps under which the digest memo trusts their recorded digests, for a freshness snapshot;
   * undefined unless every node now has a record holding the fingerprint this run judged it with
   * (not one recorded as changed during the run) and every output has such a stamp.
   */
  snapshotOutputs(engine: CacheEngine): { paths: string[]; stamps: string[] } | undefined {
    const paths: string[] = [];
    const stamps: string[] = [];
    for (const s of this.pipeline.nodes.stages) {
      if (this.#pipeFor(s.stage.name) === undefined) continue;
      for (let n = s.first; n < s.first + s.count; n++) {
        const place = this.#places[n];
        const judged = this.#judged[n];
        if (place === undefined || judged === undefined) return undefined;
        const record = engine.recordAt(place.key, place.id);
        if (record === undefined || record.fingerprint !== judged || record.changedDuringRun !== undefined) return undefined;
        for (const output of record.outputs) {
          const stamp = engine.digests.trustedStamp(engine.absolutePath(output.path), output.digest);
          if (stamp === undefined) return undefined;
          paths.push(output.path);
          stamps.push(stamp);
        }
      }
    }
    return { paths, stamps };
  }

  /** The scheduler's view of the engine: fingerprints from this pipeline's stage parts and node contexts. */
  #judge(engine: CacheEngine, runId: string, selected: ReadonlySet<number> | undefined): NodeJudge {
    interface Token {
      readonly fp: Fingerprint;
      readonly verdict: Verdict;
    }
    const tokenOf = (judgement: Judgement): Token | undefined => (judgement.fresh ? undefined : (judgement.token as Token));
    return {
      assess: (n, forced) => {
        const stage = this.#stageOf(n);
        const pipe = this.#pipeFor(stage);
        if (pipe === undefined) throw new Error(`Internal error: stage ${stage} was not added`);
        const id = this.pipeline.nodes.id(n);
        const judgeWith = (deps: readonly NodeRecord[]): Judgement | Promise<Judgement> => {
          const fp = engine.fingerprint(this.#stageParts(engine.hasher, pipe), this.#context(engine, stage, n), deps);
          this.#judged[n] = fp.digest;
          if (engine.assessNow(id, fp, forced) !== undefined) return { fresh: true };
          return engine.assess(id, fp, forced).then((verdict): Judgement => {
            if (verdict.state === "fresh") return { fresh: true };
            const token: Token = { fp, verdict };
            return { fresh: false, reasons: verdict.reasons.map(reasonLabel), restorable: verdict.state === "restorable", token };
          });
        };
        const deps = this.#dependencyRecords(engine, n, selected);
        return deps instanceof Promise ? deps.then(judgeWith) : judgeWith(deps);
      },
      restore: async (n, judgement) => {
        const token = tokenOf(judgement);
        if (token?.verdict.state !== "restorable") return { failed: "Internal error: restore asked of a node that is not restorable" };
        const { fp, verdict } = token;
        const restored = await engine.restore(verdict.from, fp, this.#dataRoots);
        if (!restored.ok) return { failed: restored.error };
        await engine.recordRestored(this.pipeline.nodes.id(n), fp, verdict.from, runId, new Date());
        return verdict.from.outputs.map((o) => engine.absolutePath(o.path));
      },
      record: async (n, judgement, outputs, ranWith, startedAt, durationMs, usage) => {
        const fp = tokenOf(judgement)?.fp;
        const id = this.pipeline.nodes.id(n);
        if (fp === undefined) throw new Error(`Internal error: node ${id} has no fingerprint`);
        // Why check now, after the node finished: its fingerprint was taken from what the main
        // thread read before the node started; an edit since (before the worker loaded the code
        // or the node read its inputs) means the outputs were made from something else.
        const changes = [...this.#changedSinceJudged(fp.values.code.files, ranWith, engine.hasher), ...readOther(fp, ranWith, engine), ...(await engine.changedInputs(fp))];
        if (changes.length > 0) {
          await engine.recordChangedDuringRun(id, changes, runId, startedAt, durationMs, usage);
          return { recorded: false, changes };
        }
        const ranOn = [...new Set(ranWith.flatMap((r) => (r.where === undefined ? [] : [r.where])))];
        await engine.recordWritten(id, fp, outputs, runId, startedAt, durationMs, ranOn, usage);
        return { recorded: true };
      },
    };
  }

  /** Scan results per simulation, keyed by the stage parts and the records of the dependencies each simulation reads. */
  #scanMemo(engine: CacheEngine, selected: ReadonlySet<number> | undefined): ScanMemo {
    const nodes = this.pipeline.nodes;
    return {
      keys: async (n, partitions) => {
        const pipe = this.#pipeFor(this.#stageOf(n));
        if (pipe === undefined) return [];
        const parts = this.#stageParts(engine.hasher, pipe);
        // Dependencies by the simulation they belong to; those without a sim (a theory
        // spectrum, say) are read by every scan.
        const common: NodeRecord[] = [];
        const bySim = new Map<string, { partition: Partition; record: NodeRecord }[]>();
        for (let k = nodes.depStart[n] ?? 0; k < (nodes.depStart[n + 1] ?? 0); k++) {
          const d = nodes.deps[k] ?? 0;
          const place = this.#place(engine, d);
          const stored = engine.recordAt(place.key, place.id);
          if (stored === undefined) return partitions.map(() => undefined);
          // As for the fingerprint: a dependency outside the run is keyed by its files as they are.
          const record = selected === undefined || selected.has(d) ? stored : await engine.observe(stored);
          const dp = nodes.partition(d);
          if (dp.sim === undefined) {
            common.push(record);
          } else {
            const key = `${dp.split ?? ""}/${String(dp.sim)}`;
            const list = bySim.get(key) ?? [];
            list.push({ partition: dp, record });
            bySim.set(key, list);
          }
        }
        return partitions.map((p) => {
          const own = (bySim.get(`${p.split ?? ""}/${String(p.sim)}`) ?? [])
            .filter(({ partition: dp }) => (p.freq === undefined || dp.freq === undefined || dp.freq === p.freq) && (p.epoch === undefined || dp.epoch === undefined || dp.epoch === p.epoch))
            .map(({ record }) => record);
          return engine.scanKey(parts, p, [...common, ...own]);
        });
      },
      get: (key) => engine.scans.get(key),
      put: async (n, key, value, ranWith) => {
        const pipe = this.#pipeFor(this.#stageOf(n));
        if (pipe === undefined) return;
        // A scan that ran with other code or configuration than its key was made from is not kept.
        if (ranWith !== undefined && this.#changedSinceJudged(this.#stageParts(engine.hasher, pipe).code.value.files, [ranWith], engine.hasher).length > 0) return;
        await engine.scans.put(key, value);
      },
    };
  }

  #stageOf(n: number): string {
    const s = this.pipeline.nodes.stages[this.pipeline.nodes.stageIndex[n] ?? 0];
    if (s === undefined) throw new Error(`Internal error: node ${String(n)} has no stage`);
    return s.stage.name;
  }

  /** Node n's output paths, where they can be formed alone (whole-stage executors set the rest of the context themselves). */
  #outputPaths(stage: string, n: number, partition: Partition = this.pipeline.nodes.partition(n)): string[] {
    return this.#formedPaths(stage, n, partition).paths;
  }

  /**
   * The folder of a unit's first output (in `assets_out` order) formed from `partition`, or the
   * dataset folder when none can be formed alone (a whole-stage executor sets the rest). For a
   * scan, `partition` is the scanned simulation's: the reduction's folder then, as extra keys
   * are ignored. Where a backend leaves a unit's result for the coordinator.
   */
  outputFolder(stage: string, partition: Partition): string {
    const first = this.#formedPaths(stage, -1, partition).paths[0];
    return first === undefined ? this.#datasetDir : dirname(first);
  }

  /** Node n's output paths that can be formed alone, and whether that is all of them. */
  #formedPaths(stage: string, n: number, partition: Partition = this.pipeline.nodes.partition(n)): { paths: string[]; complete: boolean } {
    let formers = this.#formers.get(stage);
    if (formers === undefined) {
      const env = this.#environment(stage);
      formers = env.def.assetsOut.map((asset) => env.namer.former(asset.template.source));
      this.#formers.set(stage, formers);
    }
    const extra = partitionContext(partition);
    const out: string[] = [];
    for (const form of formers) {
      const path = form(extra);
      // Undefined: not formable from the partition alone (a whole-stage executor sets the rest).
      if (path !== undefined) out.push(path);
    }
    return { paths: out, complete: out.length === formers.length };
  }

  /**
   * Node n's output paths (recorded form) and its location, the key of its record among the
   * node's records at other locations. Computed once per node: a node's own judgement and every
   * dependant's lookup of its record use the same one.
   */
  #located(engine: CacheEngine, n: number, stage: string = this.#stageOf(n), partition?: Partition): { outputs: string[]; complete: boolean; place: Place } {
    const formed = this.#formedPaths(stage, n, partition);
    const outputs = formed.paths.map((p) => engine.recordedPath(p));
    let place = this.#places[n];
    if (place === undefined) {
      const id = this.pipeline.nodes.id(n);
      const at = engine.locationOf(outputs, formed.complete, engine.recordedPath(this.#datasetDir));
      // Why one key string per node, kept: a Map lookup hashes its key, and a key concatenated
      // anew for every lookup (own judgement, each dependant's) costs a flatten and a hash each time.
      place = { id, at, key: recordKey(id, at) };
      this.#places[n] = place;
    }
    return { outputs, complete: formed.complete, place };
  }

  /**
   * What a run would do, without running anything: each selected node's action. A node
   * downstream of a restore is judged with the restored record's output digests (restoring is
   * exact, so its fingerprint is known); a node downstream of one that will run cannot be
   * judged before that node's bytes exist, so unless it must run anyway it is `may-run`, with
   * an "upstream stale" reason naming what it waits on.
   */
  async planPipeline(engine: CacheEngine, options: Pick<RunOptions, "nodes" | "forced"> = {}): Promise<PlannedNode[]> {
    if (!this.#prerun) this.prerunPipeline();
    const nodes = this.pipeline.nodes;
    // Per node: 1 when it will run or may run (its outputs are not known before the run).
    const unknown = new Uint8Array(nodes.size);
    const restored = new Map<number, NodeRecord>();
    const plan: PlannedNode[] = [];
    for (const stageNodes of nodes.stages) {
      const stage = stageNodes.stage.name;
      const pipe = this.#pipeFor(stage);
      if (pipe === undefined) continue;
      const parts = this.#stageParts(engine.hasher, pipe);
      for (let n = stageNodes.first; n < stageNodes.first + stageNodes.count; n++) {
        if (!(options.nodes?.has(n) ?? true)) continue;
        const id = nodes.id(n);
        const fp = engine.fingerprint(parts, this.#context(engine, stage, n), await this.#dependencyRecords(engine, n, options.nodes, restored));
        const verdict = await engine.assess(id, fp, options.forced?.has(n) ?? false);
        const upstream: string[] = [];
        for (let k = nodes.depStart[n] ?? 0; k < (nodes.depStart[n + 1] ?? 0); k++) {
          const d = nodes.deps[k] ?? 0;
          if (unknown[d] === 1) upstream.push(nodes.id(d));
        }
        const reasons: StaleReason[] = verdict.state === "fresh" ? [] : [...verdict.reasons];
        if (upstream.length > 0) reasons.push({ kind: "upstream-stale", nodes: upstream });
        const action: PlanAction = verdict.state === "stale" ? "run" : upstream.length > 0 ? "may-run" : verdict.state === "restorable" ? "restore" : "fresh";
        if (action === "run" || action === "may-run") unknown[n] = 1;
        if (action === "restore" && verdict.state === "restorable") restored.set(n, verdict.from);
        const state: PlannedNode["state"] = action === "fresh" ? "fresh" : action === "restore" ? "restorable" : "stale";
        plan.push({ node: n, id, stage, action, state, reasons, fingerprint: fp });
      }
    }
    return plan;
  }

  /** What one stage's nodes run with, its executor constructed on first use (see StageHost.stageRuntime). */
  stageRuntime(stage: string): Promise<Omit<NodeRuntime, "log">> {
    return this.#host.stageRuntime(stage);
  }

  /** What this thread runs a stage's units with: its configuration and the stage's code as loaded. */
  ranWith(stage: string, hasher: Pick<Hasher, "digestString">): RanWith {
    return this.#host.ranWith(stage, hasher);
  }

  /**
   * Which of what units ran with differs from what a fingerprint's parts were taken from: the
   * configuration, and each code file the thread loaded that the code part also names. Files
   * only one side names are left out (the code part may hold more than an executor's closure,
   * under its own names); an import added meanwhile still shows, as an edit of its importer.
   */
  #changedSinceJudged(codeFiles: Readonly<Record<string, string>>, ranWith: readonly RanWith[], hasher: Pick<Hasher, "digestString">): string[] {
    const config = this.#host.configDigest(hasher);
    const changes = new Set<string>();
    for (const r of ranWith) {
      if (r.config !== config) changes.add("the configuration");
      for (const { file, digest } of r.code) if (Object.hasOwn(codeFiles, file) && codeFiles[file] !== digest) changes.add(`code ${file}`);
    }
    return [...changes];
  }

  /** Starts watching the modules of the config's `plugins:` list (see StageHost.watchPlugins). */
  watchPlugins(): Promise<void> {
    return this.#host.watchPlugins();
  }

  /** Warnings about stages' code met while fingerprinting it so far (imports cmbflow cannot follow). */
  codeWarnings(): readonly string[] {
    return this.#codeWarnings.map((w) => w.message);
  }

  /** Config keys a stage's executor read while working rather than in its constructor. */
  lateReads(stage: string): string[] {
    return this.#host.lateReads(stage);
  }

  /** Config keys each executor read, by stage (for fingerprints). */
  readsByStage(): ReadonlyMap<string, readonly string[]> {
    return this.#host.readsByStage();
  }

  #pipeFor(stage: string): StagePipe | undefined {
    return this.#host.pipeFor(stage);
  }

  /**
   * The current records of node n's dependencies (those that have one); a plan passes the
   * records it expects restores to bring back as `restored`. A dependency outside
   * `selected` was not judged in this run, so its files are checked against its record and a
   * hand-edited one enters n's fingerprint as it is on disk (engine.observe).
   */
  #dependencyRecords(
    engine: CacheEngine,
    n: number,
    selected?: ReadonlySet<number>,
    restored?: ReadonlyMap<number, NodeRecord>,
  ): NodeRecord[] | Promise<NodeRecord[]> {
    const nodes = this.pipeline.nodes;
    const out: (NodeRecord | Promise<NodeRecord>)[] = [];
    let pending = false;
    for (let k = nodes.depStart[n] ?? 0; k < (nodes.depStart[n + 1] ?? 0); k++) {
      const d = nodes.deps[k] ?? 0;
      const place = this.#place(engine, d);
      const record = (restored === undefined ? undefined : restored.get(d)) ?? engine.recordAt(place.key, place.id);
      if (record === undefined) continue;
      const seen = selected === undefined || selected.has(d) ? record : engine.observe(record);
      if (seen instanceof Promise) pending = true;
      out.push(seen);
    }
    return pending ? Promise.all(out.map(async (r) => r)) : (out as NodeRecord[]);
  }

  /** Node n's id, location and record key (see `#located`), without forming its paths again once known. */
  #place(engine: CacheEngine, n: number): Place {
    return this.#places[n] ?? this.#located(engine, n).place;
  }

  /** The context part of node n: partition, seeds and output paths (as recorded: relative to the work folder), and its location. */
  #context(engine: CacheEngine, stage: string, n: number): ContextInput {
    const partition = this.pipeline.nodes.partition(n);
    const { outputs, complete, place } = this.#located(engine, n, stage, partition);
    const baseSeed = this.#seed;
    return { partition, baseSeed, seed: () => seedFor(baseSeed, stage, partition), outputs, location: place.at, key: place.key, complete };
  }

  /** The stage-wide fingerprint parts of a pipe, computed once. */
  #stageParts(hasher: Hasher, pipe: StagePipe): StageParts {
    const cached = this.#partsCache.get(pipe.stage);
    if (cached !== undefined) return cached;
    const def = this.#def(pipe.stage);
    const plugins = pluginFiles(this.config, this.projectDir) ?? [];
    const entries = stageCodeEntries(def, this.pipeline.stageGraph.stages, this.projectDir, plugins);
    const code = { entries, projectDir: this.projectDir, packageRoot: PACKAGE_ROOT };
    const reads = pipe.descriptor?.reads ?? this.#host.constructReads(pipe);
    const lookup = (key: string): ConfigValue | undefined => {
      let v: ConfigValue | undefined = this.config.resolved;
      for (const part of key.split(".")) v = v !== null && typeof v === "object" && !Array.isArray(v) ? (v as ConfigObject)[part] : undefined;
      return v;
    };
    const parts = stagePartsOf(hasher, def, code, reads, lookup);
    this.#partsCache.set(pipe.stage, parts);
    for (const where of parts.unfollowedImports) {
      const warning = {
        stage: pipe.stage,
        message: `stage "${pipe.stage}": ${where} loads code cmbflow cannot follow, so editing that code does not make the stage stale: import it with a string literal, e.g. import("./x.js")`,
      };
      this.#codeWarnings.push(warning);
      this.#onCodeWarning?.(warning);
    }
    return parts;
  }

  #def(stage: string): StageDef {
    return this.#host.def(stage);
  }

  #environment(stage: string): StageEnvironment {
    return this.#host.environment(stage);
  }

  /** The first node (if any) whose output path, or own-dimension input path, cannot be formed. */
  #checkPaths(def: StageDef): string | undefined {
    const env = this.#environment(def.name);
    const stageNodes = this.pipeline.nodes.stages.find((s) => s.stage.name === def.name);
    if (stageNodes === undefined) return undefined;
    const nodes = this.pipeline.nodes;
    const inputs = def.assetsIn.flatMap((input) => {
      const producer = this.pipeline.stageGraph.stages.get(input.stage);
      const out = producer?.assetsOut.find((a) => a.name === input.asset);
      if (producer === undefined || out === undefined) return [];
      // Inputs whose producer has dimensions this stage lacks are read with extra context the stage supplies.
      const own = producer.dims.every((d: Dim) => def.dims.includes(d));
      return own ? [{ template: out.template.source, dir: producer.dirName }] : [];
    });
    // Every node of a stage has the same dimensions, so the same context keys: when the
    // first node's paths can be formed, every node's can.
    for (let n = stageNodes.first; n < stageNodes.first + Math.min(1, stageNodes.count); n++) {
      const namer = env.namer.child(partitionContext(nodes.partition(n)));
      try {
        for (const out of def.assetsOut) namer.path(out.template.source);
        for (const input of inputs) namer.path(input.template, { stage: input.dir });
      } catch (caught) {
        return `${nodes.id(n)}: ${caught instanceof Error ? caught.message : String(caught)}`;
      }
    }
    return undefined;
  }
}

export type { RunEvent };

/**
 * Inputs a unit handed ahead read (RanWith.after: its upstream's outputs as they were written
 * just before it ran, in the same task) with other content than its fingerprint holds: the
 * upstream was recorded from another run of it than the one this unit followed (a coordinator
 * that restarted took one result from an earlier job and ran the other again).
 */
function readOther(fp: Fingerprint, ranWith: readonly RanWith[], engine: CacheEngine): string[] {
  const changes: string[] = [];
  const held = new Map<string, string>();
  for (const outputs of Object.values(fp.values.inputs)) for (const [path, digest] of Object.entries(outputs)) held.set(path, digest);
  for (const r of ranWith) {
    for (const { path, digest } of r.after ?? []) {
      const recorded = engine.recordedPath(path);
      const want = held.get(recorded);
      if (want !== undefined && want !== digest) changes.push(`input ${recorded} was read as another version than its producer recorded (it ran ahead of that record)`);
    }
  }
  return changes;
}
