// "Did you mean …?" for names in design files: component names, field names,
// distribution functions, units.

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of two
 * adjacent characters (optimal string alignment, a restricted
 * Damerau-Levenshtein). Swaps count as one edit because transposed letters
 * (`reigon`) are the most common typo in hand-written names.
 */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  const n = b.length;
  // three rolling rows: the transposition step looks two rows back
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n];
}

// `load_balancer`, `load-balancer` and `loadBalancer` are the same name to a reader
const squash = (s: string) => s.toLowerCase().replace(/[-_\s]/g, "");

/**
 * The candidate closest to `input`, if it is close enough to be a plausible
 * typo: at most max(1, floor(len/3)) edits, ignoring case. Ties go to the
 * alphabetically first candidate so the suggestion is deterministic.
 */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  const lower = input.toLowerCase();
  const limit = Math.max(1, Math.floor(input.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    if (c === input) continue; // suggesting what was written helps nobody
    let d = levenshtein(lower, c.toLowerCase());
    if (d > 0 && squash(c) === squash(input)) d = Math.min(d, 1);
    if (d > limit) continue;
    if (d < bestDistance || (d === bestDistance && best !== undefined && c < best)) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
