/**
 * Diagnostics: user-facing errors and warnings about configuration and pipelines, with the
 * place in a source file they concern. Collected, then rendered together (see render.ts).
 */

/** A span in a source file. Lines and columns are 1-based; `endColumn` is exclusive. */
export interface SourceLocation {
  /** Absolute path of the file (rendered relative to the working directory). */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Defaults to `line`. */
  readonly endLine?: number;
  /** Defaults to `column + 1`. */
  readonly endColumn?: number;
}

/** `note`: information the user may want (something kept but not used), never a problem. */
export type Severity = "error" | "warning" | "note";

/** One problem found in the user's input. */
export interface Diagnostic {
  readonly severity: Severity;
  /** One sentence naming the value at fault, e.g. `unknown stage "make_cmbb" in assets_in.cmb_map.stage`. */
  readonly message: string;
  /** Where it is; absent for problems with no single place (e.g. an override on the command line). */
  readonly location?: SourceLocation;
  /** Extra lines shown under the source excerpt: "did you mean", the options that exist, a cycle's edges. */
  readonly notes?: readonly string[];
}

/** Convenience constructor for an error diagnostic. */
export function error(message: string, location?: SourceLocation, notes?: readonly string[]): Diagnostic {
  return {
    severity: "error",
    message,
    ...(location === undefined ? {} : { location }),
    ...(notes === undefined || notes.length === 0 ? {} : { notes }),
  };
}

/** Convenience constructor for a warning diagnostic. */
export function warning(message: string, location?: SourceLocation, notes?: readonly string[]): Diagnostic {
  return { ...error(message, location, notes), severity: "warning" };
}

/** Convenience constructor for a note: information, not a problem (counted neither as error nor warning). */
export function note(message: string, location?: SourceLocation, notes?: readonly string[]): Diagnostic {
  return { ...error(message, location, notes), severity: "note" };
}
