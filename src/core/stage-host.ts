/**
 * The stages of one configuration as a thread runs their units: the configuration, the
 * Namer, each stage's executor (loaded from its `executor:` key or added by hand, constructed
 * on first use with a read-tracking config view), the handlers its assets use, and what its
 * units ran with (configuration digest, code as loaded) and read late. It needs the stage
 * graph only, never the node graph: a worker thread or a Slurm task builds one of these and
 * nothing of planning, fingerprints or scheduling (the coordinator's PipelineContext owns one
 * and adds those).
 */
import { join, relative } from "node:path";
import type { LoadedConfig } from "../config/types.js";
import type { StageDef, StageGraph } from "../graph/stage-graph.js";
import { getHandler } from "../handlers/registry.js";
import type { ExecutorDescriptor } from "../cache/executor-memo.js";
import { ExecutorMemo } from "../cache/executor-memo.js";
import type { Hasher } from "../cache/hash.js";
import { hasher as makeHasher } from "../cache/hash.js";
import type { RanWith } from "../scheduler/node-runner.js";
import { Cfg, ConfigKeyError } from "./cfg.js";
import type { BaseStageExecutor, StageEnvironment, WorkKind } from "./executor.js";
import { bindEnvironment, workKind } from "./executor.js";
import type { ExecutorClass } from "./executor-loader.js";
import { loadExecutorClass, moduleFileFor, PACKAGE_ROOT, parseExecutorRef } from "./executor-loader.js";
import { LoadedCode } from "./loaded-code.js";
import { Namer } from "./namer.js";
import { baseSeed, namerBase, simFormat } from "./namer-base.js";
import type { NodeRuntime } from "./run-node.js";
import { pluginFiles } from "./plugins.js";

/** One stage's executor, as added. */
export interface StagePipe {
  readonly stage: string;
  /** Undefined for a described pipe (see `describePipe`) until a node of it runs in this thread. */
  Executor?: ExecutorClass;
  /** What an earlier construction declared, when the pipe was described rather than loaded. */
  readonly descriptor?: ExecutorDescriptor;
  executor?: BaseStageExecutor;
  kind?: WorkKind;
  cfg?: Cfg;
  /** The files of the executor module's closure, watched since this thread loaded the module (by its `executor:` key). */
  loaded?: readonly string[];
}

/** A configuration's stages, their executors and their environments, for running units. */
export class StageHost {
  readonly config: LoadedConfig;
  readonly stageGraph: StageGraph;
  readonly projectDir: string;
  /** The Namer's base context: root, src_root, dataset, working. */
  readonly namer: Namer;
  /** The base seed every node's seed derives from. */
  readonly seed: number;
  /** Folder a relative data root resolves against. */
  readonly workDir: string;
  /** The dataset folder: where a whole-stage node whose paths cannot be formed alone writes. */
  readonly datasetDir: string;
  /** Folders a restore may write in: the data root and the assets folder. */
  readonly dataRoots: readonly string[];
  readonly #pipes: StagePipe[] = [];
  readonly #rootCfg: Cfg;
  readonly #environments = new Map<string, StageEnvironment>();
  #configDigest: string | undefined;
  /** The code this thread loaded for its stages' units, watched until each unit ends. */
  #loadedCode: LoadedCode | undefined;
  /** The files of the plugins' closures, once `watchPlugins` was called. */
  #pluginCode: readonly string[] = [];

  /**
   * @param projectDir folder executor module paths resolve against
   * @param workDir folder a relative data root resolves against
   */
  constructor(config: LoadedConfig, stageGraph: StageGraph, projectDir: string, workDir: string) {
    this.config = config;
    this.stageGraph = stageGraph;
    this.projectDir = projectDir;
    this.workDir = workDir;
    const unresolved = new Map((config.unresolved ?? []).map((u) => [u.path.join("."), u.causes.map((c) => c.message).join("; ")]));
    this.#rootCfg = new Cfg(config.resolved, undefined, unresolved);
    const base = namerBase(config.resolved, workDir);
    this.namer = new Namer(base, simFormat(config.resolved));
    this.seed = baseSeed(config.resolved);
    this.datasetDir = join(base.root ?? "", base.dataset ?? "");
    this.dataRoots = [base.root ?? workDir, base.src_root ?? workDir];
  }

  /** The stages added so far, in the order added. */
  get pipes(): readonly StagePipe[] {
    return this.#pipes;
  }

  pipeFor(stage: string): StagePipe | undefined {
    return this.#pipes.find((p) => p.stage === stage);
  }

  /** Adds a stage's executor. Throws when the stage is not in the pipeline or was added already. */
  addPipe(Executor: ExecutorClass, stage: string): void {
    this.#checkNew(stage);
    this.#pipes.push({ stage, Executor });
  }

  /** Adds a stage by what its executor declared when last constructed (see PipelineContext.describePipe). */
  describePipe(stage: string, descriptor: ExecutorDescriptor): void {
    this.#checkNew(stage);
    this.#pipes.push({ stage, descriptor, kind: descriptor.kind });
  }

