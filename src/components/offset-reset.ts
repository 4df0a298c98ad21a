// Resetting a consumer group's offsets mid-run (MQ-07, MQ-12), as an
// operator does with kafka-consumer-groups --reset-offsets on a stopped
// group: every partition's committed offset moves to the target, and the
// group resumes from there.
//   earliest: the oldest retained message, a replay of the history: what was
//             processed is processed again (duplicates, unless dedup).
//   latest:   the end of the log: the lag is skipped, never processed (lost).
//   offset:   that offset, within the retained log.
//   time:     the first message appended at or after that time.
// Going back needs the messages' details, so a group with resets to come
// keeps them (see GroupState.keepHistory) until its last reset.
import type { GroupState } from "./consumer-group.js";

export type ResetTarget = "earliest" | "latest" | { offset: number } | { time: number };

export interface ResetResult {
  /** messages moved forward over and never processed by the group: lost */
  skipped: number;
  /** messages moved back over: to be read again */
  replayed: number;
}

/** Moves every partition's committed offset and position to `to`; `readable(p)` is the end a consumer can read to. */
export function resetOffsets(g: GroupState, to: ResetTarget, readable: (p: number) => number): ResetResult {
  const out: ResetResult = { skipped: 0, replayed: 0 };
  // batches and auto-commit positions taken before the reset may no longer commit
  g.resets++;
  for (let p = 0; p < g.partitions; p++) {
    const log = g.logs[p];
    const end = readable(p);
    let target: number;
    if (to === "earliest") target = log.start;
    else if (to === "latest") target = end;
    else if ("offset" in to) target = to.offset;
    else target = log.offsetAtTime(to.time);
    target = Math.max(log.start, Math.min(target, end));
    const was = g.committed[p];
    if (target > was) out.skipped += g.ledger.skippedOver(p, was, target);
    else {
      out.replayed += was - target;
      // messages before the group joined become its to account for
      if (target < g.ledger.from[p]) g.ledger.from[p] = target;
    }
    g.committed[p] = target;
    g.position[p] = target;
  }
  return out;
}
