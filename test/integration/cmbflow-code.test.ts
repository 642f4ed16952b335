/**
 * cmbflow's own code in the fingerprints: a copy of the compiled package (bin/, dist/,
 * package.json; its node_modules a link to this checkout's) runs the tutorial pipeline of
 * built-in stages, and the copy's dist/ files and version are edited.
 */
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject, REPO } from "./project.js";

const ARGS = ["--config-name", "tutorial", "scenario=nside16", "splits=1-1"];

describe("a built-in stage's compiled code, and cmbflow's version", () => {
  let pkg: string;
  let project: Project;
  beforeAll(() => {
    pkg = mkdtempSync(join(tmpdir(), "cmbflow-pkg-"));
    for (const part of ["bin", "dist", "package.json"]) cpSync(join(REPO, part), join(pkg, part), { recursive: true });
    symlinkSync(join(REPO, "node_modules"), join(pkg, "node_modules"));
    project = makeProject({}, { defaultCfg: true, packageRoot: pkg });
  });
  afterAll(() => {
    project.cleanup();
    rmSync(pkg, { recursive: true, force: true });
  });

  const explain = (node: string): string => project.run(["explain", node, ...ARGS]).stdout;

  it("makes the stage stale when its dist/ module is edited, naming the file that runs", () => {
    expect(project.run(["run", ...ARGS]).code).toBe(0);
    expect(project.run(["status", ...ARGS]).code).toBe(0);
    appendFileSync(join(pkg, "dist", "stages", "ps-setup.js"), "// edited\n");
    const status = project.run(["status", ...ARGS]);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain("ps_setup              0 fresh       1 run       0 restore       0 may run  — code changed: 1\nps2map                0 fresh       0 run       0 restore       3 may run  — upstream stale: 3\n");
    expect(explain("ps_setup")).toContain("  code changed\n    cmbflow/dist/stages/ps-setup.js edited\n");
    // Same spectrum written again: the stages downstream stay fresh.
    const { code, stderr } = project.run(["run", ...ARGS]);
    expect(code).toBe(0);
    expect(stderr).toContain("done: 1 ran, 4 fresh in ");
  });

  it("makes the stages that write and read through a built-in handler stale when its dist/ module is edited", () => {
    appendFileSync(join(pkg, "dist", "handlers", "text-power-spectrum.js"), "// edited\n");
    const status = project.run(["status", ...ARGS, "--json"]);
    expect(status.code).toBe(1);
    const stages = (JSON.parse(status.stdout) as { stages: { name: string; reasons: Record<string, number> }[] }).stages;
    expect(stages.map((s) => [s.name, s.reasons["code changed"] ?? 0])).toEqual([
      ["ps_setup", 1],
      ["ps2map", 3],
      ["get_map_min_max", 0],
    ]);
    expect(explain("ps2map[split=Train,sim=0]")).toContain("  code changed\n    cmbflow/dist/handlers/text-power-spectrum.js edited\n");
    expect(project.run(["run", ...ARGS]).code).toBe(0);
  });

  it("makes every node stale when cmbflow's version changes, saying so", () => {
    const file = join(pkg, "package.json");
    const manifest = JSON.parse(readFileSync(file, "utf8")) as { version: string };
    writeFileSync(file, JSON.stringify({ ...manifest, version: "99.0.0" }));
    const status = project.run(["status", ...ARGS]);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain("cmbflow run will run 5, restore 0, may run 0, of 5 nodes");
    expect(explain("get_map_min_max")).toContain(`  code changed\n    cmbflow version: ${JSON.stringify(manifest.version)} → "99.0.0"\n`);
  });
});
