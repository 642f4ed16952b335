/**
 * Benchmark of the spherical-harmonic transforms against healpy on the same input, once per
 * Legendre kernel (native with its best instruction set, and WebAssembly) in the same process.
 *
 * Usage: `npx tsx scripts/bench-sht.ts [--nside 256,512] [--repeats 5] [--ops alm2map,map2alm]`
 *
 * For each nside (lmax = 3·nside − 1) it draws alm (seeded, C_l = 1/(l+10)²), synthesises the map
 * with our alm2map, writes both to a temporary directory, then times, best of `repeats` runs after
 * one warm-up call of every operation (each side, per kernel for ours): alm2map, map2alm (iter 0) and anafast (iter 3; half the repeats), and the polarised
 * alm2map and map2alm (iter 0) of (T, E, B) ↔ (I, Q, U) (E, B drawn with seeds 2, 3), and alm2map
 * and map2alm (iter 0) again with ours writing into one output array kept across calls ("out
 * reused", against healpy's usual call: it tells the transform from first-touching a fresh array) — ours
 * single-threaded in this process, healpy in /usr/bin/python3 with OMP_NUM_THREADS=1 (timed inside
 * Python with time.perf_counter on the same files). healpy runs once before and once after ours
 * and keeps its best, so a burst of load on the machine does not favour either side. Prints a
 * table of times and the ratio ours/healpy, in wall-clock time and in CPU time (Node's
 * process.cpuUsage, Python's time.process_time): on a machine shared with other jobs the CPU-time
 * ratio is the steadier one (it counts V8's helper threads against us, never for us). Requires
 * python3-healpy; exits with code 1 if missing.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { relaxedSimdAvailable, useLegendreKernel } from "../src/healpix/legendre.js";
import type { KernelSpec } from "../src/healpix/legendre.js";
import { loadNativeAddon } from "../src/healpix/legendre-native.js";
import { RandomState } from "../src/healpix/rng.js";
import { alm2map, map2alm } from "../src/healpix/sht.js";
import { alm2mapPol, map2almPol } from "../src/healpix/sht-spin2.js";
import { anafast } from "../src/healpix/spectra.js";
import { synalm } from "../src/healpix/synalm.js";

/** Best wall and CPU seconds of one operation. */
interface Timing {
  readonly wall: number;
  readonly cpu: number;
}

interface Row {
  readonly nside: number;
  readonly op: string;
  /** Per kernel name. */
  readonly ours: Readonly<Record<string, Timing>>;
  readonly healpy: Timing;
}

const OPS = ["alm2map", "map2alm (iter 0)", "anafast (iter 3)", "alm2map pol", "map2alm pol (iter 0)", "alm2map (out reused)", "map2alm (iter 0; out reused)"] as const;
type Op = (typeof OPS)[number];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

