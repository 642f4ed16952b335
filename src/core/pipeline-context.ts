/**
 * PipelineContext (CMB-ML's): holds the executors of a pipeline, constructs and checks them
 * all before any work (`prerunPipeline`), then runs them (`runPipeline`). The CLI builds one
 * from the YAML's `executor:` keys; a TypeScript script can build one by hand:
 *
 * ```ts
 * const pipeline = await PipelineContext.fromConfig({ configDir: "cfg" });
 * pipeline.addPipe(MakeCmbExecutor, "make_cmb");
 * await pipeline.prerunPipeline();
 * const summary = await pipeline.runPipeline();
 * ```
 */
import { resolve } from "node:path";
import { loadConfig } from "../config/index.js";
import type { LoadedConfig } from "../config/types.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { Result } from "../diagnostics/result.js";
import { err, ok } from "../diagnostics/result.js";
import type { CompiledPipeline } from "../graph/compile.js";
import { compilePipeline } from "../graph/compile.js";
import type { Dim } from "../graph/partition.js";
import type { StageDef } from "../graph/stage-graph.js";
import { builtinHandlerNames } from "../handlers/index.js";
import { getHandler } from "../handlers/registry.js";
import type { CacheEngine, Fingerprint, StageParts, StaleReason } from "../cache/engine.js";
import { reasonLabel } from "../cache/engine.js";
import type { ContextPart } from "../cache/fingerprint.js";
import type { NodeRecord } from "../cache/state-store.js";
import type { ConfigObject, ConfigValue } from "../config/types.js";
import type { StageNodes } from "../graph/node-graph.js";
import type { EventSink, NodeFailure, RunEvent, RunOutcome, StageCounts } from "../scheduler/events.js";
import { Cfg } from "./cfg.js";
import type { BaseStageExecutor, StageEnvironment, StageLogger, WorkKind } from "./executor.js";
import { bindEnvironment, workKind } from "./executor.js";
import type { ExecutorClass } from "./executor-loader.js";
import { loadExecutorClass, PACKAGE_ROOT, parseExecutorRef } from "./executor-loader.js";
import { Namer } from "./namer.js";
import { baseSeed, namerBase, simFormat } from "./namer-base.js";
import { partitionContext, runNode, seedFor } from "./run-node.js";

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
}

/** What a run did, per stage and in all. */
export interface RunSummary {
  readonly outcome: RunOutcome;
  readonly ran: number;
  readonly failed: readonly NodeFailure[];
  readonly durationMs: number;
  readonly stages: readonly ({ readonly name: string } & StageCounts)[];
}

/** One node of a plan: what a run would do with it and why. */
export interface PlannedNode {
  readonly node: number;
  readonly id: string;
  readonly stage: string;
  readonly state: "fresh" | "stale" | "restorable";
  readonly reasons: readonly StaleReason[];
  readonly fingerprint: Fingerprint;
}

interface Pipe {
  readonly stage: string;
  readonly Executor: ExecutorClass;
  executor?: BaseStageExecutor;
  kind?: WorkKind;
  cfg?: Cfg;
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
  readonly #pipes: Pipe[] = [];
  readonly #rootCfg: Cfg;
  readonly #base: Namer;
  readonly #seed: number;
  #prerun = false;
  readonly #partsCache = new Map<string, StageParts>();

  /**
   * @param projectDir folder executor module paths resolve against
   * @param workDir folder a relative data root resolves against
   */
  constructor(config: LoadedConfig, pipeline: CompiledPipeline, projectDir: string, workDir: string = process.cwd()) {
    this.config = config;
    this.pipeline = pipeline;
    this.projectDir = projectDir;
    this.#rootCfg = new Cfg(config.resolved);
    this.#base = new Namer(namerBase(config.resolved, workDir), simFormat(config.resolved));
    this.#seed = baseSeed(config.resolved);
  }

  /** Loads and compiles a configuration; diagnostics when either fails. */
  static fromConfig(options: FromConfigOptions): Result<PipelineContext, Diagnostic[]> {
    const loaded = loadConfig({
      configDir: options.configDir,
      configName: options.configName ?? "config",
      overrides: options.overrides ?? [],
      ...(options.env === undefined ? {} : { env: options.env }),
    });
    if (!loaded.ok) return loaded;
    const compiled = compilePipeline(loaded.value, { handlers: new Set(builtinHandlerNames()) });
    if (!compiled.ok) return compiled;
    const projectDir = options.projectDir ?? resolve(options.configDir, "..");
    return ok(new PipelineContext(loaded.value, compiled.value, projectDir, options.workDir ?? process.cwd()));
  }

  /** The Namer's base context: root, src_root, dataset, working. */
  get namer(): Namer {
    return this.#base;
  }

