/**
 * Benchmark of batched Legendre passes: one kernel pass for B = 2 or 4 coefficient sets (synthSets,
 * analyzeSets: the recurrence shared) against B single passes (synth, analyze), on the ring
 * pairs of a full-sky map, lmax = 3·nside − 1, all ring pairs in one chunk. Both are timed in the
 * same process, interleaved, best of `repeats` after one warm-up, kernel sweeps only (no column
 * set-up, no FFTs); times are per set, so the ratios compare like with like. Spin-2 transforms use
 * the pair for Q and U; the ratios also say whether B spin-0 transforms batched together would pay
 * (the kernel work is the same). The WebAssembly kernel has no batched pass (B single passes
 * either way), so its ratios are ~1 by construction.
 *
 * Usage: `npx tsx scripts/bench-batch.ts [--nside 256,512] [--repeats 5]`
 */
import { LegendreKernel } from "../src/healpix/legendre.js";
import type { KernelSpec } from "../src/healpix/legendre.js";
import { loadNativeAddon } from "../src/healpix/legendre-native.js";
import { ringPairs } from "../src/healpix/sht.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

/** CPU seconds of `run`. */
function cpu(run: () => void): number {
  const c0 = process.cpuUsage();
  run();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}

function main(): number {
  const nsides = arg("--nside", "256,512").split(",").map(Number);
  const repeats = Number(arg("--repeats", "5"));
  const load = loadNativeAddon();
  const kernels: [string, KernelSpec][] = [["wasm (B passes either way)", { kind: "wasm", relaxed: false }]];
  if (load.ok) kernels.unshift([`native ${load.addon.best}`, { kind: "native", addon: load.addon, isa: load.addon.best }]);
  else process.stderr.write(`bench-batch: ${load.reason}; timing the WebAssembly kernel only\n`);
  const lines = [
    `Legendre kernel sweeps, B sets per pass vs B single passes; CPU seconds per set, best of ${String(repeats)}`,
    "| nside | kernel | synth (s) | B=2 (s) | ratio | B=4 (s) | ratio | analyze (s) | B=2 (s) | ratio | B=4 (s) | ratio |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const nside of nsides) {
    const lmax = 3 * nside - 1;
    const pairs = ringPairs(nside);
    const almDoubles = (lmax + 1) * (lmax + 2);
    for (const [name, spec] of kernels) {
      const k = new LegendreKernel(spec);
      k.layout(pairs.count, lmax, lmax, 8 * 4 * almDoubles, 4);
      k.f64.fill(0, 0, 4 * almDoubles);
      // F of every set for analysis: any finite values do.
      for (let lane = 0; lane < pairs.count; lane++) {
        for (let set = 0; set < 4; set++) {
          for (const south of [false, true]) {
            const c = k.column(lane, south, set);
            for (let m0 = 0, at = c.base; m0 <= lmax; m0 += c.tile, at += c.stride) {
              for (let i = 0; i < 2 * c.tile; i++) k.f64[at + i] = Math.sin(lane + i + set);
            }
          }
        }
      }
      const sweep = (step: (m: number) => void): void => {
        k.setLanes(pairs.cosTheta, pairs.sinTheta, 0, pairs.count);
        for (let m = 0; m <= lmax; m++) {
          k.beginM(m);
          step(m);
        }
      };
      const col = (m: number): number => 2 * ((m * (2 * lmax + 1 - m)) / 2 + m);
      const fillColumns = (m: number, sets: number): void => {
        const n = 2 * (lmax + 1 - m);
        for (let set = 0; set < sets; set++) {
          const at = k.colIndexOf(set);
          for (let i = 0; i < n; i++) k.f64[at + i] = 1 / (i + 1 + set);
        }
      };
      // Each run does four sets' work, so the times compare directly.
      const runs = {
        synth1: () => sweep((m) => {
          fillColumns(m, 1);
          for (let set = 0; set < 4; set++) k.synth(m, set);
        }),
        synth2: () => sweep((m) => {
          fillColumns(m, 2);
          k.synthSets(m, 2);
          k.synthSets(m, 2);
        }),
        synth4: () => sweep((m) => {
          fillColumns(m, 4);
          k.synthSets(m, 4);
        }),
        analyze1: () => sweep((m) => {
          for (let set = 0; set < 4; set++) k.analyze(m, set * almDoubles + col(m), set);
        }),
        analyze2: () => sweep((m) => {
          k.analyzeSets(m, [col(m), almDoubles + col(m)]);
          k.analyzeSets(m, [2 * almDoubles + col(m), 3 * almDoubles + col(m)]);
        }),
        analyze4: () => sweep((m) => k.analyzeSets(m, [0, 1, 2, 3].map((set) => set * almDoubles + col(m)))),
      };
      const best: Record<string, number> = {};
      for (let r = 0; r <= repeats; r++) {
        for (const [key, run] of Object.entries(runs)) {
          const t = cpu(run) / 4;
          if (r > 0) best[key] = Math.min(best[key] ?? Infinity, t);
        }
      }
      const f = (v: number): string => v.toFixed(4);
      const row = (op: string): string => {
        const one = best[`${op}1`]!, two = best[`${op}2`]!, four = best[`${op}4`]!;
        return `${f(one)} | ${f(two)} | ${(two / one).toFixed(2)} | ${f(four)} | ${(four / one).toFixed(2)}`;
      };
      lines.push(`| ${String(nside)} | ${name} | ${row("synth")} | ${row("analyze")} |`);
    }
  }
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}

process.exitCode = main();
