/**
 * A command started in a subfolder of a project works on the project, as git and DVC do: it
 * finds the nearest folder above holding cfg/, and data, cache and executors are the
 * project's; a path typed as an argument is relative to where the user is.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject } from "./project.js";

const SMALL = ["scenario=nside16", "splits=1-1"];

describe("a command started in a subfolder of a project", () => {
  let project: Project;
  const week1 = join("notebooks", "week1");
  beforeAll(() => {
    project = makeProject({}, { defaultCfg: true });
    mkdirSync(join(project.dir, week1), { recursive: true });
  });
  afterAll(() => project.cleanup());

  it("runs the project's pipeline, with its data and cache in the project folder", () => {
    const run = project.runIn(week1, ["run", "-q", ...SMALL]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`note: in the project at ${project.dir} (the nearest folder above with a cfg/)\n`);
    expect(existsSync(join(project.dir, "data", "T_16_1-1"))).toBe(true);
    expect(existsSync(join(project.dir, "cache", "state", "nodes.jsonl"))).toBe(true);
    expect(existsSync(join(project.dir, "notebooks", "week1", "data"))).toBe(false);
    expect(existsSync(join(project.dir, "notebooks", "week1", "cache"))).toBe(false);
    // From the project folder itself, everything is fresh.
    expect(project.run(["status", ...SMALL]).code).toBe(0);
  });

  it("takes a path argument relative to the folder it was started in", () => {
    const map = join("..", "..", "data", "T_16_1-1", "Simulation_Working", "B_Make_CMB", "Train", "sim0000", "cmb_map.fits");
    const provenance = project.runIn(week1, ["provenance", map]);
    expect(provenance.code, provenance.stderr).toBe(0);
    expect(provenance.stdout).toContain("make_cmb[split=Train,sim=0]");
  });

  it("stays where it was started when --config-dir says where the configuration is", () => {
    const dag = project.runIn(week1, ["dag", "--config-dir", join("..", "..", "cfg")]);
    expect(dag.code, dag.stderr).toBe(0);
    expect(dag.stderr).not.toContain("note: in the project at");
    expect(dag.stdout).toContain("make_cmb");
  });
});
