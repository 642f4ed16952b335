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
    const status = await cli(project.dir, ["status", "scenario=nside16", "splits=1-1"]);
    expect(status.code).toBe(0);
  });
});
