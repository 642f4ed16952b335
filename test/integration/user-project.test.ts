import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject } from "./project.js";

const FILES: Record<string, string> = {
  "cfg/config.yaml": `defaults:
  - splits: small
  - pipeline: words
  - _self_
dataset_name: words_\${splits.name}
plugins:
  - handlers/shout-text.ts
seed: 11
`,
  "cfg/splits/small.yaml": "name: small\nTrain:\n  n_sims: 2\nTest:\n  n_sims: 1\n",
  "cfg/pipeline/words.yaml": `make_words:
  assets_out:
    words: {handler: ShoutText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/words.txt"}
  dir_name: A_Words
  word: hello
  executor: stages/make-words.ts#MakeWords
  make_stage_log: true
count_words:
  assets_out:
    counts: {handler: CsvTable, path_template: "{root}/{dataset}/{stage}/counts.csv"}
  assets_in:
    words: {stage: make_words}
  dir_name: B_Counts
  executor: stages/count-words.ts#CountWords
`,
  "handlers/shout-text.ts": `import { readFile, writeFile } from "node:fs/promises";
import { registerHandler, type AssetHandler } from "cmbflow";

/** Writes text in capitals; a handler of the user's own. */
const ShoutText: AssetHandler<string> = {
  name: "ShoutText",
  read: async (path) => readFile(path, "utf8"),
  write: async (path, text) => writeFile(path, text.toUpperCase()),
};
registerHandler("ShoutText", ShoutText);
`,
  "stages/make-words.ts": `import { BaseStageExecutor, type Cfg, type NodeContext } from "cmbflow";

export class MakeWords extends BaseStageExecutor {
  readonly #word: string;
  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#word = cfg.string(\`pipeline.\${stage}.word\`);
  }
  async processSim(ctx: NodeContext): Promise<void> {
    const n = (ctx.partition.sim ?? 0) + 1;
    ctx.log.info("words made", { n });
    await ctx.output<string>("words").write(Array.from({ length: n }, () => this.#word).join(" "));
  }
}
`,
  "stages/count-words.ts": `import { BaseStageExecutor, type NodeContext, type ScanResult } from "cmbflow";

export class CountWords extends BaseStageExecutor {
  async scan(ctx: NodeContext): Promise<number> {
    return (await ctx.input<string>("words").read()).split(" ").length;
  }
  async sift(results: readonly ScanResult<unknown>[], ctx: NodeContext): Promise<void> {
    await ctx.output("counts").write({
      columns: ["split", "sim", "words"],
      rows: results.map((r) => [r.partition.split ?? "", r.partition.sim ?? 0, r.value as number]),
    });
  }
}
`,
};

