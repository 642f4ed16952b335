/**
 * `cmbflow worker`, what every Slurm array task starts, loads the worker command alone (not the
 * run, report and view commands) and reports bad input as the full CLI does. Runs the compiled
 * CLI (dist/), like the other integration tests.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { REPO } from "./project.js";

const dir = mkdtempSync(join(tmpdir(), "cmbflow-worker-entry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs bin/cmbflow.js with a module hook that logs every cmbflow CLI module it loads. */
function cli(args: readonly string[]): { code: number | null; stderr: string; loaded: string[] } {
  const log = join(dir, `loaded-${String(Math.random()).slice(2)}.txt`);
  const hooks = join(dir, "hooks.mjs");
  writeFileSync(
    hooks,
    `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (r.url.includes("/dist/cli/")) appendFileSync(process.env.CMBFLOW_LOADED_LOG, r.url.slice(r.url.indexOf("/dist/cli/") + 10) + "\\n");
  return r;
}
`,
  );
  const register = join(dir, "register.mjs");
  writeFileSync(register, `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  writeFileSync(log, "");
  const r = spawnSync(process.execPath, ["--import", pathToFileURL(register).href, join(REPO, "bin", "cmbflow.js"), ...args], {
    encoding: "utf8",
    env: { PATH: process.env["PATH"] ?? "", CMBFLOW_LOADED_LOG: log, NO_COLOR: "1" },
  });
  return { code: r.status, stderr: r.stderr, loaded: readFileSync(log, "utf8").split("\n").filter((l) => l !== "") };
}

describe("cmbflow worker", () => {
  it("loads only the worker command's modules of the CLI", () => {
    const missing = join(dir, "no-manifest.bin");
    const r = cli(["worker", "--manifest", missing, "--task", "0"]);
    expect(r.stderr).toMatch(new RegExp(`^error: the manifest ${missing.replaceAll("/", "\\/")} cannot be read: ENOENT`));
    expect(r.code).toBe(1);
    expect([...new Set(r.loaded)].sort()).toEqual(["io.js", "worker-command.js", "worker-main.js"]);
    // The other commands load main.js and every command module.
    expect(cli(["--version"]).loaded).toContain("run-command.js");
  });

  it("reports a bad --task, or none, as a usage error", () => {
    const bad = cli(["worker", "--manifest", "m.bin", "--task", "x"]);
    expect(bad.stderr).toBe('error: --task must be an array index (0 or more), not "x"\n');
    expect(bad.code).toBe(2);
    const none = cli(["worker", "--manifest", "m.bin"]);
    expect(none.stderr).toBe("error: required option '--task <n>' not specified\n");
    expect(none.code).toBe(2);
  });
});
