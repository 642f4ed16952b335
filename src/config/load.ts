/**
 * `loadConfig`: compose → key overrides → interpolate → defaults → validate. Every error of a
 * step is collected; a step runs only if the steps it depends on succeeded (composition and
 * override errors stop before interpolation, whose results would only repeat them).
 */
import { join, resolve } from "node:path";
import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";
import { error, note } from "../diagnostics/diagnostic.js";
import { err, ok } from "../diagnostics/result.js";
import type { Result } from "../diagnostics/result.js";
import { compose } from "./compose.js";
import type { GroupOverride } from "./compose.js";
import { interpolate } from "./interpolate.js";
import { nodeConfigIo } from "./io.js";
import type { ConfigIo } from "./io.js";
import { isConfigObject, pathKey, toPlain } from "./node.js";
import type { CNode, MapNode, ValueOrigin } from "./node.js";
import { nodeAt, registerOrigins } from "./origins.js";
import { applyOverride, parseOverride } from "./overrides.js";
import type { ParsedOverride } from "./overrides.js";
import { describeValue, SPLIT_KEY, STAGE_KEYS, validateConfig, withDefaults } from "./schema.js";
import type { ValidationIssue } from "./schema.js";
import type { ConfigObject, ConfigSource, ConfigValue, KeyPath, LoadedConfig, LoadOptions, UnresolvedValue } from "./types.js";

/**
 * Load the configuration `<configDir>/<configName>.yaml` with `overrides` (see compose.ts,
 * overrides.ts, interpolate.ts, schema.ts for the rules). `configDir` is resolved against the
 * process's working directory; `env` defaults to `process.env`. `io` replaces the file system
 * (tests, embedded configs). On failure, all diagnostics found, sorted by file and line
 * (diagnostics without a location last).
 */
export function loadConfig(options: LoadOptions, io: ConfigIo = nodeConfigIo): Result<LoadedConfig, Diagnostic[]> {
  const configDir = resolve(options.configDir === "" ? "cfg" : options.configDir);
  const configName = options.configName === "" ? "config" : options.configName;
  const env = options.env ?? process.env;

  const errors: Diagnostic[] = [];
  const groupOverrides: GroupOverride[] = [];
  const keyOverrides: ParsedOverride[] = [];
  for (const [index, text] of options.overrides.entries()) {
    const parsed = parseOverride(text, index);
    if (!parsed.ok) {
      errors.push(parsed.error);
      continue;
    }
    const override = parsed.value;
    if (isGroupOverride(override, configDir, io)) {
      groupOverrides.push({ group: override.key, option: override.kind === "delete" ? undefined : override.valueText?.trim(), override });
    } else {
      keyOverrides.push(override);
    }
  }

  // A malformed override does not stop composition: its other problems are reported with it.
  const composition = compose({ configDir, configName, groupOverrides, io, env });
  const root = composition.root;
  if (composition.errors.length === 0) {
    for (const override of keyOverrides) {
      const problem = applyOverride(root, override);
      if (problem !== undefined) errors.push(problem);
    }
  }
  errors.push(...composition.errors);
  if (errors.length > 0) return err(sortDiagnostics(errors, composition.sources));

  const raw = toPlain(root) as ConfigObject;
  const texts = new Map(composition.sources.map((s) => [s.path, s.text]));
  const describe = (origin: ValueOrigin): string => describeForNote(origin, composition.sources);
  const interpolation = interpolate(root, { env, texts, describe, now: options.now ?? new Date() });
  // Lazy as in OmegaConf: a failure is an error only where cmbflow itself needs the value.
  const needed = new Set<Diagnostic>();
  const unresolved: UnresolvedValue[] = [];
  for (const failure of interpolation.failures.values()) {
    if (!mustResolve(failure.path, raw)) {
      unresolved.push(failure);
      continue;
    }
    for (const cause of failure.causes) needed.add(cause);
    if (failure.causes.length === 0) errors.push(error(`"${failure.path.join(".")}" cannot be resolved`, locationAt(root, failure.path)));
  }
  errors.push(...interpolation.errors.filter((e) => needed.has(e)));

  const { value: resolved, filled } = withDefaults(interpolation.resolved, env);
  const filledKeys = new Set(filled.map(pathKey));
  const known = errors.length === 0 && options.knownValid?.(resolved) === true;
  for (const issue of known ? [] : validateConfig(resolved)) {
    if (dependsOnFailure(issue.path, interpolation.failed)) continue;
    errors.push(toDiagnostic(issue, root, composition.sources));
  }
  if (errors.length > 0) return err(sortDiagnostics(errors, composition.sources));

  const index = { root, filled: filledKeys };
  const config: LoadedConfig = {
    raw,
    resolved,
    origin: (path) => {
      if (filledKeys.has(pathKey(path))) return undefined;
      const origin = nodeAt(root, path)?.origin;
      return origin?.kind === "file" ? origin.location : undefined;
    },
    sources: composition.sources,
    overrides: [...options.overrides],
    choices: composition.choices,
    warnings: [...composition.warnings, ...hydraBlockNote(root)],
    unresolved,
  };
  registerOrigins(config, index);
  return ok(config);
}

