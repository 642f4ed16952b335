/**
 * `PlainText`: a UTF-8 text file read and written as one string, unchanged (no newline added or
 * stripped). Also home of the file-reading helpers the other built-in handlers share, so every
 * handler reports a missing or unreadable file with the same words.
 */
import { readFile, writeFile } from "node:fs/promises";

import { HandlerError } from "./handler.js";
import type { AssetHandler, HandlerOptions } from "./handler.js";

/** What is wrong when a file cannot be read, in words; `undefined` for an error without a known code. */
function describeFsError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case "ENOENT":
      return "file does not exist";
    case "EISDIR":
      return "is a directory, not a file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    default:
      return `cannot read file: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * Reads the whole file at `path` as bytes. A missing file, a directory or an unreadable file
 * becomes a `HandlerError` naming `path` (`<path>: file does not exist`).
 */
export async function readHandlerFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new HandlerError(path, describeFsError(error));
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Reads the file at `path` as UTF-8 text (a leading byte-order mark is kept). Invalid UTF-8 is a
 * `HandlerError` (`<path>: not valid UTF-8 text`), as are the failures of {@link readHandlerFile}.
 */
export async function readHandlerText(path: string): Promise<string> {
  const bytes = await readHandlerFile(path);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new HandlerError(path, "not valid UTF-8 text");
  }
}

/** The path a write error should name: where the file will end up, not the Asset's temporary path. */
export function reportedPath(path: string, options: { readonly finalPath?: string } | undefined): string {
  return options?.finalPath ?? path;
}

/** A short description of a value's type for "expects X, got Y" messages (`number`, `null`, `Float32Array`, `array`, `object`). */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  return typeof value;
}

/** `PlainText`: the file's text as one string; written as UTF-8 exactly as given. */
export const PlainText: AssetHandler<string> = {
  name: "PlainText",
  async read(path: string, _options?: HandlerOptions): Promise<string> {
    return readHandlerText(path);
  },
  async write(path: string, data: string, options?: HandlerOptions & { readonly finalPath?: string }): Promise<void> {
    if (typeof data !== "string") {
      throw new HandlerError(reportedPath(path, options), `PlainText expects a string, got ${describeValue(data)}`);
    }
    await writeFile(path, data, "utf8");
  },
};
