/**
 * LogMaker (CMB-ML's): sets aside, for every run, what is needed to know later how its outputs
 * were made, in `{root}/{dataset}/Logs/<run-id>/`:
 *
 *   config/…               the raw config files used, in their relative layout
 *   config_resolved.yaml   the composed, interpolated configuration
 *   overrides.yaml         the command-line overrides
 *   code.json              the code snapshot's digest and files; `code/` links to the snapshot
 *   dependencies.json      package versions from the lock file
 *   run.log                the JSON log (pino), one event per line
 *   summary.json           nodes, outcome, duration
 *
 * Code snapshots are content-addressed under `Logs/.snapshots/<digest>/`, so identical code
 * is stored once however many runs use it. A stage with `make_stage_log: true` gets a copy of
 * the run's log folder (without the snapshot) in `<stage folder>/Logs/<run-id>/`, also after a failure.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdir, readFile, rename, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { stringify } from "../config/yaml-lib.js";
import type { LoadedConfig } from "../config/types.js";
import { hasher } from "../cache/hash.js";
import { moduleClosure, sourceName } from "../cache/module-graph.js";
import { PACKAGE_ROOT } from "./executor-loader.js";

/** What a run's log folder is made from. */
export interface LogMakerOptions {
  readonly config: LoadedConfig;
  /** `{root}/{dataset}`: the log folder goes in its `Logs/`. */
  readonly datasetDir: string;
  readonly projectDir: string;
  readonly runId: string;
  /** Entry modules of the run's stages (their executor files). */
  readonly codeEntries: readonly string[];
}

/**
 * A run id: UTC time to the millisecond plus 4 random hex digits, safe in paths; ids of runs
 * started one after another sort in time order (to the second was not enough: two quick
 * runs then sorted by their random suffix).
 */
export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace("Z", "").replace(/:/g, "-").replace(".", "-");
  return `${stamp}_${createHash("sha256").update(`${String(now.getTime())}${String(Math.random())}`).digest("hex").slice(0, 4)}`;
}

/** Writes a run's log folder. */
export class LogMaker {
  readonly runDir: string;
  readonly logFile: string;
  readonly #options: LogMakerOptions;

  constructor(options: LogMakerOptions) {
    this.#options = options;
    this.runDir = join(options.datasetDir, "Logs", options.runId);
    this.logFile = join(this.runDir, "run.log");
  }

  /** Writes everything known before the run: configs, overrides, code snapshot, dependency versions. */
  async start(): Promise<void> {
    const { config } = this.#options;
    await mkdir(this.runDir, { recursive: true });
    for (const source of config.sources) {
      const target = join(this.runDir, "config", source.relativePath);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, source.text);
    }
    await writeFile(join(this.runDir, "config_resolved.yaml"), stringify(config.resolved, { lineWidth: 0 }));
    await writeFile(join(this.runDir, "overrides.yaml"), stringify([...config.overrides]));
    await this.#snapshotCode();
    await writeFile(join(this.runDir, "dependencies.json"), `${JSON.stringify(dependencyVersions(this.#options.projectDir), null, 2)}\n`);
  }

  /** Writes the run summary. */
  async finish(summary: unknown): Promise<void> {
    await writeFile(join(this.runDir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  }

  /** Copies the run's log folder (without the code link) into `stageDir/Logs/<run-id>/`. */
  async copyToStage(stageDir: string): Promise<void> {
    const target = join(stageDir, "Logs", this.#options.runId);
    await mkdir(target, { recursive: true });
    await cp(this.runDir, target, { recursive: true, filter: (src) => !src.endsWith(`${"/"}code`) });
  }

  /** Stores the code snapshot once per distinct content and links it from the run folder. */
  async #snapshotCode(): Promise<void> {
    // With the content digest, the import lists the run's fingerprints used are reused: no file
    // is parsed again (for TypeScript that would start esbuild).
    const h = await hasher();
    const files = moduleClosure(
      this.#options.codeEntries.map((e) => resolve(e)),
      { digest: (bytes) => h.digestBytes(bytes) },
    );
    const hash = createHash("sha256");
    const entries: { path: string; stored: string; digest: string }[] = [];
    for (const file of files) {
      const text = await readFile(file);
      const digest = createHash("sha256").update(text).digest("hex");
      const stored = sourceName(file, this.#options.projectDir, PACKAGE_ROOT);
      entries.push({ path: file, stored, digest });
      hash.update(`${stored}\u0000${digest}\u0000`);
    }
    const digest = hash.digest("hex").slice(0, 16);
    const snapshots = join(this.#options.datasetDir, "Logs", ".snapshots");
    const snapshot = join(snapshots, digest);
    if (!existsSync(snapshot)) {
      // Build beside it and rename, so a snapshot folder is always complete.
      const building = `${snapshot}.tmp-${String(process.pid)}`;
      for (const entry of entries) {
        const target = join(building, entry.stored);
        await mkdir(dirname(target), { recursive: true });
        await cp(entry.path, target);
      }
      await mkdir(building, { recursive: true });
      try {
        await rename(building, snapshot);
      } catch {
        // Another run stored the same snapshot first: same content, keep theirs.
      }
    }
    await writeFile(
      join(this.runDir, "code.json"),
      `${JSON.stringify({ digest, files: entries.map((e) => ({ path: e.stored, sha256: e.digest })) }, null, 2)}\n`,
    );
    await symlink(relative(this.runDir, snapshot), join(this.runDir, "code"));
  }
}

/** name → version of every package in the project's lock file (or cmbflow's own when the project has none). */
export function dependencyVersions(projectDir: string): Record<string, string> {
  const lock = [join(projectDir, "package-lock.json"), join(PACKAGE_ROOT, "package-lock.json")].find((p) => existsSync(p));
  if (lock === undefined) return {};
  const parsed = JSON.parse(readFileSync(lock, "utf8")) as { packages?: Record<string, { version?: string }> };
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed.packages ?? {})) {
    const name = key.replace(/^.*node_modules\//, "");
    if (key !== "" && value.version !== undefined) out[name] = value.version;
  }
  return out;
}
