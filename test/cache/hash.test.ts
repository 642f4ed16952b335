import { randomFillSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasher, STREAM_CHUNK_BYTES } from "../../src/cache/hash.js";

describe("hasher", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-hash-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is XXH64 with seed 0 as 16 lowercase hex digits (published test vectors)", async () => {
    const h = await hasher();
    expect(h.digestString("")).toBe("ef46db3751d8e999");
    expect(h.digestString("abc")).toBe("44bc2cf5ad770999");
    expect(h.digestBytes(new Uint8Array())).toBe("ef46db3751d8e999");
  });

  it("is one shared instance", async () => {
    expect(await hasher()).toBe(await hasher());
  });

  it("digests a string as its UTF-8 bytes", async () => {
    const h = await hasher();
    expect(h.digestString("héllo ✓")).toBe(h.digestBytes(new TextEncoder().encode("héllo ✓")));
  });

  it("gives the same digest streamed across chunk boundaries, one-shot, sync and incremental", async () => {
    const h = await hasher();
    const bytes = new Uint8Array(2 * STREAM_CHUNK_BYTES + 123);
    randomFillSync(bytes);
    const path = join(dir, "big.bin");
    writeFileSync(path, bytes);
    const expected = h.digestBytes(bytes);
    expect(await h.streamFile(path)).toEqual({ digest: expected, size: bytes.length });
    expect(h.digestFileSync(path)).toEqual({ digest: expected, size: bytes.length });
    const stream = h.createStream();
    for (let at = 0; at < bytes.length; at += 1000) stream.update(bytes.subarray(at, at + 1000));
    expect(stream.digest()).toBe(expected);
  });

  it("gives each file its own digest when one read buffer serves many files, longer before shorter", async () => {
    const h = await hasher();
    // Sizes around the chunk and the small-file buffer, longest first: bytes a longer file left
    // in a reused buffer must never reach a shorter file's digest.
    const sizes = [STREAM_CHUNK_BYTES + 17, STREAM_CHUNK_BYTES, 70_000, 4097, 4096, 4095, 10, 1, 0];
    const files = sizes.map((size, i) => {
      const bytes = new Uint8Array(size);
      randomFillSync(bytes);
      const path = join(dir, `seq${String(i)}.bin`);
      writeFileSync(path, bytes);
      return { path, expected: { digest: h.digestBytes(bytes), size } };
    });
    for (const f of files) expect(h.digestFileSync(f.path)).toEqual(f.expected);
    for (const f of files) expect(await h.streamFile(f.path)).toEqual(f.expected);
    for (const f of [...files].reverse()) expect(h.digestFileSync(f.path)).toEqual(f.expected);
  });

  it("keeps concurrent streams apart", async () => {
    const h = await hasher();
    const files = [0, 1, 2, 3].map((i) => {
      const bytes = new Uint8Array(STREAM_CHUNK_BYTES + 1000 * i);
      randomFillSync(bytes);
      const path = join(dir, `f${String(i)}.bin`);
      writeFileSync(path, bytes);
      return { path, expected: h.digestBytes(bytes) };
    });
    const digests = await Promise.all(files.map((f) => h.streamFile(f.path)));
    expect(digests.map((d) => d.digest)).toEqual(files.map((f) => f.expected));
    const a = h.createStream().update("ab");
    const b = h.createStream().update("x");
    a.update("c");
    b.update("yz");
    expect([a.digest(), b.digest()]).toEqual([h.digestString("abc"), h.digestString("xyz")]);
  });

  it("rejects for a missing file", async () => {
    const h = await hasher();
    await expect(h.streamFile(join(dir, "missing"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});
