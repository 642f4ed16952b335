/**
 * Interpolation of `${...}` over the composed tree (syntax: interpolation-syntax.ts).
 *
 * Resolution is lazy and memoised per key path: a value is resolved when the traversal reaches it
 * or when another value refers to it, so interpolations may point at other interpolations, at
 * list items (`- ${splits.run_inference_on}`) and at whole subtrees. A string that is exactly one
 * interpolation takes the target's type (number, list, mapping, ...); a string with several
 * interpolations or surrounding text is a string. `oc.env` returns the variable's text, or the
 * default argument as written (`null`, numbers and booleans typed as YAML reads them).
 * A cycle is reported once, at the first value of the cycle in document order, naming each step;
 * values that depend on a failed value fail silently (already reported).
 */
import { error } from "../diagnostics/diagnostic.js";
import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";
import { needsResolution, parseTemplate } from "./interpolation-syntax.js";
import type { Expression, ResolverArgument, TemplatePart } from "./interpolation-syntax.js";
import { childOf, dotted, isConfigList, isConfigObject, missingKeyNotes, pathKey } from "./node.js";
import type { CNode, MapNode, ScalarNode, ValueOrigin } from "./node.js";
import type { ConfigObject, ConfigValue, KeyPath } from "./types.js";

/** What interpolation needs besides the tree. */
export interface InterpolationOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** File texts by absolute path, to point diagnostics at the `${...}` inside a line. */
  readonly texts: ReadonlyMap<string, string>;
  /** Short description of where a value was written, e.g. `config.yaml:3:5` or `override "a=1"`. */
  readonly describe: (origin: ValueOrigin) => string;
}

/** The resolved configuration, the key paths that could not be resolved, and why. */
export interface InterpolationResult {
  readonly resolved: ConfigObject;
  /** `pathKey()`s of the values that failed (reported, or depending on a reported failure). */
  readonly failed: ReadonlySet<string>;
  readonly errors: readonly Diagnostic[];
}

/** Resolve every `${...}` in the tree. */
export function interpolate(root: MapNode, options: InterpolationOptions): InterpolationResult {
  return new Interpolator(root, options).run();
}

/**
 * A resolved value and whether everything in it resolved. Failed values are null placeholders,
 * so the traversal still builds a complete tree; a reference to a value that is not `ok` fails
 * without a diagnostic of its own (the failure has been reported where it happened).
 */
interface Outcome {
  readonly ok: boolean;
  readonly value: ConfigValue;
}
const FAILED: Outcome = { ok: false, value: null };

type Lookup = Outcome | { readonly ok: "missing" };

interface Frame {
  readonly path: KeyPath;
  readonly key: string;
  readonly node: ScalarNode;
  /** The interpolation being evaluated, to point at it. */
  raw: string;
  /** Part of a cycle already reported. */
  inReportedCycle: boolean;
}

/** Builtin resolvers. */
const RESOLVERS = ["oc.env"] as const;

class Interpolator {
  readonly #root: MapNode;
  readonly #options: InterpolationOptions;
  readonly #memo = new Map<string, Outcome>();
  readonly #stack: Frame[] = [];
  readonly #failed = new Set<string>();
  readonly #errors: Diagnostic[] = [];
  readonly #lines = new Map<string, readonly string[]>();

  constructor(root: MapNode, options: InterpolationOptions) {
    this.#root = root;
    this.#options = options;
  }

