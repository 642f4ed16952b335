/**
 * `Config`: a YAML mapping (YAML 1.2 core schema, via the `yaml` package), e.g. dataset statistics
 * or a spectrum summary.
 *
 * - Read: the document must be a mapping (an empty file reads as `{}`); the result is plain
 *   objects, arrays and scalars. Invalid YAML, including a repeated key, is an error with line and column.
 * - Write: keys in the object's own order (note that JavaScript puts integer-like keys such as
 *   `"10"` first in any object; pass a `Map` to keep another order); numbers in JavaScript's
 *   shortest round-trip form (`0.1`, `1e+21`, `5e-324`, `.nan`, `-.inf`, `-0`), so every double
 *   reads back bit for bit; strings that would read as another type are quoted; no line folding;
 *   no anchors or aliases for repeated objects. Numeric typed arrays are written as sequences of
 *   numbers (like CMB-ML converting numpy values before dumping).
 */
import { writeFile } from "node:fs/promises";

import { newLineCounter, parseDocument, stringify } from "../config/yaml-lib.js";

import { HandlerError } from "./handler.js";
import type { AssetHandler, HandlerOptions } from "./handler.js";
import { describeValue, readHandlerText, reportedPath } from "./plain-text.js";

/** A YAML mapping in memory: plain objects, arrays, strings, numbers, booleans and null. */
export type ConfigData = { [key: string]: unknown };

/** Typed arrays become plain arrays (recursively) so YAML writes them as sequences of numbers. */
function plainValues(value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    if (value instanceof BigInt64Array || value instanceof BigUint64Array) return Array.from(value);
    return Array.from(value as unknown as ArrayLike<number>);
  }
  if (Array.isArray(value)) return value.map(plainValues);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, plainValues(v)] as const));
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainValues(v)]));
  }
  return value;
}

/** The YAML text {@link Config} writes for `data`. */
export function formatConfigYaml(data: ConfigData): string {
  return stringify(plainValues(data), { lineWidth: 0, aliasDuplicateObjects: false });
}

/** `Config`: a YAML mapping read as a plain object and written with full numeric precision. */
export const Config: AssetHandler<ConfigData> = {
  name: "Config",
  async read(path: string, _options?: HandlerOptions): Promise<ConfigData> {
    const text = await readHandlerText(path);
    const lineCounter = newLineCounter();
    const doc = parseDocument(text, { lineCounter, prettyErrors: false });
    const first = doc.errors[0];
    if (first !== undefined) {
      const { line, col } = lineCounter.linePos(first.pos[0]);
      throw new HandlerError(path, `invalid YAML at line ${line}, column ${col}: ${first.message}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return {};
    if (typeof value !== "object" || Array.isArray(value)) {
      throw new HandlerError(
        path,
        `expected a YAML mapping at the top level, found ${Array.isArray(value) ? "a sequence" : "a scalar"}`,
      );
    }
    return value as ConfigData;
  },
  async write(path: string, data: ConfigData, options?: HandlerOptions & { readonly finalPath?: string }): Promise<void> {
    if (typeof data !== "object" || data === null || Array.isArray(data) || ArrayBuffer.isView(data)) {
      throw new HandlerError(reportedPath(path, options), `Config expects a plain object, got ${describeValue(data)}`);
    }
    await writeFile(path, formatConfigYaml(data), "utf8");
  },
};
