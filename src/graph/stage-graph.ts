/**
 * The stage graph: one node per pipeline stage, one edge per `assets_in` reference (labelled
 * with the asset), built from the resolved configuration. Every problem found is a
 * diagnostic at the YAML line that caused it; all are collected before returning.
 */
import { isAbsolute } from "node:path";
import { MultiDirectedGraph } from "graphology";
import type { ConfigObject, ConfigValue, KeyPath, LoadedConfig } from "../config/types.js";
import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";
import { error } from "../diagnostics/diagnostic.js";
import type { Result } from "../diagnostics/result.js";
import { err, ok } from "../diagnostics/result.js";
import { suggestion } from "../diagnostics/suggest.js";
import type { Dim } from "./partition.js";
import { DIMS, isDim } from "./partition.js";
import type { ParsedTemplate } from "./template.js";
import { describeTemplateFailure, parseTemplate } from "./template.js";

/**
 * The most nodes one pipeline may expand to. The node graph, the plan and the state store hold
 * per-node data in memory (about a kilobyte a node in a run); past this a run would exhaust
 * the heap long after starting, so the configuration is refused up front instead.
 */
export const MAX_NODES = 2_000_000;

/** Tags every template may use besides the partition dimensions. */
export const CONTEXT_TAGS: readonly string[] = ["root", "src_root", "dataset", "working", "stage"];

/** One entry of a stage's `assets_out`. */
export interface AssetOutDef {
  readonly name: string;
  readonly handler: string;
  readonly template: ParsedTemplate;
  /**
   * `path_template_alt`: CMB-ML's template for when the asset's path is formed without the
   * per-sim context (no `{sim}`, or no `{split}`) its `path_template` needs; undefined when absent.
   */
  readonly templateAlt?: ParsedTemplate;
  /** Every key of the entry besides handler, path_template and path_template_alt, passed to the handler. */
  readonly options: ConfigObject;
}

/** One entry of a stage's `assets_in`. */
export interface AssetInDef {
  readonly name: string;
  /** Producing stage. */
  readonly stage: string;
  /** The producing stage's asset name (`orig_name`, default `name`). */
  readonly asset: string;
}

/** A dataset split as the splits file defines it. */
export interface SplitDef {
  readonly name: string;
  /** Number of simulations after `n_sims_cap`. */
  readonly nSims: number;
}

/** A stage with everything the node expansion and the runtime need. */
export interface StageDef {
  readonly name: string;
  readonly dirName: string;
  /** Partition dimensions: the dimension tags used in its `assets_out` templates, in DIMS order. */
  readonly dims: readonly Dim[];
  readonly assetsOut: readonly AssetOutDef[];
  readonly assetsIn: readonly AssetInDef[];
  /** The stage's `splits` patterns, or null when it runs on every split. */
  readonly splitFilter: readonly string[] | null;
  /** The splits it runs on (or reduces over), in the splits file's order. */
  readonly splits: readonly SplitDef[];
  /** Simulation numbers per split name, after `override_n_sims`. */
  readonly sims: ReadonlyMap<string, readonly number[]>;
  /** Values of `{freq}` (the stage's `freqs` list as strings), or null when it declares none. */
  readonly freqs: readonly string[] | null;
  /** Values of `{epoch}` (the stage's `epochs` list), or null when it declares none. */
  readonly epochs: readonly number[] | null;
  /** `module#Export` of the stage's executor (its `executor:` key, or its entry in the top-level `executors:` mapping), or null when neither names one. */
  readonly executor: string | null;
  readonly makeStageLog: boolean;
  /**
   * The resolved stage block, as written, without `resources`: where a node runs (cores,
   * memory, a Slurm partition) does not change what it computes, so it is no part of the
   * fingerprint.
   */
  readonly block: ConfigObject;
  /** The stage's `resources:` block (a backend's request: cpus, mem, time, ...), when it has one. */
  readonly resources?: ConfigObject;
}

/** Edge attributes: the asset the edge carries. */
export interface StageEdge {
  readonly asset: string;
  /** The producer's name for it (orig_name). */
  readonly origName: string;
}

