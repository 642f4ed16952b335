/**
 * Benchmark of the spherical-harmonic transforms against healpy on the same input.
 *
 * Usage: `npx tsx scripts/bench-sht.ts [--nside 128,256,512] [--repeats 5]`
 *
 * For each nside (lmax = 3·nside − 1) it draws alm (seeded, C_l = 1/(l+10)²), synthesises the map
 * with our alm2map, writes both to a temporary directory, then times, best of `repeats` runs after
 * one warm-up: alm2map, map2alm (iter 0) and anafast (iter 3; half the repeats), and the polarised
 * alm2map and map2alm (iter 0) of (T, E, B) ↔ (I, Q, U) (E, B drawn with seeds 2, 3) — ours
 * single-threaded in this process, healpy in /usr/bin/python3 with OMP_NUM_THREADS=1 (timed inside
 * Python with time.perf_counter on the same files). healpy runs once before and once after ours
 * and keeps its best, so a burst of load on the machine does not favour either side. Prints a
 * table of times and the ratio ours/healpy. Requires python3-healpy; exits with code 1 if missing.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RandomState } from "../src/healpix/rng.js";
import { alm2map, map2alm } from "../src/healpix/sht.js";
import { alm2mapPol, map2almPol } from "../src/healpix/sht-spin2.js";
import { anafast } from "../src/healpix/spectra.js";
import { synalm } from "../src/healpix/synalm.js";

interface Row {
  readonly nside: number;
  readonly op: string;
  readonly ours: number;
  readonly healpy: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

function best(repeats: number, run: () => void): number {
  run(); // warm-up: JIT tiers, FFT plans, kernel memory
  let t = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    run();
    t = Math.min(t, (performance.now() - t0) / 1000);
  }
  return t;
}

const PYTHON = String.raw`
import json, sys, time
import numpy as np, healpy as hp
nside, lmax, repeats, d = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
alm = np.fromfile(d + "/alm.f64", dtype="<f8").view(np.complex128)
m = np.fromfile(d + "/map.f64", dtype="<f8")
alms = list(np.fromfile(d + "/alm_pol.f64", dtype="<f8").view(np.complex128).reshape(3, -1))
maps = np.fromfile(d + "/map_pol.f64", dtype="<f8").reshape(3, -1)
def best(f, n):
    f()
    t = float("inf")
    for _ in range(n):
        t0 = time.perf_counter(); f(); t = min(t, time.perf_counter() - t0)
    return t
print(json.dumps({
    "alm2map": best(lambda: hp.alm2map(alm, nside, lmax=lmax), repeats),
    "map2alm (iter 0)": best(lambda: hp.map2alm(m, lmax=lmax, iter=0), repeats),
    "anafast (iter 3)": best(lambda: hp.anafast(m, lmax=lmax, iter=3), max(1, repeats // 2)),
    "alm2map pol": best(lambda: hp.alm2map(alms, nside, lmax=lmax, pol=True), repeats),
    "map2alm pol (iter 0)": best(lambda: hp.map2alm(maps, lmax=lmax, iter=0, pol=True), repeats),
    "healpy": hp.__version__,
}))
`;

function main(): number {
  const nsides = arg("--nside", "128,256,512").split(",").map(Number);
  const repeats = Number(arg("--repeats", "5"));
  const rows: Row[] = [];
  let healpyVersion = "?";
  for (const nside of nsides) {
    const lmax = 3 * nside - 1;
    const cl = new Float64Array(lmax + 1).map((_, l) => 1 / ((l + 10) * (l + 10)));
    const alm = synalm(cl, lmax, new RandomState(1));
    const map = alm2map(alm, nside);
    const alms = [alm, synalm(cl, lmax, new RandomState(2)), synalm(cl, lmax, new RandomState(3))] as const;
    const maps = alm2mapPol(alms, nside);
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
      const timeHealpy = (): Record<string, number | string> | undefined => {
        const py = spawnSync("/usr/bin/python3", ["-c", PYTHON, String(nside), String(lmax), String(repeats), dir], {
          env: { ...process.env, OMP_NUM_THREADS: "1" },
          encoding: "utf8",
        });
        if (py.status !== 0) {
          process.stderr.write(`bench-sht: healpy run failed (is python3-healpy installed?)\n${py.stderr}`);
          return undefined;
        }
        return JSON.parse(py.stdout) as Record<string, number | string>;
      };
      const before = timeHealpy();
      if (before === undefined) return 1;
      healpyVersion = String(before.healpy);
      const ours: Record<string, number> = {
        alm2map: best(repeats, () => alm2map(alm, nside, { lmax })),
        "map2alm (iter 0)": best(repeats, () => map2alm(map, { lmax, iter: 0 })),
        "anafast (iter 3)": best(Math.max(1, Math.floor(repeats / 2)), () => anafast(map, undefined, { lmax, iter: 3 })),
        "alm2map pol": best(repeats, () => alm2mapPol(alms, nside, { lmax })),
        "map2alm pol (iter 0)": best(repeats, () => map2almPol(maps, { lmax, iter: 0 })),
      };
      const after = timeHealpy();
      if (after === undefined) return 1;
      for (const op of Object.keys(ours)) {
        rows.push({ nside, op, ours: ours[op]!, healpy: Math.min(Number(before[op]), Number(after[op])) });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const lines = [
    `cmbflow SHT vs healpy ${healpyVersion} (OMP_NUM_THREADS=1), lmax = 3·nside − 1, best of ${String(repeats)}`,
    "| nside | operation | ours (s) | healpy (s) | ours/healpy |",
    "|---:|---|---:|---:|---:|",
    ...rows.map((r) => `| ${String(r.nside)} | ${r.op} | ${r.ours.toFixed(4)} | ${r.healpy.toFixed(4)} | ${(r.ours / r.healpy).toFixed(2)} |`),
  ];
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}

process.exitCode = main();
