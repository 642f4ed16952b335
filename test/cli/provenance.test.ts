import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/io.js";
import { provenanceCommand } from "../../src/cli/provenance-command.js";
import type { CliResult } from "./harness.js";
import { cli, REPO, tempProject } from "./harness.js";

/** `cmbflow provenance ...` in-process, on a program with this command registered the way main.ts registers commands. */
async function provenance(cwd: string, args: readonly string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  let code = 0;
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd, env: {}, color: false, terminal: false };
  const program = new Command("cmbflow").exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  provenanceCommand(program, io, (c) => {
    code = c;
  });
  for (const sub of program.commands) sub.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  try {
    await program.parseAsync(["provenance", ...args], { from: "user" });
  } catch (caught) {
    if (!(caught instanceof CommanderError)) throw caught;
    code = caught.code === "commander.helpDisplayed" ? 0 : 2;
  }
  return { code, stdout, stderr };
}

const DATA = "data/T_16_1-1/Simulation_Working";
const OBS = `${DATA}/D_Make_Obs/Train/sim0000/obs_30_map.fits`;

/** Digests (16 hex digits) replaced by `<d>`: they depend on the numerics, not on what is tested here. */
function withoutDigests(text: string): string {
  return text.replace(/\b[0-9a-f]{16}\b/g, "<d>");
}

