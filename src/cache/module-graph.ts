/**
 * The import graph of the code a node runs: a module and every file it imports, transitively.
 * Used for the code part of a node's fingerprint, the executor memo's key and the run log's
 * code snapshot.
 *
 * Imports are read by a real lexer, never by patterns over the text: TypeScript goes through
 * esbuild's transform first (the transform tsx runs, so type syntax cannot mislead the lexer),
 * then es-module-lexer lists the module's imports: static `import … from "x"`, side-effect
 * `import "x"`, re-exports `export … from "x"`, and `import("x")` whose specifier is a string
 * (or a constant expression esbuild folds to one). Type-only imports (`import type …`,
 * `export type … from`) are left out: they are erased before the code runs. (`import { type X }`
 * keeps its module, as TypeScript's verbatimModuleSyntax does.) An `import()` of a computed
 * specifier cannot be followed, nor modules loaded through `require` (createRequire, CommonJS):
 * each such import is named in the file's {@link SourceFile.unfollowed}, so the user is warned
 * that edits to what it loads do not make anything stale.
 *
 * Relative specifiers are followed (`./a.js` resolves to `./a.ts` when only the TypeScript
 * source exists, TypeScript's ESM convention); a bare `cmbflow` continues into the cmbflow
 * build given as `packageRoot` (its `dist/index.js`); other packages are left out.
 */
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { initSync, parse } from "es-module-lexer";

/** The module a bare `cmbflow` import loads, relative to the package root (package.json `exports["."]`). */
export const PACKAGE_ENTRY = "dist/index.js";

/** cmbflow's package name, as user modules import it. */
export const PACKAGE_NAME = "cmbflow";

/** How a closure is taken. */
export interface ClosureOptions {
  /**
   * The content digest of a file (the hasher's `digestBytes`). With it each file's digest is
   * returned with it, and import lists are memoised by digest — across processes too, through
   * {@link rememberImportLists} and {@link importListsInUse} — so unchanged code is never parsed
   * again (a no-op run starts no esbuild).
   */
  readonly digest?: (bytes: Uint8Array) => string;
  /**
   * The cmbflow build that runs: a bare `cmbflow` import continues into its {@link PACKAGE_ENTRY},
   * and its files are followed even when it is installed under node_modules. Without it the
   * closure stays within the importing modules' own folders (node_modules left out).
   */
  readonly packageRoot?: string;
}

const TYPESCRIPT = new Set([".ts", ".mts", ".cts", ".tsx"]);

type Transform = (code: string, options: object) => { code: string };
let transform: Transform | undefined;
let lexerReady = false;

/**
 * Parsed import lists by file, kept with the text they were parsed from: a file is parsed again
 * only when its content changed (a no-op run parses each file once, and the closures of many
 * stages share most of their files).
 */
const parsed = new Map<string, { readonly bytes: Buffer; readonly imports: readonly string[] }>();
/** Import lists by `<extension>:<content digest>` (the extension decides how a file is parsed), and those used by this process. */
const byDigest = new Map<string, readonly string[]>();
const usedDigests = new Set<string>();

/** Makes import lists saved by an earlier process known (keys as {@link importListsInUse} gives them). */
export function rememberImportLists(lists: Readonly<Record<string, readonly string[]>>): void {
  for (const [key, imports] of Object.entries(lists)) if (!byDigest.has(key)) byDigest.set(key, imports);
}

/**
 * Every import list this process knows (remembered or parsed), to hand to the worker threads it
 * starts: a worker watching the code it loads then parses none of the files it finds unchanged,
 * and starts no esbuild for a TypeScript stage (about 0.3 s per worker measured here).
 */
export function knownImportLists(): Record<string, readonly string[]> {
  return Object.fromEntries(byDigest);
}

/** The import lists of every file a closure taken with a digest reached in this process, to save for the next. */
export function importListsInUse(): Record<string, readonly string[]> {
  const out: Record<string, readonly string[]> = {};
  for (const key of [...usedDigests].sort()) {
    const imports = byDigest.get(key);
    if (imports !== undefined) out[key] = imports;
  }
  return out;
}

/** The JavaScript that runs for `text`: TypeScript with its types erased, as tsx's esbuild does. */
function runnableJs(file: string, text: string): string {
  const ext = extname(file);
  if (!TYPESCRIPT.has(ext)) return text;
  // Loaded on first use: a run whose code is all compiled JavaScript never starts esbuild.
  transform ??= (createRequire(import.meta.url)("esbuild") as { transformSync: Transform }).transformSync;
  return transform(text, {
    loader: ext === ".tsx" ? "tsx" : "ts",
    format: "esm",
    target: "esnext",
    sourcefile: file,
    // Keeps every import that is not marked type-only, used or not: an import kept for its side
    // effects must stay in the closure whatever the project's tsconfig says.
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
  }).code;
}