/** The compiled stage graph. */
export interface StageGraph {
  /** graphology multigraph keyed by stage name; edges carry {@link StageEdge}. */
  readonly graph: MultiDirectedGraph<StageDef, StageEdge>;
  /** Stages in a topological order (declaration order among independent stages). */
  readonly order: readonly string[];
  readonly stages: ReadonlyMap<string, StageDef>;
  /** Every split of the splits file, in order. */
  readonly allSplits: readonly SplitDef[];
  /** Where a key of the configuration was set, for diagnostics found while expanding nodes. */
  readonly at?: (path: KeyPath) => SourceLocation | undefined;
}

/** What the compiler needs from its caller. */
export interface CompileOptions {
  /** Names of registered asset handlers. */
  readonly handlers: ReadonlySet<string>;
}

type Config = Pick<LoadedConfig, "resolved" | "origin">;

/** Builds the stage graph of `config.resolved.pipeline`. */
export function buildStageGraph(config: Config, options: CompileOptions): Result<StageGraph, Diagnostic[]> {
  const diagnostics: Diagnostic[] = [];
  const at = (path: KeyPath): SourceLocation | undefined => config.origin(path);
  const pipeline = asObject(config.resolved["pipeline"]);
  if (pipeline === undefined || Object.keys(pipeline).length === 0) {
    return err([error("the pipeline is empty: no stages are defined under `pipeline`", at(["pipeline"]))]);
  }
  const allSplits = readSplits(config.resolved);
  const stageNames = Object.keys(pipeline);
  const stages = new Map<string, StageDef>();
  const simCounts = new Map<string, ReadonlyMap<string, number>>();

  const bindings = executorBindings(config.resolved, stageNames, at, diagnostics);
  for (const name of stageNames) {
    const block = asObject(pipeline[name]) ?? {};
    const stage = readStage(name, block, allSplits, options, at, diagnostics, simCounts, bindings.get(name));
    stages.set(name, stage);
  }

  const graph = new MultiDirectedGraph<StageDef, StageEdge>();
  for (const stage of stages.values()) graph.addNode(stage.name, stage);
  for (const stage of stages.values()) {
    for (const input of stage.assetsIn) {
      const where = at(["pipeline", stage.name, "assets_in", input.name, "stage"]);
      const producer = stages.get(input.stage);
      if (producer === undefined) {
        const hint = suggestion(input.stage, stageNames);
        diagnostics.push(
          error(`stage "${stage.name}" reads "${input.name}" from unknown stage "${input.stage}"`, where, [
            ...(hint === undefined ? [] : [hint]),
            `stages: ${stageNames.join(", ")}`,
          ]),
        );
        continue;
      }
      if (!producer.assetsOut.some((a) => a.name === input.asset)) {
        const outs = producer.assetsOut.map((a) => a.name);
        const hint = suggestion(input.asset, outs);
        const field = input.asset === input.name ? "stage" : "orig_name";
        diagnostics.push(
          error(
            `stage "${stage.name}" reads asset "${input.asset}" from stage "${producer.name}", which does not output it`,
            at(["pipeline", stage.name, "assets_in", input.name, field]),
            [...(hint === undefined ? [] : [hint]), `"${producer.name}" outputs: ${outs.join(", ") || "nothing"}`],
          ),
        );
        continue;
      }
      // A node can never be fresh while it reads what it writes: each run changes its own input.
      if (producer.name === stage.name) {
        diagnostics.push(
          error(`stage "${stage.name}" reads its own output "${input.asset}" (as "${input.name}"): a stage cannot be its own input`, where, [
            "read it from the stage that produced it before, or give the result a new stage",
          ]),
        );
        continue;
      }
      graph.addDirectedEdge(producer.name, stage.name, { asset: input.name, origName: input.asset });
    }
  }

  diagnostics.push(...frequencyLists(stages, at));
  diagnostics.push(...sharedOutputPaths(stages, config.resolved, at));
  diagnostics.push(...climbingPaths(stages, config.resolved, at));
  const order = topologicalOrder(graph, stageNames);
  if (order === undefined) {
    diagnostics.push(cycleDiagnostic(graph, stageNames, at));
  } else if (diagnostics.length === 0) {
    const tooMany = nodeCountLimit(stages, simCounts, at);
    if (tooMany !== undefined) diagnostics.push(tooMany);
  }
  if (diagnostics.length > 0 || order === undefined) return err(diagnostics);
  return ok({ graph, order, stages, allSplits, at });
}

