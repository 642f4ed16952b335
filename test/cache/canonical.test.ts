import { describe, expect, it } from "vitest";
import { canonicalJson, digestRecord } from "../../src/cache/canonical.js";
import { hasher } from "../../src/cache/hash.js";

describe("canonicalJson", () => {
  it("sorts object keys at every level and keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1, 2], c: "x" } })).toBe('{"a":{"c":"x","d":[3,1,2]},"b":1}');
    expect(canonicalJson({ a: { c: "x", d: [3, 1, 2] }, b: 1 })).toBe(canonicalJson({ b: 1, a: { d: [3, 1, 2], c: "x" } }));
  });

  it("keeps structure apart that concatenation would merge", () => {
    expect(canonicalJson(["ab", "c"])).not.toBe(canonicalJson(["a", "bc"]));
    expect(canonicalJson({ a: 'b","c":"d' })).not.toBe(canonicalJson({ a: "b", c: "d" }));
  });

  it("omits undefined properties, writes undefined array items as null, typed arrays as arrays", () => {
    expect(canonicalJson({ a: undefined, b: [undefined, null], c: new Float64Array([1, 2.5]), d: new Int32Array([-1]) })).toBe('{"b":[null,null],"c":[1,2.5],"d":[-1]}');
  });

  it("writes non-finite numbers as strings, distinct from the same words as strings", () => {
    const numbers = canonicalJson({ a: NaN, b: Infinity, c: -Infinity });
    const words = canonicalJson({ a: "NaN", b: "Infinity", c: "-Infinity" });
    expect(numbers).toBe('{"a":"NaN","b":"Infinity","c":"-Infinity"}');
    expect(words).toBe('{"a":"\\u004eaN","b":"\\u0049nfinity","c":"\\u002dInfinity"}');
    expect(JSON.parse(words)).toEqual(JSON.parse(numbers));
  });

  it("uses toJSON (dates) and writes -0 as 0", () => {
    expect(canonicalJson({ t: new Date(Date.UTC(2024, 0, 2)), z: -0 })).toBe('{"t":"2024-01-02T00:00:00.000Z","z":0}');
  });

  it("refuses values a record cannot hold, naming the path", () => {
    expect(() => canonicalJson({ params: { "scenario.x": [1, 2n] } })).toThrow(
      'Internal error: canonicalJson: a bigint at $.params["scenario.x"][1] cannot be part of a fingerprint record',
    );
    expect(() => canonicalJson({ m: new Map() })).toThrow("Internal error: canonicalJson: a Map at $.m cannot be part of a fingerprint record");
    const cyclic: Record<string, unknown> = {};
    cyclic.self = { back: cyclic };
    expect(() => canonicalJson(cyclic)).toThrow("Internal error: canonicalJson: a cycle at $.self.back cannot be part of a fingerprint record");
    expect(() => canonicalJson(undefined)).toThrow("Internal error: canonicalJson: undefined at $ cannot be part of a fingerprint record");
  });

  it("allows the same object twice when it is not a cycle", () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});

describe("digestRecord", () => {
  it("digests the canonical text, so key order does not matter", async () => {
    const h = await hasher();
    const digest = digestRecord(h, { version: 1, params: { nside: 512, lmax: 1024 } });
    expect(digest).toMatch(/^[0-9a-f]{16}$/);
    expect(digest).toBe(h.digestString('{"params":{"lmax":1024,"nside":512},"version":1}'));
    expect(digestRecord(h, { params: { lmax: 1024, nside: 512 }, version: 1 })).toBe(digest);
    expect(digestRecord(h, { params: { lmax: 1024, nside: 256 }, version: 1 })).not.toBe(digest);
  });
});
