import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Cfg } from "../../src/core/cfg.js";
import type { NodeContext, ScanResult } from "../../src/core/executor.js";
import { BaseStageExecutor } from "../../src/core/executor.js";
import { PipelineContext, PrerunError } from "../../src/core/pipeline-context.js";
import type { RunEvent } from "../../src/scheduler/events.js";
import { tempProject } from "../cli/harness.js";

const PIPELINE = `
make_text:
  assets_out:
    text: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/text.txt"}
  dir_name: A_Text
  greeting: hello
count_chars:
  assets_out:
    count: {handler: Config, path_template: "{root}/{dataset}/{stage}/count.yaml"}
  assets_in:
    text: {stage: make_text}
  splits: [train]
  dir_name: B_Count
`;

function project(pipeline = PIPELINE): { dir: string; cleanup: () => void } {
  return tempProject({
    "cfg/config.yaml": "defaults:\n  - splits: s\n  - pipeline: p\n  - _self_\ndataset_name: demo\nlocal_system:\n  datasets_root: ./data\nseed: 7\n",
    "cfg/splits/s.yaml": "name: s\nTrain:\n  n_sims: 2\nTest:\n  n_sims: 1\n",
    "cfg/pipeline/p.yaml": pipeline,
  });
}

class MakeText extends BaseStageExecutor {
  readonly greeting: string;
  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.greeting = cfg.string(`pipeline.${stage}.greeting`);
  }
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("text").write(`${this.greeting} ${ctx.partition.split ?? ""} ${String(ctx.partition.sim)} seed=${String(ctx.seed)}`);
  }
}

class CountChars extends BaseStageExecutor {
  async scan(ctx: NodeContext): Promise<number> {
    return (await ctx.input<string>("text").read()).length;
  }
  async sift(results: readonly ScanResult<unknown>[], ctx: NodeContext): Promise<void> {
    await ctx.output("count").write({ sims: results.map((r) => `${r.partition.split ?? ""}/${String(r.partition.sim)}`), total: results.reduce((a, r) => a + (r.value as number), 0) });
  }
}

