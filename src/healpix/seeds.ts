/**
 * Per-node random seeds: every simulation node gets its own seed, derived from the run's base
 * seed and the node's partition (stage, split, sim, freq, ...) by a fixed hash. A node's maps
 * therefore depend only on what the node is, never on how many workers ran, in which order
 * nodes were scheduled, or which other nodes ran in the same process — and any single map can
 * be regenerated alone from its logged seed.
 *
 * Canonical string (UTF-8), version 1: the JSON text, without whitespace, of
 *
 *     ["cmbflow-node-seed/1", <baseSeed>, [[<key>, <value>], ...]]
 *
 * with the entries sorted by key (UTF-16 code-unit order, JavaScript's default sort), numbers
 * written as JSON integers and strings as JSON strings. Example, base seed 42 and
 * { stage: "make_cmb", split: "Train", sim: 3 }:
 *
 *     ["cmbflow-node-seed/1",42,[["sim",3],["split","Train"],["stage","make_cmb"]]]
 *
 * The seed is the first 4 bytes of the string's SHA-256 digest read as a big-endian uint32,
 * a valid `RandomState` seed. Why this form:
 * - sorting the keys makes the seed independent of the order the partition was built in;
 * - JSON quoting makes the encoding injective ({a: "b|c"} and {a: "b", c: ...} cannot collide,
 *   the pitfall of joining "key=value" with separators), and keeps 3 and "3" distinct;
 * - the version tag lets a future scheme coexist without silently changing old seeds;
 * - SHA-256 is in node:crypto and Python's hashlib, so the seed can be checked outside cmbflow:
 *   `int.from_bytes(hashlib.sha256(json.dumps([...], separators=(",", ":"),
 *   ensure_ascii=False).encode()).digest()[:4], "big")` (Python sorts keys by code point,
 *   which agrees with code units for all keys outside the astral planes).
 *
 * CMB-ML derives its seeds similarly (SHA-256 of "{split}_{sim}_cmb", mod 2^32); these seeds
 * are not meant to equal CMB-ML's.
 */
import { createHash } from "node:crypto";

/** Version tag at the head of the canonical string; part of every seed. */
export const NODE_SEED_VERSION = "cmbflow-node-seed/1";

/** A node's partition: dimension name → value (strings, or safe integers such as sim numbers). */
export type SeedParts = Readonly<Record<string, string | number>>;

/**
 * The canonical string hashed by {@link nodeSeed} (documented in this module's header);
 * useful in logs and provenance records.
 * @param baseSeed the run's base seed, a safe integer (RangeError otherwise)
 * @param parts partition values; number values must be safe integers (pass others as strings)
 */
export function nodeSeedString(baseSeed: number, parts: SeedParts): string {
  if (!Number.isSafeInteger(baseSeed)) {
    throw new RangeError(`base seed must be a safe integer, got ${String(baseSeed)}`);
  }
  const keys = Object.keys(parts).sort();
  const entries: [string, string | number][] = [];
  for (const key of keys) {
    if (key === "") throw new RangeError("seed part names must be non-empty");
    const value = parts[key];
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value)) {
        throw new RangeError(`seed part ${key} must be a string or a safe integer, got ${String(value)}`);
      }
    } else if (typeof value !== "string") {
      throw new RangeError(`seed part ${key} must be a string or a safe integer, got ${typeof value}`);
    }
    entries.push([key, value]);
  }
  return JSON.stringify([NODE_SEED_VERSION, baseSeed, entries]);
}

/**
 * Seed of one node: the first 4 bytes (big-endian) of SHA-256 of {@link nodeSeedString}.
 * @returns an integer in 0…2^32 − 1, usable as `new RandomState(seed)`
 */
export function nodeSeed(baseSeed: number, parts: SeedParts): number {
  const digest = createHash("sha256").update(nodeSeedString(baseSeed, parts), "utf8").digest();
  return digest.readUInt32BE(0);
}
