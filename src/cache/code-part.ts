/**
 * The code part of a fingerprint: every byte of code a node runs, and what runs it. The files
 * are the closures (module-graph.ts) of the node's entry modules — its executor as it runs
 * (cmbflow's built-in stages from the compiled dist/ the workers load) and the modules of the
 * handlers it reads and writes through — each named stably and digested by content; the runtime
 * is the Node.js major version and cmbflow's package version.
 */
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { CodePart, RuntimePart } from "./fingerprint.js";
import type { Hasher } from "./hash.js";
import { moduleSources, sourceName } from "./module-graph.js";
import { ADDON_PATH, chooseKernel } from "../healpix/legendre-native.js";

/** Where a node's code is. */
export interface CodeSource {
  /** The modules the node runs: its executor's and its handlers' (closures are taken from them). */
  readonly entries: readonly string[];
  /** Project files are named relative to it. */
  readonly projectDir: string;
  /** The cmbflow build that runs: its files are named `cmbflow/…`, and a bare `cmbflow` import leads into it. */
  readonly packageRoot: string;
}

const versions = new Map<string, string>();

/** cmbflow's package version at `packageRoot` ("unknown" when its package.json cannot be read), read once. */
function packageVersion(packageRoot: string): string {
  let version = versions.get(packageRoot);
  if (version === undefined) {
    try {
      const parsed = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { version?: unknown };
      version = typeof parsed.version === "string" ? parsed.version : "unknown";
    } catch {
      version = "unknown";
    }
    versions.set(packageRoot, version);
  }
  return version;
}

const kernels = new Map<string, string>();

/**
 * The Legendre kernel that `env` (CMBFLOW_KERNEL, CMBFLOW_NATIVE_ISA; worker threads inherit the
 * process's) makes the transforms run: "wasm", "native <isa> <digest of the addon file>", or
 * "unusable: …" for a setting the run refuses anyway. Read once per setting.
 */
export function kernelPart(digest: (bytes: Uint8Array) => string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const key = `${env["CMBFLOW_KERNEL"] ?? ""}/${env["CMBFLOW_NATIVE_ISA"] ?? ""}`;
  let kernel = kernels.get(key);
  if (kernel === undefined) {
    const choice = chooseKernel(env);
    kernel = !choice.ok ? `unusable: ${choice.message}` : choice.kind === "wasm" ? "wasm" : `native ${choice.isa} ${digest(readFileSync(ADDON_PATH))}`;
    kernels.set(key, kernel);
  }
  return kernel;
}

/** What runs a node's code: this process's Node.js major version, the cmbflow version at `packageRoot` and, given `digest`, the Legendre kernel. */
export function runtimePart(packageRoot: string, digest?: (bytes: Uint8Array) => string): RuntimePart {
  const base = { node: process.versions.node.split(".")[0] ?? process.versions.node, cmbflow: packageVersion(packageRoot) };
  return digest === undefined ? base : { ...base, kernel: kernelPart(digest) };
}

/**
 * The code part of `source`: its closure's files by stable name (sorted) with their content
 * digests, and the runtime. Imports in the user's files that cannot be followed (so what they
 * load is outside the part) are added to `unfollowed`, as `file: code`.
 */
export function codePart(hasher: Pick<Hasher, "digestBytes">, source: CodeSource, unfollowed?: string[]): CodePart {
  const digest = (bytes: Uint8Array): string => hasher.digestBytes(bytes);
  const sources = moduleSources(source.entries, { packageRoot: source.packageRoot, digest });
  const named: [string, string][] = sources.map((s) => [sourceName(s.file, source.projectDir, source.packageRoot), s.digest ?? digest(s.bytes)]);
  for (const s of sources) {
    // cmbflow's own build loads its tools through createRequire: that is not the user's code.
    if (s.unfollowed === undefined || !relative(source.packageRoot, s.file).startsWith("..")) continue;
    for (const code of s.unfollowed) unfollowed?.push(`${sourceName(s.file, source.projectDir, source.packageRoot)}: ${code}`);
  }
  named.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { files: Object.fromEntries(named), runtime: runtimePart(source.packageRoot, digest) };
}
