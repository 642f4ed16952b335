/**
 * No-op benchmark (issue 5 §7): how long cmbflow takes to find that nothing needs to run,
 * against `snakemake -n` (Debian's snakemake) on an equivalent workflow, measured in the same run.
 *
 * In a temporary folder, builds a user project of 3 stages × N trivial per-sim nodes (one
 * split, Train, of N sims; a → b → c, each writing a one-line text file per sim), runs it once
 * to fill the cache (timed), then times, best of 3, wall clock including process start:
 * - `cmbflow status` (skipped, and said so, while `status` is not a command);
 * - a no-op `cmbflow run` (everything fresh; checked with `--json` first), which takes the
 *   freshness snapshot (cache/fresh-snapshot.ts), and the same run with the snapshots removed
 *   first, which judges every node from the state store;
 * - `snakemake -n` on a Snakefile with rules a, b, c over the same sims, whose outputs are
 *   written directly with increasing mtimes (a < b < c), so snakemake finds nothing to do.
 *   (Running the 3N jobs through snakemake instead takes about 0.7 s per job here.)
 * Targets: the no-op run ≤ 1 s and ≥ 10× faster than `snakemake -n` (issue 11; issue 5 asked 5×).
 *
 * Uses the compiled CLI: run `npm run build` first.
 *
 *   npx tsx scripts/bench-noop.ts [sims=10000] [--profile] [--keep]
 *
 * --profile runs the no-op `cmbflow run` once more under `node --cpu-prof` and prints the
 * functions with the most self time; --keep leaves the temporary folder in place.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";

const args = process.argv.slice(2);
const sims = Number(args.find((a) => !a.startsWith("--")) ?? 10_000);
const profile = args.includes("--profile");
const keep = args.includes("--keep");
if (!Number.isInteger(sims) || sims < 1) throw new Error(`sims must be a positive integer, not ${String(args[0])}`);

const REPO = resolve(import.meta.dirname, "..");
const BIN = join(REPO, "bin", "cmbflow.js");
const root = mkdtempSync(join(tmpdir(), "cmbflow-bench-noop-"));
const project = join(root, "cmbflow");
const smk = join(root, "snakemake");
const simName = (sim: number): string => `sim${String(sim).padStart(4, "0")}`;

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** The same text both tools write: a, then b from a, then c from b. */
const textA = (sim: number): string => `a ${String(sim)}\n`;
const textB = (sim: number): string => textA(sim).toUpperCase();
const textC = (sim: number): string => `${textB(sim)}!\n`;

function stageModule(name: string, body: string): string {
  return `import { BaseStageExecutor, type NodeContext } from "cmbflow";

export class ${name} extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
${body}
  }
}
`;
}

function makeCmbflowProject(): void {
  mkdirSync(join(project, "node_modules"), { recursive: true });
  symlinkSync(REPO, join(project, "node_modules", "cmbflow"));
  write(join(project, "package.json"), `${JSON.stringify({ name: "bench-noop", private: true, type: "module" })}\n`);
  write(join(project, "cfg", "config.yaml"), "defaults:\n  - splits: bench\n  - pipeline: noop\n  - _self_\ndataset_name: noop\nseed: 1\n");
  write(join(project, "cfg", "splits", "bench.yaml"), `name: bench\nTrain:\n  n_sims: ${String(sims)}\n`);
  const stage = (name: string, dir: string, file: string, input?: string): string =>
    `${name}:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/${file}"}
${input === undefined ? "" : `  assets_in:\n    out: {stage: ${input}}\n`}  dir_name: ${dir}
  executor: stages/${name}.ts#${name.toUpperCase()}
`;
  write(join(project, "cfg", "pipeline", "noop.yaml"), stage("a", "A", "a.txt") + stage("b", "B", "b.txt", "a") + stage("c", "C", "c.txt", "b"));
  write(join(project, "stages", "a.ts"), stageModule("A", '    await ctx.output<string>("out").write(`a ${String(ctx.partition.sim ?? 0)}\\n`);'));
  write(join(project, "stages", "b.ts"), stageModule("B", '    await ctx.output<string>("out").write((await ctx.input<string>("out").read()).toUpperCase());'));
  write(join(project, "stages", "c.ts"), stageModule("C", '    await ctx.output<string>("out").write(`${await ctx.input<string>("out").read()}!\\n`);'));
}

