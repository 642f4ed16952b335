/**
 * Composition of the configuration from defaults lists (a subset of Hydra's).
 *
 * `<configDir>/<configName>.yaml` is the primary file. Its `defaults:` list names, in merge order:
 * - `group: option` — `<configDir>/<group>/<option>.yaml`, placed under the key path `group`
 *   (`model/sim: x` goes under `model.sim`); `group: null` skips the group; `optional group: x`
 *   skips it when the folder or file does not exist;
 * - `name` — `<name>.yaml` in the same folder as the listing file, merged into the same place
 *   (inside `pipeline/assembly_sim.yaml`, `- pipe_sim` is `pipeline/pipe_sim.yaml` under `pipeline`);
 * - `_self_` — the listing file's own keys.
 * Inside a group file, `sub: option` is the nested group `<group>/sub`; `/other: option` is the
 * top-level group `other`. Group files may have their own `defaults:` lists, to any depth.
 *
 * Merge order: entries merge in list order, later winning (mappings merge key by key, lists and
 * values replace). Without `_self_`, a file's own keys come last — they override everything its
 * list includes (Hydra ≥ 1.1). Groups added on the command line (`+group=option`) merge after
 * everything else.
 *
 * Hydra features CMB-ML's `cfg/` uses:
 * - `override group: option` changes the option of `group` wherever it is listed (the command
 *   line still wins); an override that matches no entry is an error at the override.
 * - Interpolation in options: `${oc.env:VAR}`, `${oc.env:VAR,default}` and `${group}` (the option
 *   chosen for an earlier group).
 * - Packages: `group@pkg: option` in a list, or a `# @package pkg` header in a group file, moves
 *   the file's keys: `_global_` is the top level, `_global_.a.b` is `a.b`, `_group_` is the
 *   group's own key path, `_here_` the listing file's. In a list, other packages are relative
 *   to the listing file's package; in a header they are absolute. The list entry wins.
 * - Entries for Hydra's own groups (`hydra/job_logging`, ...) are skipped with a note: cmbflow
 *   has its own logging and run folders. The `hydra:` block itself is kept (see load.ts).
 * Not supported (each a diagnostic): lists of options.
 */
import { join } from "node:path";
import { error, note } from "../diagnostics/diagnostic.js";
import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";
import type { ConfigIo } from "./io.js";
import { mapNode, mergeInto } from "./node.js";
import type { CNode, MapNode } from "./node.js";
import type { ParsedOverride } from "./overrides.js";
import { closestMatches, didYouMean, listNames, naturalSort } from "../diagnostics/suggest.js";
import type { ConfigSource, ConfigValue } from "./types.js";
import { parseTemplate } from "./interpolation-syntax.js";
import { parseConfigFile } from "./yaml-file.js";

/** A command-line override of a config group: `group=option`, `+group=option` or `~group`. */
export interface GroupOverride {
  /** Group path with slashes, e.g. `splits` or `model/sim`. */
  readonly group: string;
  /** Undefined for `~group`. */
  readonly option: string | undefined;
  readonly override: ParsedOverride;
}

