/**
 * The CLI as a Slurm array task starts it: `cmbflow worker --manifest FILE --task N` and
 * nothing else. bin/cmbflow.js comes here instead of main.ts for `worker`, because loading
 * every command (the run, report and view commands and what they import) cost each task about
 * a third of a second before its first node, and a pipeline of many stages starts many tasks.
 * Usage errors read as the full CLI's do.
 */
import { Command, CommanderError } from "commander";
import type { CliIo } from "./io.js";
import { EXIT_OK, EXIT_USAGE, processIo } from "./io.js";
import { workerCommand } from "./worker-command.js";

/** Runs `worker` on `argv` (without node and script, starting with "worker") and returns the exit code. */
export async function workerMain(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let code: number = EXIT_OK;
  const program = new Command("cmbflow").exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  workerCommand(program, io, (c) => {
    code = c;
  });
  for (const sub of program.commands) sub.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (caught) {
    if (!(caught instanceof CommanderError)) throw caught;
    return caught.code === "commander.helpDisplayed" || caught.code === "commander.help" ? EXIT_OK : EXIT_USAGE;
  }
  return code;
}
