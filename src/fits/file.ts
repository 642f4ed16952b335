/**
 * Getting a FITS file into memory: one read of the whole file, gunzipped when it is gzip
 * (recognised by its magic bytes, so `.fits.gz` and misnamed files both work), then parsed.
 */
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { gunzip, gunzipSync } from "node:zlib";
import { BUFFER_PATH, FitsError } from "./errors.js";
import { parseFits } from "./hdu.js";
import type { FitsFile } from "./hdu.js";

const gunzipAsync = promisify(gunzip);

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function gunzipError(path: string, e: unknown): FitsError {
  return new FitsError(path, "truncated", `corrupt or truncated gzip data (${e instanceof Error ? e.message : String(e)})`);
}

/**
 * Reads a file's bytes, decompressing gzip. Errors from the file system (ENOENT, EACCES)
 * are rethrown as they are; corrupt gzip data is a FitsError (`truncated`).
 */
export async function loadFitsBytes(path: string): Promise<Uint8Array> {
  const raw = await readFile(path);
  if (!isGzip(raw)) return raw;
  try {
    return await gunzipAsync(raw);
  } catch (e) {
    throw gunzipError(path, e);
  }
}

/** Synchronous counterpart of {@link loadFitsBytes} for bytes already in memory. */
export function unzipIfGzip(bytes: Uint8Array, path: string = BUFFER_PATH): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw gunzipError(path, e);
  }
}

/**
 * Reads and parses a FITS file (plain or gzip) from a path, or parses bytes already in memory
 * (not copied, never modified). Columns are decoded only when {@link readColumn} asks.
 */
export async function readFits(source: string | Uint8Array): Promise<FitsFile> {
  if (typeof source === "string") return parseFits(await loadFitsBytes(source), source);
  return parseFits(unzipIfGzip(source), BUFFER_PATH);
}

/** Synchronous {@link readFits} for bytes in memory (e.g. in a worker thread); `path` names them in errors. */
export function decodeFits(bytes: Uint8Array, path: string = BUFFER_PATH): FitsFile {
  return parseFits(unzipIfGzip(bytes, path), path);
}
