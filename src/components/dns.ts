// A DNS name in front of regional endpoints (load balancers or services).
// Each lookup is answered by a routing policy over the endpoints its health
// checks consider healthy; the user caches the answer for the record's TTL
// (and, with shared resolvers, so does the user's recursive resolver), so a
// changed answer reaches users only as their cached copies expire. The stub
// resolver runs inside the client: it costs no network hop, only the lookup
// round trip on a cache miss; the request then travels from the user to the
// endpoint over the user's internet path. An answer may hold several
// addresses, in the policy's order of preference: a client whose request to
// one fails to connect (the endpoint down, nothing healthy behind it, a
// timeout) retries the next, as browsers do. An endpoint may be a CDN,
// reached at the PoP nearest each user (anycast).
import type { Sampler } from "../kernel/distributions.js";
import { fmix32, type Rng } from "../kernel/rng.js";
import { Cdn } from "./cdn.js";
import type { Job } from "./job.js";
import { LoadBalancer } from "./load-balancer.js";
import { INSTANCE_DOWN, NO_HEALTHY_BACKEND, OK, TIMEOUT } from "./outcomes.js";
import { Component, type ComponentReport, type Sim } from "./runtime.js";
import { Station } from "./station.js";

export const DNS_POLICIES = ["geo", "latency", "weighted", "failover"] as const;
export type DnsPolicy = (typeof DNS_POLICIES)[number];

export interface DnsEndpoint {
  target: Component;
  /** region index (Network) the endpoint is in; -1 for a CDN reached anywhere (anycast) */
  region: number;
  /** per user region, the region the user reaches the endpoint in (its own, or for a CDN its PoP's) */
  regionFor: number[];
  weight: number;
}

export interface DnsHealthCheck {
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  /** time an endpoint takes to answer a probe */
  probeMs: number;
}

export interface DnsConfig {
  policy: DnsPolicy;
  ttlMs: number;
  /** addresses in each answer, best first: the ones a client retries after a failure */
  addresses: number;
  endpoints: DnsEndpoint[];
  healthCheck: DnsHealthCheck | null;
  /** round trip of a lookup answered by the authoritative servers */
  lookup: Sampler;
  /** shared recursive resolvers per region (0: every user resolves alone) */
  resolvers: number;
  /** round trip from a user to their recursive resolver */
  resolverTime: Sampler;
}

/**
 * A failover's traffic share is measured in windows holding about this many
 * of the name's requests (at its average rate so far), so that the share is
 * not lost in noise; windows are whole multiples of 100 ms, at most 10 s.
 */
const WINDOW_REQUESTS = 200;
/** Smoothing of an endpoint's measured response time (weight of the newest sample). */
const EWMA_ALPHA = 0.1;
/**
 * A response time nobody refreshes halves every this many ms, so that users
 * go back to an endpoint they left and measure it again.
 */
const MEASURE_HALF_LIFE_MS = 30_000;

/** What users cached: per user id, the answer (an index into the answer lists) and when it expires. */
class AnswerCache {
  answer = new Int32Array(0);
  expiry = new Float64Array(0);

  ensure(user: number): void {
    if (user < this.answer.length) return;
    const n = Math.max(user + 1, this.answer.length * 2, 64);
    const a = new Int32Array(n).fill(-1);
    a.set(this.answer);
    const e = new Float64Array(n);
    e.set(this.expiry);
    this.answer = a;
    this.expiry = e;
  }
}

/** One endpoint going down, from the moment it stopped serving until it serves again. */
interface Episode {
  endpoint: number;
  downAt: number;
  upAt: number | null;
  detectedAt: number | null;
  /** the endpoint's share of this name's traffic before it went down */
  shareBefore: number;
  /** width of the windows below (ms) */
  windowMs: number;
  /** per window after downAt: requests sent anywhere, and to this endpoint */
  total: number[];
  toIt: number[];
  requests: number;
  errors: number;
  lastErrorAt: number | null;
}

export class Dns extends Component {
  readonly kind = "dns";
  override readonly isClient = true;
  override readonly inClient = true;
  private lookupEv = -1;
  private resolverEv = -1;
  private probeEv = -1;
  private probeResultEv = -1;
  private lookupRng!: Rng;
  private probeRng!: Rng;

