/**
 * Loads a stage's executor class from its `executor:` reference, `path/to/module.ts#ExportName`.
 * Paths are relative to the project folder (the folder holding the config folder). Modules
 * inside cmbflow's own src/ resolve to cmbflow's compiled modules when cmbflow runs from
 * dist/, so built-in stages share one copy of the framework with the CLI; a user's own
 * TypeScript modules load through tsx, with no build step.
 */
import { existsSync } from "node:fs";
import { dirname, extname, isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Result } from "../diagnostics/result.js";
import { err, ok } from "../diagnostics/result.js";
import type { BaseStageExecutor } from "./executor.js";
import type { Cfg } from "./cfg.js";

/** A class whose instances run a stage. */
export type ExecutorClass = new (cfg: Cfg, stage: string) => BaseStageExecutor;

const HERE = dirname(fileURLToPath(import.meta.url));
/** cmbflow's package root (this file is src/core/ or dist/core/ below it). */
export const PACKAGE_ROOT = resolve(HERE, "..", "..");
const RUNNING_FROM_DIST = relative(PACKAGE_ROOT, HERE).startsWith("dist");

/** Where a reference points: the module file and the export. */
export interface ExecutorRef {
  readonly module: string;
  readonly exportName: string;
}

/** Prefix of module paths relative to cmbflow's own package, for its built-in stages. */
export const PACKAGE_PREFIX = "cmbflow:";

/**
 * Parses `module#Export`. The module path is resolved against `projectDir`, or against
 * cmbflow's package root when it starts with `cmbflow:` (the built-in stages), so a config
 * copied into another project still finds them.
 */
export function parseExecutorRef(ref: string, projectDir: string): Result<ExecutorRef, string> {
  const hash = ref.lastIndexOf("#");
  if (hash <= 0 || hash === ref.length - 1) {
    return err(`executor "${ref}" must be written module#ExportName, e.g. stages/my-stage.ts#MyExecutor or cmbflow:src/stages/make-cmb.ts#MakeCmbExecutor`);
  }
  const path = ref.slice(0, hash);
  const exportName = ref.slice(hash + 1);
  if (path.startsWith(PACKAGE_PREFIX)) return ok({ module: resolve(PACKAGE_ROOT, path.slice(PACKAGE_PREFIX.length)), exportName });
  return ok({ module: isAbsolute(path) ? path : resolve(projectDir, path), exportName });
}

/** The file to import for a module path: cmbflow's own sources map to dist/ when running compiled. */
export function moduleFileFor(modulePath: string): string {
  const rel = relative(resolve(PACKAGE_ROOT, "src"), modulePath);
  if (RUNNING_FROM_DIST && !rel.startsWith("..") && !isAbsolute(rel)) {
    const ext = extname(rel);
    return resolve(PACKAGE_ROOT, "dist", ext === ".ts" ? `${rel.slice(0, -ext.length)}.js` : rel);
  }
  return modulePath;
}

let tsxRegistered = false;

/**
 * Imports a module file; TypeScript outside cmbflow's own compiled tree goes through tsx.
 * tsx is registered globally (its ESM hooks) rather than used through `tsImport`, because
 * tsImport loads a module's imports in an isolated namespace: the user's `import "cmbflow"`
 * would get its own copy of the handler registry and its registrations would be lost.
 */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  const ext = extname(file);
  // Under vitest (running src/ directly) TypeScript imports already work; elsewhere they need tsx.
  const native = !RUNNING_FROM_DIST && process.env["VITEST"] !== undefined;
  if ((ext === ".ts" || ext === ".mts" || ext === ".cts") && !native && !tsxRegistered) {
    // Every import after register() goes through tsx's loader thread. The framework a stage
    // imports (`import ... from "cmbflow"`) is loaded first, natively; through the hooks it
    // took about a tenth of a second longer per thread.
    if (RUNNING_FROM_DIST) await import("../index.js");
    const { register } = await import("tsx/esm/api");
    register();
    tsxRegistered = true;
  }
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

/** A module load error in one line, with a hint for the usual cause of require() errors on TypeScript. */
export function loadFailure(caught: unknown): string {
  const lines = caught instanceof Error ? caught.message.split("\n") : [String(caught)];
  // A headline that announces what follows (esbuild's "Transform failed with 1 error:", for a
  // TypeScript syntax error) is kept with its next line: the file, line and column.
  const message = (lines[0] ?? "").endsWith(":") && lines[1] !== undefined ? `${lines[0] ?? ""} ${lines[1].trim()}` : (lines[0] ?? "");
  const code = (caught as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code.startsWith("ERR_REQUIRE")) {
    return `${message} (TypeScript modules load as ES modules: give the project a package.json with "type": "module", or name the file .mts)`;
  }
  return message;
}

/** Loads the executor class for `stage`; the error names the stage and the path tried. */
export async function loadExecutorClass(ref: string, stage: string, projectDir: string): Promise<Result<ExecutorClass, string>> {
  const parsed = parseExecutorRef(ref, projectDir);
  if (!parsed.ok) return err(`stage "${stage}": ${parsed.error}`);
  const file = moduleFileFor(parsed.value.module);
  if (!existsSync(file)) {
    return err(`stage "${stage}": executor module not found: ${file}${file === parsed.value.module ? "" : ` (for ${parsed.value.module})`}`);
  }
  let module: Record<string, unknown>;
  try {
    module = await importModule(file);
  } catch (caught) {
    return err(`stage "${stage}": executor module ${file} failed to load: ${loadFailure(caught)}`);
  }
  const exported = module[parsed.value.exportName];
  if (typeof exported !== "function") {
    const names = Object.keys(module).filter((k) => typeof module[k] === "function");
    return err(
      `stage "${stage}": ${file} has no export "${parsed.value.exportName}"${names.length === 0 ? "" : ` (it exports ${names.join(", ")})`}`,
    );
  }
  return ok(exported as ExecutorClass);
}
