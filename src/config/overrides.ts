/**
 * Command-line overrides in Hydra's syntax:
 *
 * | written           | meaning                                                        |
 * |-------------------|----------------------------------------------------------------|
 * | `a.b=v`           | change an existing key (error naming the closest keys if none) |
 * | `+a.b=v`          | add a new key (error if it exists)                             |
 * | `++a.b=v`         | set a key, adding it if needed                                 |
 * | `~a.b`, `~a.b=v`  | delete a key (with `=v`, only if its value is `v`)             |
 * | `group=option`    | pick another file of a config group (see compose.ts)           |
 *
 * Values are YAML scalars or flow collections: `512`, `true`, `null`, `'quoted'`, `[30,44,70]`,
 * `{a: 1}`; anything else (`a b`, `x: y`) is taken as a string; an empty value is `""`.
 */
import { isCollection, parseDocument } from "./yaml-lib.js";
import { error } from "../diagnostics/diagnostic.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { err, ok } from "../diagnostics/result.js";
import type { Result } from "../diagnostics/result.js";
import { childOf, dotted, fromPlain, mapNode, missingKeyNotes, toPlain } from "./node.js";
import type { CNode, MapNode, ValueOrigin } from "./node.js";
import type { ConfigValue } from "./types.js";

/** `set` = `a=v`, `add` = `+a=v`, `force` = `++a=v`, `delete` = `~a` or `~a=v`. */
export type OverrideKind = "set" | "add" | "force" | "delete";

/** One parsed command-line override. */
export interface ParsedOverride {
  readonly kind: OverrideKind;
  /** The key as written, without the `+`, `++` or `~` prefix, e.g. `scenario.nside` or `model/sim`. */
  readonly key: string;
  /** `key` split at dots. */
  readonly path: readonly string[];
  /** The text after the first `=`; undefined for `~key`. */
  readonly valueText: string | undefined;
  /** Position in `LoadOptions.overrides` (0-based). */
  readonly index: number;
  /** The override as given. */
  readonly text: string;
}

const SYNTAX_NOTE = "write key=value, +key=value (add), ++key=value (add or change), ~key (delete) or group=option";

/** Parse `text` (the `index`-th override). */
export function parseOverride(text: string, index: number): Result<ParsedOverride, Diagnostic> {
  const match = /^(~|\+\+|\+)?([^=~+\s][^=\s]*)(?:=([\s\S]*))?$/.exec(text);
  const prefix = match?.[1];
  const key = match?.[2];
  const valueText = match?.[3];
  if (match === null || key === undefined) return err(error(`invalid override "${text}"`, undefined, [SYNTAX_NOTE]));
  const kind: OverrideKind = prefix === "~" ? "delete" : prefix === "++" ? "force" : prefix === "+" ? "add" : "set";
  if (kind !== "delete" && valueText === undefined) {
    return err(error(`invalid override "${text}": missing "=value"`, undefined, [SYNTAX_NOTE]));
  }
  const path = key.split(".");
  if (path.some((segment) => segment.length === 0)) {
    return err(error(`invalid override "${text}": empty key name in "${key}"`, undefined, [SYNTAX_NOTE]));
  }
  return ok({ kind, key, path, valueText, index, text });
}

/** The override's value as a tree, every node marked as coming from this override. */
export function overrideValue(override: ParsedOverride): Result<CNode, Diagnostic> {
  const origin: ValueOrigin = { kind: "override", index: override.index, text: override.text };
  const value = parseValueText(override.valueText ?? "");
  if (!value.ok) {
    return err(error(`cannot read the value of override "${override.text}": ${value.error}`, undefined));
  }
  return ok(fromPlain(value.value, origin));
}

