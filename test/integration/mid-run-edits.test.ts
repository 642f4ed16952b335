/**
 * What a node ran with is what gets recorded: an upstream output, an executor's source or a
 * config file edited while a run is in progress (after the main thread judged the node,
 * before the node's worker loaded its code or read its inputs) never leaves outputs recorded
 * under the old digests. Stages pause at named points (files in $SIGNALS) while the test edits.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject, REPO } from "./project.js";

const LATER = `import { BaseStageExecutor, type Cfg, type NodeContext } from "cmbflow";

export class Later extends BaseStageExecutor {
  readonly #scale: number;
  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#scale = cfg.number(\`pipeline.\${stage}.scale\`);
  }
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("out").write(\`later v1 scale \${String(this.#scale)}\\n\`);
  }
}
`;

const FILES: Record<string, string> = {
  "cfg/config.yaml": `defaults:
  - pipeline: edits
  - _self_
dataset_name: edits
seed: 5
splits:
  name: one
  Train:
    n_sims: 1
`,
  "cfg/pipeline/edits.yaml": `hold:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  dir_name: A_Hold
  executor: stages/hold.ts#Hold
later:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  dir_name: B_Later
  executor: stages/later.ts#Later
  scale: 1
reader:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  assets_in:
    out: {stage: hold}
  dir_name: C_Reader
  executor: stages/reader.ts#Reader
`,
  "stages/pause.ts": `import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** With $SIGNALS set: writes "started-<name>" there, then waits for "go-<name>". */
