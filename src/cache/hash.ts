/**
 * Content digests for the cache: 64-bit xxHash (XXH64, seed 0) from xxhash-wasm, written as
 * 16 lowercase hex digits. xxHash is not cryptographic; it guards against accidental change
 * (edited files, changed parameters), not against an adversary crafting collisions.
 *
 * The WASM module is instantiated once per thread (worker threads get their own) and shared:
 * `await hasher()` is cheap after the first call.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import type { Stats } from "node:fs";
import { open } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { kindOf } from "./cache-damage.js";
import xxhash from "xxhash-wasm";
import type { XXHashAPI } from "xxhash-wasm";

/** A file's content digest and its length in bytes as read. */
export interface FileDigest {
  /** 16 lowercase hex digits (XXH64, seed 0). */
  readonly digest: string;
  /** Bytes read. */
  readonly size: number;
}

/** An incremental digest, for content that arrives in pieces (an output digested while it is written). */
export interface DigestStream {
  /** Adds bytes (or a string, hashed as UTF-8). Returns the stream for chaining. */
  update(chunk: Uint8Array | string): DigestStream;
  /** The digest of everything added so far; equal to `digestBytes` of the concatenation. May be called again after more updates. */
  digest(): string;
}

/**
 * Opening flags for reading a file's content: O_NONBLOCK, so that opening a FIFO (or another
 * special file) put where a file should be returns at once instead of waiting for a writer
 * for ever, which would hang the run and every command that reads outputs. It changes nothing
 * for regular files.
 */
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/**
 * The error for content read from something that is not a regular file: code `EISDIR` for a
 * folder (as the read itself would fail), `EFTYPE` for anything else (a FIFO, a device, a
 * socket). Callers take both as "not a file": a content that matches no file's digest.
 */
export class NotAFileError extends Error {
  override readonly name = "NotAFileError";
  constructor(
    readonly path: string,
    readonly code: "EISDIR" | "EFTYPE",
    kind: string,
  ) {
    super(`${path} is ${kind}, not a regular file`);
  }
}

/** True for the errors of reading content from something that is not a regular file. */
export function isNotAFile(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "EISDIR" || code === "EFTYPE";
}

/** Throws {@link NotAFileError} when `stats` (of `path`, opened) are not a regular file's. */
function refuseUnlessFile(path: string, stats: Stats): void {
  if (!stats.isFile()) throw new NotAFileError(path, stats.isDirectory() ? "EISDIR" : "EFTYPE", kindOf(stats));
}

/** Opens `path` for reading its content; throws {@link NotAFileError} unless it is a regular file. */
export function openRegularSync(path: string): number {
  const fd = openSync(path, READ_FLAGS);
  try {
    refuseUnlessFile(path, fstatSync(fd));
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** {@link openRegularSync}, asynchronously. */
export async function openRegular(path: string): Promise<FileHandle> {
  const handle = await open(path, READ_FLAGS);
  try {
    refuseUnlessFile(path, await handle.stat());
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** A whole file's bytes, read only when it is a regular file (see {@link openRegular}). */
export async function readRegularFile(path: string): Promise<Buffer> {
  const handle = await openRegular(path);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** The project's one hash function. Every method gives the same digest for the same bytes. */
export interface Hasher {
  /** Digest of a string's UTF-8 bytes. */
  digestString(text: string): string;
  /**
   * Digest of bytes held in memory. The bytes are copied into WASM memory, which grows to the
   * largest input and stays that size: for files and large data use `streamFile` or `createStream`.
   */
  digestBytes(bytes: Uint8Array): string;
  /** A fresh incremental digest. */
  createStream(): DigestStream;
  /** Digest of a file's content, read in bounded chunks (`STREAM_CHUNK_BYTES`); rejects with the fs error (e.g. ENOENT). */
  streamFile(path: string): Promise<FileDigest>;
  /** Synchronous `streamFile`, for synchronous callers (e.g. digesting source files while walking an import graph). */
  digestFileSync(path: string): FileDigest;
  /** Digest of what is left to read on an open descriptor (from its current position), read synchronously; the caller owns `fd`. */
  digestFdSync(fd: number): FileDigest;
}

/**
 * Read size for `streamFile` and `digestFileSync`, in bytes (1 MiB). Measured on a 48 MiB file
 * in the page cache (scripts/bench-state-store.ts prints it): 256 KiB–1 MiB chunks digest at
 * ~3 GB/s, about 3× faster than `readFile` + one-shot digest (which allocates the whole file and
 * then copies it into WASM memory, growing it), and faster than 64 KiB chunks (more thread-pool
 * round trips). Memory stays bounded at one chunk per file being digested.
 */
export const STREAM_CHUNK_BYTES = 1 << 20;

const SEED = 0n;

let instance: Promise<Hasher> | undefined;

/** The shared hasher (memoised; the first call instantiates the WASM module). */
export function hasher(): Promise<Hasher> {
  instance ??= xxhash().then(makeHasher);
  return instance;
}

function hex(value: bigint): string {
  return value.toString(16).padStart(16, "0");
}

function makeHasher(api: XXHashAPI): Hasher {
  const createStream = (): DigestStream => {
    // xxhash-wasm keeps each stream's state on the JS side and copies it into WASM memory for
    // every update, so interleaved streams (concurrent streamFile calls) do not disturb each other.
    const state = api.create64(SEED);
    const stream: DigestStream = {
      update(chunk) {
        state.update(chunk);
        return stream;
      },
      digest: () => hex(state.digest()),
    };
    return stream;
  };
  // One read buffer for every synchronous digest on this thread: a synchronous read cannot
  // interleave with another, and a fresh 1 MiB buffer per file cost 0.5–2 ms of allocation and
  // page faults here, 65–260 ms for the 136 files of a stage's code closure, against 3 ms reused.
  const syncBuffer = new Uint8Array(STREAM_CHUNK_BYTES);
  const digestFdSync = (fd: number): FileDigest => {
    const buffer = syncBuffer;
    const stream = createStream();
    let size = 0;
    for (;;) {
      const bytesRead = readSync(fd, buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      stream.update(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { digest: stream.digest(), size };
  };
  return {
    digestString: (text) => hex(api.h64(text, SEED)),
    digestBytes: (bytes) => hex(api.h64Raw(bytes, SEED)),
    createStream,
    async streamFile(path) {
      const handle = await openRegular(path);
      try {
        // Concurrent digests each need their own buffer; sized to the file (read on until the
        // end all the same, should it grow), a small file does not pay for a whole chunk.
        const { size: expected } = await handle.stat();
        const buffer = new Uint8Array(Math.min(STREAM_CHUNK_BYTES, Math.max(4096, expected + 1)));
        const stream = createStream();
        let size = 0;
        for (;;) {
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) break;
          stream.update(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
          size += bytesRead;
        }
        return { digest: stream.digest(), size };
      } finally {
        await handle.close();
      }
    },
    digestFileSync(path) {
      const fd = openRegularSync(path);
      try {
        return digestFdSync(fd);
      } finally {
        closeSync(fd);
      }
    },
    digestFdSync,
  };
}
