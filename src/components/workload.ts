// The client side (what Jepsen calls the client): generates requests, open loop
// (an arrival process, whatever the system's state) or closed loop (N users who
// each wait for their answer, then think), and records what each user saw.
import type { Sampler } from "../kernel/distributions.js";
import { HomeRegions } from "../kernel/home-region.js";
import { HashedShares } from "../kernel/shares.js";
import { type KeySampler, MISSING_KEYS } from "../kernel/keys.js";
import { fmix32, type Rng } from "../kernel/rng.js";
import type { RequestMetrics } from "../metrics/requests.js";
import { type Job, OP_ROUTE } from "./job.js";
import { Component, type ComponentReport, type Sim } from "./runtime.js";

export interface WorkloadRoute {
  route: number;
  /** header set index (Sim.headerSets) */
  headers: number;
  weight: number;
  keys: KeySampler;
  /** each user touches only their own key (key = user id), like a profile */
  perUser?: boolean;
  /** share of requests for keys that exist nowhere (MISSING_KEYS + the key drawn) */
  missing?: number;
  /** priority class (0 = critical), for load shedding */
  priority?: number;
  /** each key is a site with this many pages: a request also draws one (absent: no page) */
  pages?: number;
}

export type Arrivals =
  | {
      type: "open";
      deterministic: boolean;
      rate: (tMs: number) => number;
      maxRate: number;
      /** the rate never changes (no thinning needed) */
      steady: boolean;
    }
  | { type: "closed"; users: number; think: Sampler };

export interface WorkloadConfig {
  target: Component;
  routes: WorkloadRoute[];
  arrivals: Arrivals;
  /** distinct users (sessions); ids are firstUser..firstUser+users-1 */
  users: number;
  /** the first user's id (and the base of its IPs' and API keys' ids): other workloads' users are distinct only outside this range */
  firstUser?: number;
  /** distinct client IP addresses users sit behind (NAT makes this smaller than users) */
  ips: number;
  regions: { region: number; weight: number }[];
  /** distinct API keys users hold, several users may share an organisation's key (default: users) */
  apiKeys?: number;
  /** share of API keys on each plan (tier index in Sim.tiers); absent or empty: no tiers */
  tiers?: { tier: number; weight: number }[];
  /** requests are generated in [startMs, stopMs) */
  startMs: number;
  stopMs: number;
  /**
   * Whether anything downstream reads the request's key or its user (a cache,
   * a database, a hashing or sticky balancer). When nothing does, no draws are
   * spent on them; their streams are separate, so this never shifts arrivals.
   */
  needsKeys: boolean;
  needsUsers: boolean;
}

export class Workload extends Component {
  readonly kind = "workload";
  override readonly isClient = true;
  private arriveEv = -1;
  private thinkEv = -1;
  private readonly routeCum: Float64Array;
  private readonly home: HomeRegions;
  private readonly plans: HashedShares | null;
  generated = 0;
  answered = 0;
  /** scales the arrival rate (open) or divides think times (closed) from when it is set; 1 in batch runs */
  private factor = 1;
  /** arrivals scheduled before the last change of factor are stale and ignored */
  private generation = 0;

  constructor(
    name: string,
    private readonly cfg: WorkloadConfig,
    private readonly metrics: RequestMetrics,
  ) {
    super(name);
    this.routeCum = cumulative(cfg.routes.map((r) => r.weight));
    this.home = new HomeRegions(
      cfg.regions.map((r) => r.region),
      cfg.regions.map((r) => r.weight),
    );
    this.plans = cfg.tiers?.length
      ? new HashedShares(
          cfg.tiers.map((t) => t.weight),
          TIER_SALT,
        )
      : null;
  }

