import { readFileSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, tempProject } from "./harness.js";

const SMALL = ["scenario=nside16", "splits=1-1", "--json", "-q"];

interface Summary {
  stages: { name: string; ran: number; fresh: number; restored: number }[];
}
const stage = (out: string, name: string): Summary["stages"][number] | undefined => (JSON.parse(out) as Summary).stages.find((s) => s.name === name);

describe("the run-cache", () => {
  let project: { dir: string; cleanup: () => void };
  beforeAll(() => {
    project = tempProject({}, true);
  });
  afterAll(() => project.cleanup());

  it("restores after a revert, but runs a node whose stored object is corrupt", async () => {
    expect((await cli(project.dir, ["run", ...SMALL])).code).toBe(0);
    const records = readFileSync(join(project.dir, "cache/state/nodes.jsonl"), "utf8").trim().split("\n");
    const ps = records.map((l) => JSON.parse(l) as { node: string; outputs: { digest: string }[] }).find((r) => r.node === "ps_setup");
    const digest = ps?.outputs[0]?.digest ?? "";
    expect((await cli(project.dir, ["run", ...SMALL, "scenario.lmax=20"])).code).toBe(0);
    // Corrupt the stored object of ps_setup's original theory spectrum.
    const object = join(project.dir, "cache/objects", digest.slice(0, 2), digest);
    chmodSync(object, 0o644);
    writeFileSync(object, "corrupt\n");
    const reverted = await cli(project.dir, ["run", ...SMALL]);
    expect(reverted.code).toBe(0);
    expect(stage(reverted.stdout, "ps_setup")).toMatchObject({ ran: 1, restored: 0 });
    expect(stage(reverted.stdout, "make_cmb")).toMatchObject({ ran: 0, restored: 3 });
    // Said in the terminal (even with -q) and in run.log, not recomputed silently.
    const spectrum = "data/T_16_1-1/Simulation_Working/A_PS_Setup/cmb_ps_theory.txt";
    const said = `warning: ps_setup is recomputed: the cached copy of ${spectrum} is corrupt (object ${digest} now digests to `;
    expect(reverted.stderr).toContain(said);
    expect(reverted.stderr).toMatch(/now digests to [0-9a-f]{16}\); it was removed from cache\/objects\n/);
    const runId = (JSON.parse(reverted.stdout) as { run_id: string }).run_id;
    const log = readFileSync(join(project.dir, "data/T_16_1-1/Logs", runId, "run.log"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { event: string; nodeId?: string; reason?: string });
    const failed = log.filter((e) => e.event === "node-restore-failed");
    expect(failed.map((e) => e.nodeId)).toEqual(["ps_setup"]);
    expect(failed[0]?.reason).toContain(`the cached copy of ${spectrum} is corrupt (object ${digest} now digests to `);
    const status = await cli(project.dir, ["status", "scenario=nside16", "splits=1-1"]);
    expect(status.code).toBe(0);
  }, 180_000); // three runs of the default pipeline (37 nodes with the mollviews) on a shared machine

  it("keeps the computing run as a restored file's provenance, and names the run that restored it", async () => {
    const first = JSON.parse((await cli(project.dir, ["run", ...SMALL, "--force-all"])).stdout) as { run_id: string };
    const edited = JSON.parse((await cli(project.dir, ["run", ...SMALL, "scenario.lmax=20"])).stdout) as { run_id: string };
    expect(edited.run_id).not.toBe(first.run_id);
    const reverted = JSON.parse((await cli(project.dir, ["run", ...SMALL])).stdout) as { run_id: string; stages: Summary["stages"] };
    expect(reverted.stages.find((s) => s.name === "make_cmb")?.restored).toBe(3);
    const map = "data/T_16_1-1/Simulation_Working/B_Make_CMB/Train/sim0000/cmb_map.fits";
    const provenance = JSON.parse((await cli(project.dir, ["provenance", map, "--json"])).stdout) as { run_id: string; duration_ms: number; restored_by: { run_id: string } | null };
    expect(provenance.run_id).toBe(first.run_id);
    expect(provenance.duration_ms).toBeGreaterThan(0);
    expect(provenance.restored_by?.run_id).toBe(reverted.run_id);
    const text = (await cli(project.dir, ["provenance", map])).stdout;
    expect(text).toContain(`  run         ${first.run_id} (started `);
    expect(text).toContain(`  restored    by run ${reverted.run_id} at `);
  });
});
