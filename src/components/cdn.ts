// A content delivery network: one edge PoP per region, each with its own
// byte-bounded cache (a real key store under a real eviction policy) in front
// of an origin, optionally behind a single origin-shield tier. Users reach the
// PoP of their region; a miss crosses regions to the shield or the origin.
// What an edge may keep and for how long comes from each route's
// Cache-Control; objects are pulled on a miss, or pushed at the start and
// kept apart from the pull cache (storage, not cache: never evicted).
// Concurrent misses for one object share one upstream fetch (request
// collapsing). Content changes at the origin on a schedule: a purge reaches
// each PoP after its own propagation delay (stale hits until then), while a
// versioned (content-hashed) URL makes the new content a new key.
//
// PoPs fail: a killed PoP (or one in a region that is out) answers nothing,
// and once the CDN's steering notices (anycast withdrawal, a mapping update)
// its users go to the next-nearest PoP that is up, paying its longer network
// path and its cache. A PoP may have a bounded number of workers and a queue,
// and links of finite bandwidth (its egress to users, the origin's to the
// CDN) shared by the transfers on them, so large objects cost time. A stale
// copy may stand in for an origin that fails (stale-if-error).
//
// Caching hazards are judged, not assumed: a route may declare that its
// content is the requesting user's own, or depends on request headers; each
// copy remembers whose response it is and which variant, so an edge that
// stores personal content, or keys copies by fewer headers than the content
// varies by (a missing Vary), is caught serving one user's response to
// another (leaked) or the wrong variant.
import type { Sampler } from "../kernel/distributions.js";
import { hashString, KeyedDraws } from "../kernel/rng.js";
import { CacheStore, type EvictionPolicyName } from "../mechanisms/cache-store.js";
import { SharedLink } from "../mechanisms/shared-link.js";
import { LatencyRecorder } from "../metrics/latency.js";
import { TimeWeighted } from "../metrics/time-weighted.js";
import { IntQueue } from "./int-queue.js";
import { type Job, OP_ROUTE, RUNNING } from "./job.js";
import { INSTANCE_DOWN, OK, QUEUE_FULL } from "./outcomes.js";
import { Component, type ComponentReport, type Sim } from "./runtime.js";

export type OnUpdate = "purge" | "versioned" | "none";

export interface CdnRoute {
  name: string;
  /** responses may be stored (neither private nor no-store) */
  store: boolean;
  /** every use of a stored copy is revalidated with the origin (no-cache) */
  revalidate: boolean;
  /** freshness lifetime (ms), Infinity: until evicted or purged */
  ttlMs: number;
  /** stale-while-revalidate window after freshness ends (ms) */
  swrMs: number;
  /** stale-if-error window after freshness ends (ms): a stale copy may answer when the origin fails */
  sieMs: number;
  /** object size, drawn once per key */
  size: Sampler;
  /** keys 0..push-1 (the most popular) are pushed to every tier at the start */
  push: number;
  /** what a change of content at the origin does at the edge */
  onUpdate: OnUpdate;
  /** the response carries the requesting user's own data */
  perUser: boolean;
  /** per header set: the copy a request asks for (its values of the Vary headers), among `variants` */
  varyOf: Int32Array;
  variants: number;
  /** per header set: the content the origin gives it (its values of the headers the content depends on) */
  contentOf: Int32Array;
  /** whether answers are judged for leaks and wrong variants */
  judged: boolean;
}

export interface CdnUpdate {
  atMs: number;
  /** route index, -1 for every route */
  route: number;
  /** inclusive key ranges; null for every key */
  ranges: [number, number][] | null;
}

export interface CdnSite {
  region: string;
  zone: number;
}

export interface CdnConfig {
  origin: Component;
  pops: CdnSite[];
  shield: CdnSite | null;
  /** per network region, the PoPs (indexes into pops) its users reach, nearest first */
  popOrder: number[][];
  regionNames: string[];
  /** time from a PoP going down (or up) until users are steered away from it (or back) */
  failoverMs: number;
  /** workers and queue places per PoP (and shield); Infinity: unbounded */
  workers: number;
  queue: number;
  /** bandwidth (bytes/ms) of each tier's link to whoever it answers, and of the origin's link to the CDN; Infinity: no transfer time */
  bandwidth: number;
  originBandwidth: number;
  /** per PoP (and for the shield) */
  capacityBytes: number;
  policy: EvictionPolicyName;
  /** time a tier spends answering from its cache, or before forwarding a miss */
  edgeTime: Sampler;
  collapse: boolean;
  /** delay before one tier applies a purge, drawn per tier and per update */
  purgeDelay: Sampler;
  /** by route index: every route the simulation knows */
  routes: CdnRoute[];
  updates: CdnUpdate[];
}