describe("cmbflow provenance", () => {
  let project: { dir: string; cleanup: () => void };
  let runId: string;
  beforeAll(async () => {
    project = tempProject({}, true);
    const run = await cli(project.dir, ["run", "splits=1-1", "scenario=nside16"]);
    expect(run.code).toBe(0);
    runId = /^run (\S+):/.exec(run.stderr)?.[1] ?? "";
    expect(runId).not.toBe("");
  });
  afterAll(() => project.cleanup());

  it("names the node, the run, its log folder, the content, code, parameters, partition and the inputs tree of a map", async () => {
    const { code, stdout, stderr } = await provenance(project.dir, [OBS]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    expect(lines[0]).toBe(OBS);
    expect(lines[1]).toBe("  node        make_obs[split=Train,sim=0,freq=30]");
    expect(lines[2]).toMatch(new RegExp(`^  run         ${runId} \\(started \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, took \\d+\\.\\d\\d s\\)$`));
    expect(lines[3]).toBe(`  log folder  data/T_16_1-1/Logs/${runId}`);
    expect(withoutDigests(lines[4] ?? "")).toBe("  content     <d>, 31680 bytes; the file on disk matches");
    expect(lines[5]).toMatch(/^ {2}cost {8}work \d+\.\d\d s in its thread; that thread's heap \+ external memory peaked at \d+\.\d MiB \(\+\d+\.\d MiB during the node\)$/);
    expect(stdout).toMatch(/^ {2}code {8}[0-9a-f]{16}, \d+ files\n/m);
    expect(stdout).toMatch(/^ {14}\S*src\/stages\/make-obs\.ts +[0-9a-f]{16}$/m);
    const version = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
    expect(stdout).toContain(`\n  runtime     Node.js ${process.versions.node.split(".")[0] ?? ""}, cmbflow ${version}\n  parameters  `);
    expect(stdout).toMatch(/^ {2}parameters {2}[0-9a-f]{16}\n/m);
    expect(stdout).toContain("\n              scenario.detectors.30.fwhm_arcmin = 32.3\n");
    expect(stdout).toContain("\n              scenario.lmax = 32\n");
    expect(stdout).toContain("\n  partition   split=Train, sim=0, freq=30\n  seed        ");
    const tree = stdout.slice(stdout.indexOf("  inputs"));
    expect(withoutDigests(tree)).toBe(
      [
        "  inputs (2)",
        `    make_cmb[split=Train,sim=0], run ${runId}`,
        `      ${DATA}/B_Make_CMB/Train/sim0000/cmb_map.fits  <d>`,
        "      inputs (1)",
        `        ps_setup, run ${runId}`,
        `          ${DATA}/A_PS_Setup/cmb_ps_theory.txt  <d>`,
        `    make_noise[split=Train,sim=0,freq=30], run ${runId}`,
        `      ${DATA}/C_Make_Noise/Train/sim0000/noise_30_map.fits  <d>`,
        "",
      ].join("\n"),
    );
  });

  it("prints the same as JSON, and takes an absolute path", async () => {
    const { code, stdout } = await provenance(project.dir, [join(project.dir, OBS), "--json"]);
    expect(code).toBe(0);
    const p = JSON.parse(stdout) as {
      path: string;
      node: string;
      run_id: string;
      log_dir: string;
      on_disk: string;
      size: number;
      usage: { work_ms: number; heap_peak_bytes: number; heap_growth_bytes: number } | null;
      code: { files: Record<string, string> };
      params: { reads: Record<string, unknown> };
      context: { partition: Record<string, unknown>; seed: number };
      inputs: { nodes: { node: string; run_id: string; files: Record<string, string>; inputs: { nodes: { node: string }[] } }[]; more: number };
    };
    expect(p).toMatchObject({ path: OBS, node: "make_obs[split=Train,sim=0,freq=30]", run_id: runId, log_dir: join(project.dir, "data/T_16_1-1/Logs", runId), on_disk: "unchanged", size: 31680 });
    expect(p.usage?.heap_peak_bytes).toBeGreaterThan(p.usage?.heap_growth_bytes ?? Infinity);
    expect(p.usage?.work_ms).toBeGreaterThan(0);
    expect(p.params.reads["scenario.lmax"]).toBe(32);
    expect(p.context.partition).toEqual({ split: "Train", sim: 0, freq: "30" });
    expect(typeof p.context.seed).toBe("number");
    expect(Object.keys(p.code.files).some((f) => f.endsWith("src/stages/make-obs.ts"))).toBe(true);
    expect(p.inputs.nodes.map((n) => [n.node, n.run_id])).toEqual([
      ["make_cmb[split=Train,sim=0]", runId],
      ["make_noise[split=Train,sim=0,freq=30]", runId],
    ]);
    expect(Object.keys(p.inputs.nodes[0]?.files ?? {})).toEqual([`${DATA}/B_Make_CMB/Train/sim0000/cmb_map.fits`]);
    expect(p.inputs.nodes[0]?.inputs.nodes.map((n) => n.node)).toEqual(["ps_setup"]);
  });

  it("limits the tree: --max-inputs counts the rest, --depth stops tracing", async () => {
    const { code, stdout } = await provenance(project.dir, [`${DATA}/G_PS_Summary/ps_summary.png`, "--max-inputs", "1", "--depth", "1"]);
    expect(code).toBe(0);
    expect(withoutDigests(stdout.slice(stdout.indexOf("  inputs")))).toBe(
      [
        "  inputs (2)",
        `    ps_analysis[split=Test,sim=0], run ${runId}`,
        `      ${DATA}/F_PS_Analysis/Test/sim0000/cmb_cl.npy  <d>`,
        "      … 1 more file",
        "      inputs (4): not traced (--depth 1)",
        "    … 1 more input (--max-inputs 1)",
        "",
      ].join("\n"),
    );
  });

  it("traces a shared ancestor once", async () => {
    const { stdout } = await provenance(project.dir, [`${DATA}/G_PS_Summary/ps_summary.png`, "--depth", "5"]);
    expect(stdout.match(/^ +ps_setup, run /gm)?.length).toBeGreaterThan(1);
    expect(stdout).toContain("inputs: as shown above");
    expect(stdout.match(/^ +make_cmb\[split=Test,sim=0\], run .*\n.*\n +inputs \(1\)$/gm)).toHaveLength(1);
  });

  it("says when the file on disk no longer matches its record", async () => {
    const path = `${DATA}/A_PS_Setup/cmb_ps_theory.txt`;
    appendFileSync(join(project.dir, path), "# edited by hand\n");
    const { code, stdout } = await provenance(project.dir, [path]);
    expect(code).toBe(0);
    expect(withoutDigests(stdout.split("\n")[4] ?? "")).toMatch(/^ {2}content {5}<d>, \d+ bytes; the file on disk differs \(now <d>, \d+ bytes\): modified outside cmbflow$/);
    expect(stdout).toContain("  inputs      none\n");
  });

  it("refuses a file no record lists, pointing at status, and a path that is not there at all", async () => {
    writeFileSync(join(project.dir, "data/T_16_1-1/nothing.fits"), "not a map");
    const { code, stdout, stderr } = await provenance(project.dir, ["data/T_16_1-1/nothing.fits"]);
    expect(stdout).toBe("");
    expect(stderr).toBe("error: no recorded node output is data/T_16_1-1/nothing.fits: cmbflow has no record of writing it (cmbflow status shows which nodes have run)\n");
    expect(code).toBe(1);
    const missing = await provenance(project.dir, ["data/T_16_1-1/nope.fits"]);
    expect(missing.stderr).toBe("error: no such file: data/T_16_1-1/nope.fits (and cmbflow has no record of writing it)\n");
    expect(missing.code).toBe(2);
  });

  it("refuses when there is no cache folder", async () => {
    const empty = tempProject();
    try {
      const { code, stderr } = await provenance(empty.dir, [OBS]);
      expect(stderr).toBe(`error: no cache folder ${join(empty.dir, "cache")}: run cmbflow provenance in the project folder where cmbflow run was run\n`);
      expect(code).toBe(1);
    } finally {
      empty.cleanup();
    }
  });
});
