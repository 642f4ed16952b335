import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, tempProject } from "../cli/harness.js";

const SMALL = ["scenario=nside16", "splits=1-1", "-j", "1"];

describe("built-in stages reading a theory spectrum", () => {
  let project: { dir: string; cleanup: () => void };
  beforeAll(() => {
    project = tempProject({}, true);
  });
  afterAll(() => project.cleanup());

  it("fail a node over an empty spectrum file with one message naming the file", async () => {
    expect((await cli(project.dir, ["run", ...SMALL, "--until", "ps_setup", "-q"])).code).toBe(0);
    const theory = join(project.dir, "data/T_16_1-1/Simulation_Working/A_PS_Setup/cmb_ps_theory.txt");
    writeFileSync(theory, "");
    const { code, stderr } = await cli(project.dir, ["run", ...SMALL, "--only", "make_cmb", "-q"]);
    expect(code).toBe(1);
    expect(stderr).toContain(`failed at node make_cmb[split=Train,sim=0]: input "cmb_ps" of stage "make_cmb" cannot be read: ${theory}: holds no values\n`);
    expect(stderr).not.toContain("    at ");
  });
});
