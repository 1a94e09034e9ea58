/**
 * "Did you mean" hints for unknown keys. `pipelines/` has the same helper but does not export
 * it, and modules may not reach into each other's files, so this is a small local copy with
 * the same rule: edit distance ≤ 2 (closer for short words) or a prefix match.
 */
function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** The closest candidate, or undefined when none is close enough to be a useful hint. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    const distance = levenshtein(w, c);
    // Two edits turn any two-letter word into any other, so short words need a closer match.
    const near = distance <= 2 && distance < Math.max(w.length, c.length) - 1;
    const prefix = w.length >= 3 && c.length >= 3 && (c.startsWith(w) || w.startsWith(c));
    if (!near && !prefix) continue;
    const score = near ? distance : 3 + Math.abs(c.length - w.length) / 1000;
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

/** ` (did you mean "x"?)`, or an empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const hint = closest(word, candidates);
  return hint === undefined ? "" : ` (did you mean "${hint}"?)`;
}
