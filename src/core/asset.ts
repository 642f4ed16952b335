/**
 * Assets (CMB-ML's `Asset`): a named file of a stage, its path formed by the Namer from the
 * path template, read or written by its AssetHandler. Inputs can only be read and outputs can
 * only be written — in the types (the other method takes `never`) and at run time.
 */
import { access, rm } from "node:fs/promises";
import type { AssetHandler, HandlerOptions } from "../handlers/handler.js";
import type { ContextValue, Namer } from "./namer.js";
import { MissingContextKeyError } from "./namer.js";
import type { OutputTransaction } from "./output-transaction.js";
import { OutputPathError } from "./output-transaction.js";
import { errnoCode, fsProblem } from "../cache/cache-file-error.js";

/** What an asset is, independent of any node. */
export interface AssetSpec {
  /** Name in the stage's assets_in / assets_out. */
  readonly name: string;
  /** The stage that uses it. */
  readonly stage: string;
  /** The stage that produces it (for inputs: the `stage:` it names). */
  readonly producer: string;
  /** The producer's dir_name: what `{stage}` means in this asset's path. */
  readonly producerDir: string;
  readonly template: string;
  /** `path_template_alt`: CMB-ML's template for when the context lacks a key `template` needs (no sim, say). */
  readonly templateAlt?: string;
  readonly handler: AssetHandler;
  readonly options: HandlerOptions;
}

/** Misuse of an asset: writing an input, reading an output. */
export class AssetUsageError extends Error {
  override readonly name = "AssetUsageError";
}

/** An input file that is not there. */
export class MissingInputError extends Error {
  override readonly name = "MissingInputError";
  constructor(
    readonly asset: string,
    readonly stage: string,
    readonly producer: string,
    readonly path: string,
  ) {
    super(
      `input "${asset}" of stage "${stage}" is missing: ${path}` +
        (producer === stage ? "" : ` (it is produced by stage "${producer}": run it first, e.g. cmbflow run --until ${producer})`),
    );
  }
}

/** An input file that is there but cannot be read as its handler expects. */
export class InputReadError extends Error {
  override readonly name = "InputReadError";
  constructor(
    readonly asset: string,
    readonly stage: string,
    reason: string,
  ) {
    super(`input "${asset}" of stage "${stage}" cannot be read: ${reason}`);
  }
}

/** What is wrong with the file at `path`, when `caught` is a problem of the file rather than a bug: a handler's or the FITS reader's own error, or a file-system error. */
function dataProblem(caught: unknown, path: string): string | undefined {
  if (!(caught instanceof Error)) return undefined;
  if (caught.name === "HandlerError" || caught.name === "FitsError") return caught.message.includes(path) ? caught.message : `${path}: ${caught.message}`;
  const code = (caught as NodeJS.ErrnoException).code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return `${path}: ${code === "EISDIR" ? "is a directory, not a file" : code === "EACCES" ? "permission denied" : caught.message}`;
  return undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Base of input and output assets: a path from the Namer. */
export abstract class Asset {
  constructor(
    readonly spec: AssetSpec,
    protected readonly namer: Namer,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get pathTemplate(): string {
    return this.spec.template;
  }

  /** The path in the Namer's current context. */
  get path(): string {
    return this.pathFor();
  }

  /** The path with `extra` context added (e.g. `{ freq: 100 }` for one of several files). */
  pathFor(extra: Readonly<Record<string, ContextValue>> = {}): string {
    const context = { ...extra, stage: this.spec.producerDir };
    const alt = this.spec.templateAlt;
    if (alt === undefined) return this.namer.path(this.spec.template, context);
    try {
      return this.namer.path(this.spec.template, context);
    } catch (caught) {
      // As CMB-ML's Asset does: without the per-sim context, the alternative template.
      if (!(caught instanceof MissingContextKeyError)) throw caught;
      return this.namer.path(alt, context);
    }
  }
}

/** An asset the stage reads. */
export class InputAsset<T = unknown> extends Asset {
  /** Reads the file at this asset's path (with `extra` context); a missing file names the producing stage. */
  async read(extra?: Readonly<Record<string, ContextValue>>): Promise<T> {
    const path = this.pathFor(extra);
    if (!(await exists(path))) throw new MissingInputError(this.spec.name, this.spec.stage, this.spec.producer, path);
    try {
      return (await this.spec.handler.read(path, this.spec.options)) as T;
    } catch (caught) {
      // A corrupt, truncated or unreadable file is a fact about the data: one message naming
      // the file. Anything else (a TypeError in a handler, say) is a bug and keeps its stack.
      const reason = dataProblem(caught, path);
      if (reason === undefined) throw caught;
      throw new InputReadError(this.spec.name, this.spec.stage, reason);
    }
  }

  /** Inputs cannot be written. */
  write(..._args: never[]): never {
    throw new AssetUsageError(`asset "${this.spec.name}" is an input of stage "${this.spec.stage}": it can be read, not written`);
  }
}

/** An asset the stage writes; writes go through the node's transaction (atomic, all or nothing). */
export class OutputAsset<T = unknown> extends Asset {
  constructor(
    spec: AssetSpec,
    namer: Namer,
    private readonly transaction: OutputTransaction,
  ) {
    super(spec, namer);
  }

  /** Writes `data` to this asset's path (with `extra` context); the file appears when the node succeeds. */
  async write(data: T, extra?: Readonly<Record<string, ContextValue>>): Promise<void> {
    const finalPath = this.pathFor(extra);
    const temp = this.transaction.tempFor(finalPath);
    try {
      await this.spec.handler.write(temp, data, { ...this.spec.options, finalPath });
    } catch (error) {
      await rm(temp, { force: true });
      // A full disk or a read-only folder is a fact about where the output goes: one message
      // naming the output (the temporary file's name would mean nothing to the user).
      const problem = errnoCode(error) === undefined ? undefined : fsProblem(error);
      if (problem !== undefined) throw new OutputPathError(finalPath, problem);
      throw error;
    }
    // A handler may write nothing (EmptyHandler): then there is nothing to publish.
    if (!(await exists(temp))) return;
    await this.transaction.stage(finalPath, temp);
  }

  /** Outputs cannot be read through the asset. */
  read(..._args: never[]): never {
    throw new AssetUsageError(
      `asset "${this.spec.name}" is an output of stage "${this.spec.stage}": it can be written, not read (to read an earlier run's output, list it under assets_in with stage: ${this.spec.stage})`,
    );
  }
}
