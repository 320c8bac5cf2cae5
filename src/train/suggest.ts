/** Nearest-name suggestions for config errors. */

/** Levenshtein edit distance between a and b. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n];
}

/**
 * The candidate closest to `name`, or undefined when nothing is close. Compares whole dotted paths and,
 * with a small penalty, the last segment alone (so `max_step` finds `trainer.max_steps`).
 */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  const leaf = name.split('.').pop()!;
  for (const c of candidates) {
    if (c === name) continue;
    const whole = editDistance(name.toLowerCase(), c.toLowerCase());
    const cLeaf = c.split('.').pop()!;
    const leafScore = editDistance(leaf.toLowerCase(), cLeaf.toLowerCase()) + (c.split('.').length !== name.split('.').length ? 1 : 0.5);
    const score = Math.min(whole, leafScore);
    if (score < bestScore) { bestScore = score; best = c; }
  }
  const limit = Math.max(2, Math.ceil(leaf.length * 0.4));
  return bestScore <= limit ? best : undefined;
}
