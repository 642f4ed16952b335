/**
 * The AssetHandler contract: the format code behind an Asset. A handler reads and writes one
 * kind of file; the Asset owns the path, the folder creation and the atomic rename, so a
 * handler's `write` is given the temporary path to write to and need not be atomic itself.
 */

/** Options an asset passes through from its pipeline YAML entry (`assets_out.<name>.*` beyond handler/path_template). */
export type HandlerOptions = Readonly<Record<string, unknown>>;

/** Reads and writes one file format. `T` is the in-memory value. */
export interface AssetHandler<T = unknown> {
  /** Registered name, as written in pipeline YAML (`handler: HealpyMap`). */
  readonly name: string;
  /** Reads the file at `path`. Throws a `HandlerError` naming the file for a missing or malformed file. */
  read(path: string, options?: HandlerOptions): Promise<T>;
  /**
   * Writes `data` to `path` (a temporary path the Asset renames into place afterwards).
   * `finalPath` is where the file will end up, for handlers whose output depends on it (e.g. Mover, AppendingCsv).
   */
  write(path: string, data: T, options?: HandlerOptions & { readonly finalPath?: string }): Promise<void>;
}

/** A handler's expected failure: a message naming the file and what is wrong with it. */
export class HandlerError extends Error {
  override readonly name = "HandlerError";
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}
