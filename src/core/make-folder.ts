/**
 * Creates a folder and its missing parents one level at a time. Node's `mkdir({ recursive })`
 * spins for ever under a parent that refuses children with ENOENT (e.g. `/proc/x`), and
 * reports a parent that is a file with a bare errno: this names the level at fault.
 */
import { mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { Result } from "../diagnostics/result.js";
import { err, ok } from "../diagnostics/result.js";

/** Makes `path` (absolute) a folder; the error says which level could not be made and why. */
export function makeFolder(path: string): Result<void, string> {
  const missing: string[] = [];
  let at = path;
  for (;;) {
    const kind = kindOf(at);
    if (kind === "folder") break;
    if (kind === "other") return err(`${at} exists and is not a folder`);
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (caught) {
      const code = (caught as NodeJS.ErrnoException).code;
      if (code === "EEXIST" && kindOf(folder) === "folder") continue;
      return err(`cannot create ${folder}: ${code === "EACCES" || code === "EPERM" ? "permission denied" : code === "EROFS" ? "read-only file system" : (code ?? String(caught))}`);
    }
  }
  return ok(undefined);
}

function kindOf(path: string): "folder" | "other" | "missing" {
  try {
    return statSync(path).isDirectory() ? "folder" : "other";
  } catch {
    return "missing";
  }
}
