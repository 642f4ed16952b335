import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { knownImportLists, moduleClosure, moduleImports, moduleSources, PACKAGE_ENTRY, rememberImportLists, sourceName } from "../../src/cache/module-graph.js";
import { codePart } from "../../src/cache/code-part.js";
import { hasher } from "../../src/cache/hash.js";
import { REPO } from "../integration/project.js";

describe("the module graph", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-modgraph-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (files: Record<string, string>): void => {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
  };
  const closure = (entry: string, packageRoot?: string): string[] =>
    moduleClosure([join(dir, entry)], packageRoot === undefined ? {} : { packageRoot: join(dir, packageRoot) }).map((f) => f.slice(dir.length + 1));

  it("follows an import whose braces hold a comment with a quote and a semicolon", () => {
    write({
      "main.ts": 'import {\n  a, // don\'t; really\n  b, /* it\'s "odd" */\n} from "./a.js";\nexport const x: number = a + b;\n',
      "a.ts": "export const a = 1;\nexport const b = 2;\n",
    });
    expect(closure("main.ts")).toEqual(["a.ts", "main.ts"]);
  });

  it("follows dynamic imports of a literal, re-exports and side-effect imports, in TypeScript and JavaScript", () => {
    write({
      "main.ts": [
        'export * from "./star.js";',
        'export { named } from "./named.js";',
        'import "./side.js";',
        "const f = <T,>(v: T): T => v;",
        'export const load = async (): Promise<unknown> => f(await import("./dynamic.js"));',
        "export const tpl = () => import(`./template.js`);",
        'export const folded = () => import("./fol" + "ded.js");',
        "export const computed = (name: string) => import(`./${name}.js`);",
        "",
      ].join("\n"),
      "star.ts": "export const s = 1;\n",
      "named.ts": "export const named = 1;\n",
      "side.ts": "globalThis.x = 1;\n",
      "dynamic.ts": "export default 1;\n",
      "template.js": 'import { deep } from "./deep.js";\nexport default deep;\n',
      "deep.js": "export const deep = 1;\n",
      "folded.ts": "export default 1;\n",
    });
    expect(closure("main.ts")).toEqual(["deep.js", "dynamic.ts", "folded.ts", "main.ts", "named.ts", "side.ts", "star.ts", "template.js"]);
  });

  it("names every import it cannot follow: a computed import(), createRequire, require in CommonJS", async () => {
    write({
      "main.ts": [
        'import { createRequire } from "node:module";',
        "const require = createRequire(import.meta.url);",
        'export const cjs = require("./helper.cjs");',
        "export const computed = (name: string) => import(`./${name}.js`);",
        'export const meta = import.meta.url;',
        'import "./plain.js";',
        "",
      ].join("\n"),
      "helper.cjs": 'module.exports = require("./other.cjs");\n',
      "plain.ts": "export const p = 1;\n",
    });
    const sources = moduleSources([join(dir, "main.ts")]);
    expect(sources.map((s) => [s.file.slice(dir.length + 1), s.unfollowed])).toEqual([
      ["main.ts", ["import(`./${name}.js`)", "createRequire(…)(…)"]],
      ["plain.ts", undefined],
    ]);
    // The code part takes them out as warnings, naming the file; the memoised path (by digest) keeps them.
    const unfollowed: string[] = [];
    codePart(await hasher(), { entries: [join(dir, "main.ts")], projectDir: dir, packageRoot: join(dir, "no-package") }, unfollowed);
    expect(unfollowed).toEqual(["main.ts: import(`./${name}.js`)", "main.ts: createRequire(…)(…)"]);
    expect(moduleSources([join(dir, "helper.cjs")])[0]?.unfollowed).toEqual(["require(…)"]);
  });

  it("leaves out type-only imports: they are erased before the code runs", () => {
    write({
      "main.ts": [
        'import type { T } from "./types.js";',
        'import { type U, value } from "./mixed.js";',
        'export type { V } from "./reexported-type.js";',
        "export const x: T | U = value;",
        "",
      ].join("\n"),
      "types.ts": "export type T = number;\n",
      "mixed.ts": "export type U = number;\nexport const value = 1;\n",
      "reexported-type.ts": "export type V = string;\n",
    });
    expect(closure("main.ts")).toEqual(["main.ts", "mixed.ts"]);
  });

  it("still follows the imports of a module esbuild cannot transform, read as written", () => {
    write({ "main.ts": 'import { a } from "./a.js";\nconst broken = ;\n', "a.ts": "export const a = 1;\n" });
    expect(closure("main.ts")).toEqual(["a.ts", "main.ts"]);
  });

  it("continues a bare cmbflow import into the given package's entry, under node_modules too, and names its files cmbflow/…", () => {
    write({
      "stages/a.ts": 'import { BaseStageExecutor } from "cmbflow";\nimport { parse } from "yaml";\nexport class A extends BaseStageExecutor {}\n',
      "node_modules/cmbflow/dist/index.js": 'export { BaseStageExecutor } from "./core/executor.js";\n',
      "node_modules/cmbflow/dist/core/executor.js": "export class BaseStageExecutor {}\n",
    });
    expect(closure("stages/a.ts")).toEqual(["stages/a.ts"]);
    expect(closure("stages/a.ts", "node_modules/cmbflow")).toEqual(["node_modules/cmbflow/dist/core/executor.js", "node_modules/cmbflow/dist/index.js", "stages/a.ts"]);
    const names = moduleClosure([join(dir, "stages/a.ts")], { packageRoot: join(dir, "node_modules/cmbflow") }).map((f) =>
      sourceName(f, dir, join(dir, "node_modules/cmbflow")),
    );
    expect(names).toEqual(["cmbflow/dist/core/executor.js", "cmbflow/dist/index.js", "stages/a.ts"]);
  });

  it("takes a missing .js entry as its TypeScript source, and parses a file again only when its bytes change", () => {
    write({ "a.ts": 'import "./b.js";\n', "b.ts": "", "c.ts": "" });
    expect(closure("a.js")).toEqual(["a.ts", "b.ts"]);
    const file = join(dir, "a.ts");
    expect(moduleImports(file, readFileSync(file))).toEqual(["./b.js"]);
    write({ "a.ts": 'import "./c.js";\n' });
    expect(moduleImports(file, readFileSync(file))).toEqual(["./c.js"]);
    expect(closure("a.ts")).toEqual(["a.ts", "c.ts"]);
  });

  it("names a file by the inner of the project and package folders when they nest", () => {
    expect(sourceName("/p/node_modules/cmbflow/dist/x.js", "/p", "/p/node_modules/cmbflow")).toBe("cmbflow/dist/x.js");
    expect(sourceName("/p/stages/x.ts", "/p", "/p/node_modules/cmbflow")).toBe("stages/x.ts");
    expect(sourceName("/cmbflow/test/proj/x.ts", "/cmbflow/test/proj", "/cmbflow")).toBe("x.ts");
    expect(sourceName("/cmbflow/dist/x.js", "/cmbflow", "/cmbflow")).toBe("cmbflow/dist/x.js");
    expect(sourceName("/elsewhere/x.ts", "/p", "/cmbflow")).toBe("external/elsewhere/x.ts");
  });

  it("follows cmbflow into the module its package.json exports", () => {
    const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { name: string; exports: Record<string, { default: string }> };
    expect(pkg.name).toBe("cmbflow");
    expect(pkg.exports["."]?.default).toBe(`./${PACKAGE_ENTRY}`);
  });

  it("hands on every import list it knows, remembered or parsed with a digest, for worker threads", async () => {
    const h = await hasher();
    write({ "main.ts": 'import { a } from "./a.js";\nexport const x = a;\n', "a.ts": "export const a = 1;\n" });
    moduleClosure([join(dir, "main.ts")], { digest: (bytes) => h.digestBytes(bytes) });
    rememberImportLists({ ".js:0123456789abcdef": ["./remembered.js"] });
    const known = knownImportLists();
    expect(known[`.ts:${h.digestFileSync(join(dir, "main.ts")).digest}`]).toEqual(["./a.js"]);
    expect(known[`.ts:${h.digestFileSync(join(dir, "a.ts")).digest}`]).toEqual([]);
    expect(known[".js:0123456789abcdef"]).toEqual(["./remembered.js"]);
  });
});