/** What composition needs. */
export interface ComposeInput {
  /** Absolute path of the config folder. */
  readonly configDir: string;
  readonly configName: string;
  readonly groupOverrides: readonly GroupOverride[];
  readonly io: ConfigIo;
  /** Environment for `${oc.env:...}` in defaults lists; default none. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The composed tree (before key overrides and interpolation), or the diagnostics. */
export interface Composition {
  readonly root: MapNode;
  readonly sources: readonly ConfigSource[];
  readonly choices: Readonly<Record<string, string>>;
  readonly errors: readonly Diagnostic[];
  /** Warnings and notes. */
  readonly warnings: readonly Diagnostic[];
}

/** An `override group: option` entry of a defaults list. */
interface ListOverride {
  readonly option: string;
  readonly at: SourceLocation | undefined;
  used: boolean;
}

interface Layer {
  readonly tree: MapNode;
  readonly packagePath: readonly string[];
}

/** Where a file sits: the group folder it belongs to and the key path its keys go under. */
interface FileContext {
  /** Group path (`""` for the primary file's folder). */
  readonly group: string;
  readonly packagePath: readonly string[];
  /** The package was set by the including entry (`group@pkg`), which wins over the file's header. */
  readonly fromEntry?: boolean;
}

/** Compose the primary config and everything its defaults lists include. */
export function compose(input: ComposeInput): Composition {
  return new Composer(input).run();
}

class Composer {
  readonly #input: ComposeInput;
  readonly #errors: Diagnostic[] = [];
  readonly #warnings: Diagnostic[] = [];
  readonly #sources = new Map<string, ConfigSource>();
  readonly #layers: Layer[] = [];
  readonly #choices: Record<string, string> = {};
  readonly #chosenAt = new Map<string, SourceLocation | undefined>();
  readonly #usedOverrides = new Set<GroupOverride>();
  readonly #listOverrides = new Map<string, ListOverride>();
  /** Hydra's own groups met in defaults lists (noted once). */
  readonly #hydraGroups: { group: string; at: SourceLocation | undefined }[] = [];

  constructor(input: ComposeInput) {
    this.#input = input;
  }

