/**
 * Hydra-style multirun sweeps: `run -m` runs every combination one after another on the one
 * cache, each variant writing where its configuration says, nodes equal across variants
 * running once; `status -m` and `dag -m` go over the same variants.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject } from "./project.js";

/** The sweep table's row for a variant: [ran, fresh, restored, failed, outcome]. */
function row(stderr: string, variant: string): string[] | undefined {
  const line = stderr.split("\n").find((l) => l.startsWith(`  ${variant} `));
  return line?.slice(variant.length + 2).trim().split(/\s+/);
}

describe("run -m", () => {
  let project: Project;
  beforeAll(() => {
    project = makeProject({}, { defaultCfg: true });
  });
  afterAll(() => project.cleanup());

  it("runs each variant where its configuration says, and a second sweep finds them all fresh", () => {
    const first = project.run(["run", "-m", "scenario=nside16", "splits=1-1,3-3"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain("[1/2] splits=1-1\n");
    expect(first.stderr).toContain("[2/2] splits=3-3\n");
    expect(first.stderr).toContain("sweep of 2 variants:\n");
    expect(row(first.stderr, "splits=1-1")).toEqual(["37", "0", "0", "0", "ok"]);
    expect(row(first.stderr, "splits=3-3")?.slice(1)).toEqual(["0", "0", "0", "ok"]);
    expect(existsSync(join(project.dir, "data", "T_16_1-1"))).toBe(true);
    expect(existsSync(join(project.dir, "data", "T_16_3-3"))).toBe(true);

    const again = project.run(["run", "-m", "scenario=nside16", "splits=1-1,3-3", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    const variants = (JSON.parse(again.stdout) as { variants: { variant: string; exit_code: number; totals: { ran: number; fresh: number } }[] }).variants;
    expect(variants.map((v) => [v.variant, v.exit_code, v.totals.ran, v.totals.fresh > 0])).toEqual([
      ["splits=1-1", 0, 0, true],
      ["splits=3-3", 0, 0, true],
    ]);
  });

  it("runs a node equal across variants once: only what a swept value changes runs again", () => {
    const sweep = project.run(["run", "-m", "scenario=nside16", "splits=1-1", "scenario.detectors.30.depth_ukarcmin=150,300"]);
    expect(sweep.code, sweep.stderr).toBe(0);
    // 150 is the default: that variant is fresh; 300 runs only the 30 GHz noise and what reads it.
    expect(row(sweep.stderr, "scenario.detectors.30.depth_ukarcmin=150")).toEqual(["0", "37", "0", "0", "ok"]);
    const changed = row(sweep.stderr, "scenario.detectors.30.depth_ukarcmin=300");
    expect(Number(changed?.[0])).toBeGreaterThan(0);
    expect(Number(changed?.[1])).toBeGreaterThan(0);
  });

  it("goes on past a failing variant, and stops there with --fail-fast", () => {
    const going = project.run(["run", "-m", "scenario=nside16", "splits=1-1", "scenario.lmax=999,32"]);
    expect(going.code).toBe(2);
    expect(row(going.stderr, "scenario.lmax=999")).toEqual(["—", "—", "—", "—", "error", "(exit", "2)"]);
    expect(row(going.stderr, "scenario.lmax=32")?.at(-1)).toBe("ok");
    const fast = project.run(["run", "-m", "--fail-fast", "scenario=nside16", "splits=1-1", "scenario.lmax=999,32"]);
    expect(fast.code).toBe(2);
    expect(row(fast.stderr, "scenario.lmax=32")).toEqual(["—", "—", "—", "—", "not", "run"]);
  });

  it("status -m and dag -m go over the same variants, each under a header", () => {
    const status = project.run(["status", "-m", "scenario=nside16", "splits=1-1,3-3"]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^== \[1\/2\] splits=1-1\n[\s\S]*all 37 nodes are fresh\n\n== \[2\/2\] splits=3-3\n[\s\S]*all \d+ nodes are fresh\n$/);
    const globbed = project.run(["dag", "-m", "scenario=glob(nside*)"]);
    expect(globbed.code, globbed.stderr).toBe(0);
    expect(globbed.stdout).toContain("== [1/4] scenario=nside16\n");
    expect(globbed.stdout).toContain("== [3/4] scenario=nside64\n");
    expect(globbed.stdout).toContain("== [4/4] scenario=nside64_iqu\n");
    expect(globbed.stdout).toContain("make_cmb");
  });
});
