// An application service: instances with worker pools and bounded queues that
// run each request's route as a sequence of steps. A worker is held for the
// whole route, downstream calls included, as in a thread-per-request server.
import type { Sampler } from "../kernel/distributions.js";
import type { Isolation } from "./database.js";
import { subKey } from "../mechanisms/partitioning.js";
import { CacheClient, type CachedStep, writesThrough } from "./cache-client.js";
import { type PublishRouting, pickShape } from "./exchange.js";
import {
  type Job,
  OP_ABORT,
  OP_COMMIT,
  OP_PREPARE,
  OP_PUBLISH,
  OP_PUT,
  OP_READ,
  OP_READ_LOCK,
  OP_READ_SHARED,
  OP_ROUTE,
  OP_WRITE,
} from "./job.js";
import { type LimitSet, keyOf } from "./limit-set.js";
import type { SlidingLog } from "../mechanisms/rate-limiters.js";
import { CONFLICT, ERROR, OK, RATE_LIMITED, SOLD_OUT, TIMEOUT } from "./outcomes.js";
import type { Component, ComponentReport, Sim } from "./runtime.js";
import { DualWriteLedger } from "../mechanisms/dual-write-ledger.js";
import { SEEN_NEW, type SeenFilter, urlOf } from "../mechanisms/seen-filter.js";
import { COUNTER_KEY, MINT_FAIL, MINT_FETCH, type MintStep } from "./mint-step.js";
import { FanOut, fanOutKey } from "../mechanisms/fan-out.js";
import { LocalCache, type LocalCacheConfig } from "./local-cache.js";
import type { Sessions } from "./sessions.js";
import { Station, type StationConfig } from "./station.js";
import type { Realtime } from "./realtime.js";
import { type RequestStep, RpcClient } from "./rpc-client.js";
import { SagaRunner, type SagaStep, sagaReport } from "./saga.js";
import type { ReserveStep } from "./reserve-step.js";
import { DEFER, type PreferencesStep, SUPPRESS } from "./preferences-step.js";
import type { Store } from "./store.js";

/** A topic or a queue: a publish call carries a message id it hands out. */
export interface MessageSink extends Component {
  newMessageId(): number;
}

/** What a limit step counted, for the report. */
export interface LimitStepStats {
  name: string;
  /** the route whose steps hold it ("*": every route without its own, or a consumer's messages) */
  route: string;
  key: string;
  algorithm: string;
  onLimit: "skip" | "fail";
  admitted: number;
  limited: number;
  /**
   * window algorithms: the most requests one key brought to the step within
   * one window, refused ones included (what the callers sent, e.g. a
   * crawler's requests to one site); null for the bucket algorithms
   */
  peakPerWindow: { windowMs: number; key: number; units: number; atMs: number } | null;
}

/** A read or write step over many keys at once, and what it did (for the report). */
export interface FanOutSpec {
  /** keys per request, drawn per request and rounded */
  count: Sampler;
  /** the key space [0, keys) */
  keys: number;
  /** most calls in flight per request */
  concurrency: number;
  /** requests whose key is below hotKeys fan out to hotCount keys */
  hotKeys: number;
  hotCount: number;
  stats: FanOutStats;
}

export interface FanOutStats {
  /** the route whose steps hold it ("*": every route without its own, or a consumer's messages) */
  route: string;
  /** its position in the route's steps (from 0) */
  step: number;
  op: "read" | "write";
  store: string;
  /** requests that ran the step, calls they sent, the most keys one request fanned out to */
  requests: number;
  calls: number;
  maxKeys: number;
  /** of those, the requests of hot keys and the calls they sent */
  hotRequests: number;
  hotCalls: number;
}

