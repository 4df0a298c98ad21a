// A load balancer: picks a backend instance per request with a balancing
// policy (a pure mechanism), L4 or L7 (L7 routes by path, method or header to
// different pools and costs more per request), optional TLS termination,
// active health checks that really probe each instance, and cookie stickiness.

import type { BalancerAlgorithm } from "../mechanisms/balancing.js";
import { type BackendView, type Balancer, createBalancer } from "../mechanisms/balancing.js";
import { hash32 } from "../mechanisms/hashing.js";
import { BOOTING, IN_SERVICE, STOPPED } from "./fleet.js";
import type { Job } from "./job.js";
import { INSTANCE_DOWN, NO_HEALTHY_BACKEND, OK } from "./outcomes.js";
import { Component, type ComponentReport, type Sim } from "./runtime.js";
import type { Station } from "./station.js";

export interface HealthCheckConfig {
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  /** time an instance takes to answer a probe */
  probeMs: number;
}

export interface PoolConfig {
  name: string;
  backend: Station;
  weights?: number[];
}

export interface LoadBalancerConfig {
  layer: 4 | 7;
  algorithm: BalancerAlgorithm;
  vnodes: number;
  hashOn: "key" | "user" | "ip" | "session";
  pools: PoolConfig[];
  /** pool index per route index and header set (-1: no pool serves it) */
  routePool: number[][];
  /** per-request processing time (layer cost plus TLS termination) */
  costMs: number;
  healthCheck: HealthCheckConfig | null;
  sticky: boolean;
  /** worker threads, for utilisation */
  workers: number;
}

/** Smoothing of observed response times (weight of the newest sample). */
const EWMA_ALPHA = 0.2;

class Pool implements BackendView {
  readonly count: number;
  /** requests outstanding at each backend, as this balancer counts them */
  readonly conns: Int32Array;
  readonly healthy: Uint8Array;
  readonly ewma: Float64Array;
  readonly okStreak: Int32Array;
  readonly failStreak: Int32Array;
  readonly forwarded: Float64Array;
  readonly balancer: Balancer;
  /** the backend's lifecycle phase per instance: only instances in service take requests */
  private readonly phase: Uint8Array;
  private readonly versionOf: Int32Array;
  /** during a deployment's traffic split: the version this pick is for (-1: any) */
  want = -1;
  constructor(
    readonly cfg: PoolConfig,
    algorithm: BalancerAlgorithm,
    vnodes: number,
  ) {
    const n = cfg.backend.instances();
    this.count = n;
    this.conns = new Int32Array(n);
    this.healthy = new Uint8Array(n).fill(1);
    this.ewma = new Float64Array(n);
    this.okStreak = new Int32Array(n);
    this.failStreak = new Int32Array(n);
    this.forwarded = new Float64Array(n);
    this.balancer = createBalancer(algorithm, { count: n, weights: cfg.weights, vnodes });
    this.phase = cfg.backend.fleet.phase;
    this.versionOf = cfg.backend.fleet.version;
  }
  usable(i: number): boolean {
    return (
      this.healthy[i] === 1 &&
      this.phase[i] === IN_SERVICE &&
      (this.want < 0 || this.versionOf[i] === this.want)
    );
  }
  /** Whether the instance is launched at all: probes of stopped or booting slots are not sent. */
  probed(i: number): boolean {
    const p = this.phase[i];
    return p !== STOPPED && p !== BOOTING;
  }
  active(i: number): number {
    return this.conns[i];
  }
  weight(i: number): number {
    return this.cfg.weights ? this.cfg.weights[i] : 1;
  }
  latency(i: number): number {
    return this.ewma[i];
  }
}

export class LoadBalancer extends Component {
  readonly kind = "load-balancer";
  private readonly pools: Pool[];
  private probeEv = -1;
  private probeResultEv = -1;

