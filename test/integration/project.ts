/** Runs the real CLI binary (dist/, built by `npm test`) in a temporary project folder. */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";

export const REPO = resolve(import.meta.dirname, "..", "..");

export interface Project {
  readonly dir: string;
  /** Runs the CLI; a run still going after `timeoutMs` (default 120 s) is killed and gives code -1. */
  run(args: readonly string[], env?: Record<string, string>, timeoutMs?: number): { code: number; stdout: string; stderr: string };
  /** Runs the CLI in `folder`, a folder under the project's (as a user inside the project would). */
  runIn(folder: string, args: readonly string[], env?: Record<string, string>): { code: number; stdout: string; stderr: string };
  write(path: string, text: string): void;
  cleanup(): void;
}

/**
 * A temporary ESM project with cmbflow in its node_modules (a link to this checkout, or to
 * `options.packageRoot`, whose bin/cmbflow.js then runs).
 */
export function makeProject(files: Record<string, string> = {}, options: { defaultCfg?: boolean; packageRoot?: string } = {}): Project {
  const dir = mkdtempSync(join(tmpdir(), "cmbflow-it-"));
  const packageRoot = options.packageRoot ?? REPO;
  const bin = join(packageRoot, "bin", "cmbflow.js");
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(packageRoot, join(dir, "node_modules", "cmbflow"));
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name: "user-project", private: true, type: "module" })}\n`);
  if (options.defaultCfg === true) cpSync(join(REPO, "cfg"), join(dir, "cfg"), { recursive: true });
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  for (const [path, text] of Object.entries(files)) write(path, text);
  const runAt = (cwd: string, args: readonly string[], env: Record<string, string>, timeoutMs: number): { code: number; stdout: string; stderr: string } => {
    const result = spawnSync(process.execPath, [bin, ...args], {
      cwd,
      encoding: "utf8",
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", NO_COLOR: "1", ...env },
      timeout: timeoutMs,
    });
    return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  };
  return {
    dir,
    write,
    runIn: (folder, args, env = {}) => runAt(join(dir, folder), args, env, 120_000),
    run(args, env = {}, timeoutMs = 120_000) {
      const result = spawnSync(process.execPath, [bin, ...args], {
        cwd: dir,
        encoding: "utf8",
        env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", NO_COLOR: "1", ...env },
        timeout: timeoutMs,
      });
      return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Every file under a dataset of a project folder except logs, with its content digest. */
export function outputs(dir: string, dataset = "jobs"): Record<string, string> {
  const root = join(dir, "data", dataset);
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) {
        if (entry !== "Logs") walk(path);
      } else {
        out[relative(root, path)] = createHash("sha256").update(readFileSync(path)).digest("hex");
      }
    }
  };
  walk(root);
  return out;
}

/** A run's totals, as `run --json` prints them. */
export interface Totals {
  ran: number;
  fresh: number;
  failed: number;
  skipped: number;
  restored: number;
}

/** The totals of `run --json`'s output. */
export const totals = (stdout: string): Totals => (JSON.parse(stdout) as { totals: Totals }).totals;