/** One upstream request of a tier: to the shield, or to the origin. */
interface Fetch {
  tier: Tier;
  /** store key (route, key, version for versioned routes) */
  sk: number;
  route: number;
  key: number;
  /** version the response carries: for an origin fetch, the origin's when it was sent */
  version: number;
  /** no-cache revalidation: the version held (a same-version answer is a 304); -1 otherwise */
  held: number;
  /** jobs answered by it: user requests, or a PoP's requests at the shield */
  waiters: number[];
  /** a purge reached the tier while it was in flight: pass the answer on, do not store it */
  purged: boolean;
  cacheable: boolean;
  /** the tier died while it was in flight: its waiters were answered then, nothing is stored */
  dead: boolean;
  /** whose response, in which variant, it carries (see tagOf) */
  tag: number;
}

/** Counters and a cache for one PoP, or for the shield. */
class Tier {
  /** the pull cache: the capacity the pushed objects leave */
  store: CacheStore;
  /**
   * pushed objects, by object (route and key), in their pushed version:
   * stored apart from the pull cache, never evicted and never expired
   */
  readonly pinned = new Map<number, { version: number; size: number }>();
  pinnedBytes = 0;
  readonly inflight = new Map<number, Fetch>();
  requests = 0;
  hits = 0;
  fetches = 0;
  collapsed = 0;
  staleHits = 0;
  swrHits = 0;
  uncacheable = 0;
  revalidations = 0;
  notModified = 0;
  pushed = 0;
  purged = 0;
  windowRequests = 0;
  windowHits = 0;
  windowFetches = 0;
  readonly hitSeries: number[] = [];
  readonly fetchSeries: number[] = [];
  // ---- failures and steering
  alive = true;
  /** what the steering believes: users are sent to a PoP it believes up */
  announced = true;
  downSince = -1;
  downMs = 0;
  /** requests that reached it while it was down */
  refused = 0;
  /** requests of users whose nearest PoP it is, steered to another while it was out */
  failedOver = 0;
  /** requests it served for users whose nearest PoP was out */
  takenOver = 0;
  staleIfError = 0;
  // ---- capacity
  busy = 0;
  readonly waiting = new IntQueue();
  readonly busyTW = new TimeWeighted();
  rejected = 0;
  /** bumped when the tier dies, so that worker releases scheduled before are void */
  epoch = 0;
  draining = false;
  constructor(
    readonly site: CdnSite,
    readonly instance: number,
    store: CacheStore,
    readonly link: SharedLink | null,
  ) {
    this.store = store;
  }
}

class RegionStats {
  requests = 0;
  hits = 0;
  failedOver = 0;
  readonly latency = new LatencyRecorder();
  windowLatency = 0;
  windowOk = 0;
  readonly latencySeries: number[] = [];
}

class RouteStats {
  requests = 0;
  hits = 0;
  originFetches = 0;
  staleHits = 0;
  leaked = 0;
  wrongVariant = 0;
}

const KEY_SPAN = 4294967296;
const VERSION_SPAN = 1024;
/** event arguments carry (update, tier), (epoch, tier) and (generation, link) pairs */
const TIER_SPAN = 1024;
/** a content tag is variant + CONTENT_SPAN x (owner user + 1), owner 0 for content that is no one's */
const CONTENT_SPAN = 1024;

export class Cdn extends Component {
  readonly kind = "cdn";
  private readonly pops: Tier[];
  private readonly shield: Tier | null;
  private readonly tiers: Tier[];
  /** fetches in flight, by the id of their handle (the parent of the call carrying them) */
  private readonly fetches = new Map<number, Fetch>();
  private readonly regions: RegionStats[];
  private readonly routeStats: RouteStats[];
  private answerEv = -1;
  private updateEv = -1;
  private applyEv = -1;
  private releaseEv = -1;
  private announceEv = -1;
  private linkEv = -1;
  /** the links by index: each tier's (at its index), then the origin's; and their event generations */
  private readonly links: (SharedLink | null)[];
  private readonly linkGen: number[];
  private readonly originLink: SharedLink | null;
  private readonly bounded: boolean;
  private slowMs = 0;
  /** updates that have happened at the origin (they are sorted by time) */
  private updatesFired = 0;
  private readonly propagatedAt: number[];
  /** tiers that have applied each update */
  private readonly appliedBy: number[];
  /** per route: draws that are a function of the key, so that an object keeps its size */
  private sizeDraws: KeyedDraws[] = [];
  /** keys actually pushed per route (what fitted) */
  private pushedKeys: number[] = [];
  private requests = 0;
  private hits = 0;
  private originFetches = 0;
  private bytesServed = 0;
  private bytesFromEdge = 0;
  private bytesFromOrigin = 0;
  private bytesPushed = 0;
  /** 304s to browsers revalidating a copy they hold */
  private usersNotModified = 0;
  private windowRequests = 0;
  private windowHits = 0;
  private windowOrigin = 0;
  private windowStale = 0;
  private readonly hitSeries: number[] = [];
  private readonly originSeries: number[] = [];
  private readonly staleSeries: number[] = [];

