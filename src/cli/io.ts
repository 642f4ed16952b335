import type { FrameSink } from "./progress.js";

/** What a command may touch of the outside world, passed in so tests can run commands in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The project folder: relative config and data paths resolve against it. */
  readonly cwd: string;
  /**
   * The folder the command was started in, when it is not the project folder (a subfolder of
   * the project): paths the user types as arguments resolve against it.
   */
  readonly here?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Colour escape codes on stderr (off with NO_COLOR or when stderr is not a terminal). */
  readonly color: boolean;
  /** stderr is a terminal: `run` shows a live display there instead of plain lines. */
  readonly terminal: boolean;
  /** Makes the sink the live display draws into (log-update on stderr, loaded only when a display is shown). */
  readonly frames?: () => Promise<FrameSink>;
}

/**
 * The real process's streams and environment. A stream whose reader went away
 * (`cmbflow run | head -1`) is written to no more: its EPIPE must not end a run half-way,
 * holding the lock with nodes unrecorded.
 */
export function processIo(): CliIo {
  const open = { stdout: true, stderr: true };
  for (const name of ["stdout", "stderr"] as const) {
    process[name].on("error", () => {
      open[name] = false;
    });
  }
  return {
    stdout: (text) => open.stdout && process.stdout.write(text),
    stderr: (text) => open.stderr && process.stderr.write(text),
    cwd: process.cwd(),
    env: process.env,
    color: process.stderr.isTTY && process.env["NO_COLOR"] === undefined,
    terminal: process.stderr.isTTY,
    frames: async () => (await import("log-update")).createLogUpdate(process.stderr),
  };
}

/** Exit codes: 0 success, 1 the command ran and found something (failures, staleness), 2 bad input. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** A run stopped by a signal exits 128 + the signal's number, as shells report it: 130 for Ctrl-C (SIGINT), 143 for SIGTERM. */
export function exitForSignal(signal: "SIGINT" | "SIGTERM"): number {
  return signal === "SIGINT" ? 130 : 143;
}
