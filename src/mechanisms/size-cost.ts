// How the cost of an operation grows with the size of the data it works on:
// what separates a sorted set (a skip list: ZADD and ZREVRANK walk O(log N)
// levels) from a relational rank query that sorts the table (ORDER BY:
// O(N log N) comparisons). A store charges an operation unit x steps(N) on
// top of its own drawn time, so the same store is fast on a small table and
// saturates on a large one, as the case estimates say it should.

export const GROWTHS = ["constant", "log", "linear", "n-log-n"] as const;

export type Growth = (typeof GROWTHS)[number];

/**
 * Steps (comparisons, levels walked) of an operation on a structure of n
 * entries, to within the constant the unit carries: 1, log2 n, n or
 * n log2 n. log2 is floored at 1, so a structure of one or two entries still
 * costs a step (a lookup in an empty tree is not free).
 */
export function steps(growth: Growth, n: number): number {
  if (!(n >= 0)) throw new RangeError(`entries must be a number >= 0, got ${n}`);
  const lg = Math.max(1, Math.log2(Math.max(n, 1)));
  switch (growth) {
    case "constant":
      return 1;
    case "log":
      return lg;
    case "linear":
      return Math.max(1, n);
    case "n-log-n":
      return Math.max(1, n) * lg;
  }
}

/** The time an operation adds for the size of its data: unitMs x steps(n). */
export function sizeCostMs(growth: Growth, n: number, unitMs: number): number {
  return unitMs * steps(growth, n);
}
