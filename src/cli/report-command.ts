/**
 * `cmbflow report [-o report.html]`: one self-contained HTML file about the latest run of the
 * configured dataset — the DAG coloured by what each stage did, each stage's nodes with their
 * status, duration, peak memory, outputs and the outputs' provenance, per-stage timing bars,
 * every figure, and the configuration's changes since the previous run.
 */
import { existsSync, statSync } from "node:fs";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { CacheEngine, cacheSettings } from "../cache/engine.js";
import { PACKAGE_ROOT } from "../core/executor-loader.js";
import { namerBase } from "../core/namer-base.js";
import { assertNever } from "../diagnostics/result.js";
import { collectReport } from "../report/collect-report.js";
import { renderReport } from "../report/render-html.js";
import type { CliIo } from "./io.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "./io.js";
import type { ConfigFlags } from "./load.js";
import { compileForCommand, withConfigOptions } from "./load.js";
import { DEFAULT_TREE_LIMITS, renderProvenanceText, traceProvenance } from "./provenance-command.js";
import { cacheDirFor } from "./run-command.js";

interface ReportFlags extends ConfigFlags {
  readonly output: string;
}

/** Registers `report` on the program. */
export function reportCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  const command = program
    .command("report")
    .description("write an HTML report of the dataset's latest run: DAG, nodes with time and memory, timing, figures, config changes, provenance")
    .option("-o, --output <file>", "the HTML file to write", "report.html")
    .addHelpText(
      "after",
      `
The report is about the latest run of the dataset the configuration names, so pass the
overrides the run had. The file needs nothing else to open: no network, no other files.

Examples:
  cmbflow report                              report.html about the default configuration's latest run
  cmbflow report scenario=nside64 -o nside64.html   another file; overrides name the dataset as for run`,
    );
  withConfigOptions(command).action(async (overrides: string[], flags: ReportFlags) => {
    done(await report(overrides, flags, io));
  });
}

async function report(overrides: readonly string[], flags: ReportFlags, io: CliIo): Promise<number> {
  const target = resolve(io.here ?? io.cwd, flags.output);
  const shown = (path: string): string => (relative(io.here ?? io.cwd, path).startsWith("..") ? path : relative(io.here ?? io.cwd, path));
  // Checked before any work: a report that cannot be written is not worth making.
  const problem = outputProblem(target);
  if (problem !== undefined) {
    io.stderr(`error: -o ${flags.output}: ${problem}\n`);
    return EXIT_USAGE;
  }
  const compiled = await compileForCommand(overrides, flags, io);
  if (compiled === undefined) return EXIT_USAGE;
  const base = namerBase(compiled.config.resolved, io.cwd);
  const datasetDir = resolve(base["root"] ?? "data", base["dataset"] ?? "dataset");
  const engine = await CacheEngine.open({ cacheDir: cacheDirFor(io), workDir: io.cwd, mode: "read", settings: cacheSettings(compiled.config.resolved) });
  try {
    const collected = await collectReport({
      pipeline: compiled.pipeline,
      datasetDir,
      records: engine.store.entries(),
      absolutePath: (p) => engine.absolutePath(p),
      provenanceOf: async (path) => {
        const traced = await traceProvenance(engine, path);
        return traced.ok ? renderProvenanceText(traced.value, DEFAULT_TREE_LIMITS, io) : undefined;
      },
      version: await version(),
    });
    if (!collected.ok) {
      switch (collected.error.reason) {
        case "no-run":
          io.stderr(`error: no run of dataset ${base["dataset"] ?? ""} yet: ${shown(collected.error.logsDir)} holds no run folder (cmbflow run makes one; give report the overrides the run had)\n`);
          return EXIT_FAILED;
        default:
          return assertNever(collected.error.reason);
      }
    }
    // Through a temporary file, so a reader never opens half a report.
    const temporary = join(dirname(target), `.${basename(target)}.tmp-${String(process.pid)}`);
    try {
      await writeFile(temporary, renderReport(collected.value));
      await rename(temporary, target);
    } catch (caught) {
      await rm(temporary, { force: true });
      io.stderr(`error: ${shown(target)} could not be written: ${caught instanceof Error ? caught.message : String(caught)}\n`);
      return EXIT_FAILED;
    }
    io.stdout(`report of run ${collected.value.runId} written to ${shown(target)}\n`);
    return EXIT_OK;
  } finally {
    await engine.close();
  }
}

/** Why the report cannot be written at `path`, or undefined. */
function outputProblem(path: string): string | undefined {
  if (existsSync(path) && statSync(path).isDirectory()) return `${path} is a folder; name a file, e.g. ${join(path, "report.html")}`;
  const parent = dirname(path);
  if (!existsSync(parent)) return `the folder ${parent} does not exist`;
  if (!statSync(parent).isDirectory()) return `${parent} is not a folder`;
  return undefined;
}

async function version(): Promise<string> {
  const text = await readFile(join(PACKAGE_ROOT, "package.json"), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}
