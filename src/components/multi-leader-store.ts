// A multi-leader (multi-master) replicated key-value store: typically one
// leader per region. Each leader accepts the reads and writes of the callers
// near it, commits a write locally and acknowledges it at once, then ships it
// to every other leader over an ordered replication stream per (from, to)
// link. Two writes to a key accepted on different leaders before either saw
// the other are concurrent; version vectors detect that exactly, and the
// store resolves it one of three ways: last writer wins by (skewable) clock,
// siblings kept for the client to merge, or a grow-only counter whose
// replicas merge without loss. Streams are sub-requests from the store to
// itself, from one node to another, so they pay the network, stop at
// partitions and dead nodes, and queue for the target's workers.
import type { Sampler } from "../kernel/distributions.js";
import {
  compare,
  GCounter,
  increment,
  LWWRegister,
  merge,
  SiblingSet,
  type VersionVector,
} from "../mechanisms/conflicts.js";
import { hashString, KeyedDraws } from "../kernel/rng.js";
import { summarize } from "../mechanisms/consistency.js";
import { type Job, OP_APPLY, OP_READ, OP_WRITE } from "./job.js";
import { ERROR, INSTANCE_DOWN, NO_HEALTHY_BACKEND, OK } from "./outcomes.js";
import type { ComponentReport, Sim } from "./runtime.js";
import { ReadVerdicts } from "./read-verdicts.js";
import { Station, type StationConfig } from "./station.js";
import type { Store } from "./store.js";

export type Resolution = "lww" | "version-vectors" | "crdt-counter";

export const RESOLUTIONS: readonly Resolution[] = ["lww", "version-vectors", "crdt-counter"];

export interface MultiLeaderConfig extends StationConfig {
  readTime: Sampler;
  writeTime: Sampler;
  valueSize: Sampler;
  /** what a node does with a write concurrent with what it holds */
  resolution: Resolution;
  /** time a node spends applying one replicated write, holding a worker */
  applyTime: Sampler;
  /** per node: how far its clock is ahead (ms; negative: behind). LWW stamps writes with it, so skew picks winners. */
  clockSkewMs?: number[];
}

/** A write on its way to the other leaders. */
interface Entry {
  key: number;
  /** the write's version vector: everything its leader had seen, plus itself */
  version: VersionVector;
  /** its LWW stamp: the leader's clock, and the leader */
  ts: number;
  origin: number;
}

/** One key on one node. Values are not simulated, only versions. */
interface Cell {
  /** the merge of every write the node has incorporated; its sum is the version a read returns */
  version: VersionVector;
  /** LWW: the winning write's stamp, with its index on its own node as the value */
  register: LWWRegister<number> | null;
  siblings: SiblingSet<null> | null;
  counter: GCounter | null;
}

/**
 * The observer's record of one key, for committed versions and conflicts:
 * what no single node knows.
 */
interface KeyLog {
  /** writes accepted per node; their sum is the key's committed version */
  accepted: number[];
  total: number;
}

/**
 * A replication stream from one node to another: the sender's entries not
 * yet known to be applied, and the receiver's progress. Entries are numbered
 * in order per link; the receiver applies them in that order, one at a time.
 */
class Link {
  /** unacknowledged entries, oldest first: entries[head] has sequence number `base` */
  private entries: Entry[] = [];
  private head = 0;
  base = 0;
  /** entries below this sequence number have been sent in the current epoch */
  sentTo = 0;
  /** bumped when a send fails: everything unacknowledged goes again, and answers to older sends are ignored */
  epoch = 0;
  /** receiver: the next sequence number to apply (kept across restarts, like the data) */
  next = 0;
  applying = false;
  /** receiver: arrivals waiting for their turn (out of order, or behind the entry being applied), by number */
  readonly held = new Map<number, number>();

  get length(): number {
    return this.entries.length - this.head;
  }

  /** Sequence number one past the newest entry. */
  get end(): number {
    return this.base + this.length;
  }

  push(e: Entry): void {
    this.entries.push(e);
  }

  entry(seq: number): Entry {
    return this.entries[this.head + seq - this.base];
  }

