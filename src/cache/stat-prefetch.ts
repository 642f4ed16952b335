/**
 * Stats the files of the digest memo on a second thread while the main thread starts up.
 *
 * Why: a no-op run or `status` over 30,000 nodes checks every output's stat against the
 * memo (file-digests.ts). On the virtual machines cmbflow runs on, one `stat` costs 10–20 µs
 * from JavaScript, so those checks alone took a quarter of the run, on the main thread, while
 * the second core idled. The memo file lists exactly the files a judgement peeks at, so a
 * thread started before the CLI has even loaded its modules can stat them all and hand the
 * stamps over by the time the first node is judged.
 *
 * What a prefetched stamp means: the file's stat at a moment before the judgement. Using it
 * is the same as judging a little earlier, which is sound only while nothing of this run can
 * have written an output since: the memo drops the stamps before the first node (or restore)
 * is started (`FileDigestCache.endPrefetch`), and uses each stamp at most once. A stamp that
 * no longer matches the memo (another run rewrote the file first) only sends the judgement the
 * slow way, which stats again.
 *
 * The thread is started from `bin/cmbflow.js` for the commands that judge nodes; this module
 * imports nothing but Node's own, so starting it costs no module loading.
 */
import type * as Fs from "node:fs";
import { statSync } from "node:fs";
import { join } from "node:path";
import type * as WorkerThreads from "node:worker_threads";
import { Worker } from "node:worker_threads";

/** Stamps by absolute path: `dev:ino:size:mtimeNs:ctimeNs`, or null for a file that did not exist. */
export type PrefetchedStats = Map<string, string | null>;

/** Below this size of memo (about 2,000 files) a thread costs more than the stats it saves. */
export const MIN_PREFETCH_MEMO_BYTES = 160 * 1024;

/** The memo file the thread reads (the same name as FILE_DIGESTS_FILE, which this module may not import). */
const MEMO_FILE = "file-digests.json";

/**
 * The thread's code, run as a CommonJS script (`eval: true`), so that it needs no file of its
 * own in dist/ and runs the same under the test runner. Self-contained: it is sent as text.
 * Keys are formed as `statKey` in file-digests.ts forms them (a test holds the two together).
 */
function prefetchThread(require: NodeJS.Require): void {
  const threads = require("node:worker_threads") as typeof WorkerThreads;
  const fs = require("node:fs") as typeof Fs;
  const { parentPort } = threads;
  const post = (message: unknown): void => parentPort?.postMessage(message);
  const memo = (threads.workerData as { memo: string }).memo;
  let text: string;
  try {
    // Non-blocking and regular files only: a FIFO where the memo should be must not hang the thread.
    const fd = fs.openSync(memo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      if (!fs.fstatSync(fd).isFile()) return post(undefined);
      text = fs.readFileSync(fd, "utf8");
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return post(undefined);
  }
  let saved: { paths?: unknown } | null;
  try {
    saved = JSON.parse(text) as { paths?: unknown } | null;
  } catch {
    return post(undefined);
  }
  if (saved === null || typeof saved !== "object" || !Array.isArray(saved.paths)) return post(undefined);
  const paths: string[] = [];
  const keys: (string | null)[] = [];
  for (const path of saved.paths as unknown[]) {
    if (typeof path !== "string") continue;
    let s: Fs.BigIntStats | undefined;
    try {
      s = fs.statSync(path, { bigint: true, throwIfNoEntry: false });
    } catch {
      // EACCES, ENOTDIR, ...: the main thread stats it again and reports what it finds.
      continue;
    }
    paths.push(path);
    keys.push(s === undefined ? null : `${s.dev.toString()}:${s.ino.toString()}:${s.size.toString()}:${s.mtimeNs.toString()}:${s.ctimeNs.toString()}`);
  }
  post({ paths, keys });
}

let started: { readonly cacheDir: string; readonly stats: Promise<PrefetchedStats | undefined> } | undefined;

/**
 * Starts stating the files of `<cacheDir>/file-digests.json` on a thread, when the memo is big
 * enough to pay for one. At most one prefetch is kept; a new call replaces it.
 */
export function startStatPrefetch(cacheDir: string, minMemoBytes = MIN_PREFETCH_MEMO_BYTES): void {
  const memo = join(cacheDir, MEMO_FILE);
  const stats = statSync(memo, { throwIfNoEntry: false });
  if (stats === undefined || !stats.isFile() || stats.size < minMemoBytes) return;
  started = { cacheDir, stats: runPrefetch(memo) };
}

function runPrefetch(memo: string): Promise<PrefetchedStats | undefined> {
  return new Promise((resolvePrefetch) => {
    let worker: Worker;
    try {
      worker = new Worker(`(${prefetchThread.toString()})(require)`, { eval: true, workerData: { memo } });
    } catch {
      resolvePrefetch(undefined);
      return;
    }
    // A hint only: never keeps the process alive, and any failure means "stat as usual".
    worker.unref();
    worker.once("message", (message: { paths: string[]; keys: (string | null)[] } | undefined) => {
      if (message === undefined) return resolvePrefetch(undefined);
      const byPath = new Map<string, string | null>();
      for (let i = 0; i < message.paths.length; i++) byPath.set(message.paths[i] as string, message.keys[i] ?? null);
      resolvePrefetch(byPath);
    });
    worker.once("error", () => resolvePrefetch(undefined));
    worker.once("exit", () => resolvePrefetch(undefined));
  });
}

/** The prefetch started for `cacheDir`, handed over once (undefined when none was started for it). */
export function takeStatPrefetch(cacheDir: string): Promise<PrefetchedStats | undefined> | undefined {
  if (started?.cacheDir !== cacheDir) return undefined;
  const { stats } = started;
  started = undefined;
  return stats;
}
