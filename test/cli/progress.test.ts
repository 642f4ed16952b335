import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDuration, ProgressDisplay, REDRAW_INTERVAL_MS } from "../../src/cli/progress.js";
import type { RunEvent } from "../../src/scheduler/events.js";
import { cli, frameRecorder, tempProject } from "./harness.js";

describe("ProgressDisplay", () => {
  it("draws one line per stage with done/total, counts, rate and ETA, at most every 100 ms", () => {
    let now = 0;
    const sink = frameRecorder();
    const display = new ProgressDisplay({ sink, color: false, now: () => now });
    const feed = (e: RunEvent): void => display.onEvent(e);
    feed({ type: "run-started", runId: "r", nodes: 1001, stages: ["make_cmb", "stats"] });
    feed({ type: "stage-started", stage: "make_cmb", nodes: 1000 });
    for (let i = 0; i < 500; i++) {
      now += 2;
      feed({ type: "node-finished", stage: "make_cmb", nodeId: `n${String(i)}`, durationMs: 1, outputs: [] });
    }
    // 500 nodes over a second: about ten frames, not 500.
    expect(sink.frames.length).toBeGreaterThanOrEqual(9);
    expect(sink.frames.length).toBeLessThanOrEqual(1000 / REDRAW_INTERVAL_MS + 2);
    expect(display.frame(now)).toBe(
      [
        "  make_cmb       500/1000  ran    500  fresh      0  restored     0  failed    0  500 nodes/s  ETA 1 s",
        "  stats               0/?  ran      0  fresh      0  restored     0  failed    0  waiting",
        "  total         500/1000+  ran    500  fresh      0  restored     0  failed    0  1 s",
      ].join("\n"),
    );
    feed({ type: "stage-finished", stage: "make_cmb", counts: { ran: 999, fresh: 0, restored: 0, failed: 1, skipped: 0 }, durationMs: 1 });
    expect(sink.frames.at(-1)?.split("\n")[0]).toBe("  make_cmb      1000/1000  ran    999  fresh      0  restored     0  failed    1  done");
  });

  it("colours failures and finished stages only when colour is on", () => {
    const colored = new ProgressDisplay({ sink: frameRecorder(), color: true, now: () => 0 });
    colored.onEvent({ type: "run-started", runId: "r", nodes: 1, stages: ["a"] });
    colored.onEvent({ type: "stage-started", stage: "a", nodes: 1 });
    colored.onEvent({ type: "stage-finished", stage: "a", counts: { ran: 0, fresh: 0, restored: 0, failed: 1, skipped: 0 }, durationMs: 1 });
    expect(colored.frame()).toContain("\u001b[31mfailed    1\u001b[39m");
    expect(colored.frame()).toContain("\u001b[32mdone\u001b[39m");
  });

  it("formats durations for people", () => {
    expect([formatDuration(4_400), formatDuration(185_000), formatDuration(7_620_000)]).toEqual(["4 s", "3 min 05 s", "2 h 07 min"]);
  });
});

describe("cmbflow run on a terminal", () => {
  let project: { dir: string; cleanup: () => void };
  beforeAll(() => {
    project = tempProject({}, true);
  });
  afterAll(() => project.cleanup());

  it("draws the live display instead of per-stage lines, and leaves its last frame on screen", async () => {
    const terminal = frameRecorder();
    const { code, stderr } = await cli(project.dir, ["run", "--until", "ps_setup"], {}, terminal);
    expect(code).toBe(0);
    expect(terminal.persisted).toBe(true);
    expect(terminal.frames.at(-1)).toMatch(/^ {2}ps_setup +1\/1 +ran +1 +fresh +0 +restored +0 +failed +0 +done$/m);
    expect(stderr).not.toMatch(/^ {2}ps_setup +1 ran/m);
    expect(stderr).toMatch(/^done: 1 ran in /m);
  });

  it("prints plain lines when stderr is not a terminal", async () => {
    const { stderr } = await cli(project.dir, ["run", "--until", "ps_setup", "--force-all"]);
    expect(stderr).toMatch(/^ {2}ps_setup +1 ran/m);
  });
});
