/**
 * The shape of a resolved cmbflow configuration, checked with zod, plus the checks zod cannot
 * express: a misspelt fixed key (`asset_out`, `dirname`, `make_stage_logs`) next to free keys,
 * and an empty pipeline. Issues carry key paths; load.ts turns them into located diagnostics.
 *
 * Fixed keys and their types:
 * - `pipeline`: stage name → stage block (at least one stage; null is an empty block). A stage block has
 *   `assets_out` (name → `{handler, path_template, ...free}`), `assets_in` (name → `{stage, orig_name?}`),
 *   `dir_name`, `splits` (list of split kinds), `make_stage_log`, `epochs` (list of ints or null),
 *   `override_n_sims` (int ≥ 0, list of ints ≥ 0, or null), `executor` (`"module#Export"`), all
 *   optional, plus free stage parameters.
 * - `splits`: `name` plus one entry per split (keys like `Train`, `Valid`, `Test1`, matching
 *   `SPLIT_KEY`) with `n_sims` (int ≥ 0) and optional `n_sims_cap` (int ≥ 0 or null), plus free keys.
 * - `local_system`: `datasets_root` (default: `$CMBFLOW_DATA`, else `./data`), `assets_dir`, free keys.
 * - `file_system`: `sim_folder_prefix` (default `"sim"`), `sim_str_num_digits` (default 4), free keys.
 * - `executors`: stage name → `"module#Export"`, binding executors outside the pipeline YAML.
 * An output asset may have `path_template_alt` (a string), the template used without per-sim context.
 */
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { z as Zod } from "zod";
import type { $ZodRawIssue } from "zod/v4/core";
import { dotted, isConfigList, isConfigObject } from "./node.js";
import { closestMatches, didYouMean, editDistance } from "../diagnostics/suggest.js";
import type { ConfigObject, ConfigValue, KeyPath } from "./types.js";

/** Keys of a split entry in a splits file: `Train`, `Valid`, `Test`, `Test1`, ... */
export const SPLIT_KEY = /^[A-Z][A-Za-z]*\d*$/;

/** The fixed keys of a stage block; any other key is a free stage parameter. */
export const STAGE_KEYS = [
  "assets_out",
  "assets_in",
  "dir_name",
  "splits",
  "make_stage_log",
  "epochs",
  "override_n_sims",
  "executor",
  "resources",
] as const;
const ASSET_OUT_KEYS = ["handler", "path_template", "path_template_alt"] as const;
const ASSET_IN_KEYS = ["stage", "orig_name"] as const;
const SPLIT_ENTRY_KEYS = ["n_sims", "n_sims_cap"] as const;
const LOCAL_SYSTEM_KEYS = ["datasets_root", "assets_dir"] as const;
const FILE_SYSTEM_KEYS = ["sim_folder_prefix", "sim_str_num_digits"] as const;
const CACHE_KEYS: readonly string[] = ["enabled", "link"];
const TOP_LEVEL_KEYS = ["pipeline", "splits", "local_system", "file_system", "executors"] as const;

/** Defaults filled into the resolved configuration when absent. */
export const FILE_SYSTEM_DEFAULTS = { sim_folder_prefix: "sim", sim_str_num_digits: 4 } as const;
/** `local_system.datasets_root` when absent: `$CMBFLOW_DATA`, else this. */
export const DEFAULT_DATASETS_ROOT = "./data";

const NON_NEGATIVE_INT = "must be a non-negative integer";
const SEED = "must be a whole number from 0 to 9007199254740991 (2^53 − 1)";
/**
 * The zod schemas, built on first use. zod is loaded then, through require, rather than imported
 * at the top: every worker thread imports this module (through cmbflow's entry, which a stage
 * imports) but never validates a configuration, and loading zod took about 0.16 s per thread here.
 */
