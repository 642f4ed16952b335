/**
 * `cmbflow worker --manifest FILE --task N`: what a Slurm array task runs. Not for users to
 * call: the coordinator writes the manifest and reads the result files back.
 */
import type { Command } from "commander";
import { runManifestTask } from "../backends/slurm/task-entry.js";
import type { CliIo } from "./io.js";
import { EXIT_FAILED, EXIT_USAGE } from "./io.js";

interface WorkerFlags {
  readonly manifest: string;
  readonly task: string;
}

/** Registers the worker command. */
export function workerCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command("worker")
    .description("run one Slurm array task's nodes from a manifest the coordinator wrote (started by sbatch, not by hand)")
    .requiredOption("--manifest <file>", "the submission's manifest")
    .requiredOption("--task <n>", "the array index ($SLURM_ARRAY_TASK_ID)")
    .action(async (flags: WorkerFlags) => {
      if (!/^\d+$/.test(flags.task)) {
        io.stderr(`error: --task must be an array index (0 or more), not "${flags.task}"\n`);
        done(EXIT_USAGE);
        return;
      }
      try {
        done(await runManifestTask(flags.manifest, Number(flags.task), io.stderr));
      } catch (caught) {
        io.stderr(`error: ${caught instanceof Error ? caught.message : String(caught)}\n`);
        done(EXIT_FAILED);
      }
    });
}
