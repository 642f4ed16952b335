/**
 * Big-endian ⇄ host byte order for whole arrays at once. FITS data are big-endian; x86 and ARM
 * hosts are little-endian, so every multi-byte column is swapped once after it is gathered.
 * Node's Buffer#swap16/32/64 does the swap in native code for arrays of more than a few
 * hundred bytes, several times faster than a JavaScript loop over a DataView.
 */
import { Buffer } from "node:buffer";

/** True on little-endian hosts (all platforms Node supports in practice). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * Reverses the byte order of every `width`-byte element of `bytes` in place when the host is
 * little-endian (a no-op on big-endian hosts). `bytes.length` must be a multiple of `width`.
 */
export function swapToHost(bytes: Uint8Array, width: 1 | 2 | 4 | 8): void {
  if (!HOST_LITTLE_ENDIAN || width === 1 || bytes.length === 0) return;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (width === 2) b.swap16();
  else if (width === 4) b.swap32();
  else b.swap64();
}

/** Same as {@link swapToHost}: the swap is its own inverse, so host → big-endian is the same operation. */
export const swapToBigEndian = swapToHost;