function readStage(
  name: string,
  block: ConfigObject,
  allSplits: readonly SplitDef[],
  options: CompileOptions,
  at: (path: KeyPath) => SourceLocation | undefined,
  diagnostics: Diagnostic[],
  simCounts: Map<string, ReadonlyMap<string, number>>,
  boundExecutor: string | undefined,
): StageDef {
  const path = (...rest: (string | number)[]): KeyPath => ["pipeline", name, ...rest];
  const dirName = typeof block["dir_name"] === "string" ? block["dir_name"] : name;

  const assetsOut: AssetOutDef[] = [];
  const dimSet = new Set<Dim>();
  for (const [assetName, value] of Object.entries(asObject(block["assets_out"]) ?? {})) {
    const entry = asObject(value) ?? {};
    const handler = typeof entry["handler"] === "string" ? entry["handler"] : "";
    if (!options.handlers.has(handler)) {
      const hint = suggestion(handler, options.handlers);
      diagnostics.push(
        error(`unknown handler "${handler}" for asset "${assetName}" of stage "${name}"`, at(path("assets_out", assetName, "handler")), [
          ...(hint === undefined ? [] : [hint]),
          `registered handlers: ${[...options.handlers].sort().join(", ")}`,
        ]),
      );
    }
    const source = typeof entry["path_template"] === "string" ? entry["path_template"] : "";
    const templatePath = path("assets_out", assetName, "path_template");
    const parsed = parseTemplate(source);
    if (!parsed.ok) {
      diagnostics.push(
        error(
          `path_template of asset "${assetName}" in stage "${name}": ${describeTemplateFailure(parsed.error)}`,
          spanWithin(at(templatePath), source, parsed.error.index, 1),
        ),
      );
      continue;
    }
    const known = (tag: string): boolean =>
      isDim(tag) || CONTEXT_TAGS.includes(tag) || (tag in block && isScalar(block[tag]));
    for (const tag of parsed.value.tags) {
      if (!known(tag)) {
        const candidates = [...DIMS, ...CONTEXT_TAGS, ...Object.keys(block).filter((k) => isScalar(block[k]))];
        const hint = suggestion(tag, candidates);
        diagnostics.push(
          error(
            `unknown tag "{${tag}}" in path_template of asset "${assetName}" in stage "${name}"`,
            spanWithin(at(templatePath), source, source.indexOf(`{${tag}}`), tag.length + 2),
            [
              ...(hint === undefined ? [] : [hint]),
              `known tags: ${[...DIMS, ...CONTEXT_TAGS].join(", ")}, and the stage's own scalar keys`,
            ],
          ),
        );
      }
      if (isDim(tag)) dimSet.add(tag);
    }
    const rest: Record<string, ConfigValue> = {};
    for (const [k, v] of Object.entries(entry)) if (k !== "handler" && k !== "path_template" && k !== "path_template_alt") rest[k] = v;
    const alt = readTemplateAlt(name, assetName, entry, known, at, diagnostics);
    assetsOut.push({ name: assetName, handler, template: parsed.value, ...(alt === undefined ? {} : { templateAlt: alt }), options: rest });
  }
  const dims = DIMS.filter((d) => dimSet.has(d));
  // The alternative is for less context than the stage's nodes have, never more.
  for (const asset of assetsOut) {
    const extra = asset.templateAlt?.tags.filter((t) => isDim(t) && !dims.includes(t)) ?? [];
    if (extra.length === 0) continue;
    diagnostics.push(
      error(
        `path_template_alt of asset "${asset.name}" in stage "${name}" uses ${extra.map((d) => `{${d}}`).join(", ")}, which the stage's path_templates do not: it is the path for less context, not more`,
        at(path("assets_out", asset.name, "path_template_alt")),
      ),
    );
  }
  // Every node writes every asset: an asset without one of the stage's dimensions would be
  // written by all the nodes that differ only in it, each overwriting the others.
  for (const asset of assetsOut) {
    const lacking = dims.filter((d) => !asset.template.tags.includes(d));
    if (lacking.length === 0) continue;
    const from = assetsOut.find((a) => lacking.some((d) => a.template.tags.includes(d)))?.name ?? "";
    diagnostics.push(
      error(
        `path_template of asset "${asset.name}" in stage "${name}" lacks ${lacking.map((d) => `{${d}}`).join(", ")}: the stage has a node per ${lacking.join(" × ")} (from asset "${from}"), and they would all write this one file`,
        at(path("assets_out", asset.name, "path_template")),
        [`add ${lacking.map((d) => `{${d}}`).join(", ")} to the template, or move the asset to a stage of its own`],
      ),
    );
  }

  const assetsIn: AssetInDef[] = [];
  for (const [assetName, value] of Object.entries(asObject(block["assets_in"]) ?? {})) {
    const entry = asObject(value) ?? {};
    const stage = typeof entry["stage"] === "string" ? entry["stage"] : "";
    const orig = typeof entry["orig_name"] === "string" ? entry["orig_name"] : assetName;
    assetsIn.push({ name: assetName, stage, asset: orig });
  }

  // Splits: `splits: [train, valid]` selects split names matching ^train\d*$ case-insensitively.
  let splitFilter: string[] | null = null;
  let splits: readonly SplitDef[] = allSplits;
  const rawFilter = block["splits"];
  if (Array.isArray(rawFilter)) {
    splitFilter = rawFilter.map((s) => String(s));
    const patterns = splitFilter.map((kind) => new RegExp(`^${escapeRegExp(kind)}\\d*$`, "i"));
    splits = allSplits.filter((s) => patterns.some((p) => p.test(s.name)));
    // Each entry must name a split: a typo would otherwise just drop that split's nodes.
    const unmatched = splitFilter.flatMap((kind, i) => (allSplits.some((s) => patterns[i]?.test(s.name) === true) ? [] : [{ kind, i }]));
    if (splits.length > 0) {
      for (const { kind, i } of unmatched) {
        diagnostics.push(
          error(`stage "${name}" lists split "${kind}", which matches no split`, at(path("splits", i)), [`splits: ${allSplits.map((s) => s.name).join(", ")}`]),
        );
      }
    }
    if (splits.length === 0) {
      diagnostics.push(
        error(`stage "${name}" runs on splits [${splitFilter.join(", ")}], which match no split`, at(path("splits")), [
          `splits: ${allSplits.map((s) => s.name).join(", ") || "none defined"}`,
        ]),
      );
    }
  }
  if ((dims.includes("split") || dims.includes("sim")) && allSplits.length === 0) {
    diagnostics.push(error(`stage "${name}" uses {split} or {sim}, but the splits config defines no split`, at(path("assets_out"))));
  }
  if (dims.includes("sim") && !dims.includes("split")) {
    diagnostics.push(
      error(`stage "${name}" uses {sim} without {split} in its path templates; simulations are numbered within a split`, at(path("assets_out"))),
    );
  }

  const sims = new Map<string, readonly number[]>();
  const override = block["override_n_sims"];
  const simCount = (split: SplitDef): number => (typeof override === "number" ? override : Array.isArray(override) ? override.length : split.nSims);
  // Counted before any list is made: a billion sims would exhaust memory in `range` alone.
  const tooLarge = splits.reduce((n, split) => n + simCount(split), 0) > MAX_NODES;
  for (const split of splits) {
    if (tooLarge) sims.set(split.name, []);
    else if (typeof override === "number") sims.set(split.name, range(override));
    else if (Array.isArray(override)) sims.set(split.name, override.map(Number));
    else sims.set(split.name, range(split.nSims));
  }
  simCounts.set(name, new Map(splits.map((split) => [split.name, simCount(split)])));

  const freqs = readList(block, "freqs", name, at, diagnostics, (v) => (typeof v === "string" || typeof v === "number" ? String(v) : undefined));
  if (dims.includes("freq") && freqs === null) {
    diagnostics.push(
      error(`stage "${name}" uses {freq} in a path template but declares no "freqs" list`, at(path("assets_out")), [
        "add e.g. freqs: ${scenario.detector_freqs}",
      ]),
    );
  }
  const epochs = readList(block, "epochs", name, at, diagnostics, (v) => (typeof v === "number" && Number.isInteger(v) ? v : undefined));
  if (dims.includes("epoch") && epochs === null) {
    diagnostics.push(error(`stage "${name}" uses {epoch} in a path template but declares no "epochs" list`, at(path("assets_out"))));
  }

  const written = typeof block["executor"] === "string" ? block["executor"] : undefined;
  if (written !== undefined && boundExecutor !== undefined && written !== boundExecutor) {
    diagnostics.push(
      error(`stage "${name}" is bound to executor "${boundExecutor}" in executors:, but its block names "${written}"`, at(["executors", name]), [
        "remove one of the two: a stage has one executor",
      ]),
    );
  }
  const executor = written ?? boundExecutor ?? null;
  const makeStageLog = block["make_stage_log"] === true;
  const { resources, ...rest } = block;
  const requested = asObject(resources);
  return { name, dirName, dims, assetsOut, assetsIn, splitFilter, splits, sims, freqs, epochs, executor, makeStageLog, block: rest, ...(requested === undefined ? {} : { resources: requested }) };
}

