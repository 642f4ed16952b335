/**
 * Throughput benchmark (issue 6 §5): maps per second synthesised and written by cmbflow's
 * worker pool against a healpy loop in the style of CMB-ML's serial executor, in the same run.
 *
 * Work: 3 splits × N sims of synfast maps at nside 256, lmax 767, written as FITS float32.
 * - cmbflow: a one-stage user project whose executor reads the spectrum once (constructor)
 *   and per node calls `synfast` then writes through the HealpyMap handler; timed as
 *   `cmbflow run --force-all` at -j 1 and -j 2, wall clock including process start.
 * - healpy: `/usr/bin/python3` reads the same spectrum once, then per map `hp.synfast` and
 *   `hp.write_map(dtype=float32)`, with OMP_NUM_THREADS=2; wall clock including start, and
 *   the loop alone as Python measured it.
 * - Scheduler overhead: a one-stage project of M trivial nodes (each writes one short line),
 *   run with -j 2; (full run − no-op run) / M is what cmbflow spends per node on top of the
 *   stage's own work: fingerprinting, dispatch to a worker, output digest and record.
 *
 * - Two-process ceiling: two `run --force-all -j 1` on two copies of the synthesis project, started
 *   together; 2 × (-j 1 time) / (their time) bounds -j 2 / -j 1 on this machine (see the code).
 *
 * Targets: cmbflow -j 2 ≥ 1.0× the healpy loop's maps/s; -j 2 ≥ 1.8× faster than -j 1;
 * overhead ≤ 2 ms per node. Uses the compiled CLI: run `npm run build` first.
 *
 *   npx tsx scripts/bench-throughput.ts [sims-per-split=10] [trivial-nodes=2000] [--keep]
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";

const args = process.argv.slice(2);
const positional = args.filter((a) => !a.startsWith("--"));
const sims = Number(positional[0] ?? 10);
const trivial = Number(positional[1] ?? 2000);
const keep = args.includes("--keep");
if (!Number.isInteger(sims) || sims < 1) throw new Error(`sims-per-split must be a positive integer, not ${String(positional[0])}`);
if (!Number.isInteger(trivial) || trivial < 1) throw new Error(`trivial-nodes must be a positive integer, not ${String(positional[1])}`);

const NSIDE = 256;
const LMAX = 767;
const SPLITS = ["Train", "Valid", "Test"] as const;
const maps = SPLITS.length * sims;
const REPO = resolve(import.meta.dirname, "..");
const BIN = join(REPO, "bin", "cmbflow.js");
const root = mkdtempSync(join(tmpdir(), "cmbflow-bench-throughput-"));

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** A smooth CMB-like temperature spectrum C_l (μK²) for l = 0..LMAX, written one value per line. */
function spectrumText(): string {
  const lines: string[] = [];
  for (let l = 0; l <= LMAX; l++) {
    const dl = l < 2 ? 0 : 1000 + 4700 * Math.exp(-(((l - 220) / 120) ** 2)) * Math.exp(-((l / 1400) ** 2));
    lines.push((l < 2 ? 0 : (2 * Math.PI * dl) / (l * (l + 1))).toExponential(17));
  }
  return `${lines.join("\n")}\n`;
}

function makeProject(dir: string, pipeline: string, stages: Record<string, string>, simsPerSplit: number): void {
  mkdirSync(join(dir, "node_modules"), { recursive: true });
  symlinkSync(REPO, join(dir, "node_modules", "cmbflow"));
  write(join(dir, "package.json"), `${JSON.stringify({ name: "bench-throughput", private: true, type: "module" })}\n`);
  const splits = SPLITS.map((s) => `  ${s}:\n    n_sims: ${String(simsPerSplit)}\n`).join("");
  write(join(dir, "cfg", "config.yaml"), `defaults:\n  - pipeline: bench\n  - _self_\ndataset_name: bench\nseed: 7\nsplits:\n  name: bench\n${splits}`);
  write(join(dir, "cfg", "pipeline", "bench.yaml"), pipeline);
  for (const [path, text] of Object.entries(stages)) write(join(dir, path), text);
}