  constructor(
    name: string,
    private readonly cfg: CdnConfig,
  ) {
    super(name);
    const link = () => (Number.isFinite(cfg.bandwidth) ? new SharedLink(cfg.bandwidth) : null);
    this.pops = cfg.pops.map((p, i) => new Tier(p, i, this.newStore(cfg.capacityBytes), link()));
    this.shield = cfg.shield
      ? new Tier(cfg.shield, cfg.pops.length, this.newStore(cfg.capacityBytes), link())
      : null;
    this.tiers = this.shield ? [...this.pops, this.shield] : this.pops;
    this.originLink = Number.isFinite(cfg.originBandwidth) ? new SharedLink(cfg.originBandwidth) : null;
    this.links = [...this.tiers.map((t) => t.link), this.originLink];
    this.linkGen = this.links.map(() => 0);
    this.bounded = Number.isFinite(cfg.workers);
    this.zones = this.tiers.map((t) => t.site.zone);
    this.regions = cfg.regionNames.map(() => new RegionStats());
    this.routeStats = cfg.routes.map(() => new RouteStats());
    this.propagatedAt = cfg.updates.map(() => -1);
    this.appliedBy = cfg.updates.map(() => 0);
  }

  private newStore(bytes: number): CacheStore {
    return new CacheStore({ maxBytes: bytes, policy: this.cfg.policy, rand: () => this.rng.next() });
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.answerEv = sim.q.on((id) => this.answer(sim.pool.jobs[id]));
    this.updateEv = sim.q.on((u) => this.update(u));
    this.applyEv = sim.q.on((arg) => this.apply(Math.floor(arg / TIER_SPAN), arg % TIER_SPAN));
    this.releaseEv = sim.q.on((arg) => {
      const tier = this.tiers[arg % TIER_SPAN];
      if (Math.floor(arg / TIER_SPAN) === tier.epoch) this.release(tier);
    });
    this.announceEv = sim.q.on((i) => this.announce(this.tiers[i]));
    this.linkEv = sim.q.on((arg) => this.linkDone(Math.floor(arg / TIER_SPAN), arg % TIER_SPAN));
    this.sizeDraws = this.cfg.routes.map(
      (r) => new KeyedDraws(hashString(`${sim.seed}/${this.name}/${r.name}`)),
    );
  }

  override start(): void {
    this.push();
    this.cfg.updates.forEach((u, i) => this.sim.q.at(u.atMs, this.updateEv, i));
  }

  /**
   * Users go to the PoP of their region (or the nearest one), unless the
   * steering knows it is down: then to the nearest it believes up.
   */
  override pick(job: Job): number {
    const order = this.cfg.popOrder[job.region];
    for (let k = 0; k < order.length; k++) if (this.pops[order[k]].announced) return order[k];
    return order[0];
  }

  override instances(): number {
    return this.tiers.length;
  }

  /** The zone of the PoP the users of a region reach while it is up. */
  homeZone(userRegion: number): number {
    return this.cfg.pops[this.cfg.popOrder[userRegion][0]].zone;
  }

  /** Whether a user sent here now could be served: some PoP is up. */
  serving(): boolean {
    return this.pops.some((t) => t.alive);
  }

  // ---------- objects ----------

  private objectKey(route: number, key: number, version: number): number {
    return (route * VERSION_SPAN + (version % VERSION_SPAN)) * KEY_SPAN + (key % KEY_SPAN);
  }

  /** The key a request's copy is stored under: its object, and with a Vary, its values of those headers. */
  private copyKey(rc: CdnRoute, job: Job): number {
    return rc.variants > 1 ? job.key * rc.variants + rc.varyOf[job.headers] : job.key;
  }

  /** The object of a stored copy's key. */
  private keyOfCopy(route: number, sk: number): number {
    return Math.floor((sk % KEY_SPAN) / this.cfg.routes[route].variants);
  }

  /** The content the origin gives this request: its variant, and for personal content, its user. */
  private tagOf(rc: CdnRoute, job: Job): number {
    return rc.contentOf[job.headers] + CONTENT_SPAN * (rc.perUser ? job.user + 1 : 0);
  }

  /** The size of an object: drawn from its route's distribution, the same every time it is asked. */
  private sizeOf(route: number, key: number): number {
    return Math.max(1, Math.round(this.cfg.routes[route].size.sample(this.sizeDraws[route].at(key))));
  }

  /** The origin's version of an object: how many of the updates that have happened covered it. */
  private versionOf(route: number, key: number): number {
    let v = 0;
    for (let i = 0; i < this.updatesFired; i++) if (covers(this.cfg.updates[i], route, key)) v++;
    return v;
  }

  // ---------- requests ----------

  accept(job: Job): void {
    const fromPop = job.caller === this.index;
    const tier = this.tiers[job.instance];
    if (!tier.alive) {
      tier.refused++;
      job.outcome = INSTANCE_DOWN;
      return this.deliver(job);
    }
    tier.requests++;
    tier.windowRequests++;
    if (!fromPop) {
      this.requests++;
      this.windowRequests++;
      this.routeStats[job.route].requests++;
      const region = this.regions[job.region];
      region.requests++;
      const home = this.cfg.popOrder[job.region][0];
      if (job.instance !== home) {
        this.pops[home].failedOver++;
        tier.takenOver++;
        region.failedOver++;
      }
    }
    if (this.bounded) {
      if (tier.busy >= this.cfg.workers) {
        if (tier.waiting.length < this.cfg.queue) {
          tier.waiting.push(job.id);
          return;
        }
        tier.rejected++;
        job.outcome = QUEUE_FULL;
        return this.deliver(job);
      }
      this.take(tier);
    }
    this.serve(tier, job);
  }