/** `path_template_alt` of an output asset, checked like its path_template; undefined when absent or wrong (reported). */
function readTemplateAlt(
  stage: string,
  asset: string,
  entry: ConfigObject,
  known: (tag: string) => boolean,
  at: (path: KeyPath) => SourceLocation | undefined,
  diagnostics: Diagnostic[],
): ParsedTemplate | undefined {
  const source = entry["path_template_alt"];
  if (source === undefined || source === null) return undefined;
  const where: KeyPath = ["pipeline", stage, "assets_out", asset, "path_template_alt"];
  if (typeof source !== "string") {
    diagnostics.push(error(`path_template_alt of asset "${asset}" in stage "${stage}" must be a string`, at(where)));
    return undefined;
  }
  const parsed = parseTemplate(source);
  if (!parsed.ok) {
    diagnostics.push(
      error(
        `path_template_alt of asset "${asset}" in stage "${stage}": ${describeTemplateFailure(parsed.error)}`,
        spanWithin(at(where), source, parsed.error.index, 1),
      ),
    );
    return undefined;
  }
  const unknown = parsed.value.tags.filter((tag) => !known(tag));
  for (const tag of unknown) {
    diagnostics.push(
      error(
        `unknown tag "{${tag}}" in path_template_alt of asset "${asset}" in stage "${stage}"`,
        spanWithin(at(where), source, source.indexOf(`{${tag}}`), tag.length + 2),
        [`known tags: ${[...DIMS, ...CONTEXT_TAGS].join(", ")}, and the stage's own scalar keys`],
      ),
    );
  }
  return unknown.length === 0 ? parsed.value : undefined;
}