const synthProject = join(root, "synth");
// A second copy of the same project, for the two-process ceiling (see below).
const synthCopy = join(root, "synth-copy");
for (const dir of [synthProject, synthCopy]) makeProject(
  dir,
  `synth:
  assets_out:
    map: {handler: HealpyMap, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/cmb_map.fits", dtype: float32}
  dir_name: Synth
  executor: stages/synth.ts#Synth
  spectrum: ${JSON.stringify(join(root, "cl.txt"))}
`,
  {
    "stages/synth.ts": `import { readFileSync } from "node:fs";
import { BaseStageExecutor, synfast, type Cfg, type NodeContext } from "cmbflow";

export class Synth extends BaseStageExecutor {
  readonly #cl: Float64Array;
  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#cl = Float64Array.from(readFileSync(cfg.string(\`pipeline.\${stage}.spectrum\`), "utf8").trim().split("\\n"), Number);
  }
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output("map").write(synfast(this.#cl, ${String(NSIDE)}, { lmax: ${String(LMAX)}, seed: ctx.seed, dtype: "float32" }));
  }
}
`,
  },
  sims,
);
write(join(root, "cl.txt"), spectrumText());

const trivialProject = join(root, "trivial");
makeProject(
  trivialProject,
  `touch:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  dir_name: Touch
  executor: stages/touch.ts#Touch
`,
  {
    "stages/touch.ts": `import { BaseStageExecutor, type NodeContext } from "cmbflow";

export class Touch extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("out").write(\`\${ctx.nodeId}\\n\`);
  }
}
`,
  },
  Math.ceil(trivial / SPLITS.length),
);
const trivialNodes = SPLITS.length * Math.ceil(trivial / SPLITS.length);

const healpyLoop = `
import os, sys, time
import numpy as np
import healpy as hp
out, cl_path, sims = sys.argv[1], sys.argv[2], int(sys.argv[3])
t0 = time.perf_counter()
cl = np.loadtxt(cl_path)
for split in ${JSON.stringify(SPLITS)}:
    for sim in range(sims):
        np.random.seed(1000 * len(split) + sim)
        m = hp.synfast(cl, ${String(NSIDE)}, lmax=${String(LMAX)})
        d = os.path.join(out, split, f"sim{sim:04d}")
        os.makedirs(d, exist_ok=True)
        hp.write_map(os.path.join(d, "cmb_map.fits"), m, dtype=np.float32, overwrite=True)
print(time.perf_counter() - t0)
`;

interface Timed {
  readonly ms: number;
  readonly stdout: string;
}

function timed(command: string, argv: readonly string[], cwd: string, env: Record<string, string> = {}): Timed {
  const t = performance.now();
  const r = spawnSync(command, argv, { cwd, encoding: "utf8", maxBuffer: 1 << 26, env: { ...process.env, NO_COLOR: "1", ...env } });
  const ms = performance.now() - t;
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0) throw new Error(`${command} ${argv.join(" ")} exited ${String(r.status)}:\n${r.stderr}`);
  return { ms, stdout: r.stdout };
}

const cmbflow = (dir: string, ...argv: string[]): Timed => timed(process.execPath, [BIN, ...argv], dir);

/** Wall ms from starting `cmbflow argv` in every one of `dirs` at once until the last exits. */
async function cmbflowTogether(dirs: readonly string[], ...argv: string[]): Promise<number> {
  const t = performance.now();
  await Promise.all(dirs.map((dir) => new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...argv], { cwd: dir, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", fail);
    child.on("exit", (code) => (code === 0 ? done() : fail(new Error(`cmbflow ${argv.join(" ")} in ${dir} exited ${String(code)}:\n${stderr}`))));
  })));
  return performance.now() - t;
}
const rate = (n: number, ms: number): string => `${(n / (ms / 1000)).toFixed(2).padStart(7)} maps/s`;
const secs = (ms: number): string => `${(ms / 1000).toFixed(2).padStart(7)} s`;