  /** The receiver has applied everything through `seq`; returns the number of entries this releases. */
  ackThrough(seq: number): number {
    const k = seq + 1 - this.base;
    if (k <= 0) return 0;
    this.head += k;
    this.base += k;
    if (this.sentTo < this.base) this.sentTo = this.base;
    // compact now and then, so memory follows the entries waiting, not those ever sent
    if (this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    return k;
  }
}

export class MultiLeaderStore extends Station implements Store {
  readonly kind = "multi-leader";
  /** index of this store in the consistency checker */
  storeId = 0;
  readonly nodes: number;
  readonly resolution: Resolution;
  /** per node: its keys (kept across restarts: disk) */
  private readonly cells: Map<number, Cell>[];
  private readonly keyLogs = new Map<number, KeyLog>();
  /** from * nodes + to */
  private readonly links: Link[];
  private readonly skew: number[];
  private readonly lastStamp: Float64Array;
  private doneEv = -1;
  private waiting = 0;
  private reads = 0;
  private writes = 0;
  private conflicts = 0;
  /** LWW: acknowledged writes overwritten by a write that never saw them */
  private lost = 0;
  private siblingsReturned = 0;
  private siblingsTotal = 0;
  private readonly readsAt: Float64Array;
  private readonly writesAt: Float64Array;
  private readonly appliedAt: Float64Array;
  private readonly verdicts = new ReadVerdicts();
  private readonly backlogSeries: number[] = [];

  /** a value's size belongs to its key */
  private readonly sizes = new KeyedDraws(hashString(`${this.name}/sizes`));

  constructor(
    name: string,
    private readonly ml: MultiLeaderConfig,
  ) {
    super(name, ml);
    const n = ml.instances;
    if (!RESOLUTIONS.includes(ml.resolution))
      throw new RangeError(
        `${name}: resolution must be one of ${RESOLUTIONS.join(", ")}, got ${ml.resolution}`,
      );
    const skew = ml.clockSkewMs ?? new Array<number>(n).fill(0);
    if (skew.length !== n || !skew.every(Number.isFinite))
      throw new RangeError(`${name}: clockSkewMs needs one finite number per node (${n})`);
    this.nodes = n;
    this.resolution = ml.resolution;
    this.skew = skew.slice();
    this.lastStamp = new Float64Array(n).fill(-Infinity);
    this.cells = Array.from({ length: n }, () => new Map<number, Cell>());
    this.links = Array.from({ length: n * n }, () => new Link());
    this.readsAt = new Float64Array(n);
    this.writesAt = new Float64Array(n);
    this.appliedAt = new Float64Array(n);
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.doneEv = sim.q.on((id) => this.complete(id));
  }

  /** A multi-leader store has no read options. */
  readPolicy(_options: unknown): number {
    return 0;
  }

  /** Replicated writes not yet applied by their target: one per write per other node until it lands. */
  get backlog(): number {
    return this.waiting;
  }

  /** Version of `key` on `node`: the number of writes to it the node has incorporated. */
  versionAt(node: number, key: number): number {
    const c = this.cells[node].get(key);
    return c ? sum(c.version) : 0;
  }

  /** version-vectors: siblings of `key` a read on `node` would return. */
  siblingsAt(node: number, key: number): number {
    return this.cells[node].get(key)?.siblings?.siblings ?? 0;
  }

  /** crdt-counter: the value of `key`'s counter on `node`. */
  counterAt(node: number, key: number): number {
    return this.cells[node].get(key)?.counter?.value ?? 0;
  }

  /** lww: the node whose write `key` holds on `node` (-1: none). */
  winnerAt(node: number, key: number): number {
    return this.cells[node].get(key)?.register?.write?.node ?? -1;
  }

  /** Sub-requests are the store calling itself; they hold workers but are not traffic. */

  /**
   * Callers use the leader in their zone, else one in their region, else any
   * live leader they can reach. (The first such node, so a zone's callers
   * keep to one leader.)
   */
  override pick(job: Job): number {
    if (job.op !== OP_READ && job.op !== OP_WRITE) return -1;
    const net = this.sim.net;
    const from = this.sim.components[job.caller].zoneOf(job.callerInstance);
    let inRegion = -1;
    let reachable = -1;
    for (let node = 0; node < this.nodes; node++) {
      const zone = this.zoneOf(node);
      if (!this.isAlive(node) || net.isCut(from, zone)) continue;
      if (zone === from) return node;
      if (inRegion < 0 && net.zoneRegion[zone] === net.zoneRegion[from]) inRegion = node;
      if (reachable < 0) reachable = node;
    }
    return inRegion >= 0 ? inRegion : reachable;
  }