/**
 * The top-level `executors:` mapping (stage → `module#Export`), which binds executors without
 * editing the pipeline YAML (CMB-ML's stage files name none; its scripts choose them).
 */
function executorBindings(
  resolved: ConfigObject,
  stageNames: readonly string[],
  at: (path: KeyPath) => SourceLocation | undefined,
  diagnostics: Diagnostic[],
): ReadonlyMap<string, string> {
  const bindings = new Map<string, string>();
  for (const [stage, ref] of Object.entries(asObject(resolved["executors"]) ?? {})) {
    if (!stageNames.includes(stage)) {
      const hint = suggestion(stage, stageNames);
      diagnostics.push(
        error(`executors: binds unknown stage "${stage}"`, at(["executors", stage]), [...(hint === undefined ? [] : [hint]), `stages: ${stageNames.join(", ")}`]),
      );
      continue;
    }
    if (typeof ref === "string") bindings.set(stage, ref);
  }
  return bindings;
}

function readList<T>(
  block: ConfigObject,
  key: string,
  stage: string,
  at: (path: KeyPath) => SourceLocation | undefined,
  diagnostics: Diagnostic[],
  convert: (value: ConfigValue) => T | undefined,
): T[] | null {
  const value = block[key];
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) {
    diagnostics.push(error(`"${key}" of stage "${stage}" must be a list`, at(["pipeline", stage, key])));
    return null;
  }
  const out: T[] = [];
  (value as readonly ConfigValue[]).forEach((item, i) => {
    const converted = convert(item);
    if (converted === undefined) {
      diagnostics.push(error(`"${key}" of stage "${stage}" has an invalid entry ${JSON.stringify(item)}`, at(["pipeline", stage, key, i])));
    } else out.push(converted);
  });
  return out;
}

/**
 * Duplicate or missing frequencies. Stages usually share one list (`${scenario.detector_freqs}`),
 * so a problem is reported once per place it is written, naming every stage that uses it.
 */