export type Step =
  | { type: "compute"; time: Sampler }
  | {
      /**
       * a URL-seen test: the request's URL (key and page) against a Bloom
       * filter of the URLs admitted, shared by all instances and kept through
       * restarts; a URL it holds ends the request here, ok, the rest skipped
       */
      type: "seen";
      filter: SeenFilter;
      name: string;
      route: string;
    }
  | SagaStep
  | ReserveStep
  | MintStep
  | PreferencesStep
  | RequestStep
  | {
      /**
       * a rate limit on one of the request's keys (for a consumer, the
       * message's key). Its counters are the component's, shared by all its
       * instances (as one Redis would hold them; the round trip to it is not
       * modelled) and kept through an instance's restart. Over the limit the
       * request ends here: ok with its remaining steps skipped, or with
       * rate-limited (fail).
       */
      type: "limit";
      /** one limit, checked and counted atomically */
      set: LimitSet;
      fail: boolean;
      stats: LimitStepStats;
      /** window algorithms: counts every request per key over the window, for peakPerWindow */
      meter: SlidingLog | null;
    }
  | { type: "call"; target: Component; route: number }
  | {
      type: "read";
      store: Store;
      cache: Component | null;
      policy: number;
      /** read every one of `salt` sub-keys of the key and wait for all (absent: a plain read) */
      salt?: number;
      /** only keys below this (the most popular, numbered from 0) are salted */
      saltKeys?: number;
      /** ask every shard of the store and wait for all (a query by a secondary index) */
      scatter?: boolean;
      /**
       * readYourWrites: version-check: a store read older than the user's own
       * last write of the key is retried after intervalMs, up to `retries`
       * times, then sent with policy `primary`
       */
      versionCheck?: { retries: number; intervalMs: number; primary: number };
      /** ask the instance's in-process cache first (the service's localCache) */
      l1?: boolean;
      /** read many keys instead of the request's (a feed read of its followees' posts) */
      fanout?: FanOutSpec;
    }
  | {
      /** an atomic write of `keys` keys (the request's and keys - 1 others) by two-phase commit */
      type: "transaction";
      store: Store;
      keys: number;
      /** the store's index of the idempotency-key policy its commits carry (absent or 0: no key) */
      idem?: number;
    }
  | {
      /** read-modify-write: read the key, write it back based on the version read */
      type: "update";
      store: Store;
      /** optimistic concurrency: the write is refused if the key changed since the read */
      occ: boolean;
      /** how many times to read again and retry after a conflict (occ, or a serialization failure) */
      retries: number;
      /** pessimistic: the read locks the row (SELECT ... FOR UPDATE) until the write */
      lock: boolean;
      /** the level it runs at; serializable: the read takes a shared lock, kept until the write commits */
      isolation: Isolation;
      /** where the read goes (a replica's copy may be stale), and its level */
      policy: number;
      /** the store's index of the idempotency-key policy its write carries (absent or 0: no key) */
      idem?: number;
    }
  | {
      /** publishes an event to a realtime gateway for the client named by the request's key or user; takes no time */
      type: "notify";
      target: Realtime;
      to: "key" | "user";
    }
  | {
      type: "write";
      store: Store;
      cache: Component | null;
      policy: number;
      salt?: number;
      saltKeys?: number;
      /** the store's index of the idempotency-key policy the write carries (absent or 0: no key) */
      idem?: number;
      /** the event ledger its commit is told to (Sim.ledgers): an outbox relay's, a dual write's, a change feed's */
      ledger?: number;
      /** write many keys instead of the request's (a post to its followers' timelines) */
      fanout?: FanOutSpec;
    }
  | {
      /** shared sessions: read the user's session from the session store (a cache or a database) */
      type: "session";
      store: Component;
      /** the store is a cache: a miss means the session is gone, and it is created again */
      cache: boolean;
      policy: number;
    }
  | {
      /** append a message keyed by the request's key to a topic, or send it to a queue */
      type: "publish";
      to: MessageSink;
      /** wait for the broker's acknowledgement (false: fire and forget) */
      wait: boolean;
      /** bytes of the message */
      size: Sampler;
      /** the dual-write ledger its append is told to (Sim.ledgers) */
      ledger?: number;
      /** to an exchange: the routing keys and headers its messages carry */
      routing?: PublishRouting;
      /** to an exchange: fail with unroutable when no binding takes the message */
      mandatory?: boolean;
    };

type ReadStep = Extract<Step, { type: "read" }>;
type FannedStep = Extract<Step, { type: "read" | "write" }> & { fanout: FanOutSpec };

/** Whether a step fans out over many keys. */
function fanned(step: Step): step is FannedStep {
  return (step.type === "read" || step.type === "write") && step.fanout !== undefined;
}

export interface ServiceConfig extends StationConfig {
  /** an in-process cache per instance (read steps opt in with l1) */
  localCache?: LocalCacheConfig;
}

/** Call-path sites a step takes: one per call it makes (a transaction's participants, a saga's stages and undos). */
function sitesOf(s: Step): number {
  return s.type === "transaction" ? s.keys : s.type === "saga" ? 2 * s.stages.length : 1;
}

/** Whether a step spreads this key over sub-keys. */
function salted(step: { salt?: number; saltKeys?: number }, key: number): boolean {
  return step.salt !== undefined && (step.saltKeys === undefined || key < step.saltKeys);
}

/** phases of a cache-aside read */
const ASK_CACHE = 0;
const ASK_STORE = 1;
/** phases of a directory lookup before a read or write of a directory-sharded store */
const LOOKING_UP = 2;
const LOOKED_UP = 3;
/** phases of a read-modify-write */
const UPDATE_READ = 4;
const UPDATE_WRITE = 5;
/** phases of a two-phase commit */
const TXN_PREPARE = 6;
const TXN_COMMIT = 7;
/** a mint step has begun (its draws are counted in job.aux) */
const MINTING = 8;

/** Counts a request a limit step sees, and keeps the most one key brought within a window. */
function offered(meter: SlidingLog, stats: LimitStepStats, key: number, now: number): void {
  meter.take(key, now, 1);
  const peak = stats.peakPerWindow!;
  if (meter.unitsInWindow > peak.units) {
    peak.units = meter.unitsInWindow;
    peak.key = key;
    peak.atMs = now;
  }
}

export class Service extends Station {
  readonly kind: string = "service";
  private computeDone = -1;
  private recheck = -1;
  private readonly plans: (Step[] | undefined)[] = [];
  private fallback: Step[] | null = null;
  /** every limit step of every route, in the order written */
  private limitSteps: LimitStepStats[] = [];
  /** every reserve step of every route (CR-08): settled when their requests end */
  private reserveSteps: ReserveStep[] = [];
  /** every preferences step of every route, in the order written */
  private prefSteps: PreferencesStep[] = [];
  /**
   * notifications held until their recipients' quiet hours end, by serial:
   * [step, recipient, since, origin (when the request behind it began)];
   * bounded by the notifications deferred within one quiet-hours length
   */
  private readonly deferred = new Map<number, [PreferencesStep, number, number, number]>();
  private deferSerial = 0;
  private releaseEv = -1;
  /** every seen step of every route, in the order written */
  private seenSteps: Extract<Step, { type: "seen" }>[] = [];
  /** every mint step of every route, in the order written */
  private mintSteps: MintStep[] = [];
  /** every fan-out step of every route, in the order written */
  private fanOutSteps: FanOutStats[] = [];
  /** the fan-outs in progress, by request job id (bounded by the requests in flight) */
  private readonly fanOuts = new Map<number, FanOut>();
  /** per route, the call-path site of each step (a transaction's participants take one each) */
  private readonly sites: (Int32Array | undefined)[] = [];
  private fallbackSites: Int32Array | null = null;
  /** per instance: directory answers cached, key -> expiry time (bounded by keys) */
  private readonly lookups: Map<number, number>[] = [];
  private readonly l1: LocalCache | null;
  /** routes that write a row and then publish its event as two operations: their ledgers, by route name */
  readonly dualWrites: { route: string; ledger: DualWriteLedger }[] = [];
  /** where users' sessions live (null: the service keeps none) */
  sessions: Sessions | null = null;
  /** what read and write steps do with their caches */
  private readonly caches = new CacheClient({
    component: this,
    stepOf: (job) => this.plan(job)[job.step] as CachedStep,
    serve: (job, _store, version, size, hit) => {
      this.readServed(job, this.plan(job)[job.step] as ReadStep, version, size, hit, false);
      job.phase = 0;
      job.step++;
      this.advance(job);
    },
    readStore: (job, store, policy) => {
      job.phase = ASK_STORE;
      this.sendRead(job, store, policy);
    },
    finish: (job, outcome) => this.finish(job, outcome),
    fellBack: (job) => this.skipStep(job),
  });
  /** the sagas this service orchestrates (saga steps) */
  private readonly sagas = new SagaRunner({
    now: () => this.sim.now,
    release: (c) => this.sim.release(c),
    sagaCall: (job, target, route, part) => {
      const c = this.sim.child(job, this, job.instance);
      c.op = OP_ROUTE;
      c.path = this.pathOf(job, part);
      if (route >= 0) c.route = route;
      this.sim.send(c, target, -1);
    },
    sagaDone: (job) => {
      job.step++;
      this.advance(job);
    },
    sagaFailed: (job, cause) => this.finish(job, cause),
  });