  /** A worker of the tier is taken (bounded workers only). */
  private take(tier: Tier): void {
    tier.busy++;
    tier.busyTW.change(1, this.sim.now);
  }

  /** The worker a request held for `ms` is free again then (bounded workers only). */
  private hold(tier: Tier, ms: number): void {
    if (!this.bounded) return;
    if (ms > 0) this.sim.q.schedule(ms, this.releaseEv, tier.epoch * TIER_SPAN + tier.instance);
    else this.release(tier);
  }

  /** A worker is free: the head of the queue takes it (in a loop, so that the stack stays flat). */
  private release(tier: Tier): void {
    tier.busy--;
    tier.busyTW.change(-1, this.sim.now);
    if (tier.draining) return;
    tier.draining = true;
    while (tier.alive && tier.busy < this.cfg.workers && tier.waiting.length > 0) {
      this.take(tier);
      this.serve(tier, this.sim.pool.jobs[tier.waiting.shift()]);
    }
    tier.draining = false;
  }

  /** Serves a request that holds a worker (or needs none): from the cache, or upstream. */
  private serve(tier: Tier, job: Job): void {
    const sim = this.sim;
    const now = sim.now;
    const fromPop = tier === this.shield;
    const rc = this.cfg.routes[job.route];
    if (!rc.store) {
      tier.uncacheable++;
      return this.hold(tier, this.fetch(tier, job, -1, 0, -1, false));
    }
    // a versioned URL names its version: the PoP asks the shield for the one it was asked for
    const version =
      rc.onUpdate === "versioned" ? (fromPop ? job.version : this.versionOf(job.route, job.key)) : 0;
    const sk = this.objectKey(job.route, this.copyKey(rc, job), version);
    let held = -1;
    let size = 0;
    let freshUntil = 0;
    let tag = 0;
    const p = tier.pinned.get(this.objectKey(job.route, job.key, 0));
    if (p && (rc.onUpdate !== "versioned" || p.version === version)) {
      held = p.version;
      size = p.size;
      freshUntil = Number.POSITIVE_INFINITY;
    } else {
      const e = tier.store.get(sk, now);
      if (e) {
        held = e.version;
        size = e.size;
        freshUntil = e.expiresAt - keepMs(rc);
        tag = e.tag;
      }
    }
    if (held >= 0) {
      if (rc.revalidate) {
        tier.revalidations++;
        return this.miss(tier, job, sk, version, held);
      }
      // kept only for stale-if-error: revalidated like any stale copy
      if (now >= freshUntil + rc.swrMs) return this.miss(tier, job, sk, version, held);
      tier.hits++;
      tier.windowHits++;
      if (rc.onUpdate !== "versioned" && held < this.versionOf(job.route, job.key)) {
        tier.staleHits++;
        if (!fromPop) {
          this.routeStats[job.route].staleHits++;
          this.windowStale++;
        }
      }
      if (now >= freshUntil) {
        // stale-while-revalidate: serve the copy, refresh it in the background
        tier.swrHits++;
        if (!tier.inflight.has(sk)) this.fetch(tier, job, sk, version, -1, true, true);
      }
      if (!fromPop) {
        this.hits++;
        this.windowHits++;
        this.routeStats[job.route].hits++;
        this.regions[job.region].hits++;
      }
      job.outcome = OK;
      job.hit = true;
      job.size = size;
      job.version = held;
      job.basis = freshUntil;
      job.aux = tag;
      const t = this.cfg.edgeTime.sample(this.rng) + this.slowMs;
      if (t > 0) {
        job.state = RUNNING;
        sim.q.schedule(t, this.answerEv, job.id);
      } else this.answer(job);
      return this.hold(tier, t);
    }
    this.miss(tier, job, sk, version, -1);
  }

  /** A miss (or a revalidation) joins the fetch already in flight for the object, or starts one. */
  private miss(tier: Tier, job: Job, sk: number, version: number, held: number): void {
    const f = this.cfg.collapse ? tier.inflight.get(sk) : undefined;
    if (f) {
      tier.collapsed++;
      f.waiters.push(job.id);
      return this.hold(tier, 0);
    }
    this.hold(tier, this.fetch(tier, job, sk, version, held, true));
  }

