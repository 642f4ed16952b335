/**
 * "Did you mean" suggestions: edit distance between keys and the notes that name the closest
 * existing keys or options in diagnostics.
 */

/** Levenshtein distance (insertions, deletions, substitutions each cost 1). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length] ?? 0;
}

/** The largest edit distance at which `word` still looks like a typo of another word. */
function tolerance(word: string): number {
  return Math.max(1, Math.min(3, Math.floor(word.length / 3)));
}

/**
 * The candidates closest to `word`, best first, at most `limit` of them; only candidates within a
 * typo's distance (a third of the word's length, 1 to 3 edits, case ignored) are kept.
 */
export function closestMatches(word: string, candidates: Iterable<string>, limit = 3): string[] {
  const scored: { readonly candidate: string; readonly score: number }[] = [];
  const lower = word.toLowerCase();
  for (const candidate of new Set(candidates)) {
    if (candidate === word) continue;
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance <= tolerance(word)) scored.push({ candidate, score: distance });
  }
  scored.sort((x, y) => x.score - y.score || x.candidate.localeCompare(y.candidate));
  return scored.slice(0, limit).map((s) => s.candidate);
}

/** `did you mean "a"?` or `did you mean one of "a", "b"?`; undefined for no candidates. */
export function didYouMean(candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const quoted = candidates.map((c) => JSON.stringify(c)).join(", ");
  return candidates.length === 1 ? `did you mean ${quoted}?` : `did you mean one of ${quoted}?`;
}

/** Sort option names the way people count: `1-1`, `3-3`, `10-10`, `1450`, then letters. */
export function naturalSort(names: Iterable<string>): string[] {
  return [...names].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}

/** A comma-separated list, cut after `max` items with a count of the rest. */
export function listNames(names: readonly string[], max = 12): string {
  if (names.length <= max) return names.join(", ");
  return `${names.slice(0, max).join(", ")}, … (${names.length - max} more)`;
}