  private readonly caches = new Map<number, AnswerCache>();
  private readonly resolverAnswer: Int32Array;
  private readonly resolverExpiry: Float64Array;
  /** when each resolver's outstanding question to the authoritative servers is answered (0: none) */
  private readonly resolverPending: Float64Array;
  /** endpoint preference per user region for geo and failover-free policies, best first */
  private readonly order: number[][];
  /** mean one-way network delay from each user region to each endpoint */
  private readonly netMs: number[][];
  /** measured response time of each endpoint beyond the network (latency policy) */
  private readonly serverMs: Float64Array;
  private readonly measuredAt: Float64Array;
  private readonly weightSum: number;

  private readonly healthy: Uint8Array;
  private readonly okStreak: Int32Array;
  private readonly failStreak: Int32Array;
  /** whether each endpoint can really serve (ground truth, for failover timing) */
  private readonly up: Uint8Array;
  readonly healthEvents: { t: number; endpoint: string; healthy: boolean }[] = [];

  private queries = 0;
  private cacheHits = 0;
  private lookups = 0;
  private resolverHits = 0;
  private readonly answers: Float64Array;
  private readonly sent: Float64Array;
  private readonly ok: Float64Array;
  private readonly failed: Float64Array;
  /** requests per endpoint and user region: [endpoint][region] */
  private readonly byUserRegion: Float64Array[];
  private sentTotal = 0;
  /** counts at the end of each endpoint's last episode, from which the next one's baseline share is taken */
  private readonly markTotal: Float64Array;
  private readonly markSent: Float64Array;
  private readonly episodes: Episode[] = [];
  private readonly open: Episode[] = [];

  /** per-second series by group: each region with an endpoint, and each anycast endpoint on its own */
  private readonly groupOf: Int32Array;
  private readonly groupNames: string[];
  private readonly secondSent: Float64Array;
  private readonly secondErrors: Float64Array;
  /** the distinct answers given so far (lists of endpoints, best first), and their index by content */
  private readonly lists: number[][] = [];
  private readonly listIds = new Map<string, number>();
  private retries = 0;
  private retriedOk = 0;
  private secondLookups = 0;
  private readonly series: Record<string, number[]> = {};

  constructor(
    name: string,
    private readonly cfg: DnsConfig,
    private readonly regionNames: readonly string[],
    clientMean: (userRegion: number, toRegion: number) => number,
  ) {
    super(name);
    const n = cfg.endpoints.length;
    const regions = regionNames.length;
    this.resolverAnswer = new Int32Array(regions * cfg.resolvers).fill(-1);
    this.resolverExpiry = new Float64Array(regions * cfg.resolvers);
    this.resolverPending = new Float64Array(regions * cfg.resolvers);
    this.netMs = regionNames.map((_, r) => cfg.endpoints.map((e) => clientMean(r, e.regionFor[r])));
    this.order = this.netMs.map((row, r) =>
      row
        .map((ms, i) => ({ i, home: cfg.endpoints[i].regionFor[r] === r ? 0 : 1, ms }))
        .sort((a, b) => a.home - b.home || a.ms - b.ms || a.i - b.i)
        .map((x) => x.i),
    );
    this.serverMs = new Float64Array(n);
    this.measuredAt = new Float64Array(n);
    this.weightSum = cfg.endpoints.reduce((s, e) => s + e.weight, 0);
    this.healthy = new Uint8Array(n).fill(1);
    this.okStreak = new Int32Array(n);
    this.failStreak = new Int32Array(n);
    this.up = new Uint8Array(n).fill(1);
    this.answers = new Float64Array(n);
    this.sent = new Float64Array(n);
    this.ok = new Float64Array(n);
    this.failed = new Float64Array(n);
    this.byUserRegion = cfg.endpoints.map(() => new Float64Array(regions));
    this.markTotal = new Float64Array(n);
    this.markSent = new Float64Array(n);
    const groups = [
      ...[...new Set(cfg.endpoints.filter((e) => e.region >= 0).map((e) => e.region))]
        .sort((a, b) => a - b)
        .map((r) => regionNames[r]),
      ...cfg.endpoints.filter((e) => e.region < 0).map((e) => e.target.name),
    ];
    this.groupNames = groups;
    this.groupOf = Int32Array.from(cfg.endpoints, (e) =>
      groups.indexOf(e.region >= 0 ? regionNames[e.region] : e.target.name),
    );
    this.secondSent = new Float64Array(groups.length);
    this.secondErrors = new Float64Array(groups.length);
    for (const g of groups) {
      this.series[`requests:${g}`] = [];
      this.series[`errors:${g}`] = [];
    }
    this.series.lookups = [];
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.lookupRng = sim.stream(`${this.name}/lookup`);
    this.probeRng = sim.stream(`${this.name}/probe`);
    this.lookupEv = sim.q.on((id) => this.resolved(id));
    this.resolverEv = sim.q.on((slot) => this.resolverAnswered(slot));
    this.probeEv = sim.q.on((i) => this.probe(i));
    this.probeResultEv = sim.q.on((encoded) => this.probeResult(encoded));
  }

