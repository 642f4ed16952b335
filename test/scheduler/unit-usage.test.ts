import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { measureUnit, nodeUsage } from "../../src/scheduler/unit-usage.js";

const MB = 1 << 20;

/** A full garbage collection on demand (V8's gc(), exposed to a fresh context). */
function collector(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

describe("measureUnit", () => {
  it("sees a peak that a collection freed before the unit ended: V8's reading before each collection counts", async () => {
    const gc = collector();
    gc();
    const touch = (): number => new Float64Array(8 * MB).fill(1)[123] ?? 0;
    const { value, usage } = await measureUnit(async () => {
      const sum = touch();
      // The backing store is released by a sweeper after the collection that found it dead, and
      // the accounting falls at a later collection.
      gc();
      await new Promise((r) => setTimeout(r, 50));
      gc();
      return sum;
    });
    expect(value).toBe(1);
    const now = getHeapStatistics();
    // The 64 MiB were gone when the unit ended ...
    expect(now.used_heap_size + now.external_memory - usage.heapStartBytes).toBeLessThan(16 * MB);
    // ... so only the readings taken before the collections can hold them (the start's heap had garbage those collections freed: 60, not 64).
    expect(usage.heapPeakBytes - usage.heapStartBytes).toBeGreaterThanOrEqual(60 * MB);
    expect(usage.workMs).toBeGreaterThan(0);
  });

  it("measures the time the work took", async () => {
    const { usage } = await measureUnit(() => new Promise((r) => setTimeout(r, 60)));
    expect(usage.workMs).toBeGreaterThanOrEqual(55);
    expect(usage.heapPeakBytes).toBeGreaterThanOrEqual(usage.heapStartBytes);
  });

  it("lets the work's exception through", async () => {
    await expect(measureUnit(() => Promise.reject(new Error("stage broke")))).rejects.toThrow("stage broke");
  });
});

describe("nodeUsage", () => {
  it("sums the units' work and keeps the highest peak with its own growth", () => {
    expect(nodeUsage([])).toBeUndefined();
    expect(
      nodeUsage([
        { workMs: 10, heapStartBytes: 100, heapPeakBytes: 400 },
        { workMs: 5, heapStartBytes: 450, heapPeakBytes: 500 },
        { workMs: 1, heapStartBytes: 50, heapPeakBytes: 60 },
      ]),
    ).toEqual({ workMs: 16, heapPeakBytes: 500, heapGrowthBytes: 50 });
  });
});
