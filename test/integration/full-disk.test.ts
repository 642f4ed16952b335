/**
 * Issue #11 §5, full disks: a run on a full file system says which file could not be written,
 * releases the lock, and loses no recorded data. A small tmpfs makes the disk full for real
 * (mounting needs root; elsewhere these tests are skipped).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Project } from "./project.js";
import { makeProject } from "./project.js";

const FILES: Record<string, string> = {
  "cfg/config.yaml": "defaults:\n  - pipeline: p\n  - _self_\ndataset_name: d\ncache:\n  enabled: false\nsplits:\n  name: one\n  Train:\n    n_sims: 1\n",
  "cfg/pipeline/p.yaml": `a:
  assets_out:
    out: {handler: PlainText, path_template: "{root}/{dataset}/{stage}/{split}/{sim}/out.txt"}
  dir_name: A
  executor: stages/a.ts#A
  size: 10
  fill_cache: false
`,
  "stages/a.ts": `import { writeFileSync } from "node:fs";
import { BaseStageExecutor, type Cfg, type NodeContext } from "cmbflow";
/** Writes \`size\` bytes; with \`fill_cache\`, first fills the file system of cache/ to the last block. */
export class A extends BaseStageExecutor {
  readonly #size: number;
  readonly #fill: boolean;
  constructor(cfg: Cfg, stage: string) {
    super(cfg, stage);
    this.#size = cfg.number(\`pipeline.\${stage}.size\`);
    this.#fill = cfg.get(\`pipeline.\${stage}.fill_cache\`) === true;
  }
  async processSim(ctx: NodeContext): Promise<void> {
    if (this.#fill) {
      try {
        writeFileSync("cache/filler", Buffer.alloc(64 << 20));
      } catch {
        // ENOSPC: the file keeps what fitted, and the disk is full.
      }
    }
    await ctx.output<string>("out").write("x".repeat(this.#size));
  }
}
`,
};

function canMount(): boolean {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return false;
  const probe = join(process.env["TMPDIR"] ?? "/tmp", `cmbflow-mount-probe-${String(process.pid)}`);
  mkdirSync(probe, { recursive: true });
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=4k", "tmpfs", probe], { stdio: "ignore" });
    execFileSync("umount", [probe], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

const MOUNTABLE = canMount();

let project: Project | undefined;
const mounts: string[] = [];
afterEach(() => {
  for (const dir of mounts.splice(0)) execFileSync("umount", [dir]);
  project?.cleanup();
});

/** Mounts a tmpfs of `size` at the project's folder `name`. */
function smallDisk(p: Project, name: string, size: string): string {
  const dir = join(p.dir, name);
  mkdirSync(dir, { recursive: true });
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  mounts.push(dir);
  return dir;
}

describe.skipIf(!MOUNTABLE)("a full disk", () => {
  it("while saving the digest memo at the end of a run: names the file, keeps the records and releases the lock", () => {
    project = makeProject(FILES);
    const cache = smallDisk(project, "cache", "1m");
    expect(project.run(["run", "-q"]).code).toBe(0);
    const memo = readFileSync(join(cache, "file-digests.json"), "utf8");
    const result = project.run(["run", "-q", "pipeline.a.fill_cache=true"]);
    // The nodes ran and were recorded before the memo's save failed: both are said, in that order.
    expect(result.stderr).toMatch(/^done: 1 ran in [\d.]+ s; outputs in data\/d\n/);
    expect(result.stderr).toContain(
      `\nerror: ${cache}/file-digests.json: the digest memo could not be saved: no space left on the device (ENOSPC): free some space and run again (the run's records are kept; the next run re-reads files to check them)\n`,
    );
    expect(result.code).toBe(1);
    expect(existsSync(join(cache, "lock"))).toBe(false);
    // The previous memo is whole (the save went to a temporary file), and the new record is kept.
    expect(readFileSync(join(cache, "file-digests.json"), "utf8")).toBe(memo);
    rmSync(join(cache, "filler"));
    const again = project.run(["run", "--json", "pipeline.a.fill_cache=true"]);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { totals: { ran: number; fresh: number } }).totals).toMatchObject({ ran: 0, fresh: 1 });
  });

  it("before the run starts: names the cache lock it could not write", () => {
    project = makeProject(FILES);
    const cache = smallDisk(project, "cache", "64k");
    try {
      writeFileSync(join(cache, "filler"), Buffer.alloc(1 << 20));
    } catch {
      // ENOSPC: the disk is full now.
    }
    const result = project.run(["run", "-q"]);
    expect(result.stderr).toBe(`error: ${cache}/lock: the cache lock could not be written: no space left on the device (ENOSPC): free some space and run again\n`);
    expect(result.code).toBe(1);
    expect(readdirSync(cache)).toEqual(["filler"]);
  });

  it("while a stage writes an output: the node fails with the output's path", () => {
    project = makeProject(FILES);
    smallDisk(project, "data", "256k");
    const result = project.run(["run", "-q", "pipeline.a.size=1000000"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: stage "a" failed at node a[split=Train,sim=0]: cannot write ${project.dir}/data/d/A/Train/sim0000/out.txt: no space left on the device (ENOSPC): free some space and run again\n`,
    );
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(join(project.dir, "cache", "lock"))).toBe(false);
  });

  it("while the run folder is written: names the run folder, nothing runs, and the lock is released", () => {
    project = makeProject(FILES);
    smallDisk(project, "data", "4k");
    const result = project.run(["run", "-q"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^error: the run folder ${project.dir}/data/d/Logs/[\\dT_a-f-]+ could not be written: no space left on the device \\(ENOSPC\\): free some space and run again\\n$`),
    );
    expect(existsSync(join(project.dir, "cache", "lock"))).toBe(false);
  });
});
