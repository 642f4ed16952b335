/**
 * Hydra's multirun sweeps (`cmbflow run -m scenario=nside16,nside64 seed=range(1,3)`): each
 * override whose value is a sweep becomes an axis, and the run is repeated for every
 * combination. The sweep forms, as Hydra's basic sweeper reads them:
 *
 * - `key=a,b,c`: the values listed (commas at the top level; `[30,44]`, `{a: 1}`, quoted text
 *   and parentheses group, so a flow list is one value);
 * - `key=range(stop)`, `range(start,stop)`, `range(start,stop,step)`: numbers from start up to,
 *   not including, stop (Python's range; fractional steps allowed, as Hydra allows);
 * - `key=glob(pattern)`: the options of config group `key` whose names match the pattern
 *   (`*` any text, `?` one character), in name order.
 *
 * Combinations are in Hydra's order: the first axis varies slowest, the last fastest.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Result } from "../diagnostics/result.js";
import { err, ok } from "../diagnostics/result.js";

/** The most variants a sweep may expand to: more is almost surely a typo in a range. */
export const MAX_VARIANTS = 10_000;

/** One value of a swept override, split at top-level commas; undefined when it has none to split at. */
function splitTopLevel(value: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "[" || c === "{" || c === "(") depth++;
    else if (c === "]" || c === "}" || c === ")") depth--;
    else if (c === "," && depth === 0) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  if (parts.length === 0) return undefined;
  parts.push(value.slice(start));
  return parts.map((p) => p.trim());
}

/** The numbers of `range(...)`'s arguments, as Python's range gives them. */
function rangeValues(args: string, override: string): Result<string[], string> {
  const numbers = args.split(",").map((a) => a.trim());
  const parsed = numbers.map((n) => (/^-?(\d+(\.\d*)?|\.\d+)$/.test(n) ? Number(n) : Number.NaN));
  if (numbers.length < 1 || numbers.length > 3 || parsed.some((n) => Number.isNaN(n))) {
    return err(`${override}: range takes one to three numbers, range(stop), range(start, stop) or range(start, stop, step)`);
  }
  const [start, stop, step] = parsed.length === 1 ? [0, parsed[0] ?? 0, 1] : [parsed[0] ?? 0, parsed[1] ?? 0, parsed[2] ?? 1];
  if (step === 0) return err(`${override}: range's step must not be 0`);
  const values: string[] = [];
  for (let i = 0; ; i++) {
    // Multiplied rather than summed, so a fractional step does not accumulate rounding.
    const v = start + i * step;
    if (step > 0 ? v >= stop : v <= stop) break;
    if (values.length >= MAX_VARIANTS) return err(`${override}: range gives more than ${String(MAX_VARIANTS)} values`);
    values.push(String(Number(v.toPrecision(15))));
  }
  if (values.length === 0) return err(`${override}: range gives no values`);
  return ok(values);
}

/** `*` and `?` wildcards as a whole-name pattern. */
function globPattern(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`);
}

/** The options of config group `group` (the .yaml files in its folder), or undefined when it is no group. */
export function groupOptions(configDir: string, group: string): string[] | undefined {
  try {
    return readdirSync(join(configDir, ...group.split(".")), { withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith(".yaml"))
      .map((e) => e.name.slice(0, -".yaml".length))
      .sort();
  } catch {
    return undefined;
  }
}

/** A sweep's axes: for each override, the values it takes (one for an override that is not swept). */
export function sweepAxes(overrides: readonly string[], configDir: string): Result<{ readonly key: string; readonly values: readonly string[] }[], string> {
  const axes: { key: string; values: string[] }[] = [];
  for (const override of overrides) {
    const eq = override.indexOf("=");
    if (eq < 0) {
      axes.push({ key: override, values: [override] });
      continue;
    }
    const key = override.slice(0, eq);
    const value = override.slice(eq + 1).trim();
    const call = /^(range|glob)\((.*)\)$/s.exec(value);
    let values: string[];
    if (call?.[1] === "range") {
      const range = rangeValues(call[2] ?? "", override);
      if (!range.ok) return range;
      values = range.value;
    } else if (call?.[1] === "glob") {
      const group = key.replace(/^\+{1,2}/, "");
      const options = groupOptions(configDir, group);
      if (options === undefined) return err(`${override}: glob() chooses options of a config group, and ${group} is none (no folder ${join(configDir, ...group.split("."))})`);
      const pattern = globPattern((call[2] ?? "").trim());
      values = options.filter((o) => pattern.test(o));
      if (values.length === 0) return err(`${override}: no option of group ${group} matches (options: ${options.join(", ")})`);
    } else {
      values = splitTopLevel(value) ?? [value];
      if (values.some((v) => v === "")) return err(`${override}: an empty value in the list (two commas, or one at an end)`);
    }
    axes.push({ key, values: values.map((v) => `${key}=${v}`) });
  }
  let count = 1;
  for (const axis of axes) count *= axis.values.length;
  if (count > MAX_VARIANTS) return err(`the sweep has ${String(count)} combinations, more than ${String(MAX_VARIANTS)}`);
  return ok(axes);
}

/** Every combination of the axes' values, the first axis slowest (Hydra's order). */
export function sweepVariants(axes: readonly { readonly values: readonly string[] }[]): string[][] {
  let variants: string[][] = [[]];
  for (const axis of axes) variants = variants.flatMap((v) => axis.values.map((value) => [...v, value]));
  return variants;
}
