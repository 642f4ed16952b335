/**
 * Walking the HDUs of a FITS file held in memory: each header, where its data starts and how
 * many bytes it has (FITS 4.0 §4.4.1: |BITPIX|/8 · GCOUNT · (PCOUNT + NAXIS1 · … · NAXISn)).
 */
import { FitsError } from "./errors.js";
import { padToBlock, parseHeaderAt } from "./header.js";
import type { FitsHeader } from "./header.js";

/** What an HDU holds. `unknown` covers conforming extensions cmbflow does not interpret (e.g. IUEIMAGE). */
export type HduKind = "primary" | "image" | "bintable" | "table" | "unknown";

/** One header-and-data unit of a parsed file. The data are not decoded until a column is read. */
export interface FitsHdu {
  /** 0 for the primary HDU. */
  readonly index: number;
  /** What the HDU holds, from its position and XTENSION. */
  readonly kind: HduKind;
  /** The HDU's cards. */
  readonly header: FitsHeader;
  /** Byte offset of the data in {@link FitsHdu.bytes}. */
  readonly dataOffset: number;
  /** Data length in bytes including any heap, excluding the block padding. */
  readonly dataBytes: number;
  /** The whole file's bytes (shared by every HDU of the file). */
  readonly bytes: Uint8Array;
  /** File name used in error messages. */
  readonly path: string;
}

/** A parsed FITS file: its bytes and its HDUs in order. */
export interface FitsFile {
  /** File name used in error messages (`<buffer>` for bytes from no file). */
  readonly path: string;
  /** The whole (decompressed) file. */
  readonly bytes: Uint8Array;
  /** The HDUs in file order, the primary HDU first. */
  readonly hdus: readonly FitsHdu[];
}

function hduKind(index: number, header: FitsHeader): HduKind {
  if (index === 0) return "primary";
  switch (header.getString("XTENSION")?.trim().toUpperCase()) {
    case "BINTABLE":
    case "A3DTABLE":
      return "bintable";
    case "TABLE":
      return "table";
    case "IMAGE":
      return "image";
    case undefined:
    default:
      return "unknown";
  }
}

function dataLength(path: string, index: number, header: FitsHeader): number {
  const bitpix = header.getInteger("BITPIX");
  const naxis = header.getInteger("NAXIS");
  if (bitpix === undefined || ![8, 16, 32, 64, -32, -64].includes(bitpix)) {
    throw new FitsError(path, "bad-header", `HDU ${index} has no valid BITPIX (8, 16, 32, 64, -32 or -64)`);
  }
  if (naxis === undefined || naxis < 0 || naxis > 999) {
    throw new FitsError(path, "bad-header", `HDU ${index} has no valid NAXIS`);
  }
  if (naxis === 0) return 0;
  // Random groups (primary, GROUPS = T, NAXIS1 = 0): NAXIS1 does not count.
  const groups = index === 0 && header.getBoolean("GROUPS") === true && header.getInteger("NAXIS1") === 0;
  let n = 1;
  for (let k = groups ? 2 : 1; k <= naxis; k++) {
    const len = header.getInteger(`NAXIS${k}`);
    if (len === undefined || len < 0) throw new FitsError(path, "bad-header", `HDU ${index} has no valid NAXIS${k}`);
    n *= len;
  }
  const pcount = header.getInteger("PCOUNT") ?? 0;
  const gcount = header.getInteger("GCOUNT") ?? 1;
  return (Math.abs(bitpix) / 8) * gcount * (pcount + n);
}

/**
 * Parses every HDU of an in-memory FITS file. Data bytes are referenced, not copied.
 * Throws a FitsError when the first card is not `SIMPLE = T` (`not-fits`) or the file ends
 * before a header's END card or an HDU's data (`truncated`, with expected and actual sizes).
 * Bytes after the last HDU that do not start with `XTENSION=` are ignored (FITS allows special records there).
 */
export function parseFits(bytes: Uint8Array, path: string): FitsFile {
  const first = String.fromCharCode(...bytes.subarray(0, 80));
  if (!/^SIMPLE {2}= +T( |$)/.test(first)) {
    throw new FitsError(path, "not-fits", "not a FITS file: it does not start with the card SIMPLE = T");
  }
  const hdus: FitsHdu[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const index = hdus.length;
    if (index > 0 && String.fromCharCode(...bytes.subarray(offset, offset + 9)) !== "XTENSION=") break;
    const { header, dataOffset } = parseHeaderAt(bytes, offset, path, index);
    const dataBytes = dataLength(path, index, header);
    const end = dataOffset + dataBytes;
    if (end > bytes.length) {
      throw new FitsError(
        path,
        "truncated",
        `truncated file: expected at least ${end} bytes (HDU ${index} data ends there), found ${bytes.length}`,
      );
    }
    hdus.push({ index, kind: hduKind(index, header), header, dataOffset, dataBytes, bytes, path });
    offset = dataOffset + padToBlock(dataBytes);
  }
  return { path, bytes, hdus };
}

/** The HDU at `index`, or a FitsError (`no-such-hdu`) saying how many HDUs the file has. */
export function hduAt(file: FitsFile, index: number): FitsHdu {
  const hdu = file.hdus[index];
  if (!hdu) {
    throw new FitsError(
      file.path,
      "no-such-hdu",
      `HDU ${index} does not exist: the file has ${file.hdus.length} HDU${file.hdus.length === 1 ? "" : "s"} (0…${file.hdus.length - 1})`,
    );
  }
  return hdu;
}