  override accept(job: Job): void {
    if (job.caller === this.index) return this.receive(job);
    if (job.op !== OP_READ && job.op !== OP_WRITE) {
      this.arrivals++;
      return this.refuse(job, ERROR);
    }
    // pick() found no leader the caller can reach (Station.accept would pick one round robin, cut off or not)
    if (job.instance < 0) {
      this.arrivals++;
      return this.refuse(job, NO_HEALTHY_BACKEND);
    }
    super.accept(job);
  }

  protected begin(job: Job): void {
    const t =
      job.op === OP_APPLY ? this.ml.applyTime : job.op === OP_WRITE ? this.ml.writeTime : this.ml.readTime;
    this.sim.q.schedule(t.sample(this.rng) + this.slowMs, this.doneEv, job.id);
  }

  private complete(id: number): void {
    const job = this.sim.pool.jobs[id];
    if (job.cancelled) return this.sim.release(job);
    const node = job.instance;
    if (job.op === OP_READ) {
      this.read(node, job);
      return this.finish(job, OK);
    }
    if (job.op === OP_WRITE) {
      job.version = this.commit(node, job.key);
      return this.finish(job, OK);
    }
    const link = this.links[job.callerInstance * this.nodes + node];
    const seq = job.aux;
    this.apply(node, link.entry(seq));
    link.next++;
    link.applying = false;
    // a resend of this entry that came in while it was being applied
    const dup = link.held.get(seq);
    if (dup !== undefined) {
      link.held.delete(seq);
      this.answer(this.sim.pool.jobs[dup], OK);
    }
    this.finish(job, OK);
    this.pump(link, node);
  }

  private read(node: number, job: Job): void {
    this.reads++;
    this.readsAt[node]++;
    const cell = this.cells[node].get(job.key);
    job.version = cell ? sum(cell.version) : 0;
    job.size = Math.round(this.ml.valueSize.sample(this.sizes.at(job.key)));
    if (this.resolution !== "version-vectors") return;
    // every sibling goes back to the client, which merges them
    const k = cell?.siblings?.siblings ?? 0;
    this.siblingsTotal += k;
    if (k > 1) this.siblingsReturned++;
  }

  /** Commits a client's write on `node` and queues it for every other node; returns its version there. */
  private commit(node: number, key: number): number {
    const cell = this.cell(node, key);
    // on top of everything the node holds: a version-vectors write supersedes the siblings there
    const version = increment(cell.version, node);
    cell.version = version;
    const log = this.keyLog(key);
    // every write accepted elsewhere that this node has not seen is concurrent with this one: each pair counted once, here, when its later write is accepted
    for (let z = 0; z < this.nodes; z++) if (z !== node) this.conflicts += log.accepted[z] - version[z];
    log.accepted[node]++;
    log.total++;
    this.writes++;
    this.writesAt[node]++;
    this.sim.consistency?.committed(this.storeId, key, log.total, this.sim.now);
    const ts = this.stamp(node);
    if (cell.register) {
      cell.register.set(version[node], ts, node);
      // a clock behind the stamp already there: the write loses at once, silently
      const w = cell.register.write!;
      if (w.node !== node || w.value !== version[node]) this.lost++;
    } else if (cell.siblings) cell.siblings.put(version, null);
    else cell.counter!.increment(node);
    const entry: Entry = { key, version, ts, origin: node };
    for (let to = 0; to < this.nodes; to++) {
      if (to === node) continue;
      this.links[node * this.nodes + to].push(entry);
      this.waiting++;
      this.transmit(node, to);
    }
    return sum(version);
  }

  /** The node's clock for an LWW stamp; it never hands out the same stamp twice. */
  private stamp(node: number): number {
    const ts = Math.max(this.sim.now + this.skew[node], this.lastStamp[node] + 1e-6);
    this.lastStamp[node] = ts;
    return ts;
  }

  /** Merges a replicated write into `node`'s copy of its key. */
  private apply(node: number, e: Entry): void {
    const cell = this.cell(node, e.key);
    cell.version = merge(cell.version, e.version);
    // LWW takes the stamp even when the vector already covers the write: a write
    // seen through another's vector did not bring its stamp along
    if (cell.register) {
      const before = cell.register.write;
      cell.register.merge({ ts: e.ts, node: e.origin, value: e.version[e.origin] });
      // This node's own write, overwritten by one that never saw it, is gone
      // everywhere: the higher stamp wins on every node. Counted here, on its
      // origin, so once.
      if (
        before &&
        before.node === node &&
        cell.register.write !== before &&
        (e.version[node] ?? 0) < before.value
      )
        this.lost++;
    } else if (cell.siblings) cell.siblings.put(e.version, null);
    // a counter's state is the write's vector: each node's entry counts its increments
    else cell.counter!.merge(new GCounter(e.version));
    this.appliedAt[node]++;
  }

