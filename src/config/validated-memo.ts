/**
 * Resolved configurations that passed validation, remembered between commands (a file in the
 * project's cache folder), so that a command over an unchanged configuration does not load zod
 * to check it again: loading zod is about 0.16 s of every command's start here, against a
 * millisecond for this memo.
 *
 * A key is a SHA-1 of the resolved configuration's canonical JSON together with the stamp of
 * the compiled validator (schema.ts) and the zod version that checked it: validation is a
 * function of those alone, so a key found means the same check passed before. Only passes
 * are remembered; a configuration with problems is checked (and reported) every time. A memo
 * that cannot be read counts as empty, and one that cannot be written changes nothing.
 */
import { createHash } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { canonicalJson } from "../cache/canonical.js";
import { validatorStamp } from "./schema.js";
import type { ConfigObject } from "./types.js";

const VERSION = 1;
/** Keys kept: the newest, enough for the sweeps and override sets a project moves between. */
const LIMIT = 200;

const keys = new WeakMap<ConfigObject, string>();

/** The validated configurations of one project. */
export class ValidatedConfigs {
  readonly #file: string;
  readonly #keys: string[];
  #dirty = false;

  private constructor(file: string, keys: string[]) {
    this.#file = file;
    this.#keys = keys;
  }

  /** The memo in `cacheDir` (empty when absent or unreadable). */
  static open(cacheDir: string): ValidatedConfigs {
    const file = join(cacheDir, "validated-configs.json");
    try {
      const saved = JSON.parse(readFileSync(file, "utf8")) as { version?: unknown; keys?: unknown };
      if (saved.version === VERSION && Array.isArray(saved.keys) && saved.keys.every((k) => typeof k === "string")) return new ValidatedConfigs(file, saved.keys);
    } catch {
      // Missing or damaged: start empty.
    }
    return new ValidatedConfigs(file, []);
  }

  /** The key of a resolved configuration (made once per configuration object: `has` and `add` both ask). */
  static key(resolved: ConfigObject): string {
    let key = keys.get(resolved);
    if (key === undefined) {
      key = createHash("sha1").update(validatorStamp()).update("\0").update(canonicalJson(resolved)).digest("hex");
      keys.set(resolved, key);
    }
    return key;
  }

  /** True when this resolved configuration passed validation before. */
  has(resolved: ConfigObject): boolean {
    return this.#keys.includes(ValidatedConfigs.key(resolved));
  }

  /** Remembers that `resolved` passed. */
  add(resolved: ConfigObject): void {
    const key = ValidatedConfigs.key(resolved);
    if (this.#keys.includes(key)) return;
    this.#keys.push(key);
    if (this.#keys.length > LIMIT) this.#keys.splice(0, this.#keys.length - LIMIT);
    this.#dirty = true;
  }

  /**
   * Writes the memo when it changed (temporary file, then rename), into a cache folder that
   * exists: a command that only reads (`dag` in a new project) does not make one. Failures are
   * ignored.
   */
  save(): void {
    if (!this.#dirty) return;
    const temp = `${this.#file}.${String(process.pid)}.tmp`;
    try {
      writeFileSync(temp, `${JSON.stringify({ version: VERSION, keys: this.#keys })}\n`);
      renameSync(temp, this.#file);
      this.#dirty = false;
    } catch {
      // Only a shortcut for the next command; a temporary file left by a failed rename goes.
      try {
        rmSync(temp, { force: true });
      } catch {
        // No such file can have been made (the cache folder is not a folder).
      }
    }
  }
}