/** Top-level keys the compiler and the commands read: their values must resolve. */
const NEEDED_TOP_LEVEL: ReadonlySet<string> = new Set([
  "pipeline",
  "splits",
  "local_system",
  "file_system",
  "dataset_name",
  "working_dir",
  "seed",
  "cache",
  "plugins",
  "executors",
]);

/**
 * Whether the compiler needs the value at `path`: the keys above, except a stage's free
 * parameters that no path template of the stage names as a `{tag}` (only executors read those).
 */
function mustResolve(path: KeyPath, raw: ConfigObject): boolean {
  const [top, stage, key] = path;
  if (!NEEDED_TOP_LEVEL.has(String(top))) return false;
  if (top === "splits") {
    // The compiler reads the splits' name and each split's n_sims and cap; other keys of the
    // block are the user's (CMB-ML keeps e.g. run_inference_on there).
    if (stage === undefined || stage === "name") return true;
    if (!SPLIT_KEY.test(String(stage))) return false;
    return key === undefined || key === "n_sims" || key === "n_sims_cap";
  }
  if (top !== "pipeline" || path.length <= 2 || key === undefined) return true;
  if ((STAGE_KEYS as readonly string[]).includes(String(key)) || key === "freqs") return true;
  const outputs = objectAt(raw, ["pipeline", String(stage), "assets_out"]);
  return Object.values(outputs ?? {}).some((asset) => {
    const spec = isConfigObject(asset) ? asset : {};
    return [spec["path_template"], spec["path_template_alt"]].some((t) => typeof t === "string" && t.includes(`{${String(key)}}`));
  });
}

function objectAt(value: ConfigObject, path: readonly string[]): ConfigObject | undefined {
  let current: ConfigValue | undefined = value;
  for (const segment of path) current = isConfigObject(current) ? current[segment] : undefined;
  return isConfigObject(current) ? current : undefined;
}

function locationAt(root: MapNode, path: KeyPath): SourceLocation | undefined {
  const origin = nodeAt(root, path)?.origin;
  return origin?.kind === "file" ? origin.location : undefined;
}

/** The `hydra:` block is kept (Hydra users look for it in `cmbflow config`) but used by nothing. */
function hydraBlockNote(root: MapNode): Diagnostic[] {
  const origin = root.entries.get("hydra")?.origin;
  if (origin === undefined) return [];
  const at = origin.kind === "file" ? (origin.keyLocation ?? origin.location) : undefined;
  return [
    note("the hydra: block is kept in the configuration but cmbflow does not use it", at, [
      "cmbflow keeps its own run records and logs; Hydra's run.dir, job and launcher settings have no effect",
    ]),
  ];
}