try {
  console.log(`throughput benchmark: ${String(maps)} synfast maps (nside ${String(NSIDE)}, lmax ${String(LMAX)}, FITS float32), in ${root}`);
  // A first run loads everything once (tsx's compile cache, the page cache) and fills the store.
  cmbflow(synthProject, "run", "-q", "-j", "2");
  const best = (work: () => number): number => Math.min(work(), work());
  const j1 = best(() => cmbflow(synthProject, "run", "-q", "--force-all", "-j", "1").ms);
  const j2 = best(() => cmbflow(synthProject, "run", "-q", "--force-all", "-j", "2").ms);
  // The ceiling for -j 2 / -j 1 on this machine: two independent -j 1 runs (each on its own copy,
  // all the maps each) started together. Whatever slows two busy cores down — shared caches,
  // memory bandwidth, a VM's uneven vCPUs — slows them as it slows -j 2's two workers, and each
  // still pays its own start-up; 2 × (-j 1) / (both) is what -j 2 could reach with no cost of its own.
  cmbflow(synthCopy, "run", "-q", "-j", "1");
  const pair = Math.min(
    await cmbflowTogether([synthProject, synthCopy], "run", "-q", "--force-all", "-j", "1"),
    await cmbflowTogether([synthProject, synthCopy], "run", "-q", "--force-all", "-j", "1"),
  );
  let loopMs = Infinity;
  const healpyMs = best(() => {
    const t = timed("/usr/bin/python3", ["-c", healpyLoop, join(root, "healpy-out"), join(root, "cl.txt"), String(sims)], root, { OMP_NUM_THREADS: "2" });
    loopMs = Math.min(loopMs, Number(t.stdout.trim()) * 1000);
    return t.ms;
  });
  console.log(`cmbflow run -j 1          best of 2  ${secs(j1)}  ${rate(maps, j1)}`);
  console.log(`cmbflow run -j 2          best of 2  ${secs(j2)}  ${rate(maps, j2)}`);
  console.log(`two -j 1 runs at once    best of 2  ${secs(pair)}  ${rate(2 * maps, pair)}   (each on its own copy of the project)`);
  console.log(`healpy loop (OMP 2)       best of 2  ${secs(healpyMs)}  ${rate(maps, healpyMs)}   (loop alone ${secs(loopMs).trim()}, ${rate(maps, loopMs).trim()})`);

  cmbflow(trivialProject, "run", "-q", "-j", "2");
  const full = best(() => cmbflow(trivialProject, "run", "-q", "--force-all", "-j", "2").ms);
  const noop = best(() => cmbflow(trivialProject, "run", "-q", "-j", "2").ms);
  const overhead = (full - noop) / trivialNodes;
  console.log(`trivial nodes: ${String(trivialNodes)} run ${secs(full)}, no-op ${secs(noop)}: ${overhead.toFixed(2)} ms per node`);

  const vsHealpy = healpyMs / j2;
  const scaling = j1 / j2;
  const ceiling = (2 * j1) / pair;
  console.log(
    `ratios: cmbflow -j 2 / healpy loop ${vsHealpy.toFixed(2)}× (vs the loop alone ${(loopMs / j2).toFixed(2)}×); -j 2 / -j 1 ${scaling.toFixed(2)}× ` +
      `(two-process ceiling on this machine ${ceiling.toFixed(2)}×: -j 2 reaches ${((100 * scaling) / ceiling).toFixed(0)}% of it)`,
  );
  console.log(
    `targets: ≥ 1.0× healpy: ${vsHealpy >= 1 ? "met" : "MISSED"}; -j 2 ≥ 1.8× -j 1: ${scaling >= 1.8 ? "met" : "MISSED"}; overhead ≤ 2 ms/node: ${overhead <= 2 ? "met" : "MISSED"}`,
  );
} finally {
  if (keep) console.log(`kept ${root}`);
  else rmSync(root, { recursive: true, force: true });
}
