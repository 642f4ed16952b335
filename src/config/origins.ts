/**
 * Where each value of a loaded configuration came from: `origin()` of the contract, plus the
 * fuller `originOf()` that also tells command-line overrides and schema defaults apart, and
 * the per-leaf listing behind `cmbflow config --show-origin`.
 */
import { relative } from "node:path";
import type { SourceLocation } from "../diagnostics/diagnostic.js";
import { parseTemplate } from "./interpolation-syntax.js";
import { childOf, isConfigList, isConfigObject, pathKey } from "./node.js";
import type { CNode, MapNode, ValueOrigin } from "./node.js";
import type { ConfigObject, ConfigValue, KeyPath, LoadedConfig } from "./types.js";

/** What the loader keeps about a loaded configuration, for origin lookups. */
export interface OriginIndex {
  /** The composed tree with overrides applied (before interpolation). */
  readonly root: MapNode;
  /** `pathKey()`s of values filled in by schema defaults. */
  readonly filled: ReadonlySet<string>;
}

const indexes = new WeakMap<LoadedConfig, OriginIndex>();

/** Remember the origin index of a config built by `loadConfig`. */
export function registerOrigins(config: LoadedConfig, index: OriginIndex): void {
  indexes.set(config, index);
}

/** Deep enough to follow any sensible chain of `${...}` aliases. */
const MAX_HOPS = 32;

/**
 * The tree node that provides the value at `path` of the resolved configuration. A path that
 * goes inside a value written as exactly one reference (`x: ${y}`, then `x.k`) continues at
 * the reference's target (`y.k`): the value there is what `x.k` resolves to.
 */
export function nodeAt(root: MapNode, path: KeyPath, hops = 0): CNode | undefined {
  let node: CNode = root;
  for (const [i, segment] of path.entries()) {
    const target = hops < MAX_HOPS ? referenceTarget(node, path.slice(0, i)) : undefined;
    if (target !== undefined) return nodeAt(root, [...target, ...path.slice(i)], hops + 1);
    const child = childOf(node, segment);
    if (child === undefined) return undefined;
    node = child;
  }
  return node;
}

/** For a value written as exactly one `${a.b}` (or relative `${.b}`), the absolute target path. */
function referenceTarget(node: CNode, at: KeyPath): KeyPath | undefined {
  if (node.kind !== "scalar" || typeof node.value !== "string" || !node.value.startsWith("${")) return undefined;
  const parts = parseTemplate(node.value);
  const only = parts.ok && parts.value.length === 1 ? parts.value[0] : undefined;
  if (only?.kind !== "interpolation" || only.expression.kind !== "reference") return undefined;
  const { dots, segments } = only.expression;
  if (dots === 0) return segments;
  const container = at.slice(0, -1);
  const up = dots - 1;
  return up > container.length ? undefined : [...container.slice(0, container.length - up), ...segments];
}

/**
 * Where the value at `path` was set: a file span (value node), a command-line override, or a
 * schema default. Undefined when there is no such path. Values set by a whole-value
 * interpolation report the node where the interpolation is written, except inside an
 * interpolated mapping or list, which report the target's nodes (see `nodeAt`).
 */
export function originFromIndex(index: OriginIndex, path: KeyPath): ValueOrigin | undefined {
  if (index.filled.has(pathKey(path))) return { kind: "default" };
  return nodeAt(index.root, path)?.origin;
}

/** `originFromIndex` for a config built by `loadConfig`; undefined for other objects. */
export function originOf(config: LoadedConfig, path: KeyPath): ValueOrigin | undefined {
  const index = indexes.get(config);
  return index === undefined ? undefined : originFromIndex(index, path);
}

/** The file span of an origin, if it is a file. */
export function fileLocation(origin: ValueOrigin | undefined): SourceLocation | undefined {
  return origin?.kind === "file" ? origin.location : undefined;
}

/**
 * An origin as text: `cfg/splits/3-3.yaml:4:11` (relative to `cwd`), `override "a.b=1"`,
 * `default`, or `unknown`.
 */
export function describeOrigin(origin: ValueOrigin | undefined, cwd: string): string {
  if (origin === undefined) return "unknown";
  switch (origin.kind) {
    case "file":
      return `${displayPath(origin.location.file, cwd)}:${origin.location.line}:${origin.location.column}`;
    case "override":
      return `override "${origin.text}"`;
    case "default":
      return "default";
  }
}

/** `file` relative to `cwd` when it is inside it, else unchanged. */
export function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel === "" || rel.startsWith("..") ? file : rel;
}

/** One leaf of the configuration with its origin. */
export interface OriginEntry {
  readonly path: KeyPath;
  /** A scalar, or an empty mapping or list. */
  readonly value: ConfigValue;
  readonly origin: ValueOrigin | undefined;
}

/**
 * Every leaf under `under` (default: the whole configuration) of the resolved (default) or raw
 * view, in document order, with where it was set.
 */
export function originEntries(
  config: LoadedConfig,
  options: { readonly view?: "resolved" | "raw"; readonly under?: KeyPath } = {},
): OriginEntry[] {
  const under = options.under ?? [];
  let value: ConfigValue | undefined = options.view === "raw" ? config.raw : config.resolved;
  for (const segment of under) {
    value = isConfigList(value) ? value[Number(segment)] : isConfigObject(value) ? value[String(segment)] : undefined;
  }
  const out: OriginEntry[] = [];
  const visit = (v: ConfigValue, path: KeyPath): void => {
    const children: [string | number, ConfigValue][] = isConfigList(v)
      ? v.map((item, i) => [i, item])
      : isConfigObject(v)
        ? Object.entries(v)
        : [];
    if (children.length === 0) {
      out.push({ path, value: v, origin: originOf(config, path) });
      return;
    }
    for (const [key, child] of children) visit(child, [...path, key]);
  };
  if (value !== undefined) visit(value, under);
  return out;
}

/** The value at a key path of a plain configuration, or undefined (numeric segments index lists). */
export function valueAtPath(root: ConfigObject, path: KeyPath): ConfigValue | undefined {
  let value: ConfigValue | undefined = root;
  for (const segment of path) {
    value = isConfigList(value) ? value[Number(segment)] : isConfigObject(value) ? value[String(segment)] : undefined;
  }
  return value;
}
