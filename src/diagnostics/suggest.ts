/**
 * "Did you mean" suggestions, shared by every diagnostic: edit distance between names and
 * the notes that name the closest existing keys, stages, assets or options.
 */

/**
 * Edit distance counting insertions, deletions, substitutions and transpositions of adjacent
 * characters as one edit each (optimal string alignment), so the common typo `cbm` for `cmb`
 * is one edit, not two.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const width = b.length + 1;
  const d = new Uint16Array((a.length + 1) * width);
  for (let j = 0; j <= b.length; j++) d[j] = j;
  for (let i = 1; i <= a.length; i++) {
    d[i * width] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((d[(i - 1) * width + j] ?? 0) + 1, (d[i * width + j - 1] ?? 0) + 1, (d[(i - 1) * width + j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, (d[(i - 2) * width + j - 2] ?? 0) + 1);
      d[i * width + j] = best;
    }
  }
  return d[a.length * width + b.length] ?? 0;
}

/** The largest edit distance at which `word` still looks like a typo of another word. */
function tolerance(word: string): number {
  return Math.max(1, Math.min(3, Math.floor(word.length / 3)));
}

/**
 * The candidates closest to `word`: only those within a typo's distance (a third of the word's
 * length, 1 to 3 edits, case ignored) and tied at the smallest distance found, at most `limit`.
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
  const best = scored[0]?.score;
  return scored
    .filter((s) => s.score === best)
    .slice(0, limit)
    .map((s) => s.candidate);
}

/** `did you mean "a"?` or `did you mean one of "a", "b"?`; undefined for no candidates. */
export function didYouMean(candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const quoted = candidates.map((c) => JSON.stringify(c)).join(", ");
  return candidates.length === 1 ? `did you mean ${quoted}?` : `did you mean one of ${quoted}?`;
}

/** The "did you mean" note for a misspelt `word` among `candidates`, or undefined when nothing is close. */
export function suggestion(word: string, candidates: Iterable<string>): string | undefined {
  return didYouMean(closestMatches(word, candidates));
}

/** Sort option names the way people count: `1-1`, `3-3`, `10-10`, `1450`, then letters. */
export function naturalSort(names: Iterable<string>): string[] {
  return [...names].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}

/** A comma-separated list, cut after `max` items with a count of the rest. */
export function listNames(names: readonly string[], max = 12): string {
  if (names.length <= max) return names.join(", ");
  return `${names.slice(0, max).join(", ")}, … (${String(names.length - max)} more)`;
}
