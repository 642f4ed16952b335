/** Helpers for the config tests: an in-memory config folder, loading, and rendering. */
import { loadConfig, memoryConfigIo } from "../../src/config/index.js";
import type { LoadedConfig } from "../../src/config/index.js";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";
import type { Result } from "../../src/diagnostics/result.js";
import { renderDiagnostics } from "../../src/diagnostics/render.js";

/** Where in-memory config folders live; diagnostics show paths relative to `/project`. */
export const CWD = "/project";
export const CONFIG_DIR = "/project/cfg";

/** A small valid configuration to start from; tests replace or add files. */
export const BASE_FILES: Readonly<Record<string, string>> = {
  "config.yaml": ["defaults:", "  - splits: 3-3", "  - pipeline: simple", "  - _self_", ""].join("\n"),
  "splits/3-3.yaml": ['name: "3-3"', "Train:", "  n_sims: 3", "Test:", "  n_sims: 3", ""].join("\n"),
  "splits/1-1.yaml": ['name: "1-1"', "Train:", "  n_sims: 1", "Test:", "  n_sims: 1", ""].join("\n"),
  "splits/10-10.yaml": ['name: "10-10"', "Train:", "  n_sims: 10", "Test:", "  n_sims: 10", ""].join("\n"),
  "pipeline/simple.yaml": [
    "make_cmb:",
    "  assets_out:",
    "    cmb_map:",
    "      handler: HealpyMap",
    '      path_template: "{root}/{stage}/{split}/{sim}/cmb.fits"',
    "  dir_name: CMB",
    "",
  ].join("\n"),
};

/** Load an in-memory config folder made of `BASE_FILES` updated with `files`. */
export function load(
  files: Readonly<Record<string, string>>,
  overrides: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): Result<LoadedConfig, Diagnostic[]> {
  const all = { ...BASE_FILES, ...files };
  return loadConfig({ configDir: CONFIG_DIR, configName: "config", overrides, env }, memoryConfigIo(CONFIG_DIR, all));
}

/** Load and expect success. */
export function loadOk(
  files: Readonly<Record<string, string>>,
  overrides: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): LoadedConfig {
  const result = load(files, overrides, env);
  if (!result.ok) throw new Error(`expected the config to load, got:\n${renderFor(files, result.error)}`);
  return result.value;
}

/** Load, expect failure, and render the diagnostics as the CLI would (without colour). */
export function loadErrors(
  files: Readonly<Record<string, string>>,
  overrides: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): string {
  const result = load(files, overrides, env);
  if (result.ok) throw new Error("expected the config to fail to load");
  return renderFor(files, result.error);
}

/**
 * Load, expect success, and render what `config --check` reports: the causes of the values left
 * unresolved because nothing cmbflow needs reads them, once each, in line order.
 */
export function unresolvedReport(files: Readonly<Record<string, string>>, env: Readonly<Record<string, string>> = {}): string {
  const config = loadOk(files, [], env);
  const causes = [...new Set((config.unresolved ?? []).flatMap((u) => u.causes))];
  const line = (d: Diagnostic): number => d.location?.line ?? Number.MAX_SAFE_INTEGER;
  return renderFor(files, causes.sort((a, b) => line(a) - line(b) || (a.location?.column ?? 0) - (b.location?.column ?? 0)));
}

function renderFor(files: Readonly<Record<string, string>>, diagnostics: readonly Diagnostic[]): string {
  const all: Record<string, string> = { ...BASE_FILES, ...files };
  return renderDiagnostics(diagnostics, {
    cwd: CWD,
    readFile: (path) => (path.startsWith(`${CONFIG_DIR}/`) ? all[path.slice(CONFIG_DIR.length + 1)] : undefined),
  });
}

/** Lines joined with newlines, ending with one: expected texts read like the terminal. */
export function text(...lines: string[]): string {
  return `${lines.join("\n")}\n`;
}
