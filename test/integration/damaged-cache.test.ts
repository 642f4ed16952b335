/**
 * Issue #11 §5: a damaged cache never ends a run in a stack trace or a blocked process. Each
 * case damages the cache of a project that ran once, runs again through the real binary, and
 * checks the one report with the way out, that the run went on, and that the lock is gone.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject } from "./project.js";

const FILES: Record<string, string> = {
  "cfg/config.yaml": "defaults:\n  - pipeline: p\n  - _self_\ndataset_name: d\nsplits:\n  name: three\n  Train:\n    n_sims: 3\n",
  "cfg/pipeline/p.yaml": `a:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  dir_name: A
  executor: stages/a.ts#A
`,
  "stages/a.ts": `import { BaseStageExecutor, type NodeContext } from "cmbflow";
export class A extends BaseStageExecutor {
  async processSim(ctx: NodeContext): Promise<void> {
    await ctx.output<string>("out").write(\`sim \${String(ctx.partition.sim)}\\n\`);
  }
}
`,
};

const NOTE = "  to check the rest of the cache: cmbflow cache verify --repair\n";

interface Totals {
  ran: number;
  fresh: number;
}

let project: Project | undefined;
afterEach(() => project?.cleanup());

/** A project that ran once; `cache` is its cache folder. */
function ranOnce(): { p: Project; cache: string } {
  project = makeProject(FILES);
  const first = project.run(["run", "-q"]);
  expect(first.code, first.stderr).toBe(0);
  return { p: project, cache: join(project.dir, "cache") };
}

function rerun(p: Project): { code: number; stderr: string; totals: Totals } {
  const result = p.run(["run", "--json"]);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(existsSync(join(p.dir, "cache", "lock")), "the lock is released").toBe(false);
  const totals = result.code === 0 ? (JSON.parse(result.stdout) as { totals: Totals }).totals : { ran: -1, fresh: -1 };
  return { code: result.code, stderr: result.stderr, totals };
}

/** The one quarantined entry's name (its time stamp stripped). */
function quarantined(cache: string): string[] {
  return readdirSync(join(cache, "quarantine")).map((name) => name.replace(/^\d{4}-\d\d-\d\dT[\d-]+Z-/, ""));
}

