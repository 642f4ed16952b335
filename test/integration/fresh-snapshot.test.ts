/**
 * The freshness snapshot (cache/fresh-snapshot.ts) through the real CLI: a run of the whole
 * pipeline after one that left every node fresh takes the snapshot, and every change that could
 * make a node stale — an output edited with its size and mtime kept, removed, a parameter, the
 * stage's code, the Legendre kernel, a record written by a partial run, a damaged snapshot or
 * cache — makes the run judge node by node, with the right outcome.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Project, Totals } from "./project.js";
import { makeProject } from "./project.js";

const stage = (name: string, body: string): string => `import { BaseStageExecutor, type Cfg, type NodeContext } from "cmbflow";

export class ${name} extends BaseStageExecutor {
  readonly #tag: string;
  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#tag = cfg.string(\`pipeline.\${stage}.tag\`);
  }
  async processSim(ctx: NodeContext): Promise<void> {
${body}
  }
}
`;

const FILES: Record<string, string> = {
  "cfg/config.yaml": `defaults:
  - pipeline: chain
  - _self_
dataset_name: snap
seed: 3
splits:
  name: two
  Train:
    n_sims: 2
  Test:
    n_sims: 1
`,
  "cfg/pipeline/chain.yaml": `first:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/a.txt"}
  dir_name: A
  executor: stages/first.ts#First
  tag: one
second:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/b.txt"}
  assets_in:
    out: {stage: first}
  dir_name: B
  executor: stages/second.ts#Second
  tag: two
`,
  "stages/first.ts": stage("First", '    await ctx.output<string>("out").write(`first ${this.#tag} ${String(ctx.partition.sim ?? 0)}\\n`);'),
  "stages/second.ts": stage("Second", '    await ctx.output<string>("out").write(`${(await ctx.input<string>("out").read()).toUpperCase()}${this.#tag}\\n`);'),
};

/** Nodes: 3 sims × 2 stages. */
const NODES = 6;

interface RunJson {
  readonly totals: Totals;
  readonly judged_by: string;
}

