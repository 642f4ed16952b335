/**
 * Issue #17: folders removed while a run is going on. A stage that waits for a signal file
 * holds the run at a known point while the test removes the folder.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject, REPO } from "./project.js";

const FILES: Record<string, string> = {
  "cfg/config.yaml": "defaults:\n  - pipeline: p\n  - _self_\ndataset_name: d\nsplits:\n  name: three\n  Train:\n    n_sims: 3\n",
  "cfg/pipeline/p.yaml": `a:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  dir_name: A
  executor: stages/a.ts#A
`,
  // Sim 0 finishes at once; the others wait for the file "go".
  "stages/a.ts": `import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { BaseStageExecutor, type NodeContext } from "cmbflow";
export class A extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    if (ctx.partition.sim !== 0) while (!existsSync("go")) await sleep(20);
    await ctx.output<string>("out").write(\`sim \${String(ctx.partition.sim)}\\n\`);
  }
}
`,
};

let project: Project | undefined;
afterEach(() => project?.cleanup());

/** Starts `cmbflow run -j 1`, waits for sim 0's record, does `during`, lets the rest go, and waits for the end. */
async function runAndMeddle(p: Project, during: () => void): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [join(REPO, "bin", "cmbflow.js"), "run", "-q", "-j", "1"], {
    cwd: p.dir,
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", NO_COLOR: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
  const nodes = join(p.dir, "cache", "state", "nodes.jsonl");
  const deadline = Date.now() + 60_000;
  while (!(existsSync(nodes) && readFileSync(nodes, "utf8").includes("sim=0]")) && Date.now() < deadline) await sleep(20);
  during();
  writeFileSync(join(p.dir, "go"), "");
  return { code: await closed, stderr };
}

describe("a folder removed during a run", () => {
  it("rm -rf cache/state: the run says its records were lost and exits 1", async () => {
    project = makeProject(FILES);
    const cache = join(project.dir, "cache");
    const result = await runAndMeddle(project, () => rmSync(join(cache, "state"), { recursive: true }));
    expect(result.stderr).toBe(
      `error: ${cache}/state: the state folder was removed or replaced during the run: the records of this run could not be kept, so their nodes will run again next time\n`,
    );
    expect(result.code).toBe(1);
    expect(existsSync(join(cache, "lock"))).toBe(false);
    // What was said holds: the next run runs every node again.
    const next = project.run(["run", "--json"]);
    expect(next.code, next.stderr).toBe(0);
    expect((JSON.parse(next.stdout) as { totals: { ran: number } }).totals.ran).toBe(3);
  });

  it("rm -rf data: the run says its run folder is gone, without a stack trace", async () => {
    project = makeProject(FILES);
    const result = await runAndMeddle(project, () => rmSync(join(project?.dir ?? "", "data"), { recursive: true }));
    expect(result.stderr).toMatch(
      /^error: the run folder data\/d\/Logs\/[\dT_a-f-]+ was removed during the run: its summary could not be written \(outputs removed with it are recomputed by the next run\)\n$/,
    );
    expect(result.code).toBe(1);
    expect(existsSync(join(project.dir, "cache", "lock"))).toBe(false);
  });
});
