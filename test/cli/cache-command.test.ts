import { execFileSync } from "node:child_process";
import { appendFileSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheCommand } from "../../src/cli/cache-command.js";
import type { CliIo } from "../../src/cli/io.js";
import type { CliResult } from "./harness.js";
import { cli, tempProject } from "./harness.js";

/** `cmbflow cache ...` in-process, on a program with this command registered the way main.ts registers commands. */
async function cache(cwd: string, args: readonly string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  let code = 0;
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd, env: {}, color: false, terminal: false };
  const program = new Command("cmbflow").exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  cacheCommand(program, io, (c) => {
    code = c;
  });
  for (const sub of program.commands) sub.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  try {
    await program.parseAsync(["cache", ...args], { from: "user" });
  } catch (caught) {
    if (!(caught instanceof CommanderError)) throw caught;
    code = caught.code === "commander.helpDisplayed" ? 0 : 2;
  }
  return { code, stdout, stderr };
}

const BASE = ["splits=1-1", "scenario=nside16"];
/** Changes make_noise at 30 GHz and everything downstream of it. */
const CHANGED = [...BASE, "scenario.detectors.30.depth_ukarcmin=151"];
const DATA = "data/T_16_1-1/Simulation_Working";

/** Digests of the objects in the store, from the folder itself. */
function objectsOnDisk(dir: string): string[] {
  const root = join(dir, "cache", "objects");
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((p) => !p.startsWith("."))
    .flatMap((p) => readdirSync(join(root, p)).filter((n) => !n.startsWith(".")))
    .sort();
}

/** Distinct output digests of the nodes' latest records (nodes.jsonl is compact after gc: one line per node). */
function currentDigests(dir: string): Set<string> {
  const digests = new Set<string>();
  const latest = new Map<string, { outputs: { digest: string }[] }>();
  for (const line of readFileSync(join(dir, "cache", "state", "nodes.jsonl"), "utf8").trim().split("\n")) {
    const record = JSON.parse(line) as { node: string; outputs: { digest: string }[] };
    latest.set(record.node, record);
  }
  for (const record of latest.values()) for (const o of record.outputs) digests.add(o.digest);
  return digests;
}

/** Totals of `run --dry-run --json`: how many nodes would run, be restored, or may run (waiting on a node that runs). */
async function plan(dir: string, overrides: readonly string[]): Promise<{ run: number; restore: number; mayRun: number }> {
  const { code, stdout } = await cli(dir, ["run", ...overrides, "--dry-run", "--json"]);
  expect(code).toBe(0);
  const stages = (JSON.parse(stdout) as { stages: { run: number; restore: number; may_run: number }[] }).stages;
  return { run: stages.reduce((n, s) => n + s.run, 0), restore: stages.reduce((n, s) => n + s.restore, 0), mayRun: stages.reduce((n, s) => n + s.may_run, 0) };
}

