import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NodeRecord } from "../../src/cache/state-store.js";
import { collectReport } from "../../src/report/collect-report.js";
import type { CompiledPipeline } from "../../src/graph/compile.js";
import { compilePipeline } from "../../src/graph/compile.js";
import { fromYaml, HANDLERS } from "../graph/fixture.js";
import { schedulerPipeline } from "../scheduler/fixture.js";

const RUN0 = "2026-12-05T10-00-00-000_aaaa";
const RUN1 = "2026-12-05T11-00-00-000_bbbb";
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from("rest")]);

/** Stages a → b per sim (3 Train sims) and a reduction r over b. */
function pipeline(): CompiledPipeline {
  const compiled = compilePipeline(fromYaml(schedulerPipeline(3)), { handlers: HANDLERS });
  if (!compiled.ok) throw new Error("fixture does not compile");
  return compiled.value;
}

function record(node: string, runId: string, outputs: string[], extra: Partial<NodeRecord> = {}): NodeRecord {
  return { node, fingerprint: "f", parts: {}, outputs: outputs.map((path) => ({ path, digest: "d", size: 1 })), runId, start: "2026-12-05T10:00:00.000Z", durationMs: 40, ...extra };
}

const line = (time: string, event: Record<string, unknown>): string => `${JSON.stringify({ level: 30, time, ...event })}\n`;