function frequencyLists(stages: ReadonlyMap<string, StageDef>, at: (path: KeyPath) => SourceLocation | undefined): Diagnostic[] {
  const found = new Map<string, { message: string; location: SourceLocation | undefined; note: string; stages: string[] }>();
  const report = (key: KeyPath, message: string, note: string, stage: string): void => {
    const location = at(key);
    // Unlocated (set by an override): one list for every stage that reads it, most likely.
    const id = `${location === undefined ? "" : `${location.file}:${String(location.line)}:${String(location.column)}`}\u0000${message}`;
    const entry = found.get(id);
    if (entry === undefined) found.set(id, { message, location, note, stages: [stage] });
    else entry.stages.push(stage);
  };
  for (const stage of stages.values()) {
    if (stage.freqs === null) continue;
    const seen = new Map<string, number>();
    stage.freqs.forEach((f, i) => {
      const first = seen.get(f);
      if (first === undefined) seen.set(f, i);
      else {
        report(
          ["pipeline", stage.name, "freqs", i],
          `frequency ${f} is listed twice (entries ${String(first + 1)} and ${String(i + 1)} of the frequency list)`,
          "each frequency is a node of its own: two equal ones would write the same files",
          stage.name,
        );
      }
    });
    if (stage.freqs.length === 0 && stage.dims.includes("freq")) {
      report(["pipeline", stage.name, "freqs"], "the frequency list is empty, so stages with a node per {freq} have no nodes", "list at least one frequency", stage.name);
    }
  }
  return [...found.values()].map((f) =>
    error(f.message, f.location, [f.note, `"freqs" of stage${f.stages.length === 1 ? "" : "s"} ${f.stages.map((n) => `"${n}"`).join(", ")}`]),
  );
}

/**
 * Two output assets (of one stage or two) that would write the same files: their templates
 * are equal once each stage's own values ({stage} = dir_name, its scalar keys) are put in,
 * and their splits overlap. Decided per template, never per node, so it costs nothing at 100k nodes.
 */
function sharedOutputPaths(
  stages: ReadonlyMap<string, StageDef>,
  resolved: ConfigObject,
  at: (path: KeyPath) => SourceLocation | undefined,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const written = new Map<string, { stage: StageDef; asset: string }[]>();
  for (const stage of stages.values()) {
    for (const asset of stage.assetsOut) {
      const key = staticPath(asset.template, stage, resolved);
      const earlier = written.get(key) ?? [];
      const splitNames = new Set(stage.splits.map((s) => s.name));
      const clash = earlier.find(
        (e) => !(stage.dims.includes("split") && e.stage.dims.includes("split")) || e.stage.splits.some((s) => splitNames.has(s.name)),
      );
      if (clash !== undefined) {
        const other = clash.stage.name === stage.name ? `asset "${clash.asset}"` : `asset "${clash.asset}" of stage "${clash.stage.name}"`;
        diagnostics.push(
          error(
            `asset "${asset.name}" of stage "${stage.name}" and ${other} would write the same files: both path_templates come to "${key}"`,
            at(["pipeline", stage.name, "assets_out", asset.name, "path_template"]),
            [`give one of them another file name${clash.stage.name === stage.name ? "" : " or dir_name"}`],
          ),
        );
      }
      earlier.push({ stage, asset: asset.name });
      written.set(key, earlier);
    }
  }
  return diagnostics;
}

/** A template with the values fixed for the whole stage put in; per-node and root tags stay as `{tag}`. */
function staticPath(template: ParsedTemplate, stage: StageDef, resolved: ConfigObject): string {
  let out = "";
  for (const part of template.parts) {
    if (typeof part === "string") out += part;
    else out += staticValue(part.tag, stage, resolved) ?? `{${part.tag}}`;
  }
  return out;
}

function staticValue(tag: string, stage: StageDef, resolved: ConfigObject): string | undefined {
  if (tag === "stage") return stage.dirName;
  if (tag === "dataset") return scalarText(resolved["dataset_name"]);
  if (tag === "working") return scalarText(resolved["working_dir"]);
  if (isDim(tag) || CONTEXT_TAGS.includes(tag)) return undefined;
  return scalarText(stage.block[tag]);
}

function scalarText(value: ConfigValue | undefined): string | undefined {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? String(value) : undefined;
}

/** True when a path (piece) has a `..` component. */
function climbs(path: string): boolean {
  return path.split(/[\\/]/).includes("..");
}

/**
 * Everything below `{root}` must stay inside `{root}/{dataset}`: a `..` in dir_name,
 * dataset_name, working_dir, the sim folder prefix, a frequency or a template would write
 * over another dataset's (or anyone's) files. `datasets_root` and `assets_dir` are the user's
 * own and may be anything.
 */
