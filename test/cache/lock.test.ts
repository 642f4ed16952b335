import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireLock, DATA_LOCK_FILE, LOCK_FILE, lockFailureMessage, lockTakeoverMessage } from "../../src/cache/lock.js";

/** The pid of a process that has exited (and been reaped), so no process has it now. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  const pid = child.pid;
  if (pid === undefined) throw new Error("spawn failed");
  await new Promise((resolve) => child.on("exit", resolve));
  return pid;
}

const clock = (): Date => new Date("2024-05-01T10:00:00.000Z");

describe("acquireLock", () => {
  let cacheDir: string;
  beforeEach(() => {
    cacheDir = join(mkdtempSync(join(tmpdir(), "cmbflow-lock-")), "cache");
  });
  afterEach(() => rmSync(join(cacheDir, ".."), { recursive: true, force: true }));

  it("creates the lock with pid, host and start, and releases it", async () => {
    const result = await acquireLock(cacheDir, { clock });
    if (!result.ok) throw new Error(lockFailureMessage(result.error));
    const lock = result.value;
    expect(lock.holder).toEqual({ pid: process.pid, host: hostname(), start: "2024-05-01T10:00:00.000Z" });
    expect(lock.tookOverFrom).toBeUndefined();
    const content = JSON.parse(readFileSync(join(cacheDir, LOCK_FILE), "utf8")) as Record<string, unknown>;
    expect(content).toMatchObject({ pid: process.pid, host: hostname(), start: "2024-05-01T10:00:00.000Z" });
    await lock.release();
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it("refuses a second writer while the holder is alive, naming the holder", async () => {
    const first = await acquireLock(cacheDir, { clock });
    expect(first.ok).toBe(true);
    const second = await acquireLock(cacheDir, { pid: 4242 });
    const path = join(cacheDir, LOCK_FILE);
    expect(second).toEqual({ ok: false, error: { reason: "lock-held", path, holder: { pid: process.pid, host: hostname(), start: "2024-05-01T10:00:00.000Z" } } });
    if (second.ok) return;
    expect(lockFailureMessage(second.error)).toBe(
      `The cache is locked by another cmbflow run: pid ${String(process.pid)} on host ${hostname()}, started 2024-05-01T10:00:00.000Z (lock file ${path}). Wait for it to finish; if no such run is active, delete the lock file.`,
    );
  });

  it("takes over the lock of a process that is gone", async () => {
    const pid = await deadPid();
    mkdirSync(cacheDir);
    writeFileSync(join(cacheDir, LOCK_FILE), JSON.stringify({ pid, host: hostname(), start: "2024-04-30T08:00:00.000Z", token: "old" }));
    const result = await acquireLock(cacheDir, { clock });
    if (!result.ok) throw new Error(lockFailureMessage(result.error));
    expect(result.value.tookOverFrom).toEqual({ pid, host: hostname(), start: "2024-04-30T08:00:00.000Z" });
    expect(lockTakeoverMessage({ pid, host: "h1", start: "2024-04-30T08:00:00.000Z" })).toBe(
      `Took over the cache lock of pid ${String(pid)} on host h1 (started 2024-04-30T08:00:00.000Z), which is no longer running.`,
    );
    expect(JSON.parse(readFileSync(join(cacheDir, LOCK_FILE), "utf8"))).toMatchObject({ pid: process.pid });
    expect(readdirSync(cacheDir)).toEqual([LOCK_FILE]);
  });

  it("lets exactly one of two concurrent contenders take over a dead lock", async () => {
    const pid = await deadPid();
    mkdirSync(cacheDir);
    writeFileSync(join(cacheDir, LOCK_FILE), JSON.stringify({ pid, host: hostname(), start: "2024-04-30T08:00:00.000Z", token: "old" }));
    const results = await Promise.all([acquireLock(cacheDir), acquireLock(cacheDir), acquireLock(cacheDir)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.error.reason)).toEqual(["lock-held", "lock-held"]);
    expect(readdirSync(cacheDir)).toEqual([LOCK_FILE]);
  });

  it("treats a lock from another host as held, even with a pid that is dead here", async () => {
    const pid = await deadPid();
    mkdirSync(cacheDir);
    writeFileSync(join(cacheDir, LOCK_FILE), JSON.stringify({ pid, host: "other-node", start: "2024-04-30T08:00:00.000Z", token: "t" }));
    const result = await acquireLock(cacheDir);
    expect(result).toEqual({
      ok: false,
      error: { reason: "lock-held", path: join(cacheDir, LOCK_FILE), holder: { pid, host: "other-node", start: "2024-04-30T08:00:00.000Z" } },
    });
  });

  it("reports a lock file it did not write as unreadable", async () => {
    mkdirSync(cacheDir);
    writeFileSync(join(cacheDir, LOCK_FILE), "garbage");
    const result = await acquireLock(cacheDir);
    expect(result).toEqual({ ok: false, error: { reason: "lock-unreadable", path: join(cacheDir, LOCK_FILE), content: "garbage" } });
    if (!result.ok) expect(lockFailureMessage(result.error)).toBe(`The cache lock file ${join(cacheDir, LOCK_FILE)} is not a cmbflow lock. If no cmbflow run is active, delete it.`);
  });

  it("reports a folder named lock as unreadable too", async () => {
    mkdirSync(join(cacheDir, LOCK_FILE), { recursive: true });
    const result = await acquireLock(cacheDir);
    expect(result).toEqual({ ok: false, error: { reason: "lock-unreadable", path: join(cacheDir, LOCK_FILE), content: "" } });
  });

  it("release leaves a lock that is no longer ours", async () => {
    const result = await acquireLock(cacheDir);
    if (!result.ok) throw new Error("not acquired");
    const foreign = JSON.stringify({ pid: 1, host: hostname(), start: "2024-05-01T00:00:00.000Z", token: "someone-else" });
    writeFileSync(join(cacheDir, LOCK_FILE), foreign);
    await result.value.release();
    expect(existsSync(join(cacheDir, LOCK_FILE))).toBe(true);
    expect(readFileSync(join(cacheDir, LOCK_FILE), "utf8")).toBe(foreign);
  });

  it("guards a data folder under its own file name, naming the holder's project", async () => {
    const dataDir = join(cacheDir, "..", "data", "ds");
    const first = await acquireLock(dataDir, { clock, file: DATA_LOCK_FILE, project: "/home/a/project-one" });
    if (!first.ok) throw new Error(lockFailureMessage(first.error, "data-folder"));
    expect(first.value.holder).toEqual({ pid: process.pid, host: hostname(), start: "2024-05-01T10:00:00.000Z", project: "/home/a/project-one" });
    const second = await acquireLock(dataDir, { file: DATA_LOCK_FILE, project: "/home/a/project-two" });
    const path = join(dataDir, DATA_LOCK_FILE);
    if (second.ok) throw new Error("a second holder got the data folder's lock");
    expect(lockFailureMessage(second.error, "data-folder")).toBe(
      `The data folder ${dataDir} is locked by another cmbflow run: pid ${String(process.pid)} on host ${hostname()}, project /home/a/project-one, started 2024-05-01T10:00:00.000Z (lock file ${path}). Wait for it to finish; if no such run is active, delete the lock file.`,
    );
    expect(lockTakeoverMessage({ pid: 7, host: "h1", start: "2024-04-30T08:00:00.000Z", project: "/p" }, "data-folder")).toBe(
      "Took over the data folder's lock of pid 7 on host h1, project /p (started 2024-04-30T08:00:00.000Z), which is no longer running.",
    );
    await first.value.release();
    expect(readdirSync(dataDir)).toEqual([]);
    writeFileSync(path, "garbage");
    const unreadable = await acquireLock(dataDir, { file: DATA_LOCK_FILE });
    if (unreadable.ok) throw new Error("took a lock file cmbflow did not write");
    expect(lockFailureMessage(unreadable.error, "data-folder")).toBe(`The data folder's lock file ${path} is not a cmbflow lock. If no cmbflow run is active, delete it.`);
  });
});
