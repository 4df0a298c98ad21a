// Cooperative (incremental) rebalancing of a consumer group (Kafka's
// cooperative protocol, KIP-429): where an eager rebalance stops every member
// and shares every partition out again, a cooperative one takes away only the
// partitions whose owner changes. The others keep being read throughout.
//   begin:  the new owners are worked out over the live members; a live
//           member losing a partition stops fetching it at once, finishes the
//           batch it holds (committing it), and so gives the partition up;
//           a dead member's partitions are free at once.
//   finish: once the pause is over and every member has given up what it
//           lost, the moved partitions go to their new owners, each starting
//           at its committed offset.
// Commits are then judged per partition (is the member still its owner?),
// not by the group's generation, so members keep committing through it.
import type { GroupState } from "./consumer-group.js";

export class CooperativeRebalance {
  /** per partition: its owner once the rebalance ends */
  private target: Int32Array;
  /** per partition: taken from its owner, waiting for the new one */
  private readonly moving: Uint8Array;
  /** per member: still finishing a batch that holds messages of partitions it lost */
  private readonly revoking: Uint8Array;
  /** partitions taken from a live member over the run */
  revoked = 0;

  constructor(private readonly g: GroupState) {
    this.target = new Int32Array(g.partitions).fill(-1);
    this.moving = new Uint8Array(g.partitions);
    this.revoking = new Uint8Array(g.assigned.length);
  }

  /**
   * Membership changed: `live` are the members alive now; `fresh(m)` says a
   * member has restarted since it was last given partitions (its old ones,
   * and its positions in them, are gone with its old process).
   */
  begin(live: number[], fresh: (m: number) => boolean): void {
    const g = this.g;
    this.target = g.ownersFor(live);
    const isLive = new Uint8Array(g.assigned.length);
    for (const m of live) isLive[m] = 1;
    for (let p = 0; p < g.partitions; p++) {
      if (this.moving[p] === 1) continue;
      const cur = g.owner[p];
      const running = cur >= 0 && isLive[cur] === 1 && !fresh(cur);
      if (running && this.target[p] === cur) continue;
      this.moving[p] = 1;
      if (cur < 0) continue;
      const a = g.assigned[cur];
      const k = a.indexOf(p);
      if (k >= 0) a.splice(k, 1);
      if (running) {
        this.revoked++;
        // it keeps the partition (for its commit) until its batch is done
        if (g.batchLen[cur] > 0) this.revoking[cur] = 1;
      } else g.owner[p] = -1;
    }
  }

  /** A stop-the-world rebalance (an offset reset) shares every partition out anew. */
  clear(): void {
    this.moving.fill(0);
    this.revoking.fill(0);
  }

  /** Member m has ended its batch, or died: what it lost is free. */
  released(m: number): void {
    this.revoking[m] = 0;
  }

  /** Whether every member losing partitions has given them up. */
  get settled(): boolean {
    return this.revoking.every((r) => r === 0);
  }

  /**
   * The moved partitions go to their new owners; returns those owners.
   * `givenUp(p, from)` is told first of each partition a member gave up (-1:
   * its owner had died), while that member still owns it.
   */
  finish(givenUp: (p: number, from: number) => void = () => {}): number[] {
    const g = this.g;
    const gained: number[] = [];
    for (let p = 0; p < g.partitions; p++) {
      if (this.moving[p] === 0) continue;
      this.moving[p] = 0;
      givenUp(p, g.owner[p]);
      const m = this.target[p];
      g.owner[p] = m;
      g.position[p] = g.committed[p];
      if (m < 0) continue;
      g.assigned[m].push(p);
      if (!gained.includes(m)) gained.push(m);
    }
    return gained;
  }
}
