/**
 * The modules a stage's nodes run, for the code part of their fingerprints: the executor module
 * as it is loaded (a built-in stage's compiled dist/ module when cmbflow runs compiled, not its
 * src/ source), and the module of every handler the stage writes its outputs with or reads its
 * inputs with (the producers' handlers).
 */
import type { StageDef } from "../graph/stage-graph.js";
import { handlerModule } from "../handlers/registry.js";
import { moduleFileFor, parseExecutorRef } from "./executor-loader.js";

/**
 * The entry modules of `def`'s code. A handler whose module is unknown (registered other than
 * by a built-in or a plugin's import) counts as every plugin's: one of them may have made it.
 * @param stages every stage of the pipeline, for the handlers of the stage's inputs
 * @param plugins the config's plugin modules, absolute
 */
export function stageCodeEntries(def: StageDef, stages: ReadonlyMap<string, StageDef>, projectDir: string, plugins: readonly string[]): string[] {
  const entries = new Set<string>();
  if (def.executor !== null) {
    const ref = parseExecutorRef(def.executor, projectDir);
    if (ref.ok) entries.add(moduleFileFor(ref.value.module));
  }
  const handlers = new Set(def.assetsOut.map((a) => a.handler));
  for (const input of def.assetsIn) {
    const out = stages.get(input.stage)?.assetsOut.find((a) => a.name === input.asset);
    if (out !== undefined) handlers.add(out.handler);
  }
  for (const name of [...handlers].sort()) {
    const module = handlerModule(name);
    if (module !== undefined) entries.add(module);
    else for (const plugin of plugins) entries.add(plugin);
  }
  return [...entries];
}