  /** request steps: requests over a queue waiting for their replies */
  readonly rpc = new RpcClient({
    sim: () => this.sim,
    component: this,
    sample: (s) => s.sample(this.rng),
    stepOf: (job) => this.plan(job)[job.step] as RequestStep,
    proceed: (job) => {
      job.phase = 0;
      job.step++;
      this.advance(job);
    },
    finish: (job, outcome) => this.finish(job, outcome),
  });

  constructor(name: string, config: ServiceConfig) {
    super(name, config);
    this.l1 = config.localCache
      ? new LocalCache(this.instances(), config.localCache, () => this.rng.next())
      : null;
  }

  /**
   * Sets the steps per route index; `fallback` serves routes without a plan of
   * their own. Separate from the constructor because steps name other
   * components, which may be built after this one.
   */
  define(plans: Map<number, Step[]>, fallback: Step[] | null): void {
    for (const [route, steps] of plans) this.plans[route] = steps;
    this.fallback = fallback;
    // every step of every route and the fallback, in the order written, for the report's per-step lists
    const all = [...plans.values(), ...(fallback ? [fallback] : [])].flat();
    const ofType = <T extends Step["type"]>(t: T) =>
      all.filter((s): s is Extract<Step, { type: T }> => s.type === t);
    this.limitSteps = ofType("limit").map((s) => s.stats);
    this.reserveSteps = ofType("reserve");
    this.prefSteps = ofType("preferences");
    this.seenSteps = ofType("seen");
    this.mintSteps = ofType("mint");
    this.fanOutSteps = all.flatMap((s) => (fanned(s) ? [s.fanout.stats] : []));
  }

  /** A request ends: its reservations are bought (success) or left to expire (failure) first. */
  protected override finish(job: Job, outcome: number): void {
    for (const r of this.reserveSteps) r.settle(job, outcome, this.sim.now);
    super.finish(job, outcome);
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.computeDone = sim.q.on((id) => this.afterCompute(id));
    this.recheck = sim.q.on((id) => this.readAgain(id));
    this.releaseEv = sim.q.on((serial) => this.release(serial));
    this.caches.attach(sim);
    this.rpc.attach(sim);
  }

  override start(): void {
    super.start();
    const paths = this.sim.paths;
    const number = (plan: Step[]): Int32Array => {
      const sites = new Int32Array(plan.length);
      let next = paths.reserve(plan.reduce((n, s) => n + sitesOf(s), 0));
      plan.forEach((s, i) => {
        sites[i] = next;
        next += sitesOf(s);
      });
      return sites;
    };
    this.plans.forEach((plan, route) => {
      if (plan) this.sites[route] = number(plan);
    });
    if (this.fallback) this.fallbackSites = number(this.fallback);
  }

  /**
   * The call path of a call made by the request's current step (`part`: a
   * transaction's participant): the same for every attempt of the request,
   * so a write's path and request name its logical write.
   */
  private pathOf(job: Job, part: number): number {
    const paths = this.sim.paths;
    if (!paths.enabled) return job.path;
    const sites = this.sites[job.route] ?? (this.fallbackSites as Int32Array);
    return paths.extend(job.path, sites[job.step] + part);
  }

  /** Whether this service has a plan for `route` (checked when a design is built). */
  handles(route: number): boolean {
    return this.plans[route] !== undefined || this.fallback !== null;
  }

  private plan(job: Job): Step[] {
    return this.plans[job.route] ?? (this.fallback as Step[]);
  }

  protected begin(job: Job): void {
    if (this.sessions?.mode === "in-memory") this.sessions.touch(job.user, job.instance);
    if (this.slowMs > 0) {
      // a slowed instance spends the extra time once per request, holding its worker
      job.step = -1;
      this.sim.q.schedule(this.slowMs, this.computeDone, job.id);
      return;
    }
    job.step = 0;
    this.advance(job);
  }