  override start(): void {
    this.cfg.endpoints.forEach((e, i) => {
      this.up[i] = serving(e.target) ? 1 : 0;
    });
    const hc = this.cfg.healthCheck;
    if (!hc) return;
    // the first probes are spread over one interval, as independent checkers would be
    const n = this.cfg.endpoints.length;
    for (let i = 0; i < n; i++) this.sim.q.at((hc.intervalMs * (i + 1)) / n, this.probeEv, i);
  }

  // ---------- answering ----------

  accept(job: Job): void {
    const now = this.sim.now;
    this.queries++;
    const cache = this.cacheOf(job.caller);
    cache.ensure(job.user);
    if (cache.expiry[job.user] > now) {
      this.cacheHits++;
      return this.forward(job, cache.answer[job.user]);
    }
    this.lookups++;
    this.secondLookups++;
    let delay: number;
    if (this.cfg.resolvers > 0) {
      // the query reaches the resolver half a round trip from now, and is
      // answered from its cache, or once its question to the authoritative
      // servers (asked now, or already outstanding) is answered
      const slot = this.resolverSlot(job);
      const rt = this.cfg.resolverTime.sample(this.lookupRng);
      job.aux = 0;
      if (this.resolverExpiry[slot] > now + rt / 2 && this.resolverPending[slot] === 0) {
        this.resolverHits++;
        delay = rt;
      } else if (this.resolverPending[slot] > 0) {
        this.resolverHits++;
        delay = Math.max(rt, this.resolverPending[slot] - now + rt / 2);
      } else {
        const at = now + rt / 2 + this.cfg.lookup.sample(this.lookupRng);
        this.resolverPending[slot] = at;
        this.sim.q.at(at, this.resolverEv, slot);
        delay = at - now + rt / 2;
      }
    } else {
      job.aux = 1;
      delay = this.cfg.lookup.sample(this.lookupRng);
    }
    this.sim.q.schedule(delay, this.lookupEv, job.id);
  }

  private cacheOf(caller: number): AnswerCache {
    let c = this.caches.get(caller);
    if (!c) {
      c = new AnswerCache();
      this.caches.set(caller, c);
    }
    return c;
  }

  /** Users of a region share its resolvers, each user always the same one. */
  private resolverSlot(job: Job): number {
    return job.region * this.cfg.resolvers + (fmix32(job.user ^ 0x3c6ef372) % this.cfg.resolvers);
  }

  /** A lookup's answer arrives: the authoritative one decided now, or the resolver's cached one. */
  private resolved(id: number): void {
    const job = this.sim.pool.jobs[id];
    const now = this.sim.now;
    let answer: number;
    let expiry: number;
    if (job.aux === 1) {
      answer = this.decide(job.region);
      expiry = now + this.cfg.ttlMs;
    } else {
      // a resolver hands out the TTL it has left
      const slot = this.resolverSlot(job);
      answer = this.resolverAnswer[slot];
      expiry = this.resolverExpiry[slot];
    }
    job.aux = 0;
    const cache = this.cacheOf(job.caller);
    cache.answer[job.user] = answer;
    cache.expiry[job.user] = expiry;
    this.forward(job, answer);
  }

  /** A resolver's question to the authoritative servers is answered; it caches the answer for the TTL. */
  private resolverAnswered(slot: number): void {
    this.resolverAnswer[slot] = this.decide(Math.floor(slot / this.cfg.resolvers));
    this.resolverExpiry[slot] = this.sim.now + this.cfg.ttlMs;
    this.resolverPending[slot] = 0;
  }

