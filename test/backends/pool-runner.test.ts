/** The library path to parallel runs: a PipelineContext run on a PoolRunner (workers run dist/, built by npm test). */
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CacheEngine } from "../../src/cache/engine.js";
import { PipelineContext } from "../../src/core/pipeline-context.js";
import type { PipelineSource } from "../../src/backends/pipeline-source.js";
import { PoolRunner } from "../../src/backends/threads/pool-runner.js";
import type { RunEvent } from "../../src/scheduler/events.js";

const REPO = resolve(import.meta.dirname, "..", "..");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs the tutorial pipeline in a fresh folder; returns the min/max summary it wrote and the events. */
async function tutorial(runner?: (source: PipelineSource) => PoolRunner): Promise<{ text: string; events: RunEvent[] }> {
  const workDir = mkdtempSync(join(tmpdir(), "cmbflow-pool-"));
  dirs.push(workDir);
  const source: PipelineSource = { configDir: join(REPO, "cfg"), configName: "tutorial", overrides: ["splits=1-1"], projectDir: REPO, workDir, env: {} };
  const loaded = await PipelineContext.fromConfig({ ...source, env: {} });
  if (!loaded.ok) throw new Error(loaded.error.map((d) => d.message).join("\n"));
  const context = loaded.value;
  const added = await context.addPipesFromConfig();
  if (!added.ok) throw new Error(added.error.join("\n"));
  const events: RunEvent[] = [];
  const pool = runner?.(source);
  const summary = await context.runPipeline({ onEvent: (e) => events.push(e), ...(pool === undefined ? {} : { runner: pool }) });
  await pool?.close();
  expect(summary.outcome).toBe("success");
  const finished = events.flatMap((e) => (e.type === "node-finished" ? e.outputs : []));
  const summaryFile = finished.find((p) => p.endsWith(".json") || p.endsWith(".yaml") || p.endsWith(".txt"));
  if (summaryFile === undefined) throw new Error(`no text output among ${finished.join(", ")}`);
  return { text: readFileSync(summaryFile, "utf8"), events };
}

describe("PoolRunner from the library", () => {
  it("runs a pipeline loaded from its config on worker threads, with the same results as in the calling thread", async () => {
    const inProcess = await tutorial();
    const pooled = await tutorial((source) => new PoolRunner({ source, threads: 2 }));
    expect(pooled.text).toBe(inProcess.text);
    const ran = (events: RunEvent[]): number => events.filter((e) => e.type === "node-finished").length;
    expect(ran(pooled.events)).toBe(ran(inProcess.events));
    expect(ran(pooled.events)).toBeGreaterThan(2);
  });
});

describe("PoolRunner start-up", () => {
  it("starts no thread until used, and every thread at once when warmed", async () => {
    const workDir = mkdtempSync(join(tmpdir(), "cmbflow-pool-warm-"));
    dirs.push(workDir);
    const source: PipelineSource = { configDir: join(REPO, "cfg"), configName: "tutorial", overrides: ["splits=1-1"], projectDir: REPO, workDir, env: {} };
    const cold = new PoolRunner({ source, threads: 2 });
    expect(await cold.threadCount()).toBe(0);
    await cold.close();
    const warm = new PoolRunner({ source, threads: 2 });
    warm.warm();
    // Both threads exist before any unit is handed to the pool (they load while the caller plans).
    expect(await warm.threadCount()).toBe(2);
    await warm.close();
  });
});

describe("PoolRunner from the library, with the config edited after the main thread loaded it", () => {
  it("records no node its workers built from the edited config: each is stale, changed during the run", async () => {
    const workDir = mkdtempSync(join(tmpdir(), "cmbflow-pool-edit-"));
    dirs.push(workDir);
    cpSync(join(REPO, "cfg"), join(workDir, "cfg"), { recursive: true });
    const source: PipelineSource = { configDir: join(workDir, "cfg"), configName: "tutorial", overrides: ["splits=1-1"], projectDir: REPO, workDir, env: {} };
    const loaded = await PipelineContext.fromConfig(source);
    if (!loaded.ok) throw new Error(loaded.error.map((d) => d.message).join("\n"));
    const context = loaded.value;
    const added = await context.addPipesFromConfig();
    if (!added.ok) throw new Error(added.error.join("\n"));
    // Edited after the main thread read it, before any worker (which reads the files itself) started.
    appendFileSync(join(workDir, "cfg", "tutorial.yaml"), "edited_meanwhile: 1\n");
    const engine = await CacheEngine.open({ cacheDir: join(workDir, "cache"), workDir, mode: "write", settings: { enabled: true, link: "copy" } });
    const pool = new PoolRunner({ source, threads: 1 });
    const events: RunEvent[] = [];
    try {
      const summary = await context.runPipeline({ engine, runner: pool, runId: "r1", onEvent: (e) => events.push(e) });
      expect(summary.outcome).toBe("failed");
      const failure = summary.failed[0];
      expect(failure?.message).toBe("changed during the run: the configuration. Its outputs are kept but not recorded, so the next run runs it again");
      expect(engine.store.get(failure?.nodeId ?? "")).toMatchObject({ outputs: [], runId: "r1", changedDuringRun: { changes: ["the configuration"] } });
      expect(events.filter((e) => e.type === "node-finished")).toEqual([]);
      const plan = await context.planPipeline(engine);
      expect(plan.find((p) => p.id === failure?.nodeId)?.reasons).toEqual([{ kind: "changed-during-run", changes: ["the configuration"] }]);
    } finally {
      await pool.close();
      await engine.close();
    }
  });
});
