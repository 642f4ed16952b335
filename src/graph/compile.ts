/** Pipeline compiler: resolved config → stage graph → node graph. */
import type { LoadedConfig } from "../config/types.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { Result } from "../diagnostics/result.js";
import { err, ok } from "../diagnostics/result.js";
import type { NodeGraph } from "./node-graph.js";
import { expandNodes } from "./node-graph.js";
import type { CompileOptions, StageGraph } from "./stage-graph.js";
import { buildStageGraph } from "./stage-graph.js";

/** A compiled pipeline: its stages and their nodes. */
export interface CompiledPipeline {
  readonly stageGraph: StageGraph;
  readonly nodes: NodeGraph;
}

/** Compiles the pipeline of a loaded configuration; every problem is returned as a diagnostic. */
export function compilePipeline(
  config: Pick<LoadedConfig, "resolved" | "origin">,
  options: CompileOptions,
): Result<CompiledPipeline, Diagnostic[]> {
  const stageGraph = buildStageGraph(config, options);
  if (!stageGraph.ok) return stageGraph;
  const nodes = expandNodes(stageGraph.value);
  if (!nodes.ok) return err(nodes.error);
  return ok({ stageGraph: stageGraph.value, nodes: nodes.value });
}