  /** The authoritative answer for a user in `region` (an answer list's index), counted by its first address. */
  private decide(region: number): number {
    const list = this.answer(region);
    this.answers[list[0]]++;
    const key = list.join(",");
    let id = this.listIds.get(key);
    if (id === undefined) {
      id = this.lists.push(list) - 1;
      this.listIds.set(key, id);
    }
    return id;
  }

  /**
   * The policy's answer for a user in `region`: up to `addresses` healthy
   * endpoints, best first (with none healthy, any: fail open, as managed
   * DNS services do).
   */
  private answer(region: number): number[] {
    const eps = this.cfg.endpoints;
    const n = this.cfg.addresses;
    let anyHealthy = false;
    for (let i = 0; i < eps.length; i++) if (this.healthy[i] === 1) anyHealthy = true;
    const ok = (i: number) => !anyHealthy || this.healthy[i] === 1;
    switch (this.cfg.policy) {
      case "geo":
        return this.order[region].filter(ok).slice(0, n);
      case "failover":
        return eps
          .map((_, i) => i)
          .filter(ok)
          .slice(0, n);
      case "latency":
        return eps
          .map((_, i) => i)
          .filter(ok)
          .map((i) => ({ i, ms: 2 * this.netMs[region][i] + this.measured(i) }))
          .sort((a, b) => a.ms - b.ms || a.i - b.i)
          .slice(0, n)
          .map((x) => x.i);
      case "weighted": {
        // drawn by weight without replacement: one draw per address
        const left = eps.map((_, i) => i).filter(ok);
        const out: number[] = [];
        while (out.length < n && left.length > 0) {
          const total = left.reduce((s, i) => s + eps[i].weight, 0);
          let u = this.rng.next() * total;
          let k = left.length - 1;
          for (let j = 0; j < left.length; j++) {
            u -= eps[left[j]].weight;
            if (u < 0) {
              k = j;
              break;
            }
          }
          out.push(left[k]);
          left.splice(k, 1);
        }
        return out;
      }
    }
  }

  /** A successful request to endpoint `e` from a user in `region` took `rtt` ms. */
  private learn(e: number, rtt: number, region: number): void {
    const beyond = Math.max(0, rtt - 2 * this.netMs[region][e]);
    const before = this.measured(e);
    this.serverMs[e] = this.measuredAt[e] === 0 ? beyond : before + EWMA_ALPHA * (beyond - before);
    this.measuredAt[e] = this.sim.now;
  }

  /** The endpoint's measured response time beyond the network, decayed since its last sample. */
  private measured(e: number): number {
    const age = this.sim.now - this.measuredAt[e];
    return age > 0 ? this.serverMs[e] * 0.5 ** (age / MEASURE_HALF_LIFE_MS) : this.serverMs[e];
  }

  /** Sends the request to the first address of its answer; the user's job remembers which answer (step) and address (phase). */
  private forward(job: Job, answer: number): void {
    job.step = answer;
    job.phase = 0;
    this.send(job, this.lists[answer][0]);
  }

  private send(job: Job, e: number): void {
    const ep = this.cfg.endpoints[e];
    this.sent[e]++;
    this.sentTotal++;
    this.byUserRegion[e][job.region]++;
    this.secondSent[this.groupOf[e]]++;
    for (const ev of this.open) {
      const bin = Math.floor((this.sim.now - ev.downAt) / ev.windowMs);
      while (ev.total.length <= bin) {
        ev.total.push(0);
        ev.toIt.push(0);
      }
      ev.total[bin]++;
      if (ev.endpoint === e) {
        ev.toIt[bin]++;
        ev.requests++;
      }
    }
    const c = this.sim.child(job, this, -1);
    c.op = job.op;
    this.sim.send(c, ep.target, -1);
  }