  run(): Composition {
    const { configDir, configName, io } = this.#input;
    const primary = join(configDir, `${configName}.yaml`);
    let rootOrigin: MapNode["origin"] | undefined;
    if (io.readFile(primary) === undefined) {
      const listing = io.listFolder(configDir);
      const notes =
        listing === undefined
          ? [`no config directory at ${configDir}`]
          : [didYouMean(closestMatches(configName, listing.files)) ?? `config files there: ${listNames(naturalSort(listing.files))}`];
      this.#errors.push(error(`config file "${configName}.yaml" not found in ${configDir}`, undefined, notes));
    } else {
      rootOrigin = this.#visit(primary, { group: "", packagePath: [] }, [], undefined)?.origin;
      this.#addGroupsFromCommandLine();
      this.#reportUnusedOverrides();
      this.#reportUnusedListOverrides();
      this.#noteHydraGroups();
    }
    const root = mapNode(rootOrigin ?? { kind: "file", location: { file: primary, line: 1, column: 1 } });
    for (const layer of this.#layers) place(root, layer);
    return {
      root,
      sources: [...this.#sources.values()],
      choices: this.#choices,
      errors: this.#errors,
      warnings: this.#warnings,
    };
  }

  #relative(path: string): string {
    return path.startsWith(`${this.#input.configDir}/`) ? path.slice(this.#input.configDir.length + 1) : path;
  }

  /** Read one file, follow its defaults list, and queue its layers in merge order. */
  #visit(path: string, context: FileContext, stack: readonly string[], includedAt: SourceLocation | undefined): MapNode | undefined {
    if (stack.includes(path)) {
      const chain = [...stack, path].map((p) => this.#relative(p)).join(" → ");
      this.#errors.push(error(`defaults lists include each other in a cycle: ${chain}`, includedAt));
      return undefined;
    }
    const text = this.#input.io.readFile(path);
    if (text === undefined) {
      this.#errors.push(error(`cannot read config file ${path}`, includedAt));
      return undefined;
    }
    if (!this.#sources.has(path)) this.#sources.set(path, { path, relativePath: this.#relative(path), text });
    const parsed = parseConfigFile(path, text);
    this.#errors.push(...parsed.errors);
    this.#warnings.push(...parsed.warnings);
    const tree = parsed.tree;
    if (tree === undefined) return undefined;

    const defaults = tree.entries.get("defaults");
    tree.entries.delete("defaults");
    let selfPlaced = false;
    const header = stack.length === 0 || context.fromEntry ? undefined : headerPackage(text);
    const packagePath = header === undefined ? context.packagePath : packageFromHeader(header, context.group);
    const own: FileContext = { group: context.group, packagePath, fromEntry: false };
    const placeSelf = (): void => {
      this.#layers.push({ tree, packagePath });
      selfPlaced = true;
    };
    if (defaults !== undefined && !(defaults.kind === "scalar" && defaults.value === null)) {
      if (defaults.kind !== "seq") {
        this.#errors.push(error("`defaults` must be a list", locationOf(defaults)));
      } else {
        // Overrides apply to entries listed before them as well as after (as in Hydra).
        for (const entry of defaults.items) this.#registerOverride(entry, own);
        for (const entry of defaults.items) {
          if (entry.kind === "scalar" && entry.value === "_self_") placeSelf();
          else this.#entry(entry, own, [...stack, path]);
        }
      }
    }
    if (!selfPlaced) placeSelf();
    return tree;
  }

  /** One entry of a defaults list (other than `_self_`). */
  #entry(entry: CNode, context: FileContext, stack: readonly string[]): void {
    const at = locationOf(entry);
    if (entry.kind === "scalar" && typeof entry.value === "string") {
      this.#sibling(entry.value, at, context, stack);
      return;
    }
    const pair = entry.kind === "map" && entry.entries.size === 1 ? [...entry.entries][0] : undefined;
    if (pair === undefined) {
      this.#errors.push(
        error("a defaults entry must be `group: option`, a file name or `_self_`", at, [
          "for example: `- splits: 3-3`, `- pipe_sim` or `- _self_`",
        ]),
      );
      return;
    }
    const [rawKey, value] = pair;
    const keyAt = keyLocationOf(value) ?? at;
    const parsed = parseEntryKey(rawKey, context.group);
    if (parsed.override) return; // registered before the list was walked
    const { group, optional, packageName } = parsed;
    if (isHydraGroup(group)) {
      this.#hydraGroups.push({ group, at: keyAt });
      return;
    }
    if (value.kind !== "scalar" || typeof value.value === "boolean") {
      this.#errors.push(error(`the option of config group "${group}" must be a single file name`, locationOf(value)));
      return;
    }
    if (value.value === null) return;
    const written = this.#resolveOption(String(value.value), locationOf(value));
    if (written === undefined) return;
    const packagePath = packageName === undefined ? undefined : packageFromEntry(packageName, group, context.packagePath);
    this.#group(group, written, { optional, keyAt, optionAt: locationOf(value), packagePath }, stack);
  }

  /** An `override group: option` entry: remembered before the list is walked. */
  #registerOverride(entry: CNode, context: FileContext): void {
    const pair = entry.kind === "map" && entry.entries.size === 1 ? [...entry.entries][0] : undefined;
    if (pair === undefined) return;
    const [rawKey, value] = pair;
    const parsed = parseEntryKey(rawKey, context.group);
    if (!parsed.override) return;
    const keyAt = keyLocationOf(value) ?? locationOf(entry);
    if (isHydraGroup(parsed.group)) {
      this.#hydraGroups.push({ group: parsed.group, at: keyAt });
      return;
    }
    if (value.kind !== "scalar" || typeof value.value === "boolean" || value.value === null) {
      this.#errors.push(error(`the option of override "${parsed.group}" must be a single file name`, locationOf(value)));
      return;
    }
    const option = this.#resolveOption(String(value.value), locationOf(value));
    if (option === undefined) return;
    // The first override of a group wins: the primary file's are registered before its includes'.
    if (!this.#listOverrides.has(parsed.group)) this.#listOverrides.set(parsed.group, { option, at: locationOf(value), used: false });
  }

  /**
   * An option as written in a defaults list, with `${oc.env:VAR[,default]}` and `${group}` (an
   * earlier group's choice) filled in; undefined after reporting why it cannot be.
   */
  #resolveOption(written: string, at: SourceLocation | undefined): string | undefined {
    if (!written.includes("${")) return written;
    const parts = parseTemplate(written);
    if (!parts.ok) {
      this.#errors.push(error(parts.error, at));
      return undefined;
    }
    let out = "";
    for (const part of parts.value) {
      if (part.kind === "text") {
        out += part.text;
        continue;
      }
      const expression = part.expression;
      if (expression.kind === "resolver" && expression.name === "oc.env") {
        const [variable, fallback] = expression.args;
        const name = variable?.kind === "literal" ? scalarText(variable.value) : undefined;
        const value = name === undefined ? undefined : this.#input.env?.[name];
        if (value !== undefined) {
          out += value;
        } else if (fallback?.kind === "literal" && name !== undefined) {
          out += scalarText(fallback.value) ?? "";
        } else {
          const notes = name === undefined ? [] : [`set it, or give a default: \${oc.env:${name},default}`];
          this.#errors.push(error(`environment variable ${name === undefined ? "" : `"${name}" `}is not set (in "${part.raw}" in a defaults list)`, at, notes));
          return undefined;
        }
        continue;
      }
      if (expression.kind === "reference" && expression.dots === 0) {
        const group = expression.segments.join("/");
        const chosen = this.#choices[group];
        if (chosen !== undefined) {
          out += chosen;
          continue;
        }
      }
      this.#errors.push(
        error(`"${part.raw}" cannot be resolved in a defaults list`, at, [
          "defaults lists take ${oc.env:VAR}, ${oc.env:VAR,default} and ${group} (the option of a group listed earlier)",
        ]),
      );
      return undefined;
    }
    return out;
  }

