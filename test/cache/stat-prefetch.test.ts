/** Outputs' stats taken on a thread at start-up (stat-prefetch.ts) and how the memo and a run use them. */
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CacheEngine } from "../../src/cache/engine.js";
import { FILE_DIGESTS_FILE, FileDigestCache, statKey } from "../../src/cache/file-digests.js";
import type { Hasher } from "../../src/cache/hash.js";
import { hasher } from "../../src/cache/hash.js";
import { startStatPrefetch, takeStatPrefetch } from "../../src/cache/stat-prefetch.js";
import { PipelineContext } from "../../src/core/pipeline-context.js";
import type { NodeRunner } from "../../src/scheduler/node-runner.js";
import { InProcessRunner, WorkHost } from "../../src/backends/work-host.js";

const REPO = resolve(import.meta.dirname, "..", "..");
/** A clock far after every mtime in the test, so no entry is racy. */
const later = (): bigint => BigInt(Date.now() + 60_000) * 1_000_000n;

describe("stat prefetch", () => {
  let dir: string;
  let cacheDir: string;
  let h: Hasher;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-prefetch-"));
    cacheDir = join(dir, "cache");
    mkdirSync(cacheDir);
    h = await hasher();
  });
  afterEach(() => {
    void takeStatPrefetch(cacheDir);
    rmSync(dir, { recursive: true, force: true });
  });

  /** A memo of these files' digests, saved as a run saves it. */
  async function memoOf(paths: readonly string[]): Promise<void> {
    const memo = await FileDigestCache.open(cacheDir, h, { clock: later });
    for (const p of paths) await memo.digest(p);
    await memo.save();
  }

  it("stats every file of the memo on a thread, keyed as the memo keys them; a file gone since is null", async () => {
    const a = join(dir, "a.txt");
    const b = join(dir, "b.txt");
    writeFileSync(a, "alpha");
    writeFileSync(b, "beta");
    await memoOf([a, b]);
    rmSync(b);
    startStatPrefetch(cacheDir, 0);
    const stats = await takeStatPrefetch(cacheDir);
    expect(stats?.get(a)).toBe(statKey(statSync(a, { bigint: true })));
    expect(stats?.get(b)).toBeNull();
    expect(stats?.size).toBe(2);
  });

  it("starts nothing for a small memo or a FIFO in its place, and hands a prefetch over once, to its own cache folder only", async () => {
    const a = join(dir, "a.txt");
    writeFileSync(a, "alpha");
    await memoOf([a]);
    startStatPrefetch(cacheDir);
    expect(takeStatPrefetch(cacheDir)).toBeUndefined();
    startStatPrefetch(cacheDir, 0);
    expect(takeStatPrefetch(join(dir, "other"))).toBeUndefined();
    expect(await takeStatPrefetch(cacheDir)).toBeInstanceOf(Map);
    expect(takeStatPrefetch(cacheDir)).toBeUndefined();
    rmSync(join(cacheDir, FILE_DIGESTS_FILE));
    execFileSync("mkfifo", [join(cacheDir, FILE_DIGESTS_FILE)]);
    startStatPrefetch(cacheDir, 0);
    expect(takeStatPrefetch(cacheDir)).toBeUndefined();
  });

  it("peeks use each prefetched stamp once, and none after endPrefetch or arriving after it", async () => {
    const a = join(dir, "a.txt");
    writeFileSync(a, "alpha");
    await memoOf([a]);
    const before = h.digestString("alpha");
    startStatPrefetch(cacheDir, 0);
    const stamps = takeStatPrefetch(cacheDir);
    await stamps;
    // Changed after the stamps were taken: judged by the stamp, the file is as it was then.
    appendFileSync(a, " and more");
    const memo = await FileDigestCache.open(cacheDir, h, { clock: later, ...(stamps === undefined ? {} : { prefetched: stamps }) });
    await stamps;
    expect(memo.prefetchedLeft).toBe(1);
    expect(memo.peek(a)).toEqual({ digest: before, size: 5 });
    // The second look stats the file now: the memo cannot tell its new content without reading it.
    expect(memo.peek(a)).toBeUndefined();

    startStatPrefetch(cacheDir, 0);
    const again = takeStatPrefetch(cacheDir);
    const ended = await FileDigestCache.open(cacheDir, h, { clock: later, ...(again === undefined ? {} : { prefetched: again }) });
    ended.endPrefetch();
    await again;
    expect(ended.prefetchedLeft).toBe(0);
    expect(ended.peek(a)).toBeUndefined();
  });

  it("a run drops the prefetched stamps before its first unit starts", async () => {
    const workDir = join(dir, "work");
    mkdirSync(workDir);
    const source = { configDir: join(REPO, "cfg"), configName: "tutorial", overrides: ["splits=1-1"], projectDir: REPO, workDir, env: {} };
    const runOnce = async (forced: boolean, seen: number[]): Promise<void> => {
      const loaded = await PipelineContext.fromConfig(source);
      if (!loaded.ok) throw new Error(loaded.error.map((d) => d.message).join("\n"));
      const context = loaded.value;
      const added = await context.addPipesFromConfig();
      if (!added.ok) throw new Error(added.error.join("\n"));
      startStatPrefetch(join(workDir, "cache"), 0);
      const engine = await CacheEngine.open({ cacheDir: join(workDir, "cache"), workDir, mode: "write", settings: { enabled: true, link: "copy" } });
      const inner = new InProcessRunner(new WorkHost(context, engine.hasher));
      const runner: NodeRunner = {
        parallelism: 1,
        inFlight: 1,
        run: (task) => {
          seen.push(engine.digests.prefetchedLeft);
          return inner.run(task);
        },
        holdBack: () => inner.holdBack(),
        terminate: () => inner.terminate(),
        close: () => inner.close(),
      };
      // Let the thread's stamps arrive before the run judges anything.
      for (let i = 0; i < 200 && forced && engine.digests.prefetchedLeft === 0; i++) await new Promise((r) => setTimeout(r, 10));
      if (forced) expect(engine.digests.prefetchedLeft).toBeGreaterThan(0);
      const all = new Set(context.pipeline.nodes.stages.flatMap((s) => Array.from({ length: s.count }, (_, i) => s.first + i)));
      try {
        const summary = await context.runPipeline({ engine, runner, runId: forced ? "r2" : "r1", ...(forced ? { forced: all } : {}) });
        expect(summary.outcome).toBe("success");
      } finally {
        await inner.close();
        await engine.close();
      }
    };
    await runOnce(false, []);
    const seen: number[] = [];
    await runOnce(true, seen);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.every((left) => left === 0)).toBe(true);
  });
});