function makeSnakemakeProject(): void {
  write(
    join(smk, "Snakefile"),
    `N = ${String(sims)}
SIMS = [f"sim{i:04d}" for i in range(N)]

rule all:
    input: expand("data/noop/C/Train/{sim}/c.txt", sim=SIMS)

rule a:
    output: "data/noop/A/Train/{sim}/a.txt"
    run:
        with open(output[0], "w") as f:
            f.write(f"a {int(wildcards.sim[3:])}\\n")

rule b:
    input: "data/noop/A/Train/{sim}/a.txt"
    output: "data/noop/B/Train/{sim}/b.txt"
    run:
        with open(output[0], "w") as f:
            f.write(open(input[0]).read().upper())

rule c:
    input: "data/noop/B/Train/{sim}/b.txt"
    output: "data/noop/C/Train/{sim}/c.txt"
    run:
        with open(output[0], "w") as f:
            f.write(open(input[0]).read() + "!\\n")
`,
  );
  // The outputs as the rules would write them, each stage newer than the one it reads.
  const t0 = Date.now() / 1000 - 3600;
  for (const [stage, file, text, age] of [["A", "a.txt", textA, 0], ["B", "b.txt", textB, 10], ["C", "c.txt", textC, 20]] as const) {
    for (let sim = 0; sim < sims; sim++) {
      const path = join(smk, "data", "noop", stage, "Train", simName(sim), file);
      write(path, text(sim));
      utimesSync(path, t0 + age, t0 + age);
    }
  }
}

