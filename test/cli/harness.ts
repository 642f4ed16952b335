/** Runs the CLI in-process against a temporary project folder, capturing its output. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { main } from "../../src/cli/main.js";
import type { FrameSink } from "../../src/cli/progress.js";

export const REPO = resolve(import.meta.dirname, "..", "..");

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A temporary project folder; `files` maps relative paths to contents. Removed by `cleanup`. */
export function tempProject(files: Record<string, string> = {}, copyDefaultCfg = false): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "cmbflow-test-"));
  if (copyDefaultCfg) cpSync(join(REPO, "cfg"), join(dir, "cfg"), { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `cmbflow <args>` in `cwd` with a clean environment and no colour; with `terminal`, as if stderr were a terminal drawing frames into it. */
export async function cli(cwd: string, args: readonly string[], env: Record<string, string> = {}, terminal?: FrameSink): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd,
    env: { ...env },
    color: false,
    terminal: terminal !== undefined,
    ...(terminal === undefined ? {} : { frames: () => Promise.resolve(terminal) }),
  });
  return { code, stdout, stderr };
}

/** A fake terminal: keeps every frame drawn. */
export function frameRecorder(): FrameSink & { readonly frames: string[]; persisted: boolean } {
  const frames: string[] = [];
  const sink = Object.assign((text: string) => void frames.push(text), {
    frames,
    persisted: false,
    clear: () => undefined,
    done: () => {
      sink.persisted = true;
    },
  });
  return sink;
}

/** A minimal config folder around a pipeline YAML text. */
export function pipelineProject(pipeline: string): Record<string, string> {
  return {
    "cfg/config.yaml": "defaults:\n  - splits: s\n  - pipeline: p\n  - _self_\n",
    "cfg/splits/s.yaml": 'name: "3-3"\nTrain:\n  n_sims: 3\nValid:\n  n_sims: 3\nTest:\n  n_sims: 3\n',
    "cfg/pipeline/p.yaml": pipeline,
  };
}
