/** Flag values that Number() or commander would take silently are refused, naming the flag and the value. */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
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

describe("backend flags", () => {
  let project: { dir: string; cleanup: () => void };
  beforeAll(() => {
    project = tempProject({}, true);
  });
  afterAll(() => project.cleanup());

  it("refuses a backend that is none, from the flag or the config, and --retries without slurm or not a count", async () => {
    const bad = await cli(project.dir, ["run", "--dry-run", "--backend", "slurmm"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('error: --backend is "slurmm"; backends: threads, inline, slurm\n');
    const configured = await cli(project.dir, ["run", "--dry-run", "+backend=pbs"]);
    expect(configured.stderr).toBe('error: the config\'s backend: key is "pbs"; backends: threads, inline, slurm\n');
    const retries = await cli(project.dir, ["run", "--dry-run", "--retries", "2"]);
    expect(retries.stderr).toBe("error: --retries goes with --backend slurm: it resubmits nodes whose Slurm task failed\n");
    const count = await cli(project.dir, ["run", "--dry-run", "--backend", "slurm", "--retries", "two"]);
    expect(count.stderr).toBe('error: --retries must be a whole number (0 or more), not "two"\n');
  });

  it("--dry-run --backend slurm prints each stage's sbatch script with its resources, and submits nothing", async () => {
    const result = await cli(project.dir, ["run", "--dry-run", "--backend", "slurm", "+slurm.batch_size=4", "+slurm.throttle=2", "+slurm.resources.mem=2G", "+pipeline.make_noise.resources.cpus=2"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("# ---- sbatch script for stage make_noise: 27 node(s) in 7 array task(s) ----\n#!/bin/sh\n# cmbflow: 27 nodes of stage make_noise\n#SBATCH --job-name=RUN_ID\n#SBATCH --array=0-6%2\n");
    expect(result.stdout).toMatch(/#SBATCH --cpus-per-task=2\n#SBATCH --mem=2G\nexec \S+ \S+cmbflow\.js worker --manifest \S+\/cache\/slurm\/RUN_ID\/\d{4}-make_noise\/manifest\.bin --task "\$SLURM_ARRAY_TASK_ID"\n/);
    expect(result.stdout).toContain("# ---- sbatch script for stage ps_setup: 1 node(s) in 1 array task(s) ----\n");
    // A run hands dependents ahead with their upstream (chains, --dependency), which the scripts per stage do not show.
    expect(result.stdout).toMatch(/# ---- a run may submit fewer jobs than the scripts above: .*\n# ---- goes with them \(a simulation's chain of stages in one array task, or a job submitted with\n# ---- --dependency=afterany on its upstream's\)/);
  });

  it("a bad slurm: setting is one message naming the key", async () => {
    const result = await cli(project.dir, ["run", "--dry-run", "--backend", "slurm", "+pipeline.make_noise.resources.gpu=1"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("error: pipeline.make_noise.resources.gpu is not a resource the Slurm backend asks for (resources: cpus, mem, time, gpus, partition, account, qos, extra)\n");
  });
});

describe("--backend inline", () => {
  it("runs every node in the calling thread, writing the same files as worker threads", async () => {
    const inline = tempProject({}, true);
    const threads = tempProject({}, true);
    try {
      const a = await cli(inline.dir, ["run", "--backend", "inline", "--config-name", "tutorial", "splits=1-1"]);
      expect(a.code, a.stderr).toBe(0);
      const b = await cli(threads.dir, ["run", "--config-name", "tutorial", "splits=1-1"]);
      expect(b.code, b.stderr).toBe(0);
      const files = (dir: string): Record<string, string> => {
        const out: Record<string, string> = {};
        const walk = (d: string): void => {
          for (const e of readdirSync(d, { withFileTypes: true })) {
            if (e.isDirectory()) {
              if (e.name !== "Logs") walk(join(d, e.name));
            } else out[relative(dir, join(d, e.name))] = readFileSync(join(d, e.name)).toString("base64");
          }
        };
        walk(join(dir, "data"));
        return out;
      };
      const written = files(inline.dir);
      expect(Object.keys(written).length).toBeGreaterThan(3);
      expect(written).toEqual(files(threads.dir));
    } finally {
      inline.cleanup();
      threads.cleanup();
    }
  });
});
