/**
 * What a record must satisfy before its outputs are restored: records are read from a file
 * anyone can edit, so a restore never trusts the paths in one. Each recorded output must be
 * one of the node's own output paths as its templates form them now (for a whole-stage node
 * whose paths cannot all be formed alone: any path under the data folders), and must lie
 * under one of the folders restores may write in.
 */
import { insideRoots } from "./data-roots.js";
import type { NodeRecord } from "./state-store.js";

const DIGEST = /^[0-9a-f]{8,64}$/;

/** The part of a fingerprint the guard reads: the node's output paths now (recorded form), and whether they are all of them. */
export interface CurrentOutputs {
  readonly outputs: { readonly paths: readonly string[]; readonly complete: boolean };
}

/**
 * Why `record` must not be restored for the node fingerprinted `fp`, or undefined when it may.
 * `absolute` makes a recorded path absolute; `roots`, when given, are the folders a restore may
 * write in (paths are compared after resolving `.` and `..`; symbolic links inside a root are
 * the user's layout and are followed as a run's own writes follow them).
 */
export function restoreProblem(record: NodeRecord, fp: CurrentOutputs, absolute: (recorded: string) => string, roots?: readonly string[]): string | undefined {
  if (!Array.isArray(record.outputs)) return "its outputs are not a list";
  const own = new Set(fp.outputs.paths);
  for (const output of record.outputs as readonly unknown[]) {
    const o = output as { path?: unknown; digest?: unknown; size?: unknown } | null;
    if (o === null || typeof o !== "object" || typeof o.path !== "string" || typeof o.digest !== "string" || !DIGEST.test(o.digest) || typeof o.size !== "number") {
      return "an output entry is damaged";
    }
    if (!own.has(o.path) && fp.outputs.complete) return `${o.path} is not one of the node's output paths`;
    if (roots !== undefined && !insideRoots(absolute(o.path), roots)) return `${o.path} is outside the data folders`;
  }
  return undefined;
}
