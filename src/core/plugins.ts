/**
 * A project's `plugins:` list: modules imported before the pipeline compiles, where users
 * register their own handlers. The CLI imports them once; every worker thread imports them
 * again, since each thread has its own handler registry.
 */
import { resolve } from "node:path";
import type { LoadedConfig } from "../config/types.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { error } from "../diagnostics/diagnostic.js";
import type { Result } from "../diagnostics/result.js";
import { err, ok } from "../diagnostics/result.js";
import { handlerModule, registeredHandlers, setHandlerModule } from "../handlers/registry.js";
import { importModule, loadFailure } from "./executor-loader.js";

/** The config's `plugins` entries as absolute module files; undefined when the list is malformed. */
export function pluginFiles(config: LoadedConfig, projectDir: string): string[] | undefined {
  const plugins = config.resolved["plugins"];
  if (plugins === undefined || plugins === null) return [];
  if (!Array.isArray(plugins) || !plugins.every((p) => typeof p === "string")) return undefined;
  return plugins.map((p) => resolve(projectDir, p));
}

/**
 * Imports every module of the config's `plugins` list (paths relative to `projectDir`); a
 * diagnostic naming the entry at fault. Each handler a plugin's import registers (or replaces)
 * is recorded as that plugin's, so its code enters the fingerprints of the nodes that use it.
 */
export async function loadPlugins(config: LoadedConfig, projectDir: string): Promise<Result<void, Diagnostic>> {
  const plugins = config.resolved["plugins"];
  if (plugins === undefined || plugins === null) return ok(undefined);
  if (!Array.isArray(plugins) || !plugins.every((p) => typeof p === "string")) {
    return err(error("plugins must be a list of module paths", config.origin(["plugins"])));
  }
  for (const [i, plugin] of plugins.entries()) {
    const file = resolve(projectDir, plugin);
    const before = registeredHandlers();
    try {
      await importModule(file);
    } catch (caught) {
      return err(error(`plugin ${plugin} failed to load: ${loadFailure(caught)}`, config.origin(["plugins", i])));
    }
    // A handler registered during the import with no module said is the plugin's; one with a
    // module (a built-in registered by the plugin's first import of cmbflow) keeps its own.
    for (const [name, handler] of registeredHandlers()) if (before.get(name) !== handler && handlerModule(name) === undefined) setHandlerModule(name, file);
  }
  return ok(undefined);
}