  /** `- name` in a defaults list: a file next to the listing file, merged into the same place. */
  #sibling(written: string, at: SourceLocation | undefined, context: FileContext, stack: readonly string[]): void {
    const name = this.#resolveOption(written, at);
    if (name === undefined) return;
    const folder = join(this.#input.configDir, context.group);
    const path = join(folder, `${name}.yaml`);
    if (this.#input.io.readFile(path) === undefined) {
      const listing = this.#input.io.listFolder(folder);
      const files = naturalSort(listing?.files ?? []);
      const where = context.group === "" ? "the config directory" : `"${context.group}"`;
      const notes = [didYouMean(closestMatches(name, files)), `config files in ${where}: ${listNames(files)}`];
      this.#errors.push(
        error(`config file "${this.#relative(path)}" not found`, at, notes.filter((n) => n !== undefined)),
      );
      return;
    }
    this.#visit(path, context, stack, at);
  }

  /** `group: option`, with command-line overrides of the choice applied. */
  #group(
    group: string,
    written: string,
    where: {
      readonly optional: boolean;
      readonly keyAt: SourceLocation | undefined;
      readonly optionAt: SourceLocation | undefined;
      /** From `group@pkg`; default the group's key path or the file's header. */
      readonly packagePath?: readonly string[] | undefined;
    },
    stack: readonly string[],
  ): void {
    const override = this.#input.groupOverrides.find((o) => o.group === group && o.override.kind !== "add");
    let option = written;
    let optionAt = where.optionAt;
    let viaOverride: GroupOverride | undefined;
    const listOverride = this.#listOverrides.get(group);
    if (listOverride !== undefined) {
      listOverride.used = true;
      option = listOverride.option;
      optionAt = listOverride.at;
    }
    if (override !== undefined) {
      this.#usedOverrides.add(override);
      if (override.option === undefined) return;
      option = override.option;
      optionAt = undefined;
      viaOverride = override;
    }
    // One group may be listed twice at different packages (`splits` and `splits@data`).
    const slot = where.packagePath === undefined ? group : `${group}@${where.packagePath.join(".")}`;
    if (this.#chosenAt.has(slot)) {
      this.#errors.push(error(`config group "${group}" appears twice in the defaults lists`, where.keyAt));
      return;
    }
    const folder = join(this.#input.configDir, group);
    const listing = this.#input.io.listFolder(folder);
    if (listing === undefined) {
      if (where.optional) return;
      this.#errors.push(this.#missingGroup(group, where.keyAt, viaOverride));
      return;
    }
    if (!listing.files.includes(option)) {
      if (where.optional) return;
      const options = naturalSort(listing.files);
      const suffix = viaOverride === undefined ? "" : ` (override "${viaOverride.override.text}")`;
      const notes = [didYouMean(closestMatches(option, options)), `options in "${group}": ${listNames(options)}`];
      this.#errors.push(
        error(`unknown option "${option}" for config group "${group}"${suffix}`, optionAt, notes.filter((n) => n !== undefined)),
      );
      return;
    }
    this.#chosenAt.set(slot, optionAt);
    this.#choices[slot] = option;
    const context: FileContext =
      where.packagePath === undefined ? { group, packagePath: group.split("/") } : { group, packagePath: where.packagePath, fromEntry: true };
    this.#visit(join(folder, `${option}.yaml`), context, stack, optionAt);
  }

  /** The group's folder (or a folder above it) does not exist: suggest from what exists at that level. */
  #missingGroup(group: string, at: SourceLocation | undefined, via: GroupOverride | undefined): Diagnostic {
    const segments = group.split("/");
    let parent = "";
    let missing = segments[0] ?? group;
    let existing: readonly string[] = [];
    for (const segment of segments) {
      const listing = this.#input.io.listFolder(join(this.#input.configDir, parent));
      if (listing === undefined || !listing.folders.includes(segment)) {
        missing = segment;
        existing = naturalSort(listing?.folders ?? []);
        break;
      }
      parent = parent === "" ? segment : `${parent}/${segment}`;
    }
    const suffix = via === undefined ? "" : ` (override "${via.override.text}")`;
    const notes = [
      didYouMean(closestMatches(missing, existing).map((g) => (parent === "" ? g : `${parent}/${g}`))),
      existing.length === 0 ? undefined : `config groups${parent === "" ? "" : ` in "${parent}"`}: ${listNames(existing)}`,
    ];
    return error(
      `config group "${group}" not found: no folder "${group}" in the config directory${suffix}`,
      at,
      notes.filter((n) => n !== undefined),
    );
  }

  #reportUnusedListOverrides(): void {
    for (const [group, override] of this.#listOverrides) {
      if (override.used) continue;
      this.#errors.push(
        error(`override of config group "${group}" matches no entry of the defaults lists`, override.at, [
          `an override changes the option of a group listed elsewhere; to add the group, write - ${group}: ${override.option}`,
        ]),
      );
    }
  }

  #noteHydraGroups(): void {
    const first = this.#hydraGroups[0];
    if (first === undefined) return;
    const groups = [...new Set(this.#hydraGroups.map((h) => h.group))];
    this.#warnings.push(
      note(`defaults entries for Hydra's own config groups are skipped: ${groups.join(", ")}`, first.at, [
        "cmbflow has its own logging and run folders; Hydra's job_logging, launcher and sweeper settings do not apply",
      ]),
    );
  }

  #addGroupsFromCommandLine(): void {
    const { configDir, configName } = this.#input;
    for (const override of this.#input.groupOverrides) {
      const kind = override.override.kind;
      const adds = kind === "add" || (kind === "force" && !this.#usedOverrides.has(override));
      if (!adds || override.option === undefined) continue;
      this.#usedOverrides.add(override);
      if (this.#chosenAt.has(override.group)) {
        this.#errors.push(
          error(`config group "${override.group}" is already in the defaults list (override "${override.override.text}")`, undefined, [
            `to change its option, write ${override.group}=${override.option}`,
          ]),
        );
        continue;
      }
      const stack = [join(configDir, `${configName}.yaml`)];
      this.#group(override.group, override.option, { optional: false, keyAt: undefined, optionAt: undefined }, stack);
    }
  }

  #reportUnusedOverrides(): void {
    for (const override of this.#input.groupOverrides) {
      if (this.#usedOverrides.has(override)) continue;
      const text = override.override.text;
      const notes =
        override.option === undefined ? [] : [`to add it, write +${override.group}=${override.option}`];
      this.#errors.push(error(`config group "${override.group}" is not in the defaults list (override "${text}")`, undefined, notes));
    }
  }
}