export async function pause(name: string): Promise<void> {
  const dir = process.env["SIGNALS"];
  if (dir === undefined || dir === "") return;
  writeFileSync(join(dir, \`started-\${name}\`), "");
  while (!existsSync(join(dir, \`go-\${name}\`))) await sleep(20);
}
`,
  "stages/hold.ts": `import { BaseStageExecutor, type NodeContext } from "cmbflow";
import { pause } from "./pause.js";

export class Hold extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("out").write("hold\\n");
    await pause("hold");
  }
}
`,
  "stages/later.ts": LATER,
  "stages/reader.ts": `import { BaseStageExecutor, type NodeContext } from "cmbflow";
import { pause } from "./pause.js";

export class Reader extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    await pause("reader");
    await ctx.output<string>("out").write((await ctx.input<string>("out").read()).toUpperCase());
  }
}
`,
};

const HOLD_OUT = join("data", "edits", "A_Hold", "Train", "sim0000", "out.txt");
const LATER_OUT = join("data", "edits", "B_Later", "Train", "sim0000", "out.txt");
const READER_OUT = join("data", "edits", "C_Reader", "Train", "sim0000", "out.txt");

/** A run started in the background with $SIGNALS set, and its signal folder. */
function startPaused(
  dir: string,
  args: readonly string[],
): { done: Promise<{ code: number | null; stderr: string }>; started: (...names: string[]) => Promise<string>; go: (name: string) => void } {
  const signals = mkdtempSync(join(tmpdir(), "cmbflow-signals-"));
  const child = spawn(process.execPath, [join(REPO, "bin", "cmbflow.js"), "run", ...args], {
    cwd: dir,
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", NO_COLOR: "1", SIGNALS: signals },
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on("close", (code) => {
      rmSync(signals, { recursive: true, force: true });
      resolve({ code, stderr });
    }),
  );
  /** Waits until one of the named points is reached; which one. */
  const started = async (...names: string[]): Promise<string> => {
    const t0 = Date.now();
    for (;;) {
      const reached = names.find((name) => existsSync(join(signals, `started-${name}`)));
      if (reached !== undefined) return reached;
      if (Date.now() - t0 > 60_000) throw new Error(`timed out waiting for ${names.join(" or ")}; stderr so far:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { done, started, go: (name) => writeFileSync(join(signals, `go-${name}`), "") };
}

/** Lines of nodes.jsonl for one node, parsed. */
function records(dir: string, node: string): Record<string, unknown>[] {
  const path = join(dir, "cache", "state", "nodes.jsonl");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r["node"] === node);
}

describe("an upstream output edited after its node was recorded, before the downstream node read it", () => {
  let project: Project;
  beforeAll(() => {
    project = makeProject(FILES);
  });
  afterAll(() => project.cleanup());

  it("leaves the downstream node's outputs unrecorded, reports it, and status says why", async () => {
    const run = startPaused(project.dir, ["-j", "1"]);
    await run.started("hold");
    run.go("hold");
    await run.started("reader");
    // hold is recorded by now (reader runs only after); its output is edited by hand.
    writeFileSync(join(project.dir, HOLD_OUT), "edited\n");
    run.go("reader");
    const { code, stderr } = await run.done;
    expect(stderr).toContain(
      `error: stage "reader" failed at node reader[split=Train,sim=0]: changed during the run: input ${HOLD_OUT} (of hold[split=Train,sim=0]) changed. Its outputs are kept but not recorded, so the next run runs it again\n`,
    );
    expect(code).toBe(1);
    // The output the node made from the edited input is on disk, without a record for it.
    expect(readFileSync(join(project.dir, READER_OUT), "utf8")).toBe("EDITED\n");
    expect(records(project.dir, "reader[split=Train,sim=0]").map((r) => [r["outputs"], r["changedDuringRun"]])).toEqual([[[], { changes: [`input ${HOLD_OUT} (of hold[split=Train,sim=0]) changed`] }]]);
    const status = project.run(["status"]);
    expect(status.stdout).toMatch(/^reader +0 fresh +1 run +0 restore +0 may run {2}— changed during the run: 1, upstream stale: 1$/m);
    expect(status.stdout).toMatch(/^hold +0 fresh +1 run +0 restore +0 may run {2}— output modified outside cmbflow: 1$/m);
    expect(status.code).toBe(1);
    const explain = project.run(["explain", "reader[split=Train,sim=0]"]);
    expect(explain.stdout).toContain(`  changed during the run\n    input ${HOLD_OUT} (of hold[split=Train,sim=0]) changed\n`);
    // The next run makes both again, from the upstream's own bytes.
    expect(project.run(["run"]).code).toBe(0);
    expect(readFileSync(join(project.dir, READER_OUT), "utf8")).toBe("HOLD\n");
    expect(project.run(["status"]).code).toBe(0);
  }, 120_000);
});

describe("an executor's source edited after the main thread fingerprinted its node, before a worker loaded it", () => {
  let project: Project;
  beforeAll(() => {
    project = makeProject(FILES);
  });
  afterAll(() => project.cleanup());

  it("does not record the node under the old code's fingerprint", async () => {
    // One worker: later's node is judged at once (nothing upstream) and waits behind hold's.
    const run = startPaused(project.dir, ["-j", "1", "--keep-going"]);
    await run.started("hold");
    project.write("stages/later.ts", LATER.replace("later v1", "later v2"));
    run.go("hold");
    await run.started("reader");
    run.go("reader");
    const { code, stderr } = await run.done;
    expect(stderr).toContain(
      `error: stage "later" failed at node later[split=Train,sim=0]: changed during the run: code stages/later.ts. Its outputs are kept but not recorded, so the next run runs it again\n`,
    );
    expect(code).toBe(1);
    expect(readFileSync(join(project.dir, LATER_OUT), "utf8")).toBe("later v2 scale 1\n");
    expect(records(project.dir, "later[split=Train,sim=0]").map((r) => r["changedDuringRun"])).toEqual([{ changes: ["code stages/later.ts"] }]);
    const status = project.run(["status"]);
    expect(status.stdout).toMatch(/^later +0 fresh +1 run +0 restore +0 may run {2}— changed during the run: 1$/m);
    expect(status.stdout).toMatch(/^hold +1 fresh +0 run +0 restore +0 may run$/m);
    expect(project.run(["run"]).code).toBe(0);
    expect(project.run(["status"]).code).toBe(0);
  }, 120_000);
});

describe("a config file edited after the main thread loaded it, before a worker built a stage", () => {
  let project: Project;
  beforeAll(() => {
    project = makeProject(FILES);
  });
  afterAll(() => project.cleanup());

  it("runs the stage with the configuration the main thread fingerprinted it with", async () => {
    const run = startPaused(project.dir, ["-j", "1"]);
    await run.started("hold");
    project.write("cfg/pipeline/edits.yaml", (FILES["cfg/pipeline/edits.yaml"] ?? "").replace("scale: 1", "scale: 2"));
    run.go("hold");
    await run.started("reader");
    run.go("reader");
    const { code, stderr } = await run.done;
    expect(code, stderr).toBe(0);
    // Made with scale 1, as recorded: the edit shows as a parameter change for the next run.
    expect(readFileSync(join(project.dir, LATER_OUT), "utf8")).toBe("later v1 scale 1\n");
    const status = project.run(["status"]);
    expect(status.stdout).toMatch(/^later +0 fresh +1 run +0 restore +0 may run {2}— parameters changed: 1$/m);
    project.write("cfg/pipeline/edits.yaml", FILES["cfg/pipeline/edits.yaml"] ?? "");
    expect(project.run(["status"]).code).toBe(0);
  }, 120_000);
});

describe("a reduction's code edited while its scans run", () => {
  const SUM = `import { BaseStageExecutor, type NodeContext, type ScanResult } from "cmbflow";
import { pause } from "./pause.js";

export class Sum extends BaseStageExecutor {
  async scan(ctx: NodeContext): Promise<string> {
    await pause(\`scan\${String(ctx.partition.sim)}\`);
    return \`v1:\${(await ctx.input<string>("out").read()).trim()}\`;
  }
  async sift(results: readonly ScanResult<unknown>[], ctx: NodeContext): Promise<void> {
    await ctx.output<string>("total").write(\`\${results.map((r) => String(r.value)).join(" ")}\\n\`);
  }
}
`;
  const files: Record<string, string> = {
    "cfg/config.yaml": (FILES["cfg/config.yaml"] ?? "").replace("n_sims: 1", "n_sims: 2"),
    "cfg/pipeline/edits.yaml": `hold:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/hold.txt"}
  dir_name: A_Hold
  executor: stages/hold.ts#Hold
gen:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  dir_name: B_Gen
  executor: stages/gen.ts#Gen
sum:
  assets_out:
    total: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/total.txt"}
  assets_in:
    out: {stage: gen}
  dir_name: C_Sum
  executor: stages/sum.ts#Sum
`,
    "stages/pause.ts": FILES["stages/pause.ts"] ?? "",
    "stages/hold.ts": FILES["stages/hold.ts"] ?? "",
    "stages/gen.ts": `import { BaseStageExecutor, type NodeContext } from "cmbflow";

export class Gen extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("out").write(\`\${String(ctx.partition.sim)}\\n\`);
  }
}
`,
    "stages/sum.ts": SUM,
  };
  let project: Project;
  beforeAll(() => {
    project = makeProject(files);
  });
  afterAll(() => project.cleanup());

  it("keeps no scan result made with the edited code under the old code's key", async () => {
    // Two workers: hold pauses on one; gen runs on the other, then one of sum's scans, which
    // loads sum's code and pauses. The code is edited; the other scan goes to the worker hold
    // frees, which loads the edited code.
    const run = startPaused(project.dir, ["-j", "2"]);
    await run.started("hold");
    const first = await run.started("scan0", "scan1");
    const second = first === "scan0" ? "scan1" : "scan0";
    project.write("stages/sum.ts", SUM.replace("v1:", "v2:"));
    run.go("hold");
    await run.started(second);
    run.go("scan0");
    run.go("scan1");
    const { code, stderr } = await run.done;
    expect(stderr).toContain(`error: stage "sum" failed at node sum: changed during the run: code stages/sum.ts. Its outputs are kept but not recorded, so the next run runs it again\n`);
    expect(code).toBe(1);
    const total = join(project.dir, "data", "edits", "C_Sum", "total.txt");
    expect(readFileSync(total, "utf8")).toBe(first === "scan0" ? "v1:0 v2:1\n" : "v2:0 v1:1\n");
    // With the edit undone, the first scan (made with this code) comes from the scan cache;
    // the second (made with the edited code) is made again.
    project.write("stages/sum.ts", SUM);
    expect(project.run(["run"]).code).toBe(0);
    expect(readFileSync(total, "utf8")).toBe("v1:0 v1:1\n");
  }, 120_000);
});

describe("a module a stage imports lazily, edited after the stage's module was loaded, before the stage imported it", () => {
  const WORD = `export const word = "v1";\n`;
  const files: Record<string, string> = {
    "cfg/config.yaml": FILES["cfg/config.yaml"] ?? "",
    "cfg/pipeline/edits.yaml": `lazy:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  dir_name: A_Lazy
  executor: stages/lazy.ts#Lazy
`,
    "stages/pause.ts": FILES["stages/pause.ts"] ?? "",
    "stages/lazy.ts": `import { BaseStageExecutor, type NodeContext } from "cmbflow";
import { pause } from "./pause.js";

export class Lazy extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    await pause("lazy");
    const { word } = await import("./lib/word.js");
    await ctx.output<string>("out").write(\`\${word}\\n\`);
  }
}
`,
    "stages/lib/word.ts": WORD,
  };
  let project: Project;
  beforeAll(() => {
    project = makeProject(files);
  });
  afterAll(() => project.cleanup());

  it("does not record the node under the old module's digest", async () => {
    const run = startPaused(project.dir, ["-j", "1"]);
    await run.started("lazy");
    project.write("stages/lib/word.ts", WORD.replace("v1", "v2"));
    run.go("lazy");
    const { code, stderr } = await run.done;
    expect(stderr).toContain(
      `error: stage "lazy" failed at node lazy[split=Train,sim=0]: changed during the run: code stages/lib/word.ts. Its outputs are kept but not recorded, so the next run runs it again\n`,
    );
    expect(code).toBe(1);
    const out = join(project.dir, "data", "edits", "A_Lazy", "Train", "sim0000", "out.txt");
    expect(readFileSync(out, "utf8")).toBe("v2\n");
    expect(project.run(["status"]).stdout).toMatch(/^lazy +0 fresh +1 run +0 restore +0 may run {2}— changed during the run: 1$/m);
    expect(project.run(["run"]).code).toBe(0);
    expect(project.run(["status"]).code).toBe(0);
  }, 120_000);
});

describe("a plugin's handler module edited after the main thread fingerprinted the node, before a worker loaded the plugin", () => {
  const SHOUT = `import { writeFile, readFile } from "node:fs/promises";
import { registerHandler } from "cmbflow";
registerHandler("Shout", { name: "Shout", read: async (path: string) => readFile(path, "utf8"), write: async (path: string, text: string) => writeFile(path, \`v1 \${text.toUpperCase()}\`) });
`;
  const files: Record<string, string> = {
    "cfg/config.yaml": `${FILES["cfg/config.yaml"] ?? ""}plugins:\n  - plugins/shout.ts\n`,
    "cfg/pipeline/edits.yaml": `later:
  assets_out:
    out: {handler: Shout, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  dir_name: B_Later
  executor: stages/later.ts#Later
  scale: 1
`,
    "stages/pause.ts": FILES["stages/pause.ts"] ?? "",
    "stages/later.ts": LATER,
    // The worker thread pauses before it imports the handler's module; the main thread does not.
    "plugins/shout.ts": `import { isMainThread } from "node:worker_threads";
import { pause } from "../stages/pause.js";
if (!isMainThread) await pause("plugin");
await import("./shout-handler.js");
`,
    "plugins/shout-handler.ts": SHOUT,
  };
  let project: Project;
  beforeAll(() => {
    project = makeProject(files);
  });
  afterAll(() => project.cleanup());

  it("does not record the node under the old handler's digest", async () => {
    const run = startPaused(project.dir, ["-j", "1"]);
    await run.started("plugin");
    project.write("plugins/shout-handler.ts", SHOUT.replace("v1 ", "v2 "));
    run.go("plugin");
    const { code, stderr } = await run.done;
    expect(stderr).toContain(
      `error: stage "later" failed at node later[split=Train,sim=0]: changed during the run: code plugins/shout-handler.ts. Its outputs are kept but not recorded, so the next run runs it again\n`,
    );
    expect(code).toBe(1);
    expect(readFileSync(join(project.dir, LATER_OUT), "utf8")).toBe("v2 LATER V1 SCALE 1\n");
    expect(project.run(["run"]).code).toBe(0);
    expect(project.run(["status"]).code).toBe(0);
  }, 120_000);
});
