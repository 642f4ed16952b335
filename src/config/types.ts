/**
 * The contract of the configuration loader (compose → override → interpolate → validate).
 * The graph compiler and the CLI depend only on these types.
 */
import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";

/** A plain configuration value as YAML produces it. */
export type ConfigValue = null | boolean | number | string | readonly ConfigValue[] | ConfigObject;
export interface ConfigObject {
  readonly [key: string]: ConfigValue;
}

/** A key path from the root, e.g. `["pipeline", "make_cmb", "assets_out", "cmb_map"]`. */
export type KeyPath = readonly (string | number)[];

/** One configuration file read while composing. */
export interface ConfigSource {
  /** Absolute path. */
  readonly path: string;
  /** Path relative to the config directory, e.g. `pipeline/pipe_sim.yaml`. */
  readonly relativePath: string;
  /** The file's text, exactly as read. */
  readonly text: string;
}

/** Where the config comes from. */
export interface LoadOptions {
  /** Config folder; default `./cfg` relative to `cwd`. */
  readonly configDir: string;
  /** Primary config file name without `.yaml`; default `config`. */
  readonly configName: string;
  /** Command-line overrides in Hydra syntax: `a.b=1`, `group=option`, `+new.key=v`, `~key`. */
  readonly overrides: readonly string[];
  /** Environment for `${oc.env:...}`; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The instant every `${now:...}` formats; default the moment of loading. */
  readonly now?: Date;
  /**
   * True for a resolved configuration known to have passed validation before (a memo, see
   * validated-memo.ts): it is not checked again. Called only when nothing else failed.
   */
  readonly knownValid?: (resolved: ConfigObject) => boolean;
}

/**
 * A value whose interpolation failed where nothing cmbflow needs reads it: not an error (as in
 * OmegaConf) until something reads it. Its resolved value is null.
 */
export interface UnresolvedValue {
  readonly path: KeyPath;
  /** Why: the located diagnostics of the failure (a missing key, an unset variable, ...). */
  readonly causes: readonly Diagnostic[];
}

/** The composed, interpolated and validated configuration. */
export interface LoadedConfig {
  /** Composed with overrides applied, `${...}` left as written. */
  readonly raw: ConfigObject;
  /** Fully interpolated. */
  readonly resolved: ConfigObject;
  /** File and span that set the value at `path` (the override's text position is not a file: undefined). */
  readonly origin: (path: KeyPath) => SourceLocation | undefined;
  /** Every file read, in the order read. */
  readonly sources: readonly ConfigSource[];
  /** The overrides as given. */
  readonly overrides: readonly string[];
  /** Chosen option per config group, e.g. `{ splits: "3-3", pipeline: "assembly_sim" }`. */
  readonly choices: Readonly<Record<string, string>>;
  /** Non-fatal findings (warnings and notes). */
  readonly warnings: readonly Diagnostic[];
  /** Values left unresolved because nothing cmbflow needs reads them (absent: none). */
  readonly unresolved?: readonly UnresolvedValue[];
}
