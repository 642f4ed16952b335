/**
 * How long a worker takes to start (issue 12: a Slurm array task pays it once per task): a
 * `cmbflow worker --manifest M --task 0` process whose task has no unit, so what is timed is
 * the process start, the worker command and the host (configuration, plugins, pipeline) —
 * against a bare `node -e 0` in the same run. The default pipeline's configuration, at
 * 3 splits × N sims (default 200), passed as the coordinator passes it (already loaded).
 * Uses the compiled CLI: `npm run build` first. With BENCH_OTHER=/path/to/other/checkout, that
 * checkout's compiled worker is timed too, alternating in the same run (e.g. main, before a change).
 *
 *   npx tsx scripts/bench-worker-start.ts [sims-per-split=200] [repeats=7]
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { writeManifest } from "../src/backends/slurm/manifest.js";
import { loadHostConfig } from "../src/core/host.js";

const sims = Number(process.argv[2] ?? 200);
const repeats = Number(process.argv[3] ?? 7);
if (!Number.isInteger(sims) || sims < 1) throw new Error(`sims-per-split must be a positive integer, not ${String(process.argv[2])}`);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`repeats must be a positive integer, not ${String(process.argv[3])}`);
const REPO = resolve(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "cmbflow-bench-worker-"));
try {
  cpSync(join(REPO, "cfg"), join(dir, "cfg"), { recursive: true });
  const overrides = [`splits.name=3x${String(sims)}`, ...["Train", "Valid", "Test"].map((s) => `splits.${s}.n_sims=${String(sims)}`)];
  const loaded = loadHostConfig({ configDir: join(dir, "cfg"), configName: "config", overrides });
  if (!loaded.ok) throw new Error(loaded.error.map((d) => d.message).join("\n"));
  const { raw, resolved, overrides: o, choices } = loaded.value;
  const manifest = join(dir, "manifest.bin");
  await writeManifest(manifest, {
    // Format 2 (no units handed ahead), which every version of the worker reads.
    format: 2,
    runId: "bench",
    source: { configDir: join(dir, "cfg"), configName: "config", overrides, projectDir: REPO, workDir: dir, env: {}, config: { raw, resolved, overrides: o, choices } },
    tasks: [[]],
    results: [[]],
  });
  const time = (args: readonly string[]): number => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${args.join(" ")} failed (${String(r.status)}): ${r.stderr}`);
    return performance.now() - t0;
  };
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const worker: number[] = [];
  const bare: number[] = [];
  const other: number[] = [];
  const otherRepo = process.env["BENCH_OTHER"];
  console.log(`machine load (1 min) at start: ${loadavg()[0]?.toFixed(1) ?? "?"}; default pipeline, 3 splits x ${String(sims)} sims; ${String(repeats)} repeats`);
  for (let i = 0; i < repeats; i++) {
    bare.push(time(["-e", "0"]));
    worker.push(time([join(REPO, "bin", "cmbflow.js"), "worker", "--manifest", manifest, "--task", "0"]));
    if (otherRepo !== undefined) other.push(time([join(otherRepo, "bin", "cmbflow.js"), "worker", "--manifest", manifest, "--task", "0"]));
  }
  const w = median(worker);
  const b = median(bare);
  console.log(`  node -e 0          ${b.toFixed(0)} ms (median)`);
  console.log(`  cmbflow worker     ${w.toFixed(0)} ms (median), ${(w / b).toFixed(2)}x node; ${(w - b).toFixed(0)} ms more`);
  if (otherRepo !== undefined) {
    const o = median(other);
    console.log(`  ${otherRepo} worker  ${o.toFixed(0)} ms (median), ${(o / b).toFixed(2)}x node; this one takes ${(w / o).toFixed(2)}x its time`);
  }
  console.log(`machine load (1 min) at end: ${loadavg()[0]?.toFixed(1) ?? "?"}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
