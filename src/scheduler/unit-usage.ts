/**
 * What one unit of work cost the thread that ran it: its wall time there and the peak of that
 * thread's memory while it ran.
 *
 * Why not `process.resourceUsage().maxRSS`: worker threads share one process, so the RSS (and
 * its high-water mark, which never falls) is the whole process's, every thread's units
 * together. The figure measured here is the thread's own V8 isolate: its heap in use plus its
 * external memory (ArrayBuffer and typed-array backing stores, where a stage's maps live).
 * That quantity only falls at a garbage collection, so its peak over a unit is the largest of
 * the readings at the unit's start and end and of those V8 takes just before each collection
 * in between (`v8.GCProfiler`). Memory outside the isolate — WebAssembly memories, native
 * addons' own allocations, the thread's stack — is not in it.
 */
import type { GCProfilerResult } from "node:v8";
import { GCProfiler, getHeapStatistics } from "node:v8";

/** A unit's cost in the thread that ran it (plain data: it crosses threads with the result). */
export interface UnitUsage {
  /** Wall time of the unit in its thread, in ms (time spent waiting in the runner's queue excluded). */
  readonly workMs: number;
  /** The thread's V8 heap in use plus its external memory when the unit started, in bytes. */
  readonly heapStartBytes: number;
  /** The peak of the same quantity while the unit ran, in bytes (see the module comment). */
  readonly heapPeakBytes: number;
}

/** A node's cost: its units' usages combined. */
export interface NodeUsage {
  /** Wall time of its units, summed, in ms (a reduction's scans may have run at once on several threads). */
  readonly workMs: number;
  /** The highest `heapPeakBytes` of its units, in bytes. */
  readonly heapPeakBytes: number;
  /** `heapPeakBytes` less that unit's `heapStartBytes`: what the unit itself added, at most, in bytes. */
  readonly heapGrowthBytes: number;
}

/** The thread's heap in use plus its external memory now, in bytes. */
function heapNow(): number {
  const stats = getHeapStatistics();
  return stats.used_heap_size + stats.external_memory;
}

/** Runs `work` and measures it (see {@link UnitUsage}). An exception from `work` passes through unmeasured. */
export async function measureUnit<T>(work: () => Promise<T>): Promise<{ readonly value: T; readonly usage: UnitUsage }> {
  const profiler = new GCProfiler();
  profiler.start();
  let collections: GCProfilerResult["statistics"] = [];
  const heapStartBytes = heapNow();
  const t0 = performance.now();
  let value: T;
  try {
    value = await work();
  } finally {
    collections = profiler.stop().statistics;
  }
  const workMs = performance.now() - t0;
  let heapPeakBytes = Math.max(heapStartBytes, heapNow());
  for (const gc of collections) {
    const before = gc.beforeGC.heapStatistics;
    heapPeakBytes = Math.max(heapPeakBytes, before.usedHeapSize + before.externalMemory);
  }
  return { value, usage: { workMs, heapStartBytes, heapPeakBytes } };
}

/** Combines a node's units' usages; undefined when no unit was measured. */
export function nodeUsage(units: readonly UnitUsage[]): NodeUsage | undefined {
  if (units.length === 0) return undefined;
  let workMs = 0;
  let peak = units[0] as UnitUsage;
  for (const u of units) {
    workMs += u.workMs;
    if (u.heapPeakBytes > peak.heapPeakBytes) peak = u;
  }
  return { workMs, heapPeakBytes: peak.heapPeakBytes, heapGrowthBytes: Math.max(0, peak.heapPeakBytes - peak.heapStartBytes) };
}