  run(): InterpolationResult {
    const outcome = this.#resolveNode(this.#root, []);
    const resolved = isConfigObject(outcome.value) ? outcome.value : {};
    return { resolved, failed: this.#failed, errors: this.#errors };
  }

  #resolveNode(node: CNode, path: KeyPath): Outcome {
    const key = pathKey(path);
    const known = this.#memo.get(key);
    if (known !== undefined) return known;
    let outcome: Outcome;
    switch (node.kind) {
      case "scalar":
        if (typeof node.value !== "string" || !needsResolution(node.value)) return { ok: true, value: node.value };
        outcome = this.#resolveString(node, path, key);
        if (!outcome.ok) this.#failed.add(key);
        break;
      case "seq": {
        let ok = true;
        const items = node.items.map((child, index) => {
          const item = this.#resolveNode(child, [...path, index]);
          ok &&= item.ok;
          return item.value;
        });
        outcome = { ok, value: items };
        break;
      }
      case "map": {
        let ok = true;
        const out: Record<string, ConfigValue> = {};
        for (const [name, child] of node.entries) {
          const entry = this.#resolveNode(child, [...path, name]);
          ok &&= entry.ok;
          out[name] = entry.value;
        }
        outcome = { ok, value: out };
        break;
      }
    }
    this.#memo.set(key, outcome);
    return outcome;
  }