  /**
   * Sends one request upstream for `job`'s object: to the shield from a PoP,
   * else to the origin. Uncacheable requests go straight to the origin, and
   * so does everything while the steering believes the shield down. A
   * background refresh answers nobody. Returns the time the tier spent
   * before it forwarded the request.
   */
  private fetch(
    tier: Tier,
    job: Job,
    sk: number,
    version: number,
    held: number,
    cacheable: boolean,
    refresh = false,
  ): number {
    const sim = this.sim;
    const f: Fetch = {
      tier,
      sk,
      route: job.route,
      key: job.key,
      version,
      held,
      waiters: refresh ? [] : [job.id],
      purged: false,
      cacheable,
      dead: false,
      tag: this.tagOf(this.cfg.routes[job.route], job),
    };
    // the call's parent is a handle standing for the fetch: a callee that dies
    // answers through a copy of the call, which keeps the parent but not the id
    const handle = sim.pool.alloc();
    const c = sim.child(job, this, tier.instance);
    c.parent = handle.id;
    c.op = OP_ROUTE;
    this.fetches.set(handle.id, f);
    if (cacheable) tier.inflight.set(sk, f);
    tier.fetches++;
    tier.windowFetches++;
    const edge = this.cfg.edgeTime.sample(this.rng) + this.slowMs;
    if (cacheable && this.shield && tier !== this.shield && this.shield.announced) {
      c.version = version;
      sim.send(c, this, this.shield.instance, edge);
      return edge;
    }
    if (this.cfg.routes[job.route].onUpdate !== "versioned") f.version = this.versionOf(job.route, job.key);
    this.originFetches++;
    this.windowOrigin++;
    this.routeStats[job.route].originFetches++;
    sim.send(c, this.cfg.origin, -1, edge);
    return edge;
  }

  /**
   * An upstream answer. A body from the origin first crosses the origin's
   * link (a 304, or an answer from the shield, has none to cross here).
   */
  override onReply(c: Job): void {
    const f = this.fetches.get(c.parent)!;
    if (!f.dead && this.originLink && c.outcome === OK && c.callee !== this.index) {
      const size = this.sizeOf(f.route, f.key);
      if (!(f.held >= 0 && f.held === f.version)) return this.transfer(this.tiers.length, c.id, size);
    }
    this.land(c);
  }

  /** An upstream answer has arrived: store it (if it may be), then answer everyone waiting for it. */
  private land(c: Job): void {
    const sim = this.sim;
    const now = sim.now;
    const f = this.fetches.get(c.parent)!;
    this.fetches.delete(c.parent);
    sim.release(sim.pool.jobs[c.parent]);
    if (f.dead) return sim.release(c);
    const tier = f.tier;
    if (tier.inflight.get(f.sk) === f) tier.inflight.delete(f.sk);
    const rc = this.cfg.routes[f.route];
    const ok = c.outcome === OK;
    let size = 0;
    let version = f.version;
    let freshUntil = now;
    if (ok) {
      if (c.callee === this.index) {
        // from the shield, with its copy's freshness (the Age it would report)
        size = c.size;
        version = c.version;
        freshUntil = c.basis;
      } else {
        size = this.sizeOf(f.route, f.key);
        freshUntil = now + rc.ttlMs;
        if (f.held >= 0 && f.held === version) tier.notModified++;
        else this.bytesFromOrigin += size;
      }
      if (f.cacheable && !f.purged) {
        const life = freshUntil + keepMs(rc) - now;
        const value = { version, size, tag: f.tag };
        if (life === Number.POSITIVE_INFINITY) tier.store.set(f.sk, value, now, 0);
        else if (life > 0) tier.store.set(f.sk, value, now, life);
      }
    }
    // stale-if-error: a failed fetch is answered from a stale copy still within its window
    const e = ok || rc.sieMs === 0 || !f.cacheable ? undefined : tier.store.peek(f.sk, now);
    const stale =
      e && now < e.expiresAt - keepMs(rc) + rc.sieMs
        ? { size: e.size, version: e.version, freshUntil: e.expiresAt - keepMs(rc), tag: e.tag }
        : null;
    for (const id of f.waiters) {
      const w = sim.pool.jobs[id];
      w.outcome = c.outcome;
      w.hit = false;
      if (ok) {
        w.size = size;
        w.version = version;
        w.basis = freshUntil;
        w.aux = f.tag;
      } else if (stale) {
        tier.staleIfError++;
        w.outcome = OK;
        w.degraded = true;
        w.size = stale.size;
        w.version = stale.version;
        w.basis = stale.freshUntil;
        w.aux = stale.tag;
      }
      this.answer(w);
    }
    sim.release(c);
  }

  /**
   * A tier's answer is ready: its body crosses the tier's link, if it has
   * one, then it is delivered. A hit whose tier died meanwhile was answered
   * then (through a copy): only the original is left to free.
   */
  private answer(job: Job): void {
    if (job.cancelled) return this.sim.release(job);
    job.state = 0;
    const link = this.links[job.instance];
    if (link && job.outcome === OK && job.size > 0 && !notModified(job)) {
      job.state = RUNNING;
      return this.transfer(job.instance, job.id, job.size);
    }
    this.deliver(job);
  }

  /** Puts a transfer on link `l` (a tier's, or the origin's) and schedules the next completion. */
  private transfer(l: number, id: number, bytes: number): void {
    const link = this.links[l]!;
    link.add(id, bytes, this.sim.now);
    this.scheduleLink(l);
  }

  private scheduleLink(l: number): void {
    const link = this.links[l]!;
    const gen = ++this.linkGen[l];
    const at = link.nextAt(this.sim.now);
    if (at < Number.POSITIVE_INFINITY) this.sim.q.at(at, this.linkEv, gen * TIER_SPAN + l);
  }

