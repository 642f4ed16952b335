/**
 * Start-up benchmark (issue 16, "start-up"): what a command costs before and around its work,
 * against a bare Node.js process and a Python process importing healpy, in the same run.
 *
 * - `node -e 0`: the floor any Node.js CLI pays;
 * - `python3 -c "import healpy"`: what a healpy script pays before its first map;
 * - `cmbflow --version`, and `cmbflow dag` (configuration loaded and compiled);
 * - a no-op `run` of a one-node TypeScript project (every node fresh);
 * - a forced one-node `run` at -j 1 (worker thread start, the stage's TypeScript loaded, one
 *   trivial node), and the same with -j 2 over two nodes.
 * Each is the best of `repeats` runs (wall clock, including process start).
 *
 *   npx tsx scripts/bench-startup.ts [repeats=5]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";

const repeats = Number(process.argv[2] ?? 5);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`repeats must be a positive integer, not ${String(process.argv[2])}`);
const REPO = resolve(import.meta.dirname, "..");
const BIN = join(REPO, "bin", "cmbflow.js");
const dir = mkdtempSync(join(tmpdir(), "cmbflow-bench-startup-"));

function write(path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

mkdirSync(join(dir, "node_modules"));
symlinkSync(REPO, join(dir, "node_modules", "cmbflow"));
write("package.json", `${JSON.stringify({ name: "bench-startup", private: true, type: "module" })}\n`);
write("cfg/config.yaml", "defaults:\n  - pipeline: one\n  - _self_\ndataset_name: startup\nseed: 1\nsplits:\n  name: one\n  Train:\n    n_sims: 2\n");
write(
  "cfg/pipeline/one.yaml",
  'touch:\n  assets_out:\n    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}\n  dir_name: Touch\n  executor: stages/touch.ts#Touch\n',
);
write(
  "stages/touch.ts",
  'import { BaseStageExecutor, type NodeContext } from "cmbflow";\n\nexport class Touch extends BaseStageExecutor {\n  async processSim(ctx: NodeContext): Promise<void> {\n    await ctx.output<string>("out").write(`${ctx.nodeId}\\n`);\n  }\n}\n',
);

function best(command: string, argv: readonly string[]): number {
  let ms = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    const r = spawnSync(command, argv, { cwd: dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    const took = performance.now() - t;
    if (r.status !== 0) throw new Error(`${command} ${argv.join(" ")} exited ${String(r.status)}:\n${r.stderr}`);
    ms = Math.min(ms, took);
  }
  return ms;
}

try {
  console.log(`start-up benchmark, best of ${String(repeats)}, load ${loadavg()[0]?.toFixed(2) ?? "?"}, in ${dir}`);
  const cli = (...argv: string[]): number => best(process.execPath, [BIN, ...argv]);
  const rows: [string, number][] = [];
  rows.push(["node -e 0", best(process.execPath, ["-e", "0"])]);
  rows.push(['python3 -c "import healpy"', best("/usr/bin/python3", ["-c", "import healpy"])]);
  rows.push(["cmbflow --version", cli("--version")]);
  cli("run", "-q", "-j", "1"); // fills the cache and the memos
  rows.push(["cmbflow dag", cli("dag")]);
  rows.push(["cmbflow run (no-op, 2 nodes)", cli("run", "-q", "-j", "1")]);
  rows.push(["cmbflow run --force-all -j 1 --sims Train:0", cli("run", "-q", "--force-all", "-j", "1", "--sims", "Train:0")]);
  rows.push(["cmbflow run --force-all -j 2 (2 nodes)", cli("run", "-q", "--force-all", "-j", "2")]);
  const floor = rows[0]?.[1] ?? 1;
  for (const [what, ms] of rows) console.log(`${what.padEnd(46)} ${ms.toFixed(0).padStart(6)} ms   ${(ms / floor).toFixed(1).padStart(5)}× node -e 0`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