  /** Runs steps until one has to wait for time to pass or for a reply. */
  private advance(job: Job): void {
    const plan = this.plan(job);
    const sim = this.sim;
    while (job.step < plan.length) {
      // a request whose deadline has passed makes no more calls: its caller has given up
      if (job.deadline <= sim.now) return this.finish(job, TIMEOUT);
      const step = plan[job.step];
      switch (step.type) {
        case "compute": {
          // an instance's type (speed) and version scale its own work, not its calls
          const d = step.time.sample(this.rng) * this.fleet.timeScale[job.instance];
          if (d > 0) {
            sim.q.schedule(d, this.computeDone, job.id);
            return;
          }
          job.step++;
          continue;
        }
        case "seen": {
          // seen before, or so the filter says: skipped, a handled outcome
          if (step.filter.check(urlOf(job.key, job.page)) !== SEEN_NEW) return this.finish(job, OK);
          job.step++;
          continue;
        }
        case "mint": {
          if (job.phase !== MINTING) {
            job.phase = MINTING;
            step.begin(job);
          }
          const code = step.run(job);
          if (code === MINT_FAIL) return this.finish(job, CONFLICT);
          if (code < 0) return this.mintCall(job, step, code);
          // the new link's code is the request's key from here on (the write that stores it)
          job.key = code;
          job.phase = 0;
          job.step++;
          continue;
        }
        case "preferences": {
          const verdict = step.decide(job.key, sim.now);
          if (verdict === SUPPRESS) return this.finish(job, OK); // opted out: handled, the rest skipped
          if (verdict === DEFER) {
            // handed to the scheduler: this notification is done here; it is published when quiet hours end
            const serial = this.deferSerial++;
            this.deferred.set(serial, [step, job.key, sim.now, job.origin]);
            sim.q.at(step.until, this.releaseEv, serial);
            return this.finish(job, OK);
          }
          job.step++;
          continue;
        }
        case "limit": {
          if (step.meter) offered(step.meter, step.stats, keyOf(step.set.defs[0].key, job), sim.now);
          if (step.set.check(job, sim.now) !== 0) {
            step.stats.limited++;
            if (!step.fail) return this.finish(job, OK); // suppressed: handled, the rest skipped
            job.retryAfterMs = step.set.retryAfterMs;
            return this.finish(job, RATE_LIMITED);
          }
          step.stats.admitted++;
          // a leaky-queue limit makes an admitted request wait its turn, holding its worker
          if (step.set.delayMs > 0) {
            sim.q.schedule(step.set.delayMs, this.computeDone, job.id);
            return;
          }
          job.step++;
          continue;
        }
        case "call": {
          const c = sim.child(job, this, job.instance);
          c.op = OP_ROUTE;
          c.path = this.pathOf(job, 0);
          if (step.route >= 0) c.route = step.route;
          sim.send(c, step.target, -1);
          return;
        }
        case "read": {
          if (step.fanout) return this.fanOutMany(job, step as FannedStep);
          if (!step.scatter && job.phase !== LOOKED_UP && this.mustLookUp(step.store, job))
            return this.lookUp(job, step.store);
          if (step.scatter || salted(step, job.key)) return this.fanOut(job, step);
          job.phase = step.cache ? ASK_CACHE : ASK_STORE;
          job.aux = 0; // version-check retries so far
          // staleness is judged against what was committed when the read began
          const checker = sim.consistency;
          if (checker) {
            const store = step.store.storeId;
            job.basis = checker.latestCommitted(store, job.key);
            job.ownAtStart = checker.ownWrite(store, job.user, job.key);
            job.seenAtStart = checker.lastSeen(store, job.user, job.key);
          }
          if (step.l1) {
            // the in-process cache answers without leaving the process
            const v = this.l1!.get(job.instance, step.store.storeId, job.key, sim.now);
            if (v >= 0) {
              this.readServed(job, step, v, 0, true, true);
              job.step++;
              continue;
            }
          }
          const c = sim.child(job, this, job.instance);
          c.op = OP_READ;
          c.policy = step.policy;
          sim.send(c, step.cache ?? step.store, -1);
          return;
        }
        case "publish": {
          const c = sim.child(job, this, job.instance);
          c.op = OP_PUBLISH;
          // the message's id: a retry of this call carries the same one
          c.aux = step.to.newMessageId();
          c.size = step.size.sample(this.rng);
          c.ledger = step.ledger ?? 0;
          if (step.routing) {
            c.routing = pickShape(step.routing, job.key, this.rng);
            c.mandatory = step.mandatory ?? false;
          }
          if (step.wait) return sim.send(c, step.to, -1);
          // fire and forget: nobody waits for the answer, which is dropped (see onReply)
          c.parent = -1;
          sim.send(c, step.to, -1);
          job.step++;
          continue;
        }
        case "notify":
          // fire and forget onto the gateway's pub/sub backbone
          step.target.publish(step.to === "user" ? job.user : job.key, this.zoneOf(job.instance));
          job.step++;
          continue;
        case "session": {
          const c = sim.child(job, this, job.instance);
          c.op = OP_READ;
          c.key = job.user;
          c.policy = step.policy;
          sim.send(c, step.store, -1);
          return;
        }
        case "saga":
          return this.sagas.begin(job, step);
        case "reserve":
          if (!step.take(job, sim.now)) return this.finish(job, SOLD_OUT);
          job.step++;
          continue;
        case "request":
          return this.rpc.begin(job, step);
        case "transaction":
          job.txn = ++sim.txnSeq;
          return this.txnRound(job, step, OP_PREPARE, TXN_PREPARE);
        case "update":
          if (job.phase !== LOOKED_UP && this.mustLookUp(step.store, job))
            return this.lookUp(job, step.store);
          job.aux = step.retries;
          return this.updateRead(job, step);
        case "write": {
          if (step.fanout) return this.fanOutMany(job, step as FannedStep);
          if (job.phase !== LOOKED_UP && this.mustLookUp(step.store, job))
            return this.lookUp(job, step.store);
          const c = sim.child(job, this, job.instance);
          c.op = OP_WRITE;
          c.policy = step.policy;
          c.path = this.pathOf(job, 0);
          c.idem = step.idem ?? 0;
          c.ledger = step.ledger ?? 0;
          // a salted write goes to one of the key's sub-keys, spreading a hot key over shards
          if (salted(step, job.key)) c.key = subKey(job.key, this.rng.int(step.salt!));
          // write-through and write-behind caches write the store themselves
          if (writesThrough(step.cache)) {
            c.op = OP_PUT;
            return sim.send(c, step.cache!, -1);
          }
          sim.send(c, step.store, -1);
          return;
        }
      }
    }
    // a version with a bug fails some requests after doing their work
    const versions = this.fleet.versions;
    this.finish(job, versions?.fails(this.fleet.version[job.instance]) ? ERROR : OK);
  }