  // ---- replication streams

  /** Sends the link's unsent entries, in order, if both ends are up and no partition lies between. */
  private transmit(from: number, to: number): void {
    if (!this.isAlive(from) || !this.isAlive(to) || this.sim.net.isCut(this.zoneOf(from), this.zoneOf(to)))
      return;
    const link = this.links[from * this.nodes + to];
    while (link.sentTo < link.end) {
      const s = this.sim.pool.alloc();
      const e = link.entry(link.sentTo);
      s.caller = this.index;
      s.callerInstance = from;
      s.op = OP_APPLY;
      s.key = e.key;
      // aux and basis, unlike step and phase, survive into Station.kill's answering copies
      s.aux = link.sentTo++;
      s.basis = link.epoch;
      s.start = this.sim.now;
      // callerInstance is the sender, so the hop to another node pays the network
      this.sim.send(s, this, to);
    }
  }

  /** An entry arrives at its target; it waits until the entries before it on its link are applied. */
  private receive(job: Job): void {
    const to = job.instance;
    if (!this.isAlive(to)) return this.refuse(job, INSTANCE_DOWN);
    const link = this.links[job.callerInstance * this.nodes + to];
    const seq = job.aux;
    // a resend after an answer was lost: applied already
    if (seq < link.next) return this.answer(job, OK);
    const other = link.held.get(seq);
    if (other !== undefined) {
      // two sends of one entry: keep the later epoch's; the sender ignores answers to older ones
      const prev = this.sim.pool.jobs[other];
      if (prev.basis > job.basis) return this.answer(job, ERROR);
      this.answer(prev, ERROR);
    }
    link.held.set(seq, job.id);
    this.pump(link, to);
  }

  /** Hands the link's next entry to a worker, if it is here and none of the link's is being applied. */
  private pump(link: Link, to: number): void {
    if (link.applying || !this.isAlive(to)) return;
    const id = link.held.get(link.next);
    if (id === undefined) return;
    link.held.delete(link.next);
    link.applying = true;
    super.accept(this.sim.pool.jobs[id]);
  }

  private answer(job: Job, outcome: number): void {
    job.outcome = outcome;
    this.sim.reply(job);
  }

  /** A target's answer to an entry (or Station.kill's copy saying the target died). */
  override onReply(sub: Job): void {
    const from = sub.callerInstance;
    const to = sub.instance;
    const link = this.links[from * this.nodes + to];
    const seq = sub.aux;
    const epoch = sub.basis;
    const ok = sub.outcome === OK;
    this.sim.release(sub);
    // entries are applied in order, so an answer covers every entry before it
    if (ok) {
      this.waiting -= link.ackThrough(seq);
      return;
    }
    if (epoch !== link.epoch || seq < link.base) return;
    // the stream broke here: resend from the oldest unacknowledged entry, now or once the link is up
    link.epoch++;
    link.sentTo = link.base;
    this.transmit(from, to);
  }

  private cell(node: number, key: number): Cell {
    const m = this.cells[node];
    let c = m.get(key);
    if (c === undefined) {
      const r = this.resolution;
      c = {
        version: new Array<number>(this.nodes).fill(0),
        register: r === "lww" ? new LWWRegister<number>() : null,
        siblings: r === "version-vectors" ? new SiblingSet<null>() : null,
        counter: r === "crdt-counter" ? new GCounter() : null,
      };
      m.set(key, c);
    }
    return c;
  }

  private keyLog(key: number): KeyLog {
    let log = this.keyLogs.get(key);
    if (log === undefined) {
      log = {
        accepted: new Array<number>(this.nodes).fill(0),
        total: 0,
      };
      this.keyLogs.set(key, log);
    }
    return log;
  }

  // ---- faults

