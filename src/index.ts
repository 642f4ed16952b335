/**
 * cmbflow's public library API: the stage framework (executors, assets, namer, pipeline
 * context), asset handlers, configuration loading and pipeline compilation, HEALPix numerics
 * and FITS I/O.
 */

// Stage framework (CMB-ML's vocabulary).
export { BaseStageExecutor, workKind } from "./core/executor.js";
export type { NodeContext, ScanResult, StageLogger, StageWork, WorkKind } from "./core/executor.js";
export { Cfg, ConfigKeyError } from "./core/cfg.js";
export type { ConfigRead, ReadPhase } from "./core/cfg.js";
export { Asset, AssetUsageError, InputAsset, MissingInputError, OutputAsset } from "./core/asset.js";
export { MissingContextKeyError, Namer } from "./core/namer.js";
export type { ContextValue, SimFormat } from "./core/namer.js";
export { Split } from "./core/split.js";
export { PipelineContext, PrerunError } from "./core/pipeline-context.js";
export type { FromConfigOptions, RunOptions, RunSummary } from "./core/pipeline-context.js";
export { LogMaker, newRunId } from "./core/log-maker.js";
export type { RunEvent, RunOutcome, NodeFailure } from "./scheduler/events.js";

// Running nodes in parallel: pass `runner: new PoolRunner({ source })` to runPipeline.
export { defaultThreads, PoolRunner } from "./backends/threads/pool-runner.js";
export type { PoolOptions } from "./backends/threads/pool-runner.js";
export type { PipelineSource, PortableConfig } from "./backends/pipeline-source.js";
// Backends by name (threads, inline, slurm); a Slurm runner for runPipeline from a script.
export { BACKENDS, backendName, createRunner, slurmRunner } from "./backends/index.js";
export type { BackendName, BackendOptions } from "./backends/index.js";
export { SlurmRunner } from "./backends/slurm/slurm-runner.js";
export type { SlurmRunnerOptions } from "./backends/slurm/slurm-runner.js";
export type { SlurmResources, SlurmSettings } from "./backends/slurm/settings.js";
export type { LoadedFile, NodeRunner, RanWith, WorkResult, WorkTask, WrittenOutput } from "./scheduler/node-runner.js";
export type { FileStamp } from "./cache/stamped-digest.js";

// Asset handlers.
export { builtinHandlerNames, getHandler, handlerNames, hasHandler, HandlerError, HealpyMap, registerHandler } from "./handlers/index.js";
export type { AssetHandler, HandlerOptions, HealpyMapData } from "./handlers/index.js";

// Configuration and the pipeline compiler.
export { loadConfig } from "./config/index.js";
export type { ConfigObject, ConfigValue, KeyPath, LoadedConfig, LoadOptions } from "./config/index.js";
export { compilePipeline } from "./graph/compile.js";
export type { CompiledPipeline } from "./graph/compile.js";
export { formatNodeId, parseNodeId } from "./graph/partition.js";
export type { Dim, Partition } from "./graph/partition.js";
export { renderDiagnostics } from "./diagnostics/render.js";
export type { Diagnostic, SourceLocation } from "./diagnostics/diagnostic.js";
export type { Result } from "./diagnostics/result.js";

// HEALPix numerics.
export * from "./healpix/nside.js";
export * from "./healpix/rings.js";
export * from "./healpix/alm.js";
export * from "./healpix/pixel.js";
export * from "./healpix/rng.js";
export * from "./healpix/seeds.js";
export * from "./healpix/synalm.js";
export * from "./healpix/beams.js";
export * from "./healpix/noise.js";
export * from "./healpix/stats.js";
export * from "./healpix/fft.js";
export * from "./healpix/sht.js";
export * from "./healpix/sht-spin2.js";
export * from "./healpix/spectra.js";
export * from "./healpix/synfast.js";
export * from "./healpix/smoothing.js";

// FITS I/O.
export * from "./fits/index.js";
