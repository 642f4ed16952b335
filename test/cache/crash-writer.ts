/**
 * Child process for the crash test in state-store.test.ts: appends `count` records, then starts
 * one more (64 MiB) append and kills itself with SIGKILL while it is being written, like a
 * run killed in the middle of recording a node.
 *
 *   node --import tsx test/cache/crash-writer.ts <state dir> <count>
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { STATE_FILES, StateStore } from "../../src/cache/state-store.js";

const [dir, countText] = process.argv.slice(2);
if (dir === undefined || countText === undefined) throw new Error("usage: crash-writer <dir> <count>");
const store = await StateStore.open(dir, { mode: "write" });
const record = (i: number, pathLength: number): Parameters<StateStore["append"]>[0] => ({
  node: `make_cmb[split=Train,sim=${String(i)}]`,
  fingerprint: i.toString(16).padStart(16, "0"),
  parts: { code: "c0de000000000000" },
  outputs: [{ path: "p".repeat(pathLength), digest: "d".repeat(16), size: i }],
  runId: "crash",
  start: "2024-05-01T10:00:00.000Z",
  durationMs: 1,
});
const count = Number(countText);
for (let i = 0; i < count; i++) await store.append(record(i, 100));
const file = join(dir, STATE_FILES.nodes);
const before = statSync(file).size;
void store.append(record(count, 64 << 20));
// Killed as soon as the 64 MiB line starts to land (the write runs on libuv's thread pool
// while this thread polls): the kernel stops a write to a regular file at a page boundary on
// SIGKILL, which usually leaves a torn final line.
const poll = (): void => {
  if (statSync(file).size > before) process.kill(process.pid, "SIGKILL");
  else setImmediate(poll);
};
poll();