  private afterCompute(id: number): void {
    const job = this.sim.pool.jobs[id];
    if (job.cancelled) return this.sim.release(job);
    job.step++;
    this.advance(job);
  }

  /** A deferred notification is due: the scheduler publishes it (msg carries -2 - its serial). */
  private release(serial: number): void {
    const [step, key, , origin] = this.deferred.get(serial)!;
    const c = this.sim.child(null, this, 0);
    c.op = OP_PUBLISH;
    c.key = key;
    // its consumers measure it from the request behind it, as the message it stands for
    c.origin = origin;
    c.aux = step.deferTo!.newMessageId();
    c.size = 1024;
    c.msg = -2 - serial;
    this.sim.send(c, step.deferTo!, -1);
  }

  /** The broker answered a deferred notification's publish: done, or tried again a second later. */
  private released(c: Job): void {
    const serial = -2 - c.msg;
    const ok = c.outcome === OK;
    this.sim.release(c);
    const [step, , since] = this.deferred.get(serial)!;
    if (!ok) {
      step.stats.releaseRetries++;
      this.sim.q.schedule(1000, this.releaseEv, serial);
      return;
    }
    this.deferred.delete(serial);
    step.released(since, this.sim.now);
  }

  override onReply(c: Job): void {
    const sim = this.sim;
    if (c.parent < 0 && c.op === OP_PUBLISH && c.msg <= -2) return this.released(c);
    if (c.parent < 0) return this.caches.detached(c); // fire-and-forget (cache fill, invalidation, refresh, publish)
    const job = sim.pool.jobs[c.parent];
    const step = this.plan(job)[job.step];
    if (job.cancelled) {
      if (step.type === "mint") step.abandoned(c, this.alive[job.instance] === 1);
      // a row lock taken for a request that is gone is released, as a dropped connection's would be
      if ((c.op === OP_READ_LOCK || c.op === OP_READ_SHARED) && c.outcome === OK) this.releaseLock(c, step);
      // requests of a live instance waiting for this load still get its answer
      if (step.type === "read" && step.cache && job.phase === ASK_STORE) this.caches.abandoned(job, c, step);
      if (step.type === "saga") this.sagas.interrupted(job);
      if (step.type === "request") this.rpc.interrupted(job, step);
      sim.release(c);
      if (fanned(step)) return this.fannedIn(job, c.outcome, step, true);
      // a request waiting on several calls at once is released with the last of them
      const gathering =
        step.type === "transaction" || (step.type === "read" && (step.scatter || salted(step, job.key)));
      if (gathering && --job.aux > 0) return;
      return sim.release(job);
    }
    const outcome = c.outcome;
    if (job.phase === LOOKING_UP) return this.lookedUp(job, c);
    if (fanned(step)) {
      sim.release(c);
      return this.fannedIn(job, outcome, step, false);
    }
    if (step.type === "update") return this.updated(job, c, step);
    if (step.type === "transaction") return this.transacted(job, c, step);
    if (step.type === "saga") return this.sagas.answered(job, c);
    if (step.type === "request") return this.rpc.sent(job, c, step);
    if (step.type === "mint") return this.mintAnswered(job, c, step);
    if (step.type === "read" && (step.scatter || salted(step, job.key))) return this.gathered(job, c);
    if (step.type === "read" && job.phase === ASK_CACHE) return this.caches.answered(job, c, step);
    if (outcome !== OK) {
      if (step.type === "read" && step.cache) this.caches.loaded(job, c, step);
      sim.release(c);
      return this.finish(job, outcome);
    }
    if (c.degraded) return this.fellBack(job, c, step);
    if (step.type === "read" && step.versionCheck && c.version < job.ownAtStart && job.aux >= 0)
      return this.versionBehind(job, c, step);
    if (step.type === "read") {
      this.readServed(job, step, c.version, c.size, false, false);
      if (step.cache) this.caches.loaded(job, c, step);
    } else if (step.type === "write") {
      job.version = c.version;
      // a store that cannot place a write in its history (split brain) reports version -1
      if (c.version >= 0)
        sim.consistency?.writeAcknowledged(step.store.storeId, job.user, c.key, c.version, sim.now);
      this.l1?.invalidate(job.instance, step.store.storeId, c.key);
      if (step.cache) this.caches.wrote(job, c, step);
    } else if (step.type === "session" && step.cache && !c.hit) {
      // the session is not in the cache (never created, or evicted): log in again, store it
      this.sessions!.missed(job.user);
      const w = sim.child(job, this, job.instance);
      w.parent = -1;
      w.op = OP_WRITE;
      w.key = job.user;
      w.version = 1;
      sim.send(w, step.store, -1);
    }
    sim.release(c);
    job.phase = 0;
    job.step++;
    this.advance(job);
  }

  /** A mint needs a call: a range from the counter's store (a write of its row), or a read of the drawn code. */
  private mintCall(job: Job, step: MintStep, action: number): void {
    const c = this.sim.child(job, this, job.instance);
    if (action === MINT_FETCH) {
      c.op = OP_WRITE;
      c.key = COUNTER_KEY;
      c.policy = 0;
    } else {
      c.op = OP_READ;
      c.key = step.random!.candidate;
      c.policy = step.readPolicy;
    }
    // not a logical write of the request's: no idempotency key, ledger or duplicate pairing
    c.path = 0;
    c.idem = 0;
    c.ledger = 0;
    this.sim.send(c, step.store!, -1);
  }

