/**
 * The `${...}` syntax inside config strings:
 * - `${a.b.c}` — the value at key path `a.b.c` from the root (`a.0` indexes a list);
 * - `${.b}`, `${..b}` — relative: `.b` is the sibling `b` of the key holding the string, each
 *   further dot goes one level up;
 * - `${oc.env:VAR}`, `${oc.env:VAR,default}` — a resolver call; arguments are separated by commas,
 *   may be quoted, and may contain interpolations;
 * - `\${` — a literal `${`.
 */
import { err, ok } from "../diagnostics/result.js";
import type { Result } from "../diagnostics/result.js";
import type { ConfigValue } from "./types.js";

/** A piece of a config string: literal text or one interpolation. */
export type TemplatePart =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "interpolation"; readonly expression: Expression; readonly raw: string };

/** What is inside `${...}`. */
export type Expression =
  | {
      readonly kind: "reference";
      /** Leading dots: 0 = absolute, 1 = sibling, 2 = parent's sibling, ... */
      readonly dots: number;
      readonly segments: readonly string[];
    }
  | { readonly kind: "resolver"; readonly name: string; readonly args: readonly ResolverArgument[] };

/** A resolver argument: a literal value (unquoted text read as a YAML scalar), or a string with interpolations. */
export type ResolverArgument =
  | { readonly kind: "literal"; readonly value: ConfigValue }
  | { readonly kind: "template"; readonly parts: readonly TemplatePart[] };

/** True when the string has an unescaped `${` (or an escaped one that must be unescaped). */
export function needsResolution(text: string): boolean {
  return text.includes("${");
}

/** Split a string into text and interpolations. The error is a message without location. */
export function parseTemplate(text: string): Result<TemplatePart[], string> {
  const parts: TemplatePart[] = [];
  let buffer = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("\\${", i)) {
      buffer += "${";
      i += 3;
      continue;
    }
    if (!text.startsWith("${", i)) {
      buffer += text[i] ?? "";
      i += 1;
      continue;
    }
    const end = closingBrace(text, i + 2);
    if (end < 0) return err(`unclosed interpolation "${text.slice(i)}"`);
    const raw = text.slice(i, end + 1);
    const expression = parseExpression(text.slice(i + 2, end));
    if (!expression.ok) return err(`${expression.error} in "${raw}"`);
    if (buffer !== "") parts.push({ kind: "text", text: buffer });
    buffer = "";
    parts.push({ kind: "interpolation", expression: expression.value, raw });
    i = end + 1;
  }
  if (buffer !== "" || parts.length === 0) parts.push({ kind: "text", text: buffer });
  return ok(parts);
}

/** Index of the `}` closing an interpolation whose body starts at `from`, or -1. */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === "\\") i += 1;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === "$" && text[i + 1] === "{") {
      depth += 1;
      i += 1;
    } else if (c === "}") {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Split at `separator` outside quotes and nested `${...}`. */
function splitTopLevel(text: string, separator: string): string[] {
  const pieces: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === "\\") i += 1;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === "$" && text[i + 1] === "{") {
      depth += 1;
      i += 1;
    } else if (c === "}" && depth > 0) {
      depth -= 1;
    } else if (c === separator && depth === 0) {
      pieces.push(text.slice(start, i));
      start = i + 1;
      if (separator === ":") break;
    }
  }
  pieces.push(text.slice(start));
  return pieces;
}

const RESOLVER_NAME = /^[A-Za-z_][\w.]*$/;
const KEY_SEGMENT = /^[^\s.[\]{}:,'"$\\]+$/;

function parseExpression(body: string): Result<Expression, string> {
  const trimmed = body.trim();
  if (trimmed === "") return err("empty interpolation");
  const [head, rest] = splitTopLevel(trimmed, ":");
  if (rest !== undefined && head !== undefined && RESOLVER_NAME.test(head.trim())) {
    const args: ResolverArgument[] = [];
    if (rest.trim() !== "") {
      for (const piece of splitTopLevel(rest, ",")) {
        const arg = parseArgument(piece.trim());
        if (!arg.ok) return arg;
        args.push(arg.value);
      }
    }
    return ok({ kind: "resolver", name: head.trim(), args });
  }
  return parseReference(trimmed);
}

function parseReference(text: string): Result<Expression, string> {
  const dots = /^\.*/.exec(text)?.[0].length ?? 0;
  const path = text.slice(dots).replace(/\[(\d+)\]/g, ".$1");
  const segments = path === "" ? [] : path.split(".");
  if (segments.length === 0 || segments.some((s) => !KEY_SEGMENT.test(s))) {
    return err(`invalid key path "${text}"`);
  }
  return ok({ kind: "reference", dots, segments });
}

function parseArgument(text: string): Result<ResolverArgument, string> {
  const quote = text[0];
  if ((quote === "'" || quote === '"') && text.length >= 2 && text.endsWith(quote)) {
    const inner = text.slice(1, -1).replace(/\\(.)/g, "$1");
    return ok({ kind: "literal", value: inner });
  }
  if (text.includes("${")) {
    const parts = parseTemplate(text);
    return parts.ok ? ok({ kind: "template", parts: parts.value }) : parts;
  }
  return ok({ kind: "literal", value: scalarValue(text) });
}

/** An unquoted argument read the way YAML reads a plain scalar (core schema). */
function scalarValue(text: string): ConfigValue {
  if (text === "" || text === "null" || text === "~" || text === "Null" || text === "NULL") return text === "" ? "" : null;
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?\d+$/.test(text)) return Number(text);
  if (/^[-+]?(\.\d+|\d+(\.\d*)?)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  return text;
}
