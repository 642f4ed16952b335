/**
 * The project-local import graph of a module: the module and every file it imports through
 * relative specifiers, transitively (packages in node_modules are left out). Used for the
 * code part of a node's fingerprint and for the run log's code snapshot.
 *
 * Imports are found in the source text: static `import … from "x"`, `export … from "x"`,
 * side-effect `import "x"` and `import("x")` with a string literal. A specifier `./a.js`
 * resolves to `./a.ts` when only the TypeScript source exists (TypeScript's ESM convention).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, isAbsolute, join, relative, resolve } from "node:path";

const SPECIFIER = /(?:^|[\s;}])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)/g;

/** Relative specifiers imported by `source` (type-only imports included: they can change types the code relies on). */
export function relativeImports(source: string): string[] {
  const out: string[] = [];
  for (const match of source.matchAll(SPECIFIER)) {
    const spec = match[1] ?? match[2];
    if (spec !== undefined && (spec.startsWith("./") || spec.startsWith("../"))) out.push(spec);
  }
  return out;
}

/** The file a relative specifier names, or undefined when none exists. */
export function resolveSpecifier(fromFile: string, spec: string): string | undefined {
  const base = resolve(dirname(fromFile), spec);
  const candidates = [base];
  const ext = extname(base);
  if (ext === ".js" || ext === ".mjs" || ext === ".cjs") {
    const stem = base.slice(0, -ext.length);
    candidates.unshift(`${stem}${ext.replace("js", "ts")}`);
  }
  if (ext === "") candidates.push(`${base}.ts`, `${base}.js`, resolve(base, "index.ts"), resolve(base, "index.js"));
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/** Every file reachable from `entries` through relative imports, sorted. */
export function moduleClosure(entries: readonly string[]): string[] {
  const seen = new Set<string>();
  const stack = [...entries];
  while (stack.length > 0) {
    const file = stack.pop();
    if (file === undefined || seen.has(file) || file.includes(`${"/"}node_modules${"/"}`)) continue;
    seen.add(file);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const spec of relativeImports(text)) {
      const target = resolveSpecifier(file, spec);
      if (target !== undefined && !seen.has(target)) stack.push(target);
    }
  }
  return [...seen].sort();
}

/**
 * A source file's stable name: relative to the project folder when inside it, `cmbflow/…`
 * inside cmbflow's own package, else `external/<absolute path>`. Used in code fingerprints
 * and snapshots, so they do not change when the project or cmbflow moves.
 */
export function sourceName(file: string, projectDir: string, packageRoot: string): string {
  const inProject = relative(projectDir, file);
  if (!inProject.startsWith("..") && !isAbsolute(inProject)) return inProject;
  const inPackage = relative(packageRoot, file);
  if (!inPackage.startsWith("..") && !isAbsolute(inPackage)) return join("cmbflow", inPackage);
  return join("external", file.replace(/^\/+/, ""));
}
