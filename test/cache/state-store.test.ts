import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NodeRecord } from "../../src/cache/state-store.js";
import { keyOf, recordKey, STATE_FILES, StateStore } from "../../src/cache/state-store.js";

function record(node: string, fingerprint: string, extra: Partial<NodeRecord> = {}): NodeRecord {
  return {
    node,
    fingerprint,
    parts: { code: "c0de000000000000", params: `p${fingerprint.slice(1)}` },
    outputs: [{ path: `out/${node}/${fingerprint}.fits`, digest: `d${fingerprint.slice(1)}`, size: 10 }],
    runId: "run-1",
    start: "2024-05-01T10:00:00.000Z",
    durationMs: 12,
    ...extra,
  };
}

const fp = (n: number): string => `f${n.toString(16).padStart(15, "0")}`;

function lines(path: string): string[] {
  return readFileSync(path, "utf8").split("\n").filter((l) => l !== "");
}

describe("StateStore", () => {
  let dir: string;
  let nodesFile: string;
  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), "cmbflow-state-")), "state");
    nodesFile = join(dir, STATE_FILES.nodes);
  });
  afterEach(() => rmSync(join(dir, ".."), { recursive: true, force: true }));

  it("opens a missing folder as an empty store without creating anything (read mode)", async () => {
    const store = await StateStore.open(dir);
    expect(store.size).toBe(0);
    expect(store.get("x")).toBeUndefined();
    expect(existsSync(dir)).toBe(false);
    expect(() => store.append(record("a", fp(1)))).toThrow("Internal error: the state store was opened read-only");
  });

  it("appends records that a reader sees once append resolves; the last record per node wins", async () => {
    const writer = await StateStore.open(dir, { mode: "write" });
    await writer.append(record("make_cmb[split=Train,sim=0]", fp(1)));
    await writer.append(record("make_cmb[split=Train,sim=1]", fp(2)));
    expect((await StateStore.open(dir)).get("make_cmb[split=Train,sim=0]")?.fingerprint).toBe(fp(1));
    await writer.append(record("make_cmb[split=Train,sim=0]", fp(3), { runId: "run-2" }));
    const reader = await StateStore.open(dir);
    expect(reader.size).toBe(2);
    expect(reader.get("make_cmb[split=Train,sim=0]")).toEqual(record("make_cmb[split=Train,sim=0]", fp(3), { runId: "run-2" }));
    expect([...reader.entries()].map((r) => r.fingerprint)).toEqual([fp(3), fp(2)]);
    expect(writer.get("make_cmb[split=Train,sim=0]")?.fingerprint).toBe(fp(3));
    await writer.close();
  });

  it("writes only the record's own fields, in a fixed key order", async () => {
    const writer = await StateStore.open(dir, { mode: "write" });
    const extra = { ...record("a", fp(1)), unrelated: "x" } as NodeRecord;
    await writer.append(extra);
    await writer.close();
    expect(lines(nodesFile)).toEqual([
      `{"node":"a","fingerprint":"${fp(1)}","parts":{"code":"c0de000000000000","params":"p${fp(1).slice(1)}"},"outputs":[{"path":"out/a/${fp(1)}.fits","digest":"d${fp(1).slice(1)}","size":10}],"runId":"run-1","start":"2024-05-01T10:00:00.000Z","durationMs":12}`,
    ]);
  });

  it("keeps a record's measured usage, and still reads records from before it was measured", async () => {
    const writer = await StateStore.open(dir, { mode: "write" });
    const usage = { workMs: 7.5, heapPeakBytes: 123456, heapGrowthBytes: 1000 };
    await writer.append(record("measured", fp(1), { usage }));
    await writer.close();
    // An old line, written before usage was kept, beside one whose usage was damaged by hand.
    appendFileSync(nodesFile, `${JSON.stringify(record("old", fp(2)))}\n${JSON.stringify(record("bad", fp(3), { usage: { workMs: "7", heapPeakBytes: 1, heapGrowthBytes: 0 } as unknown as NonNullable<NodeRecord["usage"]> }))}\n`);
    const reader = await StateStore.open(dir);
    expect(reader.get("measured")?.usage).toEqual(usage);
    expect(lines(nodesFile)[0]).toContain(`"durationMs":12,"usage":{"workMs":7.5,"heapPeakBytes":123456,"heapGrowthBytes":1000}}`);
    expect(reader.get("old")).toEqual(record("old", fp(2)));
    expect(reader.get("bad")).toBeUndefined();
    expect(reader.stats.skippedLines).toBe(1);
  });

  it("ignores a torn last line (crash mid-append) without error; a writer truncates it before appending", async () => {
    const writer = await StateStore.open(dir, { mode: "write" });
    await writer.append(record("a", fp(1)));
    await writer.close();
    const torn = JSON.stringify(record("b", fp(2))).slice(0, 40);
    appendFileSync(nodesFile, torn);
    const reader = await StateStore.open(dir);
    expect(reader.size).toBe(1);
    expect(reader.stats).toEqual({ lines: 1, skippedLines: 0, tornTail: true });
    const next = await StateStore.open(dir, { mode: "write" });
    await next.append(record("c", fp(3)));
    await next.close();
    const after = await StateStore.open(dir);
    expect([...after.entries()].map((r) => r.node)).toEqual(["a", "c"]);
    expect(after.stats).toEqual({ lines: 2, skippedLines: 0, tornTail: false });
  });

  it("treats a complete record without its newline as torn: the node stays stale", async () => {
    writeFileSync(join(mkdirp(dir), STATE_FILES.nodes), JSON.stringify(record("a", fp(1))));
    expect((await StateStore.open(dir)).get("a")).toBeUndefined();
  });

  it("skips unparseable and malformed lines in the middle", async () => {
    mkdirp(dir);
    writeFileSync(nodesFile, `${JSON.stringify(record("a", fp(1)))}\n{not json\n{"node":"b"}\n${JSON.stringify(record("c", fp(3)))}\n`);
    const reader = await StateStore.open(dir);
    expect([...reader.entries()].map((r) => r.node)).toEqual(["a", "c"]);
    expect(reader.stats.skippedLines).toBe(2);
  });

  it("skips lines that are JSON but not records: each field a reader uses is checked", async () => {
    mkdirp(dir);
    const good = record("ok", fp(1));
    const bad: unknown[] = [
      { ...good, node: "no-path", outputs: [{ digest: "d", size: 1 }] },
      { ...good, node: "path-number", outputs: [{ path: 123, digest: "d", size: 1 }] },
      { ...good, node: "path-null", outputs: [{ path: null, digest: "d", size: 1 }] },
      { ...good, node: "size-string", outputs: [{ path: "x", digest: "d", size: "1" }] },
      { ...good, node: "parts-number", parts: { code: 5 } },
      { ...good, node: "restored-null", restoredBy: null },
      { ...good, node: "changed-number", changedDuringRun: 5 },
      { ...good, node: "changes-numbers", changedDuringRun: { changes: [1] } },
      { ...good, node: "at-number", at: 7 },
    ];
    writeFileSync(nodesFile, [good, ...bad].map((r) => `${JSON.stringify(r)}\n`).join(""));
    const reader = await StateStore.open(dir);
    expect([...reader.entries()].map((r) => r.node)).toEqual(["ok"]);
    expect(reader.stats.skippedLines).toBe(9);
    // Read only: the damage is reported, and the file is left as it is.
    expect(reader.damage).toEqual([{ path: nodesFile, problem: "9 unreadable lines (their records are lost; those nodes run again)" }]);
    expect(lines(nodesFile)).toHaveLength(10);
  });

  it("reads a log too large for one string line by line, skipping a 300 MB line of zeros unread", async () => {
    mkdirp(dir);
    writeFileSync(nodesFile, `${JSON.stringify(record("a", fp(1)))}\n`);
    // Sparse: the zeros take no disk space, but a reader sees 300 MB of them before the newline.
    truncateSync(nodesFile, 300_000_000);
    appendFileSync(nodesFile, `\n${JSON.stringify(record("c", fp(3)))}\n`);
    const reader = await StateStore.open(dir);
    expect([...reader.entries()].map((r) => r.node)).toEqual(["a", "c"]);
    expect(reader.stats).toEqual({ lines: 3, skippedLines: 1, tornTail: false });
  });

  it("as the writer with a cache folder, keeps a copy of a log with damaged lines in the quarantine and rewrites it without them", async () => {
    const cacheDir = join(dir, "..");
    mkdirp(dir);
    writeFileSync(nodesFile, `${JSON.stringify(record("a", fp(1)))}\n{"node":"b","outputs":7}\n`);
    const writer = await StateStore.open(dir, { mode: "write", cacheDir });
    const [damage] = writer.damage;
    expect(damage?.problem).toBe("1 unreadable line (their records are lost; those nodes run again)");
    expect(readFileSync(damage?.copiedTo ?? "", "utf8")).toContain('{"node":"b","outputs":7}');
    expect(damage?.copiedTo).toMatch(/\/quarantine\/[\dT-]+Z-state-nodes\.jsonl$/);
    await writer.close();
    expect(lines(nodesFile).map((l) => (JSON.parse(l) as NodeRecord).node)).toEqual(["a"]);
    expect((await StateStore.open(dir)).damage).toEqual([]);
  });

  it("compacts to the latest record per node and keeps earlier fingerprints for findByFingerprint", async () => {
    const writer = await StateStore.open(dir, { mode: "write" });
    for (let run = 1; run <= 3; run++) {
      for (const node of ["a", "b"]) await writer.append(record(node, fp(run * 10 + node.charCodeAt(0)), { runId: `run-${String(run)}` }));
    }
    await writer.compact();
    expect(lines(nodesFile).map((l) => (JSON.parse(l) as NodeRecord).runId)).toEqual(["run-3", "run-3"]);
    expect(await writer.findByFingerprint("a", fp(10 + 97))).toMatchObject({ runId: "run-1" });
    await writer.close();
    const reader = await StateStore.open(dir);
    expect(reader.get("a")?.runId).toBe("run-3");
    expect(await reader.findByFingerprint("a", fp(10 + 97))).toEqual(record("a", fp(10 + 97), { runId: "run-1" }));
    expect(await reader.findByFingerprint("b", fp(20 + 98))).toMatchObject({ runId: "run-2" });
    expect(await reader.findByFingerprint("a", fp(30 + 97))).toBe(reader.get("a"));
    expect(await reader.findByFingerprint("a", fp(999))).toBeUndefined();
    expect((await reader.history("a")).map((r) => r.runId)).toEqual(["run-3", "run-2", "run-1"]);
  });

  it("keeps at most historyDepth distinct fingerprints per node, across compactions", async () => {
    const writer = await StateStore.open(dir, { mode: "write", historyDepth: 3 });
    for (let i = 1; i <= 5; i++) {
      await writer.append(record("a", fp(i)));
      await writer.compact();
    }
    await writer.append(record("a", fp(4))); // back to an earlier fingerprint
    await writer.close();
    const reader = await StateStore.open(dir, { historyDepth: 3 });
    expect((await reader.history("a")).map((r) => r.fingerprint)).toEqual([fp(4), fp(5), fp(3)]);
    expect(await reader.findByFingerprint("a", fp(2))).toBeUndefined();
    expect(await reader.findByFingerprint("a", fp(3))).toMatchObject({ fingerprint: fp(3) });
  });

  it("compacts on close when the log has more than twice as many lines as nodes, and on open", async () => {
    const writer = await StateStore.open(dir, { mode: "write" });
    await writer.append(record("a", fp(1)));
    await writer.append(record("a", fp(2)));
    await writer.append(record("b", fp(3)));
    await writer.close();
    expect(lines(nodesFile)).toHaveLength(3); // 3 lines, 2 nodes: not more than twice
    const again = await StateStore.open(dir, { mode: "write" });
    await again.append(record("a", fp(4)));
    await again.append(record("a", fp(5)));
    await again.close();
    expect(lines(nodesFile)).toHaveLength(2);
    appendFileSync(nodesFile, [6, 7, 8].map((i) => JSON.stringify(record("b", fp(i)))).join("\n") + "\n");
    const reopened = await StateStore.open(dir, { mode: "write" });
    expect(lines(nodesFile)).toHaveLength(2);
    expect(reopened.get("b")?.fingerprint).toBe(fp(8));
    expect(await reopened.findByFingerprint("b", fp(6))).toMatchObject({ fingerprint: fp(6) });
    await reopened.close();
  });

  it("deletes a node with its history, before and after compaction and reopening", async () => {
    const writer = await StateStore.open(dir, { mode: "write" });
    await writer.append(record("a", fp(1)));
    await writer.append(record("a", fp(2)));
    await writer.compact(); // fp(1) is now in history.jsonl
    await writer.append(record("b", fp(3)));
    await writer.delete("a");
    expect(writer.get("a")).toBeUndefined();
    expect(await (await StateStore.open(dir)).findByFingerprint("a", fp(1))).toBeUndefined();
    await writer.append(record("a", fp(4)));
    await writer.compact();
    await writer.close();
    const reader = await StateStore.open(dir);
    expect(reader.get("a")?.fingerprint).toBe(fp(4));
    expect(await reader.findByFingerprint("a", fp(1))).toBeUndefined();
    expect(await reader.findByFingerprint("a", fp(2))).toBeUndefined();
    expect(reader.get("b")?.fingerprint).toBe(fp(3));
  });

  it("keeps one record per node and location, each with its own history, through compaction, deletion and reopening", async () => {
    const node = "make_cmb[split=Train,sim=0]";
    const a = recordKey(node, "aaaaaaaaaaaaaaaa");
    const b = recordKey(node, "bbbbbbbbbbbbbbbb");
    const writer = await StateStore.open(dir, { mode: "write" });
    await writer.append(record(node, fp(1), { at: "aaaaaaaaaaaaaaaa" }));
    await writer.append(record(node, fp(2), { at: "bbbbbbbbbbbbbbbb" }));
    await writer.append(record(node, fp(3), { at: "aaaaaaaaaaaaaaaa" }));
    expect(writer.size).toBe(2);
    expect(writer.get(a)?.fingerprint).toBe(fp(3));
    expect(writer.get(b)?.fingerprint).toBe(fp(2));
    expect(writer.get(node)).toBeUndefined();
    expect(writer.recordsOf(node).map(keyOf)).toEqual([a, b]);
    await writer.compact();
    expect(lines(nodesFile)).toHaveLength(2);
    expect((await writer.findByFingerprint(a, fp(1)))?.fingerprint).toBe(fp(1));
    expect(await writer.findByFingerprint(b, fp(1))).toBeUndefined();
    await writer.delete(node, "aaaaaaaaaaaaaaaa");
    await writer.close();
    const reader = await StateStore.open(dir);
    expect(reader.get(a)).toBeUndefined();
    expect(await reader.history(a)).toEqual([]);
    expect(reader.get(b)).toEqual(record(node, fp(2), { at: "bbbbbbbbbbbbbbbb" }));
    expect(JSON.parse(lines(nodesFile)[0] ?? "{}")).toMatchObject({ node, at: "bbbbbbbbbbbbbbbb", fingerprint: fp(2) });
  });

  it("stores each blob once and keeps only referenced blobs through compaction", async () => {
    const writer = await StateStore.open(dir, { mode: "write" });
    const params = { scenario: { nside: 512 }, lmax: NaN };
    await writer.putBlob("p000000000000001", params);
    await writer.putBlob("p000000000000001", params);
    await writer.putBlob("p000000000000002", { scenario: { nside: 256 } });
    await writer.putBlob("c0de000000000000", { files: ["src/stages/make-cmb.ts"] });
    expect(lines(join(dir, STATE_FILES.blobs))).toHaveLength(3);
    await writer.append(record("a", fp(1)));
    const reader = await StateStore.open(dir);
    expect(await reader.getBlob("p000000000000001")).toEqual({ lmax: "NaN", scenario: { nside: 512 } });
    expect(await reader.getBlob("ffffffffffffffff")).toBeUndefined();
    await writer.compact();
    await writer.close();
    expect(lines(join(dir, STATE_FILES.blobs))).toHaveLength(2);
    const after = await StateStore.open(dir);
    expect(await after.getBlob("p000000000000002")).toBeUndefined();
    expect(await after.getBlob("c0de000000000000")).toEqual({ files: ["src/stages/make-cmb.ts"] });
  });

  it("keeps queued writes in call order: a blob put before an append is on disk before the record", async () => {
    const writer = await StateStore.open(dir, { mode: "write" });
    const blob = writer.putBlob("p000000000000001", { x: 1 });
    const append = writer.append(record("a", fp(1)));
    await append;
    expect(lines(join(dir, STATE_FILES.blobs))).toHaveLength(1);
    await blob;
    await writer.close();
    expect(() => writer.append(record("b", fp(2)))).toThrow("Internal error: the state store is closed");
  });

  it("lets readers open while a writer appends and compacts: each sees whole records, in order", async () => {
    const writer = await StateStore.open(dir, { mode: "write" });
    const total = 400;
    const writing = (async () => {
      for (let i = 0; i < total; i++) {
        await writer.append(record(`n${String(i)}`, fp(i), { outputs: [{ path: "x".repeat(3000), digest: "d", size: i }] }));
        if (i % 100 === 99) await writer.compact();
      }
    })();
    const seen: number[] = [];
    let done = false;
    void writing.then(() => (done = true));
    while (!done) {
      const reader = await StateStore.open(dir);
      const nodes = [...reader.entries()].map((r) => r.node);
      // A prefix of the appended sequence: never a gap, never a partial record.
      expect(nodes).toEqual(Array.from({ length: nodes.length }, (_, i) => `n${String(i)}`));
      expect(reader.stats.skippedLines).toBe(0);
      seen.push(nodes.length);
    }
    await writing;
    await writer.close();
    expect(seen.length).toBeGreaterThan(1);
    expect((await StateStore.open(dir)).size).toBe(total);
  });
});

