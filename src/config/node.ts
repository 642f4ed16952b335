/**
 * The configuration tree while it is composed: plain values plus where each one came from.
 * Internal to src/config; the public result is plain `ConfigValue`s and an `origin()` lookup.
 */
import type { SourceLocation } from "../diagnostics/diagnostic.js";
import { closestMatches, didYouMean, listNames } from "../diagnostics/suggest.js";
import type { ConfigObject, ConfigValue, KeyPath } from "./types.js";

/** Where a value of the composed configuration was written. */
export type ValueOrigin =
  /** A YAML node in a config file: `location` is the value's span, `keyLocation` its key's (absent for list items and file roots). */
  | { readonly kind: "file"; readonly location: SourceLocation; readonly keyLocation?: SourceLocation }
  /** A command-line override: `index` into `LoadOptions.overrides` (0-based), `text` as given. */
  | { readonly kind: "override"; readonly index: number; readonly text: string }
  /** Filled in by the schema (e.g. `file_system.sim_str_num_digits: 4`); no file sets it. */
  | { readonly kind: "default" };

/** A leaf value. */
export type Scalar = null | boolean | number | string;

interface NodeBase {
  /** Where the value was written. */
  origin: ValueOrigin;
}
/** A leaf. */
export interface ScalarNode extends NodeBase {
  readonly kind: "scalar";
  readonly value: Scalar;
}
/** A list; merges replace lists whole. */
export interface SeqNode extends NodeBase {
  readonly kind: "seq";
  readonly items: CNode[];
}
/** A mapping; merges combine mappings key by key. */
export interface MapNode extends NodeBase {
  readonly kind: "map";
  /** Insertion order is the document order of the keys. */
  readonly entries: Map<string, CNode>;
}
/** A node of the configuration tree being composed (mutable while composing). */
export type CNode = ScalarNode | SeqNode | MapNode;

/** A new mapping node. */
export function mapNode(origin: ValueOrigin, entries = new Map<string, CNode>()): MapNode {
  return { kind: "map", entries, origin };
}

/** Key path as `a.b.0.c`. */
export function dotted(path: KeyPath): string {
  return path.map(String).join(".");
}

/** A stable map key for a key path (numbers and numeric strings stay distinct). */
export function pathKey(path: KeyPath): string {
  return JSON.stringify(path);
}

/** The child of a mapping or list at `segment`, if any. Numeric strings index lists. */
export function childOf(node: CNode, segment: string | number): CNode | undefined {
  if (node.kind === "map") return node.entries.get(String(segment));
  if (node.kind === "seq") {
    const index = typeof segment === "number" ? segment : /^\d+$/.test(segment) ? Number(segment) : -1;
    return index >= 0 ? node.items[index] : undefined;
  }
  return undefined;
}

/** Deep copy as a plain value. */
export function toPlain(node: CNode): ConfigValue {
  switch (node.kind) {
    case "scalar":
      return node.value;
    case "seq":
      return node.items.map(toPlain);
    case "map": {
      const out: Record<string, ConfigValue> = {};
      for (const [key, child] of node.entries) out[key] = toPlain(child);
      return out;
    }
  }
}

/** Build a tree from a plain value, every node with the same origin. */
export function fromPlain(value: ConfigValue, origin: ValueOrigin): CNode {
  if (value === null || typeof value !== "object") return { kind: "scalar", value, origin };
  if (isConfigList(value)) return { kind: "seq", items: value.map((v) => fromPlain(v, origin)), origin };
  const entries = new Map<string, CNode>();
  for (const [key, child] of Object.entries(value)) entries.set(key, fromPlain(child, origin));
  return { kind: "map", entries, origin };
}

/** Narrowing helper: `Array.isArray` does not narrow readonly arrays. */
export function isConfigList(value: ConfigValue | undefined): value is readonly ConfigValue[] {
  return Array.isArray(value);
}

/** Narrowing helper for mappings. */
export function isConfigObject(value: ConfigValue | undefined): value is ConfigObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Merge `source` into `target` in place, `source` winning: mappings merge key by key,
 * anything else (lists included) replaces. Returns the merged node.
 */
export function mergeInto(target: CNode, source: CNode): CNode {
  if (target.kind !== "map" || source.kind !== "map") return source;
  for (const [key, child] of source.entries) {
    const existing = target.entries.get(key);
    target.entries.set(key, existing === undefined ? child : mergeInto(existing, child));
  }
  // The mapping as a whole now also carries the later file's keys: point at the later one.
  target.origin = source.origin;
  return target;
}

/** Every key path in the tree (mappings, lists and leaves), parents before children. */
export function* allPaths(node: CNode, prefix: (string | number)[] = []): Generator<KeyPath> {
  if (node.kind === "map") {
    for (const [key, child] of node.entries) {
      const path = [...prefix, key];
      yield path;
      yield* allPaths(child, path);
    }
  } else if (node.kind === "seq") {
    for (const [index, child] of node.items.entries()) {
      const path = [...prefix, index];
      yield path;
      yield* allPaths(child, path);
    }
  }
}

/** How far `path` exists in the tree: the deepest existing node and the index of the first missing segment. */
export function deepestExisting(root: CNode, path: KeyPath): { readonly node: CNode; readonly missingAt: number } {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const child = segment === undefined ? undefined : childOf(node, segment);
    if (child === undefined) return { node, missingAt: i };
    node = child;
  }
  return { node, missingAt: path.length };
}

/**
 * Notes for a key path that does not exist: the closest existing key paths ("did you mean"),
 * found among the siblings of the first missing key, else keys with the same last name anywhere,
 * else all key paths by edit distance; or, when nothing is close, the keys at that level.
 */
export function missingKeyNotes(root: CNode, path: KeyPath): string[] {
  const { node, missingAt } = deepestExisting(root, path);
  const prefix = path.slice(0, missingAt);
  const segment = String(path[missingAt] ?? "");
  if (node.kind === "scalar") {
    return [`"${dotted(prefix)}" is ${node.value === null ? "null" : `a ${typeof node.value}`}, not a mapping`];
  }
  const siblings = node.kind === "map" ? [...node.entries.keys()] : node.items.map((_, i) => String(i));
  const everything = [...allPaths(root)].map(dotted);
  const last = String(path[path.length - 1] ?? "");
  // Best first: a typo among the siblings; else the same key name elsewhere; else any close path.
  const rest = path.slice(missingAt + 1);
  let candidates = closestMatches(segment, siblings).map((s) => {
    const full = [...prefix, s, ...rest];
    return dotted(deepestExisting(root, full).missingAt === full.length ? full : [...prefix, s]);
  });
  if (candidates.length === 0) candidates = everything.filter((p) => p === last || p.endsWith(`.${last}`));
  if (candidates.length === 0) candidates = closestMatches(dotted(path), everything);
  const suggestion = didYouMean(candidates.slice(0, 3));
  if (suggestion !== undefined) return [suggestion];
  if (siblings.length === 0) return [prefix.length === 0 ? "the configuration is empty" : `"${dotted(prefix)}" is empty`];
  const where = prefix.length === 0 ? "top-level keys" : `keys in "${dotted(prefix)}"`;
  return [`${where}: ${listNames(siblings)}`];
}
