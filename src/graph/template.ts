/**
 * Path templates as CMB-ML writes them: `{root}/{dataset}/{working}{stage}/{split}/{sim}/cmb_map.fits`.
 * A tag is `{name}` with name an identifier; `{{` and `}}` stand for literal braces (as in
 * Python's str.format, which CMB-ML uses).
 */
import type { Result } from "../diagnostics/result.js";
import { err, ok } from "../diagnostics/result.js";

/** A parsed template: literal text and tags, alternating. */
export interface ParsedTemplate {
  readonly source: string;
  /** Literal pieces and tags in order; tags are `{ tag: name }`. */
  readonly parts: readonly (string | { readonly tag: string })[];
  /** Distinct tag names, in order of first appearance. */
  readonly tags: readonly string[];
}

/** Why a template does not parse, with the 0-based character index at fault. */
export type TemplateFailure =
  | { readonly reason: "unclosed-brace"; readonly index: number }
  | { readonly reason: "unopened-brace"; readonly index: number }
  | { readonly reason: "bad-tag"; readonly index: number; readonly tag: string };

const TAG = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses a path template; `{{`/`}}` are literal braces. */
export function parseTemplate(source: string): Result<ParsedTemplate, TemplateFailure> {
  const parts: (string | { tag: string })[] = [];
  const tags: string[] = [];
  let literal = "";
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === "{") {
      if (source[i + 1] === "{") {
        literal += "{";
        i += 2;
        continue;
      }
      const close = source.indexOf("}", i + 1);
      const nextOpen = source.indexOf("{", i + 1);
      if (close < 0 || (nextOpen >= 0 && nextOpen < close)) return err({ reason: "unclosed-brace", index: i });
      const tag = source.slice(i + 1, close);
      if (!TAG.test(tag)) return err({ reason: "bad-tag", index: i, tag });
      if (literal !== "") parts.push(literal);
      literal = "";
      parts.push({ tag });
      if (!tags.includes(tag)) tags.push(tag);
      i = close + 1;
    } else if (c === "}") {
      if (source[i + 1] === "}") {
        literal += "}";
        i += 2;
        continue;
      }
      return err({ reason: "unopened-brace", index: i });
    } else {
      literal += c;
      i++;
    }
  }
  if (literal !== "") parts.push(literal);
  return ok({ source, parts, tags });
}

/** Describes a template failure in one sentence. */
export function describeTemplateFailure(failure: TemplateFailure): string {
  switch (failure.reason) {
    case "unclosed-brace":
      return `"{" at character ${String(failure.index + 1)} is never closed`;
    case "unopened-brace":
      return `"}" at character ${String(failure.index + 1)} has no matching "{" (write "}}" for a literal brace)`;
    case "bad-tag":
      return `"{${failure.tag}}" at character ${String(failure.index + 1)} is not a tag name (letters, digits and _)`;
  }
}

/**
 * Fills a parsed template from `lookup`; returns the missing tag's name instead of a path
 * when `lookup` has no value for one.
 */
export function fillTemplate(
  template: ParsedTemplate,
  lookup: (tag: string) => string | undefined,
): Result<string, { readonly missing: string }> {
  let out = "";
  for (const part of template.parts) {
    if (typeof part === "string") {
      out += part;
      continue;
    }
    const value = lookup(part.tag);
    if (value === undefined) return err({ missing: part.tag });
    out += value;
  }
  return ok(out);
}