  /** The counter's store or the code's read answered: the mint goes on (or fails with the call). */
  private mintAnswered(job: Job, c: Job, step: MintStep): void {
    const { outcome, op, key } = c;
    this.sim.release(c);
    if (outcome !== OK) return this.finish(job, outcome);
    if (op === OP_WRITE) step.fetched(job.instance);
    else if (step.readBack(key) >= 0) {
      job.key = key;
      job.phase = 0;
      job.step++;
    }
    this.advance(job);
  }

  /**
   * A call answered by its fallback (a default or cached answer, not the
   * store's): the step is done, but nothing was read or written, so there is
   * nothing to judge, cache or acknowledge. A pending cache load is let go.
   */
  private fellBack(job: Job, c: Job, step: Step): void {
    // the cache is not filled, and requests waiting for the same load fall back too
    if (step.type === "read" && step.cache && job.phase === ASK_STORE) this.caches.loaded(job, c, step);
    this.sim.release(c);
    this.skipStep(job);
  }

  /** Ends the current step with no data: a fallback answered it. */
  private skipStep(job: Job): void {
    job.degraded = true;
    job.version = -1;
    job.phase = 0;
    job.step++;
    this.advance(job);
  }

  /** The key a transaction's i-th participant writes: the request's own, then derived ones (the other account). */
  private txnKey(job: Job, i: number): number {
    return i === 0 ? job.key : subKey(job.key, i);
  }

  /**
   * Sends one round of a two-phase commit to every participant key at once:
   * prepares (lock and vote), commits or aborts. job.aux counts the answers
   * awaited and job.version keeps the round's first failure.
   */
  private txnRound(job: Job, step: Extract<Step, { type: "transaction" }>, op: number, phase: number): void {
    job.phase = phase;
    job.aux = step.keys;
    job.version = OK;
    for (let i = 0; i < step.keys; i++) {
      const c = this.sim.child(job, this, job.instance);
      c.op = op;
      c.key = this.txnKey(job, i);
      c.txn = job.txn;
      if (op === OP_COMMIT) {
        c.path = this.pathOf(job, i);
        c.idem = step.idem ?? 0;
      }
      this.sim.send(c, step.store, -1);
    }
  }

  private transacted(job: Job, c: Job, step: Extract<Step, { type: "transaction" }>): void {
    const sim = this.sim;
    if (c.outcome !== OK && job.version === OK) job.version = c.outcome;
    else if (c.outcome === OK && job.phase === TXN_COMMIT)
      sim.consistency?.writeAcknowledged(step.store.storeId, job.user, c.key, c.version, sim.now);
    sim.release(c);
    if (--job.aux > 0) return;
    const failure = job.version;
    if (job.phase === TXN_PREPARE) {
      if (failure === OK) return this.txnRound(job, step, OP_COMMIT, TXN_COMMIT);
      // a "no" vote or a failure: release every lock this transaction took, without waiting
      for (let i = 0; i < step.keys; i++) {
        const a = sim.child(job, this, job.instance);
        a.parent = -1;
        a.op = OP_ABORT;
        a.key = this.txnKey(job, i);
        a.txn = job.txn;
        sim.send(a, step.store, -1);
      }
      return this.finish(job, failure);
    }
    if (failure !== OK) return this.finish(job, failure);
    job.phase = 0;
    job.step++;
    this.advance(job);
  }

  private releaseLock(c: Job, step: Step): void {
    const a = this.sim.child(c, this, c.callerInstance);
    a.parent = -1;
    a.op = OP_ABORT;
    a.key = c.key;
    a.txn = c.txn;
    this.sim.send(a, (step as { store: Store }).store, -1);
  }

  /** Reads the key for a read-modify-write: each attempt is a transaction of its own. */
  private updateRead(job: Job, step: Extract<Step, { type: "update" }>): void {
    job.phase = UPDATE_READ;
    const serializable = !step.lock && step.isolation === "serializable";
    job.txn = step.lock || serializable ? ++this.sim.txnSeq : -1;
    const c = this.sim.child(job, this, job.instance);
    c.op = step.lock ? OP_READ_LOCK : serializable ? OP_READ_SHARED : OP_READ;
    c.txn = job.txn;
    c.policy = step.policy;
    this.sim.send(c, step.store, -1);
  }

  /**
   * A read-modify-write's read came back: write the new value based on the
   * version read. Its write came back: done, or (a conflict under optimistic
   * concurrency, or a serialization failure) read again and retry while
   * retries last. A write that failed under a lock releases it.
   */
  private updated(job: Job, c: Job, step: Extract<Step, { type: "update" }>): void {
    const sim = this.sim;
    const outcome = c.outcome;
    const version = c.version;
    // (the database releases the lock of a write it refused as a conflict itself)
    if (outcome !== OK && outcome !== CONFLICT && job.phase === UPDATE_WRITE && job.txn >= 0)
      this.releaseLock(c, step);
    sim.release(c);
    if (outcome === CONFLICT && job.aux > 0) {
      job.aux--;
      return this.updateRead(job, step);
    }
    if (outcome !== OK) return this.finish(job, outcome);
    if (job.phase === UPDATE_READ) {
      job.phase = UPDATE_WRITE;
      const w = sim.child(job, this, job.instance);
      // under a row lock the write commits and releases it; otherwise it is based on the version read
      w.op = job.txn >= 0 ? OP_COMMIT : OP_WRITE;
      w.txn = job.txn;
      w.policy = step.policy;
      w.expect = version;
      w.conditional = step.occ;
      w.path = this.pathOf(job, 0);
      w.idem = step.idem ?? 0;
      sim.send(w, step.store, -1);
      return;
    }
    job.version = version;
    if (version >= 0)
      sim.consistency?.writeAcknowledged(step.store.storeId, job.user, job.key, version, sim.now);
    this.l1?.invalidate(job.instance, step.store.storeId, job.key);
    job.phase = 0;
    job.step++;
    this.advance(job);
  }