  /** Stage names in topological order. */
  get stageNames(): readonly string[] {
    return this.pipeline.stageGraph.order;
  }

  /** Adds a stage's executor. Throws when the stage is not in the pipeline or was added already. */
  addPipe(Executor: ExecutorClass, stage: string): this {
    if (!this.pipeline.stageGraph.stages.has(stage)) {
      throw new Error(`stage "${stage}" is not in the pipeline; stages: ${this.stageNames.join(", ")}`);
    }
    if (this.#pipes.some((p) => p.stage === stage)) throw new Error(`stage "${stage}" was added twice`);
    this.#pipes.push({ stage, Executor });
    this.#prerun = false;
    return this;
  }

  /** Adds every stage that has an `executor:` key, loading its module; all load errors together. */
  async addPipesFromConfig(stages: readonly string[] = this.stageNames): Promise<Result<void, string[]>> {
    const problems: string[] = [];
    for (const name of stages) {
      const def = this.#def(name);
      if (def.executor === null) {
        problems.push(`stage "${name}" has no executor: add executor: path/to/module.ts#ExportName to its block`);
        continue;
      }
      const loaded = await loadExecutorClass(def.executor, name, this.projectDir);
      if (loaded.ok) this.addPipe(loaded.value, name);
      else problems.push(loaded.error);
    }
    return problems.length === 0 ? ok(undefined) : err(problems);
  }

  /**
   * Constructs every executor (each reads its parameters; a key that does not exist fails
   * here, naming key and stage) and checks that every output path of every node, and every
   * input path a node can name alone, can be formed. Throws {@link PrerunError} with all problems.
   */
  prerunPipeline(): void {
    const problems: string[] = [];
    for (const pipe of this.#pipes) {
      const cfg = this.#rootCfg.forStage(pipe.stage);
      bindEnvironment(cfg, (stage) => this.#environment(stage));
      try {
        pipe.executor = new pipe.Executor(cfg, pipe.stage);
        pipe.kind = workKind(pipe.executor);
        pipe.cfg = cfg;
        cfg.startWork();
      } catch (caught) {
        problems.push(caught instanceof Error ? caught.message : String(caught));
        continue;
      }
      const problem = this.#checkPaths(this.#def(pipe.stage));
      if (problem !== undefined) problems.push(problem);
    }
    if (problems.length > 0) throw new PrerunError(problems);
    this.#prerun = true;
  }

  /**
   * Runs the selected nodes of the added stages in topological order. With an engine, a
   * fresh node is skipped, a restorable one restored, a stale one run and recorded. Stops
   * at the first failure unless `keepGoing`, which goes on with every node that does not
   * depend on one.
   */
  async runPipeline(options: RunOptions = {}): Promise<RunSummary> {
    if (!this.#prerun) this.prerunPipeline();
    const emit = options.onEvent ?? (() => undefined);
    const engine = options.engine;
    const runId = options.runId ?? "";
    const started = performance.now();
    const nodes = this.pipeline.nodes;
    // 0 pending, 1 done (ran, fresh or restored), 2 failed, 3 skipped.
    const state = new Uint8Array(nodes.size);
    const failed: NodeFailure[] = [];
    const stageSummaries: ({ name: string } & StageCounts)[] = [];
    let stopped = false;
    let ran = 0;
    const ordered = nodes.stages.filter((s) => this.#pipeFor(s.stage.name) !== undefined);
    const selectedOf = (s: StageNodes): number[] => {
      const out: number[] = [];
      for (let n = s.first; n < s.first + s.count; n++) if (options.nodes?.has(n) ?? true) out.push(n);
      return out;
    };
    emit({ type: "run-started", runId, nodes: ordered.reduce((n, s) => n + selectedOf(s).length, 0), stages: ordered.map((s) => s.stage.name) });
    for (const stageNodes of ordered) {
      const stage = stageNodes.stage.name;
      const pipe = this.#pipeFor(stage);
      if (pipe?.executor === undefined || pipe.kind === undefined) throw new Error("Internal error: executor not constructed");
      const selected = selectedOf(stageNodes);
      const counts = { ran: 0, fresh: 0, restored: 0, failed: 0, skipped: 0 };
      const stageStart = performance.now();
      emit({ type: "stage-started", stage, nodes: selected.length });
      const runtime = {
        executor: pipe.executor,
        kind: pipe.kind,
        env: this.#environment(stage),
        stages: this.pipeline.stageGraph.stages,
        baseSeed: this.#seed,
        log: this.#logger(stage, emit),
      };
      const parts = engine === undefined ? undefined : this.#stageParts(engine, pipe);
      for (const n of selected) {
        const nodeId = nodes.id(n);
        if (stopped) {
          counts.skipped++;
          state[n] = 3;
          continue;
        }
        const blockedBy = this.#failedDependency(n, state);
        if (blockedBy !== undefined) {
          emit({ type: "node-blocked", stage, nodeId, failedDependency: nodes.id(blockedBy) });
          counts.skipped++;
          state[n] = 3;
          continue;
        }
        const partition = nodes.partition(n);
        let fingerprint: Fingerprint | undefined;
        let reasons: readonly string[] = [];
        if (engine !== undefined && parts !== undefined) {
          fingerprint = engine.fingerprint(parts, this.#context(engine, stage, n), this.#dependencyRecords(engine, n));
          const verdict = await engine.assess(nodeId, fingerprint, options.forced?.has(n) ?? false);
          if (verdict.state === "fresh") {
            emit({ type: "node-cached", stage, nodeId });
            counts.fresh++;
            state[n] = 1;
            continue;
          }
          if (verdict.state === "restorable" && (await engine.restore(verdict.from))) {
            await engine.recordOutputs(nodeId, fingerprint, verdict.from.outputs, runId, new Date(), 0);
            emit({ type: "node-restored", stage, nodeId, outputs: verdict.from.outputs.map((o) => engine.absolutePath(o.path)) });
            counts.restored++;
            state[n] = 1;
            continue;
          }
          reasons = verdict.reasons.map(reasonLabel);
        }
        emit({ type: "node-started", stage, nodeId, reasons });
        const startedAt = new Date();
        const t0 = performance.now();
        try {
          const outputs = await runNode(runtime, { nodeId, partition });
          const durationMs = performance.now() - t0;
          if (engine !== undefined && fingerprint !== undefined) await engine.record(nodeId, fingerprint, outputs, runId, startedAt, durationMs);
          emit({ type: "node-finished", stage, nodeId, durationMs, outputs });
          counts.ran++;
          ran++;
          state[n] = 1;
        } catch (caught) {
          const failure = toFailure(stage, nodeId, caught);
          failed.push(failure);
          counts.failed++;
          state[n] = 2;
          emit({ type: "node-failed", failure, durationMs: performance.now() - t0 });
          if (options.keepGoing !== true) stopped = true;
        }
      }
      this.#warnLateReads(pipe, emit);
      emit({ type: "stage-finished", stage, counts, durationMs: performance.now() - stageStart });
      stageSummaries.push({ name: stage, ...counts });
    }
    const outcome: RunOutcome = failed.length > 0 ? "failed" : "success";
    const durationMs = performance.now() - started;
    emit({ type: "run-finished", outcome, durationMs });
    return { outcome, ran, failed, durationMs, stages: stageSummaries };
  }

  /**
   * What a run would do, without running anything: each selected node's verdict. A node
   * downstream of a node that would run is stale ("upstream stale": it may still turn out
   * fresh after the run, when the upstream outputs come out byte-identical).
   */
  async planPipeline(engine: CacheEngine, options: Pick<RunOptions, "nodes" | "forced"> = {}): Promise<PlannedNode[]> {
    if (!this.#prerun) this.prerunPipeline();
    const nodes = this.pipeline.nodes;
    const willRun = new Uint8Array(nodes.size);
    const plan: PlannedNode[] = [];
    for (const stageNodes of nodes.stages) {
      const stage = stageNodes.stage.name;
      const pipe = this.#pipeFor(stage);
      if (pipe === undefined) continue;
      const parts = this.#stageParts(engine, pipe);
      for (let n = stageNodes.first; n < stageNodes.first + stageNodes.count; n++) {
        if (!(options.nodes?.has(n) ?? true)) continue;
        const id = nodes.id(n);
        const fp = engine.fingerprint(parts, this.#context(engine, stage, n), this.#dependencyRecords(engine, n));
        const verdict = await engine.assess(id, fp, options.forced?.has(n) ?? false);
        const upstream: string[] = [];
        for (let k = nodes.depStart[n] ?? 0; k < (nodes.depStart[n + 1] ?? 0); k++) {
          const d = nodes.deps[k] ?? 0;
          if (willRun[d] === 1) upstream.push(nodes.id(d));
        }
        const reasons: StaleReason[] = verdict.state === "fresh" ? [] : [...verdict.reasons];
        if (upstream.length > 0) reasons.push({ kind: "upstream-stale", nodes: upstream });
        const stateOf: PlannedNode["state"] = reasons.length === 0 ? "fresh" : verdict.state === "restorable" && upstream.length === 0 ? "restorable" : "stale";
        if (stateOf !== "fresh") willRun[n] = 1;
        plan.push({ node: n, id, stage, state: stateOf, reasons, fingerprint: fp });
      }
    }
    return plan;
  }

  /** Config keys each executor read, by stage (for fingerprints). */
  readsByStage(): ReadonlyMap<string, readonly string[]> {
    return new Map(this.#pipes.map((p) => [p.stage, (p.cfg?.reads() ?? []).map((r) => r.key)]));
  }

  #pipeFor(stage: string): Pipe | undefined {
    return this.#pipes.find((p) => p.stage === stage);
  }

  /** The failed or skipped dependency of node n, if any. */
  #failedDependency(n: number, state: Uint8Array): number | undefined {
    const nodes = this.pipeline.nodes;
    for (let k = nodes.depStart[n] ?? 0; k < (nodes.depStart[n + 1] ?? 0); k++) {
      const d = nodes.deps[k] ?? 0;
      if (state[d] === 2 || state[d] === 3) return d;
    }
    return undefined;
  }

  /** The current records of node n's dependencies (those that have one). */
  #dependencyRecords(engine: CacheEngine, n: number): NodeRecord[] {
    const nodes = this.pipeline.nodes;
    const out: NodeRecord[] = [];
    for (let k = nodes.depStart[n] ?? 0; k < (nodes.depStart[n + 1] ?? 0); k++) {
      const record = engine.store.get(nodes.id(nodes.deps[k] ?? 0));
      if (record !== undefined) out.push(record);
    }
    return out;
  }

  /** The context part of node n: partition, seed and output paths (as recorded: relative to the work folder). */
  #context(engine: CacheEngine, stage: string, n: number): ContextPart {
    const nodes = this.pipeline.nodes;
    const partition = nodes.partition(n);
    const def = this.#def(stage);
    const namer = this.#environment(stage).namer.child(partitionContext(partition));
    const outputs: string[] = [];
    for (const out of def.assetsOut) {
      try {
        outputs.push(engine.recordedPath(namer.path(out.template.source)));
      } catch {
        // Whole-stage executors set the rest of the context themselves.
      }
    }
    return { partition, seed: seedFor(this.#seed, stage, partition), outputs };
  }

  /** The stage-wide fingerprint parts of a pipe, computed once. */
  #stageParts(engine: CacheEngine, pipe: Pipe): StageParts {
    const cached = this.#partsCache.get(pipe.stage);
    if (cached !== undefined) return cached;
    const def = this.#def(pipe.stage);
    const ref = def.executor === null ? undefined : parseExecutorRef(def.executor, this.projectDir);
    const code = ref?.ok === true ? { module: ref.value.module, projectDir: this.projectDir, packageRoot: PACKAGE_ROOT } : undefined;
    const reads = (pipe.cfg?.reads() ?? []).filter((r) => r.phase === "construct").map((r) => r.key);
    const lookup = (key: string): ConfigValue | undefined => {
      let v: ConfigValue | undefined = this.config.resolved;
      for (const part of key.split(".")) v = v !== null && typeof v === "object" && !Array.isArray(v) ? (v as ConfigObject)[part] : undefined;
      return v;
    };
    const parts = engine.stageParts(def, code, reads, lookup);
    this.#partsCache.set(pipe.stage, parts);
    return parts;
  }

  #def(stage: string): StageDef {
    const def = this.pipeline.stageGraph.stages.get(stage);
    if (def === undefined) throw new Error(`Internal error: unknown stage ${stage}`);
    return def;
  }

  #environment(stage: string): StageEnvironment {
    const def = this.#def(stage);
    const scalars: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(def.block)) if (typeof v === "string" || typeof v === "number") scalars[k] = v;
    return {
      def,
      namer: this.#base.child({ ...scalars, stage: def.dirName }, stage),
      handlerFor: getHandler,
    };
  }

  #logger(stage: string, emit: EventSink): StageLogger {
    return {
      info: (message, fields) => emit({ type: "stage-log", level: "info", stage, message, ...(fields === undefined ? {} : { fields }) }),
      warn: (message, fields) => emit({ type: "stage-log", level: "warn", stage, message, ...(fields === undefined ? {} : { fields }) }),
    };
  }

  /** CMB-ML's rule, checkable: a parameter first read while working, not in the constructor. */
  #warnLateReads(pipe: Pipe, emit: EventSink): void {
    for (const read of pipe.cfg?.reads() ?? []) {
      if (read.phase === "work") {
        emit({
          type: "warning",
          stage: pipe.stage,
          message: `stage "${pipe.stage}" read config key "${read.key}" while running, not in its constructor; read parameters in the constructor so they are part of the stage's fingerprint`,
        });
      }
    }
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
    for (let n = stageNodes.first; n < stageNodes.first + stageNodes.count; n++) {
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

function toFailure(stage: string, nodeId: string, caught: unknown): NodeFailure {
  if (caught instanceof Error) {
    return { stage, nodeId, message: caught.message, ...(caught.stack === undefined ? {} : { stack: caught.stack }) };
  }
  return { stage, nodeId, message: String(caught) };
}

export type { RunEvent };