function buildSchemas(z: typeof Zod) {
  const nonNegativeInt = z.int({ error: NON_NEGATIVE_INT }).min(0, { error: NON_NEGATIVE_INT });

  const executorRef = z.string().regex(/^[^#\s]+#[A-Za-z_$][\w$]*$/, { error: 'must be "module#Export" (a module path, "#", an export name)' });
  const assetOutSchema = z.looseObject({ handler: z.string(), path_template: z.string(), path_template_alt: z.string().optional() });
  const assetInSchema = z.strictObject({ stage: z.string(), orig_name: z.string().optional() });
  const stageSchema = z.looseObject({
    assets_out: z.record(z.string(), assetOutSchema).optional(),
    assets_in: z.record(z.string(), assetInSchema).optional(),
    dir_name: z.string().optional(),
    splits: z.array(z.string()).optional(),
    make_stage_log: z.boolean().optional(),
    epochs: z.union([z.array(z.int()), z.null()], { error: "must be a list of integers or null" }).optional(),
    override_n_sims: z
      .union([nonNegativeInt, z.array(nonNegativeInt), z.null()], {
        error: "must be a non-negative integer, a list of non-negative integers, or null",
      })
      .optional(),
    executor: executorRef.optional(),
  });
  const splitEntrySchema = z.looseObject({
    n_sims: nonNegativeInt,
    n_sims_cap: z.union([nonNegativeInt, z.null()], { error: "must be a non-negative integer or null" }).optional(),
  });
  const configSchema = z.looseObject({
    pipeline: z.record(z.string(), stageSchema),
    splits: z.looseObject({ name: z.string() }),
    local_system: z.looseObject({ datasets_root: z.string(), assets_dir: z.string().optional() }).optional(),
    file_system: z
      .looseObject({
        sim_folder_prefix: z.string(),
        sim_str_num_digits: z.int({ error: "must be a positive integer" }).min(1, { error: "must be a positive integer" }),
      })
      .optional(),
    // The base seed of every node's seed (seeds.ts): 0 … 2^53 − 1, so it survives as a double.
    seed: z
      .int({ error: SEED })
      .min(0, { error: SEED })
      .max(Number.MAX_SAFE_INTEGER, { error: SEED })
      .optional(),
    // Binds executors to stages without editing the pipeline YAML (stage → "module#Export").
    executors: z.record(z.string(), executorRef).optional(),
    cache: z
      .strictObject({
        enabled: z.boolean({ error: "must be true or false" }).optional(),
        link: z.enum(["copy", "hardlink"], { error: 'must be "copy" or "hardlink"' }).optional(),
      })
      .optional(),
  });
  return { configSchema, splitEntrySchema };
}

let schemas: ReturnType<typeof buildSchemas> | undefined;

/**
 * What validation depends on besides the configuration: this compiled module (its stamp) and
 * the zod it loads (its version). A memo of validated configurations keys on it.
 */
export function validatorStamp(): string {
  // Once per process: the validator that runs is the one loaded, whatever happens to the files later.
  if (stamp === undefined) {
    const here = statSync(fileURLToPath(import.meta.url), { bigint: true });
    const require = createRequire(import.meta.url);
    const zod = JSON.parse(readFileSync(require.resolve("zod/package.json"), "utf8")) as { version?: unknown };
    stamp = `${String(here.ino)}:${String(here.size)}:${String(here.mtimeNs)}:${String(here.ctimeNs)}:zod ${String(zod.version)}`;
  }
  return stamp;
}

let stamp: string | undefined;

function zodSchemas(): ReturnType<typeof buildSchemas> {
  schemas ??= buildSchemas((createRequire(import.meta.url)("zod") as { z: typeof Zod }).z);
  return schemas;
}

/** An output asset of a stage. */
export interface AssetOutConfig {
  /** Registered handler name, e.g. `HealpyMap`. */
  readonly handler: string;
  /** Path with `{tags}`, e.g. `{root}/{dataset}/{working}{stage}/{split}/{sim}/cmb_map.fits`. */
  readonly path_template: string;
  readonly [key: string]: ConfigValue;
}
/**
 * Free keys of a config block. Why blocks with optional keys are written as an intersection
 * with it rather than as one interface: in a consumer without exactOptionalPropertyTypes an
 * optional property's type includes undefined, which an index signature of ConfigValue in the
 * same interface rejects (TS2411), so the published .d.ts would not type-check there.
 */
export type FreeKeys = { readonly [key: string]: ConfigValue };

/** An input asset: the output `orig_name` (default: the same name) of stage `stage`. */
export type AssetInConfig = {
  readonly stage: string;
  readonly orig_name?: string;
} & FreeKeys;
/** A stage block of the pipeline; keys other than the fixed ones are free stage parameters. */
export type StageConfig = {
  readonly assets_out?: Readonly<Record<string, AssetOutConfig>>;
  readonly assets_in?: Readonly<Record<string, AssetInConfig>>;
  readonly dir_name?: string;
  /** Split kinds, matched case-insensitively as `^kind\d*$`. */
  readonly splits?: readonly string[];
  readonly make_stage_log?: boolean;
  readonly epochs?: readonly number[] | null;
  readonly override_n_sims?: number | readonly number[] | null;
  /** `"module#Export"`. */
  readonly executor?: string;
  /** What a node of the stage asks of a backend (Slurm: cpus, mem, time, gpus, partition, account, qos, extra); not fingerprinted. */
  readonly resources?: Readonly<Record<string, unknown>>;
} & FreeKeys;
/** One split of a splits file. */
export type SplitConfig = {
  readonly n_sims: number;
  /** Null or absent: no cap. */
  readonly n_sims_cap?: number | null;
} & FreeKeys;
/** A splits file: `name`, split entries (`SPLIT_KEY`), free keys. Use `splitEntries()` to list the splits. */
export interface SplitsConfig {
  readonly name: string;
  readonly [key: string]: ConfigValue;
}
/** The validated, resolved configuration (with schema defaults filled in). */
export interface CmbflowConfig {
  readonly pipeline: Readonly<Record<string, StageConfig>>;
  readonly splits: SplitsConfig;
  readonly local_system: { readonly datasets_root: string; readonly assets_dir?: string } & FreeKeys;
  readonly file_system: {
    readonly sim_folder_prefix: string;
    readonly sim_str_num_digits: number;
    readonly [key: string]: ConfigValue;
  };
  readonly [key: string]: ConfigValue;
}

/** The splits of a validated splits block, in file order. */
export function splitEntries(splits: SplitsConfig): readonly { readonly name: string; readonly config: SplitConfig }[] {
  return Object.entries(splits)
    .filter(([key]) => SPLIT_KEY.test(key))
    .map(([name, config]) => ({ name, config: config as unknown as SplitConfig }));
}

/** One problem found in the resolved configuration, at a key path. */
export interface ValidationIssue {
  readonly path: KeyPath;
  /** Point at the key (unknown or missing keys) or at the value. */
  readonly at: "key" | "value";
  readonly message: string;
  readonly notes: readonly string[];
}

/**
 * Fill schema defaults into a copy of the resolved configuration. Returns the copy and the key
 * paths that were filled.
 */
export function withDefaults(
  resolved: ConfigObject,
  env: Readonly<Record<string, string | undefined>>,
): { readonly value: ConfigObject; readonly filled: readonly KeyPath[] } {
  const filled: KeyPath[] = [];
  const out: Record<string, ConfigValue> = { ...resolved };
  const fill = (group: string, defaults: Readonly<Record<string, ConfigValue>>): void => {
    const current = out[group];
    if (current !== undefined && !isConfigObject(current)) return;
    const block: Record<string, ConfigValue> = { ...(current ?? {}) };
    for (const [key, value] of Object.entries(defaults)) {
      if (block[key] === undefined) {
        block[key] = value;
        filled.push([group, key]);
      }
    }
    out[group] = block;
  };
  fill("local_system", { datasets_root: env["CMBFLOW_DATA"] ?? DEFAULT_DATASETS_ROOT });
  fill("file_system", FILE_SYSTEM_DEFAULTS);
  return { value: out, filled };
}

/** Every problem in the resolved configuration (all of them, in no particular order). */
export function validateConfig(config: ConfigObject): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const { configSchema, splitEntrySchema } = zodSchemas();
  const parsed = configSchema.safeParse(withEmptyStages(config), { error: fallbackMessage });
  if (!parsed.success) issues.push(...parsed.error.issues.flatMap((i) => fromZod(config, i.path, i)));
  const splits = config["splits"];
  if (isConfigObject(splits)) {
    for (const [name, entry] of Object.entries(splits)) {
      if (!SPLIT_KEY.test(name)) continue;
      const result = splitEntrySchema.safeParse(entry, { error: fallbackMessage });
      if (!result.success) issues.push(...result.error.issues.flatMap((i) => fromZod(config, ["splits", name, ...i.path], i)));
    }
  }
  issues.push(...misspeltKeys(config));
  const pipeline = config["pipeline"];
  if (isConfigObject(pipeline) && Object.keys(pipeline).length === 0) {
    issues.push({
      path: ["pipeline"],
      at: "value",
      message: "the pipeline has no stages",
      notes: ["`pipeline` maps stage names to stage blocks; check the pipeline files in the defaults list"],
    });
  }
  return dropMissingWhenMisspelt(issues);
}

/**
 * A stage written with nothing under it (`check_hydra_configs:`, as CMB-ML writes stages that
 * only run code) is a stage with no assets: an empty block.
 */
function withEmptyStages(config: ConfigObject): ConfigObject {
  const pipeline = config["pipeline"];
  if (!isConfigObject(pipeline) || !Object.values(pipeline).includes(null)) return config;
  const stages: Record<string, ConfigValue> = {};
  for (const [name, block] of Object.entries(pipeline)) stages[name] = block === null ? {} : block;
  return { ...config, pipeline: stages };
}

/** Messages for zod issues that the schema does not word itself; all read "must be ...". */
function fallbackMessage(issue: $ZodRawIssue): string | undefined {
  if (issue.code === "invalid_type") {
    const words: Readonly<Record<string, string>> = {
      string: "must be a string",
      number: "must be a number",
      int: "must be an integer",
      boolean: "must be true or false",
      object: "must be a mapping",
      record: "must be a mapping",
      array: "must be a list",
      null: "must be null",
    };
    return words[issue.expected] ?? `must be ${issue.expected}`;
  }
  if (issue.code === "too_small") return `must be at least ${String(issue.minimum)}`;
  if (issue.code === "too_big") return `must be at most ${String(issue.maximum)}`;
  return undefined;
}

interface ZodIssueLike {
  readonly code: string;
  readonly message: string;
  readonly keys?: readonly string[];
}

function fromZod(config: ConfigObject, rawPath: readonly PropertyKey[], issue: ZodIssueLike): ValidationIssue[] {
  const path = rawPath.map((p) => (typeof p === "number" ? p : String(p)));
  if (issue.code === "unrecognized_keys") {
    const allowed = fixedKeysAt(path);
    return (issue.keys ?? []).map((key) => ({
      path: [...path, key],
      at: "key" as const,
      message: `unknown key "${key}" in ${contextOf(path)}`,
      notes: [didYouMean(closestMatches(key, allowed, 1)), `allowed keys: ${allowed.join(", ")}`].filter(
        (n): n is string => n !== undefined,
      ),
    }));
  }
  const value = valueAt(config, path);
  if (value === undefined && path.length > 0) {
    const parent = path.slice(0, -1);
    const key = String(path[path.length - 1]);
    const notes =
      parent.length === 0 && key === "pipeline"
        ? ["choose a pipeline in the defaults list, e.g. `- pipeline: assembly_sim`"]
        : parent.length === 0 && key === "splits"
          ? ["choose splits in the defaults list, e.g. `- splits: 3-3`"]
          : [];
    return [{ path: parent, at: "key", message: `missing key "${key}" in ${contextOf(parent)}`, notes }];
  }
  const where = path.length === 0 ? "the configuration" : dotted(path);
  return [{ path, at: "value", message: `${where} ${issue.message}, got ${describeValue(value)}`, notes: [] }];
}

/** Fixed keys at each kind of block, for misspellings. */
function fixedKeysAt(path: KeyPath): readonly string[] {
  const [top, , section] = path;
  if (path.length === 0) return TOP_LEVEL_KEYS;
  if (top === "pipeline" && path.length === 2) return STAGE_KEYS;
  if (top === "pipeline" && path.length === 4 && section === "assets_out") return ASSET_OUT_KEYS;
  if (top === "pipeline" && path.length === 4 && section === "assets_in") return ASSET_IN_KEYS;
  if (top === "splits" && path.length === 2) return SPLIT_ENTRY_KEYS;
  if (top === "local_system" && path.length === 1) return LOCAL_SYSTEM_KEYS;
  if (top === "file_system" && path.length === 1) return FILE_SYSTEM_KEYS;
  if (top === "cache" && path.length === 1) return CACHE_KEYS;
  return [];
}

/** How a block is named in messages: `stage "make_cmb"`, `split "Train"`, ... */
function contextOf(path: KeyPath): string {
  const [top, name, section, asset] = path.map(String);
  if (path.length === 0) return "the configuration";
  if (top === "pipeline" && path.length === 2) return `stage "${name}"`;
  if (top === "pipeline" && path.length === 4) return `${section}.${asset} of stage "${name}"`;
  if (top === "splits" && path.length === 2) return `split "${name}"`;
  return `"${dotted(path)}"`;
}

function valueAt(config: ConfigValue, path: KeyPath): ConfigValue | undefined {
  let current: ConfigValue | undefined = config;
  for (const segment of path) {
    if (isConfigList(current) && typeof segment === "number") current = current[segment];
    else if (isConfigObject(current)) current = current[String(segment)];
    else return undefined;
  }
  return current;
}

/** A value as shown after "got": `-3`, `2.5`, `"abc"`, `null`, `.nan`, `.inf`, `a mapping`, short lists in full. */
export function describeValue(value: ConfigValue | undefined): string {
  if (value === undefined) return "nothing";
  // JSON would print these as null: write them as YAML does.
  if (typeof value === "number" && !Number.isFinite(value)) return Number.isNaN(value) ? ".nan" : value > 0 ? ".inf" : "-.inf";
  if (isConfigObject(value)) return "a mapping";
  if (isConfigList(value)) {
    const text = JSON.stringify(value);
    return text.length <= 40 ? `the list ${text}` : "a list";
  }
  return JSON.stringify(value);
}

/** Collapse for typo matching: lower case, no `_`/`-`, no trailing `s`. */
function collapse(key: string): string {
  return key.toLowerCase().replace(/[_\-\s]/g, "").replace(/s$/, "");
}

/**
 * The fixed key `key` is probably a typo of: within 2 edits (for fixed keys of 5 or more
 * characters), or equal up to case, underscores and a plural `s`.
 */
export function misspeltFixedKey(key: string, fixed: readonly string[]): string | undefined {
  if (fixed.includes(key)) return undefined;
  let best: { readonly key: string; readonly distance: number } | undefined;
  for (const candidate of fixed) {
    const distance =
      collapse(key) === collapse(candidate) ? 0 : candidate.length >= 5 ? editDistance(key.toLowerCase(), candidate) : Infinity;
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

function misspeltKeys(config: ConfigObject): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const check = (block: ConfigValue | undefined, path: KeyPath): void => {
    if (!isConfigObject(block)) return;
    const fixed = fixedKeysAt(path);
    for (const key of Object.keys(block)) {
      const meant = misspeltFixedKey(key, fixed);
      if (meant === undefined) continue;
      issues.push({
        path: [...path, key],
        at: "key",
        message: `unknown key "${key}" in ${contextOf(path)}`,
        notes: [`did you mean "${meant}"?`],
      });
    }
  };
  check(config, []);
  check(config["local_system"], ["local_system"]);
  check(config["file_system"], ["file_system"]);
  const pipeline = config["pipeline"];
  if (isConfigObject(pipeline)) {
    for (const [name, stage] of Object.entries(pipeline)) {
      check(stage, ["pipeline", name]);
      const outputs = isConfigObject(stage) ? stage["assets_out"] : undefined;
      if (isConfigObject(outputs)) {
        for (const [asset, spec] of Object.entries(outputs)) check(spec, ["pipeline", name, "assets_out", asset]);
      }
    }
  }
  const splits = config["splits"];
  if (isConfigObject(splits)) {
    for (const [name, entry] of Object.entries(splits)) if (SPLIT_KEY.test(name)) check(entry, ["splits", name]);
  }
  return issues;
}

/** A misspelt `n_sim` also makes `n_sims` missing: keep only the misspelling. */
function dropMissingWhenMisspelt(issues: readonly ValidationIssue[]): ValidationIssue[] {
  const misspelt = new Set<string>();
  for (const issue of issues) {
    const meant = /^did you mean "(.+)"\?$/.exec(issue.notes[0] ?? "")?.[1];
    if (issue.at === "key" && meant !== undefined && issue.message.startsWith("unknown key")) {
      misspelt.add(JSON.stringify([...issue.path.slice(0, -1), meant]));
    }
  }
  // Unknown keys of strict blocks are reported by zod and by the misspelling pass: keep one.
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const missing = /^missing key "(.+)" in /.exec(issue.message)?.[1];
    if (missing !== undefined && misspelt.has(JSON.stringify([...issue.path, missing]))) return false;
    const id = `${JSON.stringify(issue.path)}\u0000${issue.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
