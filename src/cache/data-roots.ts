/**
 * The folders runs of this project wrote outputs in (the data root and assets folder of each
 * configuration run), kept in `cache/state/data-roots.json` as a sorted list of absolute paths.
 *
 * Why: records are read from a file anyone can edit, so a path in one may point anywhere. A
 * command that changes files beside recorded outputs (`cache gc` sweeping a killed run's
 * temporary files) does so only inside these folders; a record naming a path outside them is
 * not acted on. A missing or damaged list knows no folder, so nothing is swept until a run
 * writes it again.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { realpathSync } from "node:fs";
import { readCacheFile } from "./cache-damage.js";

/** The list's file, under the cache folder. */
export const DATA_ROOTS_FILE = join("state", "data-roots.json");

/** The folders recorded in `cacheDir`'s list (none when it is missing or damaged). */
export async function readDataRoots(cacheDir: string): Promise<string[]> {
  let text: Awaited<ReturnType<typeof readCacheFile>>;
  try {
    text = await readCacheFile(join(cacheDir, DATA_ROOTS_FILE));
  } catch {
    return [];
  }
  if (typeof text !== "string") return [];
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === "string" && p.startsWith(sep)) : [];
  } catch {
    return [];
  }
}

/** Adds `roots` to `cacheDir`'s list (the caller holds the cache lock); the file is replaced whole. */
export async function addDataRoots(cacheDir: string, roots: readonly string[]): Promise<void> {
  const known = await readDataRoots(cacheDir);
  const all = [...new Set([...known, ...roots.map((r) => resolve(r))])].sort();
  if (all.length === known.length && all.every((r, i) => r === known[i])) return;
  const file = join(cacheDir, DATA_ROOTS_FILE);
  await mkdir(join(cacheDir, "state"), { recursive: true });
  const temp = `${file}.${String(process.pid)}.tmp`;
  await writeFile(temp, `${JSON.stringify(all)}\n`);
  await rename(temp, file);
}

/** True when `path` lies inside one of `roots` (each taken as written and, when it holds a symbolic link, as its real path). */
export function insideRoots(path: string, roots: readonly string[]): boolean {
  const target = resolve(path);
  return roots.some((root) => spellings(root).some((r) => target === r || target.startsWith(r.endsWith(sep) ? r : `${r}${sep}`)));
}

function spellings(folder: string): string[] {
  const lexical = resolve(folder);
  try {
    const real = realpathSync(lexical);
    return real === lexical ? [lexical] : [lexical, real];
  } catch {
    return [lexical];
  }
}
