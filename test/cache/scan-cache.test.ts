import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hasher } from "../../src/cache/hash.js";
import type { Hasher } from "../../src/cache/hash.js";
import { ScanCache } from "../../src/cache/scan-cache.js";

describe("ScanCache", () => {
  let dir: string;
  let h: Hasher;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "cmbflow-scans-"));
    h = await hasher();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps what crosses between threads, typed arrays included", async () => {
    const scans = new ScanCache(dir, h);
    const value = { min: Float64Array.of(-1.5, 2), max: 3, name: "Train" };
    await scans.put("00ab", value);
    expect(await scans.get("00ab")).toEqual({ value });
    expect(await scans.get("00ac")).toBeUndefined();
    expect(await scans.du()).toEqual({ results: 1, bytes: readFileSync(scans.pathOf("00ab")).length });
  });

  it("ignores and removes a damaged result, so the scan runs again", async () => {
    const scans = new ScanCache(dir, h);
    await scans.put("1234", [1, 2, 3]);
    const path = scans.pathOf("1234");
    const bytes = readFileSync(path);
    bytes.writeUInt8((bytes.at(-1) ?? 0) ^ 0xff, bytes.length - 1);
    writeFileSync(path, bytes);
    expect(await scans.get("1234")).toBeUndefined();
    expect(existsSync(path)).toBe(false);
  });

  it("binds a result to its key: a file copied under another key's name is ignored, removed and reported by verify", async () => {
    const scans = new ScanCache(dir, h);
    await scans.put("aa01", { min: 1 });
    await scans.put("aa02", { min: 2 });
    writeFileSync(scans.pathOf("aa02"), readFileSync(scans.pathOf("aa01")));
    const found: { path: string; ok: boolean; problem?: string }[] = [];
    for await (const r of scans.verify()) found.push(r);
    expect(found).toEqual([
      { path: scans.pathOf("aa01"), ok: true },
      { path: scans.pathOf("aa02"), ok: false, problem: "it holds the result of key aa01" },
    ]);
    expect(await scans.get("aa02")).toBeUndefined();
    expect(existsSync(scans.pathOf("aa02"))).toBe(false);
    expect(await scans.get("aa01")).toEqual({ value: { min: 1 } });
  });

  it("removes results not used since a time; reading one counts as a use", async () => {
    const scans = new ScanCache(dir, h);
    await scans.put("aa01", 1);
    await scans.put("aa02", 2);
    const past = new Date(Date.now() - 3_600_000);
    utimesSync(scans.pathOf("aa01"), past, past);
    utimesSync(scans.pathOf("aa02"), past, past);
    await scans.get("aa02");
    expect(await scans.removeUnusedSince(Date.now() - 60_000)).toMatchObject({ removed: 1 });
    expect(await scans.get("aa01")).toBeUndefined();
    expect(await scans.get("aa02")).toEqual({ value: 2 });
  });
});
