// Each user's browser cache in front of a CDN (CA-01's first layer, CDN-14):
// a real byte-bounded store per user. A response is kept for its max-age (a
// browser ignores s-maxage, and may keep private responses), less the Age it
// already had at the edge; while fresh, the browser answers at once and the
// request never leaves the user's machine. A stale copy (or any copy of a
// no-cache response) is revalidated: the request carries If-None-Match with
// the copy's version (its ETag), and an unchanged object comes back as a 304
// with no body. Like a DNS stub resolver, it runs inside the client: reaching
// it costs nothing, and its requests to the CDN take the user's internet path.
import { CacheStore } from "../mechanisms/cache-store.js";
import type { Job } from "./job.js";
import { OK } from "./outcomes.js";
import { Component, type ComponentReport, type Sim } from "./runtime.js";

export interface BrowserRoute {
  /** responses may be kept (not no-store) */
  store: boolean;
  /** every use is revalidated (no-cache) */
  revalidate: boolean;
  /** freshness lifetime in the browser: max-age (ms); 0 without one */
  ttlMs: number;
  /** the edge's freshness lifetime (s-maxage, else max-age), from which a copy's Age is known */
  edgeTtlMs: number;
}

export interface BrowserCacheConfig {
  cdn: Component;
  /** by route index */
  routes: BrowserRoute[];
  /** bytes each user's browser keeps */
  capacityBytes: number;
}

const KEY_SPAN = 4294967296;
/** stores keep a copy's version and size; its freshness limit rides in the entry's tag */
const HEADER_SPAN = 1024;

export class BrowserCache extends Component {
  readonly kind = "browser-cache";
  override readonly isClient = true;
  override readonly inClient = true;
  private readonly stores = new Map<number, CacheStore>();
  private localEv = -1;
  private requests = 0;
  private hits = 0;
  private revalidations = 0;
  private notModified = 0;
  private bytesSaved = 0;

  constructor(
    name: string,
    private readonly cfg: BrowserCacheConfig,
  ) {
    super(name);
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.localEv = sim.q.on((id) => this.sim.reply(sim.pool.jobs[id]));
  }

  private storeOf(user: number): CacheStore {
    let s = this.stores.get(user);
    if (!s) {
      s = new CacheStore({ maxBytes: this.cfg.capacityBytes, policy: "lru" });
      this.stores.set(user, s);
    }
    return s;
  }

  /** A user's copy of a route's object, per header set (a user asking in two languages keeps both). */
  private keyOf(job: Job): number {
    return (job.route * HEADER_SPAN + job.headers) * KEY_SPAN + (job.key % KEY_SPAN);
  }

  accept(job: Job): void {
    const now = this.sim.now;
    const rc = this.cfg.routes[job.route];
    this.requests++;
    const e = rc.store ? this.storeOf(job.user).get(this.keyOf(job), now) : undefined;
    if (e && !rc.revalidate && now < e.tag) {
      // fresh: answered from the user's own disk, in the same instant
      this.hits++;
      this.bytesSaved += e.size;
      job.outcome = OK;
      job.hit = true;
      job.size = e.size;
      job.version = e.version;
      this.sim.q.schedule(0, this.localEv, job.id);
      return;
    }
    const c = this.sim.child(job, this, -1);
    c.op = job.op;
    // If-None-Match: the version of the copy held, if any
    if (e) {
      this.revalidations++;
      c.expect = e.version;
    }
    this.sim.send(c, this.cfg.cdn, -1);
  }

  /** The CDN answered: a 304 refreshes the copy, a body replaces it. */
  override onReply(c: Job): void {
    const sim = this.sim;
    const now = sim.now;
    const job = sim.pool.jobs[c.parent];
    const rc = this.cfg.routes[job.route];
    if (c.outcome === OK && rc.store) {
      const store = this.storeOf(job.user);
      const k = this.keyOf(job);
      // the Age the edge's copy had: time since it left the origin
      const age =
        Number.isFinite(c.basis) && Number.isFinite(rc.edgeTtlMs) ? now - (c.basis - rc.edgeTtlMs) : 0;
      const freshUntil = now + rc.ttlMs - Math.max(0, age);
      let size = c.size;
      if (c.expect >= 0 && c.version === c.expect) {
        this.notModified++;
        const held = store.peek(k, now);
        if (held) size = held.size;
        this.bytesSaved += size;
      }
      store.set(k, { version: c.version, size, tag: freshUntil }, now, 0);
    }
    sim.relay(c);
  }

  report(): ComponentReport {
    let entries = 0;
    let bytes = 0;
    for (const s of this.stores.values()) {
      entries += s.size;
      bytes += s.bytes;
    }
    return {
      kind: this.kind,
      utilization: 0,
      cdn: this.cfg.cdn.name,
      requests: this.requests,
      hits: this.hits,
      hitRatio: this.requests > 0 ? this.hits / this.requests : 0,
      revalidations: this.revalidations,
      notModified: this.notModified,
      bytesSaved: this.bytesSaved,
      browsers: this.stores.size,
      entries,
      bytes,
    };
  }
}