  private keyRng!: Rng;
  private userRng!: Rng;

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.keyRng = sim.stream(`${this.name}/keys`);
    this.userRng = sim.stream(`${this.name}/users`);
    this.arriveEv = sim.q.on((gen) => {
      if (gen === this.generation) this.arrive();
    });
    this.thinkEv = sim.q.on((user) => this.issue(user));
  }

  override start(): void {
    const a = this.cfg.arrivals;
    if (a.type === "open") this.scheduleArrival(this.cfg.startMs);
    else {
      // users start spread over one think time so they do not arrive in lockstep
      for (let u = 0; u < a.users; u++) {
        const at = this.cfg.startMs + a.think.sample(this.rng);
        if (at < this.cfg.stopMs) this.sim.q.at(at, this.thinkEv, u);
      }
    }
  }

  /** Next arrival after `from`, by thinning against the peak rate (exact for any rate curve). */
  private scheduleArrival(from: number): void {
    const a = this.cfg.arrivals;
    if (a.type !== "open") return;
    let t = from;
    while (t < this.cfg.stopMs) {
      if (a.deterministic) {
        const r = a.rate(t) * this.factor;
        t += r > 0 ? 1000 / r : 1000;
        if (r <= 0) continue;
      } else {
        t += (-Math.log(1 - this.rng.next()) * 1000) / (a.maxRate * this.factor);
        if (t >= this.cfg.stopMs) return;
        if (!a.steady) {
          // the factor scales the rate and its peak alike: the acceptance ratio is the curve's
          const r = a.rate(t);
          if (r < a.maxRate && this.rng.next() * a.maxRate > r) continue;
        }
      }
      if (t < this.cfg.stopMs) this.sim.q.at(t, this.arriveEv, this.generation);
      return;
    }
  }

  /**
   * Scales the arrival rate by `factor` (> 0) from now on. Open loop: the
   * pending arrival is dropped and the next one drawn afresh at the new rate,
   * which is exact for a Poisson process (memoryless) and restarts the
   * spacing of a deterministic one. Closed loop: think times from now on are
   * divided by it (users already thinking keep their wake-up time).
   */
  setRateFactor(factor: number): void {
    if (!(factor > 0 && Number.isFinite(factor)))
      throw new RangeError(`a traffic factor must be a positive number, got ${factor}`);
    if (factor === this.factor) return;
    this.factor = factor;
    if (this.cfg.arrivals.type !== "open") return;
    this.generation++;
    const now = this.sim.now;
    if (now >= this.cfg.startMs) this.scheduleArrival(now);
    // before startMs the arrival scheduled by start() is now stale: schedule the first afresh
    else this.scheduleArrival(this.cfg.startMs);
  }

  private arrive(): void {
    this.scheduleArrival(this.sim.now);
    this.issue(this.cfg.needsUsers ? this.userRng.int(this.cfg.users) : 0);
  }

  private issue(user: number): void {
    const sim = this.sim;
    const cfg = this.cfg;
    const job = sim.pool.alloc();
    job.req = job.id;
    job.reqNo = job.serial;
    job.caller = this.index;
    job.op = OP_ROUTE;
    // a single choice consumes no randomness
    const r = cfg.routes.length === 1 ? cfg.routes[0] : cfg.routes[pick(this.routeCum, this.rng.next())];
    job.route = r.route;
    job.headers = r.headers;
    job.priority = r.priority ?? 0;
    job.key = r.perUser ? user : cfg.needsKeys ? r.keys.sample(this.keyRng) : 0;
    // a draw only for routes that ask for missing keys, so other designs keep their keys
    if (r.missing && cfg.needsKeys && this.keyRng.next() < r.missing) job.key += MISSING_KEYS;
    // a draw only for routes whose keys have pages, so other designs keep their keys
    job.page = r.pages ? this.keyRng.int(r.pages) : 0;
    const first = cfg.firstUser ?? 0;
    job.user = first + user;
    job.ip = first + (fmix32(user ^ 0x5bd1e995) % cfg.ips);
    // a user's API key, and the plan of that key, are functions of the user, as the region is
    const apiKey = fmix32(user ^ API_KEY_SALT) % (cfg.apiKeys ?? cfg.users);
    job.apiKey = first + apiKey;
    if (this.plans) job.tier = cfg.tiers![this.plans.of(apiKey)].tier;
    // a user lives in one region: the region is a function of the user
    job.region = cfg.regions.length === 1 ? cfg.regions[0].region : this.home.of(user);
    job.start = sim.now;
    job.origin = sim.now;
    this.generated++;
    this.metrics.issue(job.route);
    sim.send(job, cfg.target, -1);
  }

  accept(job: Job): void {
    throw new Error(`workload ${this.name} cannot be called (job ${job.id})`);
  }

  override onReply(job: Job): void {
    const sim = this.sim;
    this.answered++;
    this.metrics.record(job.route, job.outcome, sim.now - job.start, job.degraded);
    const user = job.user;
    sim.release(job);
    const a = this.cfg.arrivals;
    if (a.type === "closed") {
      const at = sim.now + a.think.sample(this.rng) / this.factor;
      if (at < this.cfg.stopMs) sim.q.at(at, this.thinkEv, user);
    }
  }

  report(): ComponentReport {
    return { kind: this.kind, utilization: 0, generated: this.generated, answered: this.answered };
  }
}

const API_KEY_SALT = 0x3c6ef372;
const TIER_SALT = 0x1b873593;

function cumulative(weights: number[]): Float64Array {
  const total = weights.reduce((s, w) => s + w, 0);
  const c = new Float64Array(weights.length);
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i] / total;
    c[i] = acc;
  }
  c[weights.length - 1] = 1;
  return c;
}

function pick(cum: Float64Array, u: number): number {
  let i = 0;
  while (cum[i] <= u && i < cum.length - 1) i++;
  return i;
}
