/** Where a command works: the project folder. Imports nothing but Node's own (bin/cmbflow.js uses it before the CLI loads). */
import { statSync } from "node:fs";
import { dirname, join } from "node:path";
import { startStatPrefetch } from "../cache/stat-prefetch.js";

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

/** Commands that judge nodes by their outputs' stats (see cache/stat-prefetch.ts). */
const JUDGING_COMMANDS = new Set(["run", "status", "explain"]);

/**
 * Work worth starting before the CLI's modules load (about a quarter of a second): for a
 * command that judges nodes, stat the files of the digest memo on another thread.
 */
export function startEarly(argv: readonly string[], cwd: string): void {
  if (!JUDGING_COMMANDS.has(argv[0] ?? "")) return;
  try {
    startStatPrefetch(join(projectFolder(cwd, argv), "cache"));
  } catch {
    // A hint only: the command stats as usual.
  }
}
