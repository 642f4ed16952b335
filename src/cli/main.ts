/**
 * Command-line entry point: parses arguments with commander, dispatches to a command, and
 * returns the exit code (0 ok, 1 the command found failures or staleness, 2 bad input).
 * Only this module decides exit codes; commands write through the CliIo they are given.
 */
import { statSync } from "node:fs";
import { dirname, join } from "node:path";
import { Command, CommanderError } from "commander";
import { configCommand } from "./config-command.js";
import { dagCommand } from "./dag-command.js";
import { cacheCommand } from "./cache-command.js";
import { explainCommand } from "./explain-command.js";
import { provenanceCommand } from "./provenance-command.js";
import { reportCommand } from "./report-command.js";
import { runCommand } from "./run-command.js";
import { statusCommand } from "./status-command.js";
import { workerCommand } from "./worker-command.js";
import { viewCommand } from "./view-command.js";
import type { CliIo } from "./io.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, processIo } from "./io.js";
import { fileFailureText } from "../cache/cache-file-error.js";
import { chooseKernel, kernelDescription } from "../healpix/legendre-native.js";

/**
 * The project folder for a command started in `cwd`: the nearest folder at or above it that
 * holds a `cfg/` folder (as git looks upward for `.git`), or `cwd` itself when none does or when
 * `--config-dir` says where the configuration is.
 */
export function projectFolder(cwd: string, argv: readonly string[]): string {
  if (argv.some((a) => a === "--config-dir" || a.startsWith("--config-dir="))) return cwd;
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (statSync(join(dir, "cfg"), { throwIfNoEntry: false })?.isDirectory() === true) return dir;
    if (dirname(dir) === dir) return cwd;
  }
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], given: CliIo = processIo()): Promise<number> {
  const project = projectFolder(given.cwd, argv);
  // Data, cache and executor paths belong to the project, wherever in it the command starts.
  const io: CliIo = project === given.cwd ? given : { ...given, cwd: project, here: given.cwd };
  if (project !== given.cwd) given.stderr(`note: in the project at ${project} (the nearest folder above with a cfg/)\n`);
  let code: number = EXIT_OK;
  const done = (c: number): void => {
    code = c;
  };
  const program = new Command("cmbflow")
    .description("Run simulation pipelines on the sphere as a cached DAG of stage × simulation nodes.")
    .version(`${await version()}\n${kernelDescription(chooseKernel(io.env))}`, "-V, --version")
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .addHelpText(
      "after",
      `
Examples:
  cmbflow run                      run the default pipeline
  cmbflow dag                      draw the default pipeline
  cmbflow config --package splits  show the composed splits config
  cmbflow dag splits=10-10 --nodes every stage's nodes for 10 sims per split`,
    );
  program.configureHelp({ sortSubcommands: false });
  for (const register of [runCommand, statusCommand, explainCommand, provenanceCommand, dagCommand, configCommand, cacheCommand, workerCommand, reportCommand, viewCommand]) register(program, io, done);
  // Every subcommand reports usage errors the same way as the program.
  for (const sub of program.commands) sub.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr }).showSuggestionAfterError();

  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (caught) {
    if (caught instanceof CommanderError) {
      // Help and version "errors" are how commander stops after printing them.
      if (caught.code === "commander.helpDisplayed" || caught.code === "commander.version" || caught.code === "commander.help") return EXIT_OK;
      return EXIT_USAGE;
    }
    // Any command: a failure on a file cmbflow itself reads or writes (a damaged cache, a full
    // disk) is one line naming the file; anything else is a bug and keeps its stack.
    const text = fileFailureText(caught);
    if (text === undefined) throw caught;
    io.stderr(`error: ${text}\n`);
    return EXIT_FAILED;
  }
  if (argv.length === 0) {
    io.stdout(program.helpInformation());
  }
  return code;
}

async function version(): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  const text = await readFile(new URL("../../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}
