/** Flag values that Number() or commander would take silently are refused, naming the flag and the value. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, tempProject } from "./harness.js";

describe("flag values", () => {
  let project: { dir: string; cleanup: () => void };
  beforeAll(() => {
    project = tempProject({}, true);
  });
  afterAll(() => project.cleanup());

  it("refuses -j written in hex, with spaces, or in exponent form", async () => {
    for (const [flag, value, kind] of [
      ["-j", "0x2", "--jobs must be a positive integer"],
      ["-j", " 2", "--jobs must be a positive integer"],
      ["-j", "2e0", "--jobs must be a positive integer"],
      ["--grace", "0x10", "--grace must be a positive number"],
    ] as const) {
      const result = await cli(project.dir, ["run", "--dry-run", flag, value]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`error: ${kind}, not "${value}"\n`);
    }
    expect((await cli(project.dir, ["run", "--dry-run", "-j", "2", "--grace", "0.5"])).code).toBe(0);
  });

  it("refuses an empty --config-name", async () => {
    const empty = await cli(project.dir, ["dag", "--config-name", ""]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe("error: option '--config-name <name>' argument '' is invalid. It must name a config file, e.g. --config-name tutorial.\n");
    const spaced = await cli(project.dir, ["dag", "--config-name", " tutorial"]);
    expect(spaced.stderr).toBe("error: option '--config-name <name>' argument ' tutorial' is invalid. It has spaces around the name.\n");
  });

  it("refuses --fail-fast without -m: it stops a sweep, and there is none", async () => {
    const result = await cli(project.dir, ["run", "--dry-run", "--fail-fast"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("error: --fail-fast goes with -m (--multirun)\n");
  });

  it("refuses --list without --dry-run", async () => {
    const result = await cli(project.dir, ["run", "--list"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("error: --list goes with --dry-run: it lists what a run would do\n");
  });

  /** Stages and node counts of a dry run's plan. */
  const planned = async (args: readonly string[]): Promise<Record<string, number>> => {
    const result = await cli(project.dir, ["run", "--dry-run", "--json", ...args]);
    expect(result.code, result.stderr).toBe(0);
    const stages = (JSON.parse(result.stdout) as { stages: { name: string; run: number }[] }).stages;
    return Object.fromEntries(stages.map((s) => [s.name, s.run]));
  };

  it("takes overrides written after a stage option, and stage names as targets", async () => {
    // --until no longer swallows the override after it: splits=1-1 applies (3 make_cmb nodes, not 6).
    const until = await planned(["--until", "make_cmb", "splits=1-1", "scenario=nside16"]);
    expect(until).toEqual({ ps_setup: 1, make_cmb: 3 });
    // A bare stage name means --until, in any order with the overrides; repeated and comma-separated options add up.
    expect(await planned(["splits=1-1", "make_cmb", "scenario=nside16"])).toEqual(until);
    expect(await planned(["splits=1-1", "--only", "ps_setup", "--only", "make_cmb", "scenario=nside16"])).toEqual(until);
    expect(await planned(["--only", "ps_setup,make_cmb", "splits=1-1", "scenario=nside16"])).toEqual(until);
  });

  it("names a bare word that is no stage, saying what a word without = means", async () => {
    const result = await cli(project.dir, ["run", "--dry-run", "mak_cmb", "splits=1-1"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: run mak_cmb: no such stage; did you mean "make_cmb"\? \(stages: [^)]*\); a word without "=" is a stage to run \(an override is written key=value\)\n$/);
  });
});
