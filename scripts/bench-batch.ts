/**
 * Benchmark of batched Legendre passes: one kernel pass for two coefficient sets (synthPair,
 * analyzePair: the recurrence shared) against two single passes (synth, analyze), on the ring
 * pairs of a full-sky map, lmax = 3·nside − 1, all ring pairs in one chunk. Both are timed in the
 * same process, interleaved, best of `repeats` after one warm-up, kernel sweeps only (no column
 * set-up, no FFTs). Spin-2 transforms use the pair for Q and U; the ratio also says whether two
 * spin-0 transforms batched together would pay (the kernel work is the same).
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
  const kernels: [string, KernelSpec][] = [["wasm (two passes either way)", { kind: "wasm", relaxed: false }]];
  if (load.ok) kernels.unshift([`native ${load.addon.best}`, { kind: "native", addon: load.addon, isa: load.addon.best }]);
  else process.stderr.write(`bench-batch: ${load.reason}; timing the WebAssembly kernel only\n`);
  const lines = [
    `Legendre kernel sweeps, two sets per pass vs two passes; CPU seconds, best of ${String(repeats)}`,
    "| nside | kernel | synth ×2 (s) | synthPair (s) | ratio | analyze ×2 (s) | analyzePair (s) | ratio |",
    "|---:|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const nside of nsides) {
    const lmax = 3 * nside - 1;
    const pairs = ringPairs(nside);
    const almDoubles = (lmax + 1) * (lmax + 2);
    for (const [name, spec] of kernels) {
      const k = new LegendreKernel(spec);
      k.layout(pairs.count, lmax, lmax, 8 * 2 * almDoubles, 2);
      k.f64.fill(0, 0, 2 * almDoubles);
      // F of both sets for analysis: any finite values do.
      for (let lane = 0; lane < pairs.count; lane++) {
        for (let set = 0; set < 2; set++) {
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
      const fillColumns = (m: number): void => {
        const n = 2 * (lmax + 1 - m);
        for (let i = 0; i < n; i++) {
          k.f64[k.colIndex + i] = 1 / (i + 1);
          k.f64[k.colIndex2 + i] = 1 / (i + 2);
        }
      };
      const runs = {
        synthTwo: () => sweep((m) => {
          fillColumns(m);
          k.synth(m, 0);
          k.synth(m, 1);
        }),
        synthPair: () => sweep((m) => {
          fillColumns(m);
          k.synthPair(m);
        }),
        analyzeTwo: () => sweep((m) => {
          k.analyze(m, col(m), 0);
          k.analyze(m, almDoubles + col(m), 1);
        }),
        analyzePair: () => sweep((m) => k.analyzePair(m, col(m), almDoubles + col(m))),
      };
      const best: Record<string, number> = {};
      for (let r = 0; r <= repeats; r++) {
        for (const [key, run] of Object.entries(runs)) {
          const t = cpu(run);
          if (r > 0) best[key] = Math.min(best[key] ?? Infinity, t);
        }
      }
      const f = (v: number): string => v.toFixed(4);
      lines.push(
        `| ${String(nside)} | ${name} | ${f(best["synthTwo"]!)} | ${f(best["synthPair"]!)} | ${(best["synthPair"]! / best["synthTwo"]!).toFixed(2)} ` +
          `| ${f(best["analyzeTwo"]!)} | ${f(best["analyzePair"]!)} | ${(best["analyzePair"]! / best["analyzeTwo"]!).toFixed(2)} |`,
      );
    }
  }
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}

process.exitCode = main();
