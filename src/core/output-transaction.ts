/**
 * A node's outputs are written to temporary files beside their final paths and renamed into
 * place together when the node succeeds; when it fails they are removed. So a failed or
 * interrupted node never leaves a half-written file at an output path, and a file at an
 * output path is always complete.
 */
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

let counter = 0;

/** The pending outputs of one node. */
export class OutputTransaction {
  readonly #pending = new Map<string, string>();

  /** A fresh temporary path beside `finalPath` (same folder, so the rename is atomic), its folder created. */
  async tempFor(finalPath: string): Promise<string> {
    const dir = dirname(finalPath);
    await mkdir(dir, { recursive: true });
    counter += 1;
    return join(dir, `.${basename(finalPath)}.cmbflow-${String(process.pid)}-${String(counter)}.tmp`);
  }

  /** Records that `tempPath` holds the content for `finalPath`; a second write to the same final path replaces the first. */
  async stage(finalPath: string, tempPath: string): Promise<void> {
    const previous = this.#pending.get(finalPath);
    this.#pending.set(finalPath, tempPath);
    if (previous !== undefined && previous !== tempPath) await rm(previous, { force: true });
  }

  /** The final paths written so far, in order. */
  get paths(): readonly string[] {
    return [...this.#pending.keys()];
  }

  /** Renames every pending file into place. */
  async commit(): Promise<void> {
    for (const [finalPath, tempPath] of this.#pending) await rename(tempPath, finalPath);
    this.#pending.clear();
  }

  /** Removes every pending file. */
  async abort(): Promise<void> {
    await Promise.all([...this.#pending.values()].map((p) => rm(p, { force: true })));
    this.#pending.clear();
  }
}