/** `group=option` when `group` is a folder of the config directory (and not a dotted key). */
function isGroupOverride(override: ParsedOverride, configDir: string, io: ConfigIo): boolean {
  if (override.path.length !== 1) return false;
  if (override.valueText !== undefined && /[[{]/.test(override.valueText.trim().charAt(0))) return false;
  return io.listFolder(join(configDir, override.key)) !== undefined;
}

/** An issue at or below a value whose interpolation failed was caused by that failure. */
function dependsOnFailure(path: KeyPath, failed: ReadonlySet<string>): boolean {
  for (let length = path.length; length >= 1; length--) {
    if (failed.has(pathKey(path.slice(0, length)))) return true;
  }
  return false;
}

function toDiagnostic(issue: ValidationIssue, root: MapNode, sources: readonly ConfigSource[]): Diagnostic {
  const { node, exact } = nearestNode(root, issue.path);
  const origin = node.origin;
  const notes = [...issue.notes];
  let message = issue.message;
  // A number too large for a double parses as .inf: show what was written instead.
  if (exact && node.kind === "scalar" && typeof node.value === "number" && !Number.isFinite(node.value)) {
    const shownAs = ` got ${describeValue(node.value)}`;
    const written = writtenText(origin, sources);
    if (written !== undefined && message.endsWith(shownAs)) message = `${message.slice(0, -shownAs.length)} got ${abbreviate(written)}`;
  }
  if (origin.kind === "override") notes.push(`set by override "${abbreviate(origin.text)}"`);
  let location: SourceLocation | undefined;
  // A key missing at the top level has no place in any one file.
  if (origin.kind === "file" && node !== root) {
    location = issue.at === "key" || !exact ? (origin.keyLocation ?? origin.location) : origin.location;
  }
  return error(message, location, notes);
}

/** A scalar's text as written: its span in a config file, or what follows `=` in an override. */
function writtenText(origin: ValueOrigin, sources: readonly ConfigSource[]): string | undefined {
  if (origin.kind === "override") return origin.text.slice(origin.text.indexOf("=") + 1).trim();
  if (origin.kind !== "file") return undefined;
  const { file, line, column, endLine, endColumn } = origin.location;
  if ((endLine ?? line) !== line || endColumn === undefined) return undefined;
  const text = sources.find((s) => s.path === file)?.text.split("\n")[line - 1];
  return text?.slice(column - 1, endColumn - 1);
}

/** Long values (a 120 KB number) shortened to their ends and length. */
function abbreviate(text: string): string {
  return text.length <= 40 ? text : `${text.slice(0, 16)}…${text.slice(-8)} (${text.length.toLocaleString("en-US")} characters)`;
}

/** The node at `path`, or its nearest existing ancestor. */
function nearestNode(root: MapNode, path: KeyPath): { readonly node: CNode; readonly exact: boolean } {
  for (let length = path.length; length >= 0; length--) {
    const node = nodeAt(root, path.slice(0, length));
    if (node !== undefined) return { node, exact: length === path.length };
  }
  return { node: root, exact: false };
}

function describeForNote(origin: ValueOrigin, sources: readonly ConfigSource[]): string {
  switch (origin.kind) {
    case "file": {
      const source = sources.find((s) => s.path === origin.location.file);
      return `${source?.relativePath ?? origin.location.file}:${origin.location.line}:${origin.location.column}`;
    }
    case "override":
      return `override "${origin.text}"`;
    case "default":
      return "default";
  }
}

/** Sort by the order files were read, then line and column; unlocated diagnostics last, in order found. */
function sortDiagnostics(diagnostics: readonly Diagnostic[], sources: readonly ConfigSource[]): Diagnostic[] {
  const fileRank = new Map(sources.map((s, i) => [s.path, i]));
  const rank = (d: Diagnostic): [number, number, number] =>
    d.location === undefined
      ? [Number.MAX_SAFE_INTEGER, 0, 0]
      : [fileRank.get(d.location.file) ?? sources.length, d.location.line, d.location.column];
  return diagnostics
    .map((d, i) => ({ d, i, r: rank(d) }))
    .sort((a, b) => a.r[0] - b.r[0] || a.r[1] - b.r[1] || a.r[2] - b.r[2] || a.i - b.i)
    .map((x) => x.d);
}
