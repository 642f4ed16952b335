/**
 * Node fingerprints (DESIGN.md "Staleness"): a structured record in fixed parts, each part
 * digested on its own and the fingerprint digested from the parts' digests, so `explain`
 * can say which part changed and the stage-wide parts are stored once for all its nodes.
 *
 *   stage    the stage definition: output templates and handlers, input references, executor
 *   code     digests of every file of code the node runs — its executor module's and its
 *            handlers' modules' import closures, cmbflow's own modules included — and the
 *            Node.js major version and cmbflow version that run them (code-part.ts)
 *   params   the config keys the executor read while constructed, with their values, and
 *            the stage's own block
 *   context  the node's partition, its seed and its output paths
 *   inputs   per dependency node, the digests of the outputs it recorded
 *
 * The inputs part uses what the dependencies recorded (outputs are digested as they are
 * written), so a dependency that re-ran and wrote byte-identical files leaves its dependents
 * fresh (early cutoff), and no input file is read to decide staleness.
 */
import type { ConfigObject, ConfigValue } from "../config/types.js";
import type { Partition } from "../graph/partition.js";
import { NODE_SEED_VERSION } from "../healpix/seeds.js";

/** The digest input of a context part, a fixed-order JSON array. */
export function contextDigestText(context: Pick<ContextPart, "partition" | "baseSeed" | "outputs">): string {
  const p = context.partition;
  return JSON.stringify([p.split ?? null, p.sim ?? null, p.freq ?? null, p.epoch ?? null, NODE_SEED_VERSION, context.baseSeed, context.outputs]);
}
import type { StageDef } from "../graph/stage-graph.js";

/**
 * Bumped when the record's meaning or digesting changes: every node is then stale once.
 * 2: the context and inputs parts are digested from fixed-order JSON arrays, the context
 *    from the base seed rather than the node's seed; the whole from the parts' digests joined.
 * 3: the code part holds what runs (built-in stages' dist/ modules, handler modules, cmbflow's
 *    modules a user module imports, type-only imports left out) and the runtime.
 */
export const FINGERPRINT_VERSION = 3;

/** The parts of a fingerprint, in their fixed order. */
export const PART_NAMES = ["stage", "code", "params", "context", "inputs"] as const;
export type PartName = (typeof PART_NAMES)[number];

/** The stage part. */
export interface StagePart {
  readonly version: number;
  readonly executor: string | null;
  readonly outputs: readonly { readonly name: string; readonly handler: string; readonly template: string; readonly options: ConfigObject }[];
  readonly inputs: readonly { readonly name: string; readonly stage: string; readonly asset: string }[];
}

/** What runs a node's code. */
export interface RuntimePart {
  /** Node.js major version, e.g. "20". */
  readonly node: string;
  /** cmbflow's package version. */
  readonly cmbflow: string;
  /**
   * The Legendre kernel the workers run: "wasm" (its code is in the files already), or the
   * native addon's instruction set and file digest — the kernels agree to 1e-13, not bit for
   * bit, so outputs made by one are not fresh for the other. Absent in records made before.
   */
  readonly kernel?: string;
}

/** The code part: stable file name (code-part.ts) → content digest, and the runtime. */
export interface CodePart {
  readonly files: Readonly<Record<string, string>>;
  readonly runtime: RuntimePart;
}

/** The params part: config keys read by the executor with their values, and the stage's block. */
export interface ParamsPart {
  readonly reads: Readonly<Record<string, ConfigValue | null>>;
  readonly block: ConfigObject;
}

/**
 * The context part. Its digest covers the partition, the base seed (with the seed scheme's
 * version) and the output paths; `seed`, the node's own seed, is kept for provenance and is
 * not digested: it is a fixed function of the base seed, the stage and the partition, and
 * the stage and partition are the node's identity. (So a no-op run need not hash a seed per node.)
 */
export interface ContextPart {
  readonly partition: Partition;
  readonly baseSeed: number;
  readonly seed: number;
  readonly outputs: readonly string[];
}

/** What a node's context part is made from; `seed` is computed only when the record is stored or shown. */
export interface ContextInput {
  readonly partition: Partition;
  readonly baseSeed: number;
  readonly seed: () => number;
  readonly outputs: readonly string[];
  /** Where the node's outputs are (engine `locationOf`): which of the node's records is this one's. Not digested. */
  readonly location: string;
  /** The state store's key of the node's record here (`recordKey(node id, location)`), made once per node and reused. */
  readonly key: string;
  /** Whether `outputs` holds every declared output (false when a whole-stage node's paths cannot all be formed alone). */
  readonly complete: boolean;
}

/** The inputs part: dependency node id → its recorded output digests (path → digest). */
export interface InputsPart {
  readonly [node: string]: Readonly<Record<string, string>>;
}

/** A whole fingerprint record. */
export interface FingerprintRecord {
  readonly stage: StagePart;
  readonly code: CodePart;
  readonly params: ParamsPart;
  readonly context: ContextPart;
  readonly inputs: InputsPart;
}

/** The stage part of a stage definition. */
export function stagePart(def: StageDef): StagePart {
  return {
    version: FINGERPRINT_VERSION,
    executor: def.executor,
    outputs: def.assetsOut.map((a) => ({ name: a.name, handler: a.handler, template: a.template.source, options: a.options })),
    inputs: def.assetsIn.map((a) => ({ name: a.name, stage: a.stage, asset: a.asset })),
  };
}

/** The params part from the keys an executor read (missing keys recorded as null) and its block. */
export function paramsPart(reads: readonly string[], lookup: (key: string) => ConfigValue | undefined, block: ConfigObject): ParamsPart {
  const values: Record<string, ConfigValue | null> = {};
  for (const key of [...reads].sort()) values[key] = lookup(key) ?? null;
  return { reads: values, block };
}