function mkdirp(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}

describe("StateStore after a killed writer", () => {
  it("keeps every record appended before the kill, ignores a torn one, and accepts appends again", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "cmbflow-crash-")), "state");
    try {
      const child = spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, "crash-writer.ts"), dir, "20"], { encoding: "utf8" });
      expect(child.stderr).toBe("");
      expect(child.signal).toBe("SIGKILL");
      const reader = await StateStore.open(dir);
      const nodes = [...reader.entries()].map((r) => r.node);
      // The 21st record (64 MiB) is usually torn by the kill; it may also be complete. Never partial.
      expect(nodes.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => `make_cmb[split=Train,sim=${String(i)}]`));
      if (reader.stats.tornTail) expect(nodes).toHaveLength(20);
      else expect(reader.get("make_cmb[split=Train,sim=20]")?.outputs[0]?.path.length).toBe(64 << 20);
      expect(reader.stats.skippedLines).toBe(0);
      const writer = await StateStore.open(dir, { mode: "write" });
      await writer.append(record("after", fp(99)));
      await writer.close();
      const after = await StateStore.open(dir);
      expect(after.get("after")?.fingerprint).toBe(fp(99));
      expect(after.stats.tornTail).toBe(false);
    } finally {
      rmSync(join(dir, ".."), { recursive: true, force: true });
    }
  });
});
