/**
 * What a worker thread loads. Every worker imports cmbflow's entry (the stage it runs imports
 * `cmbflow`), so a dependency the entry loads at module level is paid once per thread, before
 * the thread's first node. Dependencies only the main thread uses (zod, to validate the
 * configuration) are loaded on first use instead; this checks, on the compiled build, that
 * importing the entry leaves them unloaded and that using them still works. A configuration
 * validated once is not validated again (config/validated-memo.ts), so the CLI itself loads zod
 * only for a configuration it has not seen pass.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeProject, REPO } from "../integration/project.js";

/** Packages the entry must not load at import. */
const LAZY = ["zod", "yaml"] as const;

describe("dependencies loaded on first use", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-lazy-"));
    // Records every module file loaded, ES module or CommonJS.
    writeFileSync(
      join(dir, "record.mjs"),
      `import { register, createRequire } from "node:module";
import { appendFileSync } from "node:fs";
const log = process.env.LOAD_LOG;
register("data:text/javascript," + encodeURIComponent(\`import { appendFileSync } from "node:fs"; export async function load(url, c, next) { appendFileSync(\${JSON.stringify(log)}, url + "\\\\n"); return next(url, c); }\`));
const Module = createRequire(import.meta.url)("node:module");
const original = Module._load;
Module._load = function (request, parent, isMain) { const out = original.apply(this, arguments); try { appendFileSync(log, Module._resolveFilename(request, parent, isMain) + "\\n"); } catch {} return out; };
`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const loaded = (script: string, argv: readonly string[] = ["--input-type=module", "-e", script], cwd?: string): string[] => {
    const log = join(dir, `log-${String(Math.random()).slice(2)}.txt`);
    writeFileSync(log, "");
    const r = spawnSync(process.execPath, ["--import", pathToFileURL(join(dir, "record.mjs")).href, ...argv], {
      encoding: "utf8",
      env: { ...process.env, LOAD_LOG: log, NO_COLOR: "1" },
      ...(cwd === undefined ? {} : { cwd }),
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    return readFileSync(log, "utf8").split("\n");
  };
  const entry = pathToFileURL(join(REPO, "dist", "index.js")).href;

  it.each(LAZY)("importing cmbflow's entry does not load %s", (pkg) => {
    const files = loaded(`await import(${JSON.stringify(entry)});`);
    expect(files.some((f) => f.includes(`/dist/index.js`))).toBe(true);
    expect(files.filter((f) => f.includes(`/node_modules/${pkg}/`))).toEqual([]);
  });

  it("loads zod when a configuration is validated, and validation still reports problems", () => {
    const files = loaded(
      `const { validateConfig } = await import(${JSON.stringify(pathToFileURL(join(REPO, "dist", "config", "schema.js")).href)});
const issues = validateConfig({ pipeline: { a: { dir_name: 3 } }, splits: { name: "s" } });
if (!issues.some((i) => i.message.includes("must be a string"))) throw new Error(JSON.stringify(issues));`,
    );
    expect(files.some((f) => f.includes("/node_modules/zod/"))).toBe(true);
  });

  it("a command over a configuration validated before does not load zod to check it again", () => {
    const project = makeProject({}, { defaultCfg: true });
    try {
      mkdirSync(join(project.dir, "cache"));
      const dag = (): string[] => loaded("", [join(REPO, "bin", "cmbflow.js"), "dag"], project.dir);
      expect(dag().some((f) => f.includes("/node_modules/zod/"))).toBe(true);
      expect(dag().filter((f) => f.includes("/node_modules/zod/"))).toEqual([]);
      // Another configuration is checked again.
      const other = loaded("", [join(REPO, "bin", "cmbflow.js"), "dag", "splits=1-1"], project.dir);
      expect(other.some((f) => f.includes("/node_modules/zod/"))).toBe(true);
    } finally {
      project.cleanup();
    }
  });
});
