/** The library path to parallel runs: a PipelineContext run on a PoolRunner (workers run dist/, built by npm test). */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PipelineContext } from "../../src/core/pipeline-context.js";
import type { PipelineSource } from "../../src/scheduler/pipeline-source.js";
import { PoolRunner } from "../../src/scheduler/pool-runner.js";
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
  const loaded = PipelineContext.fromConfig({ ...source, env: {} });
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
