import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, tempProject } from "./harness.js";

const SMALL = ["scenario=nside16", "splits=1-1"];

describe("cmbflow report", () => {
  let project: { dir: string; cleanup: () => void };
  beforeAll(async () => {
    project = tempProject({}, true);
    for (const seed of ["1", "2"]) {
      const run = await cli(project.dir, ["run", "-q", ...SMALL, `seed=${seed}`]);
      if (run.code !== 0) throw new Error(run.stderr);
    }
  }, 180_000);
  afterAll(() => project.cleanup());

  it("writes one HTML file about the latest run: DAG, nodes with time and memory, figures, config changes, provenance", async () => {
    const { code, stdout } = await cli(project.dir, ["report", ...SMALL, "seed=2", "-o", "out.html"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^report of run \S+ written to out\.html\n$/);
    const html = readFileSync(join(project.dir, "out.html"), "utf8");
    expect(html).toContain('<span class="badge outcome-success">success</span>');
    // Every stage drawn, each with its node list.
    for (const stage of ["ps_setup", "make_cmb", "make_noise", "make_obs", "mollview_sim", "mollview_obs", "get_dataset_stats", "ps_analysis", "ps_summary"]) {
      expect(html).toContain(`aria-label="stage ${stage}: ran"`);
    }
    expect(html.match(/<section class="stage-nodes"/g)).toHaveLength(9);
    // A node's row: status, duration, work, peak memory and its output with its provenance.
    expect(html).toMatch(/<td class="mono">make_cmb\[split=Test,sim=0\]<\/td><td><span class="status-ran">ran<\/span><\/td><td class="num">[\d.]+ m?s<\/td><td class="num">[\d.]+ m?s<\/td><td class="num">[\d.]+ MiB/);
    expect(html).toContain("<summary class=\"mono\">data/T_16_1-1/Simulation_Working/B_Make_CMB/Test/sim0000/cmb_map.fits</summary><pre>data/T_16_1-1/Simulation_Working/B_Make_CMB/Test/sim0000/cmb_map.fits\n  node        make_cmb[split=Test,sim=0]\n");
    expect(html).toMatch(/<img src="data:image\/png;base64,iVBORw0KGgo[A-Za-z0-9+/=]+" alt="data\/T_16_1-1\/Simulation_Working\/G_PS_Summary\/ps_summary.png">/);
    expect(html).toContain('<td class="mono">seed</td><td class="mono">1</td><td class="mono">2</td>');
    expect(html).toContain("<code>seed=2</code>");
  });

  it("writes report.html by default, where the command was started", async () => {
    const { code } = await cli(project.dir, ["report", ...SMALL]);
    expect(code).toBe(0);
    expect(existsSync(join(project.dir, "report.html"))).toBe(true);
  });

  it("says so when the configured dataset has no run yet", async () => {
    const { code, stdout, stderr } = await cli(project.dir, ["report", "scenario=nside16", "splits=3-3"]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe("error: no run of dataset T_16_3-3 yet: data/T_16_3-3/Logs holds no run folder (cmbflow run makes one; give report the overrides the run had)\n");
  });

  it("refuses an output it cannot write before doing any work", async () => {
    mkdirSync(join(project.dir, "a-folder"), { recursive: true });
    const missing = await cli(project.dir, ["report", ...SMALL, "-o", "no/such/dir/r.html"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`error: -o no/such/dir/r.html: the folder ${join(project.dir, "no", "such", "dir")} does not exist\n`);
    const folder = await cli(project.dir, ["report", ...SMALL, "-o", "a-folder"]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toBe(`error: -o a-folder: ${join(project.dir, "a-folder")} is a folder; name a file, e.g. ${join(project.dir, "a-folder", "report.html")}\n`);
  });

  it("reports a bad flag or override the way every command does", async () => {
    const flag = await cli(project.dir, ["report", "--outptu", "x.html"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("error: unknown option '--outptu'\n(Did you mean --output?)");
    const override = await cli(project.dir, ["report", "scenario=nside17"]);
    expect(override.code).toBe(2);
    expect(override.stderr).toContain("nside17");
  });
});