function climbingPaths(stages: ReadonlyMap<string, StageDef>, resolved: ConfigObject, at: (path: KeyPath) => SourceLocation | undefined): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const refuse = (key: KeyPath, what: string, value: string): void => {
    diagnostics.push(
      error(`${what} "${value}" climbs out of the dataset folder with ".."`, at(key), [
        "outputs stay inside {root}/{dataset}; only local_system.datasets_root may point elsewhere",
      ]),
    );
  };
  for (const [key, what] of [
    [["dataset_name"], "dataset_name"],
    [["working_dir"], "working_dir"],
    [["file_system", "sim_folder_prefix"], "file_system.sim_folder_prefix"],
  ] as const) {
    let value: ConfigValue | undefined = resolved;
    for (const k of key) value = asObject(value)?.[k];
    const text = scalarText(value);
    if (text !== undefined && climbs(text)) refuse(key, what, text);
  }
  for (const stage of stages.values()) {
    if (climbs(stage.dirName)) refuse(["pipeline", stage.name, "dir_name"], `dir_name of stage "${stage.name}"`, stage.dirName);
    stage.freqs?.forEach((f, i) => {
      if (climbs(f)) refuse(["pipeline", stage.name, "freqs", i], `frequency of stage "${stage.name}"`, f);
    });
    for (const asset of stage.assetsOut) {
      // dir_name and the dataset values were checked above; the rest of the template is checked with them filled in.
      const probe = asset.template.parts
        .map((p) => (typeof p === "string" ? p : p.tag === "stage" || p.tag === "dataset" || p.tag === "working" ? "x" : (staticValue(p.tag, stage, resolved) ?? "x")))
        .join("");
      const key: KeyPath = ["pipeline", stage.name, "assets_out", asset.name, "path_template"];
      if (climbs(probe)) refuse(key, `path_template of asset "${asset.name}" in stage "${stage.name}"`, asset.template.source);
      // An absolute template writes wherever it says: outside the data folder, its lock, and
      // the folders restores and gc may touch.
      else if (isAbsolute(probe)) {
        diagnostics.push(
          error(`path_template of asset "${asset.name}" in stage "${stage.name}" "${asset.template.source}" is an absolute path: outputs are written inside the data folder`, at(key), [
            `start it with {root}/{dataset}, e.g. "{root}/{dataset}/{stage}/${asset.template.source.split("/").at(-1) ?? asset.name}"; local_system.datasets_root says where {root} is`,
          ]),
        );
      }
    }
  }
  return diagnostics;
}

/**
 * Refuses a pipeline whose node count passes {@link MAX_NODES}, counted from the sims per
 * split (never by expanding), located at the `n_sims` (or `override_n_sims`) that weighs most.
 */
function nodeCountLimit(
  stages: ReadonlyMap<string, StageDef>,
  simCounts: ReadonlyMap<string, ReadonlyMap<string, number>>,
  at: (path: KeyPath) => SourceLocation | undefined,
): Diagnostic | undefined {
  let total = 0;
  let largest: { stage: StageDef; count: number } | undefined;
  for (const stage of stages.values()) {
    const has = (d: Dim): boolean => stage.dims.includes(d);
    const per = (has("freq") ? (stage.freqs?.length ?? 0) : 1) * (has("epoch") ? (stage.epochs?.length ?? 0) : 1);
    const counts = simCounts.get(stage.name) ?? new Map<string, number>();
    const splits = has("split") ? stage.splits : [];
    const points = has("sim") ? splits.reduce((n, s) => n + (counts.get(s.name) ?? 0), 0) : has("split") ? splits.length : 1;
    const count = points * per;
    total += count;
    if (largest === undefined || count > largest.count) largest = { stage, count };
  }
  if (total <= MAX_NODES || largest === undefined) return undefined;
  const { stage, count } = largest;
  const counts = simCounts.get(stage.name) ?? new Map<string, number>();
  let biggest: string | undefined;
  for (const [split, n] of counts) if (biggest === undefined || n > (counts.get(biggest) ?? 0)) biggest = split;
  const override = stage.block["override_n_sims"];
  const key: KeyPath =
    typeof override === "number" || Array.isArray(override)
      ? ["pipeline", stage.name, "override_n_sims"]
      : biggest !== undefined && stage.dims.includes("sim")
        ? ["splits", biggest, "n_sims"]
        : ["pipeline", stage.name];
  const setting = key.join(".");
  return error(
    `the pipeline would have ${total.toLocaleString("en-US")} nodes, more than the ${MAX_NODES.toLocaleString("en-US")} cmbflow can plan at once`,
    at(key),
    [`stage "${stage.name}" alone has ${count.toLocaleString("en-US")} nodes; ${setting} sets how many`, "lower n_sims (or n_sims_cap), or divide the work into several datasets"],
  );
}

