// How a consumer group's partitions are shared among its live members
// (MQ-05): each partition goes to exactly one member, so a group's
// parallelism is capped at the partition count and members beyond it idle.
//   range:       members in order each take a contiguous run of partitions;
//                the first P mod M take one extra (Kafka's RangeAssignor).
//   round-robin: partition p goes to the (p mod M)-th member.

export const ASSIGNMENTS = ["range", "round-robin"] as const;
export type Assignment = (typeof ASSIGNMENTS)[number];

/**
 * The owner (member number) of each of `partitions` partitions, given the
 * live members in the order they are numbered; -1 for every partition when
 * no member is live.
 */
export function assignPartitions(
  strategy: Assignment,
  partitions: number,
  members: readonly number[],
): Int32Array {
  const owner = new Int32Array(partitions).fill(-1);
  const m = members.length;
  if (m === 0) return owner;
  if (strategy === "round-robin") {
    for (let p = 0; p < partitions; p++) owner[p] = members[p % m];
    return owner;
  }
  const each = Math.floor(partitions / m);
  const extra = partitions % m;
  let p = 0;
  for (let k = 0; k < m; k++) {
    const n = each + (k < extra ? 1 : 0);
    for (let j = 0; j < n; j++) owner[p++] = members[k];
  }
  return owner;
}
