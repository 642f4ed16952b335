/** The keys whose values differ between two resolved configurations. */
import type { ConfigChange } from "./report-data.js";

/**
 * Every leaf of `value` by its dotted key path (list items by index: `a.b[2]`), as JSON (so
 * the string "1" and the number 1 differ). An empty object or list is a leaf of its own, so a key that became `{}` shows.
 */
function leaves(value: unknown, path: string, out: Map<string, string>): void {
  if (Array.isArray(value) && value.length > 0) {
    value.forEach((item, i) => leaves(item, `${path}[${String(i)}]`, out));
    return;
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [key, item] of Object.entries(value)) leaves(item, path === "" ? key : `${path}.${key}`, out);
    return;
  }
  out.set(path, JSON.stringify(value) ?? "null");
}

/** The changes from `before` to `after`, sorted by key. */
export function configDiff(before: unknown, after: unknown): ConfigChange[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  leaves(before, "", a);
  leaves(after, "", b);
  const changes: ConfigChange[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const was = a.get(key);
    const now = b.get(key);
    if (was === now) continue;
    changes.push({ key, ...(was === undefined ? {} : { before: was }), ...(now === undefined ? {} : { after: now }) });
  }
  return changes.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}