/** Splits are the entries of the `splits` block that carry `n_sims`, in file order. */
function readSplits(resolved: ConfigObject): SplitDef[] {
  const block = asObject(resolved["splits"]);
  if (block === undefined) return [];
  const splits: SplitDef[] = [];
  for (const [name, value] of Object.entries(block)) {
    const entry = asObject(value);
    if (entry === undefined || typeof entry["n_sims"] !== "number") continue;
    const cap = entry["n_sims_cap"];
    const nSims = typeof cap === "number" ? Math.min(entry["n_sims"], cap) : entry["n_sims"];
    splits.push({ name, nSims });
  }
  return splits;
}

/** Kahn's algorithm; among ready stages, declaration order. Undefined when there is a cycle. */
function topologicalOrder(graph: MultiDirectedGraph<StageDef, StageEdge>, declared: readonly string[]): string[] | undefined {
  const indegree = new Map<string, number>();
  for (const name of declared) indegree.set(name, new Set(graph.inNeighbors(name)).size);
  const order: string[] = [];
  const done = new Set<string>();
  while (order.length < declared.length) {
    const next = declared.find((n) => !done.has(n) && indegree.get(n) === 0);
    if (next === undefined) return undefined;
    order.push(next);
    done.add(next);
    for (const succ of new Set(graph.outNeighbors(next))) indegree.set(succ, (indegree.get(succ) ?? 0) - 1);
  }
  return order;
}

/** One diagnostic naming every edge of one cycle, at the first edge's assets_in entry. */
function cycleDiagnostic(
  graph: MultiDirectedGraph<StageDef, StageEdge>,
  declared: readonly string[],
  at: (path: KeyPath) => SourceLocation | undefined,
): Diagnostic {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  let cycle: string[] | undefined;
  const visit = (node: string): void => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.outNeighbors(node)) {
      if (cycle !== undefined) return;
      if (state.get(next) === "open") {
        cycle = [...stack.slice(stack.indexOf(next)), next];
        return;
      }
      if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const name of declared) if (cycle === undefined && !state.has(name)) visit(name);
  const nodes = cycle ?? [];
  const edges: string[] = [];
  for (let i = 0; i + 1 < nodes.length; i++) {
    const from = nodes[i] ?? "";
    const to = nodes[i + 1] ?? "";
    const edge = graph.outEdges(from, to)[0];
    const asset = edge === undefined ? "?" : graph.getEdgeAttributes(edge).asset;
    edges.push(`${from} → ${to} (${asset})`);
  }
  const first = nodes[1] ?? "";
  const firstEdge = graph.outEdges(nodes[0] ?? "", first)[0];
  const firstAsset = firstEdge === undefined ? "" : graph.getEdgeAttributes(firstEdge).asset;
  return error(
    `the pipeline has a cycle: ${nodes.join(" → ")}`,
    at(["pipeline", first, "assets_in", firstAsset, "stage"]),
    edges.map((e) => `edge ${e}`),
  );
}

/** Narrows a location that covers a whole (possibly quoted) template value to `length` characters at `index`. */
function spanWithin(location: SourceLocation | undefined, source: string, index: number, length: number): SourceLocation | undefined {
  if (location === undefined || index < 0) return location;
  const width = (location.endColumn ?? location.column + 1) - location.column;
  const singleLine = (location.endLine ?? location.line) === location.line;
  if (!singleLine || (width !== source.length && width !== source.length + 2)) return location;
  const offset = width === source.length + 2 ? 1 : 0;
  const column = location.column + offset + index;
  return { file: location.file, line: location.line, column, endLine: location.line, endColumn: column + length };
}

function asObject(value: ConfigValue | undefined): ConfigObject | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as ConfigObject) : undefined;
}

function isScalar(value: ConfigValue | undefined): boolean {
  return value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

function range(n: number): number[] {
  return Array.from({ length: Math.max(0, n) }, (_, i) => i);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
