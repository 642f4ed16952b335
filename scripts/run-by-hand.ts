/**
 * A top-level script that builds a PipelineContext by hand, as CMB-ML's tutorials do, instead
 * of letting `cmbflow run` build it from the executor keys: the tutorial pipeline, with the
 * executors imported directly.
 *
 *   npx tsx scripts/run-by-hand.ts [overrides...]      e.g. splits=1-1
 */
import { resolve } from "node:path";
import { renderDiagnostics } from "../src/diagnostics/render.js";
import { PipelineContext } from "../src/core/pipeline-context.js";
import { MakeCmbExecutor } from "../src/stages/make-cmb.js";
import { MapMinMaxExecutor } from "../src/stages/map-min-max.js";
import { PsSetupExecutor } from "../src/stages/ps-setup.js";

const loaded = await PipelineContext.fromConfig({
  configDir: resolve(import.meta.dirname, "..", "cfg"),
  configName: "tutorial",
  overrides: process.argv.slice(2),
});
if (!loaded.ok) {
  process.stderr.write(renderDiagnostics(loaded.error, { cwd: process.cwd() }));
  process.exitCode = 2;
} else {
  const pipeline = loaded.value;
  pipeline.addPipe(PsSetupExecutor, "ps_setup").addPipe(MakeCmbExecutor, "ps2map").addPipe(MapMinMaxExecutor, "get_map_min_max");
  pipeline.prerunPipeline();
  const summary = await pipeline.runPipeline({
    onEvent: (event) => {
      if (event.type === "stage-finished") process.stdout.write(`${event.stage}: ${String(event.counts.ran)} nodes\n`);
      if (event.type === "node-failed") process.stderr.write(`${event.failure.nodeId}: ${event.failure.message}\n`);
    },
  });
  process.stdout.write(`${summary.outcome}: ${String(summary.ran)} nodes in ${(summary.durationMs / 1000).toFixed(2)} s\n`);
  process.exitCode = summary.outcome === "success" ? 0 : 1;
}