describe("collectReport", () => {
  let dataset: string;
  beforeEach(() => {
    dataset = mkdtempSync(join(tmpdir(), "cmbflow-report-"));
  });
  afterEach(() => rmSync(dataset, { recursive: true, force: true }));

  const write = (path: string, text: string | Buffer): void => {
    mkdirSync(join(dataset, path, ".."), { recursive: true });
    writeFileSync(join(dataset, path), text);
  };

  it("says there is no run when the dataset's Logs folder has none", async () => {
    mkdirSync(join(dataset, "Logs", ".snapshots"), { recursive: true });
    const result = await collectReport({ pipeline: pipeline(), datasetDir: dataset, records: [], absolutePath: (p) => p, provenanceOf: () => Promise.resolve(undefined), version: "t" });
    expect(result).toEqual({ ok: false, error: { reason: "no-run", logsDir: join(dataset, "Logs") } });
  });

  it("reports the latest run: stage colours, each node's status, time and memory, timing, figures, config changes", async () => {
    write(`Logs/${RUN0}/config_resolved.yaml`, "seed: 1\nscenario:\n  nside: 16\n");
    write(`Logs/${RUN1}/config_resolved.yaml`, "seed: 2\nscenario:\n  nside: 16\n");
    write(`Logs/${RUN1}/overrides.yaml`, "- seed=2\n");
    write(`Logs/${RUN1}/summary.json`, JSON.stringify({ runId: RUN1, outcome: "failed", durationMs: 3000 }));
    const usage = { workMs: 30, heapPeakBytes: 50 << 20, heapGrowthBytes: 10 << 20 };
    write(
      `Logs/${RUN1}/run.log`,
      line("2026-12-05T11:00:00.000Z", { event: "run-started", runId: RUN1, nodes: 7 }) +
        line("2026-12-05T11:00:00.100Z", { event: "stage-started", stage: "a", nodes: 3 }) +
        line("2026-12-05T11:00:00.500Z", { event: "node-finished", stage: "a", nodeId: "a[split=Train,sim=1]", durationMs: 120, outputs: [], usage }) +
        line("2026-12-05T11:00:00.600Z", { event: "node-failed", failure: { stage: "a", nodeId: "a[split=Train,sim=2]", message: "cursed\nsecond line" }, durationMs: 80 }) +
        line("2026-12-05T11:00:00.600Z", { event: "node-blocked", stage: "b", nodeId: "b[split=Train,sim=2]", failedDependency: "a[split=Train,sim=2]" }) +
        line("2026-12-05T11:00:01.100Z", { event: "stage-finished", stage: "a", counts: { ran: 1, fresh: 1, restored: 0, failed: 1, skipped: 0 }, durationMs: 1000 }) +
        "{torn",
    );
    write("R/r.png", PNG);
    const records = [
      record("a[split=Train,sim=0]", RUN0, ["A/0/a.fits"], { usage: { workMs: 5, heapPeakBytes: 1 << 20, heapGrowthBytes: 0 } }),
      record("a[split=Train,sim=1]", RUN1, ["A/1/a.fits"]),
      record("r", RUN0, ["R/r.yaml", "R/r.png"]),
      // The same node recorded for another dataset folder: not this report's.
      record("r", RUN0, ["/elsewhere/R/r.png"], { start: "2026-12-06T00:00:00.000Z" }),
    ];
    const result = await collectReport({
      pipeline: pipeline(),
      datasetDir: dataset,
      records,
      absolutePath: (p) => (p.startsWith("/") ? p : join(dataset, p)),
      provenanceOf: (path) => Promise.resolve(`provenance of ${path}`),
      version: "t",
      now: new Date("2026-12-05T12:00:00.000Z"),
    });
    if (!result.ok) throw new Error("no report");
    const report = result.value;
    expect(report).toMatchObject({ runId: RUN1, outcome: "failed", durationMs: 3000, startedAt: "2026-12-05T11:00:00.000Z", overrides: ["seed=2"] });
    expect(report.stages.map((s) => [s.name, s.status, s.startMs, s.durationMs])).toEqual([
      ["a", "failed", 100, 1000],
      ["b", "not-run", undefined, undefined],
      ["r", "not-run", undefined, undefined],
    ]);
    const a = report.stages[0]?.nodes ?? [];
    expect(a[0]).toEqual({ id: "a[split=Train,sim=0]", status: "fresh", durationMs: 40, usage: { workMs: 5, heapPeakBytes: 1 << 20, heapGrowthBytes: 0 }, measuredIn: RUN0, outputs: [{ path: "A/0/a.fits", provenance: `provenance of ${join(dataset, "A/0/a.fits")}` }] });
    expect(a[1]).toMatchObject({ status: "ran", durationMs: 120, usage });
    expect(a[2]).toEqual({ id: "a[split=Train,sim=2]", status: "failed", note: "cursed", durationMs: 80, outputs: [] });
    expect(report.stages[1]?.nodes[2]).toMatchObject({ status: "blocked", note: "blocked by a[split=Train,sim=2]" });
    expect(report.edges).toEqual([
      { from: "a", to: "b", assets: ["m"] },
      { from: "b", to: "r", assets: ["m"] },
    ]);
    expect(report.figures).toEqual([{ path: "R/r.png", node: "r", dataUri: `data:image/png;base64,${PNG.toString("base64")}` }]);
    expect(report.configDiff).toEqual({ kind: "compared", previousRunId: RUN0, changes: [{ key: "seed", before: "1", after: "2" }] });
    expect(report.notes).toEqual([`1 line of ${join(dataset, "Logs", RUN1, "run.log")} could not be read (a run killed mid-write leaves a torn last line).`]);
  });

  it("names a figure it cannot show, and respects the limits on nodes, provenance and figures", async () => {
    write(`Logs/${RUN0}/config_resolved.yaml`, "seed: 1\n");
    write("R/r.png", "not a png");
    const result = await collectReport({
      pipeline: pipeline(),
      datasetDir: dataset,
      records: [record("r", RUN0, ["R/r.png", "R/gone.png", "R/third.png"]), record("a[split=Train,sim=0]", RUN0, ["A/0/a.fits"]), record("a[split=Train,sim=1]", RUN0, ["A/1/a.fits"])],
      absolutePath: (p) => join(dataset, p),
      provenanceOf: (path) => Promise.resolve(path),
      limits: { nodesPerStage: 2, provenance: 1, figureBytes: 1 << 20, figures: 2 },
      version: "t",
    });
    if (!result.ok) throw new Error("no report");
    expect(result.value.configDiff).toEqual({ kind: "first-run" });
    expect(result.value.figures).toEqual([
      { path: "R/r.png", node: "r", problem: "not shown: the file is not a PNG image" },
      { path: "R/gone.png", node: "r", problem: "not shown: the file is no longer there" },
    ]);
    expect(result.value.stages[0]?.nodes.map((n) => n.outputs.map((o) => o.provenance !== undefined))).toEqual([[true], [false]]);
    expect(result.value.notes).toEqual([
      "The run wrote no summary.json: it was killed, or is still going. What it did is taken from its log.",
      "Provenance is shown for the first 1 outputs; run cmbflow provenance PATH for the others.",
      "2 figures are shown; 1 more PNG output is not.",
      "Stage a: 2 of 3 nodes listed.",
      "Stage b: 2 of 3 nodes listed.",
    ]);
    expect(result.value.outcome).toBe("unfinished");
  });
});
