import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { hostLabel } from "../../src/cache/lock.js";
import { DeadTemporarySweeper, sweepDeadTemporaries, sweepTemporaries, tempName } from "../../src/core/output-transaction.js";

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  if (child.pid === undefined) throw new Error("could not start a process");
  return child.pid;
}

describe("temporaries of dead processes", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const folder = (files: readonly string[]): string => {
    const dir = mkdtempSync(join(tmpdir(), "cmbflow-sweep-"));
    dirs.push(dir);
    for (const f of files) writeFileSync(join(dir, f), "partial");
    return dir;
  };

  it("removes output and restore temporaries of a gone process, and nothing of a living one", async () => {
    const dead = deadPid();
    const living = process.ppid;
    const dir = folder([
      "out.txt",
      tempName("out.txt", `${String(dead)}-1-7`),
      `.map.fits.cmbflow-restore-${String(dead)}-k3x9q.tmp`,
      tempName("out.txt", `${String(living)}-1-8`),
      tempName("out.txt", `${String(process.pid)}-2-9`),
      ".out.txt.cmbflow-notapid.tmp",
    ]);
    expect(await sweepDeadTemporaries(dir)).toBe(2);
    expect(readdirSync(dir).sort()).toEqual([".out.txt.cmbflow-notapid.tmp", tempName("out.txt", `${String(living)}-1-8`), tempName("out.txt", `${String(process.pid)}-2-9`), "out.txt"].sort());
  });

  it("judges a pid only on the host the temporary names: another host's are left, a name without a host (an older cmbflow's) is this host's", async () => {
    const dead = String(deadPid());
    const other = [tempName("out.txt", `${dead}-1-7`, "node07"), `.map.fits.cmbflow-restore-${dead}-k3x9q@node07.tmp`];
    const legacy = [`.out.txt.cmbflow-${dead}-1-8.tmp`, `.map.fits.cmbflow-restore-${dead}-q1.tmp`];
    const own = tempName("out.txt", `${dead}-1-9`);
    expect(own).toBe(`.out.txt.cmbflow-${dead}-1-9@${hostLabel()}.tmp`);
    const dir = folder([...other, ...legacy, own]);
    expect(await sweepDeadTemporaries(dir)).toBe(3);
    expect(readdirSync(dir).sort()).toEqual([...other].sort());
    // Nor does this process sweep another host's as its own, whatever pid they name.
    const mine = String(process.pid);
    const dir2 = folder([tempName("a.txt", `${mine}-1-1`, "node07"), tempName("a.txt", `${mine}-1-2`)]);
    expect(await sweepTemporaries([join(dir2, "a.txt")])).toBe(1);
    expect(readdirSync(dir2)).toEqual([tempName("a.txt", `${mine}-1-1`, "node07")]);
  });

  it("leaves a Slurm result file and its temporary alone, whatever pid the name holds: the coordinator removes those", async () => {
    const dead = String(deadPid());
    const names = [`.cmbflow-result-a[split=Train,sim=1].0123abcd.bin`, `.cmbflow-result-a[split=Train,sim=1].0123abcd.bin.node07-${dead}.tmp`];
    const dir = folder(names);
    expect(await sweepDeadTemporaries(dir)).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([...names].sort());
  });

  it("visits each folder once per sweeper", async () => {
    const dead = deadPid();
    const dir = folder([tempName("b.txt", `${String(dead)}-1-2`)]);
    const sweeper = new DeadTemporarySweeper();
    expect(await sweeper.sweep([join(dir, "b.txt")])).toBe(1);
    writeFileSync(join(dir, tempName("b.txt", `${String(dead)}-1-3`)), "partial");
    expect(await sweeper.sweep([join(dir, "b.txt")])).toBe(0);
    expect(await sweepDeadTemporaries(join(dir, "missing"))).toBe(0);
  });

  it("removes this process's temporaries of the given outputs only, output and restore alike", async () => {
    const mine = String(process.pid);
    const dir = folder([tempName("a.txt", `${mine}-1-1`), `.a.txt.cmbflow-restore-${mine}-q7.tmp`, tempName("b.txt", `${mine}-1-2`), tempName("a.txt", `${String(process.ppid)}-1-3`)]);
    expect(await sweepTemporaries([join(dir, "a.txt")])).toBe(2);
    expect(readdirSync(dir).sort()).toEqual([tempName("a.txt", `${String(process.ppid)}-1-3`), tempName("b.txt", `${mine}-1-2`)].sort());
  });
});
