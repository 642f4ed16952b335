/**
 * `Mover`: for outputs that some other code has already written somewhere (an external tool, a
 * download, a library that insists on choosing its own file name). `write(path, sourcePath)` moves
 * the file (or folder) at `sourcePath` to `path` — a rename when both are on the same file system,
 * otherwise a copy followed by removing the source. `read(path)` checks the file exists and
 * returns its path, for stages that hand the path on to other tools.
 */
import { cp, rename, rm, stat } from "node:fs/promises";

import { HandlerError } from "./handler.js";
import type { AssetHandler, HandlerOptions } from "./handler.js";
import { describeValue, reportedPath } from "./plain-text.js";

function errorCode(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/** `Mover`: `write` moves `sourcePath` to `path`; `read` returns `path` once it exists. */
export const Mover: AssetHandler<string> = {
  name: "Mover",
  async read(path: string, _options?: HandlerOptions): Promise<string> {
    try {
      await stat(path);
    } catch (error) {
      throw new HandlerError(path, errorCode(error) === "ENOENT" ? "file does not exist" : `cannot read file: ${String(error)}`);
    }
    return path;
  },
  async write(path: string, sourcePath: string, options?: HandlerOptions & { readonly finalPath?: string }): Promise<void> {
    const where = reportedPath(path, options);
    if (typeof sourcePath !== "string") {
      throw new HandlerError(where, `Mover expects the path of the file to move, got ${describeValue(sourcePath)}`);
    }
    try {
      await rename(sourcePath, path);
    } catch (error) {
      const code = errorCode(error);
      if (code === "ENOENT") {
        throw new HandlerError(where, `cannot move ${sourcePath} here: it does not exist`);
      }
      if (code !== "EXDEV") {
        throw new HandlerError(where, `cannot move ${sourcePath} here: ${error instanceof Error ? error.message : String(error)}`);
      }
      // Different file systems: copy, then remove the source only once the copy is complete.
      await cp(sourcePath, path, { recursive: true, errorOnExist: true, force: false, preserveTimestamps: true });
      await rm(sourcePath, { recursive: true });
    }
  },
};
