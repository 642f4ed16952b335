/** A small compiled pipeline for scheduler tests: a → b per sim (Train sims, 3 by default), and a reduction r over b. */
import { compilePipeline } from "../../src/graph/compile.js";
import type { NodeGraph } from "../../src/graph/node-graph.js";
import { fromYaml, HANDLERS } from "../graph/fixture.js";

export const schedulerPipeline = (sims: number): string => `
splits:
  name: "n"
  Train: {n_sims: ${String(sims)}}
pipeline:
  a:
    assets_out:
      m: {handler: HealpyMap, path_template: "{root}/{stage}/{split}/{sim}/a.fits"}
    dir_name: A
  b:
    assets_out:
      m: {handler: HealpyMap, path_template: "{root}/{stage}/{split}/{sim}/b.fits"}
    assets_in:
      m: {stage: a}
    dir_name: B
  r:
    assets_out:
      s: {handler: Config, path_template: "{root}/{stage}/r.yaml"}
    assets_in:
      m: {stage: b}
    dir_name: R
`;

export function schedulerGraph(sims = 3): NodeGraph {
  const compiled = compilePipeline(fromYaml(schedulerPipeline(sims)), { handlers: HANDLERS });
  if (!compiled.ok) throw new Error(compiled.error.map((d) => d.message).join("\n"));
  return compiled.value.nodes;
}
