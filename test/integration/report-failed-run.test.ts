/**
 * `cmbflow report` about a run that failed, through the real binary: the failing stage is
 * coloured as failed, its failed node shows the stage's message with its time and memory,
 * and the node downstream of it shows what blocked it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject } from "./project.js";

const FILES: Record<string, string> = {
  "cfg/config.yaml": `defaults:
  - pipeline: p
  - _self_
dataset_name: broken
splits:
  name: three
  Train:
    n_sims: 3
`,
  "cfg/pipeline/p.yaml": `work:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  dir_name: A_Work
  executor: stages/work.ts#Work
after:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/after.txt"}
  assets_in:
    out: {stage: work}
  dir_name: B_After
  executor: stages/work.ts#After
`,
  "stages/work.ts": `import { BaseStageExecutor, type NodeContext } from "cmbflow";

export class Work extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    // Holds 32 MiB while it works, so its peak memory shows it.
    const held = new Float64Array(4 << 20).fill(ctx.partition.sim ?? 0);
    if (ctx.partition.sim === 1) throw new Error(\`sim 1 <is> cursed (\${String(held[0])})\`);
    await ctx.output<string>("out").write(\`sim \${String(held[0])}\\n\`);
  }
}

export class After extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("out").write((await ctx.input<string>("out").read()).toUpperCase());
  }
}
`,
};

describe("cmbflow report of a failed run", () => {
  let project: Project;
  let html: string;
  beforeAll(() => {
    project = makeProject(FILES);
    const run = project.run(["run", "-j", "1", "--keep-going"]);
    if (run.code !== 1) throw new Error(`the run should fail: ${run.stderr}`);
    const made = project.run(["report"]);
    if (made.code !== 0) throw new Error(made.stderr);
    html = readFileSync(join(project.dir, "report.html"), "utf8");
  }, 180_000);
  afterAll(() => project.cleanup());

  it("colours the failing stage and the blocked one, and says the run failed", () => {
    expect(html).toContain('<span class="badge outcome-failed">failed</span>');
    expect(html).toMatch(/<g class="stage" data-stage="0"[^>]*aria-label="stage work: failed"[^>]*>.*?fill="#f4a6a4"/);
    expect(html).toContain('aria-label="stage after: some nodes skipped"');
    expect(html).toContain("<dt>nodes</dt><dd>4 ran, 0 fresh, 0 restored, 1 failed, 1 skipped</dd>");
  });

  it("lists the failed node with the stage's message (escaped), its time and its thread's peak memory", () => {
    const row = /<tr><td class="mono">work\[split=Train,sim=1\]<\/td>.*?<\/tr>/.exec(html)?.[0] ?? "";
    expect(row).toContain('<span class="status-failed">failed</span><br><span class="muted">sim 1 &#60;is&#62; cursed (1)</span>');
    const peak = /<td class="num">([\d.]+) MiB <span class="muted">\(\+([\d.]+) MiB\)<\/span><\/td>/.exec(row);
    expect(Number(peak?.[2])).toBeGreaterThanOrEqual(32);
    expect(row).toContain('<span class="muted">none recorded</span>');
  });

  it("lists the node downstream of the failure as blocked by it, and the others with their outputs", () => {
    expect(html).toMatch(/<td class="mono">after\[split=Train,sim=1\]<\/td><td><span class="status-blocked">skipped: a dependency failed<\/span><br><span class="muted">blocked by work\[split=Train,sim=1\]<\/span>/);
    expect(html).toContain("<summary class=\"mono\">data/broken/A_Work/Train/sim0002/out.txt</summary>");
  });
});
