/**
 * Cache storage benchmark (issue 5: "loads 100k records in under 0.5 s").
 *
 * Writes a state log of 100k realistic node records (ids like `make_cmb[split=Train,sim=123]`,
 * 1–3 outputs with ~100-character paths, five part digests) to a temporary folder, then times,
 * best of 5 where cheap:
 * - opening the store (read mode, as `status` does), against a reference measured in the same
 *   run: `readFileSync` + one `JSON.parse` of the same records written as one JSON array;
 * - opening in write mode; appending 1000 records with and without fsync;
 * - compaction of a log holding two runs (200k lines), and the first history lookup after it;
 * - the file-digest memo with 100k entries (save, open);
 * - digesting a 48 MiB file: streamed in chunks of several sizes vs `readFile` + one-shot digest.
 *
 *   npx tsx scripts/bench-state-store.ts [records]
 */
import { randomFillSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { FileDigestCache } from "../src/cache/file-digests.js";
import { hasher } from "../src/cache/hash.js";
import type { NodeRecord } from "../src/cache/state-store.js";
import { STATE_FILES, StateStore } from "../src/cache/state-store.js";

const count = Number(process.argv[2] ?? 100_000);
const root = mkdtempSync(join(tmpdir(), "cmbflow-bench-state-"));
const stateDir = join(root, "state");
const h = await hasher();

const stages = ["make_cmb", "make_noise", "make_obs", "ps_analysis", "predict"] as const;
const splits = ["Train", "Valid", "Test"] as const;
const digest = (text: string): string => h.digestString(text);

function makeRecord(i: number, run: number): NodeRecord {
  const stage = stages[i % stages.length] ?? "make_cmb";
  const split = splits[Math.floor(i / stages.length) % splits.length] ?? "Train";
  const sim = Math.floor(i / (stages.length * splits.length));
  const node = `${stage}[split=${split},sim=${String(sim)}]`;
  const outputs = Array.from({ length: 1 + (i % 3) }, (_, k) => ({
    path: `Datasets/CMB_ML_512_1450/Simulation_Working/${stage}/${split}/sim${String(sim).padStart(4, "0")}/obs_map_${String(k)}_030GHz.fits`,
    digest: digest(`${node}/${String(k)}/${String(run)}`),
    size: 50_331_968,
  }));
  return {
    node,
    fingerprint: digest(`${node}/${String(run)}`),
    parts: {
      code: digest(`code/${stage}`),
      params: digest(`params/${stage}/${String(run)}`),
      stage: digest(`stage/${stage}`),
      context: digest(`context/${node}`),
      inputs: digest(`inputs/${node}/${String(run)}`),
    },
    outputs,
    runId: `2024-05-0${String(run)}T10-00-00-3f2a`,
    start: new Date(Date.UTC(2024, 4, run, 10, 0, 0, i % 1000)).toISOString(),
    durationMs: 1000 + (i % 5000),
  };
}

function line(r: NodeRecord): string {
  return JSON.stringify({ node: r.node, fingerprint: r.fingerprint, parts: r.parts, outputs: r.outputs, runId: r.runId, start: r.start, durationMs: r.durationMs });
}

async function best<T>(runs: number, work: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  let ms = Infinity;
  let value: T | undefined;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    value = await work();
    ms = Math.min(ms, performance.now() - t);
  }
  return { ms, value: value as T };
}

const fmt = (ms: number): string => `${ms.toFixed(1).padStart(8)} ms`;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

