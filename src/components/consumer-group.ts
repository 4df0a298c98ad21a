// The state a topic keeps for one consumer group (MQ-05, MQ-06, MQ-10): per
// partition the committed offset and the fetch position, which member owns
// it and in which generation of the group's assignment; per member the batch
// of messages the broker last handed it. Each group reads the topic on its
// own: offsets here are this group's only.
import { type Assignment, assignPartitions } from "../mechanisms/group-assignment.js";
import { DeliveryLedger } from "../mechanisms/delivery-ledger.js";
import type { PartitionLog } from "../mechanisms/partition-log.js";

export type StartAt = "earliest" | "latest";

export class GroupState {
  readonly ledger: DeliveryLedger;
  readonly partitions: number;
  /** per partition: offset up to which the group has committed (the next one to process) */
  readonly committed: Float64Array;
  /** per partition: the next offset its owner fetches */
  readonly position: Float64Array;
  /** per partition: the member that owns it (-1: nobody) */
  owner: Int32Array;
  /** bumped by every new assignment: commits from an older one are refused */
  generation = 0;
  joined = false;
  /** per member: the partitions it owns */
  assigned: number[][];
  /** per member: where its next fetch starts among its partitions (fairness) */
  private readonly rotation: Int32Array;
  /** per member: the batch the broker last handed over (partition, offset), its length and generation */
  readonly batchP: Int32Array[];
  readonly batchO: Float64Array[];
  readonly batchLen: Int32Array;
  readonly batchGen: Int32Array;
  /** per member: bumped each time it dies, so that its late fetches and commits are recognised */
  readonly incarnation: Int32Array;
  /** per member: a fetch parked at the broker waiting for messages (job id, -1: none) */
  readonly parked: Int32Array;
  commitsRefused = 0;
  /** whether member m is alive (set by the consumer that is the group) */
  isAlive: (m: number) => boolean = () => true;
  /** partitions in use: the first `active` (a topic's partitions added later are not yet) */
  active: number;
  /** cooperative rebalancing: commits are judged per partition, by its owner (no generations) */
  cooperative = false;
  /** offset resets are to come: every retained message's details are kept (see floor) */
  keepHistory = false;
  /**
   * bumped by every offset reset: a batch fetched, or positions recorded for
   * an auto-commit, before a reset must not commit after it (the group was
   * stopped for the reset, so Kafka refuses them as an old generation's;
   * cooperative rebalancing judges commits by owner, so it needs this too)
   */
  resets = 0;
  private readonly batchResets: number[] = [];
  private readonly snapResets: number[] = [];
  /** per member: positions recorded by an auto-commit on its way (allocated on first use) and their generation */
  private readonly positionSnap: (Float64Array | undefined)[] = [];
  private readonly snapGen: number[] = [];

  constructor(
    readonly index: number,
    readonly logs: PartitionLog[],
    members: number,
    readonly batch: number,
    readonly startAt: StartAt,
    readonly strategy: Assignment,
  ) {
    this.partitions = logs.length;
    this.active = logs.length;
    this.ledger = new DeliveryLedger(index, logs);
    this.committed = new Float64Array(this.partitions);
    this.position = new Float64Array(this.partitions);
    this.owner = new Int32Array(this.partitions).fill(-1);
    this.assigned = Array.from({ length: members }, () => []);
    this.rotation = new Int32Array(members);
    this.batchP = Array.from({ length: members }, () => new Int32Array(batch));
    this.batchO = Array.from({ length: members }, () => new Float64Array(batch));
    this.batchLen = new Int32Array(members);
    this.batchGen = new Int32Array(members);
    this.incarnation = new Int32Array(members);
    this.parked = new Int32Array(members).fill(-1);
  }

  /** The group starts reading: from the oldest retained message or from the end (`readable` per partition). */
  join(readable: (p: number) => number): void {
    this.joined = true;
    for (let p = 0; p < this.partitions; p++) {
      const at = this.startAt === "earliest" ? this.logs[p].start : readable(p);
      this.committed[p] = at;
      this.position[p] = at;
      this.ledger.from[p] = at;
    }
  }

  /** The owner of each partition when shared among `members` (-1 for those not in use). */
  ownersFor(members: number[]): Int32Array {
    const owner = new Int32Array(this.partitions).fill(-1);
    owner.set(assignPartitions(this.strategy, this.active, members));
    return owner;
  }

  /** A new assignment over the live `members`: every owner fetches from the committed offsets. */
  assign(members: number[]): void {
    this.generation++;
    this.owner = this.ownersFor(members);
    for (const a of this.assigned) a.length = 0;
    for (let p = 0; p < this.partitions; p++) {
      this.position[p] = this.committed[p];
      const m = this.owner[p];
      if (m >= 0) this.assigned[m].push(p);
    }
  }