  /**
   * A version-check read returned a version older than the user's own last
   * write (the version that write returned, which the client keeps; the
   * checker's record of it stands in for the client's): try the replicas
   * again after a pause, and once the retries are spent, the primary.
   */
  private versionBehind(job: Job, c: Job, step: ReadStep): void {
    const vc = step.versionCheck!;
    this.sim.release(c);
    if (job.aux < vc.retries) {
      job.aux++;
      step.store.noteVersionCheck?.(false);
      this.sim.q.schedule(vc.intervalMs, this.recheck, job.id);
      return;
    }
    step.store.noteVersionCheck?.(true);
    job.aux = -1; // whatever the primary returns is final
    this.sendRead(job, step.store, vc.primary);
  }

  private readAgain(id: number): void {
    const job = this.sim.pool.jobs[id];
    if (job.cancelled) return this.sim.release(job);
    const step = this.plan(job)[job.step] as ReadStep;
    this.sendRead(job, step.store, step.policy);
  }

  private sendRead(job: Job, store: Store, policy: number): void {
    const r = this.sim.child(job, this, job.instance);
    r.op = OP_READ;
    r.policy = policy;
    this.sim.send(r, store, -1);
  }

  /** Whether this instance must ask the store's directory where the key lives (no fresh cached answer). */
  private mustLookUp(store: Store, job: Job): boolean {
    const dir = store.directory;
    if (!dir) return false;
    const expiry = this.lookups[job.instance]?.get(job.key);
    return expiry === undefined || expiry <= this.sim.now;
  }

  private lookUp(job: Job, store: Store): void {
    job.phase = LOOKING_UP;
    const c = this.sim.child(job, this, job.instance);
    c.op = OP_ROUTE;
    c.route = this.sim.routeIndex("lookup");
    this.sim.send(c, store.directory!.service, -1);
  }

  /** The directory answered: remember it for its TTL and go on with the step; if it failed, so does the request. */
  private lookedUp(job: Job, c: Job): void {
    const outcome = c.outcome;
    this.sim.release(c);
    if (outcome !== OK) return this.finish(job, outcome);
    const step = this.plan(job)[job.step] as { store: Store };
    const ttl = step.store.directory!.ttlMs;
    if (ttl > 0) {
      this.lookups[job.instance] ??= new Map();
      this.lookups[job.instance].set(job.key, this.sim.now + ttl);
    }
    job.phase = LOOKED_UP;
    this.advance(job);
  }

  /**
   * Sends one read per sub-key (salt) or per shard (scatter) at once; the
   * step ends when the last answers, so its latency is the slowest one's.
   * job.aux counts the answers still awaited and job.phase keeps the first
   * failure. Aggregated reads are not judged by the consistency checker: no
   * single version describes them.
   */
  private fanOut(job: Job, step: ReadStep): void {
    const n = step.scatter ? (step.store.shardCount ?? 1) : (step.salt ?? 1);
    job.aux = n;
    job.phase = OK;
    for (let i = 0; i < n; i++) {
      const c = this.sim.child(job, this, job.instance);
      c.op = OP_READ;
      c.policy = step.policy;
      if (step.scatter) c.shard = i;
      else c.key = subKey(job.key, i);
      this.sim.send(c, step.store, -1);
    }
  }

  /**
   * Starts a fan-out step: `count` keys (the hot count for a hot key), each
   * a read or a write of its own, at most `concurrency` in flight. The step
   * ends when the last answers; its first failure fails the request.
   * Fanned-out reads are not judged by the consistency checker (no single
   * version describes them); fanned-out writes are plain writes of their
   * keys.
   */
  private fanOutMany(job: Job, step: FannedStep): void {
    const spec = step.fanout;
    const hot = job.key < spec.hotKeys;
    if (hot) spec.stats.hotRequests++;
    const n = hot ? spec.hotCount : Math.min(spec.keys, Math.max(0, Math.round(spec.count.sample(this.rng))));
    spec.stats.requests++;
    if (n > spec.stats.maxKeys) spec.stats.maxKeys = n;
    if (n === 0) {
      job.step++;
      return this.advance(job);
    }
    const f = new FanOut(n, spec.concurrency);
    this.fanOuts.set(job.id, f);
    this.sendFanned(job, step, f);
  }

  private sendFanned(job: Job, step: FannedStep, f: FanOut): void {
    const sim = this.sim;
    for (let i = f.next(); i >= 0; i = f.next()) {
      step.fanout.stats.calls++;
      if (job.key < step.fanout.hotKeys) step.fanout.stats.hotCalls++;
      const c = sim.child(job, this, job.instance);
      c.key = fanOutKey(job.key, i, step.fanout.keys);
      c.policy = step.policy;
      c.op = step.type === "write" ? OP_WRITE : OP_READ;
      // a timeline insert is idempotent (ZADD): not a logical write the duplicate ledger pairs with its retries
      c.path = 0;
      c.idem = 0;
      c.ledger = 0;
      c.shard = -1;
      sim.send(c, step.store, -1);
    }
  }

  /** One call of a fan-out answered: send the next, or end the step once the last is in. */
  private fannedIn(job: Job, outcome: number, step: FannedStep, cancelled: boolean): void {
    const f = this.fanOuts.get(job.id)!;
    if (cancelled) f.stopped = true;
    if (!f.answered(outcome)) return this.sendFanned(job, step, f);
    this.fanOuts.delete(job.id);
    if (cancelled) return this.sim.release(job);
    if (f.failure !== 0) return this.finish(job, f.failure);
    job.phase = 0;
    job.step++;
    this.advance(job);
  }