  /** Transfers on link `l` completed (unless the link changed since the event was set). */
  private linkDone(gen: number, l: number): void {
    if (gen !== this.linkGen[l]) return;
    const done = this.links[l]!.complete(this.sim.now);
    this.scheduleLink(l);
    for (const id of done) {
      const job = this.sim.pool.jobs[id];
      if (l === this.tiers.length) this.land(job);
      else {
        job.state = 0;
        this.deliver(job);
      }
    }
  }

  /**
   * Sends an answer: to a user, judged for whose content it is, or (at the
   * shield) to the PoP that asked, whose fetch learns whose content it got.
   */
  private deliver(job: Job): void {
    const sim = this.sim;
    if (job.caller === this.index) {
      const pf = this.fetches.get(job.parent);
      if (pf && job.outcome === OK) pf.tag = job.aux;
      sim.reply(job);
      return;
    }
    const rc = this.cfg.routes[job.route];
    if (rc.judged && job.outcome === OK) this.judge(rc, job);
    const ok = job.outcome === OK;
    // a browser's revalidation of an unchanged object is a 304: no body
    const unchanged = notModified(job);
    const size = unchanged ? 0 : job.size;
    const hit = job.hit;
    const region = job.region;
    const start = job.start;
    const d = sim.replyTimed(job);
    if (!ok) return;
    if (unchanged) this.usersNotModified++;
    this.bytesServed += size;
    if (hit) this.bytesFromEdge += size;
    const rs = this.regions[region];
    const latency = sim.now + d - start;
    rs.latency.record(latency);
    rs.windowLatency += latency;
    rs.windowOk++;
  }

  /** Counts an answer carrying another user's data, or another variant than the request's. */
  private judge(rc: CdnRoute, job: Job): void {
    const got = job.aux;
    const rs = this.routeStats[job.route];
    if (rc.perUser && Math.floor(got / CONTENT_SPAN) !== job.user + 1) rs.leaked++;
    if (got % CONTENT_SPAN !== rc.contentOf[job.headers]) rs.wrongVariant++;
  }

  // ---------- failures ----------

  /**
   * A PoP (or the shield) dies: everything it holds is answered at once with
   * instance-down (queued requests, hits about to be answered, transfers on
   * its link, requests waiting for a fetch), and fetches in flight will store
   * nothing. Its cache is on disk: it keeps what it held. Users keep coming
   * until the steering notices, `failoverMs` later.
   */
  override kill(instance: number): void {
    const tier = this.tiers[instance];
    if (!tier.alive) return;
    const sim = this.sim;
    const now = sim.now;
    tier.alive = false;
    tier.downSince = now;
    tier.epoch++;
    const down = (job: Job) => {
      job.state = 0;
      job.outcome = INSTANCE_DOWN;
      this.deliver(job);
    };
    if (tier.busy > 0) tier.busyTW.change(-tier.busy, now);
    tier.busy = 0;
    for (const id of tier.waiting.drain()) down(sim.pool.jobs[id]);
    if (tier.link) {
      const ids = tier.link.clear(now);
      this.linkGen[instance]++;
      for (const id of ids) down(sim.pool.jobs[id]);
    }
    // hits waiting for their answer event: answered through a copy, the original freed by the event
    for (const job of sim.pool.jobs) {
      if (job.state !== RUNNING || job.callee !== this.index || job.instance !== instance || job.cancelled)
        continue;
      const copy = sim.standIn(job);
      job.cancelled = true;
      job.parent = -1;
      job.state = 0;
      down(copy);
    }
    for (const f of this.fetches.values()) {
      if (f.tier !== tier) continue;
      f.dead = true;
      const waiters = f.waiters;
      f.waiters = [];
      for (const id of waiters) down(sim.pool.jobs[id]);
    }
    tier.inflight.clear();
    this.steer(tier);
  }

  override restart(instance: number): void {
    const tier = this.tiers[instance];
    if (tier.alive) return;
    tier.alive = true;
    tier.downMs += this.sim.now - tier.downSince;
    tier.downSince = -1;
    this.steer(tier);
  }

  /** The steering learns of a change `failoverMs` later. */
  private steer(tier: Tier): void {
    if (this.cfg.failoverMs > 0) this.sim.q.schedule(this.cfg.failoverMs, this.announceEv, tier.instance);
    else this.announce(tier);
  }

  private announce(tier: Tier): void {
    tier.announced = tier.alive;
  }

  /** Extra time every PoP (and the shield) spends on each request. */
  override slow(ms: number): void {
    this.slowMs = ms;
  }

  // ---------- push ----------

  /**
   * Pushes each route's most popular keys to every tier before traffic
   * starts, as many as fit in the capacity, in route order. Pushed objects
   * are the operator's storage, not cache: pulled objects share what is left.
   */
  private push(): void {
    const room = this.cfg.capacityBytes;
    let used = 0;
    this.pushedKeys = this.cfg.routes.map((rc, r) => {
      let n = 0;
      while (n < rc.push && used + this.sizeOf(r, n) <= room) used += this.sizeOf(r, n++);
      return n;
    });
    if (used === 0) return;
    for (const tier of this.tiers) {
      tier.store = this.newStore(room - used);
      this.pushedKeys.forEach((n, r) => {
        for (let k = 0; k < n; k++) this.pushOne(tier, r, k);
      });
    }
  }

