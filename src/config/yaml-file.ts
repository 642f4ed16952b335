/**
 * One YAML config file → a configuration tree whose every node knows its span in the file.
 * Syntax errors of the yaml library (tabs, duplicate keys, bad indentation, unclosed quotes)
 * become diagnostics at their line and column.
 */
import type { Document, LineCounter, Node as YamlNode, Scalar, YAMLError } from "yaml";
import { isAlias, isMap, isPair, isScalar, isSeq, newLineCounter, parseDocument } from "./yaml-lib.js";
import { error, warning } from "../diagnostics/diagnostic.js";
import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";
import type { CNode, MapNode, ValueOrigin } from "./node.js";

/** Positions in one file's text, as 1-based line and column spans. */
class SourceText {
  readonly #lines: LineCounter;
  readonly path: string;
  readonly text: string;

  constructor(path: string, text: string, lines: LineCounter) {
    this.path = path;
    this.text = text;
    this.#lines = lines;
  }

  /** The span between two offsets (end exclusive; an empty span covers one character). */
  location(start: number, end: number): SourceLocation {
    const from = this.#lines.linePos(Math.min(start, this.text.length));
    const to = this.#lines.linePos(Math.min(Math.max(end, start + 1), this.text.length));
    return { file: this.path, line: from.line, column: from.col, endLine: to.line, endColumn: to.col };
  }
}

/** The result of reading one file: its tree (undefined when it did not parse) and any findings. */
export interface ParsedFile {
  readonly tree: MapNode | undefined;
  readonly errors: readonly Diagnostic[];
  readonly warnings: readonly Diagnostic[];
}

/**
 * Parse a config file. Its root must be a mapping (an empty file is an empty mapping).
 * `<<` merge keys are honoured with YAML's rule: keys written in the mapping win over merged
 * ones, and earlier merge sources win over later ones. Nodes reached through an alias or a
 * merge key carry the span of the anchored node.
 */
export function parseConfigFile(path: string, text: string): ParsedFile {
  const lines = newLineCounter();
  const doc = parseDocument(text, { lineCounter: lines, merge: true, prettyErrors: false, keepSourceTokens: false });
  const source = new SourceText(path, text, lines);
  // Bytes that are not UTF-8 were decoded as U+FFFD: a file saved in another encoding (or
  // UTF-16), which would otherwise turn into keys and folder names with "�" in them.
  const replaced = text.indexOf("\uFFFD");
  if (replaced >= 0) {
    return { tree: undefined, errors: [error("this file is not UTF-8 text (saved in another encoding?); cmbflow reads config files as UTF-8", source.location(replaced, replaced + 1))], warnings: [] };
  }
  const errors = yamlErrors(doc, source);
  const warnings = doc.warnings.map((w) => warning(cleanMessage(w.message), source.location(w.pos[0], w.pos[1])));
  if (errors.length > 0) return { tree: undefined, errors, warnings };

  const converter = new Converter(doc, source);
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    return { tree: { kind: "map", entries: new Map(), origin: fileOrigin(source.location(0, 0)) }, errors, warnings };
  }
  const tree = converter.convert(root, undefined, 0);
  if (tree !== undefined && tree.kind !== "map") {
    converter.errors.push(
      error(`the top level of a config file must be a mapping, not ${describeKind(tree)}`, locationOf(tree)),
    );
  }
  return {
    tree: converter.errors.length === 0 && tree?.kind === "map" ? tree : undefined,
    errors: converter.errors,
    warnings,
  };
}

function describeKind(node: CNode): string {
  return node.kind === "seq" ? "a list" : "a single value";
}

function locationOf(node: CNode): SourceLocation | undefined {
  return node.origin.kind === "file" ? node.origin.location : undefined;
}

function fileOrigin(location: SourceLocation, keyLocation?: SourceLocation): ValueOrigin {
  return keyLocation === undefined ? { kind: "file", location } : { kind: "file", location, keyLocation };
}

/** Deep enough for any real config; stops runaway alias chains. */
const MAX_DEPTH = 200;
/**
 * Values one file may expand to through aliases and merge keys: far above any real config,
 * far below what nested aliases can reach ("billion laughs": 9 aliases of 9 of 9 …).
 */
const MAX_VALUES = 1_000_000;

class Converter {
  readonly errors: Diagnostic[] = [];
  readonly #doc: Document;
  readonly #source: SourceText;

