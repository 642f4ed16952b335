import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { nodeSeed, nodeSeedString } from "../../src/healpix/seeds.js";

/*
 * Hard vectors computed independently with Python's hashlib and json:
 *   s = json.dumps(["cmbflow-node-seed/1", base, [[k, parts[k]] for k in sorted(parts)]],
 *                  separators=(",", ":"), ensure_ascii=False)
 *   int.from_bytes(hashlib.sha256(s.encode()).digest()[:4], "big")
 */
const VECTORS: readonly { base: number; parts: Record<string, string | number>; text: string; seed: number }[] = [
  {
    base: 42,
    parts: { stage: "make_cmb", split: "Train", sim: 3 },
    text: '["cmbflow-node-seed/1",42,[["sim",3],["split","Train"],["stage","make_cmb"]]]',
    seed: 2365724098,
  },
  { base: 0, parts: {}, text: '["cmbflow-node-seed/1",0,[]]', seed: 45175580 },
  {
    base: 42,
    parts: { stage: "make_cmb", split: "Train", sim: "3" },
    text: '["cmbflow-node-seed/1",42,[["sim","3"],["split","Train"],["stage","make_cmb"]]]',
    seed: 707781956,
  },
  {
    base: -7,
    parts: { freq: 100, split: "Test1", sim: 0, stage: "noise" },
    text: '["cmbflow-node-seed/1",-7,[["freq",100],["sim",0],["split","Test1"],["stage","noise"]]]',
    seed: 860882773,
  },
  { base: 42, parts: { name: 'Ω "q"|x=y' }, text: '["cmbflow-node-seed/1",42,[["name","Ω \\"q\\"|x=y"]]]', seed: 3697368110 },
  {
    base: 2 ** 53 - 1,
    parts: { sim: 2 ** 53 - 1 },
    text: '["cmbflow-node-seed/1",9007199254740991,[["sim",9007199254740991]]]',
    seed: 1274666511,
  },
];

describe("nodeSeed", () => {
  it("matches hard vectors computed with Python's hashlib", () => {
    for (const v of VECTORS) {
      expect(nodeSeedString(v.base, v.parts)).toBe(v.text);
      expect(nodeSeed(v.base, v.parts)).toBe(v.seed);
    }
  });

  it("is the first 4 bytes, big-endian, of SHA-256 of the canonical string", () => {
    const text = nodeSeedString(42, { stage: "make_cmb", split: "Train", sim: 3 });
    const d = createHash("sha256").update(text, "utf8").digest();
    expect(nodeSeed(42, { stage: "make_cmb", split: "Train", sim: 3 })).toBe(
      ((d[0]! << 24) >>> 0) + (d[1]! << 16) + (d[2]! << 8) + d[3]!,
    );
  });

  it("does not depend on the order of the parts", () => {
    expect(nodeSeed(7, { sim: 1, split: "Valid", stage: "make_cmb" })).toBe(
      nodeSeed(7, { stage: "make_cmb", split: "Valid", sim: 1 }),
    );
  });

  it("gives distinct seeds to distinct nodes, base seeds and ambiguous concatenations", () => {
    const seen = new Map<number, string>();
    for (const split of ["Train", "Valid", "Test1"]) {
      for (let sim = 0; sim < 300; sim++) {
        for (const stage of ["make_cmb", "make_noise"]) {
          const s = nodeSeed(1, { stage, split, sim });
          const label = `${stage}/${split}/${String(sim)}`;
          expect(seen.get(s), `seed ${String(s)} of ${label}`).toBeUndefined();
          seen.set(s, label);
        }
      }
    }
    expect(nodeSeed(1, { sim: 3 })).not.toBe(nodeSeed(2, { sim: 3 }));
    expect(nodeSeed(1, { a: "b|c=d" })).not.toBe(nodeSeed(1, { a: "b", c: "d" }));
    expect(nodeSeed(1, { ab: "c" })).not.toBe(nodeSeed(1, { a: "bc" }));
  });

  it("always returns a uint32", () => {
    for (let sim = 0; sim < 200; sim++) {
      const s = nodeSeed(123, { sim });
      expect(Number.isInteger(s) && s >= 0 && s <= 0xffffffff).toBe(true);
    }
  });

  it("rejects values without a stable canonical form", () => {
    expect(() => nodeSeed(1.5, {})).toThrow(new RangeError("base seed must be a safe integer, got 1.5"));
    expect(() => nodeSeed(1, { sim: 0.5 })).toThrow(new RangeError("seed part sim must be a string or a safe integer, got 0.5"));
    expect(() => nodeSeed(1, { sim: Number.NaN })).toThrow(new RangeError("seed part sim must be a string or a safe integer, got NaN"));
    expect(() => nodeSeed(1, { "": 1 })).toThrow(new RangeError("seed part names must be non-empty"));
    expect(() => nodeSeed(1, { sim: true } as unknown as Record<string, number>)).toThrow(
      new RangeError("seed part sim must be a string or a safe integer, got boolean"),
    );
  });
});