  /** Stores the origin's current version of a pushed object, replacing the one held. */
  private pushOne(tier: Tier, route: number, key: number): void {
    const id = this.objectKey(route, key, 0);
    const size = this.sizeOf(route, key);
    if (!tier.pinned.has(id)) tier.pinnedBytes += size;
    tier.pinned.set(id, { version: this.versionOf(route, key), size });
    tier.pushed++;
    this.bytesPushed += size;
  }

  // ---------- updates ----------

  /**
   * Content changes at the origin. Each tier learns of it after its own
   * propagation delay; the shield is purged before the PoPs behind it, so
   * that no PoP refills from a shield copy older than its own purge.
   */
  private update(u: number): void {
    this.updatesFired = u + 1;
    const shieldDelay = this.shield ? this.cfg.purgeDelay.sample(this.rng) : 0;
    for (const tier of this.pops) {
      const d = Math.max(this.cfg.purgeDelay.sample(this.rng), shieldDelay);
      this.sim.q.schedule(d, this.applyEv, u * TIER_SPAN + tier.instance);
    }
    if (this.shield) this.sim.q.schedule(shieldDelay, this.applyEv, u * TIER_SPAN + this.shield.instance);
  }

  /** One tier applies an update: drops purged copies, and pushes the new content of pushed keys. */
  private apply(u: number, instance: number): void {
    const tier = this.tiers[instance];
    const upd = this.cfg.updates[u];
    // the last tier to apply it completes the propagation
    if (++this.appliedBy[u] === this.tiers.length) this.propagatedAt[u] = this.sim.now;
    this.cfg.routes.forEach((rc, r) => {
      if (!rc.store || (upd.route >= 0 && upd.route !== r) || rc.onUpdate === "none") return;
      if (rc.onUpdate === "purge") {
        this.purge(tier, upd, r);
        for (const f of this.fetches.values())
          if (f.tier === tier && f.route === r && covers(upd, r, f.key)) f.purged = true;
      }
      const pushed = this.pushedKeys[r];
      for (const [lo, hi] of upd.ranges ?? [[0, pushed - 1]])
        for (let k = lo; k <= Math.min(hi, pushed - 1); k++) this.pushOne(tier, r, k);
    });
  }

  /** Drops the tier's copies of the route's keys the update covers. */
  private purge(tier: Tier, upd: CdnUpdate, route: number): void {
    const store = tier.store;
    const span = upd.ranges?.reduce((n, [lo, hi]) => n + hi - lo + 1, 0) ?? Number.POSITIVE_INFINITY;
    if (span <= store.size && this.cfg.routes[route].variants === 1) {
      for (const [lo, hi] of upd.ranges!)
        for (let k = lo; k <= hi; k++) if (store.delete(this.objectKey(route, k, 0))) tier.purged++;
      return;
    }
    const doomed: number[] = [];
    for (const sk of store.keys()) {
      const r = Math.floor(sk / KEY_SPAN / VERSION_SPAN);
      if (r === route && covers(upd, route, this.keyOfCopy(route, sk))) doomed.push(sk);
    }
    for (const sk of doomed) store.delete(sk);
    tier.purged += doomed.length;
  }

  // ---------- report ----------

  override tick(_second: number): void {
    this.hitSeries.push(ratio3(this.windowHits, this.windowRequests));
    this.originSeries.push(this.windowOrigin);
    this.staleSeries.push(this.windowStale);
    this.windowHits = this.windowRequests = this.windowOrigin = this.windowStale = 0;
    for (const t of this.tiers) {
      t.hitSeries.push(ratio3(t.windowHits, t.windowRequests));
      t.fetchSeries.push(t.windowFetches);
      t.windowHits = t.windowRequests = t.windowFetches = 0;
    }
    for (const r of this.regions) {
      r.latencySeries.push(r.windowOk > 0 ? Math.round((r.windowLatency / r.windowOk) * 1000) / 1000 : 0);
      r.windowLatency = r.windowOk = 0;
    }
  }

  private tierReport(t: Tier, now: number) {
    const st = t.store.stats;
    return {
      region: t.site.region,
      zone: this.sim.net.zoneNames[t.site.zone],
      requests: t.requests,
      hits: t.hits,
      hitRatio: t.requests > 0 ? t.hits / t.requests : 0,
      fetches: t.fetches,
      collapsed: t.collapsed,
      staleHits: t.staleHits,
      swrHits: t.swrHits,
      uncacheable: t.uncacheable,
      revalidations: t.revalidations,
      notModified: t.notModified,
      pushed: t.pushed,
      purged: t.purged,
      evictions: st.evictions,
      expirations: st.expirations,
      entries: t.store.size + t.pinned.size,
      bytes: t.store.bytes + t.pinnedBytes,
      alive: t.alive,
      downMs: t.downMs + (t.downSince >= 0 ? now - t.downSince : 0),
      refused: t.refused,
      failedOver: t.failedOver,
      takenOver: t.takenOver,
      staleIfError: t.staleIfError,
      rejected: t.rejected,
      utilization: this.bounded && now > 0 ? t.busyTW.integral(now) / (now * this.cfg.workers) : 0,
      linkUtilization: t.link && now > 0 ? t.link.busyTime(now) / now : 0,
    };
  }