  constructor(doc: Document, source: SourceText) {
    this.#doc = doc;
    this.#source = source;
  }

  #span(node: YamlNode): SourceLocation {
    const [start, valueEnd] = node.range ?? [0, 0];
    return this.#source.location(start, valueEnd);
  }

  #values = 0;

  convert(node: unknown, keyLocation: SourceLocation | undefined, depth: number): CNode | undefined {
    if (++this.#values > MAX_VALUES) {
      if (this.#values === MAX_VALUES + 1) {
        const at = isAlias(node) || isScalar(node) || isMap(node) || isSeq(node) ? this.#span(node) : undefined;
        this.errors.push(error(`the aliases in this file expand to more than ${MAX_VALUES.toLocaleString("en")} values; is an alias nested in itself many times?`, at));
      }
      return undefined;
    }
    if (depth > MAX_DEPTH) {
      this.errors.push(error("configuration nested too deeply (alias loop?)", undefined));
      return undefined;
    }
    if (isAlias(node)) {
      const target = node.resolve(this.#doc);
      if (target === undefined) {
        this.errors.push(error(`unknown anchor "&${node.source}" in alias "*${node.source}"`, this.#span(node)));
        return undefined;
      }
      // The alias's own key stays where it is written; the value points at the anchor.
      return this.convert(target, keyLocation, depth + 1);
    }
    if (isScalar(node)) {
      // `key:` with nothing after it: an empty span at the end of the line; point at the key.
      const empty = node.range !== undefined && node.range !== null && node.range[0] === node.range[1];
      const origin = fileOrigin(empty && keyLocation !== undefined ? keyLocation : this.#span(node), keyLocation);
      const value = node.value;
      if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
        return { kind: "scalar", value, origin };
      }
      if (typeof value === "bigint") return { kind: "scalar", value: Number(value), origin };
      this.errors.push(error(`unsupported YAML value of type ${typeof value}`, this.#span(node)));
      return undefined;
    }
    if (isSeq(node)) {
      const items: CNode[] = [];
      for (const item of node.items) {
        const converted = this.convert(item ?? null, undefined, depth + 1);
        if (converted !== undefined) items.push(converted);
      }
      return { kind: "seq", items, origin: fileOrigin(this.#span(node), keyLocation) };
    }
    if (isMap(node)) return this.#convertMap(node.items, this.#span(node), keyLocation, depth);
    if (node === null || node === undefined) {
      return { kind: "scalar", value: null, origin: fileOrigin(keyLocation ?? this.#source.location(0, 0), keyLocation) };
    }
    this.errors.push(error("unsupported YAML node", undefined));
    return undefined;
  }

  #convertMap(
    pairs: readonly unknown[],
    span: SourceLocation,
    keyLocation: SourceLocation | undefined,
    depth: number,
  ): MapNode {
    const entries = new Map<string, CNode>();
    for (const pair of pairs) {
      if (!isPair(pair)) continue;
      const key: unknown = pair.key;
      if (isScalar(key) && typeof key.value === "symbol") {
        this.#merge(entries, pair.value, depth);
        continue;
      }
      if (!isScalar(key) || key.value === null || typeof key.value === "object") {
        const at = key !== null && typeof key === "object" && "range" in key ? this.#span(key as YamlNode) : span;
        this.errors.push(error("only plain values (strings, numbers) can be mapping keys", at));
        continue;
      }
      const keyText = typeof key.value === "string" ? key.value : JSON.stringify(key.value);
      const keySpan = this.#span(key);
      const valueNode: unknown = pair.value;
      const child =
        valueNode === null
          ? { kind: "scalar" as const, value: null, origin: fileOrigin(keySpan, keySpan) }
          : this.convert(valueNode, keySpan, depth + 1);
      if (child !== undefined) entries.set(keyText, child);
    }
    return { kind: "map", entries, origin: fileOrigin(span, keyLocation) };
  }

  /** `<<: *base` or `<<: [*a, *b]`: add the keys not already present, earlier sources first. */
  #merge(entries: Map<string, CNode>, value: unknown, depth: number): void {
    const resolved = isAlias(value) ? value.resolve(this.#doc) : value;
    const sources: unknown[] = isSeq(resolved) ? [...resolved.items] : [resolved];
    for (const source of sources) {
      const node = this.convert(source, undefined, depth + 1);
      if (node === undefined) continue;
      if (node.kind !== "map") {
        this.errors.push(error("a merge key (<<) needs a mapping or an alias of one", locationOf(node)));
        continue;
      }
      for (const [key, child] of node.entries) if (!entries.has(key)) entries.set(key, child);
    }
  }
}

/** Messages of the yaml library in the lower-case, no-period style of our diagnostics. */
function cleanMessage(message: string): string {
  const firstLine = message.split("\n")[0] ?? message;
  const trimmed = firstLine.replace(/\.$/, "").replace(/ at line \d+, column \d+:?$/, "");
  return trimmed.charAt(0).toLowerCase() + trimmed.slice(1);
}

/** Our wording for the errors people actually make; anything else is the library's message, cleaned. */
function yamlErrors(doc: Document, source: SourceText): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seenLines = new Set<number>();
  for (const e of doc.errors) {
    const diagnostic = describeYamlError(e, doc, source);
    const line = diagnostic.location?.line ?? 0;
    // One finding per line: the library often reports a single mistake several times.
    if (seenLines.has(line)) continue;
    seenLines.add(line);
    out.push(diagnostic);
  }
  return out;
}

function describeYamlError(e: YAMLError, doc: Document, source: SourceText): Diagnostic {
  const [start, end] = e.pos;
  const here = source.location(start, end);
  if (e.code === "MULTIPLE_DOCS") {
    return error("a second YAML document: a config file holds one", source.location(start, start + 3), [
      'remove the "---" line and what follows, or move it into a file of its own',
    ]);
  }
  if (e.code === "TAB_AS_INDENT") {
    return error("tab character used for indentation", here, ["YAML indentation must use spaces, not tabs"]);
  }
  if (e.code === "DUPLICATE_KEY") {
    const keys = duplicateKeys(doc, start);
    if (keys !== undefined) {
      const [first, duplicate] = keys;
      const name = typeof duplicate.value === "string" ? duplicate.value : source.text.slice(...span(duplicate));
      const firstAt = source.location(...span(first));
      return error(`duplicate key ${JSON.stringify(name)}`, source.location(...span(duplicate)), [
        `first defined at line ${firstAt.line}, column ${firstAt.column}`,
      ]);
    }
    return error("duplicate key", here);
  }
  const unclosed = /end with an? ([\]}])/.exec(e.message)?.[1];
  if (unclosed !== undefined) {
    const open = unclosed === "]" ? "[" : "{";
    const opening = source.text.lastIndexOf(open, start - 1);
    const what = unclosed === "]" ? "flow sequence" : "flow mapping";
    if (opening >= 0) {
      return error(`unclosed ${what}: missing "${unclosed}"`, source.location(opening, opening + 1), [
        `close it with "${unclosed}" on the same line, or indent its continuation lines`,
      ]);
    }
  }
  if (e.code === "MISSING_CHAR") {
    const quote = /closing (["'])quote/.exec(e.message)?.[1];
    if (quote !== undefined) {
      const opening = source.text.lastIndexOf(quote, start - 1);
      const at = opening >= 0 ? source.location(opening, opening + 1) : here;
      return error(`unclosed ${quote === '"' ? "double" : "single"}-quoted string`, at, [
        `add the closing ${quote} on the same value`,
      ]);
    }
  }
  return error(cleanMessage(e.message), here);
}

function span(node: Scalar): [number, number] {
  const range = node.range ?? [0, 0];
  return [range[0], range[1]];
}

/** The first and the repeated key of a duplicate-key error, found by the repeated key's offset. */
function duplicateKeys(doc: Document, duplicateStart: number): [Scalar, Scalar] | undefined {
  let found: [Scalar, Scalar] | undefined;
  const visitNode = (node: unknown): void => {
    if (found !== undefined) return;
    if (isMap(node)) {
      const keys = node.items.flatMap((p) => (isPair(p) && isScalar(p.key) ? [p.key] : []));
      const duplicate = keys.find((k) => k.range?.[0] === duplicateStart);
      const first = keys.find((k) => k !== duplicate && k.value === duplicate?.value);
      if (duplicate !== undefined && first !== undefined) {
        found = [first, duplicate];
        return;
      }
      for (const p of node.items) if (isPair(p)) visitNode(p.value);
    } else if (isSeq(node)) {
      for (const item of node.items) visitNode(item);
    }
  };
  visitNode(doc.contents);
  return found;
}