try {
  // --- Setup: one run's records, written as the store writes them; the reference as one array.
  // (In a function, so the generated data is garbage before anything is timed.)
  const runLines = (run: number): string[] => Array.from({ length: count }, (_, i) => line(makeRecord(i, run)));
  const referencePath = join(root, "reference.json");
  mkdirSync(stateDir, { recursive: true });
  const bytes = ((): number => {
    const lines = runLines(1);
    const nodesText = `${lines.join("\n")}\n`;
    writeFileSync(join(stateDir, STATE_FILES.nodes), nodesText);
    writeFileSync(referencePath, `[${lines.join(",")}]`);
    return Buffer.byteLength(nodesText);
  })();
  console.log(`records: ${String(count)}, nodes.jsonl ${mib(bytes)} (${String(Math.round(bytes / count))} bytes/record)`);

  // --- Load.
  const reference = await best(5, () => (JSON.parse(readFileSync(referencePath, "utf8")) as unknown[]).length);
  const load = await best(5, async () => (await StateStore.open(stateDir)).size);
  if (load.value !== count || reference.value !== count) throw new Error(`loaded ${String(load.value)} / ${String(reference.value)} records, expected ${String(count)}`);
  console.log(`open (read mode)          ${fmt(load.ms)}   reference readFileSync+JSON.parse(array) ${fmt(reference.ms)}   ratio ${(load.ms / reference.ms).toFixed(2)}`);
  const openWrite = await best(3, async () => {
    const store = await StateStore.open(stateDir, { mode: "write" });
    await store.close();
    return store.size;
  });
  console.log(`open+close (write mode)   ${fmt(openWrite.ms)}`);

  // --- Appends.
  for (const fsync of [false, true]) {
    const store = await StateStore.open(stateDir, { mode: "write", fsync });
    const extra = Array.from({ length: 1000 }, (_, i) => makeRecord(i, fsync ? 3 : 2));
    const t = performance.now();
    for (const r of extra) await store.append(r);
    const ms = performance.now() - t;
    console.log(`append 1000 (fsync ${fsync ? "on) " : "off)"}    ${fmt(ms)}   ${(ms / 1000).toFixed(3)} ms/record`);
    await store.close();
  }

  // --- Compaction of two full runs (every node superseded once), then the first history lookup.
  writeFileSync(join(stateDir, STATE_FILES.nodes), `${[...runLines(1), ...runLines(4)].join("\n")}\n`);
  const writer = await StateStore.open(stateDir, { mode: "write" });
  let t = performance.now();
  await writer.compact();
  const compactMs = performance.now() - t;
  await writer.close();
  const reader = await StateStore.open(stateDir);
  const first = makeRecord(0, 1);
  t = performance.now();
  const found = await reader.findByFingerprint(first.node, first.fingerprint);
  const historyMs = performance.now() - t;
  if (found?.fingerprint !== first.fingerprint) throw new Error("history lookup failed");
  console.log(`compact ${String(2 * count)} lines → ${String(count)}  ${fmt(compactMs)}`);
  console.log(`first findByFingerprint (loads history.jsonl) ${fmt(historyMs)}`);

  // --- File-digest memo with 100k entries.
  const cacheDir = join(root, "cache");
  const memo = await FileDigestCache.open(cacheDir, h);
  for (let i = 0; i < count; i++) memo.remember(`/data/${makeRecord(i, 1).outputs[0]?.path ?? ""}`, { dev: 2049n, ino: BigInt(1_000_000 + i), size: 50_331_968n, mtimeNs: 1_714_557_600_123_456_789n + BigInt(i), ctimeNs: 1_714_557_600_123_456_789n + BigInt(i) }, digest(String(i)));
  t = performance.now();
  await memo.save();
  const saveMs = performance.now() - t;
  const memoOpen = await best(3, async () => (await FileDigestCache.open(cacheDir, h)).size);
  console.log(`file-digest memo: save ${String(count)} ${fmt(saveMs)}   open ${fmt(memoOpen.ms)}`);

  // --- Digesting a 48 MiB file (in the page cache).
  const big = join(root, "map.bin");
  const content = new Uint8Array(48 * 2 ** 20);
  randomFillSync(content);
  writeFileSync(big, content);
  const expected = h.digestBytes(content);
  const chunked = async (size: number): Promise<string> => {
    const handle = await open(big, "r");
    const buffer = new Uint8Array(size);
    const stream = h.createStream();
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, size, null);
      if (bytesRead === 0) break;
      stream.update(buffer.subarray(0, bytesRead));
    }
    await handle.close();
    return stream.digest();
  };
  const whole = await best(5, async () => h.digestBytes(await readFile(big)));
  const streamed = await best(5, async () => (await h.streamFile(big)).digest);
  const parts = [`readFile+digestBytes ${fmt(whole.ms)}`, `streamFile (1 MiB) ${fmt(streamed.ms)}`];
  for (const size of [64 << 10, 256 << 10, 4 << 20]) parts.push(`${String(size >> 10)} KiB chunks ${fmt((await best(5, () => chunked(size))).ms)}`);
  if (whole.value !== expected || streamed.value !== expected) throw new Error("digest mismatch");
  console.log(`digest 48 MiB: ${parts.join("   ")}`);
  console.log(`  streamFile ${(48 / 1024 / (streamed.ms / 1000)).toFixed(2)} GiB/s; ratio streamFile / readFile+digestBytes ${(streamed.ms / whole.ms).toFixed(2)}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
