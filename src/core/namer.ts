/**
 * The Namer fills path templates from a context (CMB-ML's `name_tracker`): `{root}`,
 * `{src_root}`, `{dataset}`, `{working}` from the configuration, `{stage}` from the producing
 * stage's dir_name, `{split}`, `{sim}` (from `sim_num`, formatted as prefix + digits),
 * `{freq}`, `{epoch}`, and any other key set in context. Scoped contexts restore on exit,
 * also when the callback throws or its promise rejects.
 */
import type { ParsedTemplate } from "../graph/template.js";
import { fillTemplate, parseTemplate } from "../graph/template.js";

/** The context keys a node's partition sets (see `partitionContext`), and `sim`, formed from `sim_num`. */
const PARTITION_TAGS = new Set(["split", "sim", "sim_num", "freq", "epoch"]);

/** A context value; numbers and strings are formatted with String(). */
export type ContextValue = string | number;

/** How `{sim}` is formed from `sim_num`. */
export interface SimFormat {
  /** Default "sim". */
  readonly prefix: string;
  /** Zero-padded width of the number; default 4 (`sim0003`). */
  readonly digits: number;
}

/** A template key the context has no value for. */
export class MissingContextKeyError extends Error {
  override readonly name = "MissingContextKeyError";
  constructor(
    readonly key: string,
    readonly template: string,
    readonly stage: string | undefined,
  ) {
    super(
      `key "${key}" is not in the context${stage === undefined ? "" : ` of stage "${stage}"`} while forming the path "${template}"; check the path_template in the pipeline YAML`,
    );
  }
}

/** Fills path templates from a scoped context. */
export class Namer {
  #context: Map<string, ContextValue>;
  readonly #sim: SimFormat;
  readonly #stage: string | undefined;
  readonly #parsed = new Map<string, ParsedTemplate>();

  /**
   * @param base the starting context (root, src_root, dataset, working, ...)
   * @param sim how `{sim}` is formed from `sim_num`
   * @param stage the stage this namer serves, named in errors
   */
  constructor(base: Readonly<Record<string, ContextValue>>, sim: SimFormat = { prefix: "sim", digits: 4 }, stage?: string) {
    this.#context = new Map(Object.entries(base));
    this.#sim = sim;
    this.#stage = stage;
  }

  /** A copy of the current context. */
  get context(): Readonly<Record<string, ContextValue>> {
    return Object.fromEntries(this.#context);
  }

  /** A new namer with this one's current context plus `extra`, for one node. */
  child(extra: Readonly<Record<string, ContextValue>> = {}, stage: string | undefined = this.#stage): Namer {
    return new Namer({ ...this.context, ...extra }, this.#sim, stage);
  }

  /** Runs `fn` with `key` set to `value`, restoring the previous context afterwards (also on error). */
  withContext<T>(key: string, value: ContextValue, fn: () => T): T {
    return this.withContexts({ [key]: value }, fn);
  }

  /** Runs `fn` with every key of `values` set, restoring the previous context afterwards (also on error or rejection). */
  withContexts<T>(values: Readonly<Record<string, ContextValue>>, fn: () => T): T {
    const saved = this.#context;
    this.#context = new Map(saved);
    for (const [k, v] of Object.entries(values)) this.#context.set(k, v);
    let result: T;
    try {
      result = fn();
    } catch (error) {
      this.#context = saved;
      throw error;
    }
    if (result instanceof Promise) {
      return result.finally(() => {
        this.#context = saved;
      }) as T;
    }
    this.#context = saved;
    return result;
  }

  /** The value `{key}` takes now, or undefined. `sim` derives from `sim_num`. */
  lookup(key: string): string | undefined {
    if (key === "sim" && !this.#context.has("sim")) {
      const n = this.#context.get("sim_num");
      return n === undefined ? undefined : this.#formatSim(n);
    }
    const v = this.#context.get(key);
    return v === undefined ? undefined : String(v);
  }

  #formatSim(n: ContextValue): string {
    return `${this.#sim.prefix}${String(n).padStart(this.#sim.digits, "0")}`;
  }

  /**
   * `template` made into a function of a partition's context (`split`, `sim_num`, `freq`,
   * `epoch`): every other tag is filled once, now, from the current context, so forming the
   * paths of many nodes costs a few string joins each. The function gives what
   * `path(template, partition)` gives, or undefined where that would throw.
   */
  former(template: string): (partition: Readonly<Record<string, ContextValue>>) => string | undefined {
    const parsed = parseTemplate(template);
    if (!parsed.ok) throw new Error(`Internal error: unchecked path template "${template}"`);
    // Literal runs (context tags already filled) alternate with partition tags.
    const pieces: (string | { readonly tag: string })[] = [];
    let literal = "";
    let missing = false;
    for (const part of parsed.value.parts) {
      if (typeof part === "string") {
        literal += part;
      } else if (PARTITION_TAGS.has(part.tag)) {
        pieces.push(literal, part);
        literal = "";
      } else {
        const value = this.lookup(part.tag);
        if (value === undefined) missing = true;
        literal += value ?? "";
      }
    }
    pieces.push(literal);
    return (partition) => {
      if (missing) return undefined;
      let out = "";
      for (const piece of pieces) {
        if (typeof piece === "string") {
          out += piece;
          continue;
        }
        const v = partition[piece.tag];
        const simNum = partition["sim_num"];
        const value = v !== undefined ? String(v) : piece.tag === "sim" && simNum !== undefined ? this.#formatSim(simNum) : this.lookup(piece.tag);
        if (value === undefined) return undefined;
        out += value;
      }
      return out;
    };
  }

  /** Fills `template` from the current context; throws {@link MissingContextKeyError} naming the key, template and stage. */
  path(template: string, extra?: Readonly<Record<string, ContextValue>>): string {
    let parsed = this.#parsed.get(template);
    if (parsed === undefined) {
      const result = parseTemplate(template);
      if (!result.ok) throw new Error(`Internal error: unchecked path template "${template}"`);
      parsed = result.value;
      this.#parsed.set(template, parsed);
    }
    const lookup =
      extra === undefined
        ? (k: string) => this.lookup(k)
        : (k: string) => {
            const v = extra[k];
            if (v !== undefined) return String(v);
            const simNum = extra["sim_num"];
            if (k === "sim" && simNum !== undefined) return this.#formatSim(simNum);
            return this.lookup(k);
          };
    const filled = fillTemplate(parsed, lookup);
    if (!filled.ok) throw new MissingContextKeyError(filled.error.missing, template, this.#stage);
    return filled.value;
  }
}