/** A resolver argument as text; undefined for a list or mapping (which cannot name a file). */
function scalarText(value: ConfigValue): string | undefined {
  return value !== null && typeof value === "object" ? undefined : String(value);
}

/** What the key of a `key: option` defaults entry says. */
interface EntryKey {
  readonly group: string;
  readonly optional: boolean;
  readonly override: boolean;
  /** From `group@pkg`. */
  readonly packageName: string | undefined;
}

function parseEntryKey(rawKey: string, listingGroup: string): EntryKey {
  let key = rawKey.trim();
  let optional = false;
  let override = false;
  if (key.startsWith("optional ")) {
    optional = true;
    key = key.slice("optional ".length).trim();
  }
  if (key.startsWith("override ")) {
    override = true;
    key = key.slice("override ".length).trim();
  }
  let packageName: string | undefined;
  const at = key.indexOf("@");
  if (at >= 0) {
    packageName = key.slice(at + 1).trim();
    key = key.slice(0, at).trim();
  }
  const group = key.startsWith("/") ? key.slice(1) : listingGroup === "" ? key : `${listingGroup}/${key}`;
  return { group, optional, override, packageName };
}

/** Hydra's own config groups: `hydra/job_logging`, `hydra/launcher`, ... */
function isHydraGroup(group: string): boolean {
  return group === "hydra" || group.startsWith("hydra/");
}