  /**
   * An endpoint answered. The call is known by its parent (the user's
   * request), which a callee that dies keeps in the copy it answers with. A
   * failure to connect is retried at the answer's next address, if any.
   */
  override onReply(c: Job): void {
    const sim = this.sim;
    const job = sim.pool.jobs[c.parent];
    const list = this.lists[job.step];
    const e = list[job.phase];
    if (c.outcome === OK) {
      this.ok[e]++;
      // the latency policy learns the endpoint's response time beyond the known network delay
      if (this.cfg.policy === "latency") this.learn(e, sim.now - c.start, c.region);
    } else {
      this.failed[e]++;
      this.secondErrors[this.groupOf[e]]++;
      for (const ev of this.open)
        if (ev.endpoint === e) {
          ev.errors++;
          ev.lastErrorAt = sim.now;
        }
      if (job.phase + 1 < list.length && retriable(c.outcome)) {
        this.retries++;
        sim.release(c);
        job.phase++;
        return this.send(job, list[job.phase]);
      }
    }
    if (job.phase > 0 && c.outcome === OK) this.retriedOk++;
    sim.relay(c);
  }

  // ---------- health checks ----------

  /**
   * Sends one probe; its result arrives as a later event whose argument
   * carries the outcome. A probe passes when the endpoint can serve and
   * answers (round trip + probe time + any slowness) within the timeout.
   */
  private probe(i: number): void {
    const hc = this.cfg.healthCheck!;
    const ep = this.cfg.endpoints[i];
    let ok = 0;
    let wait = hc.timeoutMs;
    if (serving(ep.target)) {
      const net = this.sim.net;
      const zone = ep.target.zoneOf(-1);
      // checkers probe from the endpoint's region (an anycast one's first PoP's)
      const from = ep.region >= 0 ? ep.region : net.zoneRegion[zone];
      const rtt =
        net.clientDelay(from, zone, this.probeRng) +
        net.clientDelay(from, zone, this.probeRng) +
        hc.probeMs +
        (ep.target instanceof Station ? ep.target.slowness() : 0);
      if (rtt <= hc.timeoutMs) {
        ok = 1;
        wait = rtt;
      }
    }
    this.sim.q.schedule(wait, this.probeResultEv, i * 2 + ok);
    this.sim.q.schedule(hc.intervalMs, this.probeEv, i);
  }

  private probeResult(encoded: number): void {
    const hc = this.cfg.healthCheck!;
    const i = encoded >> 1;
    if ((encoded & 1) === 1) {
      this.failStreak[i] = 0;
      if (++this.okStreak[i] >= hc.healthyThreshold && this.healthy[i] === 0) this.setHealth(i, true);
    } else {
      this.okStreak[i] = 0;
      if (++this.failStreak[i] >= hc.unhealthyThreshold && this.healthy[i] === 1) this.setHealth(i, false);
    }
  }

  private setHealth(i: number, healthy: boolean): void {
    this.healthy[i] = healthy ? 1 : 0;
    this.healthEvents.push({ t: this.sim.now, endpoint: this.cfg.endpoints[i].target.name, healthy });
    if (!healthy)
      for (const ev of this.open)
        if (ev.endpoint === i && ev.detectedAt === null) ev.detectedAt = this.sim.now;
  }

  // ---------- failover timing ----------

  /** A fault began or ended: an endpoint that stopped (or resumed) serving opens (or closes) an episode. */
  override faultsChanged(): void {
    const now = this.sim.now;
    this.cfg.endpoints.forEach((ep, i) => {
      const nowUp = serving(ep.target) ? 1 : 0;
      if (nowUp === this.up[i]) return;
      this.up[i] = nowUp;
      if (nowUp === 0) {
        const total = this.sentTotal - this.markTotal[i];
        const ev: Episode = {
          endpoint: i,
          downAt: now,
          upAt: null,
          detectedAt: this.healthy[i] === 0 ? now : null,
          shareBefore: total > 0 ? (this.sent[i] - this.markSent[i]) / total : 0,
          windowMs: windowFor(this.sentTotal, now),
          total: [],
          toIt: [],
          requests: 0,
          errors: 0,
          lastErrorAt: null,
        };
        this.episodes.push(ev);
        this.open.push(ev);
      } else {
        const k = this.open.findIndex((ev) => ev.endpoint === i);
        if (k >= 0) {
          this.open[k].upAt = now;
          this.open.splice(k, 1);
        }
        this.markTotal[i] = this.sentTotal;
        this.markSent[i] = this.sent[i];
      }
    });
  }

