/**
 * A stage whose code loads a module cmbflow cannot follow (a computed import(), require through
 * createRequire) is warned about by run and status, naming the file and the code: edits to what
 * it loads do not make the stage stale, and the user should know.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject } from "./project.js";

const FILES: Record<string, string> = {
  "cfg/config.yaml": `defaults:
  - pipeline: p
  - _self_
dataset_name: d
splits:
  name: one
  Train:
    n_sims: 1
`,
  "cfg/pipeline/p.yaml": `pick:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  dir_name: A_Pick
  executor: stages/pick.ts#Pick
`,
  "stages/pick.ts": `import { BaseStageExecutor, type NodeContext } from "cmbflow";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export class Pick extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    const name = "word";
    const { word } = (await import(\`./lib/\${name}.js\`)) as { word: string };
    const { suffix } = require("./lib/suffix.cjs") as { suffix: string };
    await ctx.output<string>("out").write(word + suffix);
  }
}
`,
  "stages/lib/word.ts": `export const word = "w";\n`,
  "stages/lib/suffix.cjs": `module.exports = { suffix: "!" };\n`,
};

describe("a stage that loads code cmbflow cannot follow", () => {
  let project: Project;
  beforeAll(() => {
    project = makeProject(FILES);
  });
  afterAll(() => project.cleanup());

  const WARNINGS = [
    'warning: stage "pick": stages/pick.ts: import(`./lib/${name}.js`) loads code cmbflow cannot follow, so editing that code does not make the stage stale: import it with a string literal, e.g. import("./x.js")\n',
    'warning: stage "pick": stages/pick.ts: createRequire(…)(…) loads code cmbflow cannot follow, so editing that code does not make the stage stale: import it with a string literal, e.g. import("./x.js")\n',
  ];

  it("is warned about by run, naming the file and the code", () => {
    const run = project.run(["run"]);
    expect(run.code, run.stderr).toBe(0);
    for (const w of WARNINGS) expect(run.stderr).toContain(w);
  });

  it("and by status, even when the stage is fresh", () => {
    const status = project.run(["status"]);
    expect(status.code).toBe(0);
    expect(status.stderr).toBe(WARNINGS.join(""));
  });
});
