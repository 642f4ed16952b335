/** Shared test helpers for the handler suites: temporary folders, the numpy goldens, and Python. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The reference interpreter; tests that need it are skipped with this reason when it is missing. */
export const PYTHON = "/usr/bin/python3";

const probe = spawnSync(PYTHON, ["-c", "import numpy"], { encoding: "utf8" });
/** True when `/usr/bin/python3` can import numpy. */
export const hasNumpy = probe.status === 0;
/** Why the Python interop tests are skipped, shown in the suite name. */
export const numpySkipReason = hasNumpy ? "" : ` (skipped: ${PYTHON} with numpy not available)`;

/** Runs a Python snippet with `args` as `sys.argv[1:]`; returns stdout, throws with stderr on failure. */
export function runPython(code: string, args: readonly string[] = []): string {
  const result = spawnSync(PYTHON, ["-c", code, ...args], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`python failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

/** A fresh temporary folder and a function that removes it. */
export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "cmbflow-handlers-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Folder of the handler fixtures. */
export const FIXTURES = join(import.meta.dirname, "..", "fixtures", "handlers");

/** One entry of `numpy-goldens.json` (written by scripts/goldens/npy.py). */
export interface GoldenEntry {
  readonly file: string;
  readonly descr?: string;
  readonly shape: number[];
  readonly fortran?: boolean;
  readonly writable?: boolean;
  /** Values in C order as Python reprs of float64 values. */
  readonly values: string[];
}

/** The golden manifest. */
export interface GoldenManifest {
  readonly numpy: string;
  readonly npy: Record<string, GoldenEntry>;
  readonly savetxt: Record<string, GoldenEntry>;
}

export const goldens = JSON.parse(readFileSync(join(FIXTURES, "numpy-goldens.json"), "utf8")) as GoldenManifest;

/** Parses a Python float repr (`nan`, `inf`, `-inf`, `-0.0`, `1e-300`, …). */
export function pyFloat(text: string): number {
  if (text === "nan") return Number.NaN;
  if (text === "inf") return Infinity;
  if (text === "-inf") return -Infinity;
  return Number(text);
}

/** Bitwise equality of two number lists (NaN equals NaN, -0 differs from 0). */
export function sameNumbers(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
