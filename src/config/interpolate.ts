/**
 * Interpolation of `${...}` over the composed tree (syntax: interpolation-syntax.ts).
 *
 * Resolution is lazy and memoised per key path: a value is resolved when the traversal reaches it
 * or when another value refers to it, so interpolations may point at other interpolations, at
 * list items (`- ${splits.run_inference_on}`) and at whole subtrees. A string that is exactly one
 * interpolation takes the target's type (number, list, mapping, ...); a string with several
 * interpolations or surrounding text is a string. `oc.env` returns the variable's text, or the
 * default argument as written (`null`, numbers and booleans typed as YAML reads them).
 * `???` (OmegaConf's mandatory value) fails like a missing key until an override fills it.
 * `now` formats the run's one instant with a strftime pattern (`${now:%Y-%m-%d-%H-%M-%S}`).
 * A cycle is reported once, at the first value of the cycle in document order, naming each step;
 * values that depend on a failed value fail silently (already reported), but remember the
 * diagnostics that caused them (`causes`), so the loader can report a value's failure lazily:
 * only when something that must resolve depends on it (as in OmegaConf).
 */
import { error } from "../diagnostics/diagnostic.js";
import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";
import { needsResolution, parseTemplate } from "./interpolation-syntax.js";
import type { Expression, ResolverArgument, TemplatePart } from "./interpolation-syntax.js";
import { childOf, dotted, isConfigList, isConfigObject, missingKeyNotes, pathKey } from "./node.js";
import type { CNode, MapNode, ScalarNode, ValueOrigin } from "./node.js";
import { STRFTIME_DIRECTIVES, strftime } from "./strftime.js";
import type { ConfigObject, ConfigValue, KeyPath } from "./types.js";

/** What interpolation needs besides the tree. */
export interface InterpolationOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** File texts by absolute path, to point diagnostics at the `${...}` inside a line. */
  readonly texts: ReadonlyMap<string, string>;
  /** Short description of where a value was written, e.g. `config.yaml:3:5` or `override "a=1"`. */
  readonly describe: (origin: ValueOrigin) => string;
  /** The instant `${now:...}` formats: one per run, so every value agrees. Default: when interpolation starts. */
  readonly now?: Date;
}

/** The resolved configuration, the key paths that could not be resolved, and why. */
export interface InterpolationResult {
  readonly resolved: ConfigObject;
  /** `pathKey()`s of the values that failed (reported, or depending on a reported failure). */
  readonly failed: ReadonlySet<string>;
  /** Every diagnostic found, in the order found. */
  readonly errors: readonly Diagnostic[];
  /** Per failed scalar (by `pathKey()`): its key path and the diagnostics that made it fail. */
  readonly failures: ReadonlyMap<string, { readonly path: KeyPath; readonly causes: readonly Diagnostic[] }>;
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
  /** Why it failed: the diagnostics of the failures it depends on. */
  readonly causes?: readonly Diagnostic[];
}

function failed(causes: readonly Diagnostic[]): Outcome {
  return { ok: false, value: null, causes };
}

type Lookup = Outcome | { readonly ok: "missing" };

interface Frame {
  readonly path: KeyPath;
  readonly key: string;
  readonly node: ScalarNode;
  /** The interpolation being evaluated, to point at it. */
  raw: string;
  /** Part of a cycle already reported. */
  inReportedCycle: boolean;
  /** The cycle's diagnostic, once reported. */
  cycle?: Diagnostic;
}

/** OmegaConf's marker of a mandatory value not given yet. */
const MISSING = "???";

/** Builtin resolvers. */
const RESOLVERS = ["oc.env", "now"] as const;

class Interpolator {
  readonly #root: MapNode;
  readonly #options: InterpolationOptions;
  readonly #memo = new Map<string, Outcome>();
  readonly #stack: Frame[] = [];
  readonly #failed = new Set<string>();
  readonly #errors: Diagnostic[] = [];
  readonly #lines = new Map<string, readonly string[]>();
  readonly #failures = new Map<string, { readonly path: KeyPath; readonly causes: readonly Diagnostic[] }>();
  readonly #now: Date;

