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

  it("refuses --list without --dry-run", async () => {
    const result = await cli(project.dir, ["run", "--list"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("error: --list goes with --dry-run: it lists what a run would do\n");
  });
});
