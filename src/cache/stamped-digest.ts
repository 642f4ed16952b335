/**
 * A file's content digest paired with the stamp (device, inode, size, mtime, ctime) of the
 * very file that was read: both come from one open descriptor, stamped with `fstat` before
 * and after the read. A stamp taken later with `stat(path)` could belong to another file put
 * at the same path in between (another run writing the same data folder), and the memo would
 * then serve this digest for that file's bytes.
 */
import { closeSync, fstatSync } from "node:fs";
import type { BigIntStats } from "node:fs";
import type { Result } from "../diagnostics/result.js";
import { err, ok } from "../diagnostics/result.js";
import type { StatKey } from "./file-digests.js";
import type { Hasher } from "./hash.js";
import { openRegularSync } from "./hash.js";

/**
 * A file's stamp as plain data (decimal strings, so it crosses threads and JSON alike):
 * what the digest memo is keyed by, plus ctime, which also moves when a file is changed
 * with its mtime set back.
 */
export interface FileStamp {
  readonly dev: string;
  readonly ino: string;
  readonly size: string;
  /** Modification time, ns since the epoch. */
  readonly mtimeNs: string;
  /** Status-change time, ns since the epoch. */
  readonly ctimeNs: string;
}

/** A digest and the stamp of the file it was read from. */
export interface StampedDigest {
  readonly digest: string;
  readonly size: number;
  readonly stamp: FileStamp;
}

/** Why a stamped digest could not be taken. */
export type StampedDigestFailure = { readonly reason: "changed-while-digested"; readonly path: string };

/** The stamp of a bigint stat. */
export function stampOf(s: Pick<BigIntStats, "dev" | "ino" | "size" | "mtimeNs" | "ctimeNs">): FileStamp {
  return { dev: s.dev.toString(), ino: s.ino.toString(), size: s.size.toString(), mtimeNs: s.mtimeNs.toString(), ctimeNs: s.ctimeNs.toString() };
}

/** The memo key of a stamp (see FileDigestCache.remember). */
export function statKeyOf(stamp: FileStamp): StatKey & { readonly ctimeNs: bigint } {
  return { dev: BigInt(stamp.dev), ino: BigInt(stamp.ino), size: BigInt(stamp.size), mtimeNs: BigInt(stamp.mtimeNs), ctimeNs: BigInt(stamp.ctimeNs) };
}

/** Whether two stamps name the same file in the same state. */
export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.size === b.size && a.ino === b.ino && a.dev === b.dev;
}

/**
 * Opens `path`, stamps it, digests it through the same descriptor and stamps it again; fails
 * with `changed-while-digested` when the two stamps differ or the bytes read do not match the
 * stamped size (a writer was at work on the file). Other I/O errors (ENOENT, ...) throw.
 * Synchronous: it runs in the worker thread right after the output was committed.
 */
export function stampedDigestSync(hasher: Pick<Hasher, "digestFdSync">, path: string): Result<StampedDigest, StampedDigestFailure> {
  const fd = openRegularSync(path);
  try {
    const before = stampOf(fstatSync(fd, { bigint: true }));
    const read = hasher.digestFdSync(fd);
    const after = stampOf(fstatSync(fd, { bigint: true }));
    if (!sameStamp(before, after) || BigInt(read.size).toString() !== after.size) return err({ reason: "changed-while-digested", path });
    return ok({ digest: read.digest, size: read.size, stamp: after });
  } finally {
    closeSync(fd);
  }
}

/** The user-facing message of a stamped-digest failure. */
export function stampedDigestMessage(failure: StampedDigestFailure): string {
  return `${failure.path} changed while being digested (another process wrote it at the same time); it is not recorded, so the next run makes it again`;
}
