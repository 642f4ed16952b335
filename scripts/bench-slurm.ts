/**
 * Slurm backend benchmark (issue 12 §4): the same runs through `--backend slurm` and through
 * worker threads, in the same invocation, on the cluster sinfo answers for (for the one-node
 * test cluster: scripts/slurm-local.sh start).
 *
 * - Trivial stage: 3 splits × N sims (default 200) of a node that writes one short line,
 *   `slurm.batch_size` nodes per array task when given, else the backend's default (spread
 *   over the partition's CPUs, at least 50 per task). Submission overhead per node is
 *   (Slurm run − threads run) / nodes, wall clock including process start.
 * - The default pipeline (nside 64) at the same 3 splits × N sims (the splits are set by
 *   overrides in the bench's own project, so cfg/ gets no big splits file), or at the size
 *   given third: a number of sims per split, or a cfg/splits file such as `10-10`. Its
 *   stages follow one another, so its overhead is a Slurm submission's latency per stage
 *   more than a cost per node.
 * Prints both times, the overhead per node and the Slurm calls the run made (from its
 * closing note), to show they grow with stages and batches, not with nodes.
 * Target: overhead ≤ 20 ms per node with packing. Uses the compiled CLI: `npm run build` first.
 *
 *   npx tsx scripts/bench-slurm.ts [sims-per-split=200] [batch-size|default] [default-pipeline-sims|splits-file]
 *
 * Environment: BENCH_ONLY=trivial|default runs one of the two.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { slurmAvailable } from "../src/backends/slurm/slurm-commands.js";

const sims = Number(process.argv[2] ?? 200);
// "" or "default": the backend's own packing.
const batch = process.argv[3] === undefined || process.argv[3] === "" || process.argv[3] === "default" ? undefined : Number(process.argv[3]);
if (!Number.isInteger(sims) || sims < 1) throw new Error(`sims-per-split must be a positive integer, not ${String(process.argv[2])}`);
if (batch !== undefined && (!Number.isInteger(batch) || batch < 1)) throw new Error(`batch-size must be a positive integer, not ${String(process.argv[3])}`);
const sizeArg = process.argv[4] ?? String(sims);
if (!/^[\w-]+$/.test(sizeArg)) throw new Error(`the default pipeline's size must be a number of sims per split or name a cfg/splits file, not ${sizeArg}`);
// A number: every split gets that many sims, by overrides of the embedded 3-3 splits.
const defaultSims = /^\d+$/.test(sizeArg) ? Number(sizeArg) : undefined;
const only = process.env["BENCH_ONLY"];
const cluster = await slurmAvailable();
if (!cluster.ok) throw new Error(`no Slurm cluster: ${cluster.why} (scripts/slurm-local.sh start)`);

const REPO = resolve(import.meta.dirname, "..");
const BIN = join(REPO, "bin", "cmbflow.js");
const POLL = ["+slurm.poll_min_ms=100", "+slurm.poll_max_ms=1000", ...(batch === undefined ? [] : [`+slurm.batch_size=${String(batch)}`])];

function project(files: Record<string, string>, defaultCfg = false): string {
  const dir = mkdtempSync(join(tmpdir(), "cmbflow-bench-slurm-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(REPO, join(dir, "node_modules", "cmbflow"));
  writeFileSync(join(dir, "package.json"), '{"name":"bench","private":true,"type":"module"}\n');
  if (defaultCfg) cpSync(join(REPO, "cfg"), join(dir, "cfg"), { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Wall time of one CLI run in `dir`, and the Slurm calls it reported. */
function timed(dir: string, args: readonly string[]): { seconds: number; calls: string; nodes: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, "run", "--json", ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`cmbflow run ${args.join(" ")} failed (${String(r.status)}):\n${r.stderr}`);
  const calls = /Slurm calls this run: (.*)$/m.exec(r.stderr)?.[1] ?? "none";
  const totals = (JSON.parse(r.stdout) as { totals: { ran: number } }).totals;
  return { seconds, calls, nodes: totals.ran };
}

const TRIVIAL = {
  "cfg/config.yaml": `defaults:\n  - pipeline: p\n  - _self_\ndataset_name: bench\nsplits:\n  name: s\n  Train: {n_sims: ${String(sims)}}\n  Valid: {n_sims: ${String(sims)}}\n  Test: {n_sims: ${String(sims)}}\n`,
  "cfg/pipeline/p.yaml": `line:\n  assets_out:\n    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/line.txt"}\n  dir_name: Line\n  executor: stages/line.ts#Line\n`,
  "stages/line.ts": `import { BaseStageExecutor, type NodeContext } from "cmbflow";\nexport class Line extends BaseStageExecutor {\n  async processSim(ctx: NodeContext): Promise<void> {\n    await ctx.output<string>("out").write(\`\${String(ctx.partition.split)} \${String(ctx.partition.sim)}\\n\`);\n  }\n}\n`,
};

const dirs: string[] = [];
try {
  const load = loadavg()[0]?.toFixed(1) ?? "?";
  console.log(`machine load (1 min) at start: ${load}; batch size: ${batch === undefined ? "default" : String(batch)}`);
  for (const [label, files, defaultCfg] of [
    [`trivial stage, 3 splits x ${String(sims)} sims`, TRIVIAL, false],
    [`default pipeline, nside 64, ${defaultSims === undefined ? `splits=${sizeArg}` : `3 splits x ${String(defaultSims)} sims`}`, {}, true],
  ] as const) {
    if (only !== undefined && only !== (defaultCfg ? "default" : "trivial")) continue;
    const extra = !defaultCfg
      ? []
      : defaultSims === undefined
        ? [`splits=${sizeArg}`]
        : [`splits.name=3x${String(defaultSims)}`, ...["Train", "Valid", "Test"].map((s) => `splits.${s}.n_sims=${String(defaultSims)}`)];
    const a = project(files, defaultCfg);
    const b = project(files, defaultCfg);
    dirs.push(a, b);
    const slurm = timed(a, ["--backend", "slurm", ...POLL, ...extra]);
    const threads = timed(b, [...POLL, ...extra]);
    const overhead = ((slurm.seconds - threads.seconds) * 1000) / slurm.nodes;
    console.log(`\n${label}: ${String(slurm.nodes)} nodes`);
    console.log(`  threads      ${threads.seconds.toFixed(2)} s`);
    console.log(`  slurm        ${slurm.seconds.toFixed(2)} s  (${(slurm.seconds / threads.seconds).toFixed(2)}x threads)`);
    console.log(`  overhead     ${overhead.toFixed(1)} ms per node (target <= 20)`);
    console.log(`  slurm calls  ${slurm.calls}`);
  }
  console.log(`\nmachine load (1 min) at end: ${loadavg()[0]?.toFixed(1) ?? "?"}`);
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
