/**
 * Shared by the commands: the config options every command takes, loading the configuration
 * and compiling the pipeline, with diagnostics printed together and exit code 2 on error.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { loadConfig } from "../config/index.js";
import { ValidatedConfigs } from "../config/validated-memo.js";
import type { LoadedConfig } from "../config/types.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { compileHost } from "../core/host.js";
import { renderDiagnostics } from "../diagnostics/render.js";
import type { CompiledPipeline } from "../graph/compile.js";
import type { CliIo } from "./io.js";

/** The configuration shipped with cmbflow, used when the project has no ./cfg of its own. */
export const EMBEDDED_CONFIG_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "cfg");

/** Options every config-reading command accepts. */
export interface ConfigFlags {
  readonly configDir?: string;
  readonly configName: string;
}

/** Adds --config-dir and --config-name and the trailing overrides to a command. */
export function withConfigOptions(command: Command): Command {
  return command
    .argument("[overrides...]", "config overrides: key.path=value, group=option, +new.key=value, ~key")
    .option("--config-dir <dir>", "config folder (default: cfg/ in the nearest folder at or above this one that has one, else the embedded configuration)")
    .option("--config-name <name>", "primary config file in the config folder, without .yaml", configName, "config");
}

/** The --config-name value: "tutorial.yaml" means the file tutorial.yaml, as a user typing the file's name expects. */
function configName(raw: string): string {
  const name = raw.replace(/\.yaml$/, "");
  if (name.trim() === "") throw new InvalidArgumentError("It must name a config file, e.g. --config-name tutorial.");
  if (name !== name.trim()) throw new InvalidArgumentError(`It has spaces around the name.`);
  return name;
}

/** Where to read the configuration from, and a note when falling back to the embedded one. */
export function configDirFor(flags: ConfigFlags, io: CliIo): { dir: string; note?: string } {
  if (flags.configDir !== undefined) return { dir: resolve(io.cwd, flags.configDir) };
  const local = resolve(io.cwd, "cfg");
  if (existsSync(local)) return { dir: local };
  return { dir: EMBEDDED_CONFIG_DIR, note: `no ./cfg here: using the embedded configuration (${EMBEDDED_CONFIG_DIR})` };
}

/** Prints diagnostics together, with a count line. */
export function printDiagnostics(diagnostics: readonly Diagnostic[], io: CliIo): void {
  if (diagnostics.length === 0) return;
  io.stderr(renderDiagnostics(diagnostics, { cwd: io.cwd, color: io.color }));
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  if (errors > 1) io.stderr(`\n${String(errors)} errors\n`);
}

/**
 * Loads the configuration, printing diagnostics; undefined when it failed. Notes (what cmbflow
 * keeps but does not use, such as the hydra: block) are printed only when `notes` is set: by
 * `config`, where the user looks at the configuration itself, not on every command.
 */
export function loadForCommand(overrides: readonly string[], flags: ConfigFlags, io: CliIo, notes = false): LoadedConfig | undefined {
  const { dir, note } = configDirFor(flags, io);
  if (note !== undefined) io.stderr(`note: ${note}\n`);
  // Configurations that passed validation before are not checked again (config/validated-memo.ts).
  const validated = ValidatedConfigs.open(resolve(io.cwd, "cache"));
  const loaded = loadConfig({ configDir: dir, configName: flags.configName, overrides, env: io.env, knownValid: (resolved) => validated.has(resolved) });
  if (!loaded.ok) {
    printDiagnostics(loaded.error, io);
    return undefined;
  }
  validated.add(loaded.value.resolved);
  validated.save();
  printDiagnostics(loaded.value.warnings.filter((d) => notes || d.severity !== "note"), io);
  return loaded.value;
}

/** What a command has once the configuration is loaded and the pipeline compiled. */
export interface Compiled {
  readonly config: LoadedConfig;
  readonly pipeline: CompiledPipeline;
  /** Folder executor and plugin module paths are relative to: the config folder's parent. */
  readonly projectDir: string;
}

/**
 * Loads the configuration, imports the modules its `plugins` list names (where users
 * register their own handlers), and compiles the pipeline; undefined (diagnostics printed)
 * when any step failed.
 */
export async function compileForCommand(overrides: readonly string[], flags: ConfigFlags, io: CliIo): Promise<Compiled | undefined> {
  const config = loadForCommand(overrides, flags, io);
  if (config === undefined) return undefined;
  const projectDir = dirname(configDirFor(flags, io).dir);
  const compiled = await compileHost(config, projectDir);
  if (!compiled.ok) {
    printDiagnostics(compiled.error, io);
    return undefined;
  }
  return { config, pipeline: compiled.value, projectDir };
}
