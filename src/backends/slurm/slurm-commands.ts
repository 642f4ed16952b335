/**
 * Slurm's command-line tools as the backend uses them, behind one small interface so tests
 * can count or fake the calls. Every call is counted by tool: the backend's promise is a
 * number of sbatch / squeue / sacct / scontrol / scancel / sinfo calls per run of O(stages + batches),
 * not O(nodes).
 */
import { execFile } from "node:child_process";

/** The tools called. */
export type SlurmTool = "sbatch" | "squeue" | "sacct" | "scontrol" | "scancel" | "sinfo";

/** What a call printed and how it ended. */
export interface ToolOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs Slurm's tools. */
export interface SlurmCommands {
  run(tool: SlurmTool, args: readonly string[]): Promise<ToolOutput>;
  /** Calls made so far, per tool. */
  readonly calls: Readonly<Record<SlurmTool, number>>;
}

/** The tools on this machine's PATH. */
export class SystemSlurmCommands implements SlurmCommands {
  readonly calls: Record<SlurmTool, number> = { sbatch: 0, squeue: 0, sacct: 0, scontrol: 0, scancel: 0, sinfo: 0 };

  run(tool: SlurmTool, args: readonly string[]): Promise<ToolOutput> {
    this.calls[tool]++;
    return new Promise((resolve) => {
      execFile(tool, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof (error as { code?: unknown }).code === "number" ? ((error as { code: number }).code) : 127;
        resolve({ code, stdout, stderr: error !== null && stderr === "" ? error.message : stderr });
      });
    });
  }
}

/** Whether Slurm answers here: sinfo runs and shows a node that can take work (for tests and the dry run). */
export function slurmAvailable(): Promise<{ readonly ok: true } | { readonly ok: false; readonly why: string }> {
  return new Promise((resolve) => {
    execFile("sinfo", ["-h", "-o", "%T"], (error, stdout) => {
      if (error !== null) {
        resolve({ ok: false, why: (error as { code?: unknown }).code === "ENOENT" ? "sinfo is not installed" : `sinfo failed: ${error.message.trim()}` });
        return;
      }
      const states = stdout.split("\n").filter((s) => s.trim() !== "");
      resolve(states.some((s) => /^(idle|mixed|allocated|completing)/.test(s)) ? { ok: true } : { ok: false, why: `no Slurm node takes work (sinfo: ${states.join(", ") || "no nodes"})` });
    });
  });
}