describe("cmbflow cache", () => {
  let project: { dir: string; cleanup: () => void };
  beforeAll(async () => {
    project = tempProject({}, true);
    expect((await cli(project.dir, ["run", ...BASE])).code).toBe(0);
  });
  afterAll(() => project.cleanup());

  it("du counts objects, state logs and node records", async () => {
    const { code, stdout } = await cache(project.dir, ["du", "--json"]);
    expect(code).toBe(0);
    const du = JSON.parse(stdout) as { objects: { count: number; bytes: number }; state: { bytes: number; files: Record<string, number> }; records: { nodes: number; earlier_fingerprints: number }; total_bytes: number };
    // 37 nodes; ps_analysis, ps_summary and mollview_sim (CMB and noise pictures) write two
    // files each: 42 outputs, all distinct.
    expect(du.records).toEqual({ nodes: 37, earlier_fingerprints: 0 });
    expect(du.objects.count).toBe(42);
    expect(objectsOnDisk(project.dir)).toHaveLength(42);
    expect(du.objects.bytes).toBeGreaterThan(42 * 1000);
    expect(Object.keys(du.state.files)).toEqual(["nodes.jsonl", "history.jsonl", "blobs.jsonl"]);
    expect(du.state.files["nodes.jsonl"]).toBeGreaterThan(0);
    expect(du.total_bytes).toBeGreaterThan(du.objects.bytes + du.state.bytes - 1);

    const text = await cache(project.dir, ["du"]);
    expect(text.stdout).toMatch(/^objects {6}42 files, [\d.]+ (KiB|MiB) +cache\/objects$/m);
    expect(text.stdout).toContain("\nrecords      37 nodes, 0 earlier fingerprints\n");
  });

  it("verify finds nothing wrong after a clean run", async () => {
    const { code, stdout, stderr } = await cache(project.dir, ["verify"]);
    expect(stderr).toBe("");
    expect(stdout).toMatch(/^objects {2}42 checked \([\d.]+ (KiB|MiB)\): all match their digests\noutputs {2}42 checked: all match their records\nscans {4}[1-9]\d* checked: all match their keys\nrecords {2}37 nodes\nparts {4}\d+ checked: all intact\nall is well\n$/);
    expect(code).toBe(0);
  });

  it("gc after a config change and its revert keeps what --keep-last says and frees the rest", async () => {
    expect((await cli(project.dir, ["run", ...CHANGED])).code).toBe(0);
    const reverted = await cli(project.dir, ["run", ...BASE]);
    expect(reverted.code).toBe(0);
    expect(reverted.stderr).toMatch(/restored/);
    const all = objectsOnDisk(project.dir);
    const current = currentDigests(project.dir);
    expect(all.length).toBeGreaterThan(current.size);
    const changedPlan = await plan(project.dir, CHANGED);
    expect(changedPlan.restore).toBeGreaterThan(0);

    // The changed config is each affected node's previous fingerprint: --keep-last 2 keeps it restorable.
    const keep2 = await cache(project.dir, ["gc", "--keep-last", "2"]);
    expect(keep2.code).toBe(0);
    expect(keep2.stdout).toContain("removed 0 objects (0 B) not used by any node's last 2 fingerprints\n");
    expect(objectsOnDisk(project.dir)).toEqual(all);
    expect(await plan(project.dir, CHANGED)).toEqual(changedPlan);

    // Default: only the current fingerprints' objects stay.
    const keep1 = await cache(project.dir, ["gc"]);
    expect(keep1.code).toBe(0);
    const freed = all.length - current.size;
    expect(keep1.stdout).toMatch(new RegExp(`^removed ${String(freed)} objects? \\([\\d.]+ (B|KiB|MiB)\\) not used by any node's current fingerprint\\nkept ${String(current.size)} objects`));
    expect(keep1.stdout).toMatch(/^state logs [\d.]+ KiB → [\d.]+ KiB \(compacted\)$/m);
    expect(objectsOnDisk(project.dir)).toEqual([...current].sort());
    // What was freed is recomputed now, not restored. (Nodes whose changed-config outputs are
    // byte-identical to the current ones, e.g. make_noise at 100 GHz, which reads every
    // detector's keys, stay restorable: their objects are the current outputs.)
    const afterGc = await plan(project.dir, CHANGED);
    expect(afterGc.run).toBeGreaterThan(changedPlan.run);
    expect(afterGc.run + afterGc.restore + afterGc.mayRun).toBe(changedPlan.run + changedPlan.restore + changedPlan.mayRun);
    expect((await cache(project.dir, ["verify"])).code).toBe(0);
  });

  it("gc removes stale temporary files of interrupted stores", async () => {
    const [first] = objectsOnDisk(project.dir);
    const temp = join(project.dir, "cache", "objects", (first ?? "").slice(0, 2), `.${first ?? ""}.999-abc.tmp`);
    writeFileSync(temp, "half an object");
    const { code, stdout } = await cache(project.dir, ["gc"]);
    expect(code).toBe(0);
    expect(stdout).toContain("removed 1 stale temporary file\n");
    expect(existsSync(temp)).toBe(false);
  });

  it("gc removes Slurm result files left beside outputs, unless a stopped coordinator's journal may still take them over; verify ignores them", async () => {
    const folder = join(project.dir, DATA, "B_Make_CMB", "Train", "sim0000");
    expect(existsSync(folder)).toBe(true);
    const result = join(folder, ".cmbflow-result-make_cmb[split=Train,sim=0].0123abcd.bin");
    const temp = `${result}.node07-4242.tmp`;
    writeFileSync(result, "a result no run recorded");
    writeFileSync(temp, "half a result");
    expect((await cache(project.dir, ["verify"])).code).toBe(0);

    const journal = join(project.dir, "cache", "slurm", "journal");
    mkdirSync(journal, { recursive: true });
    writeFileSync(join(journal, "2026-01-01T00-00-00-000_abcd.jsonl"), "");
    const kept = await cache(project.dir, ["gc"]);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain("kept 2 Slurm result files beside outputs: a coordinator that stopped left its journal in cache/slurm/journal, and the next run takes them over\n");
    expect([existsSync(result), existsSync(temp)]).toEqual([true, true]);

    rmSync(join(project.dir, "cache", "slurm"), { recursive: true });
    const removed = await cache(project.dir, ["gc", "--json"]);
    expect(removed.code).toBe(0);
    expect((JSON.parse(removed.stdout) as { slurm_result_files: unknown }).slurm_result_files).toEqual({ removed: 2, kept: 0 });
    expect([existsSync(result), existsSync(temp)]).toEqual([false, false]);
  });

  it("gc refuses while another process holds the cache lock", async () => {
    const lock = join(project.dir, "cache", "lock");
    const start = "2026-01-01T00:00:00.000Z";
    // This test process is alive, so its pid makes a lock that is held.
    writeFileSync(lock, `${JSON.stringify({ pid: process.pid, host: hostname(), start, token: "someone-else" })}\n`);
    try {
      const before = objectsOnDisk(project.dir);
      const { code, stdout, stderr } = await cache(project.dir, ["gc"]);
      expect(stdout).toBe("");
      expect(stderr).toBe(
        `error: cache gc needs the cache to itself. The cache is locked by another cmbflow run: pid ${String(process.pid)} on host ${hostname()}, started ${start} (lock file ${lock}). Wait for it to finish; if no such run is active, delete the lock file.\n`,
      );
      expect(code).toBe(1);
      expect(objectsOnDisk(project.dir)).toEqual(before);
      expect(existsSync(lock)).toBe(true);
    } finally {
      rmSync(lock, { force: true });
    }
  });

  it("rejects --keep-last 0, and more than the store remembers, as usage errors", async () => {
    const { code, stderr } = await cache(project.dir, ["gc", "--keep-last", "0"]);
    expect(stderr).toBe("error: option '--keep-last <n>' argument '0' is invalid. expected a whole number ≥ 1.\n");
    expect(code).toBe(2);
    const tooMany = await cache(project.dir, ["gc", "--keep-last", "6"]);
    expect(tooMany.stderr).toBe("error: option '--keep-last <n>' argument '6' is invalid. the store remembers at most 5 fingerprints per node.\n");
    expect(tooMany.code).toBe(2);
  });

  it("verify detects a corrupt object and an output modified by hand, and --remove-corrupt removes the object", async () => {
    const [victim] = objectsOnDisk(project.dir);
    const objectPath = `cache/objects/${(victim ?? "").slice(0, 2)}/${victim ?? ""}`;
    chmodSync(join(project.dir, objectPath), 0o644);
    writeFileSync(join(project.dir, objectPath), "not what it was");
    const output = `${DATA}/A_PS_Setup/cmb_ps_theory.txt`;
    appendFileSync(join(project.dir, output), "# edited by hand\n");

    const { code, stdout, stderr } = await cache(project.dir, ["verify"]);
    expect(code).toBe(1);
    expect(stdout).toMatch(new RegExp(`^objects {2}\\d+ checked \\([\\d.]+ (KiB|MiB)\\): 1 corrupt\\n {2}corrupt {3}${objectPath}: its content's digest is [0-9a-f]{16}\\n`));
    expect(stdout).toMatch(new RegExp(`^outputs {2}42 checked: 1 modified outside cmbflow, 0 missing\\n {2}modified {2}${output} \\(ps_setup\\): recorded [0-9a-f]{16}, now [0-9a-f]{16}$`, "m"));
    expect(stderr).toBe(
      "error: corrupt objects would be restored with the wrong content: remove them with cmbflow cache verify --remove-corrupt\n" +
        "error: 1 recorded output does not match its record: cmbflow run will re-run (or restore) its node\n",
    );

    const json = JSON.parse((await cache(project.dir, ["verify", "--json"])).stdout) as { ok: boolean; objects: { corrupt: { digest: string }[] }; outputs: { modified: { path: string; node: string }[]; missing: unknown[] } };
    expect(json.ok).toBe(false);
    expect(json.objects.corrupt.map((o) => o.digest)).toEqual([victim]);
    expect(json.outputs.modified.map((o) => [o.path, o.node])).toEqual([[output, "ps_setup"]]);
    expect(json.outputs.missing).toEqual([]);

    const removed = await cache(project.dir, ["verify", "--remove-corrupt"]);
    expect(removed.code).toBe(1);
    expect(removed.stdout).toContain(`: its content's digest is `);
    expect(removed.stdout).toContain(" (removed)\n");
    expect(existsSync(join(project.dir, objectPath))).toBe(false);

    // The object is gone; the hand-edited output is still reported until a run replaces it.
    const after = await cache(project.dir, ["verify"]);
    expect(after.code).toBe(1);
    expect(after.stdout).toMatch(/: all match their digests\n/);
    expect(after.stdout).toContain("1 modified outside cmbflow");

    // A folder where an output file was: reported as modified, not a crash.
    rmSync(join(project.dir, output));
    mkdirSync(join(project.dir, output));
    const folder = await cache(project.dir, ["verify"]);
    expect(folder.code).toBe(1);
    expect(folder.stdout).toMatch(new RegExp(`^ {2}modified {2}${output} \\(ps_setup\\): recorded [0-9a-f]{16}, now not-a-file$`, "m"));
    rmSync(join(project.dir, output), { recursive: true });
  });

  it("verify checks that each scan result holds its own key's result, and --remove-corrupt removes one that does not", async () => {
    const scansDir = join(project.dir, "cache", "scans");
    const files = readdirSync(scansDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith(".v8"))
      .map((e) => join(e.parentPath, e.name))
      .sort();
    const [first, second] = files;
    if (first === undefined || second === undefined) throw new Error(`expected two scan results, found ${String(files.length)}`);
    writeFileSync(second, readFileSync(first));
    const shown = second.slice(project.dir.length + 1);
    const firstKey = (first.split("/").at(-1) ?? "").slice(0, -".v8".length);

    const { code, stdout, stderr } = await cache(project.dir, ["verify"]);
    expect(code).toBe(1);
    expect(stdout).toContain(`\nscans    ${String(files.length)} checked: 1 bad\n  bad       ${shown}: it holds the result of key ${firstKey}\n`);
    expect(stderr).toContain(
      "error: 1 scan result does not match its key: cmbflow run never uses it (each is removed when a run next looks for its key, and scanned again); remove it now with cmbflow cache verify --remove-corrupt\n",
    );
    const removed = await cache(project.dir, ["verify", "--remove-corrupt"]);
    expect(removed.stdout).toContain(`  bad       ${shown}: it holds the result of key ${firstKey} (removed)\n`);
    expect(existsSync(second)).toBe(false);
    expect(existsSync(first)).toBe(true);
    // --repair, which the damage messages point to, removes them too.
    writeFileSync(second, readFileSync(first));
    const repaired = await cache(project.dir, ["verify", "--repair"]);
    expect(repaired.stdout).toContain(`  bad       ${shown}: it holds the result of key ${firstKey} (removed)\n`);
    expect(existsSync(second)).toBe(false);
    // Put back, as a run would: the next run scans that sim again and stores its result.
    expect((await cli(project.dir, ["run", ...BASE])).code).toBe(0);
  });

  it("verify names a folder or a FIFO in an object's or a scan result's place; --repair and a run put it aside", async () => {
    const [objectDigest] = objectsOnDisk(project.dir);
    if (objectDigest === undefined) throw new Error("expected an object");
    const object = join(project.dir, "cache", "objects", objectDigest.slice(0, 2), objectDigest);
    const scansDir = join(project.dir, "cache", "scans");
    const scan = readdirSync(scansDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith(".v8"))
      .map((e) => join(e.parentPath, e.name))
      .sort()[0];
    if (scan === undefined) throw new Error("expected a scan result");
    rmSync(object, { force: true });
    mkdirSync(object);
    rmSync(scan);
    execFileSync("mkfifo", [scan]);
    const shownObject = object.slice(project.dir.length + 1);
    const shownScan = scan.slice(project.dir.length + 1);

    const found = await cache(project.dir, ["verify"]);
    expect(found.code).toBe(1);
    expect(found.stdout).toContain(`  corrupt   ${shownObject}: a directory where a file should be\n`);
    expect(found.stdout).toContain(`  bad       ${shownScan}: a FIFO (named pipe) where a file should be\n`);
    const repaired = await cache(project.dir, ["verify", "--repair"]);
    expect(repaired.stdout).toContain(`  corrupt   ${shownObject}: a directory where a file should be (moved to the quarantine)\n`);
    expect(existsSync(object)).toBe(false);
    expect(existsSync(scan)).toBe(false);
    expect(readdirSync(join(project.dir, "cache", "quarantine")).some((n) => n.endsWith(objectDigest))).toBe(true);

    // Put back as a folder: a run that stores that object again moves it aside rather than failing on it.
    rmSync(join(project.dir, DATA), { recursive: true, force: true });
    rmSync(join(project.dir, "cache", "objects"), { recursive: true, force: true });
    mkdirSync(join(project.dir, "cache", "objects", objectDigest.slice(0, 2)), { recursive: true });
    mkdirSync(object);
    const run = await cli(project.dir, ["run", ...BASE]);
    expect(run.code, run.stderr).toBe(0);
    expect(statSync(object).isFile()).toBe(true);
    expect((await cache(project.dir, ["verify"])).code).toBe(0);
  });

  it("verify reports cache/objects being a file as damage, not as an error of its own", async () => {
    const objects = join(project.dir, "cache", "objects");
    const aside = join(project.dir, "objects-aside");
    renameSync(objects, aside);
    writeFileSync(objects, "not a folder");
    try {
      const found = await cache(project.dir, ["verify"]);
      expect(found.code).toBe(1);
      expect(found.stderr).not.toContain("ENOTDIR");
      expect(found.stdout).toContain("cache/objects: a file where a folder should be");
    } finally {
      rmSync(objects, { force: true });
      renameSync(aside, objects);
    }
  });

  it("refuses when there is no cache folder", async () => {
    const empty = tempProject();
    try {
      for (const sub of ["du", "gc", "verify"]) {
        const { code, stderr } = await cache(empty.dir, [sub]);
        expect(stderr).toBe(`error: no cache folder ${join(empty.dir, "cache")}: run cmbflow cache in the project folder where cmbflow run was run\n`);
        expect(code).toBe(1);
      }
      expect(existsSync(join(empty.dir, "cache"))).toBe(false);
    } finally {
      empty.cleanup();
    }
  });
});