interface Timed {
  readonly ms: number;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function timed(command: string, argv: readonly string[], cwd: string): Timed {
  const t = performance.now();
  const r = spawnSync(command, argv, { cwd, encoding: "utf8", maxBuffer: 1 << 28, env: { ...process.env, NO_COLOR: "1" } });
  const ms = performance.now() - t;
  if (r.error !== undefined) throw r.error;
  return { ms, code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function best(runs: number, work: () => Timed, check: (t: Timed) => void): number {
  let ms = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = work();
    check(t);
    ms = Math.min(ms, t.ms);
  }
  return ms;
}

const cmbflow = (...argv: string[]): Timed => timed(process.execPath, [BIN, ...argv], project);
const fmt = (ms: number): string => `${(ms / 1000).toFixed(3).padStart(8)} s`;
function expectOk(what: string): (t: Timed) => void {
  return (t) => {
    if (t.code !== 0) throw new Error(`${what} exited ${String(t.code)}:\n${t.stderr}`);
  };
}

/** Self time per function (top `n`) of a V8 .cpuprofile. */
function topSelfTime(path: string, n: number): string[] {
  const prof = JSON.parse(readFileSync(path, "utf8")) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(prof.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    const us = prof.timeDeltas[i] ?? 0;
    total += us;
    if (frame === undefined) return;
    const where = frame.url === "" ? "" : ` ${frame.url.replace(`file://${REPO}/`, "").replace(/^.*node_modules\//, "")}:${String(frame.lineNumber + 1)}`;
    const key = `${frame.functionName === "" ? "(anonymous)" : frame.functionName}${where}`;
    self.set(key, (self.get(key) ?? 0) + us);
  });
  const rows = [...self].sort((x, y) => y[1] - x[1]).slice(0, n);
  return [`profiled ${(total / 1000).toFixed(0)} ms of samples; top self time:`, ...rows.map(([key, us]) => `${(us / 1000).toFixed(1).padStart(8)} ms  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`)];
}

try {
  console.log(`no-op benchmark: 3 stages × ${String(sims)} sims = ${String(3 * sims)} nodes, in ${root}`);
  makeCmbflowProject();

  const fill = cmbflow("run", "-q");
  expectOk("the first cmbflow run")(fill);
  console.log(`cmbflow run (first, fills the cache)  ${fmt(fill.ms)}`);
  const check = cmbflow("run", "--json");
  expectOk("cmbflow run --json")(check);
  const totals = (JSON.parse(check.stdout) as { totals: { ran: number; fresh: number } }).totals;
  if (totals.ran !== 0 || totals.fresh !== 3 * sims) throw new Error(`the second run was not a no-op: ${JSON.stringify(totals)}`);

  const probe = cmbflow("status", "--json");
  let statusMs: number | undefined;
  if (/unknown command/.test(probe.stderr)) {
    console.log("cmbflow status                        (not a command yet: skipped)");
  } else {
    statusMs = best(3, () => cmbflow("status"), expectOk("cmbflow status"));
    console.log(`cmbflow status           best of 3    ${fmt(statusMs)}`);
  }
  // The run above left every node fresh, so it wrote the freshness snapshot (cache/fresh/);
  // a no-op run takes it. Checked, then timed; then timed again judging node by node, with the
  // snapshots removed before each run (as after a run that did work elsewhere in the cache).
  const taken = cmbflow("run", "--json");
  expectOk("cmbflow run --json")(taken);
  const judgedBy = (JSON.parse(taken.stdout) as { judged_by?: string }).judged_by;
  if (judgedBy !== "snapshot") throw new Error(`the no-op run did not take the freshness snapshot (judged_by: ${String(judgedBy)})`);
  const noopMs = best(3, () => cmbflow("run", "-q"), expectOk("cmbflow run (no-op)"));
  console.log(`cmbflow run (no-op)      best of 3    ${fmt(noopMs)}   (freshness snapshot taken)`);
  const byNodesMs = best(
    3,
    () => {
      rmSync(join(project, "cache", "fresh"), { recursive: true, force: true });
      return cmbflow("run", "-q");
    },
    expectOk("cmbflow run (no-op, node by node)"),
  );
  console.log(`cmbflow run (no-op)      best of 3    ${fmt(byNodesMs)}   (no snapshot: every node judged)`);
  const nodeMs = best(3, () => timed(process.execPath, ["-e", ""], project), expectOk("node -e ''"));
  console.log(`  (node -e '' alone      best of 3    ${fmt(nodeMs)})`);

  makeSnakemakeProject();
  const snakemakeMs = best(
    3,
    () => timed("snakemake", ["-n"], smk),
    (t) => {
      expectOk("snakemake -n")(t);
      if (!/Nothing to be done/.test(t.stdout + t.stderr)) throw new Error(`snakemake -n found work to do:\n${(t.stdout + t.stderr).slice(0, 2000)}`);
    },
  );
  console.log(`snakemake -n             best of 3    ${fmt(snakemakeMs)}`);

  const ratio = snakemakeMs / noopMs;
  console.log(`ratio snakemake -n / cmbflow no-op run: ${ratio.toFixed(2)}×` + (statusMs === undefined ? "" : `; / cmbflow status: ${(snakemakeMs / statusMs).toFixed(2)}×`));
  console.log(`ratio snakemake -n / cmbflow no-op run judging every node: ${(snakemakeMs / byNodesMs).toFixed(2)}×`);
  console.log(`targets: no-op run ≤ 1 s: ${noopMs <= 1000 ? "met" : "MISSED"}; ≥ 10× faster than snakemake -n: ${ratio >= 10 ? "met" : "MISSED"}`);

  if (profile) {
    const dir = join(root, "profile");
    const t = timed(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${dir}`, BIN, "run", "-q"], project);
    expectOk("cmbflow run under --cpu-prof")(t);
    const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
    if (file !== undefined) for (const line of topSelfTime(join(dir, file), 25)) console.log(line);
  }
} finally {
  if (keep) console.log(`kept ${root}`);
  else rmSync(root, { recursive: true, force: true });
}