function best(repeats: number, run: () => void): Timing {
  let wall = Infinity, cpu = Infinity;
  for (let r = 0; r < repeats; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    run();
    wall = Math.min(wall, (performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1e6);
  }
  return { wall, cpu };
}

/** The kernels to compare: native (when built), WebAssembly, and its relaxed-SIMD build where the engine has it. */
function kernels(): [string, KernelSpec][] {
  const load = loadNativeAddon();
  const out: [string, KernelSpec][] = [];
  if (load.ok) out.push([`native ${load.addon.best}`, { kind: "native", addon: load.addon, isa: load.addon.best }]);
  else process.stderr.write(`bench-sht: ${load.reason}; timing the WebAssembly kernel only\n`);
  out.push(["wasm", { kind: "wasm", relaxed: false }]);
  if (relaxedSimdAvailable()) out.push(["wasm relaxed", { kind: "wasm", relaxed: true }]);
  return out;
}

const PYTHON = String.raw`
import json, sys, time
import numpy as np, healpy as hp
nside, lmax, repeats, d = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
alm = np.fromfile(d + "/alm.f64", dtype="<f8").view(np.complex128)
m = np.fromfile(d + "/map.f64", dtype="<f8")
alms = list(np.fromfile(d + "/alm_pol.f64", dtype="<f8").view(np.complex128).reshape(3, -1))
maps = np.fromfile(d + "/map_pol.f64", dtype="<f8").reshape(3, -1)
ops = sys.argv[5].split(",")
def best(f, n):
    w, c = float("inf"), float("inf")
    for _ in range(n):
        t0, c0 = time.perf_counter(), time.process_time(); f()
        w, c = min(w, time.perf_counter() - t0), min(c, time.process_time() - c0)
    return {"wall": w, "cpu": c}
calls = {
    "alm2map": lambda: hp.alm2map(alm, nside, lmax=lmax),
    "map2alm (iter 0)": lambda: hp.map2alm(m, lmax=lmax, iter=0),
    "anafast (iter 3)": lambda: hp.anafast(m, lmax=lmax, iter=3),
    "alm2map pol": lambda: hp.alm2map(alms, nside, lmax=lmax, pol=True),
    "map2alm pol (iter 0)": lambda: hp.map2alm(maps, lmax=lmax, iter=0, pol=True),
    "alm2map (out reused)": lambda: hp.alm2map(alm, nside, lmax=lmax),
    "map2alm (iter 0; out reused)": lambda: hp.map2alm(m, lmax=lmax, iter=0),
}
# Every operation once before any is timed: the first one timed in a fresh process otherwise
# ran up to ~2x slower than the same call timed later (malloc's thresholds still adapting).
for op in ops:
    calls[op]()
out = {op: best(calls[op], max(1, repeats // 2) if op == "anafast (iter 3)" else repeats) for op in ops}
out["healpy"] = hp.__version__
print(json.dumps(out))
`;

function main(): number {
  const nsides = arg("--nside", "256,512").split(",").map(Number);
  const repeats = Number(arg("--repeats", "5"));
  const ops = arg("--ops", OPS.join(",")).split(",");
  for (const op of ops) {
    if (!(OPS as readonly string[]).includes(op)) {
      process.stderr.write(`bench-sht: unknown operation "${op}"; one of ${OPS.join(", ")}\n`);
      return 1;
    }
  }
  const kernelList = kernels();
  const rows: Row[] = [];
  let healpyVersion = "?";
  for (const nside of nsides) {
    const lmax = 3 * nside - 1;
    const cl = new Float64Array(lmax + 1).map((_, l) => 1 / ((l + 10) * (l + 10)));
    const alm = synalm(cl, lmax, new RandomState(1));
    const map = alm2map(alm, nside);
    const alms = [alm, synalm(cl, lmax, new RandomState(2)), synalm(cl, lmax, new RandomState(3))] as const;
    const maps = alm2mapPol(alms, nside);
    const mapOut = new Float64Array(map.length);
    const almOut = new Float64Array(alm.length);
    const dir = mkdtempSync(join(tmpdir(), "bench-sht-"));
    try {
      writeFileSync(join(dir, "alm.f64"), new Uint8Array(alm.buffer, alm.byteOffset, alm.byteLength));
      writeFileSync(join(dir, "map.f64"), new Uint8Array(map.buffer, map.byteOffset, map.byteLength));
      const concat = (parts: readonly Float64Array[]): Uint8Array => {
        const all = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
        parts.reduce((at, p) => (all.set(p, at), at + p.length), 0);
        return new Uint8Array(all.buffer);
      };
      writeFileSync(join(dir, "alm_pol.f64"), concat(alms));
      writeFileSync(join(dir, "map_pol.f64"), concat(maps));
      const timeHealpy = (): Record<string, Timing | string> | undefined => {
        const py = spawnSync("/usr/bin/python3", ["-c", PYTHON, String(nside), String(lmax), String(repeats), dir, ops.join(",")], {
          env: { ...process.env, OMP_NUM_THREADS: "1" },
          encoding: "utf8",
        });
        if (py.status !== 0) {
          process.stderr.write(`bench-sht: healpy run failed (is python3-healpy installed?)\n${py.stderr}`);
          return undefined;
        }
        return JSON.parse(py.stdout) as Record<string, Timing | string>;
      };
      const before = timeHealpy();
      if (before === undefined) return 1;
      healpyVersion = before.healpy as string;
      const runs: Record<Op, () => void> = {
        alm2map: () => alm2map(alm, nside, { lmax }),
        "map2alm (iter 0)": () => map2alm(map, { lmax, iter: 0 }),
        "anafast (iter 3)": () => anafast(map, undefined, { lmax, iter: 3 }),
        "alm2map pol": () => alm2mapPol(alms, nside, { lmax }),
        "map2alm pol (iter 0)": () => map2almPol(maps, { lmax, iter: 0 }),
        // Ours into one output array kept across calls (healpy's row is its usual call): a fresh
        // array is first-touched page by page, which costs ~3 ms per MB on this VM, while numpy
        // gets the previous result's memory back from glibc as soon as it is dropped.
        "alm2map (out reused)": () => alm2map(alm, nside, { lmax, out: mapOut }),
        "map2alm (iter 0; out reused)": () => map2alm(map, { lmax, iter: 0, out: almOut }),
      };
      const ours: Record<string, Record<string, Timing>> = {};
      for (const [name, spec] of kernelList) {
        useLegendreKernel(spec);
        // Warm-up, every operation before any is timed: JIT tiers, FFT plans, kernel memory.
        for (const op of ops) runs[op as Op]();
        for (const op of ops) {
          const n = op === "anafast (iter 3)" ? Math.max(1, Math.floor(repeats / 2)) : repeats;
          (ours[op] ??= {})[name] = best(n, runs[op as Op]);
        }
      }
      useLegendreKernel(undefined);
      const after = timeHealpy();
      if (after === undefined) return 1;
      for (const op of ops) {
        const b = before[op] as Timing, a = after[op] as Timing;
        rows.push({ nside, op, ours: ours[op]!, healpy: { wall: Math.min(b.wall, a.wall), cpu: Math.min(b.cpu, a.cpu) } });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const names = kernelList.map(([name]) => name);
  const lines = [
    `cmbflow SHT vs healpy ${healpyVersion} (OMP_NUM_THREADS=1, one thread each), lmax = 3·nside − 1, best of ${String(repeats)}; ` +
      "seconds wall-clock, ratio to healpy as wall / CPU time",
    `| nside | operation | ${names.map((n) => `${n} (s)`).join(" | ")} | healpy (s) | ${names.map((n) => `${n}/healpy`).join(" | ")} |`,
    `|---:|---|${names.map(() => "---:|").join("")}---:|${names.map(() => "---:|").join("")}`,
    ...rows.map((r) => {
      const t = names.map((n) => r.ours[n]!.wall.toFixed(4)).join(" | ");
      const q = names.map((n) => `${(r.ours[n]!.wall / r.healpy.wall).toFixed(2)} / ${(r.ours[n]!.cpu / r.healpy.cpu).toFixed(2)}`).join(" | ");
      return `| ${String(r.nside)} | ${r.op} | ${t} | ${r.healpy.wall.toFixed(4)} | ${q} |`;
    }),
  ];
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}

process.exitCode = main();
