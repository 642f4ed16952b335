/**
 * The layering DESIGN.md draws: config → graph → cache → scheduler → backends, with the
 * runtime (core/) beside them. A module-level import cycle between the runtime, the scheduler
 * and the backends (PipelineContext above the scheduler and, through the worker, inside a
 * backend) is what issue 12 asked to break; this walks src/'s import graph so it stays broken.
 *
 * Only imports that load a module count: `import type` (and imports of types alone) are
 * erased by the compiler, and `import()` inside a function does not run at module level.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "..", "..", "src");

/** The folders whose modules must be in no cycle. */
const LAYERED = ["scheduler", "backends", "core"] as const;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** The project modules `file` loads at module level (relative specifiers, `.js` → `.ts`). */
function valueImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  const out: string[] = [];
  for (const st of source.statements) {
    let specifier: string | undefined;
    let typeOnly = false;
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
      specifier = st.moduleSpecifier.text;
      const clause = st.importClause;
      const named = clause?.namedBindings;
      typeOnly =
        clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly)));
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier !== undefined && ts.isStringLiteral(st.moduleSpecifier)) {
      specifier = st.moduleSpecifier.text;
      const named = st.exportClause;
      typeOnly = st.isTypeOnly || (named !== undefined && ts.isNamedExports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly));
    }
    if (specifier === undefined || typeOnly || !specifier.startsWith(".")) continue;
    out.push(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
  }
  return out;
}

/** Strongly connected components of more than one vertex (Tarjan): each is a set of mutually importing vertices. */
function cycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop();
      if (w === undefined) break;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return found;
}

const files = sourceFiles(SRC);
const fileEdges = new Map(files.map((f) => [relative(SRC, f), valueImports(f).map((t) => relative(SRC, t))]));
const folderOf = (path: string): string => path.split("/")[0] ?? path;

describe("src/ import graph", () => {
  it("finds a cycle where there is one (the walk itself works)", () => {
    expect(cycles(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]))).toEqual([["a", "b", "c"]]);
    expect(fileEdges.get("backends/index.ts")).toContain("backends/slurm/slurm-runner.ts");
    // A type-only import is no edge.
    expect(fileEdges.get("scheduler/node-runner.ts")).toEqual([]);
  });

  it("has no module-level import cycle through the scheduler, the backends or the runtime", () => {
    const through = cycles(fileEdges).filter((c) => c.some((f) => (LAYERED as readonly string[]).includes(folderOf(f))));
    expect(through).toEqual([]);
  });

  it("has no cycle between folders: the scheduler loads nothing of the runtime or the backends, the runtime nothing of the backends", () => {
    const folders = new Map<string, string[]>();
    for (const [from, targets] of fileEdges) {
      const list = folders.get(folderOf(from)) ?? [];
      for (const t of targets) if (folderOf(t) !== folderOf(from) && !list.includes(folderOf(t))) list.push(folderOf(t));
      folders.set(folderOf(from), list);
    }
    expect(cycles(folders)).toEqual([]);
    expect((folders.get("scheduler") ?? []).filter((f) => f === "core" || f === "backends")).toEqual([]);
    expect((folders.get("core") ?? []).filter((f) => f === "backends")).toEqual([]);
  });

  it("starts a worker (a thread, a Slurm task) without loading PipelineContext, the node graph, the cache engine or the scheduler", () => {
    /** Every module `entry` loads at module level, itself included. */
    const closure = (entry: string): Set<string> => {
      const seen = new Set<string>([entry]);
      const todo = [entry];
      for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
        for (const t of fileEdges.get(f) ?? []) {
          if (seen.has(t)) continue;
          seen.add(t);
          todo.push(t);
        }
      }
      return seen;
    };
    const coordinatorOnly = ["core/pipeline-context.ts", "graph/node-graph.ts", "graph/compile.ts", "cache/engine.ts", "scheduler/scheduler.ts"];
    for (const entry of ["backends/threads/worker.ts", "backends/slurm/task-entry.ts", "cli/worker-main.ts"]) {
      expect(fileEdges.has(entry), entry).toBe(true);
      expect([...closure(entry)].filter((f) => coordinatorOnly.includes(f)), entry).toEqual([]);
    }
    // The walk does see the coordinator's from its side (core/host.ts loads the node graph only when it compiles one).
    expect([...closure("cli/main.ts")].filter((f) => coordinatorOnly.includes(f)).sort()).toEqual(["cache/engine.ts", "core/pipeline-context.ts", "scheduler/scheduler.ts"]);
  });
});