/** `# @package pkg` among the comment lines at the top of a file, before any content. */
function headerPackage(text: string): string | undefined {
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    if (!trimmed.startsWith("#")) return undefined;
    const match = /^#\s*@package\s+(\S+)\s*$/.exec(trimmed);
    if (match !== null) return match[1];
  }
  return undefined;
}

/** Key path of a `# @package` header: absolute, with `_global_` and `_group_` as in Hydra. */
function packageFromHeader(name: string, group: string): readonly string[] {
  const [head, ...rest] = name.split(".");
  if (head === "_global_") return rest;
  if (head === "_group_") return [...(group === "" ? [] : group.split("/")), ...rest];
  return name.split(".");
}

/** Key path of a `group@pkg` entry: relative to the listing file's package unless `_global_`. */
function packageFromEntry(name: string, group: string, listing: readonly string[]): readonly string[] {
  const [head, ...rest] = name.split(".");
  if (head === "_global_") return rest;
  if (head === "_here_") return [...listing, ...rest];
  if (head === "_group_") return [...group.split("/"), ...rest];
  return [...listing, ...name.split(".")];
}

function locationOf(node: CNode): SourceLocation | undefined {
  return node.origin.kind === "file" ? node.origin.location : undefined;
}

function keyLocationOf(node: CNode): SourceLocation | undefined {
  return node.origin.kind === "file" ? node.origin.keyLocation : undefined;
}

/** Merge a file's tree into the root at its package path. */
function place(root: MapNode, layer: Layer): void {
  let parent: MapNode = root;
  const path = layer.packagePath;
  for (const [i, segment] of path.entries()) {
    const existing = parent.entries.get(segment);
    if (i === path.length - 1) {
      parent.entries.set(segment, existing === undefined ? layer.tree : mergeInto(existing, layer.tree));
      return;
    }
    if (existing?.kind === "map") {
      parent = existing;
    } else {
      const created = mapNode(layer.tree.origin);
      parent.entries.set(segment, created);
      parent = created;
    }
  }
  mergeInto(root, layer.tree);
}
