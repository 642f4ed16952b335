/**
 * FITS map I/O benchmark: our writeMap / readMap against healpy's write_map / read_map on the
 * same nside-1024 float32 map (12·1024² pixels, 48 MiB), best of 3 each, measured in the same run.
 *
 *   npx tsx scripts/bench-fits.ts [--nside 1024] [--repeats 3]
 *
 * The map is generated in memory and written to a temporary folder that is removed afterwards.
 * Each round writes a new file and reads it back at once, so both sides read from the page
 * cache; replacing an existing file (atomic rename) is timed separately.
 * healpy is timed inside Python (time.perf_counter) with OMP_NUM_THREADS=1; ours with
 * performance.now(). Prints times and the ratios ours/healpy (target: ≤ 1 for read and write).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { decodeMap, encodeMap, readMap, writeMap } from "../src/fits/index.js";

const { values } = parseArgs({
  options: { nside: { type: "string", default: "1024" }, repeats: { type: "string", default: "3" } },
});
const nside = Number(values.nside);
const repeats = Number(values.repeats);
const npix = 12 * nside * nside;
const PYTHON = "/usr/bin/python3";

/** A float32 map of pseudo-random values (xorshift32, fixed seed). */
function makeMap(): Float32Array {
  const m = new Float32Array(npix);
  let s = 2463534242;
  for (let i = 0; i < npix; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    m[i] = ((s >>> 0) / 4294967296 - 0.5) * 200;
  }
  return m;
}

async function best(n: number, run: () => unknown): Promise<number> {
  let min = Infinity;
  for (let k = 0; k < n; k++) {
    const t0 = performance.now();
    await run();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

const HEALPY = String.raw`
import json, sys, time, warnings
import numpy as np, healpy as hp
warnings.simplefilter("ignore")
src, folder, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
m = hp.read_map(src, dtype=np.float32)          # the same data, untimed
m = np.ascontiguousarray(m, dtype=np.float32)   # native byte order, as a user's map would be
w = r = float("inf")
for k in range(n):
    out = f"{folder}/healpy-{k}.fits"  # a new file each round, read back at once
    t = time.perf_counter(); hp.write_map(out, m, dtype=np.float32); w = min(w, time.perf_counter() - t)
    t = time.perf_counter(); back = hp.read_map(out); r = min(r, time.perf_counter() - t)
    assert back.shape == m.shape and np.array_equal(back, m)
print(json.dumps({"write_ms": w * 1e3, "read_ms": r * 1e3, "healpy": hp.__version__}))
`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "cmbflow-bench-fits-"));
  try {
    const map = makeMap();
    // Each round writes a new file and reads it back at once (page cache on both sides, as for healpy below).
    let write = Infinity;
    let read = Infinity;
    let readBack: Float32Array | undefined;
    for (let k = 0; k < repeats; k++) {
      const path = join(dir, `ours-${k}.fits`);
      write = Math.min(write, await best(1, () => writeMap(path, map)));
      read = Math.min(
        read,
        await best(1, async () => {
          readBack = (await readMap(path)).fields[0] as Float32Array;
        }),
      );
    }
    if (!readBack || readBack.length !== npix || readBack.some((v, i) => v !== map[i])) throw new Error("read-back mismatch");
    const ours = join(dir, "ours-0.fits");
    // Replacing an existing file through the atomic rename (see write-file.ts on ext4's auto_da_alloc).
    const replace = await best(repeats, () => writeMap(ours, map, { overwrite: true }));
    const encoded = encodeMap(map);
    const encode = await best(repeats, () => encodeMap(map));
    const decode = await best(repeats, () => decodeMap(encoded));

    const py = spawnSync(PYTHON, ["-c", HEALPY, ours, dir, String(repeats)], {
      encoding: "utf8",
      env: { ...process.env, OMP_NUM_THREADS: "1" },
      maxBuffer: 1 << 20,
    });
    const mib = statSync(ours).size / 2 ** 20;
    const f = (ms: number): string => `${ms.toFixed(1).padStart(8)} ms`;
    console.log(`FITS map I/O, nside ${nside} float32 (${npix} pixels, file ${mib.toFixed(1)} MiB), best of ${repeats}`);
    console.log(`  ours   writeMap ${f(write)}   readMap ${f(read)}`);
    console.log(`  ours   writeMap replacing an existing file ${f(replace)}`);
    console.log(`  ours   encodeMap (in memory) ${f(encode)}   decodeMap (in memory) ${f(decode)}`);
    if (py.status !== 0) {
      console.log(`  healpy: not measured (${PYTHON} failed: ${py.error?.message ?? py.stderr.trim().split("\n").at(-1) ?? ""})`);
      return;
    }
    const hp = JSON.parse(py.stdout.trim().split("\n").at(-1) ?? "") as { write_ms: number; read_ms: number; healpy: string };
    console.log(`  healpy ${hp.healpy} write_map ${f(hp.write_ms)}   read_map ${f(hp.read_ms)}`);
    console.log(`  ratio ours/healpy: write ${(write / hp.write_ms).toFixed(2)}   read ${(read / hp.read_ms).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
