/**
 * `EmptyHandler`: for assets that only name a path — a folder another tool fills, a file a stage
 * manages itself, a place-holder output whose path other stages need. The asset's `path` is the
 * whole point; the handler does no I/O at all.
 *
 * - `read` returns `undefined` and does not look at the file system (the path may not exist).
 * - `write` creates nothing, not even the temporary file. The Asset layer must therefore not
 *   rename a temporary file into place for this handler (it should skip the rename when the
 *   handler left no file behind).
 */
import type { AssetHandler, HandlerOptions } from "./handler.js";

/** `EmptyHandler`: `read` resolves to `undefined`, `write` does nothing. */
export const EmptyHandler: AssetHandler<undefined> = {
  name: "EmptyHandler",
  read(_path: string, _options?: HandlerOptions): Promise<undefined> {
    return Promise.resolve(undefined);
  },
  async write(_path: string, _data: undefined, _options?: HandlerOptions & { readonly finalPath?: string }): Promise<void> {
    // Intentionally nothing: see the module comment.
  },
};
