/**
 * The configuration as an executor sees it: typed getters by dotted path that fail with the
 * key and the stage named when the key does not exist, and that record every key read, so
 * the cache can fingerprint exactly the parameters a stage depends on (CMB-ML's rule "read
 * parameters in __init__", made checkable).
 */
import type { ConfigObject, ConfigValue } from "../config/types.js";
import { describeValue } from "../config/schema.js";
import { suggestion } from "../diagnostics/suggest.js";
import { isValidNside, MAX_NSIDE } from "../healpix/nside.js";

/** A configuration key an executor asked for that does not exist (or has the wrong type). */
export class ConfigKeyError extends Error {
  override readonly name = "ConfigKeyError";
  constructor(
    readonly key: string,
    readonly stage: string | undefined,
    detail: string,
  ) {
    super(`${stage === undefined ? "" : `stage "${stage}": `}config key "${key}" ${detail}`);
  }
}

/** When a read happens: while the executor is constructed, or later while it works. */
export type ReadPhase = "construct" | "work";

/** One recorded read. */
export interface ConfigRead {
  readonly key: string;
  readonly phase: ReadPhase;
}

/** Read-tracking access to the resolved configuration. */
export class Cfg {
  readonly #root: ConfigObject;
  readonly #unresolved: ReadonlyMap<string, string>;
  readonly #reads = new Map<string, ReadPhase>();
  #phase: ReadPhase = "construct";

  /**
   * @param root the resolved configuration
   * @param stage the stage reading it, named in errors
   * @param unresolved dotted key → why it did not resolve, for the values the loader left
   *   unresolved (lazily: nothing cmbflow needs reads them); reading one, or a mapping holding
   *   one, fails as OmegaConf does
   */
  constructor(
    root: ConfigObject,
    readonly stage?: string,
    unresolved: ReadonlyMap<string, string> = new Map(),
  ) {
    this.#root = root;
    this.#unresolved = unresolved;
  }

  /** A view for `stage` over the same configuration, with its own read record. */
  forStage(stage: string): Cfg {
    return new Cfg(this.#root, stage, this.#unresolved);
  }

  /** Marks the end of construction: later reads are recorded as phase "work". */
  startWork(): void {
    this.#phase = "work";
  }

  /** Every key read, in first-read order, with the phase of its first read. */
  reads(): ConfigRead[] {
    return [...this.#reads].map(([key, phase]) => ({ key, phase }));
  }

  /** True when the key exists (recorded as a read: its absence is a dependency too). */
  has(key: string): boolean {
    this.#record(key);
    return this.#find(key) !== undefined;
  }

  /** The value at `key` (e.g. "scenario.nside"); throws {@link ConfigKeyError} when absent. */
  get(key: string): ConfigValue {
    this.#record(key);
    this.#checkResolved(key);
    const value = this.#find(key);
    if (value === undefined) throw new ConfigKeyError(key, this.stage, `does not exist${this.#hint(key)}`);
    return value;
  }

  /** The value at `key`, or `fallback` when absent. */
  getOr<T extends ConfigValue>(key: string, fallback: T): ConfigValue {
    this.#record(key);
    this.#checkResolved(key);
    return this.#find(key) ?? fallback;
  }

  /** A finite number. */
  number(key: string): number {
    const v = this.get(key);
    if (typeof v !== "number" || !Number.isFinite(v)) throw new ConfigKeyError(key, this.stage, `must be a number, got ${describeValue(v)}`);
    return v;
  }

  /** An integer. */
  integer(key: string): number {
    const v = this.number(key);
    if (!Number.isInteger(v)) throw new ConfigKeyError(key, this.stage, `must be a whole number, got ${String(v)}`);
    return v;
  }

  /** A HEALPix resolution: a power of two up to MAX_NSIDE (checked when the executor is constructed, not mid-run). */
  nside(key: string): number {
    const v = this.integer(key);
    if (!isValidNside(v)) throw new ConfigKeyError(key, this.stage, `must be a HEALPix nside, a power of two from 1 to ${String(MAX_NSIDE)}, got ${String(v)}`);
    return v;
  }

  /**
   * A maximum multipole for maps of resolution `nside`: a whole number from 0 to 3·nside − 1,
   * the band limit a HEALPix map of that nside can carry (synthesis beyond it aliases power into
   * lower multipoles). A larger value is refused unless the key beside it,
   * `allow_lmax_above_3nside` (e.g. `scenario.allow_lmax_above_3nside: true`), is true; that
   * key is read only when needed, so it joins the fingerprint only of configurations that pass the limit.
   */
  lmax(key: string, nside: number): number {
    const v = this.integer(key);
    if (v < 0) throw new ConfigKeyError(key, this.stage, `must be a whole number ≥ 0, got ${String(v)}`);
    const limit = 3 * nside - 1;
    if (v <= limit) return v;
    const allowKey = `${key.includes(".") ? key.slice(0, key.lastIndexOf(".") + 1) : ""}allow_lmax_above_3nside`;
    if (this.getOr(allowKey, false) === true) return v;
    throw new ConfigKeyError(
      key,
      this.stage,
      `is ${String(v)}, above 3·nside − 1 = ${String(limit)} for nside ${String(nside)}; set ${allowKey}: true to allow it`,
    );
  }

  /** A string. */
  string(key: string): string {
    const v = this.get(key);
    if (typeof v !== "string") throw new ConfigKeyError(key, this.stage, `must be a string, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A boolean. */
  boolean(key: string): boolean {
    const v = this.get(key);
    if (typeof v !== "boolean") throw new ConfigKeyError(key, this.stage, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A list. */
  list(key: string): readonly ConfigValue[] {
    const v = this.get(key);
    if (!Array.isArray(v)) throw new ConfigKeyError(key, this.stage, `must be a list, got ${JSON.stringify(v)}`);
    return v as readonly ConfigValue[];
  }

  /** A mapping. */
  object(key: string): ConfigObject {
    const v = this.get(key);
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new ConfigKeyError(key, this.stage, `must be a mapping, got ${JSON.stringify(v)}`);
    return v as ConfigObject;
  }

  /** Throws when `key`, a mapping above it or a value below it was left unresolved. */
  #checkResolved(key: string): void {
    for (const [path, why] of this.#unresolved) {
      if (path === key || path.startsWith(`${key}.`) || key.startsWith(`${path}.`)) {
        throw new ConfigKeyError(path, this.stage, `cannot be resolved: ${why}${path === key ? "" : ` (read as part of "${key}")`}`);
      }
    }
  }

  #record(key: string): void {
    if (!this.#reads.has(key)) this.#reads.set(key, this.#phase);
  }

  #find(key: string): ConfigValue | undefined {
    let current: ConfigValue | undefined = this.#root;
    for (const part of key.split(".")) {
      if (current === null || typeof current !== "object") return undefined;
      current = Array.isArray(current) ? (current as readonly ConfigValue[])[Number(part)] : (current as ConfigObject)[part];
    }
    return current;
  }

  #hint(key: string): string {
    const parts = key.split(".");
    const parentKey = parts.slice(0, -1).join(".");
    const parent = parentKey === "" ? this.#root : this.#find(parentKey);
    if (parent === null || typeof parent !== "object" || Array.isArray(parent)) return "";
    const hint = suggestion(parts[parts.length - 1] ?? "", Object.keys(parent));
    return hint === undefined ? "" : `; ${hint}`;
  }
}
