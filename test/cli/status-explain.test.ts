import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, tempProject } from "./harness.js";

const SMALL = ["scenario=nside16", "splits=1-1"];

describe("cmbflow status and explain", () => {
  let project: { dir: string; cleanup: () => void };
  beforeAll(async () => {
    project = tempProject({}, true);
    const first = await cli(project.dir, ["run", "-q", ...SMALL]);
    if (first.code !== 0) throw new Error(first.stderr);
  }, 120_000);
  afterAll(() => project.cleanup());

  it("reports everything fresh after a run, with exit 0", async () => {
    const { code, stdout } = await cli(project.dir, ["status", ...SMALL]);
    expect(code).toBe(0);
    expect(stdout).toContain("all 37 nodes are fresh\n");
    expect(stdout).toContain("make_cmb                3 fresh       0 run       0 restore       0 may run\n");
  });

  it("shows each stage's recorded time and the peak memory of the threads its nodes ran in", async () => {
    const { stdout } = await cli(project.dir, ["status", "--json", ...SMALL]);
    const stages = (JSON.parse(stdout) as { stages: { name: string; recorded: number; duration_ms: number; work_ms: number | null; heap_peak_bytes: number | null }[] }).stages;
    const makeCmb = stages.find((s) => s.name === "make_cmb");
    expect(makeCmb?.recorded).toBe(3);
    // Measured in the worker threads: the work is within the time from hand-over to result, and a
    // worker holding the pipeline and a map has more than a few MB of heap.
    expect(makeCmb?.work_ms).toBeGreaterThan(0);
    expect(makeCmb?.work_ms).toBeLessThanOrEqual(makeCmb?.duration_ms ?? 0);
    expect(makeCmb?.heap_peak_bytes).toBeGreaterThan(4 << 20);
    for (const s of stages) expect(s.heap_peak_bytes, s.name).not.toBeNull();
  });

  it("counts stale nodes and their reasons per stage, with exit 1", async () => {
    const { code, stdout } = await cli(project.dir, ["status", "--json", ...SMALL, "scenario.detectors.30.depth_ukarcmin=300"]);
    expect(code).toBe(1);
    const stages = (JSON.parse(stdout) as { stages: { name: string; total: number; fresh: number; stale: number; reasons: Record<string, number> }[] }).stages;
    const byName = Object.fromEntries(stages.map((s) => [s.name, s]));
    expect(byName["make_cmb"]).toMatchObject({ total: 3, fresh: 3, stale: 0 });
    // Every make_noise node reads all detectors' depths in its constructor, so all 9 are stale.
    expect(byName["make_noise"]).toMatchObject({ total: 9, fresh: 0, stale: 9, reasons: { "parameters changed": 9 } });
    expect(byName["make_obs"]).toMatchObject({ stale: 9, reasons: { "parameters changed": 9, "upstream stale": 9 } });
    expect(byName["ps_setup"]).toMatchObject({ fresh: 1, stale: 0 });
  });

  it("explains a parameter change with where the new value was set, back to the root cause", async () => {
    const { code, stdout } = await cli(project.dir, ["explain", "ps_analysis[split=Test,sim=0]", ...SMALL, "scenario.lmax=20"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ps_analysis\[split=Test,sim=0\] is stale \(last run \S+ at \S+, [\d.]+ s\):\n/);
    expect(stdout).toContain('  parameters changed\n    scenario.lmax: 32 → 20   (override "scenario.lmax=20")\n');
    expect(stdout).toContain("  upstream stale\n    make_cmb[split=Test,sim=0] is stale");
    expect(stdout).toMatch(/ps_setup is stale[^\n]*:\n\s+parameters changed\n\s+scenario\.lmax: 32 → 20/);
  });

  it("says a node that waits on an upstream node that will run may run, not that it is stale", async () => {
    // ps_analysis reads no detector parameter (ps_summary does: its figure draws the beams and noise).
    const { code, stdout } = await cli(project.dir, ["explain", "ps_analysis[split=Test,sim=0]", ...SMALL, "scenario.detectors.30.depth_ukarcmin=300"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ps_analysis\[split=Test,sim=0\] may run \(last run \S+ at \S+, [\d.]+ s\), only if the upstream nodes that will run write different outputs:\n {2}upstream stale\n/);
    expect(stdout).toMatch(/^ {4}make_obs\[split=Test,sim=0,freq=30\] is stale \(last run [^\n]*:\n {6}parameters changed$/m);
  });

  it("explains a node forced as run --force would force it, downstream too", async () => {
    const forced = await cli(project.dir, ["explain", "make_cmb[split=Train,sim=0]", ...SMALL, "--force", "make_cmb"]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^make_cmb\[split=Train,sim=0\] is stale[^\n]*:\n {2}forced\n/);
    const downstream = await cli(project.dir, ["explain", "make_obs[split=Train,sim=0,freq=100]", ...SMALL, "--force", "make_cmb", "--force-downstream"]);
    expect(downstream.stdout).toMatch(/^make_obs\[split=Train,sim=0,freq=100\] is stale[^\n]*:\n {2}forced\n/);
    const notDownstream = await cli(project.dir, ["explain", "make_obs[split=Train,sim=0,freq=100]", ...SMALL, "--force", "make_cmb"]);
    // Stale only through its forced upstream node, which is explained nested below it.
    expect(notDownstream.stdout).not.toMatch(/^ {2}forced$/m);
    expect(notDownstream.stdout).toMatch(/^ {2}upstream stale\n {4}make_cmb\[split=Train,sim=0\] is stale[^\n]*:\n {6}forced$/m);
    const bad = await cli(project.dir, ["explain", "make_cmb[split=Train,sim=0]", ...SMALL, "--force", "make_cbm"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --force make_cbm: no such stage; did you mean "make_cmb"\?/);
  });

  it("says a fresh node is fresh, and names unknown nodes", async () => {
    const fresh = await cli(project.dir, ["explain", "make_cmb[split=Train,sim=0]", ...SMALL]);
    expect(fresh.stdout).toMatch(/^make_cmb\[split=Train,sim=0\] is fresh \(last run /);
    const unknown = await cli(project.dir, ["explain", "make_cmb[split=Train,sim=5]", ...SMALL]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("error: stage \"make_cmb\" has no node make_cmb[split=Train,sim=5]; its nodes look like make_cmb[split=Train,sim=0]\n");
    const bad = await cli(project.dir, ["explain", "make_cmb[sim=x]", ...SMALL]);
    expect(bad.stderr).toBe('error: sim must be a whole number in node id "make_cmb[sim=x]", got "x"\n');
  });

  // Last: it changes the project's records. Restoring is exact, so the plan judges the nodes
  // after a restore with the restored outputs, and a reverted edit is all restores (the old
  // plan said "run 15, restore 1" here while the run restored 16; the mollviews, which draw
  // the changed maps, add 12).
  it("predicts a reverted edit as restores, and the run restores exactly those", async () => {
    const edited = await cli(project.dir, ["run", "-q", ...SMALL, "scenario.lmax=20"]);
    expect(edited.code).toBe(0);
    const dry = await cli(project.dir, ["run", "--dry-run", ...SMALL]);
    expect(dry.stdout).toContain("will run 0, restore 28, may run 0, of 37 nodes (dry run: nothing was written)\n");
    const status = await cli(project.dir, ["status", ...SMALL]);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain("cmbflow run will run 0, restore 28, may run 0, of 37 nodes\n");
    const reverted = await cli(project.dir, ["run", ...SMALL]);
    expect(reverted.code).toBe(0);
    expect(reverted.stderr).toContain("done: 0 ran, 9 fresh, 28 restored in ");
  });
});