describe("PipelineContext built by hand", () => {
  let p: { dir: string; cleanup: () => void };
  beforeEach(() => {
    p = project();
  });
  afterEach(() => p.cleanup());

  const context = async (): Promise<PipelineContext> => {
    const result = await PipelineContext.fromConfig({ configDir: join(p.dir, "cfg"), workDir: p.dir });
    if (!result.ok) throw new Error(result.error.map((d) => d.message).join("\n"));
    return result.value;
  };

  it("runs per-node work and reductions, writing at the template paths", async () => {
    const pipeline = (await context()).addPipe(MakeText, "make_text").addPipe(CountChars, "count_chars");
    pipeline.prerunPipeline();
    const events: RunEvent[] = [];
    const summary = await pipeline.runPipeline({ onEvent: (e) => events.push(e) });
    expect(summary.outcome).toBe("success");
    expect(summary.ran).toBe(3 + 1);
    const first = readFileSync(join(p.dir, "data/demo/A_Text/Train/sim0000/text.txt"), "utf8");
    expect(first).toMatch(/^hello Train 0 seed=\d+$/);
    const count = readFileSync(join(p.dir, "data/demo/B_Count/count.yaml"), "utf8");
    expect(count).toContain("- Train/0\n  - Train/1\n");
    expect(count).not.toContain("Test");
    expect(events.filter((e) => e.type === "node-finished")).toHaveLength(4);
    expect(pipeline.readsByStage().get("make_text")).toEqual(["pipeline.make_text.greeting"]);
  });

  it("gives every node its own seed, the same on every run", async () => {
    const run = async (): Promise<string[]> => {
      const pipeline = (await context()).addPipe(MakeText, "make_text");
      await pipeline.runPipeline();
      return ["Train/sim0000", "Train/sim0001", "Test/sim0000"].map((s) => readFileSync(join(p.dir, `data/demo/A_Text/${s}/text.txt`), "utf8"));
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(new Set(a.map((t) => t.split("seed=")[1])).size).toBe(3);
  });

  it("fails in prerun when a constructor reads a key that does not exist, naming key and stage", async () => {
    class ReadsMissing extends BaseStageExecutor {
      constructor(cfg: Cfg, stage: string) {
        super(cfg, stage);
        cfg.integer("scenario.nsied");
      }
      processSim(): void {}
    }
    const pipeline = (await context()).addPipe(ReadsMissing, "make_text");
    expect(() => pipeline.prerunPipeline()).toThrow(PrerunError);
    expect(() => pipeline.prerunPipeline()).toThrow('stage "make_text": config key "scenario.nsied" does not exist');
  });

  it("fails in prerun when a template key has no value, before any work", async () => {
    const bad = project(PIPELINE.replace("{split}/{sim}/text.txt", "{split}/{sim}/{field}.txt").replace("  greeting: hello", "  greeting: hello\n  field: [T]"));
    try {
      const result = await PipelineContext.fromConfig({ configDir: join(bad.dir, "cfg"), workDir: bad.dir });
      // A list-valued stage key is not a template tag: the compiler rejects it.
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error[0]?.message).toBe('unknown tag "{field}" in path_template of asset "text" in stage "make_text"');
    } finally {
      bad.cleanup();
    }
  });

  it("refuses to write an input or read an output, with the asset and stage named", async () => {
    class WritesInput extends BaseStageExecutor {
      async scan(ctx: NodeContext): Promise<number> {
        const input = ctx.input("text") as unknown as { write: (d: string) => void };
        input.write("x");
        return Promise.resolve(0);
      }
      sift(): void {}
    }
    class ReadsOutput extends BaseStageExecutor {
      async processSim(ctx: NodeContext): Promise<void> {
        const output = ctx.output("text") as unknown as { read: () => Promise<unknown> };
        await output.read();
      }
    }
    const first = await (await context()).addPipe(ReadsOutput, "make_text").runPipeline();
    expect(first.failed[0]?.message).toBe(
      'asset "text" is an output of stage "make_text": it can be written, not read (to read an earlier run\'s output, list it under assets_in with stage: make_text)',
    );
    const second = await (await context()).addPipe(MakeText, "make_text").addPipe(WritesInput, "count_chars").runPipeline();
    expect(second.failed[0]?.message).toBe('asset "text" is an input of stage "count_chars": it can be read, not written');
  });

  it("names the producing stage when an input file is missing", async () => {
    const summary = await (await context()).addPipe(CountChars, "count_chars").runPipeline();
    expect(summary.outcome).toBe("failed");
    expect(summary.failed[0]?.message).toBe(
      `input "text" of stage "count_chars" is missing: ${join(p.dir, "data/demo/A_Text/Train/sim0000/text.txt")} (it is produced by stage "make_text": run it first, e.g. cmbflow run --until make_text)`,
    );
    // Missing data, not a bug in the stage: no stack to print.
    expect(summary.failed[0]?.stack).toBeUndefined();
  });

  it("fails a node whose input cannot be read with one message naming the file, and no stack", async () => {
    const text = join(p.dir, "data/demo/A_Text/Train/sim0000/text.txt");
    mkdirSync(text, { recursive: true });
    const summary = await (await context()).addPipe(CountChars, "count_chars").runPipeline();
    expect(summary.failed[0]?.message).toBe(`input "text" of stage "count_chars" cannot be read: ${text}: is a directory, not a file`);
    expect(summary.failed[0]?.stack).toBeUndefined();
  });

  it("fails a node whose output path is taken by a folder with one message naming the path, and no stack", async () => {
    const text = join(p.dir, "data/demo/A_Text/Train/sim0001/text.txt");
    mkdirSync(join(text, "inside"), { recursive: true });
    const summary = await (await context()).addPipe(MakeText, "make_text").runPipeline();
    expect(summary.failed.map((f) => [f.nodeId, f.message, f.stack])).toEqual([
      ["make_text[split=Train,sim=1]", `cannot write ${text}: a directory is in the way; remove it and run again`, undefined],
    ]);
  });

  it("stops at a stage that throws, keeps the stage's stack and leaves no partial output", async () => {
    class Throws extends BaseStageExecutor {
      async processSim(ctx: NodeContext): Promise<void> {
        await ctx.output<string>("text").write("half");
        if (ctx.partition.sim === 1) throw new Error("detector table is empty");
      }
    }
    const summary = await (await context()).addPipe(Throws, "make_text").addPipe(CountChars, "count_chars").runPipeline();
    expect(summary.outcome).toBe("failed");
    expect(summary.ran).toBe(1);
    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0]).toMatchObject({ stage: "make_text", nodeId: "make_text[split=Train,sim=1]", message: "detector table is empty" });
    expect(summary.failed[0]?.stack).toContain("pipeline.test.ts");
    // The failed node's output was never renamed into place, and no temporary file is left.
    const dir = join(p.dir, "data/demo/A_Text/Train/sim0001");
    expect(existsSync(join(dir, "text.txt"))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    // The run stopped: the last Train node and the reduction never ran.
    expect(summary.stages).toEqual([
      { name: "make_text", ran: 1, fresh: 0, restored: 0, failed: 1, skipped: 1 },
      { name: "count_chars", ran: 0, fresh: 0, restored: 0, failed: 0, skipped: 1 },
    ]);
  });
});

describe("PipelineContext.fromConfig", () => {
  it("imports the config's plugins before compiling, as the CLI and every worker do, so a plugin's handler is known", async () => {
    const registry = join(import.meta.dirname, "..", "..", "src", "handlers", "registry.ts");
    const p = tempProject({
      "cfg/config.yaml": "defaults:\n  - splits: s\n  - pipeline: p\n  - _self_\ndataset_name: demo\nlocal_system:\n  datasets_root: ./data\nplugins:\n  - plugins/shout.ts\n",
      "cfg/splits/s.yaml": "name: s\nTrain:\n  n_sims: 1\n",
      "cfg/pipeline/p.yaml": 'make_text:\n  assets_out:\n    text: {handler: ShoutFromLibrary, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/text.txt"}\n  dir_name: A_Text\n  greeting: hello\n',
      "plugins/shout.ts": `import { registerHandler } from ${JSON.stringify(registry)};\nimport { writeFile } from "node:fs/promises";\nregisterHandler("ShoutFromLibrary", { name: "ShoutFromLibrary", read: async () => "", write: async (path: string, value: unknown) => writeFile(path, String(value).toUpperCase()) });\n`,
    });
    try {
      const result = await PipelineContext.fromConfig({ configDir: join(p.dir, "cfg"), workDir: p.dir });
      if (!result.ok) throw new Error(result.error.map((d) => d.message).join("\n"));
      const summary = await result.value.addPipe(MakeText, "make_text").runPipeline();
      expect(summary.outcome).toBe("success");
      expect(readFileSync(join(p.dir, "data", "demo", "A_Text", "Train", "sim0000", "text.txt"), "utf8")).toMatch(/^HELLO TRAIN 0 SEED=/);
    } finally {
      p.cleanup();
    }
  });
});