  /** pinned instance per (pool, user) for sticky sessions */
  private readonly sessions = new Map<number, number>();
  private readonly rand = () => this.rng.next();
  private requests = 0;
  private noBackend = 0;
  private repinned = 0;
  private busyMs = 0;
  /** killed (by a region outage): every request is refused */
  private down = false;
  readonly healthEvents: { t: number; pool: string; instance: number; healthy: boolean }[] = [];

  constructor(
    name: string,
    private readonly cfg: LoadBalancerConfig,
  ) {
    super(name);
    this.pools = cfg.pools.map((p) => new Pool(p, cfg.algorithm, cfg.vnodes));
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.probeEv = sim.q.on((arg) => this.probe(arg));
    this.probeResultEv = sim.q.on((arg) => this.probeResult(arg));
  }

  override start(): void {
    // an instance that comes into service was registered healthy (its boot
    // time covers its first health checks); its old health record is gone
    for (const pool of this.pools)
      pool.cfg.backend.fleet.onPhase((i, phase) => {
        if (phase !== IN_SERVICE) return;
        pool.healthy[i] = 1;
        pool.okStreak[i] = 0;
        pool.failStreak[i] = 0;
      });
    const hc = this.cfg.healthCheck;
    if (!hc) return;
    // stagger the first probes over one interval, as independent checkers would be
    this.pools.forEach((p, pi) => {
      for (let i = 0; i < p.count; i++)
        this.sim.q.at((hc.intervalMs * (i + 1)) / p.count, this.probeEv, pi * 65536 + i);
    });
  }

  accept(job: Job): void {
    this.requests++;
    if (this.down) {
      job.outcome = INSTANCE_DOWN;
      return this.sim.reply(job);
    }
    this.busyMs += this.cfg.costMs;
    const pi = this.cfg.routePool[job.route]?.[job.headers] ?? -1;
    const pool = pi >= 0 ? this.pools[pi] : undefined;
    const backend = pool ? this.choose(pool, pi, job) : -1;
    if (!pool || backend < 0) {
      this.noBackend++;
      job.outcome = NO_HEALTHY_BACKEND;
      return this.sim.reply(job);
    }
    pool.conns[backend]++;
    pool.forwarded[backend]++;
    pool.cfg.backend.fleet.inbound[backend]++;
    const c = this.sim.child(job, this, -1);
    c.op = job.op;
    this.sim.send(c, pool.cfg.backend, backend, this.cfg.costMs);
  }

  private choose(pool: Pool, pi: number, job: Job): number {
    const versions = pool.cfg.backend.fleet.versions;
    if (this.cfg.sticky) {
      const session = pi * 4294967296 + job.user;
      const pinned = this.sessions.get(session);
      if (
        pinned !== undefined &&
        pool.usable(pinned) &&
        (!versions || versions.routed(pool.cfg.backend.fleet.version[pinned]))
      )
        return pinned;
      const b = this.pickIn(pool, job);
      if (b >= 0) {
        if (pinned !== undefined) this.repinned++;
        this.sessions.set(session, b);
      }
      return b;
    }
    return this.pickIn(pool, job);
  }

  /**
   * A deployment's traffic split chooses the version first, then the policy
   * picks among its instances; if none of that version is usable, any will do.
   */
  private pickIn(pool: Pool, job: Job): number {
    const versions = pool.cfg.backend.fleet.versions;
    if (versions?.splitting) {
      pool.want = versions.choose();
      const b = pool.balancer.pick(pool, this.hashKey(job), this.rand);
      pool.want = -1;
      if (b >= 0) return b;
    }
    return pool.balancer.pick(pool, this.hashKey(job), this.rand);
  }

  private hashKey(job: Job): number {
    switch (this.cfg.hashOn) {
      case "key":
        return hash32(job.key);
      case "ip":
        return hash32(job.ip);
      default:
        return hash32(job.user);
    }
  }

