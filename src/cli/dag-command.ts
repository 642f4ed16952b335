/** `cmbflow dag`: the pipeline's stage graph (or node graph) as ASCII, DOT, Mermaid or JSON. */
import type { Command } from "commander";
import { Option } from "commander";
import { collapsedNodes, nodeIds } from "../graph/node-summary.js";
import { renderAscii } from "../graph/render-ascii.js";
import { renderDot, renderNodeDot } from "../graph/render-dot.js";
import { renderJson } from "../graph/render-json.js";
import { renderMermaid, renderNodeMermaid } from "../graph/render-mermaid.js";
import { eachVariant } from "./run-command.js";
import type { CliIo } from "./io.js";
import { EXIT_OK, EXIT_USAGE } from "./io.js";
import type { ConfigFlags } from "./load.js";
import { compileForCommand, withConfigOptions } from "./load.js";

interface DagFlags extends ConfigFlags {
  readonly ascii?: boolean;
  readonly dot?: boolean;
  readonly mermaid?: boolean;
  readonly json?: boolean;
  readonly nodes?: boolean;
  readonly collapse: boolean;
}

const FORMATS = ["ascii", "dot", "mermaid", "json"] as const;

/** Registers `dag` on the program; `run` receives the exit code. */
export function dagCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  const command = program
    .command("dag")
    .description("draw the pipeline: stages and the assets between them")
    .addOption(new Option("--ascii", "boxes and edges, like dvc dag (default)").conflicts(["dot", "mermaid", "json"]))
    .addOption(new Option("--dot", "Graphviz DOT").conflicts(["mermaid", "json"]))
    .addOption(new Option("--mermaid", "Mermaid flowchart").conflicts(["json"]))
    .option("--json", "stages, edges (and with --nodes, nodes) as JSON")
    .option("--nodes", "show stage × partition nodes instead of stages")
    .option("--no-collapse", "with --nodes, list every node instead of sim ranges")
    .addHelpText(
      "after",
      `
Examples:
  cmbflow dag                         the default pipeline as boxes
  cmbflow dag --dot | dot -Tsvg > dag.svg
  cmbflow dag --nodes splits=1-1      one line per stage with its nodes
  cmbflow dag --json --nodes          everything, for tools`,
    );
  command.option("-m, --multirun", "over a sweep: once per combination of the overrides' values (a,b  range(1,4)  glob(nside*)), each under a header");
  withConfigOptions(command).action(async (overrides: string[], flags: DagFlags & { readonly multirun?: boolean }) => {
    done(flags.multirun === true ? await eachVariant(overrides, flags, io, (variant) => dag(variant, flags, io)) : await dag(overrides, flags, io));
  });
}

async function dag(overrides: readonly string[], flags: DagFlags, io: CliIo): Promise<number> {
  const compiled = await compileForCommand(overrides, flags, io);
  if (compiled === undefined) return EXIT_USAGE;
  const { pipeline } = compiled;
  const nodes = flags.nodes === true;
  const format = FORMATS.find((f) => flags[f] === true) ?? "ascii";
  switch (format) {
    case "json":
      io.stdout(`${JSON.stringify(renderJson(pipeline, nodes), null, 2)}\n`);
      break;
    case "dot":
      io.stdout(nodes ? renderNodeDot(pipeline) : renderDot(pipeline));
      break;
    case "mermaid":
      io.stdout(nodes ? renderNodeMermaid(pipeline) : renderMermaid(pipeline));
      break;
    case "ascii":
      if (!nodes) {
        io.stdout(renderAscii(pipeline));
        break;
      }
      {
        const width = Math.max(...pipeline.nodes.stages.map((s) => s.stage.name.length));
        for (const stage of pipeline.nodes.stages) {
          if (flags.collapse) {
            io.stdout(`${stage.stage.name.padEnd(width)}  ${collapsedNodes(stage)}\n`);
          } else {
            io.stdout(`${stage.stage.name} (${String(stage.count)})\n`);
            for (const id of nodeIds(pipeline.nodes, stage)) io.stdout(`  ${id}\n`);
          }
        }
      }
      break;
  }
  return EXIT_OK;
}