  private gathered(job: Job, c: Job): void {
    if (c.outcome !== OK && job.phase === OK) job.phase = c.outcome;
    this.sim.release(c);
    if (--job.aux > 0) return;
    if (job.phase !== OK) return this.finish(job, job.phase);
    job.step++;
    this.advance(job);
  }

  /**
   * A read step has its answer, from the in-process cache, the shared cache
   * or the store: it becomes the request's, is judged, and (unless it came
   * from there) is kept in the in-process cache.
   */
  private readServed(
    job: Job,
    step: ReadStep,
    version: number,
    size: number,
    hit: boolean,
    fromL1: boolean,
  ): void {
    job.version = version;
    job.hit = hit;
    this.judgeRead(job, step.store, version);
    if (step.l1 && !fromL1)
      this.l1!.put(job.instance, step.store.storeId, job.key, version, size, this.sim.now);
  }

  /** Classifies a read the request got (stale, read-your-writes, monotonic) for its store. */
  private judgeRead(job: Job, store: Store, version: number): void {
    const checker = this.sim.consistency;
    if (!checker) return;
    const flags = checker.read(
      store.storeId,
      job.route,
      job.user,
      job.key,
      job.basis,
      version,
      this.sim.now,
      job.ownAtStart,
      job.seenAtStart,
    );
    store.noteRead(flags);
  }

  /** Per route with a saga step, what became of its sagas (null: no saga step). */
  private sagaReports(): Record<string, unknown> | null {
    const out: Record<string, unknown> = {};
    const add = (route: string, plan: Step[] | null | undefined): void => {
      for (const s of plan ?? []) if (s.type === "saga") out[route] = sagaReport(s, this.sagas);
    };
    this.plans.forEach((plan, route) => add(this.sim.routes[route], plan));
    add("*", this.fallback);
    return Object.keys(out).length > 0 ? out : null;
  }

  override kill(instance: number): void {
    super.kill(instance);
    for (const m of this.mintSteps) m.lost(instance);
    if (this.sessions?.mode === "in-memory") this.sessions.drop(instance);
  }

  override restart(instance: number): void {
    super.restart(instance);
    this.l1?.clear(instance);
  }

  /**
   * A route that writes then publishes (a dual write): returns the ledger
   * index its write and publish steps carry, so that the database's commit
   * and the topic's append are paired per request.
   */
  dualWrite(route: string): number {
    const ledger = new DualWriteLedger();
    this.dualWrites.push({ route, ledger });
    return (
      this.sim.ledgers.push({
        committed: (job) => ledger.committed(job.reqNo),
        appended: (job) => ledger.appended(job.reqNo),
      }) - 1
    );
  }

  override tick(second: number): void {
    super.tick(second);
    // forget the requests none of whose work is left: a committed write without its event is missing
    if (this.dualWrites.some((d) => d.ledger.size > 0)) {
      const live = this.sim.liveRequests();
      const alive = (req: number) => live.has(req);
      for (const d of this.dualWrites) d.ledger.sweep(alive);
    }
  }

  /** A newly launched instance starts cold: no in-process cache, no cached directory answers. */
  override instanceStarted(instance: number): void {
    // ranges left by a stopped instance of this slot are gone with it
    for (const m of this.mintSteps) m.lost(instance);
    this.l1?.clear(instance);
    this.lookups[instance]?.clear();
  }

  report(now: number): ComponentReport {
    const base = this.stationReport(now);
    if (this.sessions) base.sessions = this.sessions.report();
    if (this.dualWrites.length > 0)
      base.dualWrite = Object.fromEntries(this.dualWrites.map((d) => [d.route, d.ledger.counts()]));
    const sagas = this.sagaReports();
    if (sagas) base.sagas = sagas;
    if (this.reserveSteps.length > 0) base.reservations = this.reserveSteps.map((r) => r.report(now));
    if (this.fanOutSteps.length > 0) base.fanouts = this.fanOutSteps.map((f) => ({ ...f }));
    if (this.limitSteps.length > 0) {
      base.limited = this.limitSteps.reduce((n, l) => n + l.limited, 0);
      base.limits = this.limitSteps.map((l) => ({
        ...l,
        peakPerWindow: l.peakPerWindow && { ...l.peakPerWindow },
      }));
    }
    if (this.mintSteps.length > 0) base.mints = this.mintSteps.map((m) => m.report());
    if (this.prefSteps.length > 0) {
      // held: counted in the scheduler itself (not deferred - released), so the report's
      // released + held = deferred is a check that no deferred message went missing
      const held = new Map<PreferencesStep, number>();
      for (const [step] of this.deferred.values()) held.set(step, (held.get(step) ?? 0) + 1);
      base.preferences = this.prefSteps.map((s) => s.report(held.get(s) ?? 0));
    }
    if (this.seenSteps.length > 0)
      base.seen = this.seenSteps.map((s) => ({
        name: s.name,
        route: s.route,
        bits: s.filter.filter.bits,
        hashes: s.filter.filter.hashes,
        ...s.filter.counts,
        skipped: s.filter.counts.duplicates + s.filter.counts.falsePositives,
        fillRatio: s.filter.filter.fillRatio,
        falsePositiveRate: s.filter.expectedFalsePositiveRate,
        expectedFalsePositives: s.filter.expectedFalsePositives,
      }));
    if (!this.l1) return base;
    const l1 = this.l1;
    return {
      ...base,
      localCache: {
        gets: l1.gets,
        hits: l1.hits,
        hitRatio: l1.gets > 0 ? l1.hits / l1.gets : 0,
        entries: l1.entries(),
      },
    };
  }
}
