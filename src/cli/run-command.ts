/** `cmbflow run`: runs the pipeline's stages over their nodes, with a log folder per run. */
import { join } from "node:path";
import type { Command } from "commander";
import pino from "pino";
import type { RunSummary } from "../core/pipeline-context.js";
import { PipelineContext, PrerunError } from "../core/pipeline-context.js";
import { LogMaker, newRunId } from "../core/log-maker.js";
import { moduleFileFor, parseExecutorRef } from "../core/executor-loader.js";
import type { RunEvent } from "../scheduler/events.js";
import type { CliIo } from "./io.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "./io.js";
import type { ConfigFlags } from "./load.js";
import { compileForCommand, withConfigOptions } from "./load.js";
import { relative } from "node:path";

interface RunFlags extends ConfigFlags {
  readonly json?: boolean;
  readonly quiet?: boolean;
}

/** Registers `run` on the program. */
export function runCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  const command = program
    .command("run")
    .description("run the pipeline")
    .option("--json", "print a JSON summary on stdout instead of progress lines")
    .option("-q, --quiet", "print only errors and the final line")
    .addHelpText(
      "after",
      `
Examples:
  cmbflow run                                 the default pipeline (splits 3-3, nside 64)
  cmbflow run splits=10-10 scenario=nside256  more and larger maps
  cmbflow run --config-name tutorial          CMB-ML's tutorial pipeline`,
    );
  withConfigOptions(command).action(async (overrides: string[], flags: RunFlags) => {
    done(await run(overrides, flags, io));
  });
}

async function run(overrides: readonly string[], flags: RunFlags, io: CliIo): Promise<number> {
  const compiled = await compileForCommand(overrides, flags, io);
  if (compiled === undefined) return EXIT_USAGE;
  const context = new PipelineContext(compiled.config, compiled.pipeline, compiled.projectDir, io.cwd);
  const added = await context.addPipesFromConfig();
  if (!added.ok) {
    for (const problem of added.error) io.stderr(`error: ${problem}\n`);
    return EXIT_USAGE;
  }
  try {
    context.prerunPipeline();
  } catch (caught) {
    if (!(caught instanceof PrerunError)) throw caught;
    for (const problem of caught.problems) io.stderr(`error: ${problem}\n`);
    io.stderr(`${String(caught.problems.length)} problem${caught.problems.length === 1 ? "" : "s"} found before running; nothing was run\n`);
    return EXIT_USAGE;
  }

  const base = context.namer.context;
  const datasetDir = join(String(base["root"]), String(base["dataset"]));
  const runId = newRunId();
  const stages = compiled.pipeline.stageGraph.order.map((name) => compiled.pipeline.stageGraph.stages.get(name));
  const codeEntries = stages.flatMap((s) => {
    if (s?.executor === undefined || s.executor === null) return [];
    const ref = parseExecutorRef(s.executor, compiled.projectDir);
    return ref.ok ? [ref.value.module.replace(/\.js$/, ".ts"), moduleFileFor(ref.value.module)] : [];
  });
  const logMaker = new LogMaker({ config: compiled.config, datasetDir, projectDir: compiled.projectDir, runId, codeEntries });
  await logMaker.start();
  const logger = pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: logMaker.logFile, sync: true }));
  const print = flags.json !== true && flags.quiet !== true;
  const shown = (path: string): string => (relative(io.cwd, path).startsWith("..") ? path : relative(io.cwd, path));
  if (print) io.stderr(`run ${runId}: log in ${shown(logMaker.runDir)}\n`);

  const onEvent = (event: RunEvent): void => {
    logger.info({ ...event, event: event.type, type: undefined });
    if (!print) {
      if (event.type === "node-failed") printFailure(event, io);
      return;
    }
    switch (event.type) {
      case "stage-finished":
        io.stderr(`  ${event.stage.padEnd(24)} ${String(event.ran).padStart(6)} ran${event.failed > 0 ? `, ${String(event.failed)} failed` : ""}  ${(event.durationMs / 1000).toFixed(2)} s\n`);
        break;
      case "node-failed":
        printFailure(event, io);
        break;
      case "warning":
        io.stderr(`warning: ${event.message}\n`);
        break;
      case "run-started":
      case "stage-started":
      case "node-started":
      case "node-finished":
      case "run-finished":
        break;
    }
  };

  let summary: RunSummary;
  try {
    summary = await context.runPipeline({ onEvent });
  } finally {
    logger.flush();
  }
  await logMaker.finish({ runId, ...summary });
  for (const s of stages) {
    if (s?.makeStageLog === true) await logMaker.copyToStage(context.namer.path("{root}/{dataset}/{working}{stage}", { stage: s.dirName }));
  }

  if (flags.json === true) {
    io.stdout(
      `${JSON.stringify(
        {
          run_id: runId,
          outcome: summary.outcome,
          stages: summary.stages.map((s) => ({ name: s.name, ran: s.ran, fresh: 0, restored: 0, failed: s.failed })),
          totals: { ran: summary.ran, fresh: 0, restored: 0, failed: summary.failed.length },
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
    if (flags.json !== true) io.stderr(`done: ${String(summary.ran)} nodes ran in ${seconds} s; outputs in ${shown(datasetDir)}\n`);
    return EXIT_OK;
  }
  io.stderr(`failed: ${String(summary.failed.length)} node${summary.failed.length === 1 ? "" : "s"} failed, ${String(summary.ran)} ran, in ${seconds} s; log in ${shown(logMaker.runDir)}\n`);
  return EXIT_FAILED;
}

/** The failure with the stage's own stack (frames inside cmbflow's runtime and Node's internals left out). */
function printFailure(event: Extract<RunEvent, { type: "node-failed" }>, io: CliIo): void {
  const { failure } = event;
  io.stderr(`error: stage "${failure.stage}" failed at node ${failure.nodeId}: ${failure.message}\n`);
  const frames = (failure.stack ?? "")
    .split("\n")
    .slice(1)
    .filter((line) => line.trim().startsWith("at ") && !/node:internal|\/core\/(run-node|pipeline-context)\.[jt]s/.test(line));
  for (const frame of frames) io.stderr(`    ${frame.trim()}\n`);
}
