/**
 * Putting encoded bytes at a path: refuse to replace an existing file unless asked, gzip when
 * the name ends in `.gz`, and (by default) write a temporary file in the same folder and rename
 * it into place, so the final path never holds a half-written file.
 *
 * Large files are written chunk by chunk from a {@link ChunkSource}, so the whole file is never
 * held in memory twice. On ext4, renaming over an existing file makes the kernel start writing
 * the new file's data back at once (auto_da_alloc), so replacing a file costs more than
 * creating one; that is the price of never exposing a partial file.
 */
import { randomBytes } from "node:crypto";
import { access, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { FitsError } from "./errors.js";

const gzipAsync = promisify(gzip);

/** Options shared by the file writers. */
export interface WriteFileOptions {
  /** Replace an existing file (default false, as healpy's `overwrite=False`). */
  readonly overwrite?: boolean;
  /** Write to a temporary file in the same folder and rename it into place (default true). */
  readonly atomic?: boolean;
}

/** A file's bytes produced in order, in chunks that may share one buffer (each valid until the next is requested). */
export interface ChunkSource {
  chunks(): Iterable<Uint8Array>;
  /** The whole file in one buffer (used for gzip). */
  encode(): Uint8Array;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function writeAll(path: string, flags: string, parts: Iterable<Uint8Array>): Promise<void> {
  const fh = await open(path, flags);
  try {
    for (const part of parts) {
      for (let done = 0; done < part.length; ) {
        const { bytesWritten } = await fh.write(part, done, part.length - done);
        done += bytesWritten;
      }
    }
  } finally {
    await fh.close();
  }
}

/**
 * Writes `source` to `path` (gzip-compressed when `path` ends in `.gz`). A FitsError (`file-exists`)
 * when the file exists and `overwrite` is not set; file-system errors are rethrown as they are.
 */
export async function writeFitsBytes(path: string, source: Uint8Array | ChunkSource, options: WriteFileOptions = {}): Promise<void> {
  if (options.overwrite !== true && (await exists(path))) {
    throw new FitsError(path, "file-exists", "the file already exists (pass overwrite: true to replace it)");
  }
  let parts: Iterable<Uint8Array>;
  if (path.toLowerCase().endsWith(".gz")) {
    parts = [await gzipAsync(source instanceof Uint8Array ? source : source.encode())];
  } else {
    parts = source instanceof Uint8Array ? [source] : source.chunks();
  }
  if (options.atomic === false) {
    await writeAll(path, "w", parts);
    return;
  }
  // Same folder as the target, so the rename cannot cross file systems.
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeAll(tmp, "wx", parts);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
