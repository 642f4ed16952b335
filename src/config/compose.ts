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
 * everything else. Not supported (each a diagnostic): `override` entries, `@package`, lists of
 * options, interpolation in defaults lists.
 */
import { join } from "node:path";
import { error } from "../diagnostics/diagnostic.js";
import type { Diagnostic, SourceLocation } from "../diagnostics/diagnostic.js";
import type { ConfigIo } from "./io.js";
import { mapNode, mergeInto } from "./node.js";
import type { CNode, MapNode } from "./node.js";
import type { ParsedOverride } from "./overrides.js";
import { closestMatches, didYouMean, listNames, naturalSort } from "../diagnostics/suggest.js";
import type { ConfigSource } from "./types.js";
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
}

/** The composed tree (before key overrides and interpolation), or the diagnostics. */
export interface Composition {
  readonly root: MapNode;
  readonly sources: readonly ConfigSource[];
  readonly choices: Readonly<Record<string, string>>;
  readonly errors: readonly Diagnostic[];
  readonly warnings: readonly Diagnostic[];
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
    const placeSelf = (): void => {
      this.#layers.push({ tree, packagePath: context.packagePath });
      selfPlaced = true;
    };
    if (defaults !== undefined && !(defaults.kind === "scalar" && defaults.value === null)) {
      if (defaults.kind !== "seq") {
        this.#errors.push(error("`defaults` must be a list", locationOf(defaults)));
      } else {
        for (const entry of defaults.items) {
          if (entry.kind === "scalar" && entry.value === "_self_") placeSelf();
          else this.#entry(entry, context, [...stack, path]);
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
    let key = rawKey.trim();
    let optional = false;
    if (key.startsWith("optional ")) {
      optional = true;
      key = key.slice("optional ".length).trim();
    }
    if (key.startsWith("override ") || key.includes("@")) {
      const what = key.includes("@") ? "packages (`group@package`)" : "`override` entries";
      this.#errors.push(
        error(`${what} in defaults lists are not supported`, keyAt, [
          "choose the option in the group's own entry, or on the command line: group=option",
        ]),
      );
      return;
    }
    const group = key.startsWith("/") ? key.slice(1) : context.group === "" ? key : `${context.group}/${key}`;
    if (value.kind !== "scalar" || typeof value.value === "boolean") {
      this.#errors.push(error(`the option of config group "${group}" must be a single file name`, locationOf(value)));
      return;
    }
    if (value.value === null) return;
    const written = String(value.value);
    if (written.includes("${")) {
      this.#errors.push(error("interpolation in defaults lists is not supported", locationOf(value)));
      return;
    }
    this.#group(group, written, { optional, keyAt, optionAt: locationOf(value) }, stack);
  }

  /** `- name` in a defaults list: a file next to the listing file, merged into the same place. */
  #sibling(name: string, at: SourceLocation | undefined, context: FileContext, stack: readonly string[]): void {
    if (name.includes("${")) {
      this.#errors.push(error("interpolation in defaults lists is not supported", at));
      return;
    }
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
    where: { readonly optional: boolean; readonly keyAt: SourceLocation | undefined; readonly optionAt: SourceLocation | undefined },
    stack: readonly string[],
  ): void {
    const override = this.#input.groupOverrides.find((o) => o.group === group && o.override.kind !== "add");
    let option = written;
    let optionAt = where.optionAt;
    let viaOverride: GroupOverride | undefined;
    if (override !== undefined) {
      this.#usedOverrides.add(override);
      if (override.option === undefined) return;
      option = override.option;
      optionAt = undefined;
      viaOverride = override;
    }
    if (this.#chosenAt.has(group)) {
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
    this.#chosenAt.set(group, optionAt);
    this.#choices[group] = option;
    this.#visit(join(folder, `${option}.yaml`), { group, packagePath: group.split("/") }, stack, optionAt);
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