  /** Whether `member` has a message to fetch; `readable(p)` is -1 for a partition that cannot be read now. */
  hasMessages(member: number, readable: (p: number) => number): boolean {
    for (const p of this.assigned[member]) if (this.position[p] < readable(p)) return true;
    return false;
  }

  /**
   * Hands `member` up to `batch` messages from its partitions, taking them in
   * turn from where the last fetch left off; returns how many.
   */
  fill(member: number, readable: (p: number) => number): number {
    const parts = this.assigned[member];
    const P = this.batchP[member];
    const O = this.batchO[member];
    let n = 0;
    const k0 = this.rotation[member];
    for (let j = 0; j < parts.length && n < this.batch; j++) {
      const p = parts[(k0 + j) % parts.length];
      const to = readable(p);
      while (this.position[p] < to && n < this.batch) {
        const o = this.position[p]++;
        this.ledger.fetched(p, o);
        P[n] = p;
        O[n] = o;
        n++;
      }
    }
    if (parts.length > 0) this.rotation[member] = (k0 + 1) % parts.length;
    this.batchLen[member] = n;
    this.batchGen[member] = this.generation;
    this.batchResets[member] = this.resets;
    return n;
  }

  /**
   * Auto-commit (MQ-10): records the fetch positions of `member`'s partitions
   * now, to be committed when the commit reaches the broker, whatever has
   * been processed of them.
   */
  snapshotPositions(member: number): void {
    const snap = (this.positionSnap[member] ??= new Float64Array(this.partitions));
    snap.fill(-1);
    for (const p of this.assigned[member]) snap[p] = this.position[p];
    this.snapGen[member] = this.generation;
    this.snapResets[member] = this.resets;
  }

  /** Commits the positions `snapshotPositions` recorded, if no rebalance came between; returns whether it did. */
  commitPositions(member: number): boolean {
    const snap = this.positionSnap[member];
    if (
      snap === undefined ||
      this.snapResets[member] !== this.resets ||
      (!this.cooperative && this.snapGen[member] !== this.generation)
    ) {
      this.commitsRefused++;
      return false;
    }
    let refused = false;
    for (let p = 0; p < this.partitions; p++) {
      if (snap[p] < 0) continue;
      if (this.cooperative && this.owner[p] !== member) refused = true;
      else if (snap[p] > this.committed[p]) this.committed[p] = snap[p];
    }
    if (refused) this.commitsRefused++;
    return true;
  }

  /** Commits the end of `member`'s batch, if the batch is of the current generation; returns whether it was. */
  commit(member: number): boolean {
    if (
      (this.batchResets[member] ?? 0) !== this.resets ||
      (!this.cooperative && this.batchGen[member] !== this.generation)
    ) {
      this.commitsRefused++;
      return false;
    }
    const P = this.batchP[member];
    const O = this.batchO[member];
    let refused = false;
    for (let k = 0; k < this.batchLen[member]; k++) {
      // cooperative: a partition that went to another member meanwhile is not this one's to commit
      if (this.cooperative && this.owner[P[k]] !== member) refused = true;
      else if (O[k] + 1 > this.committed[P[k]]) this.committed[P[k]] = O[k] + 1;
    }
    if (refused) this.commitsRefused++;
    return true;
  }

  /**
   * Retention deleted offsets [from, to) of partition p: unread messages are
   * lost, and offsets below the new log start move up to it (the group jumps
   * ahead, as a consumer whose offset is out of range resets to the earliest).
   */
  deleted(p: number, from: number, to: number): void {
    if (!this.joined) return;
    this.ledger.deleted(p, from, to);
    const start = this.logs[p].start;
    if (this.committed[p] < start) this.committed[p] = start;
    if (this.position[p] < start) this.position[p] = start;
  }

  /** Lowest offset of partition p whose details the group may still need. */
  floor(p: number): number {
    if (this.keepHistory) return this.logs[p].start;
    if (this.joined) return this.committed[p];
    return this.startAt === "earliest" ? 0 : Infinity;
  }

  /** Messages not yet committed (consumer lag) in partition p, against what is readable. */
  lag(p: number, readable: number): number {
    return this.joined ? Math.max(0, readable - this.committed[p]) : 0;
  }

  /** Age (ms) of the oldest message of partition p not yet committed; 0 when none. */
  lagMs(p: number, readable: number, now: number): number {
    if (!this.joined || this.committed[p] >= readable) return 0;
    return now - this.logs[p].time(this.committed[p]);
  }
}
