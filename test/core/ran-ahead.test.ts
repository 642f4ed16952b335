/**
 * A unit handed ahead (NodeRunner.ahead) read its upstream's outputs before the coordinator
 * recorded that upstream; its result names what it read (RanWith.after). The coordinator
 * records it only when that is what the node's fingerprint holds.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CacheEngine } from "../../src/cache/engine.js";
import { hasher as makeHasher } from "../../src/cache/hash.js";
import { PipelineContext } from "../../src/core/pipeline-context.js";
import { InProcessRunner, WorkHost } from "../../src/core/work-host.js";
import type { RunEvent } from "../../src/scheduler/events.js";
import type { NodeRunner, WorkResult, WorkTask } from "../../src/scheduler/node-runner.js";

const REPO = resolve(import.meta.dirname, "..", "..");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs in the calling thread, and says every unit after the first read the outputs written before it with `digest`. */
class AheadLike implements NodeRunner {
  readonly parallelism = 1;
  readonly inFlight = 1;
  readonly #inner: InProcessRunner;
  readonly #written: { path: string; digest: string }[] = [];
  constructor(
    host: WorkHost,
    readonly digest: (real: string) => string,
  ) {
    this.#inner = new InProcessRunner(host);
  }
  async run(task: WorkTask): Promise<WorkResult> {
    const result = await this.#inner.run(task);
    if (!result.ok || result.ranWith === undefined) return result;
    const after = this.#written.map((w) => ({ path: w.path, digest: this.digest(w.digest) }));
    this.#written.push(...result.outputs.map((o) => ({ path: o.path, digest: o.digest })));
    return { ...result, ranWith: { ...result.ranWith, after } };
  }
  holdBack(): void {}
  async terminate(): Promise<void> {}
  async close(): Promise<void> {}
}

async function run(digest: (real: string) => string): Promise<{ outcome: string; failed: readonly { nodeId: string; message: string }[]; events: RunEvent[] }> {
  const workDir = mkdtempSync(join(tmpdir(), "cmbflow-ahead-"));
  dirs.push(workDir);
  const loaded = await PipelineContext.fromConfig({ configDir: join(REPO, "cfg"), configName: "tutorial", overrides: ["splits=1-1"], projectDir: REPO, workDir, env: {} });
  if (!loaded.ok) throw new Error(loaded.error.map((d) => d.message).join("\n"));
  const context = loaded.value;
  const added = await context.addPipesFromConfig();
  if (!added.ok) throw new Error(added.error.join("\n"));
  const engine = await CacheEngine.open({ cacheDir: join(workDir, "cache"), workDir, mode: "write", settings: { enabled: true, link: "copy" } });
  const events: RunEvent[] = [];
  const summary = await context.runPipeline({ engine, runner: new AheadLike(new WorkHost(context, await makeHasher()), digest), runId: "r1", onEvent: (e) => events.push(e) });
  await engine.close();
  return { outcome: summary.outcome, failed: summary.failed, events };
}

describe("recording a unit that ran ahead of its upstream's record", () => {
  it("records it when what it read is what its upstream recorded", async () => {
    expect((await run((d) => d)).outcome).toBe("success");
  });

  it("does not record it when it read another version of an input than its fingerprint holds", async () => {
    const { outcome, failed } = await run((d) => `other-${d}`);
    expect(outcome).toBe("failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.message).toMatch(/^changed during the run: input \S+ was read as another version than its producer recorded \(it ran ahead of that record\)\. Its outputs are kept but not recorded, so the next run runs it again$/);
  });
});
