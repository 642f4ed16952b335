/**
 * The Slurm backend's settings: the config's `slurm:` block (packing, throttle, polling and
 * default resources) and each stage's `resources:` block over those defaults.
 *
 * ```yaml
 * slurm:
 *   batch_size: 50             # nodes per array task (default: spread over the partition's CPUs, at least 50 per task)
 *   target_task_seconds: 300   # or: pack as many nodes as take about this long (measured per stage)
 *   throttle: 8                # at most this many array tasks of one job run at once (%N)
 *   poll_min_ms: 200           # status query interval, backing off to poll_max_ms while nothing changes
 *   poll_max_ms: 5000
 *   fs_lag_seconds: 10         # how long a finished task's result files may take to appear
 *   resources: {cpus: 1, mem: 2G, time: "01:00:00", partition: main, extra: ["--constraint=cpu"]}
 * ```
 */
import type { ConfigObject, ConfigValue } from "../../config/types.js";
import type { Result } from "../../diagnostics/result.js";
import { err, ok } from "../../diagnostics/result.js";

/** What an array task asks of Slurm; every field optional (Slurm's defaults apply). */
export interface SlurmResources {
  readonly cpus?: number;
  /** `--mem`, e.g. `4G`. */
  readonly mem?: string;
  /** `--time`, e.g. `01:00:00`. */
  readonly time?: string;
  /** `--gpus`, e.g. `1` or `a100:1`. */
  readonly gpus?: string;
  readonly partition?: string;
  readonly account?: string;
  readonly qos?: string;
  /** Further sbatch arguments, each one word, e.g. `--constraint=cpu`. */
  readonly extra?: readonly string[];
}

/** The backend's settings, defaults filled in. */
export interface SlurmSettings {
  /**
   * Nodes per array task, when no target duration is given or nothing of the stage ran yet;
   * unset: as many as spread the stage's ready nodes over the CPUs its partition has, at least
   * AUTO_BATCH_MIN (slurm-runner.ts).
   */
  readonly batchSize?: number;
  /** Pack nodes so that a task takes about this long (from the stage's nodes that ran in this run). */
  readonly targetTaskSeconds?: number;
  /** `%N` of `--array`: at most this many tasks of one array run at once. */
  readonly throttle?: number;
  readonly pollMinMs: number;
  readonly pollMaxMs: number;
  /** How long the result files of a task Slurm says ended may take to appear (shared file systems lag). */
  readonly fsLagMs: number;
  /** Defaults for every stage. */
  readonly resources: SlurmResources;
}

const RESOURCE_KEYS = ["cpus", "mem", "time", "gpus", "partition", "account", "qos", "extra"] as const;
const SETTING_KEYS = ["batch_size", "target_task_seconds", "throttle", "poll_min_ms", "poll_max_ms", "fs_lag_seconds", "resources"] as const;

/** The `slurm:` block of a resolved configuration; a message naming the key at fault. */
export function slurmSettings(resolved: ConfigObject): Result<SlurmSettings, string> {
  const block = resolved["slurm"];
  if (block === undefined || block === null) return ok(defaults({}));
  if (!isObject(block)) return err(`slurm: must be a mapping (batch_size, target_task_seconds, throttle, resources, ...), not ${JSON.stringify(block)}`);
  for (const key of Object.keys(block)) {
    if (!(SETTING_KEYS as readonly string[]).includes(key)) return err(`slurm.${key} is not a setting of the Slurm backend (settings: ${SETTING_KEYS.join(", ")})`);
  }
  const ints: Partial<Record<(typeof SETTING_KEYS)[number], number>> = {};
  for (const key of ["batch_size", "target_task_seconds", "throttle", "poll_min_ms", "poll_max_ms", "fs_lag_seconds"] as const) {
    const value = block[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== "number" || !(value > 0) || (key !== "target_task_seconds" && key !== "fs_lag_seconds" && !Number.isInteger(value))) {
      return err(`slurm.${key} must be a positive ${key === "target_task_seconds" || key === "fs_lag_seconds" ? "number" : "integer"}, not ${JSON.stringify(value)}`);
    }
    ints[key] = value;
  }
  const resources = parseResources(block["resources"], "slurm.resources");
  if (!resources.ok) return resources;
  return ok(defaults(ints, resources.value));
}

function defaults(given: Partial<Record<(typeof SETTING_KEYS)[number], number>>, resources: SlurmResources = {}): SlurmSettings {
  const pollMinMs = given.poll_min_ms ?? 200;
  return {
    ...(given.batch_size === undefined ? {} : { batchSize: given.batch_size }),
    ...(given.target_task_seconds === undefined ? {} : { targetTaskSeconds: given.target_task_seconds }),
    ...(given.throttle === undefined ? {} : { throttle: given.throttle }),
    pollMinMs,
    pollMaxMs: Math.max(pollMinMs, given.poll_max_ms ?? 5000),
    fsLagMs: (given.fs_lag_seconds ?? 10) * 1000,
    resources,
  };
}

/** A `resources:` block (`where` names it in messages, e.g. `pipeline.make_cmb.resources`). */
export function parseResources(value: ConfigValue | undefined, where: string): Result<SlurmResources, string> {
  if (value === undefined || value === null) return ok({});
  if (!isObject(value)) return err(`${where} must be a mapping of ${RESOURCE_KEYS.join(", ")}, not ${JSON.stringify(value)}`);
  const out: { -readonly [K in keyof SlurmResources]: SlurmResources[K] } = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === null) continue;
    switch (key) {
      case "cpus":
        if (typeof v !== "number" || !Number.isInteger(v) || v < 1) return err(`${where}.cpus must be a whole number of CPUs, at least 1, not ${JSON.stringify(v)}`);
        out.cpus = v;
        break;
      case "mem":
      case "time":
      case "gpus":
      case "partition":
      case "account":
      case "qos": {
        if (typeof v !== "string" && typeof v !== "number") return err(`${where}.${key} must be a string, not ${JSON.stringify(v)}`);
        const text = String(v);
        // One sbatch argument each: a space or newline would split it, or end the #SBATCH line.
        if (!/^[\w.:,=+@/-]+$/.test(text)) return err(`${where}.${key} ${JSON.stringify(text)} has characters sbatch would not take as one value`);
        out[key] = text;
        break;
      }
      case "extra": {
        const words = typeof v === "string" ? [v] : v;
        if (!Array.isArray(words) || !words.every((w) => typeof w === "string" && w.startsWith("-") && !/[\s]/.test(w))) {
          return err(`${where}.extra must be a list of sbatch arguments, each one word starting with "-" (e.g. --constraint=cpu), not ${JSON.stringify(v)}`);
        }
        out.extra = words as string[];
        break;
      }
      default:
        return err(`${where}.${key} is not a resource the Slurm backend asks for (resources: ${RESOURCE_KEYS.join(", ")})`);
    }
  }
  return ok(out);
}

/** A stage's resources: its own block's fields over the defaults (extra arguments added to the defaults'). */
export function mergeResources(defaults: SlurmResources, stage: SlurmResources): SlurmResources {
  const extra = [...(defaults.extra ?? []), ...(stage.extra ?? [])];
  return { ...defaults, ...stage, ...(extra.length === 0 ? {} : { extra }) };
}

function isObject(value: ConfigValue | undefined): value is ConfigObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