  report(now: number): ComponentReport {
    const sum = (f: (t: Tier) => number) => this.pops.reduce((s, t) => s + f(t), 0);
    const series: Record<string, number[]> = {
      hitRatio: this.hitSeries,
      originRequests: this.originSeries,
      staleHits: this.staleSeries,
    };
    for (const t of this.pops) {
      series[`hitRatio:${t.site.region}`] = t.hitSeries;
      series[`fetches:${t.site.region}`] = t.fetchSeries;
    }
    this.regions.forEach((r, i) => {
      if (r.requests > 0) series[`latencyMs:${this.cfg.regionNames[i]}`] = r.latencySeries;
    });
    const pops = this.pops.map((t) => this.tierReport(t, now));
    return {
      kind: this.kind,
      utilization: this.bounded ? pops.reduce((s, p) => s + p.utilization, 0) / pops.length : 0,
      origin: this.cfg.origin.name,
      requests: this.requests,
      hits: this.hits,
      hitRatio: this.requests > 0 ? this.hits / this.requests : 0,
      originFetches: this.originFetches,
      originOffload: this.requests > 0 ? 1 - this.originFetches / this.requests : 0,
      collapsed: sum((t) => t.collapsed),
      staleHits: sum((t) => t.staleHits),
      swrHits: sum((t) => t.swrHits),
      staleIfError: sum((t) => t.staleIfError),
      leaked: this.routeStats.reduce((s, r) => s + r.leaked, 0),
      wrongVariant: this.routeStats.reduce((s, r) => s + r.wrongVariant, 0),
      refused: sum((t) => t.refused),
      failedOver: sum((t) => t.failedOver),
      bytes: {
        served: this.bytesServed,
        fromEdge: this.bytesFromEdge,
        fromOrigin: this.bytesFromOrigin,
        pushed: this.bytesPushed,
      },
      bandwidthSaved: this.bytesServed > 0 ? 1 - this.bytesFromOrigin / this.bytesServed : 0,
      notModifiedToBrowsers: this.usersNotModified,
      originLinkUtilization: this.originLink && now > 0 ? this.originLink.busyTime(now) / now : 0,
      pops: Object.fromEntries(this.pops.map((t, i) => [t.site.region, pops[i]])),
      shield: this.shield ? this.tierReport(this.shield, now) : null,
      routes: Object.fromEntries(
        this.routeStats
          .map((s, r) => [this.cfg.routes[r].name, s] as const)
          .filter(([, s]) => s.requests > 0)
          .map(([name, s]) => [
            name,
            {
              requests: s.requests,
              hits: s.hits,
              hitRatio: s.requests > 0 ? s.hits / s.requests : 0,
              originFetches: s.originFetches,
              staleHits: s.staleHits,
              leaked: s.leaked,
              wrongVariant: s.wrongVariant,
            },
          ]),
      ),
      byRegion: Object.fromEntries(
        this.regions
          .map((s, i) => [i, s] as const)
          .filter(([, s]) => s.requests > 0)
          .map(([i, s]) => [
            this.cfg.regionNames[i],
            {
              pop: this.cfg.pops[this.cfg.popOrder[i][0]].region,
              requests: s.requests,
              hits: s.hits,
              failedOver: s.failedOver,
              hitRatio: s.hits / s.requests,
              latencyMs: s.latency.summary(),
            },
          ]),
      ),
      updates: this.cfg.updates.map((u, i) => ({
        atMs: u.atMs,
        route: u.route >= 0 ? this.cfg.routes[u.route].name : "*",
        propagatedAtMs: this.propagatedAt[i] >= 0 ? this.propagatedAt[i] : null,
      })),
      series,
    };
  }
}

/** How long a copy is kept past its freshness: for stale-while-revalidate and for stale-if-error. */
function keepMs(rc: CdnRoute): number {
  return Math.max(rc.swrMs, rc.sieMs);
}

/**
 * Whether an answer is a 304: the request carried If-None-Match (a browser's
 * copy's version, in `expect`) and the object has not changed.
 */
function notModified(job: Job): boolean {
  return job.outcome === OK && job.expect >= 0 && job.version === job.expect;
}

function covers(u: CdnUpdate, route: number, key: number): boolean {
  if (u.route >= 0 && u.route !== route) return false;
  if (u.ranges === null) return true;
  for (const [lo, hi] of u.ranges) if (key >= lo && key <= hi) return true;
  return false;
}

function ratio3(n: number, d: number): number {
  return d > 0 ? Math.round((n / d) * 1000) / 1000 : 0;
}