  #checkNew(stage: string): void {
    if (!this.stageGraph.stages.has(stage)) throw new Error(`stage "${stage}" is not in the pipeline; stages: ${this.stageGraph.order.join(", ")}`);
    if (this.pipeFor(stage) !== undefined) throw new Error(`stage "${stage}" was added twice`);
  }

  /** Adds every stage named that has an `executor:` key, loading its module; the problems, all of them. */
  async addPipesFromConfig(stages: readonly string[]): Promise<string[]> {
    const problems: string[] = [];
    for (const name of stages) {
      const def = this.def(name);
      if (def.executor === null) {
        problems.push(`stage "${name}" has no executor: add executor: path/to/module.ts#ExportName to its block`);
        continue;
      }
      const loaded = await loadExecutorClass(def.executor, name, this.projectDir);
      if (!loaded.ok) {
        problems.push(loaded.error);
        continue;
      }
      this.addPipe(loaded.value, name);
      const pipe = this.pipeFor(name);
      if (pipe !== undefined) pipe.loaded = await this.#codeAsLoaded(def.executor);
    }
    return problems;
  }

  /**
   * What one stage's nodes run with, its executor constructed on first use. A worker thread
   * builds only the stages it is given work for; the executor module is loaded from the
   * stage's `executor:` key when the stage was not added by hand.
   */
  async stageRuntime(stage: string): Promise<Omit<NodeRuntime, "log">> {
    let pipe = this.pipeFor(stage);
    if (pipe === undefined) {
      const problems = await this.addPipesFromConfig([stage]);
      if (problems.length > 0) throw new Error(problems.join("\n"));
      pipe = this.pipeFor(stage);
    }
    if (pipe === undefined) throw new Error(`Internal error: stage ${stage} has no executor`);
    if (pipe.Executor === undefined) {
      const ref = this.def(stage).executor;
      if (ref === null) throw new Error(`Internal error: described stage ${stage} has no executor key`);
      const loaded = await loadExecutorClass(ref, stage, this.projectDir);
      if (!loaded.ok) throw new Error(loaded.error);
      pipe.Executor = loaded.value;
      pipe.loaded = await this.#codeAsLoaded(ref);
    }
    const { executor, kind } = pipe.executor === undefined || pipe.kind === undefined ? this.construct(pipe) : { executor: pipe.executor, kind: pipe.kind };
    return { executor, kind, env: this.environment(stage), stages: this.stageGraph.stages, baseSeed: this.seed };
  }

  /** The digest of the resolved configuration, as units report what they ran with. */
  configDigest(hasher: Pick<Hasher, "digestString">): string {
    this.#configDigest ??= ExecutorMemo.configDigest(hasher, this.config.resolved);
    return this.#configDigest;
  }

  /** What this thread runs a stage's units with: its configuration and the stage's code as loaded. */
  ranWith(stage: string, hasher: Pick<Hasher, "digestString">): RanWith {
    const files = [...(this.pipeFor(stage)?.loaded ?? []), ...this.#pluginCode];
    return { config: this.configDigest(hasher), code: this.#loadedCode?.check(files) ?? [] };
  }

  /** Config keys a stage's executor read while working rather than in its constructor. */
  lateReads(stage: string): string[] {
    return (this.pipeFor(stage)?.cfg?.reads() ?? []).filter((r) => r.phase === "work").map((r) => r.key);
  }

  /** Config keys each executor read, by stage (for fingerprints). */
  readsByStage(): ReadonlyMap<string, readonly string[]> {
    return new Map(this.#pipes.map((p) => [p.stage, (p.cfg?.reads() ?? []).map((r) => r.key)]));
  }

  /** The keys a pipe's executor read in its constructor. */
  constructReads(pipe: StagePipe): string[] {
    return (pipe.cfg?.reads() ?? []).filter((r) => r.phase === "construct").map((r) => r.key);
  }

  /**
   * Starts watching the modules of the config's `plugins:` list, which this thread has just
   * imported: the handlers they register write and read every node's assets, so what each unit
   * ran with includes them.
   */
  async watchPlugins(): Promise<void> {
    this.#pluginCode = (await this.#watcher()).watch(pluginFiles(this.config, this.projectDir) ?? []);
  }

  def(stage: string): StageDef {
    const def = this.stageGraph.stages.get(stage);
    if (def === undefined) throw new Error(`Internal error: unknown stage ${stage}`);
    return def;
  }

  /** A stage's environment, made once: its namer is shared by the stage's nodes (each forms paths from a child or with extra context). */
  environment(stage: string): StageEnvironment {
    const cached = this.#environments.get(stage);
    if (cached !== undefined) return cached;
    const def = this.def(stage);
    const scalars: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(def.block)) if (typeof v === "string" || typeof v === "number") scalars[k] = v;
    const env = { def, namer: this.namer.child({ ...scalars, stage: def.dirName }, stage), handlerFor: getHandler };
    this.#environments.set(stage, env);
    return env;
  }

  /** Constructs a pipe's executor with its read-tracking config view; throws what the constructor threw. */
  construct(pipe: StagePipe): { executor: BaseStageExecutor; kind: WorkKind } {
    if (pipe.Executor === undefined) throw new Error(`Internal error: stage ${pipe.stage} has no executor class loaded`);
    const cfg = this.#rootCfg.forStage(pipe.stage);
    bindEnvironment(cfg, (stage) => this.environment(stage));
    const executor = this.#constructGuarded(pipe.Executor, cfg, pipe.stage);
    // A class that skips BaseStageExecutor has no stage, def or namer: say so by name, not as stage "undefined".
    if (typeof (executor as Partial<BaseStageExecutor>).stage !== "string") {
      const ref = this.def(pipe.stage).executor;
      const where = ref === null ? pipe.Executor.name : this.#describeRef(ref);
      throw new Error(`executor of stage "${pipe.stage}" (${where}) does not extend BaseStageExecutor: declare it as \`class ${pipe.Executor.name} extends BaseStageExecutor\` and call super(cfg, stage)`);
    }
    const kind = workKind(executor);
    pipe.executor = executor;
    pipe.kind = kind;
    pipe.cfg = cfg;
    cfg.startWork();
    return { executor, kind };
  }

  /** A bad config value found by an executor's constructor, with the file and line that set it. */
  withOrigin(problem: ConfigKeyError): string {
    const where = this.config.origin(problem.key.split("."));
    if (where === undefined) return problem.message;
    const file = relative(this.workDir, where.file);
    return `${problem.message} (${file.startsWith("..") ? where.file : file}:${String(where.line)}:${String(where.column)})`;
  }

  /**
   * `new Executor(cfg, stage)`, with a failure that names the stage and the executor's module.
   * A `process.exit` in the constructor is turned into such a failure: ending the process there
   * would skip releasing the cache lock (main thread) or kill the worker with no word of why.
   */
  #constructGuarded(Executor: ExecutorClass, cfg: Cfg, stage: string): BaseStageExecutor {
    const exit = Object.getOwnPropertyDescriptor(process, "exit");
    let exitCode = "";
    const exitCalled = new Error("process.exit called in an executor's constructor");
    // Why patch the global: the call is the user's, deep inside their constructor; the
    // constructor is synchronous, so no other code runs while the patch is in place.
    process.exit = (code?: string | number | null): never => {
      exitCode = code === undefined || code === null ? "" : String(code);
      throw exitCalled;
    };
    try {
      return new Executor(cfg, stage);
    } catch (caught) {
      // The framework's own errors (a missing config key) already name the stage and the key.
      if (caught instanceof ConfigKeyError) throw caught;
      const where = this.#executorName(Executor, stage);
      if (caught === exitCalled) {
        throw new Error(`stage "${stage}": ${where} called process.exit(${exitCode}) in its constructor; a stage must throw an Error instead of ending the process`);
      }
      throw new Error(`stage "${stage}": ${where} failed in its constructor: ${caught instanceof Error ? caught.message : String(caught)}`, { cause: caught });
    } finally {
      if (exit !== undefined) Object.defineProperty(process, "exit", exit);
      else Reflect.deleteProperty(process, "exit");
    }
  }

  /** `executor module /abs/stages/a.ts` when the stage's `executor:` names one, else `executor class A`. */
  #executorName(Executor: ExecutorClass, stage: string): string {
    const ref = this.stageGraph.stages.get(stage)?.executor;
    const parsed = ref === undefined || ref === null ? undefined : parseExecutorRef(ref, this.projectDir);
    return parsed?.ok === true ? `executor module ${parsed.value.module}` : `executor class ${Executor.name}`;
  }

  /** `module#Export` with the module shown relative to the working folder. */
  #describeRef(ref: string): string {
    const parsed = parseExecutorRef(ref, this.projectDir);
    if (!parsed.ok) return ref;
    const file = relative(this.workDir, parsed.value.module);
    return `${file.startsWith("..") ? parsed.value.module : file}#${parsed.value.exportName}`;
  }

  /**
   * Starts watching the closure of an executor module this thread just imported (see
   * {@link LoadedCode}): the module that runs, so cmbflow's built-in stages by their dist/ files.
   */
  async #codeAsLoaded(ref: string): Promise<string[]> {
    const parsed = parseExecutorRef(ref, this.projectDir);
    if (!parsed.ok) return [];
    return (await this.#watcher()).watch([moduleFileFor(parsed.value.module)]);
  }

  async #watcher(): Promise<LoadedCode> {
    this.#loadedCode ??= new LoadedCode(await makeHasher(), this.projectDir, PACKAGE_ROOT);
    return this.#loadedCode;
  }
}