  /** A node dies; it keeps its data and its outgoing streams, and entries waiting for it are turned back. */
  override kill(node: number): void {
    if (!this.isAlive(node)) return;
    super.kill(node);
    for (let from = 0; from < this.nodes; from++) {
      const link = this.links[from * this.nodes + node];
      link.applying = false;
      const held = [...link.held.values()];
      link.held.clear();
      for (const id of held) this.refuse(this.sim.pool.jobs[id], INSTANCE_DOWN);
    }
  }

  /** A node is back: it resumes its streams and receives the backlog of every link to it. */
  override restart(node: number): void {
    if (this.isAlive(node)) return;
    super.restart(node);
    for (let other = 0; other < this.nodes; other++) {
      if (other === node) continue;
      this.transmit(other, node);
      this.transmit(node, other);
    }
  }

  /** A partition healed (or began): streams that can flow again resume. */
  override networkChanged(): void {
    for (let from = 0; from < this.nodes; from++)
      for (let to = 0; to < this.nodes; to++) if (from !== to) this.transmit(from, to);
  }

  // ---- reporting

  /** The consistency checker's verdict on one read of this store, for the per-second series. */
  noteRead(flags: number): void {
    this.verdicts.note(flags);
  }

  override tick(second: number): void {
    super.tick(second);
    this.verdicts.tick();
    this.backlogSeries.push(this.waiting);
  }

  /** LWW: acknowledged writes discarded unseen; 0 in the other modes, which lose none. */
  lostUpdates(): number {
    return this.lost;
  }

  /** Keys whose state differs between live nodes (replication in flight, or a partition). */
  divergentKeys(): number {
    let diverged = 0;
    for (const key of this.keyLogs.keys()) {
      let first: Cell | undefined;
      let seen = false;
      for (let node = 0; node < this.nodes; node++) {
        if (!this.isAlive(node)) continue;
        const c = this.cells[node].get(key);
        if (!seen) {
          first = c;
          seen = true;
        } else if (!sameState(first, c)) {
          diverged++;
          break;
        }
      }
    }
    return diverged;
  }

  /** crdt-counter: the sum over keys of `node`'s counters. */
  private counterTotalAt(node: number): number {
    let total = 0;
    for (const c of this.cells[node].values()) total += c.counter?.value ?? 0;
    return total;
  }

  report(now: number): ComponentReport {
    const base = this.stationReport(now);
    const n = this.nodes;
    const crdt = this.resolution === "crdt-counter";
    const totals = crdt ? Array.from({ length: n }, (_, i) => this.counterTotalAt(i)) : [];
    const lost = this.lostUpdates();
    const out: ComponentReport = {
      ...base,
      resolution: this.resolution,
      reads: this.reads,
      writes: this.writes,
      conflicts: this.conflicts,
      lostUpdates: lost,
      siblingsReturned: this.siblingsReturned,
      siblingsTotal: this.siblingsTotal,
      // the lowest total any node holds: equal to the increments acknowledged once every node has every one
      ...(crdt ? { counterTotal: Math.min(...totals), incrementsAcknowledged: this.writes } : {}),
      backlog: this.waiting,
      keysWritten: this.keyLogs.size,
      divergentKeys: this.divergentKeys(),
      nodes: Array.from({ length: n }, (_, i) => ({
        alive: this.isAlive(i),
        zone: this.sim.net.zoneNames[this.zoneOf(i)],
        reads: this.readsAt[i],
        writes: this.writesAt[i],
        applied: this.appliedAt[i],
        ...(crdt ? { counterTotal: totals[i] } : {}),
      })),
      series: {
        ...(base.series as Record<string, number[]>),
        ...this.verdicts.series(),
        replicationBacklog: this.backlogSeries,
      },
    };
    const checker = this.sim.consistency;
    if (checker) {
      out.consistency = {
        ...summarize(checker.counts().byStore[this.storeId]),
        lostAcknowledgedWrites: lost,
      };
    }
    return out;
  }
}

function sum(v: VersionVector): number {
  let s = 0;
  for (const x of v) s += x;
  return s;
}

/**
 * Whether two nodes hold the same state of a key. Siblings and counters are
 * functions of the vector (a node has incorporated exactly the writes its
 * vector covers); an LWW register also needs the same winning stamp.
 */
function sameState(a: Cell | undefined, b: Cell | undefined): boolean {
  if (compare(a?.version ?? [], b?.version ?? []) !== "equal") return false;
  const wa = a?.register?.write;
  const wb = b?.register?.write;
  return wa?.ts === wb?.ts && wa?.node === wb?.node;
}