describe("the freshness snapshot", () => {
  let project: Project;
  const run = (...args: string[]): RunJson & { stderr: string } => {
    const r = project.run(["run", "--json", ...args]);
    expect(r.code, r.stderr).toBe(0);
    const parsed = JSON.parse(r.stdout) as RunJson;
    expect(parsed.totals.failed).toBe(0);
    return { ...parsed, stderr: r.stderr };
  };
  const out = (stageDir: string, split: string, sim: string, file: string): string => join(project.dir, "data", "snap", stageDir, split, sim, file);
  /** The snapshots' files, newest first (the last run's is first). */
  const snapshots = (): string[] => {
    const dir = join(project.dir, "cache", "fresh");
    try {
      return readdirSync(dir)
        .filter((n) => n.endsWith(".json"))
        .sort((a, b) => statSync(join(dir, b)).mtimeMs - statSync(join(dir, a)).mtimeMs);
    } catch {
      return [];
    }
  };
  /** Runs until every node is fresh and the snapshot is taken (the state after a plain re-run). */
  const settle = (...args: string[]): void => {
    run(...args);
    const again = run(...args);
    expect(again.judged_by).toBe("snapshot");
    expect(again.totals).toEqual({ ran: 0, fresh: NODES, restored: 0, failed: 0, skipped: 0 });
  };

  beforeAll(() => {
    project = makeProject(FILES);
  });
  afterAll(() => project.cleanup());

  it("is written by a run that leaves every node fresh and taken by the next run", () => {
    const first = run();
    expect(first.judged_by).toBe("nodes");
    expect(first.totals.ran).toBe(NODES);
    expect(snapshots()).toHaveLength(1);
    const second = run();
    expect(second.judged_by).toBe("snapshot");
    expect(second.totals).toEqual({ ran: 0, fresh: NODES, restored: 0, failed: 0, skipped: 0 });
  });

  it("is not taken after an output is edited in place with its size and mtime kept, and the node runs", () => {
    settle();
    const path = out("A", "Train", "sim0001", "a.txt");
    const before = statSync(path);
    const text = readFileSync(path, "utf8");
    writeFileSync(path, text.replace("first", "FIRST"));
    utimesSync(path, before.atime, before.mtime);
    expect(statSync(path).size).toBe(before.size);
    const r = run();
    expect(r.judged_by).toBe("nodes");
    expect(r.totals.ran).toBeGreaterThanOrEqual(1);
    expect(readFileSync(path, "utf8")).toBe(text);
  });

  it("is not taken after an output is removed", () => {
    settle();
    rmSync(out("B", "Test", "sim0000", "b.txt"));
    const r = run();
    expect(r.judged_by).toBe("nodes");
    // Brought back from the run-cache's object store.
    expect(r.totals).toEqual({ ran: 0, fresh: NODES - 1, restored: 1, failed: 0, skipped: 0 });
  });

  it("is not taken after a parameter or the stage's code changes", () => {
    settle();
    const param = run("pipeline.second.tag=deux");
    expect(param.judged_by).toBe("nodes");
    expect(param.totals.ran).toBe(3);
    settle();
    project.write("stages/first.ts", `${FILES["stages/first.ts"] ?? ""}// an edit\n`);
    const code = run();
    expect(code.judged_by).toBe("nodes");
    expect(code.totals.ran).toBe(3);
    expect(code.totals.fresh).toBe(3);
  });

  it("is not taken under another Legendre kernel", () => {
    settle();
    const r = project.run(["run", "--json"], { CMBFLOW_KERNEL: "wasm" });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as RunJson).judged_by).toBe("nodes");
  });

  it("is not taken after a partial run recorded something, nor for a partial run itself", () => {
    settle();
    rmSync(out("A", "Train", "sim0000", "a.txt"));
    const partial = run("--sims", "Train:0");
    expect(partial.judged_by).toBe("nodes");
    expect(partial.totals.restored).toBe(1);
    // The snapshot's stamps hold again for every output, but the state store has a new record.
    const whole = run();
    expect(whole.judged_by).toBe("nodes");
    expect(whole.totals).toEqual({ ran: 0, fresh: NODES, restored: 0, failed: 0, skipped: 0 });
  });

  it("is ignored when damaged, and the run judges every node", () => {
    settle();
    const [name] = snapshots();
    const file = join(project.dir, "cache", "fresh", name ?? "");
    const text = readFileSync(file, "utf8");
    // One digit of a stamp changed, the check left as it was.
    writeFileSync(file, text.replace(/(:\d+)(\d)(\d{3}")/, (_m, a: string, d: string, b: string) => `${a}${String((Number(d) + 1) % 10)}${b}`));
    expect(readFileSync(file, "utf8")).not.toBe(text);
    const r = run();
    expect(r.judged_by).toBe("nodes");
    expect(r.totals.fresh).toBe(NODES);
    writeFileSync(file, "{ not json");
    expect(run().judged_by).toBe("nodes");
  });

  it("does not hide a damaged cache entry: the run opens the stores and reports it", () => {
    settle();
    const objects = join(project.dir, "cache", "objects");
    rmSync(objects, { recursive: true, force: true });
    writeFileSync(objects, "not a folder");
    const r = run();
    expect(r.judged_by).toBe("nodes");
    expect(r.stderr).toMatch(/cache\/objects: a file where a folder should be/);
  });

  it("is not taken after the records are replaced by another run's (state files moved)", () => {
    settle();
    const nodes = join(project.dir, "cache", "state", "nodes.jsonl");
    const kept = readFileSync(nodes);
    // Same bytes, written anew: the stamp moves, so the run reads the records again.
    writeFileSync(nodes, kept);
    const r = run();
    expect(r.judged_by).toBe("nodes");
    expect(r.totals.fresh).toBe(NODES);
  });

  it("is not taken by a FIFO in its place, and the run does not block", () => {
    settle();
    const [name] = snapshots();
    const file = join(project.dir, "cache", "fresh", name ?? "");
    rmSync(file);
    mkdirSync(join(project.dir, "cache", "fresh"), { recursive: true });
    execFileSync("mkfifo", [file]);
    const r = run();
    expect(r.judged_by).toBe("nodes");
    expect(r.totals.fresh).toBe(NODES);
  });
});
