/**
 * BaseStageExecutor: a stage's code (CMB-ML's Executor). Constructed from the configuration
 * in a cheap constructor that reads every parameter it needs; the framework owns the loops,
 * so it can skip fresh nodes and spread work over threads. Work is declared at one of three
 * grains:
 *   - `processSim(ctx)`: once per node (split × sim × freq × epoch, as the stage's templates say);
 *   - `scan(ctx)` per simulation in the stage's scope, then `sift(results, ctx)` once per node:
 *     reductions such as dataset statistics;
 *   - `execute(ctx)`: the whole stage at once, serially (escape hatch).
 */
import type { Partition } from "../graph/partition.js";
import type { StageDef } from "../graph/stage-graph.js";
import type { AssetHandler } from "../handlers/handler.js";
import type { InputAsset, OutputAsset } from "./asset.js";
import type { Cfg } from "./cfg.js";
import type { Namer } from "./namer.js";
import { Split } from "./split.js";

/** A stage's log, routed to the run's JSON log. */
export interface StageLogger {
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** What one unit of work gets. */
export interface NodeContext {
  readonly stage: string;
  /** e.g. `make_cmb[split=Train,sim=3]`. */
  readonly nodeId: string;
  readonly partition: Partition;
  /** Seed for this node, derived from the base seed and the node's stage and partition. */
  readonly seed: number;
  /** Input assets, their paths in this node's context. */
  readonly inputs: Readonly<Record<string, InputAsset>>;
  /** Output assets, written atomically when the node succeeds. */
  readonly outputs: Readonly<Record<string, OutputAsset>>;
  /** This node's namer (a child of the stage's), for scoped extra context. */
  readonly namer: Namer;
  readonly log: StageLogger;
  /** The input asset `name`; throws naming the stage's inputs when there is none. */
  input<T = unknown>(name: string): InputAsset<T>;
  /** The output asset `name`; throws naming the stage's outputs when there is none. */
  output<T = unknown>(name: string): OutputAsset<T>;
}

// The work protocol's types: the scheduler defines them, the executor API re-exports them.
import type { ScanResult, WorkKind } from "../scheduler/node-runner.js";
export type { ScanResult, WorkKind } from "../scheduler/node-runner.js";

/** What the framework knows about the stage an executor is built for. */
export interface StageEnvironment {
  readonly def: StageDef;
  /** Base namer context: root, src_root, dataset, working, stage (this stage's dir_name). */
  readonly namer: Namer;
  readonly handlerFor: (name: string) => AssetHandler;
}

/** Links a Cfg to the environment of the pipeline it was made for; set by PipelineContext. */
const environments = new WeakMap<Cfg, (stage: string) => StageEnvironment>();

/** Framework-internal: makes executors constructed with `cfg` find their stage's environment. */
export function bindEnvironment(cfg: Cfg, lookup: (stage: string) => StageEnvironment): void {
  environments.set(cfg, lookup);
}

/** Base class of every stage's code. */
export abstract class BaseStageExecutor {
  /** The stage this executor runs. */
  readonly stage: string;
  /** The stage's configuration view (reads are recorded). */
  protected readonly cfg: Cfg;
  /** The stage's block of the pipeline YAML. */
  readonly def: StageDef;
  /** The splits this stage runs on, with their simulations. */
  readonly splits: readonly Split[];
  /** The stage's namer. */
  readonly namer: Namer;

  /**
   * @param cfg the configuration view the framework passes
   * @param stage the stage name in the pipeline YAML
   */
  constructor(cfg: Cfg, stage: string) {
    const lookup = environments.get(cfg);
    if (lookup === undefined) {
      throw new Error(`executor for stage "${stage}" was constructed outside a PipelineContext; add it with pipeline.addPipe(Executor, "${stage}")`);
    }
    const env = lookup(stage);
    this.stage = stage;
    this.cfg = cfg;
    this.def = env.def;
    this.namer = env.namer;
    this.splits = env.def.splits.map((s) => new Split(s.name, env.def.sims.get(s.name) ?? []));
  }

  /** A parameter from the stage's own block (e.g. `lmax`); recorded as `pipeline.<stage>.<key>`. */
  protected param(key: string): ReturnType<Cfg["get"]> {
    return this.cfg.get(`pipeline.${this.stage}.${key}`);
  }

}

/**
 * The work methods an executor may define (declared here rather than on the base class, so
 * a subclass defines them without `override`). `implements StageWork` is optional.
 */
export interface StageWork {
  processSim?(ctx: NodeContext): Promise<void> | void;
  scan?(ctx: NodeContext): unknown;
  sift?(results: readonly ScanResult<unknown>[], ctx: NodeContext): Promise<void> | void;
  execute?(ctx: NodeContext): Promise<void> | void;
}


/** The executor seen through its work methods. */
export function work(executor: BaseStageExecutor): StageWork {
  return executor as BaseStageExecutor & StageWork;
}

/** Which grain `executor` declares; an Error naming the stage when it declares none or an incomplete pair. */
export function workKind(executor: BaseStageExecutor): WorkKind {
  const methods = work(executor);
  if (typeof methods.processSim === "function") return "process-sim";
  const scan = typeof methods.scan === "function";
  const sift = typeof methods.sift === "function";
  if (scan && sift) return "scan-sift";
  if (scan !== sift) throw new Error(`executor of stage "${executor.stage}" defines ${scan ? "scan" : "sift"} without ${scan ? "sift" : "scan"}`);
  if (typeof methods.execute === "function") return "execute";
  throw new Error(`executor of stage "${executor.stage}" defines none of processSim, scan + sift, execute`);
}

