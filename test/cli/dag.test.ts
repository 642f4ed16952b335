import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, pipelineProject, tempProject } from "./harness.js";

function hasDot(): boolean {
  try {
    execFileSync("dot", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("cmbflow dag on the default configuration", () => {
  let project: { dir: string; cleanup: () => void };
  beforeAll(() => {
    project = tempProject({}, true);
  });
  afterAll(() => project.cleanup());

  it("draws boxes and edges, not a list", async () => {
    const { code, stdout } = await cli(project.dir, ["dag"]);
    expect(code).toBe(0);
    for (const stage of ["ps_setup", "make_cmb", "make_noise", "make_obs", "get_dataset_stats", "ps_analysis", "ps_summary"]) {
      expect(stdout).toContain(`| ${stage} `);
    }
    expect(stdout).toMatch(/\+-+\+/);
    expect(stdout).toContain("*");
    // ps_setup is drawn above make_cmb (edges run downwards).
    expect(stdout.indexOf("| ps_setup")).toBeLessThan(stdout.indexOf("| make_cmb"));
    expect(stdout.indexOf("| make_obs")).toBeLessThan(stdout.indexOf("| ps_summary"));
  });

  it("prints the JSON shape tools rely on", async () => {
    const { code, stdout } = await cli(project.dir, ["dag", "--json"]);
    expect(code).toBe(0);
    const dag = JSON.parse(stdout) as { stages: { name: string; dir_name: string; dims: string[]; nodes: number }[]; edges: { from: string; to: string; asset: string }[] };
    expect(dag.stages.map((s) => [s.name, s.nodes])).toEqual([
      ["ps_setup", 1],
      ["make_cmb", 9],
      ["make_noise", 27],
      ["make_obs", 27],
      ["mollview_sim", 3],
      ["mollview_obs", 9],
      ["get_dataset_stats", 1],
      ["ps_analysis", 3],
      ["ps_summary", 1],
    ]);
    expect(dag.stages.find((s) => s.name === "make_obs")).toEqual({ name: "make_obs", dir_name: "D_Make_Obs", dims: ["split", "sim", "freq"], nodes: 27 });
    expect(dag.edges).toContainEqual({ from: "make_obs", to: "get_dataset_stats", asset: "obs_maps" });
    expect(dag.edges).toContainEqual({ from: "ps_analysis", to: "ps_summary", asset: "cmb_cl" });
  });

  it("lists nodes with --json --nodes, with node edges", async () => {
    const { stdout } = await cli(project.dir, ["dag", "--json", "--nodes", "splits=1-1"]);
    const dag = JSON.parse(stdout) as { nodes: { id: string; stage: string; partition: object }[]; node_edges: { from: string; to: string }[] };
    expect(dag.nodes).toContainEqual({ id: "make_noise[split=Valid,sim=0,freq=217]", stage: "make_noise", partition: { split: "Valid", sim: 0, freq: "217" } });
    expect(dag.node_edges).toContainEqual({ from: "make_cmb[split=Test,sim=0]", to: "ps_analysis[split=Test,sim=0]" });
  });

  it("collapses sims per stage with --nodes, and lists them with --no-collapse", async () => {
    const collapsed = await cli(project.dir, ["dag", "--nodes"]);
    expect(collapsed.stdout).toContain("make_cmb           Train 0–2 · Valid 0–2 · Test 0–2\n");
    expect(collapsed.stdout).toContain("make_noise         Train 0–2 · Valid 0–2 · Test 0–2 × freq 30,100,217\n");
    expect(collapsed.stdout).toContain("ps_analysis        Test 0–2\n");
    const full = await cli(project.dir, ["dag", "--nodes", "--no-collapse", "splits=1-1"]);
    expect(full.stdout).toContain("make_cmb (3)\n  make_cmb[split=Train,sim=0]\n  make_cmb[split=Valid,sim=0]\n  make_cmb[split=Test,sim=0]\n");
  });

  it("follows overrides: run_inference_on moves the analysis to another split", async () => {
    const { stdout } = await cli(project.dir, ["dag", "--nodes", "run_inference_on=Valid", "splits=10-10"]);
    expect(stdout).toContain("ps_analysis        Valid 0–9\n");
  });

  it("writes Mermaid with one node per stage and labelled edges", async () => {
    const { stdout } = await cli(project.dir, ["dag", "--mermaid"]);
    expect(stdout.split("\n")[0]).toBe("flowchart TD");
    expect(stdout).toContain('  s0["ps_setup (1)"]');
    expect(stdout).toContain('  s0 -->|"cmb_ps"| s1');
  });

  it.skipIf(!hasDot())("writes DOT that Graphviz accepts (stage and node graphs)", async () => {
    for (const args of [["dag", "--dot"], ["dag", "--dot", "--nodes", "splits=1-1"]]) {
      const { stdout } = await cli(project.dir, args);
      const svg = execFileSync("dot", ["-Tsvg"], { input: stdout }).toString();
      expect(svg).toContain("<svg");
      expect(svg).toContain("make_cmb");
    }
  });

  it("rejects two formats at once and unknown flags with exit code 2", async () => {
    const both = await cli(project.dir, ["dag", "--dot", "--json"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe("error: option '--dot' cannot be used with option '--json'\n");
    const bogus = await cli(project.dir, ["dag", "--bogus"]);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toBe("error: unknown option '--bogus'\n");
    const command = await cli(project.dir, ["dga"]);
    expect(command.code).toBe(2);
    expect(command.stderr).toBe("error: unknown command 'dga'\n(Did you mean dag?)\n");
  });
});

describe("cmbflow dag diagnostics, rendered", () => {
  const out = (name: string, extra = ""): string => `${name}:
  assets_out:
    out: {handler: HealpyMap, path_template: "{root}/{stage}/{split}/{sim}/${name}.fits"}
  dir_name: ${name}
${extra}`;

  async function dagErrors(pipeline: string): Promise<{ code: number; stderr: string }> {
    const project = tempProject(pipelineProject(pipeline));
    try {
      const { code, stderr } = await cli(project.dir, ["dag"]);
      return { code, stderr };
    } finally {
      project.cleanup();
    }
  }

  it("unknown stage", async () => {
    const { code, stderr } = await dagErrors(`${out("make_cmb")}${out("make_obs", "  assets_in:\n    cmb: {stage: make_cbm, orig_name: out}\n")}`);
    expect(code).toBe(2);
    expect(stderr).toBe(`error: stage "make_obs" reads "cmb" from unknown stage "make_cbm"
  --> cfg/pipeline/p.yaml:10:18
   |
10 |     cmb: {stage: make_cbm, orig_name: out}
   |                  ^^^^^^^^
   = note: did you mean "make_cmb"?
   = note: stages: make_cmb, make_obs
`);
  });

  it("unknown asset, with did-you-mean", async () => {
    const { stderr } = await dagErrors(`${out("a")}${out("b", "  assets_in:\n    outt: {stage: a}\n")}`);
    expect(stderr).toBe(`error: stage "b" reads asset "outt" from stage "a", which does not output it
  --> cfg/pipeline/p.yaml:10:19
   |
10 |     outt: {stage: a}
   |                   ^
   = note: did you mean "out"?
   = note: "a" outputs: out
`);
  });

  it("unknown handler, unknown tag and unbalanced brace, all together", async () => {
    const { code, stderr } = await dagErrors(`a:
  assets_out:
    m: {handler: HealpyMapp, path_template: "{root}/{stgae}/m.fits"}
    n: {handler: HealpyMap, path_template: "{root/n.fits"}
`);
    expect(code).toBe(2);
    expect(stderr).toBe(`error: unknown handler "HealpyMapp" for asset "m" of stage "a"
 --> cfg/pipeline/p.yaml:3:18
  |
3 |     m: {handler: HealpyMapp, path_template: "{root}/{stgae}/m.fits"}
  |                  ^^^^^^^^^^
  = note: did you mean "HealpyMap"?
  = note: registered handlers: AppendingCsv, Config, CsvTable, EmptyHandler, Figure, HealpyMap, Mollview, Mover, NumpyMap, NumpyPowerSpectrum, PlainText, TextPowerSpectrum

error: unknown tag "{stgae}" in path_template of asset "m" in stage "a"
 --> cfg/pipeline/p.yaml:3:53
  |
3 |     m: {handler: HealpyMapp, path_template: "{root}/{stgae}/m.fits"}
  |                                                     ^^^^^^^
  = note: did you mean "stage"?
  = note: known tags: split, sim, freq, epoch, root, src_root, dataset, working, stage, and the stage's own scalar keys

error: path_template of asset "n" in stage "a": "{" at character 1 is never closed
 --> cfg/pipeline/p.yaml:4:45
  |
4 |     n: {handler: HealpyMap, path_template: "{root/n.fits"}
  |                                             ^

3 errors
`);
  });

  it("a three-stage cycle, naming every edge", async () => {
    const { stderr } = await dagErrors(
      `${out("a", "  assets_in:\n    from_c: {stage: c, orig_name: out}\n")}${out("b", "  assets_in:\n    from_a: {stage: a, orig_name: out}\n")}${out("c", "  assets_in:\n    from_b: {stage: b, orig_name: out}\n")}`,
    );
    expect(stderr).toBe(`error: the pipeline has a cycle: a → b → c → a
  --> cfg/pipeline/p.yaml:12:21
   |
12 |     from_a: {stage: a, orig_name: out}
   |                     ^
   = note: edge a → b (from_a)
   = note: edge b → c (from_b)
   = note: edge c → a (from_c)
`);
  });

  it("a stage reading its own output: exit 2, at the assets_in entry", async () => {
    const { code, stderr } = await dagErrors(out("a", "  assets_in:\n    previous: {stage: a, orig_name: out}\n"));
    expect(code).toBe(2);
    expect(stderr).toBe(`error: stage "a" reads its own output "out" (as "previous"): a stage cannot be its own input
 --> cfg/pipeline/p.yaml:6:23
  |
6 |     previous: {stage: a, orig_name: out}
  |                       ^
  = note: read it from the stage that produced it before, or give the result a new stage
`);
  });

  it("a splits filter that matches no split", async () => {
    const { stderr } = await dagErrors(out("a", "  splits: [validation]\n"));
    expect(stderr).toBe(`error: stage "a" runs on splits [validation], which match no split
 --> cfg/pipeline/p.yaml:5:11
  |
5 |   splits: [validation]
  |           ^^^^^^^^^^^^
  = note: splits: Train, Valid, Test
`);
  });
});

describe("values an executor refuses, located", () => {
  it("lmax above 3·nside − 1 stops a dry run at the line that set it, unless allowed", async () => {
    const project = tempProject({}, true);
    try {
      const scenario = join(project.dir, "cfg", "scenario", "nside64.yaml");
      writeFileSync(scenario, readFileSync(scenario, "utf8").replace(/^lmax: 128$/m, "lmax: 500"));
      const refused = await cli(project.dir, ["run", "--dry-run"]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(
        'error: stage "make_cmb": config key "scenario.lmax" is 500, above 3·nside − 1 = 191 for nside 64; set scenario.allow_lmax_above_3nside: true to allow it (cfg/scenario/nside64.yaml:5:7)\n' +
          "1 problem found before running; nothing was run\n",
      );
      const allowed = await cli(project.dir, ["run", "--dry-run", "+scenario.allow_lmax_above_3nside=true"]);
      expect(allowed.code).toBe(0);
    } finally {
      project.cleanup();
    }
  });
});
