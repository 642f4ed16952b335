/**
 * Canonical JSON for fingerprint records (STYLE.md "Cache correctness": a fingerprint is a
 * structured record in fixed key order, and the digest derives from it).
 *
 * The fixed order IS lexicographic order: at every level, object keys are sorted by UTF-16
 * code units (`Array.prototype.sort` without a comparator). So the text does not depend on
 * the order in which a record's properties were created, nor on YAML key order in a config.
 * Because the text is JSON (strings quoted and escaped, arrays bracketed, keys paired with
 * values), distinct structures give distinct text: `["ab","c"]` and `["a","bc"]` never meet.
 *
 * Value mapping:
 * - `null`, booleans, strings and finite numbers as `JSON.stringify` writes them (so `-0` is `0`);
 * - arrays in order; typed arrays (`Float64Array`, ...) as plain arrays of numbers;
 * - objects: own enumerable string keys, sorted; properties whose value is `undefined` are
 *   omitted (as in JSON); an object with `toJSON` (e.g. `Date`) is replaced by its result;
 * - `undefined` inside an array is `null` (as in JSON);
 * - `NaN`, `Infinity`, `-Infinity` (YAML's `.nan`, `.inf`, `-.inf`) are written as the JSON
 *   strings `"NaN"`, `"Infinity"`, `"-Infinity"`, so a config holding them still gets a
 *   fingerprint. To keep the number and the string of the same spelling apart, a *string*
 *   value spelled exactly like one of them has its first character written as a `\u` escape
 *   (`"\u004eaN"`): still valid JSON that parses back to the same string, but different text,
 *   so a parameter changing from the string `"NaN"` to the number `NaN` changes the digest.
 * Anything else — `bigint`, functions, symbols, `Map`, `Set`, `ArrayBuffer`, `DataView`,
 * cycles, `undefined` at the top — is a bug in the code building the record and throws
 * `Internal error: ...` naming the path (`$.params.scenario.nside`).
 */
import type { Hasher } from "./hash.js";

const NON_FINITE_TEXT = new Map<string, string>([
  ["NaN", '"\\u004eaN"'],
  ["Infinity", '"\\u0049nfinity"'],
  ["-Infinity", '"\\u002dInfinity"'],
]);

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function childPath(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function fail(path: string, what: string): never {
  throw new Error(`Internal error: canonicalJson: ${what} at ${path} cannot be part of a fingerprint record`);
}

function writeNumber(value: number): string {
  if (Number.isFinite(value)) return JSON.stringify(value);
  return Number.isNaN(value) ? '"NaN"' : value > 0 ? '"Infinity"' : '"-Infinity"';
}

function writeString(value: string): string {
  return NON_FINITE_TEXT.get(value) ?? JSON.stringify(value);
}

function write(value: unknown, path: string, ancestors: Set<object>, out: string[]): void {
  switch (typeof value) {
    case "string":
      out.push(writeString(value));
      return;
    case "number":
      out.push(writeNumber(value));
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "undefined":
      return fail(path, "undefined");
    case "bigint":
    case "symbol":
    case "function":
      return fail(path, `a ${typeof value}`);
    case "object":
      writeObject(value, path, ancestors, out);
      return;
  }
}

function writeObject(value: object | null, path: string, ancestors: Set<object>, out: string[]): void {
  if (value === null) {
    out.push("null");
    return;
  }
  if (ancestors.has(value)) fail(path, "a cycle");
  if (ArrayBuffer.isView(value)) {
    if (value instanceof DataView || value instanceof BigInt64Array || value instanceof BigUint64Array) {
      fail(path, `a ${value.constructor.name}`);
    }
    out.push(`[${Array.from(value as unknown as ArrayLike<number>, writeNumber).join(",")}]`);
    return;
  }
  if (value instanceof Map || value instanceof Set || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) {
    fail(path, `a ${value.constructor.name}`);
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    write(toJSON.call(value) as unknown, path, ancestors, out);
    return;
  }
  ancestors.add(value);
  if (Array.isArray(value)) {
    out.push("[");
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(",");
      const item: unknown = value[i];
      if (item === undefined) out.push("null");
      else write(item, `${path}[${String(i)}]`, ancestors, out);
    }
    out.push("]");
  } else {
    const record = value as Record<string, unknown>;
    out.push("{");
    let first = true;
    for (const key of Object.keys(record).sort()) {
      const item = record[key];
      if (item === undefined) continue;
      if (!first) out.push(",");
      first = false;
      out.push(JSON.stringify(key), ":");
      write(item, childPath(path, key), ancestors, out);
    }
    out.push("}");
  }
  ancestors.delete(value);
}

/** Deterministic JSON text of a fingerprint record (see the module comment for the exact mapping). Throws `Internal error` for values a record cannot hold. */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, "$", new Set(), out);
  return out.join("");
}

/** The digest of a record: `digestString(canonicalJson(record))`, 16 hex digits. */
export function digestRecord(hasher: Pick<Hasher, "digestString">, record: unknown): string {
  return hasher.digestString(canonicalJson(record));
}
