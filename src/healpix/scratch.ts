/**
 * Reusable per-thread arrays for the transforms' internal buffers: synfast's a_lm and map2alm's
 * residual maps, which never reach a caller.
 *
 * Why: a fresh large typed array is first-touched page by page by the kernel — measured at 3–4 ms
 * per MB on this project's VMs, about 100 ms for one float64 map at nside 512 — and V8 frees the
 * previous one only at a later garbage collection, so a loop of transforms pays the faults and
 * the collections on every call. One array kept per purpose pays them once. At most
 * {@link SCRATCH_BUDGET} bytes are kept per thread (worker threads each have their own module
 * instance); a larger request is served fresh and not kept.
 *
 * Contents are not cleared: a caller overwrites every element before reading it. Not re-entrant
 * per name: a caller must be done with its array before anything it calls asks for the same name.
 */

/** Bytes of scratch kept per thread, in all. */
export const SCRATCH_BUDGET = 128 * 1024 * 1024;

const kept = new Map<string, Float64Array>();

/** The kept array of `length` doubles for `name`, or a fresh one (kept within the budget). */
export function scratchF64(name: string, length: number): Float64Array {
  const have = kept.get(name);
  if (have !== undefined && have.length === length) return have;
  kept.delete(name);
  const fresh = new Float64Array(length);
  if (fresh.byteLength <= SCRATCH_BUDGET) {
    let total = fresh.byteLength;
    for (const a of kept.values()) total += a.byteLength;
    if (total > SCRATCH_BUDGET) kept.clear();
    kept.set(name, fresh);
  }
  return fresh;
}

/** Bytes kept now (tests). */
export function scratchBytes(): number {
  let total = 0;
  for (const a of kept.values()) total += a.byteLength;
  return total;
}
