import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import type { LoadedConfig } from "../../src/config/types.js";
import { PACKAGE_ROOT } from "../../src/core/executor-loader.js";
import { loadPlugins } from "../../src/core/plugins.js";
import { stageCodeEntries } from "../../src/core/stage-code.js";
import { compilePipeline } from "../../src/graph/compile.js";
import type { StageDef } from "../../src/graph/stage-graph.js";
import { registerBuiltinHandlers } from "../../src/handlers/builtins.js";
import { builtinHandlerNames, registerHandler } from "../../src/handlers/index.js";
import { handlerModule } from "../../src/handlers/registry.js";
import { pipelineProject, tempProject } from "../cli/harness.js";

const REGISTRY = join(PACKAGE_ROOT, "src", "handlers", "registry.ts");

const PIPELINE = `make:
  assets_out:
    table: {handler: CsvTable, path_template: "{root}/{stage}/{split}/{sim}/t.csv"}
    mine: {handler: Mine, path_template: "{root}/{stage}/{split}/{sim}/m.txt"}
  dir_name: A
  executor: stages/make.ts#Make
use:
  assets_out:
    map: {handler: HealpyMap, path_template: "{root}/{stage}/{split}/{sim}/m.fits"}
  assets_in:
    mine: {stage: make}
  dir_name: B
  executor: cmbflow:src/stages/make-cmb.ts#MakeCmbExecutor
`;

describe("the modules a stage's nodes run", () => {
  const project = tempProject({
    ...pipelineProject(PIPELINE),
    "cfg/config.yaml": "defaults:\n  - splits: s\n  - pipeline: p\n  - _self_\nplugins:\n  - plugins/mine.ts\n  - plugins/other.ts\n",
    "plugins/mine.ts": `import { registerHandler } from ${JSON.stringify(REGISTRY)};\nregisterHandler("Mine", { name: "Mine", read: async () => "", write: async () => undefined });\n`,
    "plugins/other.ts": "export const nothing = 1;\n",
    "stages/make.ts": "export class Make {}\n",
  });
  let config: LoadedConfig;
  let stages: ReadonlyMap<string, StageDef>;
  beforeAll(async () => {
    const loaded = loadConfig({ configDir: join(project.dir, "cfg"), configName: "config", overrides: [], env: {} });
    if (!loaded.ok) throw new Error("the test config loads");
    config = loaded.value;
    expect(await loadPlugins(config, project.dir)).toEqual({ ok: true, value: undefined });
    const compiled = compilePipeline(config, { handlers: new Set(builtinHandlerNames()) });
    if (!compiled.ok) throw new Error(compiled.error.map((d) => d.message).join("\n"));
    stages = compiled.value.stageGraph.stages;
  });
  afterAll(() => {
    registerBuiltinHandlers();
    project.cleanup();
  });

  const entries = (stage: string): string[] => {
    const def = stages.get(stage);
    if (def === undefined) throw new Error(`no stage ${stage}`);
    return stageCodeEntries(def, stages, project.dir, [join(project.dir, "plugins/mine.ts"), join(project.dir, "plugins/other.ts")]);
  };

  it("records which plugin registered a handler, and keeps each built-in handler's own module", () => {
    expect(handlerModule("Mine")).toBe(join(project.dir, "plugins/mine.ts"));
    expect(handlerModule("CsvTable")).toBe(join(PACKAGE_ROOT, "src", "handlers", "csv-table.js"));
    expect(handlerModule("HealpyMap")).toBe(join(PACKAGE_ROOT, "src", "handlers", "healpy-map.js"));
  });

  it("are the executor module that runs and the modules of the handlers it writes and reads through", () => {
    expect(entries("make")).toEqual([
      join(project.dir, "stages/make.ts"),
      join(PACKAGE_ROOT, "src", "handlers", "csv-table.js"),
      join(project.dir, "plugins/mine.ts"),
    ]);
    // Under vitest cmbflow runs from src/: the built-in stage's module is its source.
    expect(entries("use")).toEqual([
      join(PACKAGE_ROOT, "src/stages/make-cmb.ts"),
      join(PACKAGE_ROOT, "src", "handlers", "healpy-map.js"),
      join(project.dir, "plugins/mine.ts"),
    ]);
  });

  it("count every plugin for a handler registered from elsewhere", () => {
    registerHandler("Mine", { name: "Mine", read: () => Promise.resolve(""), write: () => Promise.resolve() });
    expect(entries("make")).toEqual([
      join(project.dir, "stages/make.ts"),
      join(PACKAGE_ROOT, "src", "handlers", "csv-table.js"),
      join(project.dir, "plugins/mine.ts"),
      join(project.dir, "plugins/other.ts"),
    ]);
  });
});