describe("a damaged cache", () => {
  it("skips and quarantines record lines that are JSON but not records (no path, path 123, path null)", () => {
    const { p, cache } = ranOnce();
    const nodes = join(cache, "state", "nodes.jsonl");
    const lines = readFileSync(nodes, "utf8").trimEnd().split("\n");
    const broken = lines.map((line, i) => {
      const record = JSON.parse(line) as { outputs: { path?: unknown }[] };
      const output = record.outputs[0] ?? {};
      if (i === 0) delete output.path;
      else if (i === 1) output.path = 123;
      else output.path = null;
      return JSON.stringify(record);
    });
    writeFileSync(nodes, `${broken.join("\n")}\n`);
    const result = rerun(p);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^warning: the cache is damaged; the damaged entries were put aside and what they held is recomputed:\n {2}cache\/state\/nodes\.jsonl: 3 unreadable lines \(their records are lost; those nodes run again\) \(the file as it was is kept at cache\/quarantine\/[\dT-]+Z-state-nodes\.jsonl\)\n/,
    );
    expect(result.stderr).toContain(NOTE);
    expect(result.totals).toMatchObject({ ran: 3, fresh: 0 });
    expect(quarantined(cache)).toEqual(["state-nodes.jsonl"]);
    // Reported once: the rewritten log is clean, and the next run is a quiet no-op.
    const again = rerun(p);
    expect(again.stderr).not.toContain("damaged");
    expect(again.totals).toMatchObject({ ran: 0, fresh: 3 });
  });

  for (const [name, where, rerunsNodes] of [
    ["nodes.jsonl", "state/nodes.jsonl", true],
    ["blobs.jsonl", "state/blobs.jsonl", false],
    ["executors.json", "executors.json", false],
    ["file-digests.json", "file-digests.json", false],
  ] as const) {
    it(`moves a directory in the place of ${name} aside and goes on`, () => {
      const { p, cache } = ranOnce();
      rmSync(join(cache, where));
      mkdirSync(join(cache, where, "inside"), { recursive: true });
      const result = rerun(p);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(new RegExp(`^ {2}cache/${where.replace(".", "\\.")}: a directory where a file should be \\(moved to cache/quarantine/[\\dT-]+Z-${where.replace("/", "-").replace(".", "\\.")}\\)$`, "m"));
      expect(result.stderr).toContain(NOTE);
      expect(result.totals).toMatchObject(rerunsNodes ? { ran: 3, fresh: 0 } : { ran: 0, fresh: 3 });
      // Kept, not deleted: what the user put there is still in the quarantine.
      expect(existsSync(join(cache, "quarantine", readdirSync(join(cache, "quarantine"))[0] ?? "?", "inside"))).toBe(true);
    });
  }

  for (const folder of ["state", "objects"]) {
    it(`moves a file in the place of cache/${folder} aside and goes on`, () => {
      const { p, cache } = ranOnce();
      rmSync(join(cache, folder), { recursive: true });
      writeFileSync(join(cache, folder), "not a folder\n");
      // A code change makes every node run, so a file as cache/objects would be written into.
      appendFileSync(join(p.dir, "stages", "a.ts"), "// edited\n");
      const result = rerun(p);
      expect(result.code).toBe(0);
      expect(result.stderr).toContain(`  cache/${folder}: a file where a folder should be (moved to cache/quarantine/`);
      expect(result.totals).toMatchObject({ ran: 3, fresh: 0 });
      expect(quarantined(cache)).toEqual([folder]);
    });
  }

  it("leaves a cache folder that is a symbolic link to a folder (e.g. on a larger disk) alone", () => {
    const { p, cache } = ranOnce();
    renameSync(join(cache, "objects"), join(p.dir, "objects-elsewhere"));
    symlinkSync(join(p.dir, "objects-elsewhere"), join(cache, "objects"));
    const result = rerun(p);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain("damaged");
    expect(existsSync(join(cache, "quarantine"))).toBe(false);
  });

  it("refuses, naming it, a regular file where the cache folder should be, and leaves it alone", () => {
    const { p } = ranOnce();
    rmSync(join(p.dir, "cache"), { recursive: true });
    writeFileSync(join(p.dir, "cache"), "my notes\n");
    const result = p.run(["run", "-q"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: ${join(p.dir, "cache")}: is a file where cmbflow needs a folder (EEXIST): move it away and run again\n`);
    expect(readFileSync(join(p.dir, "cache"), "utf8")).toBe("my notes\n");
  });

  it("does not block on a FIFO as nodes.jsonl (run and status)", () => {
    const { p, cache } = ranOnce();
    const nodes = join(cache, "state", "nodes.jsonl");
    rmSync(nodes);
    execFileSync("mkfifo", [nodes]);
    const status = p.run(["status"]);
    expect(status.stderr).not.toMatch(/^\s+at /m);
    expect(status.code).toBe(1);
    const result = rerun(p);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("  cache/state/nodes.jsonl: a FIFO (named pipe) where a file should be (moved to cache/quarantine/");
    expect(result.totals).toMatchObject({ ran: 3, fresh: 0 });
  });

  it("reads past a 700 MB torn tail without loading it, in status and in run", () => {
    const { p, cache } = ranOnce();
    const nodes = join(cache, "state", "nodes.jsonl");
    const size = readFileSync(nodes).length;
    // A sparse file: 700 MB of zeros after the last complete line, as a crash on some file systems leaves.
    truncateSync(nodes, size + 700_000_000);
    const status = p.run(["status", "--json"]);
    expect(status.stderr).not.toMatch(/^\s+at /m);
    expect(status.code).toBe(0);
    const result = rerun(p);
    expect(result.code).toBe(0);
    expect(result.totals).toMatchObject({ ran: 0, fresh: 3 });
    expect(readFileSync(nodes).length).toBe(size);
  });

  it("cache verify names the damage and the way out; cache verify --repair puts it aside", () => {
    const { p, cache } = ranOnce();
    appendFileSync(join(cache, "state", "nodes.jsonl"), '{"node": "a[split=Train,sim=9]", "outputs": "none"}\n');
    rmSync(join(cache, "file-digests.json"));
    mkdirSync(join(cache, "file-digests.json"));
    const found = p.run(["cache", "verify"]);
    expect(found.code).toBe(1);
    expect(found.stdout).toContain(
      "damaged  2 cache entries:\n  cache/file-digests.json: a directory where a file should be\n  cache/state/nodes.jsonl: 1 unreadable line (their records are lost; those nodes run again)\n",
    );
    expect(found.stderr).toBe(
      "error: the cache is damaged: put the damaged entries aside with cmbflow cache verify --repair (the next run also does), and what they held is recomputed\n",
    );
    // Verify only reads: nothing was moved.
    expect(existsSync(join(cache, "quarantine"))).toBe(false);

    const repaired = p.run(["cache", "verify", "--repair"]);
    expect(repaired.code).toBe(1);
    expect(repaired.stdout).toMatch(/^ {2}cache\/file-digests\.json: a directory where a file should be \(moved to cache\/quarantine\/[\dT-]+Z-file-digests\.json\)$/m);
    expect(repaired.stderr).toBe("repaired: the damaged cache entries are in cache/quarantine/; the next run recomputes what they held\n");
    expect(quarantined(cache).sort()).toEqual(["file-digests.json", "state-nodes.jsonl"]);
    expect(existsSync(join(cache, "lock"))).toBe(false);

    const clean = p.run(["cache", "verify"]);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toContain("all is well\n");
    const next = rerun(p);
    expect(next.stderr).not.toContain("damaged");
    expect(next.totals).toMatchObject({ ran: 0, fresh: 3 });
  });
});