  #resolveString(node: ScalarNode, path: KeyPath, key: string): Outcome {
    const text = node.value as string;
    const cycleStart = this.#stack.findIndex((frame) => frame.key === key);
    if (cycleStart >= 0) {
      const cycle = this.#stack.slice(cycleStart);
      if (!cycle.some((frame) => frame.inReportedCycle)) this.#reportCycle(cycle, path);
      for (const frame of cycle) frame.inReportedCycle = true;
      return FAILED;
    }
    const parts = parseTemplate(text);
    if (!parts.ok) {
      this.#errors.push(error(parts.error, this.#location(node.origin)));
      return FAILED;
    }
    const frame: Frame = { path, key, node, raw: text, inReportedCycle: false };
    this.#stack.push(frame);
    try {
      return this.#evaluateParts(parts.value, frame);
    } finally {
      this.#stack.pop();
    }
  }

  #evaluateParts(parts: readonly TemplatePart[], frame: Frame): Outcome {
    const only = parts.length === 1 ? parts[0] : undefined;
    if (only?.kind === "interpolation") {
      frame.raw = only.raw;
      return this.#evaluate(only.expression, frame);
    }
    let text = "";
    for (const part of parts) {
      if (part.kind === "text") {
        text += part.text;
        continue;
      }
      frame.raw = part.raw;
      const value = this.#evaluate(part.expression, frame);
      if (!value.ok) return FAILED;
      if (value.value !== null && typeof value.value === "object") {
        const kind = isConfigList(value.value) ? "a list" : "a mapping";
        this.#errors.push(
          error(`interpolation "${part.raw}" inside a string refers to ${kind}`, this.#frameLocation(frame), [
            "only a value that is exactly one interpolation can take a list or a mapping",
          ]),
        );
        return FAILED;
      }
      text += value.value === null ? "null" : String(value.value);
    }
    return { ok: true, value: text };
  }

  #evaluate(expression: Expression, frame: Frame): Outcome {
    if (expression.kind === "resolver") return this.#callResolver(expression.name, expression.args, frame);
    let base: KeyPath = [];
    if (expression.dots > 0) {
      const up = expression.dots - 1;
      const container = frame.path.slice(0, -1);
      if (up > container.length) {
        this.#errors.push(error(`relative interpolation "${frame.raw}" goes above the top level`, this.#frameLocation(frame)));
        return FAILED;
      }
      base = container.slice(0, container.length - up);
    }
    const target = [...base, ...expression.segments];
    const found = this.#lookup(target);
    if (found.ok !== "missing") return found;
    this.#errors.push(
      error(
        `interpolation "${frame.raw}" refers to a missing key "${dotted(target)}"`,
        this.#frameLocation(frame),
        missingKeyNotes(this.#root, target),
      ),
    );
    return FAILED;
  }

  /** The value at an absolute key path, resolving interpolations met on the way. */
  #lookup(target: KeyPath): Lookup {
    let node: CNode = this.#root;
    const path: (string | number)[] = [];
    for (const [i, segment] of target.entries()) {
      if (node.kind === "scalar" && typeof node.value === "string" && needsResolution(node.value)) {
        const through = this.#resolveNode(node, path);
        if (!through.ok) return FAILED;
        return walkPlain(through.value, target.slice(i));
      }
      const child = childOf(node, segment);
      if (child === undefined) return { ok: "missing" };
      path.push(node.kind === "seq" ? Number(segment) : String(segment));
      node = child;
    }
    return this.#resolveNode(node, path);
  }

  #callResolver(name: string, args: readonly ResolverArgument[], frame: Frame): Outcome {
    if (name !== "oc.env") {
      this.#errors.push(
        error(`unknown resolver "${name}" in "${frame.raw}"`, this.#frameLocation(frame), [
          `supported resolvers: ${RESOLVERS.join(", ")}`,
        ]),
      );
      return FAILED;
    }
    const [variableArg, defaultArg] = args;
    if (variableArg === undefined || args.length > 2) {
      this.#errors.push(
        error(`oc.env takes a variable name and an optional default, in "${frame.raw}"`, this.#frameLocation(frame), [
          "for example: ${oc.env:CMBFLOW_DATA,./data}",
        ]),
      );
      return FAILED;
    }
    const variable = this.#argument(variableArg, frame);
    if (!variable.ok) return FAILED;
    const name_ = typeof variable.value === "object" ? JSON.stringify(variable.value) : String(variable.value);
    const value = this.#options.env[name_];
    if (value !== undefined) return { ok: true, value };
    if (defaultArg !== undefined) return this.#argument(defaultArg, frame);
    this.#errors.push(
      error(`environment variable "${name_}" is not set (in "${frame.raw}")`, this.#frameLocation(frame), [
        `set it, or give a default: \${oc.env:${name_},default}`,
      ]),
    );
    return FAILED;
  }

  #argument(arg: ResolverArgument, frame: Frame): Outcome {
    if (arg.kind === "literal") return { ok: true, value: arg.value };
    const raw = frame.raw;
    const outcome = this.#evaluateParts(arg.parts, frame);
    frame.raw = raw;
    return outcome;
  }

  #reportCycle(frames: readonly Frame[], closing: KeyPath): void {
    const first = frames[0];
    if (first === undefined) return;
    const chain = [...frames.map((f) => dotted(f.path)), dotted(closing)].join(" → ");
    const notes = frames.map((f) => `${dotted(f.path)} is "${String(f.node.value)}" (${this.#options.describe(f.node.origin)})`);
    this.#errors.push(error(`interpolation cycle: ${chain}`, this.#frameLocation(first), notes));
  }

  #frameLocation(frame: Frame): SourceLocation | undefined {
    const location = this.#location(frame.node.origin);
    return location === undefined ? undefined : this.#narrow(location, frame.raw);
  }

  #location(origin: ValueOrigin): SourceLocation | undefined {
    return origin.kind === "file" ? origin.location : undefined;
  }

  /** The span of `raw` inside a one-line value, so the underline marks the `${...}` itself. */
  #narrow(location: SourceLocation, raw: string): SourceLocation {
    if ((location.endLine ?? location.line) !== location.line) return location;
    let lines = this.#lines.get(location.file);
    if (lines === undefined) {
      lines = (this.#options.texts.get(location.file) ?? "").split("\n");
      this.#lines.set(location.file, lines);
    }
    const line = lines[location.line - 1] ?? "";
    const index = line.indexOf(raw, location.column - 1);
    if (index < 0 || (location.endColumn !== undefined && index + raw.length > location.endColumn - 1)) return location;
    return { file: location.file, line: location.line, column: index + 1, endLine: location.line, endColumn: index + 1 + raw.length };
  }
}

function walkPlain(value: ConfigValue, rest: KeyPath): Lookup {
  let current: ConfigValue | undefined = value;
  for (const segment of rest) {
    if (isConfigList(current)) current = /^\d+$/.test(String(segment)) ? current[Number(segment)] : undefined;
    else if (isConfigObject(current)) current = current[String(segment)];
    else current = undefined;
    if (current === undefined) return { ok: "missing" };
  }
  return { ok: true, value: current };
}