  override onReply(c: Job): void {
    const sim = this.sim;
    // the pool is found again from the call (a backend may use aux as its own scratch)
    const pool = this.pools[this.cfg.routePool[c.route][c.headers]];
    const b = c.instance;
    pool.conns[b]--;
    if (c.outcome === OK) {
      const rt = sim.now - c.start;
      pool.ewma[b] = pool.ewma[b] === 0 ? rt : pool.ewma[b] + EWMA_ALPHA * (rt - pool.ewma[b]);
    }
    sim.relay(c);
  }

  override kill(_instance: number): void {
    this.down = true;
  }

  override restart(_instance: number): void {
    this.down = false;
  }

  /** Whether a request sent here now could be served: the balancer is up and some backend is alive. */
  serving(): boolean {
    return !this.down && this.pools.some((p) => p.cfg.backend.instances() > 0 && anyAlive(p.cfg.backend));
  }

  /**
   * Sends one probe; its answer (or the timeout) arrives as a later event whose
   * argument carries the outcome, so probes in flight at once never mix up.
   */
  private probe(arg: number): void {
    const hc = this.cfg.healthCheck!;
    const pool = this.pools[arg >> 16];
    const i = arg & 0xffff;
    const backend = pool.cfg.backend;
    // a stopped or booting slot is not registered: nothing to probe, nothing to record
    if (!pool.probed(i)) return this.sim.q.schedule(hc.intervalMs, this.probeEv, arg);
    let ok = 0;
    let wait = hc.timeoutMs;
    if (backend.isAlive(i)) {
      const net = this.sim.net;
      const here = this.zoneOf(-1);
      const there = backend.zoneOf(i);
      const rtt =
        net.delay(here, there, this.netRng) +
        net.delay(there, here, this.netRng) +
        2 * net.extra(this.index * 65536 + backend.index) +
        hc.probeMs +
        backend.slowness();
      if (rtt <= hc.timeoutMs) {
        ok = 1;
        wait = rtt;
      }
    }
    this.sim.q.schedule(wait, this.probeResultEv, arg * 2 + ok);
    this.sim.q.schedule(hc.intervalMs, this.probeEv, arg);
  }

  private probeResult(encoded: number): void {
    const hc = this.cfg.healthCheck!;
    const arg = encoded >> 1;
    const pool = this.pools[arg >> 16];
    const i = arg & 0xffff;
    if (!pool.probed(i)) return; // stopped while the probe was out
    if ((encoded & 1) === 1) {
      pool.failStreak[i] = 0;
      if (++pool.okStreak[i] >= hc.healthyThreshold && pool.healthy[i] === 0) this.setHealth(pool, i, true);
    } else {
      pool.okStreak[i] = 0;
      if (++pool.failStreak[i] >= hc.unhealthyThreshold && pool.healthy[i] === 1)
        this.setHealth(pool, i, false);
    }
  }

  private setHealth(pool: Pool, i: number, healthy: boolean): void {
    pool.healthy[i] = healthy ? 1 : 0;
    this.healthEvents.push({ t: this.sim.now, pool: pool.cfg.name, instance: i, healthy });
  }

  report(now: number): ComponentReport {
    return {
      kind: this.kind,
      layer: this.cfg.layer,
      algorithm: this.cfg.algorithm,
      utilization: now > 0 ? this.busyMs / (now * this.cfg.workers) : 0,
      requests: this.requests,
      noHealthyBackend: this.noBackend,
      sessionsRepinned: this.repinned,
      pools: Object.fromEntries(
        this.pools.map((p) => [
          p.cfg.name,
          {
            backend: p.cfg.backend.name,
            forwarded: Array.from(p.forwarded),
            healthy: Array.from(p.healthy, (h) => h === 1),
          },
        ]),
      ),
      healthEvents: this.healthEvents,
    };
  }
}

function anyAlive(s: Station): boolean {
  for (let i = 0; i < s.instances(); i++) if (s.isAlive(i) && s.fleet.phase[i] === IN_SERVICE) return true;
  return false;
}