describe("a user project with its own TypeScript executors and handler", () => {
  let project: Project;
  beforeAll(() => {
    project = makeProject(FILES);
  });
  afterAll(() => project.cleanup());

  it("runs with no build step, using the handler its plugin registered", () => {
    const { code, stderr } = project.run(["run"]);
    expect(stderr).toContain("done: 4 ran in ");
    expect(code).toBe(0);
    const data = join(project.dir, "data", "words_small");
    expect(readFileSync(join(data, "A_Words/Train/sim0001/words.txt"), "utf8")).toBe("HELLO HELLO");
    expect(readFileSync(join(data, "B_Counts/counts.csv"), "utf8")).toBe("split,sim,words\nTrain,0,1\nTrain,1,2\nTest,0,1\n");
  });

  it("keeps a log folder per run: configs, resolved config, code snapshot stored once, summary", () => {
    project.run(["run", "pipeline.make_words.word=bye"]);
    const logs = join(project.dir, "data", "words_small", "Logs");
    const runs = readdirSync(logs).filter((d) => !d.startsWith(".")).sort();
    expect(runs).toHaveLength(2);
    const second = join(logs, runs[1] ?? "");
    expect(readFileSync(join(second, "config", "pipeline", "words.yaml"), "utf8")).toBe(FILES["cfg/pipeline/words.yaml"]);
    expect(readFileSync(join(second, "config_resolved.yaml"), "utf8")).toContain("word: bye");
    expect(readFileSync(join(second, "overrides.yaml"), "utf8")).toBe("- pipeline.make_words.word=bye\n");
    const code = JSON.parse(readFileSync(join(second, "code.json"), "utf8")) as { files: { path: string }[] };
    expect(code.files.map((f) => f.path)).toEqual(["handlers/shout-text.ts", "stages/count-words.ts", "stages/make-words.ts"]);
    expect(existsSync(join(second, "code", "stages", "make-words.ts"))).toBe(true);
    // Same code in both runs: one snapshot.
    expect(readdirSync(join(logs, ".snapshots"))).toHaveLength(1);
    const summary = JSON.parse(readFileSync(join(second, "summary.json"), "utf8")) as { outcome: string; ran: number };
    expect(summary).toMatchObject({ outcome: "success", ran: 4 });
    const log = readFileSync(join(second, "run.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { event: string });
    expect(log.filter((e) => e.event === "node-finished")).toHaveLength(4);
    // A stage's own log lines go to the run's JSON log.
    expect(log.filter((e) => e.event === "stage-log" && (e as { message?: string }).message === "words made")).toHaveLength(3);
    expect(existsSync(join(second, "dependencies.json"))).toBe(true);
    // make_stage_log: true copies the run's log into the stage folder.
    expect(readdirSync(join(project.dir, "data", "words_small", "A_Words", "Logs"))).toHaveLength(2);
  });

  it("names the stage and the path when an executor module or export is missing", () => {
    project.write("cfg/pipeline/broken.yaml", FILES["cfg/pipeline/words.yaml"]?.replace("stages/make-words.ts#MakeWords", "stages/nope.ts#MakeWords").replace("stages/count-words.ts#CountWords", "stages/count-words.ts#CountWordz") ?? "");
    const { code, stderr } = project.run(["run", "pipeline=broken"]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `error: stage "make_words": executor module not found: ${join(project.dir, "stages/nope.ts")}\n` +
        `error: stage "count_words": ${join(project.dir, "stages/count-words.ts")} has no export "CountWordz" (it exports CountWords)\n`,
    );
  });

  it("names the stage and the file when an executor class does not extend BaseStageExecutor", () => {
    project.write("stages/plain.ts", "export class Plain {\n  processSim(): void {}\n}\n");
    project.write("cfg/pipeline/plain.yaml", FILES["cfg/pipeline/words.yaml"]?.replace("stages/count-words.ts#CountWords", "stages/plain.ts#Plain") ?? "");
    const { code, stderr } = project.run(["run", "--dry-run", "pipeline=plain"]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      'error: executor of stage "count_words" (stages/plain.ts#Plain) does not extend BaseStageExecutor: declare it as `class Plain extends BaseStageExecutor` and call super(cfg, stage)\n' +
        "1 problem found before running; nothing was run\n",
    );
  });

  it("reports a syntax error in an executor module at its line and column", () => {
    const good = FILES["stages/count-words.ts"] ?? "";
    project.write("stages/count-words.ts", `${good}\nconst broken = ;\n`);
    const { code, stderr } = project.run(["run", "--dry-run"]);
    project.write("stages/count-words.ts", good);
    expect(code).toBe(2);
    const line = good.split("\n").length + 1;
    expect(stderr).toContain(`error: stage "count_words": executor module ${join(project.dir, "stages/count-words.ts")} failed to load: `);
    // esbuild's columns count from 0.
    expect(stderr).toMatch(new RegExp(`failed to load: Transform failed with 1 error: .*stages/count-words\\.ts:${String(line)}:15: ERROR: Unexpected ";"`));
  });

  it("reports a stage that throws with its node, message and the stage's own stack, and exits 1", () => {
    project.write("stages/make-words.ts", FILES["stages/make-words.ts"]?.replace("const n = (ctx.partition.sim ?? 0) + 1;", 'const n = (ctx.partition.sim ?? 0) + 1;\n    if (n === 2) throw new Error("vocabulary exhausted");') ?? "");
    const { code, stderr } = project.run(["run", "-j", "1"]);
    expect(code).toBe(1);
    expect(stderr).toContain('error: stage "make_words" failed at node make_words[split=Train,sim=1]: vocabulary exhausted\n');
    expect(stderr).toMatch(/ {4}at MakeWords\.processSim \(.*stages\/make-words\.ts:\d+:\d+\)/);
    expect(stderr).toMatch(/failed: 1 ran, 1 failed, 2 skipped in /);
  });
});

describe("a user project whose plugin handler's code is edited", () => {
  let project: Project;
  beforeAll(() => {
    project = makeProject(FILES);
  });
  afterAll(() => project.cleanup());

  it("makes the nodes that write and read through the handler stale for code changed, naming the plugin file", () => {
    expect(project.run(["run"]).code).toBe(0);
    expect(project.run(["status"]).code).toBe(0);
    project.write("handlers/shout-text.ts", (FILES["handlers/shout-text.ts"] ?? "").replace("text.toUpperCase()", '`${text.toUpperCase()}!`'));
    const status = project.run(["status"]);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain("make_words        0 fresh       3 run       0 restore       0 may run  — code changed: 3\n");
    expect(status.stdout).toContain("count_words       0 fresh       1 run       0 restore       0 may run  — code changed: 1");
    const writer = project.run(["explain", "make_words[split=Train,sim=1]"]);
    expect(writer.stdout).toContain("  code changed\n    handlers/shout-text.ts edited\n");
    const reader = project.run(["explain", "count_words"]);
    expect(reader.stdout).toContain("  code changed\n    handlers/shout-text.ts edited\n");
    const { code, stderr } = project.run(["run"]);
    expect(stderr).toContain("done: 4 ran in ");
    expect(code).toBe(0);
    expect(readFileSync(join(project.dir, "data", "words_small", "A_Words/Train/sim0001/words.txt"), "utf8")).toBe("HELLO HELLO!");
    expect(project.run(["status"]).code).toBe(0);
  });
});

describe("a comment-only edit to an upstream executor", () => {
  const files: Record<string, string> = {
    "cfg/config.yaml": "defaults:\n  - splits: small\n  - pipeline: p\n  - _self_\ndataset_name: d\n",
    "cfg/splits/small.yaml": "name: small\nTrain:\n  n_sims: 2\nTest:\n  n_sims: 1\n",
    "cfg/pipeline/p.yaml": `setup:
  assets_out:
    base: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/base.txt"}
  dir_name: A_Setup
  executor: stages/setup.ts#Setup
use:
  assets_out:
    copy: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/copy.txt"}
  assets_in:
    base: {stage: setup}
  dir_name: B_Use
  executor: stages/use.ts#Use
`,
    "stages/setup.ts": `import { BaseStageExecutor, type NodeContext } from "cmbflow";

export class Setup extends BaseStageExecutor {
  async execute(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("base").write("base");
  }
}
`,
    "stages/use.ts": `import { BaseStageExecutor, type NodeContext } from "cmbflow";

export class Use extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("copy").write(await ctx.input<string>("base").read());
  }
}
`,
  };
  let project: Project;
  beforeAll(() => {
    project = makeProject(files);
    const first = project.run(["run"]);
    if (first.code !== 0) throw new Error(first.stderr);
  });
  afterAll(() => project.cleanup());

  it("status says 1 will run and 3 may run, the dry run lists why, and the run then runs 1", () => {
    project.write("stages/setup.ts", `// A comment changes the code digest, not the bytes written.\n${files["stages/setup.ts"] ?? ""}`);
    const status = project.run(["status"]);
    expect(status.code).toBe(1);
    expect(status.stdout).toBe(
      "setup       0 fresh       1 run       0 restore       0 may run  — code changed: 1\n" +
        "use         0 fresh       0 run       0 restore       3 may run  — upstream stale: 3\n" +
        "cmbflow run will run 1, restore 0, may run 3 (they wait on upstream nodes that will run; early cutoff skips them if those write the same bytes), of 4 nodes\n",
    );
    const listed = project.run(["run", "--dry-run", "--list"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split("\n").slice(0, 4)).toEqual([
      "run      setup                   code changed",
      "may run  use[split=Train,sim=0]  waits on setup, which will run (early cutoff may skip it)",
      "may run  use[split=Train,sim=1]  waits on setup, which will run (early cutoff may skip it)",
      "may run  use[split=Test,sim=0]   waits on setup, which will run (early cutoff may skip it)",
    ]);
    const run = project.run(["run"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("done: 1 ran, 3 fresh in ");
  });
});