/** A YAML scalar or flow collection; other text is a plain string. */
export function parseValueText(text: string): Result<ConfigValue, string> {
  if (text.trim() === "") return ok("");
  const doc = parseDocument(text, { prettyErrors: false });
  const contents = doc.contents;
  if (doc.errors.length === 0 && isCollection(contents) && !contents.flow) return ok(text);
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    // Plain text that YAML would read as a block structure is meant as a string.
    if (!/^\s*[[{'"]/.test(text)) return ok(text);
    return err((first?.message.split("\n")[0] ?? "invalid YAML").replace(/\.$/, "").toLowerCase());
  }
  return ok(plain(doc.toJS({ maxAliasCount: 0 })));
}

function plain(value: unknown): ConfigValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object") {
    const out: Record<string, ConfigValue> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out;
  }
  return JSON.stringify(value) ?? "";
}

/**
 * Apply a key override (not a group override) to the composed tree, in place.
 * Returns the diagnostic when it cannot be applied.
 */
export function applyOverride(root: MapNode, override: ParsedOverride): Diagnostic | undefined {
  const parentPath = override.path.slice(0, -1);
  const last = override.path[override.path.length - 1] ?? "";
  const quoted = `"${shown(override.text)}"`;

  if (override.kind === "add" || override.kind === "force") {
    let parent: CNode = root;
    for (const [i, segment] of parentPath.entries()) {
      let child = childOf(parent, segment);
      if (child === undefined && parent.kind === "map") {
        child = mapNode({ kind: "override", index: override.index, text: override.text });
        parent.entries.set(segment, child);
      }
      if (child === undefined || child.kind === "scalar") {
        return error(`cannot add "${override.key}" in override ${quoted}: "${dotted(override.path.slice(0, i + 1))}" is not a mapping`);
      }
      parent = child;
    }
    const existing = childOf(parent, last);
    if (existing !== undefined && override.kind === "add") {
      return error(`key "${override.key}" already exists (override ${quoted})`, undefined, [
        `to change it, write ${override.key}=${shown(override.valueText ?? "")} (or ++${override.key}=${shown(override.valueText ?? "")} to set it either way)`,
      ]);
    }
    const value = overrideValue(override);
    if (!value.ok) return value.error;
    return setChild(parent, last, value.value, override);
  }

  const parent = override.path.length === 1 ? root : lookup(root, parentPath);
  const existing = parent === undefined ? undefined : childOf(parent, last);
  if (parent === undefined || existing === undefined) {
    const notes = missingKeyNotes(root, override.path);
    if (override.kind === "set") notes.push(`to add a new key, write +${shown(override.text)}`);
    return error(`unknown key "${override.key}" in override ${quoted}`, undefined, notes);
  }
  if (override.kind === "delete") {
    if (override.valueText !== undefined) {
      const expected = parseValueText(override.valueText);
      const actual = toPlain(existing);
      if (expected.ok && JSON.stringify(expected.value) !== JSON.stringify(actual)) {
        return error(`cannot delete "${override.key}" (override ${quoted}): its value is ${JSON.stringify(actual)}`);
      }
    }
    if (parent.kind === "map") parent.entries.delete(last);
    else if (parent.kind === "seq") parent.items.splice(Number(last), 1);
    return undefined;
  }
  const value = overrideValue(override);
  if (!value.ok) return value.error;
  return setChild(parent, last, value.value, override);
}

function lookup(root: CNode, path: readonly string[]): CNode | undefined {
  let node: CNode | undefined = root;
  for (const segment of path) node = node === undefined ? undefined : childOf(node, segment);
  return node;
}

function setChild(parent: CNode, key: string, value: CNode, override: ParsedOverride): Diagnostic | undefined {
  if (parent.kind === "map") {
    parent.entries.set(key, value);
    return undefined;
  }
  if (parent.kind === "seq" && /^\d+$/.test(key) && Number(key) <= parent.items.length) {
    parent.items[Number(key)] = value;
    return undefined;
  }
  return error(`cannot set "${override.key}" in override "${override.text}": its parent is not a mapping`);
}

/** Longest override text a message repeats whole; a longer one is cut, saying how long it is. */
const SHOWN_CHARS = 120;

/** An override's text for a message: whole when short, else its start and its length. */
function shown(text: string): string {
  return text.length <= SHOWN_CHARS ? text : `${text.slice(0, SHOWN_CHARS)}… (${String(text.length)} characters)`;
}
