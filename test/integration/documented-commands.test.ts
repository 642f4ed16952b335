/**
 * Every command the README's shell blocks and the commands' --help examples show works as
 * written, in a project holding a copy of the default configuration. Lines that install or
 * test (npm ...) are left out; in a pipe only cmbflow's part runs (graphviz may be missing);
 * a path on another disk (/scratch/cmb) is replaced by a temporary folder.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject, REPO } from "./project.js";

/** Splits a command line into words: single and double quotes group, as the shell does here. */
function words(line: string): string[] {
  const out: string[] = [];
  const pattern = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (const m of line.matchAll(pattern)) out.push(m[1] ?? m[2] ?? m[3] ?? "");
  return out;
}

/** A documented command: the environment it sets and cmbflow's arguments. */
interface Documented {
  readonly text: string;
  readonly env: Record<string, string>;
  readonly args: string[];
}

/** `[ENV=value ...] (npx) cmbflow args [| ...] [# comment]` as a command, or undefined for other lines. */
function parse(line: string, scratch: string): Documented | undefined {
  const text = line.replace(/\s+#.*$/, "").split(" | ")[0]?.trim() ?? "";
  const all = words(text.replaceAll("/scratch/cmb", scratch));
  const env: Record<string, string> = {};
  while (all[0]?.includes("=") === true && !all[0].startsWith("-")) {
    const [key, ...value] = (all.shift() ?? "").split("=");
    env[key ?? ""] = value.join("=");
  }
  if (all[0] === "npx") all.shift();
  if (all[0] !== "cmbflow") return undefined;
  return { text, env, args: all.slice(1) };
}

/** The commands in the README's ```sh blocks, in order. */
function readmeCommands(scratch: string): Documented[] {
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
  return blocks.flatMap((b) => b.split("\n")).flatMap((line) => parse(line, scratch) ?? []);
}

/** The examples under "Examples:" in `cmbflow COMMAND --help`. */
function helpExamples(project: Project, command: string, scratch: string): Documented[] {
  const help = project.run([command, "--help"]).stdout;
  const section = help.split("Examples:\n")[1] ?? "";
  // An example's comment is separated from it by two or more spaces.
  return section
    .split("\n")
    .map((l) => l.trim().split(/\s{2,}/)[0] ?? "")
    .flatMap((l) => parse(l, scratch) ?? []);
}

describe("the documented commands", () => {
  let project: Project;
  let scratch: string;
  beforeAll(() => {
    project = makeProject({}, { defaultCfg: true });
    scratch = mkdtempSync(join(tmpdir(), "cmbflow-scratch-"));
  });
  afterAll(() => {
    project.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Runs one; status and verify say "stale" or "damaged" with exit 1, which is not a failure of the example. */
  const works = (c: Documented): void => {
    const result = project.run(c.args, c.env);
    const allowed = c.args[0] === "status" || (c.args[0] === "cache" && c.args[1] === "verify") ? [0, 1] : [0];
    expect(allowed, `${c.text}\n${result.stderr}`).toContain(result.code);
    expect(result.stderr, c.text).not.toMatch(/^\s+at /m);
  };

  it("in the README run as written", () => {
    const commands = readmeCommands(scratch);
    expect(commands.length).toBeGreaterThan(15);
    for (const c of commands) works(c);
  }, 300_000);

  it("in every command's --help run as written (run's with --dry-run)", () => {
    // After the README's commands the default dataset exists, so provenance has files to show.
    expect(project.run(["run", "-q"]).code).toBe(0);
    let seen = 0;
    for (const command of ["run", "status", "explain", "dag", "config", "cache", "provenance", "report", "view"]) {
      const examples = helpExamples(project, command, scratch);
      expect(examples.length, command).toBeGreaterThan(0);
      for (const c of examples) {
        works(command === "run" ? { ...c, args: [...c.args, "--dry-run"] } : c);
        seen++;
      }
    }
    expect(seen).toBeGreaterThan(15);
  }, 300_000);
});