/**
 * The specifiers `file` (whose content is `bytes`) imports, in source order, type-only imports
 * left out. A file that does not parse has none: it cannot run either, and its own digest
 * still counts.
 */
export function moduleImports(file: string, bytes: Buffer): readonly string[] {
  const known = parsed.get(file);
  if (known?.bytes.equals(bytes) === true) return known.imports;
  const { imports, exact } = parseImports(file, bytes);
  if (exact) parsed.set(file, { bytes, imports });
  return imports;
}

/**
 * Marks, in an import list, an import that cannot be followed (it is kept in the list, and in
 * memoised lists, so the warning about it survives the memo): `?` and what the code says.
 * No specifier that resolves starts with it.
 */
const UNFOLLOWED = "?";

/** The specifiers of the imports es-module-lexer finds in `code`, and a {@link UNFOLLOWED} entry for each it cannot follow. */
function lex(code: string, file: string): string[] {
  if (!lexerReady) {
    initSync();
    lexerReady = true;
  }
  const [found] = parse(code, file);
  const out: string[] = [];
  for (const i of found) {
    if (i.n !== undefined) out.push(i.n);
    // d > -1: a dynamic import() whose specifier is computed (d === -2 is import.meta).
    else if (i.d > -1) out.push(`${UNFOLLOWED}${oneLine(code.slice(i.ss, i.se))}`);
  }
  // Modules loaded through require() (createRequire in an ES module, or a CommonJS module) are
  // not imports the lexer sees.
  if (/\bcreateRequire\b/.test(code) && out.some((s) => s === "node:module" || s === "module")) out.push(`${UNFOLLOWED}createRequire(…)(…)`);
  else if (/\brequire\s*\(/.test(code) && (extname(file) === ".cjs" || extname(file) === ".cts")) out.push(`${UNFOLLOWED}require(…)`);
  return out;
}

/** Code shown in a warning: on one line, at most 80 characters. */
function oneLine(code: string): string {
  const flat = code.replace(/\s+/g, " ").trim();
  return flat.length > 80 ? `${flat.slice(0, 79)}…` : flat;
}

/** The imports in an import list that cannot be followed, as the code writes them. */
export function unfollowedImports(imports: readonly string[]): string[] {
  return imports.filter((s) => s.startsWith(UNFOLLOWED)).map((s) => s.slice(UNFOLLOWED.length));
}

/**
 * The imports of `file`; `exact` false when its runnable JavaScript could not be lexed and the
 * text as written was lexed instead (type-only imports then included, and nothing when that
 * fails too). Only exact lists are memoised: a fallback is retried on the next closure.
 */
function parseImports(file: string, bytes: Buffer): { imports: string[]; exact: boolean } {
  const text = bytes.toString("utf8");
  try {
    return { imports: lex(runnableJs(file, text), file), exact: true };
  } catch {
    // A syntax error (the module cannot load either), or esbuild unavailable.
  }
  try {
    return { imports: lex(text, file), exact: false };
  } catch {
    return { imports: [], exact: false };
  }
}

/** {@link moduleImports} memoised by content digest instead of by path. */
function importsByDigest(file: string, bytes: Buffer, digest: string): readonly string[] {
  const key = `${extname(file)}:${digest}`;
  const known = byDigest.get(key);
  if (known !== undefined) {
    usedDigests.add(key);
    return known;
  }
  const { imports, exact } = parseImports(file, bytes);
  if (exact) {
    byDigest.set(key, imports);
    usedDigests.add(key);
  }
  return imports;
}

/**
 * The file a specifier names, or undefined when none exists or it is a package other than cmbflow.
 * From TypeScript, `./a.js` names `./a.ts` when that exists (TypeScript's ESM convention); from
 * JavaScript it names `./a.js`, as Node loads it, or `./a.ts` when only the source exists.
 */
export function resolveSpecifier(fromFile: string, spec: string, options: ClosureOptions = {}): string | undefined {
  if (spec === PACKAGE_NAME) return options.packageRoot === undefined ? undefined : existingFile(join(options.packageRoot, PACKAGE_ENTRY));
  if (!spec.startsWith("./") && !spec.startsWith("../")) return undefined;
  const base = resolve(dirname(fromFile), spec);
  const ext = extname(base);
  if (ext === ".js" || ext === ".mjs" || ext === ".cjs") {
    if (!TYPESCRIPT.has(extname(fromFile))) return existingFile(base);
    const source = `${base.slice(0, -ext.length)}${ext.replace("js", "ts")}`;
    return isFile(source) ? source : existingFile(base);
  }
  const candidates = ext === "" ? [base, `${base}.ts`, `${base}.js`, resolve(base, "index.ts"), resolve(base, "index.js")] : [base];
  return candidates.find((c) => isFile(c));
}

function isFile(file: string): boolean {
  return statSync(file, { throwIfNoEntry: false })?.isFile() === true;
}

/** `file` when it exists as a file; for a missing `.js`, its TypeScript source when that exists. */
function existingFile(file: string): string | undefined {
  if (isFile(file)) return file;
  const ext = extname(file);
  if (ext === ".js" || ext === ".mjs" || ext === ".cjs") {
    const source = `${file.slice(0, -ext.length)}${ext.replace("js", "ts")}`;
    if (isFile(source)) return source;
  }
  return undefined;
}

/** True when `file` is inside `dir`. */
function inside(file: string, dir: string): boolean {
  const rel = relative(dir, file);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

/** A file of a closure with its content, and its digest when the closure was taken with one. */
export interface SourceFile {
  readonly file: string;
  readonly bytes: Buffer;
  readonly digest?: string;
  /** Its imports that cannot be followed (a computed `import()`, `require` through createRequire), as written. */
  readonly unfollowed?: readonly string[];
}

/**
 * Every file reachable from `entries` through their imports, with its content (read once),
 * sorted by file. An entry written as the `.js` a TypeScript source compiles to is taken as that
 * source when only the source exists; an entry that cannot be read is left out.
 */
export function moduleSources(entries: readonly string[], options: ClosureOptions = {}): SourceFile[] {
  const seen = new Set<string>();
  const out: SourceFile[] = [];
  const stack = entries.map((e) => existingFile(e) ?? e);
  const nodeModules = `${sep}node_modules${sep}`;
  while (stack.length > 0) {
    const file = stack.pop();
    if (file === undefined || seen.has(file)) continue;
    const inPackage = options.packageRoot !== undefined && inside(file, options.packageRoot);
    if (!inPackage && file.includes(nodeModules)) continue;
    seen.add(file);
    const read = inPackage ? packageFile(file, options) : projectFile(file, options);
    if (read === undefined) continue;
    out.push(read.source);
    for (const target of read.targets) if (!seen.has(target)) stack.push(target);
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/** A file read for a closure, and the files its imports resolve to. */
interface ReadFile {
  readonly source: SourceFile;
  readonly targets: readonly string[];
}

function projectFile(file: string, options: ClosureOptions): ReadFile | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  const digest = options.digest?.(bytes);
  const imports = digest === undefined ? moduleImports(file, bytes) : importsByDigest(file, bytes, digest);
  const targets = imports.flatMap((spec) => resolveSpecifier(file, spec, options) ?? []);
  const unfollowed = unfollowedImports(imports);
  return { source: { file, bytes, ...(digest === undefined ? {} : { digest }), ...(unfollowed.length === 0 ? {} : { unfollowed }) }, targets };
}

/**
 * cmbflow's own files as this process read them, by path, with the stat they were read at. The
 * closures of every stage share most of cmbflow's build, so each of its files is read, digested
 * and resolved once per process and afterwards only stat-ed: a changed file (a rebuild) is read
 * again. Their imports' resolutions are kept: files of an installed build do not come and go.
 */
const packageFiles = new Map<string, { readonly stat: string; readonly read: ReadFile }>();

function packageFile(file: string, options: ClosureOptions): ReadFile | undefined {
  const now = statSync(file, { bigint: true, throwIfNoEntry: false });
  if (now === undefined || !now.isFile()) return undefined;
  const stat = `${String(now.dev)}:${String(now.ino)}:${String(now.size)}:${String(now.mtimeNs)}:${String(now.ctimeNs)}`;
  const known = packageFiles.get(file);
  if (known?.stat === stat && (options.digest === undefined || known.read.source.digest !== undefined)) return known.read;
  const read = projectFile(file, options);
  if (read !== undefined) packageFiles.set(file, { stat, read });
  return read;
}

/** The files of {@link moduleSources}. */
export function moduleClosure(entries: readonly string[], options: ClosureOptions = {}): string[] {
  return moduleSources(entries, options).map((s) => s.file);
}

/**
 * A source file's stable name: `cmbflow/…` inside cmbflow's own package, relative to the project
 * folder when inside it, else `external/<absolute path>`. When the two folders nest, the inner
 * one names the file (a project kept inside cmbflow's checkout, cmbflow installed in the
 * project's node_modules). Used in code fingerprints and snapshots, so they do not change when
 * the project or cmbflow moves.
 */
export function sourceName(file: string, projectDir: string, packageRoot: string): string {
  const inProject = inside(file, projectDir);
  const inPackage = inside(file, packageRoot);
  if (inPackage && !(inProject && inside(projectDir, packageRoot))) return join("cmbflow", relative(packageRoot, file));
  if (inProject) return relative(projectDir, file);
  return join("external", file.replace(/^\/+/, ""));
}