  override tick(_second: number): void {
    this.groupNames.forEach((name, g) => {
      this.series[`requests:${name}`].push(this.secondSent[g]);
      this.series[`errors:${name}`].push(this.secondErrors[g]);
    });
    this.series.lookups.push(this.secondLookups);
    this.secondSent.fill(0);
    this.secondErrors.fill(0);
    this.secondLookups = 0;
  }

  report(): ComponentReport {
    const eps = this.cfg.endpoints;
    const answered = this.answers.reduce((s, n) => s + n, 0);
    return {
      kind: this.kind,
      utilization: 0,
      policy: this.cfg.policy,
      ttlMs: this.cfg.ttlMs,
      queries: this.queries,
      cacheHits: this.cacheHits,
      lookups: this.lookups,
      resolverHits: this.resolverHits,
      authoritativeAnswers: answered,
      addresses: this.cfg.addresses,
      retries: this.retries,
      retriedOk: this.retriedOk,
      endpoints: Object.fromEntries(
        eps.map((ep, i) => [
          ep.target.name,
          {
            region: ep.region >= 0 ? this.regionNames[ep.region] : "anycast",
            weight: ep.weight,
            answers: this.answers[i],
            answerShare: answered > 0 ? this.answers[i] / answered : 0,
            requests: this.sent[i],
            trafficShare: this.sentTotal > 0 ? this.sent[i] / this.sentTotal : 0,
            ok: this.ok[i],
            failed: this.failed[i],
            healthy: this.healthy[i] === 1,
            byUserRegion: Object.fromEntries(
              this.regionNames.flatMap((r, ri) =>
                this.byUserRegion[i][ri] > 0 ? [[r, this.byUserRegion[i][ri]]] : [],
              ),
            ),
          },
        ]),
      ),
      healthEvents: this.healthEvents,
      failovers: this.episodes.map((ev) => failoverReport(ev, eps[ev.endpoint], this.regionNames)),
      series: this.series,
    };
  }
}

/** Whether a request sent to `c` now could be served. */
export function serving(c: Component): boolean {
  if (c instanceof LoadBalancer || c instanceof Cdn) return c.serving();
  if (c instanceof Station) {
    for (let i = 0; i < c.instances(); i++) if (c.isAlive(i)) return true;
    return false;
  }
  return true;
}

/** Failures to connect, which a client retries at the next address: not answers it got (queue-full, errors). */
function retriable(outcome: number): boolean {
  return outcome === INSTANCE_DOWN || outcome === NO_HEALTHY_BACKEND || outcome === TIMEOUT;
}

/** Window width (ms) expected to hold about WINDOW_REQUESTS requests. */
function windowFor(sent: number, now: number): number {
  if (sent <= 0 || now <= 0) return 1000;
  const ms = Math.ceil(WINDOW_REQUESTS / (sent / now) / 100) * 100;
  return Math.min(10_000, Math.max(100, ms));
}

/**
 * When the endpoint's traffic moved: the end of the last window in which its
 * share of the name's requests was still above 50% (1%) of its share before
 * it went down; null when that window is the last of the episode (not moved yet).
 */
function movedAfter(ev: Episode, fraction: number): number | null {
  let last = -1;
  for (let b = 0; b < ev.total.length; b++)
    if (ev.total[b] > 0 && ev.toIt[b] / ev.total[b] > (1 - fraction) * ev.shareBefore) last = b;
  if (last < 0) return 0;
  if (last === ev.total.length - 1) return null;
  return (last + 1) * ev.windowMs;
}

function failoverReport(ev: Episode, ep: DnsEndpoint, regionNames: readonly string[]) {
  return {
    endpoint: ep.target.name,
    region: ep.region >= 0 ? regionNames[ep.region] : "anycast",
    downAtMs: ev.downAt,
    upAtMs: ev.upAt,
    detectionMs: ev.detectedAt === null ? null : ev.detectedAt - ev.downAt,
    shareBefore: ev.shareBefore,
    windowMs: ev.windowMs,
    requests: ev.requests,
    errors: ev.errors,
    lastErrorMs: ev.lastErrorAt === null ? null : ev.lastErrorAt - ev.downAt,
    moved50Ms: ev.shareBefore > 0 ? movedAfter(ev, 0.5) : null,
    moved99Ms: ev.shareBefore > 0 ? movedAfter(ev, 0.99) : null,
  };
}
