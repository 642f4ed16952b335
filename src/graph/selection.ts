/**
 * Which nodes a run touches and which it forces: `--only`, `--until`, `--from`, `--sims`,
 * `--force`, `--force-downstream`, `--force-all`. Stage selections follow the stage graph;
 * forcing downstream follows the node graph, so only the nodes that depend on a forced node
 * are forced.
 */
import type { Result } from "../diagnostics/result.js";
import { err, ok } from "../diagnostics/result.js";
import { suggestion } from "../diagnostics/suggest.js";
import type { CompiledPipeline } from "./compile.js";

/** The selection flags as given. */
export interface SelectionFlags {
  readonly only?: readonly string[];
  readonly until?: readonly string[];
  readonly from?: readonly string[];
  /** e.g. `Train:0-9,Test:3`. */
  readonly sims?: string;
  readonly force?: readonly string[];
  readonly forceDownstream?: boolean;
  readonly forceAll?: boolean;
}

/** Nodes to consider and nodes to force. */
export interface Selection {
  /** Undefined: every node. */
  readonly nodes: ReadonlySet<number> | undefined;
  readonly forced: ReadonlySet<number>;
}

/** Stage names from comma-separated flag values, each checked against the pipeline. */
export function parseStageList(values: readonly string[], pipeline: CompiledPipeline, flag: string): Result<string[], string> {
  const names = values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
  const known = pipeline.stageGraph.order;
  // An empty value (e.g. an unset shell variable) would otherwise select nothing and succeed.
  if (names.length === 0) return err(`${flag} was given no stage name (stages: ${known.join(", ")})`);
  for (const name of names) {
    if (!known.includes(name)) {
      const hint = suggestion(name, known);
      return err(`${flag} ${name}: no such stage${hint === undefined ? "" : `; ${hint}`} (stages: ${known.join(", ")})`);
    }
  }
  return ok(names);
}

/**
 * Parses `Train:0-9,Test:3` into allowed sims per split (split names matched
 * case-insensitively). Every number must be a sim of its split: a typo such as `Train:99` in
 * a split of ten is refused, not silently run as nothing.
 */
export function parseSims(text: string, pipeline: CompiledPipeline): Result<Map<string, Set<number>>, string> {
  const splits = pipeline.stageGraph.allSplits;
  const out = new Map<string, Set<number>>();
  const items = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (items.length === 0) return err(`--sims was given no simulations (e.g. Train:0-9,Test:3)`);
  for (const item of items) {
    const match = /^([A-Za-z][A-Za-z0-9_]*):(\d+)(?:-(\d+))?$/.exec(item);
    if (match === null) return err(`--sims ${text}: "${item}" is not split:N or split:N-M (e.g. Train:0-9,Test:3)`);
    const split = splits.find((s) => s.name.toLowerCase() === (match[1] ?? "").toLowerCase());
    if (split === undefined) return err(`--sims ${text}: no split "${match[1] ?? ""}" (splits: ${splits.map((s) => s.name).join(", ")})`);
    const lo = Number(match[2]);
    const hi = match[3] === undefined ? lo : Number(match[3]);
    if (hi < lo) return err(`--sims ${text}: range ${String(lo)}-${String(hi)} runs backwards`);
    const last = split.nSims - 1;
    if (hi > last) {
      const has = split.nSims === 0 ? "has no sims" : `has sims 0-${String(last)}`;
      return err(`--sims ${text}: "${item}" is outside split ${split.name}, which ${has}`);
    }
    const set = out.get(split.name) ?? new Set<number>();
    for (let s = lo; s <= hi; s++) set.add(s);
    out.set(split.name, set);
  }
  return ok(out);
}

/** Resolves the flags to node sets; the error names the flag and value at fault. */
export function selectNodes(pipeline: CompiledPipeline, flags: SelectionFlags): Result<Selection, string> {
  const { nodes, stageGraph } = pipeline;
  const graph = stageGraph.graph;
  let stages: Set<string> | undefined;
  const restrict = (names: Iterable<string>): void => {
    const next = new Set(names);
    stages = stages === undefined ? next : new Set([...stages].filter((s) => next.has(s)));
  };
  const closure = (start: readonly string[], step: (s: string) => string[]): Set<string> => {
    const seen = new Set(start);
    const stack = [...start];
    while (stack.length > 0) {
      for (const next of step(stack.pop() ?? "")) {
        if (seen.has(next)) continue;
        seen.add(next);
        stack.push(next);
      }
    }
    return seen;
  };
  for (const [flag, values, expand] of [
    ["--only", flags.only, (names: string[]) => new Set(names)],
    ["--until", flags.until, (names: string[]) => closure(names, (s) => graph.inNeighbors(s))],
    ["--from", flags.from, (names: string[]) => closure(names, (s) => graph.outNeighbors(s))],
  ] as const) {
    if (values === undefined || values.length === 0) continue;
    const names = parseStageList(values, pipeline, flag);
    if (!names.ok) return names;
    restrict(expand(names.value));
  }
  let sims: Map<string, Set<number>> | undefined;
  if (flags.sims !== undefined) {
    const parsed = parseSims(flags.sims, pipeline);
    if (!parsed.ok) return parsed;
    sims = parsed.value;
  }
  let selected: Set<number> | undefined;
  if (stages !== undefined || sims !== undefined) {
    selected = new Set();
    for (const s of nodes.stages) {
      if (stages !== undefined && !stages.has(s.stage.name)) continue;
      for (let n = s.first; n < s.first + s.count; n++) {
        const p = nodes.partition(n);
        // --sims restricts per-simulation nodes; reductions and single nodes are kept.
        if (sims !== undefined && p.sim !== undefined && !(sims.get(p.split ?? "")?.has(p.sim) ?? false)) continue;
        selected.add(n);
      }
    }
  }

  const forced = new Set<number>();
  if (flags.forceAll === true) {
    for (let n = 0; n < nodes.size; n++) forced.add(n);
  } else if (flags.force !== undefined && flags.force.length > 0) {
    const names = parseStageList(flags.force, pipeline, "--force");
    if (!names.ok) return names;
    for (const s of nodes.stages) if (names.value.includes(s.stage.name)) for (let n = s.first; n < s.first + s.count; n++) forced.add(n);
    if (flags.forceDownstream === true) {
      const stack = [...forced];
      while (stack.length > 0) {
        for (const d of nodes.dependents(stack.pop() ?? 0)) {
          if (!forced.has(d)) {
            forced.add(d);
            stack.push(d);
          }
        }
      }
    }
  } else if (flags.forceDownstream === true) {
    return err("--force-downstream needs --force STAGE");
  }
  return ok({ nodes: selected, forced });
}