  constructor(root: MapNode, options: InterpolationOptions) {
    this.#root = root;
    this.#options = options;
    this.#now = options.now ?? new Date();
  }

  run(): InterpolationResult {
    const outcome = this.#resolveNode(this.#root, []);
    const resolved = isConfigObject(outcome.value) ? outcome.value : {};
    return { resolved, failed: this.#failed, errors: this.#errors, failures: this.#failures };
  }

  /** Report `diagnostic` and fail with it as the cause. */
  #fail(diagnostic: Diagnostic): Outcome {
    this.#errors.push(diagnostic);
    return failed([diagnostic]);
  }

  #resolveNode(node: CNode, path: KeyPath): Outcome {
    const key = pathKey(path);
    const known = this.#memo.get(key);
    if (known !== undefined) return known;
    let outcome: Outcome;
    switch (node.kind) {
      case "scalar":
        if (node.value === MISSING) {
          // OmegaConf's mandatory value: a failure like a missing key, reported where it is needed.
          outcome = this.#fail(
            error(`"${dotted(path)}" is mandatory (???) and has no value`, this.#location(node.origin), [`give it one in a config file, or on the command line: ${dotted(path)}=VALUE`]),
          );
          this.#failed.add(key);
          this.#failures.set(key, { path, causes: outcome.causes ?? [] });
          break;
        }
        if (typeof node.value !== "string" || !needsResolution(node.value)) return { ok: true, value: node.value };
        outcome = this.#resolveString(node, path, key);
        if (!outcome.ok) {
          this.#failed.add(key);
          this.#failures.set(key, { path, causes: outcome.causes ?? [] });
        }
        break;
      case "seq": {
        let ok = true;
        const causes: Diagnostic[] = [];
        const items = node.items.map((child, index) => {
          const item = this.#resolveNode(child, [...path, index]);
          ok &&= item.ok;
          causes.push(...(item.causes ?? []));
          return item.value;
        });
        outcome = containerOutcome(items, ok, causes);
        break;
      }
      case "map": {
        let ok = true;
        const causes: Diagnostic[] = [];
        const out: Record<string, ConfigValue> = {};
        for (const [name, child] of node.entries) {
          const entry = this.#resolveNode(child, [...path, name]);
          ok &&= entry.ok;
          causes.push(...(entry.causes ?? []));
          out[name] = entry.value;
        }
        outcome = containerOutcome(out, ok, causes);
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
      let reported = cycle.find((frame) => frame.cycle !== undefined)?.cycle;
      if (reported === undefined && !cycle.some((frame) => frame.inReportedCycle)) reported = this.#reportCycle(cycle, path);
      for (const frame of cycle) {
        frame.inReportedCycle = true;
        if (reported !== undefined) frame.cycle = reported;
      }
      return failed(reported === undefined ? [] : [reported]);
    }
    const parts = parseTemplate(text);
    if (!parts.ok) return this.#fail(error(parts.error, this.#location(node.origin)));
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
      if (!value.ok) return value;
      if (value.value !== null && typeof value.value === "object") {
        const kind = isConfigList(value.value) ? "a list" : "a mapping";
        return this.#fail(
          error(`interpolation "${part.raw}" inside a string refers to ${kind}`, this.#frameLocation(frame), [
            "only a value that is exactly one interpolation can take a list or a mapping",
          ]),
        );
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
        return this.#fail(error(`relative interpolation "${frame.raw}" goes above the top level`, this.#frameLocation(frame)));
      }
      base = container.slice(0, container.length - up);
    }
    const target = [...base, ...expression.segments];
    const found = this.#lookup(target);
    if (found.ok !== "missing") return found;
    return this.#fail(
      error(
        `interpolation "${frame.raw}" refers to a missing key "${dotted(target)}"`,
        this.#frameLocation(frame),
        missingKeyNotes(this.#root, target),
      ),
    );
  }

  /** The value at an absolute key path, resolving interpolations met on the way. */
  #lookup(target: KeyPath): Lookup {
    let node: CNode = this.#root;
    const path: (string | number)[] = [];
    for (const [i, segment] of target.entries()) {
      if (node.kind === "scalar" && typeof node.value === "string" && needsResolution(node.value)) {
        const through = this.#resolveNode(node, path);
        if (!through.ok) return through;
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
    if (name === "now") return this.#now_(args, frame);
    if (name !== "oc.env") {
      return this.#fail(
        error(`unknown resolver "${name}" in "${frame.raw}"`, this.#frameLocation(frame), [
          `supported resolvers: ${RESOLVERS.join(", ")}`,
        ]),
      );
    }
    const [variableArg, defaultArg] = args;
    if (variableArg === undefined || args.length > 2) {
      return this.#fail(
        error(`oc.env takes a variable name and an optional default, in "${frame.raw}"`, this.#frameLocation(frame), [
          "for example: ${oc.env:CMBFLOW_DATA,./data}",
        ]),
      );
    }
    const variable = this.#argument(variableArg, frame);
    if (!variable.ok) return variable;
    const name_ = typeof variable.value === "object" ? JSON.stringify(variable.value) : String(variable.value);
    const value = this.#options.env[name_];
    if (value !== undefined) return { ok: true, value };
    if (defaultArg !== undefined) return this.#argument(defaultArg, frame);
    return this.#fail(
      error(`environment variable "${name_}" is not set (in "${frame.raw}")`, this.#frameLocation(frame), [
        `set it, or give a default: \${oc.env:${name_},default}`,
      ]),
    );
  }

  /** `${now:FORMAT}`: the run's instant; a comma in the format splits nothing (Hydra takes one pattern). */
  #now_(args: readonly ResolverArgument[], frame: Frame): Outcome {
    const pieces: string[] = [];
    for (const arg of args) {
      const piece = this.#argument(arg, frame);
      if (!piece.ok) return piece;
      pieces.push(typeof piece.value === "object" ? JSON.stringify(piece.value) : String(piece.value));
    }
    if (pieces.length === 0) {
      return this.#fail(error(`now takes a strftime format, in "${frame.raw}"`, this.#frameLocation(frame), ["for example: ${now:%Y-%m-%d-%H-%M-%S}"]));
    }
    const formatted = strftime(pieces.join(","), this.#now);
    if (formatted.ok) return { ok: true, value: formatted.value };
    return this.#fail(
      error(`now: unknown strftime directive ${formatted.error} in "${frame.raw}"`, this.#frameLocation(frame), [
        `directives: ${STRFTIME_DIRECTIVES}`,
      ]),
    );
  }

  #argument(arg: ResolverArgument, frame: Frame): Outcome {
    if (arg.kind === "literal") return { ok: true, value: arg.value };
    const raw = frame.raw;
    const outcome = this.#evaluateParts(arg.parts, frame);
    frame.raw = raw;
    return outcome;
  }

  #reportCycle(frames: readonly Frame[], closing: KeyPath): Diagnostic | undefined {
    const first = frames[0];
    if (first === undefined) return undefined;
    const chain = [...frames.map((f) => dotted(f.path)), dotted(closing)].join(" → ");
    const notes = frames.map((f) => `${dotted(f.path)} is "${String(f.node.value)}" (${this.#options.describe(f.node.origin)})`);
    const diagnostic = error(`interpolation cycle: ${chain}`, this.#frameLocation(first), notes);
    this.#errors.push(diagnostic);
    return diagnostic;
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

/** A list or mapping: failed when an item failed (its causes, without repeats). */
function containerOutcome(value: ConfigValue, ok: boolean, causes: readonly Diagnostic[]): Outcome {
  if (ok) return { ok: true, value };
  return { ok: false, value, causes: [...new Set(causes)] };
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
