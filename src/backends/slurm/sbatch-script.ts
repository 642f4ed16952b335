/**
 * The batch script of one submission: an array job named after the run (so one squeue or
 * sacct query by name covers the whole run), one array index per batch of nodes, each
 * running `cmbflow worker --manifest FILE --task $SLURM_ARRAY_TASK_ID`.
 */
import type { SlurmResources } from "./settings.js";

/** What a script is made from. */
export interface ScriptSpec {
  /** The job name: the run id. */
  readonly jobName: string;
  /** Array tasks (indices 0 .. tasks-1). */
  readonly tasks: number;
  /** `%N`: at most this many tasks at once. */
  readonly throttle?: number;
  /** Log file pattern (`%A` array job id, `%a` index); stdout and stderr both go there. */
  readonly log: string;
  readonly workDir: string;
  readonly resources: SlurmResources;
  /** The worker command, without the task index (appended as "$SLURM_ARRAY_TASK_ID"). */
  readonly command: readonly string[];
  /** A comment line naming what the job runs (stage, nodes). */
  readonly title: string;
  /** Jobs whose end the tasks wait for (`--dependency=afterany:...`): units of theirs are read first. */
  readonly afterJobs?: readonly string[];
}

/** The `--array` value, e.g. `0-11%4`. */
export function arraySpec(tasks: number, throttle: number | undefined): string {
  return `0-${String(tasks - 1)}${throttle === undefined ? "" : `%${String(throttle)}`}`;
}

/** The script text. */
export function sbatchScript(spec: ScriptSpec): string {
  const r = spec.resources;
  const lines = [
    "#!/bin/sh",
    `# cmbflow: ${spec.title}`,
    `#SBATCH --job-name=${spec.jobName}`,
    `#SBATCH --array=${arraySpec(spec.tasks, spec.throttle)}`,
    `#SBATCH --output=${spec.log}`,
    `#SBATCH --chdir=${spec.workDir}`,
    "#SBATCH --ntasks=1",
    ...(r.cpus === undefined ? [] : [`#SBATCH --cpus-per-task=${String(r.cpus)}`]),
    ...(r.mem === undefined ? [] : [`#SBATCH --mem=${r.mem}`]),
    ...(r.time === undefined ? [] : [`#SBATCH --time=${r.time}`]),
    ...(r.gpus === undefined ? [] : [`#SBATCH --gpus=${r.gpus}`]),
    ...(r.partition === undefined ? [] : [`#SBATCH --partition=${r.partition}`]),
    ...(r.account === undefined ? [] : [`#SBATCH --account=${r.account}`]),
    ...(r.qos === undefined ? [] : [`#SBATCH --qos=${r.qos}`]),
    ...(spec.afterJobs === undefined || spec.afterJobs.length === 0 ? [] : [`#SBATCH --dependency=afterany:${spec.afterJobs.join(":")}`]),
    ...(r.extra ?? []).map((arg) => `#SBATCH ${arg}`),
    `exec ${spec.command.map(shellQuote).join(" ")} "$SLURM_ARRAY_TASK_ID"`,
    "",
  ];
  return lines.join("\n");
}

/** One shell word, whatever the characters. */
export function shellQuote(word: string): string {
  return /^[\w./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
