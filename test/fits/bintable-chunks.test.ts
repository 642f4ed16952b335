import { describe, expect, it } from "vitest";
import { layoutBinaryTableFile } from "../../src/fits/bintable-writer.js";
import type { ColumnToWrite } from "../../src/fits/bintable-writer.js";

/** A column of `n` float32 values from `seed`. */
function column(name: string, n: number, seed: number): ColumnToWrite {
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(seed + i * 0.37) * 1e3;
  return { name, code: "E", data };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe("binary table chunks", () => {
  // Chunks share scratch buffers between files: two files written at once (their chunks
  // interleaving, as concurrent writes awaiting the disk do) must each get their own bytes.
  it("give each of two files written at once exactly its own bytes, and again for files written after", () => {
    const a = layoutBinaryTableFile("a.fits", [column("T", 40_000, 1)], 1024, []);
    const b = layoutBinaryTableFile("b.fits", [column("T", 30_720, 2), column("Q", 30_720, 3)], 1024, []);
    const iterA = a.chunks(16_384)[Symbol.iterator]();
    const iterB = b.chunks(20_000)[Symbol.iterator]();
    const gotA: Uint8Array[] = [];
    const gotB: Uint8Array[] = [];
    for (let doneA = false, doneB = false; !doneA || !doneB; ) {
      // Each chunk is copied as soon as it is given: it is valid only until its iterator moves on.
      if (!doneA) {
        const next = iterA.next();
        if (next.done === true) doneA = true;
        else gotA.push(next.value.slice());
      }
      if (!doneB) {
        const next = iterB.next();
        if (next.done === true) doneB = true;
        else gotB.push(next.value.slice());
      }
    }
    expect(Buffer.from(concat(gotA)).equals(a.encode())).toBe(true);
    expect(Buffer.from(concat(gotB)).equals(b.encode())).toBe(true);
    // A smaller file after them, with a buffer given back by a larger one.
    const c = layoutBinaryTableFile("c.fits", [column("T", 1024, 4)], 1024, []);
    expect(Buffer.from(concat([...c.chunks(16_384)].map((p) => p.slice()))).equals(c.encode())).toBe(true);
  });

  it("give the buffer back when a write stops half-way, and the next file is still right", () => {
    const a = layoutBinaryTableFile("a.fits", [column("T", 40_000, 5)], 1024, []);
    for (const part of a.chunks(16_384)) if (part.length > 0) break; // a failed write leaves the loop
    const b = layoutBinaryTableFile("b.fits", [column("T", 40_000, 6)], 1024, []);
    const again = layoutBinaryTableFile("b2.fits", [column("T", 40_000, 6)], 1024, []);
    const iterB = b.chunks(16_384)[Symbol.iterator]();
    const iterAgain = again.chunks(16_384)[Symbol.iterator]();
    const gotB: Uint8Array[] = [];
    const gotAgain: Uint8Array[] = [];
    for (;;) {
      const x = iterB.next();
      const y = iterAgain.next();
      if (x.done === true || y.done === true) break;
      gotB.push(x.value.slice());
      gotAgain.push(y.value.slice());
    }
    expect(Buffer.from(concat(gotB)).equals(b.encode())).toBe(true);
    expect(Buffer.from(concat(gotAgain)).equals(again.encode())).toBe(true);
  });
});
