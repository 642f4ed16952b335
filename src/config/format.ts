/**
 * Printing a configuration for `cmbflow config`: YAML or JSON, a sub-tree (`--package`), and
 * origins per value (`--show-origin`).
 */
import { isMap, isPair, isScalar, isSeq, newDocument } from "./yaml-lib.js";
import type { Node as YamlNode } from "yaml";
import { error } from "../diagnostics/diagnostic.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { err, ok } from "../diagnostics/result.js";
import type { Result } from "../diagnostics/result.js";
import { fromPlain, isConfigList, isConfigObject, missingKeyNotes } from "./node.js";
import type { ConfigObject, ConfigValue, KeyPath } from "./types.js";

/** Output format of `formatConfig`. */
export type ConfigFormat = "yaml" | "json";

/** Options of `formatConfig`. */
export interface FormatOptions {
  /**
   * Text per leaf path, shown as a trailing `# comment` in YAML (e.g. `cfg/splits/3-3.yaml:3:11`);
   * with JSON the output becomes a list of `{"path", "value", "origin"}` leaves.
   */
  readonly origins?: (path: KeyPath) => string | undefined;
  /** Key path of `value` inside the whole configuration (for `origins`); default the root. */
  readonly basePath?: KeyPath;
}

/**
 * A configuration value as YAML (block style, keys in document order, no line wrapping) or
 * JSON (2-space indent). Both end with a newline.
 */
export function formatConfig(value: ConfigValue, format: ConfigFormat, options: FormatOptions = {}): string {
  const base = options.basePath ?? [];
  const origins = options.origins;
  if (format === "json") {
    if (origins === undefined) return `${JSON.stringify(value, null, 2)}\n`;
    const leaves = leafPaths(value, base).map(({ path, leaf }) => ({ path: path.map(String).join("."), value: leaf, origin: origins(path) ?? null }));
    return `${JSON.stringify(leaves, null, 2)}\n`;
  }
  // Values reached through one whole-value interpolation share objects: print them in full, not as aliases.
  const doc = newDocument(value, { aliasDuplicateObjects: false });
  if (origins !== undefined) annotate(doc.contents, base, origins);
  return doc.toString({ lineWidth: 0 });
}

function annotate(node: unknown, path: KeyPath, origins: (path: KeyPath) => string | undefined): void {
  if (isMap(node)) {
    if (node.items.length === 0) setComment(node, origins(path));
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      annotate(pair.value, [...path, key], origins);
    }
  } else if (isSeq(node)) {
    if (node.items.length === 0) setComment(node, origins(path));
    node.items.forEach((item, index) => annotate(item, [...path, index], origins));
  } else if (isScalar(node)) {
    setComment(node, origins(path));
  }
}

function setComment(node: YamlNode, text: string | undefined): void {
  if (text !== undefined) node.comment = ` ${text}`;
}

function leafPaths(value: ConfigValue, path: KeyPath): { readonly path: KeyPath; readonly leaf: ConfigValue }[] {
  const children: [string | number, ConfigValue][] = isConfigList(value)
    ? value.map((item, i) => [i, item])
    : isConfigObject(value)
      ? Object.entries(value)
      : [];
  if (children.length === 0) return [{ path, leaf: value }];
  return children.flatMap(([key, child]) => leafPaths(child, [...path, key]));
}

/**
 * The sub-tree at a dotted key path (`pipeline`, `pipeline.make_cmb`), for `--package`.
 * An unknown path is a diagnostic naming the closest keys.
 */
export function selectPackage(
  config: ConfigObject,
  packagePath: string,
): Result<{ readonly path: KeyPath; readonly value: ConfigValue }, Diagnostic> {
  const path: KeyPath = packagePath === "" ? [] : packagePath.split(".");
  let value: ConfigValue | undefined = config;
  for (const segment of path) {
    value = isConfigList(value) ? value[Number(segment)] : isConfigObject(value) ? value[String(segment)] : undefined;
    if (value === undefined) {
      const notes = missingKeyNotes(fromPlain(config, { kind: "default" }), path);
      return err(error(`unknown package "${packagePath}": no such key in the configuration`, undefined, notes));
    }
  }
  return ok({ path, value });
}
