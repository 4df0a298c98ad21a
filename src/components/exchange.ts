// An AMQP exchange (RabbitMQ, MQ-15): producers publish to it with a routing
// key (and headers), and it copies each message into every bound queue whose
// binding matches (src/mechanisms/amqp-routing.ts): one publish to a fanout
// of N queues is N messages. The exchange lives on the broker's nodes, a
// station: routing a message and enqueuing its copies take a node's thread
// for `opTime` per copy (at least one), so the broker's throughput bounds the
// copies it makes (the catalogue's ~30K-50K messages/s per RabbitMQ node).
// A message no binding takes goes to the alternate exchange, if there is
// one; otherwise a mandatory publish is answered `unroutable` (returned to
// its publisher) and any other is dropped, counted.
import type { Sampler } from "../kernel/distributions.js";
import type { Rng } from "../kernel/rng.js";
import { type Binding, type ExchangeType, type Message, route } from "../mechanisms/amqp-routing.js";
import { hash32 } from "../mechanisms/hashing.js";
import type { Job } from "./job.js";
import { OK, QUEUE_FULL, UNROUTABLE } from "./outcomes.js";
import type { Queue } from "./queue.js";
import type { ComponentReport, Sim } from "./runtime.js";
import { Station, type StationConfig } from "./station.js";

export interface ExchangeConfig extends StationConfig {
  type: ExchangeType;
  /** time a node spends on one copy of a message (routing and enqueuing it) */
  opTime: Sampler;
}

export class Exchange extends Station {
  readonly kind = "exchange";
  /** bound queues (a binding's `queue` indexes this) */
  readonly bound: Queue[] = [];
  readonly bindings: Binding[] = [];
  /** where a message no binding takes goes (set once every exchange is built) */
  alternate: Exchange | null = null;
  /** the routing keys and headers publishes carry: job.routing indexes this */
  private readonly messages: Message[] = [];
  /** per message shape: the queues it goes to, followed through alternate exchanges (computed once) */
  private readonly targets: (Queue[] | undefined)[] = [];
  /** per message shape: whether an alternate exchange took it */
  private readonly viaAlternate: boolean[] = [];
  private doneEv = -1;
  private ids = 0;
  private published = 0;
  private routed = 0;
  private copies = 0;
  private refusedCopies = 0;
  private unroutable = 0;
  private returned = 0;
  private toAlternate = 0;
  private readonly copiesByQueue = new Map<string, number>();
  private readonly byKey = new Map<string, number>();

  constructor(
    name: string,
    private readonly xc: ExchangeConfig,
  ) {
    super(name, xc);
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.doneEv = sim.q.on((id) => this.done(id));
  }

  bind(queue: Queue, b: Omit<Binding, "queue">): void {
    let q = this.bound.indexOf(queue);
    if (q < 0) q = this.bound.push(queue) - 1;
    this.bindings.push({ ...b, queue: q });
  }

  /** The index publishes carry for a routing key and headers (the same shape, the same index). */
  shape(m: Message): number {
    const id = `${m.key}\u0000${JSON.stringify(Object.entries(m.headers).sort())}`;
    let i = this.byKey.get(id);
    if (i === undefined) {
      i = this.messages.push(m) - 1;
      this.byKey.set(id, i);
    }
    return i;
  }

  /** A message id, for a publish call (the queues give their copies their own). */
  newMessageId(): number {
    return this.ids++;
  }

  /** Bindings are fixed, so each shape's queues are worked out once, by the matcher, when first published. */
  private targetsOf(shape: number): Queue[] {
    let t = this.targets[shape];
    if (t) return t;
    const m = this.messages[shape];
    const seen = new Set<Exchange>([this]);
    t = route(this.xc.type, this.bindings, m).map((q) => this.bound[q]);
    let via = false;
    // an alternate exchange's own alternate is followed too; a cycle ends the chain
    for (let x = this.alternate; t.length === 0 && x && !seen.has(x); x = x.alternate) {
      seen.add(x);
      const y = x;
      t = route(y.xc.type, y.bindings, m).map((q) => y.bound[q]);
      via = t.length > 0;
    }
    this.targets[shape] = t;
    this.viaAlternate[shape] = via;
    return t;
  }

  protected begin(job: Job): void {
    const copies = Math.max(1, this.targetsOf(job.routing).length);
    let d = this.slowMs;
    for (let i = 0; i < copies; i++) d += this.xc.opTime.sample(this.rng);
    this.sim.q.schedule(d, this.doneEv, job.id);
  }

  private done(id: number): void {
    const job = this.sim.pool.jobs[id];
    if (job.cancelled) return this.sim.release(job);
    this.published++;
    const targets = this.targetsOf(job.routing);
    if (targets.length === 0) {
      if (job.mandatory) {
        this.returned++;
        return this.finish(job, UNROUTABLE);
      }
      this.unroutable++;
      return this.finish(job, OK);
    }
    this.routed++;
    if (this.viaAlternate[job.routing]) this.toAlternate++;
    let refused = 0;
    for (const q of targets) {
      if (!q.takeRouted(job.key, job.priority, job.origin >= 0 ? job.origin : job.start)) {
        refused++;
        continue;
      }
      this.copies++;
      this.copiesByQueue.set(q.name, (this.copiesByQueue.get(q.name) ?? 0) + 1);
    }
    this.refusedCopies += refused;
    // publisher confirms: a copy a full queue refused is a negative acknowledgement
    this.finish(job, refused > 0 ? QUEUE_FULL : OK);
  }

  report(now: number): ComponentReport {
    const base = this.stationReport(now);
    return {
      ...base,
      type: this.xc.type,
      published: this.published,
      routed: this.routed,
      copies: this.copies,
      copiesByQueue: Object.fromEntries(
        [...this.copiesByQueue].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
      ),
      refusedCopies: this.refusedCopies,
      unroutable: this.unroutable,
      returned: this.returned,
      toAlternate: this.toAlternate,
    };
  }
}

/** A publish step's routing: the shapes its messages carry and their cumulative weights. */
export interface PublishRouting {
  shapes: Int32Array;
  /** cumulative weights, the last 1 */
  cum: Float64Array;
  /** pick by a hash of the request's key (the same key, the same shape) instead of at random */
  byKey: boolean;
}

/** The shape one message carries: drawn by weight, from the rng or from the request key's hash. */
export function pickShape(r: PublishRouting, key: number, rng: Rng): number {
  if (r.shapes.length === 1) return r.shapes[0];
  const u = r.byKey ? hash32(key, 0x6a09e667) / 4294967296 : rng.next();
  let i = 0;
  while (i < r.cum.length - 1 && u >= r.cum[i]) i++;
  return r.shapes[i];
}
