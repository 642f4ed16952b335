/**
 * The one error type of src/fits: an expected failure reading or writing a FITS file,
 * with the file's path and a sentence saying what is wrong.
 */

/** Why a FITS operation failed, as a kebab-case tag callers can switch on. */
export type FitsFailureReason =
  | "not-fits"
  | "truncated"
  | "bad-header"
  | "bad-nside"
  | "unsupported-tform"
  | "no-such-column"
  | "no-such-hdu"
  | "not-a-table"
  | "bad-input"
  | "file-exists";

/**
 * A malformed or unsupported FITS file, or bad arguments to a writer.
 * `message` is `"<path>: <sentence>"`, the same shape as the handlers' `HandlerError`;
 * `path` is `"<buffer>"` when decoding bytes that came from no file.
 */
export class FitsError extends Error {
  override readonly name = "FitsError";
  constructor(
    /** The file the error is about. */
    readonly path: string,
    /** Machine-readable cause. */
    readonly reason: FitsFailureReason,
    /** The sentence after `"<path>: "`. */
    readonly detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

/** Placeholder path used in messages when bytes are decoded without a file name. */
export const BUFFER_PATH = "<buffer>";
