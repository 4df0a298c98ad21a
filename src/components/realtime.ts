// A real-time gateway: instances that keep a population of clients up to date
// with events published for them, by one of four connection models.
//
// - short-poll: every client asks at a fixed interval; each ask is a request,
//   answered at once with whatever waits (often nothing).
// - long-poll: every client keeps one request held at its instance; an event
//   answers it, and so does a timeout (empty); the client asks again at once.
// - sse, websocket: every client holds one open connection; events are
//   pushed down it, with no request per event.
//
// A balancer places each client's session (its connection, or for polling the
// sticky session its requests go to) on an instance; the connection registry
// (user -> instance) tells the publisher where to send. When an instance
// dies, the clients connected to it lose their connection at once (short-poll
// clients find out at their next poll), back off with jitter and reconnect
// elsewhere: a reconnect storm. Events wait in per-user mailboxes: without an
// offline store a mailbox lives in the memory of the instance the user is
// registered at (lost with it, and events for users nowhere are dropped);
// with one, they survive and are delivered after reconnecting.
//
// Every scheduled message carries the user's connection generation, bumped
// when a connection breaks, so whatever was on its way over a broken
// connection is ignored. Messages live in a pool of typed-array slots: no
// allocation per event or per request.
import type { Rng } from "../kernel/rng.js";
import { type BackoffConfig, backoffDelay } from "../mechanisms/backoff.js";
import { type BalancerAlgorithm, type BackendView, createBalancer } from "../mechanisms/balancing.js";
import { ConnectionRegistry } from "../mechanisms/connection-registry.js";
import { Mailboxes } from "../mechanisms/mailboxes.js";
import { LatencyRecorder } from "../metrics/latency.js";
import { TimeWeighted } from "../metrics/time-weighted.js";
import type { Job } from "./job.js";
import { Component, type ComponentReport, type Sim } from "./runtime.js";
import { grown } from "../kernel/typed-arrays.js";

export const REALTIME_MODELS = ["short-poll", "long-poll", "sse", "websocket"] as const;
export type RealtimeModel = (typeof REALTIME_MODELS)[number];

/** Balancing policies that make sense for placing sessions (no weights, no latency feedback). */
export const REALTIME_BALANCERS = [
  "least-connections",
  "round-robin",
  "random",
  "power-of-two",
  "ip-hash",
  "consistent-hash",
  "rendezvous",
] as const satisfies readonly BalancerAlgorithm[];
export type RealtimeBalancer = (typeof REALTIME_BALANCERS)[number];

export interface RealtimeConfig {
  model: RealtimeModel;
  /** connected users, ids 0..clients-1 */
  clients: number;
  instances: number;
  /** connections one instance holds at most (open connections, held or in-progress requests) */
  capacity: number;
  memoryPerConnection: number;
  /** short-poll: time between a client's polls */
  intervalMs: number;
  /** long-poll: how long a request is held before an empty answer */
  holdMs: number;
  /** long-poll: the client's pause between an answer and its next request */
  pauseMs: number;
  /** server time spent on a request (a poll, a connection handshake) before it is answered */
  requestMs: number;
  /** the gateway's own event source: events per second per user (0: none) */
  eventsPerUser: number;
  offlineStore: boolean;
  /** events one user's mailbox holds; more drop the oldest */
  maxPending: number;
  reconnect: BackoffConfig;
  balancing: RealtimeBalancer;
  /** the own event source publishes in [0, stopMs) */
  stopMs: number;
}

// client states
const OFFLINE = 0;
/** a connection attempt (the handshake, or a reconnecting client's first poll) is on its way */
const CONNECTING = 1;
/** push: connection open; polling: session established, no request at the server */
const CONNECTED = 2;
/** a request is at the server, being worked on */
const PROCESSING = 3;
/** long-poll: the request is held, waiting for an event or the timeout */
const HELD = 4;
/** long-poll: an event is on its way to the instance holding the request */
const WAKING = 5;

/** Scheduled messages: a pool of slots in typed arrays, addressed by index. */
class Messages {
  user = new Int32Array(256);
  gen = new Int32Array(256);
  /** a sequence number (deliveries), or a hold serial (timeouts) */
  seq = new Int32Array(256);
  inst = new Int32Array(256);
  /** the instance's incarnation when the request reached it */
  life = new Int32Array(256);
  private free = new Int32Array(256);
  private top = 0;
  private used = 0;
  live = 0;

  alloc(user: number, gen: number, inst: number): number {
    let m: number;
    if (this.top > 0) m = this.free[--this.top];
    else {
      if (this.used === this.user.length) this.grow();
      m = this.used++;
    }
    this.user[m] = user;
    this.gen[m] = gen;
    this.inst[m] = inst;
    this.seq[m] = -1;
    this.life[m] = 0;
    this.live++;
    return m;
  }

  release(m: number): void {
    this.free[this.top++] = m;
    this.live--;
  }

  private grow(): void {
    const n = this.user.length * 2;
    this.user = grown(this.user, n);
    this.gen = grown(this.gen, n);
    this.seq = grown(this.seq, n);
    this.inst = grown(this.inst, n);
    this.life = grown(this.life, n);
    this.free = grown(this.free, n);
  }
}

export class Realtime extends Component {
  readonly kind = "realtime";
  private readonly cfg: RealtimeConfig;
  private readonly polling: boolean;
  private readonly push: boolean;
  readonly registry: ConnectionRegistry;
  readonly mail: Mailboxes;
  private readonly msg = new Messages();
  private readonly balancer;
  private readonly view: BackendView;
  private reconnectRng!: Rng;
  private sourceRng!: Rng;

  // per user
  private readonly st: Uint8Array;
  private readonly gen: Int32Array;
  /** the instance of the user's session or connection attempt, -1 when offline */
  private readonly cur: Int32Array;
  /** connections the user has made so far: the tag of events published during each */
  private readonly connNo: Int32Array;
  private readonly everConnected: Uint8Array;
  /** when the user lost its last session (-1: has one, or never had one) */
  private readonly lostAt: Float64Array;
  private readonly attempt: Int32Array;
  private readonly lastWait: Float64Array;
  /** the latest arrival scheduled on the user's connection: messages keep their order */
  private readonly lastAt: Float64Array;
  private readonly holdSerial: Int32Array;

  // per instance
  private readonly alive: Uint8Array;
  private readonly life: Int32Array;
  /** sessions the balancer has placed on each instance (connection attempts included) */
  private readonly placed: Int32Array;
  /** connections held now */
  private readonly open: Int32Array;
  private readonly openTW: TimeWeighted[];
  private readonly totalTW = new TimeWeighted();
  private slowMs = 0;

  // measurements
  private readonly latency = new LatencyRecorder();
  private readonly reconnectTime = new LatencyRecorder();
  published = 0;
  delivered = 0;
  redelivered = 0;
  lost = 0;
  private requests = 0;
  private empty = 0;
  private refused = 0;
  private staleRoutes = 0;
  private disconnected = 0;
  private attempts = 0;
  private reconnected = 0;
  private initialUpdates = 0;
  private series = {
    connections: [] as number[],
    requests: [] as number[],
    connects: [] as number[],
    delivered: [] as number[],
  };
  private atTick = { requests: 0, connects: 0, delivered: 0 };
  private connects = 0;

  // events
  private evPublish = -1;
  private evReconnect = -1;
  private evArrive = -1;
  private evAnswer = -1;
  private evTimeout = -1;
  private evWake = -1;
  private evDeliver = -1;
  private evPoll = -1;
  private evRepoll = -1;

  /** the user whose events `takeUpTo` is delivering */
  private delivering = -1;
  private readonly onDelivered = (time: number, tag: number): void => {
    const now = this.sim.now;
    this.delivered++;
    this.latency.record(now - time);
    if (tag !== this.connNo[this.delivering]) this.redelivered++;
  };
  private readonly onDropped = (): void => {
    this.lost++;
  };
  private readonly rand = (): number => this.rng.next();

  constructor(name: string, cfg: RealtimeConfig) {
    super(name);
    this.cfg = cfg;
    this.polling = cfg.model === "short-poll" || cfg.model === "long-poll";
    this.push = !this.polling;
    const n = cfg.clients;
    const k = cfg.instances;
    this.registry = new ConnectionRegistry(n, k);
    this.mail = new Mailboxes(n, cfg.maxPending);
    this.st = new Uint8Array(n);
    this.gen = new Int32Array(n);
    this.cur = new Int32Array(n).fill(-1);
    this.connNo = new Int32Array(n);
    this.everConnected = new Uint8Array(n);
    this.lostAt = new Float64Array(n).fill(-1);
    this.attempt = new Int32Array(n);
    this.lastWait = new Float64Array(n);
    this.lastAt = new Float64Array(n);
    this.holdSerial = new Int32Array(n);
    this.alive = new Uint8Array(k).fill(1);
    this.life = new Int32Array(k);
    this.placed = new Int32Array(k);
    this.open = new Int32Array(k);
    this.openTW = Array.from({ length: k }, () => new TimeWeighted());
    this.balancer = createBalancer(cfg.balancing, { count: k });
    const placed = this.placed;
    const alive = this.alive;
    this.view = {
      count: k,
      usable: (i) => alive[i] === 1,
      active: (i) => placed[i],
      weight: () => 1,
      latency: () => 0,
    };
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.reconnectRng = sim.stream(`${this.name}/reconnect`);
    this.sourceRng = sim.stream(`${this.name}/events`);
    const q = sim.q;
    this.evPublish = q.on(() => this.sourceFires());
    this.evReconnect = q.on((m) => this.reconnectFires(m));
    this.evArrive = q.on((m) => this.requestArrives(m));
    this.evAnswer = q.on((m) => this.answer(m));
    this.evTimeout = q.on((m) => this.holdExpires(m));
    this.evWake = q.on((m) => this.wake(m));
    this.evDeliver = q.on((m) => this.arrivesAtClient(m));
    this.evPoll = q.on((m) => this.pollTimer(m));
    this.evRepoll = q.on((m) => this.repoll(m));
  }

  override instances(): number {
    return this.cfg.instances;
  }

  accept(job: Job): void {
    throw new Error(`realtime ${this.name} takes events by publish(), not calls (job ${job.id})`);
  }

  // ---------- the start: a system already running ----------

  /**
   * The run starts in steady state: every client already holds its session
   * (as many as the instances can hold), placed by the balancer; polls and
   * held requests are spread over one interval or timeout, as they would be
   * after a while. Clients that did not fit start connecting at once.
   */
  override start(): void {
    const cfg = this.cfg;
    const now = this.sim.now;
    for (let u = 0; u < cfg.clients; u++) {
      const i = this.balancer.pick(this.view, u, this.rand);
      // short polls hold a connection only while they are being answered
      if (i < 0 || (cfg.model !== "short-poll" && this.placed[i] >= cfg.capacity)) {
        this.attemptConnect(u);
        continue;
      }
      this.placed[i]++;
      this.cur[u] = i;
      this.registry.register(u, i);
      this.connNo[u] = 1;
      this.everConnected[u] = 1;
      if (cfg.model === "short-poll") {
        this.st[u] = CONNECTED;
        const m = this.msg.alloc(u, 0, i);
        this.sim.q.at(now + this.rng.next() * cfg.intervalMs, this.evPoll, m);
      } else if (cfg.model === "long-poll") {
        this.st[u] = HELD;
        this.setOpen(i, 1);
        const m = this.msg.alloc(u, 0, i);
        this.msg.seq[m] = ++this.holdSerial[u];
        this.sim.q.at(now + this.rng.next() * cfg.holdMs, this.evTimeout, m);
      } else {
        this.st[u] = CONNECTED;
        this.setOpen(i, 1);
      }
    }
    this.initialUpdates = this.registry.updates;
    if (cfg.eventsPerUser > 0) this.scheduleSource(now);
  }

  // ---------- publishing ----------

  private scheduleSource(from: number): void {
    const rate = this.cfg.eventsPerUser * this.cfg.clients; // per second
    const t = from + (-Math.log(1 - this.sourceRng.next()) * 1000) / rate;
    if (t < this.cfg.stopMs) this.sim.q.at(t, this.evPublish, 0);
  }

  private sourceFires(): void {
    this.scheduleSource(this.sim.now);
    this.publish(this.sourceRng.int(this.cfg.clients), this.zones[0]);
  }

  /**
   * An event for user `id` (taken modulo the clients) is published from a
   * component in zone `fromZone`: it is routed by the registry to the
   * instance holding the user, after one hop over the backbone.
   */
  publish(id: number, fromZone: number): void {
    const u = id % this.cfg.clients;
    const now = this.sim.now;
    this.published++;
    const target = this.registry.lookup(u);
    const live = target >= 0 && this.alive[target] === 1;
    if (target >= 0 && !live) this.staleRoutes++;
    const reachable = live && this.cur[u] === target;
    const connected = reachable && this.st[u] !== OFFLINE && this.st[u] !== CONNECTING;
    if (this.cfg.offlineStore) this.append(u, connected);
    else if (live) this.append(u, connected);
    else {
      // nowhere to keep it: fire and forget
      this.lost++;
      return;
    }
    if (!connected) return;
    if (this.push) {
      if (this.st[u] !== CONNECTED) return;
      const m = this.msg.alloc(u, this.gen[u], target);
      this.msg.seq[m] = this.mail.newest(u);
      const at = now + this.hop(fromZone, target) + this.oneWay(target);
      this.sim.q.at(this.inOrder(u, at), this.evDeliver, m);
    } else if (this.cfg.model === "long-poll" && this.st[u] === HELD) {
      this.st[u] = WAKING;
      const m = this.msg.alloc(u, this.gen[u], target);
      this.sim.q.schedule(this.hop(fromZone, target), this.evWake, m);
    }
  }

  private append(u: number, connected: boolean): void {
    this.mail.append(u, this.sim.now, connected ? this.connNo[u] : -1, this.onDropped);
  }

  // ---------- connecting ----------

  /** The client sends a connection attempt (a handshake, or for polling its first poll) via the balancer. */
  private attemptConnect(u: number): void {
    this.attempts++;
    const i = this.balancer.pick(this.view, u, this.rand);
    if (i < 0) {
      // no instance to connect to: the balancer answers at once
      this.refused++;
      return this.backOff(u, 0);
    }
    this.placed[i]++;
    this.cur[u] = i;
    this.st[u] = CONNECTING;
    const m = this.msg.alloc(u, this.gen[u], i);
    this.sim.q.schedule(this.oneWay(i), this.evArrive, m);
    if (this.cfg.model === "short-poll") {
      const t = this.msg.alloc(u, this.gen[u], i);
      this.sim.q.schedule(this.cfg.intervalMs, this.evPoll, t);
    }
  }

  /** Waits out the backoff before the next attempt; `after` is the time until the client learns it must. */
  private backOff(u: number, after: number): void {
    const retry = ++this.attempt[u];
    const wait = backoffDelay(this.cfg.reconnect, retry, this.lastWait[u], this.reconnectRng.next());
    this.lastWait[u] = wait;
    const m = this.msg.alloc(u, this.gen[u], -1);
    this.sim.q.schedule(after + wait, this.evReconnect, m);
  }

  private reconnectFires(m: number): void {
    const u = this.msg.user[m];
    const stale = this.msg.gen[m] !== this.gen[u];
    this.msg.release(m);
    if (!stale) this.attemptConnect(u);
  }

  /**
   * The client's session is gone (its connection broke, or its request was
   * refused): whatever is on its way for it is void, and it reconnects
   * after its backoff, `after` ms from now being when it learns of it.
   */
  private drop(u: number, after: number): void {
    const i = this.cur[u];
    const s = this.st[u];
    if (s !== OFFLINE && s !== CONNECTING) this.disconnected++;
    if (i >= 0) this.placed[i]--;
    this.cur[u] = -1;
    this.st[u] = OFFLINE;
    this.gen[u]++;
    this.lastAt[u] = 0;
    if (this.lostAt[u] < 0 && this.everConnected[u] === 1) this.lostAt[u] = this.sim.now;
    this.backOff(u, after);
  }

  /** A request refused by its instance (dead, or full): the client hears of it after one trip back. */
  private refuse(u: number, i: number): void {
    this.refused++;
    this.drop(u, this.oneWay(i));
  }

  /** A connection attempt got through: the session is registered here. */
  private connected(u: number, i: number): void {
    const now = this.sim.now;
    if (!this.cfg.offlineStore && this.registry.lookup(u) !== i) this.lost += this.mail.clear(u);
    this.registry.register(u, i);
    this.connNo[u]++;
    this.connects++;
    if (this.everConnected[u] === 1 && this.lostAt[u] >= 0) {
      this.reconnected++;
      this.reconnectTime.record(now - this.lostAt[u]);
    }
    this.lostAt[u] = -1;
    this.everConnected[u] = 1;
    this.attempt[u] = 0;
    this.lastWait[u] = 0;
  }

  // ---------- requests at the server ----------

  /** A connection attempt or a poll reaches its instance. */
  private requestArrives(m: number): void {
    const M = this.msg;
    const u = M.user[m];
    const i = M.inst[m];
    if (M.gen[m] !== this.gen[u]) return M.release(m);
    this.requests++;
    if (this.alive[i] === 0 || this.open[i] >= this.cfg.capacity) {
      M.release(m);
      return this.refuse(u, i);
    }
    if (this.st[u] === CONNECTING) this.connected(u, i);
    // a short-poll session whose instance came back before the client noticed it had gone
    else this.lostAt[u] = -1;
    this.setOpen(i, 1);
    if (this.push) {
      // the connection stays open; what waited in the mailbox follows the handshake
      M.release(m);
      this.st[u] = CONNECTED;
      if (this.mail.count(u) > 0) this.send(u, i, this.mail.newest(u), this.requestTime());
      return;
    }
    this.st[u] = PROCESSING;
    M.life[m] = this.life[i];
    const t = this.requestTime();
    if (t > 0) this.sim.q.schedule(t, this.evAnswer, m);
    else this.answer(m);
  }

  /** A poll has been worked on: answered with what waits, or (long-poll, nothing waits) held. */
  private answer(m: number): void {
    const M = this.msg;
    const u = M.user[m];
    const i = M.inst[m];
    // the instance died while working on it: the client's connection was reset
    if (M.life[m] !== this.life[i]) {
      const current = M.gen[m] === this.gen[u];
      M.release(m);
      if (current) this.refuse(u, i);
      return;
    }
    if (M.gen[m] !== this.gen[u]) return M.release(m);
    if (this.cfg.model === "long-poll" && this.mail.count(u) === 0) {
      this.st[u] = HELD;
      M.seq[m] = ++this.holdSerial[u];
      this.sim.q.schedule(this.cfg.holdMs, this.evTimeout, m);
      return;
    }
    M.release(m);
    this.respond(u, i, 0);
  }

  /** The instance answers the request it holds for `u` with everything waiting (or nothing), `delay` ms from now. */
  private respond(u: number, i: number, delay: number): void {
    this.setOpen(i, -1);
    this.st[u] = CONNECTED;
    const seq = this.mail.newest(u);
    if (seq < 0) this.empty++;
    this.send(u, i, seq, delay);
  }

  /** Sends everything up to `seq` to the client over its connection (seq -1: an empty answer). */
  private send(u: number, i: number, seq: number, delay: number): void {
    const m = this.msg.alloc(u, this.gen[u], i);
    this.msg.seq[m] = seq;
    this.sim.q.at(this.inOrder(u, this.sim.now + delay + this.oneWay(i)), this.evDeliver, m);
  }

  private holdExpires(m: number): void {
    const M = this.msg;
    const u = M.user[m];
    const current = M.gen[m] === this.gen[u] && this.st[u] === HELD && M.seq[m] === this.holdSerial[u];
    const i = M.inst[m];
    M.release(m);
    if (current) this.respond(u, i, 0);
  }

  /** An event reached the instance holding the user's long poll: the poll is answered. */
  private wake(m: number): void {
    const M = this.msg;
    const u = M.user[m];
    const i = M.inst[m];
    const current = M.gen[m] === this.gen[u] && this.st[u] === WAKING;
    M.release(m);
    if (current) this.respond(u, i, 0);
  }

  // ---------- the client side ----------

  /** A push, an answer or a flush reaches the client. */
  private arrivesAtClient(m: number): void {
    const M = this.msg;
    const u = M.user[m];
    const seq = M.seq[m];
    const current = M.gen[m] === this.gen[u];
    if (!current) return M.release(m);
    if (seq >= 0) {
      this.delivering = u;
      this.mail.takeUpTo(u, seq, this.onDelivered);
    }
    if (this.cfg.model !== "long-poll") return M.release(m);
    // a long-poll client asks again at once, or after its pause
    if (this.cfg.pauseMs > 0) this.sim.q.schedule(this.cfg.pauseMs, this.evRepoll, m);
    else this.repoll(m);
  }

  private repoll(m: number): void {
    const M = this.msg;
    const u = M.user[m];
    if (M.gen[m] !== this.gen[u]) return M.release(m);
    const i = this.cur[u];
    M.inst[m] = i;
    this.sim.q.schedule(this.oneWay(i), this.evArrive, m);
  }

  /** A short-poll client's timer: it polls, and sets the timer for the next one. */
  private pollTimer(m: number): void {
    const M = this.msg;
    const u = M.user[m];
    if (M.gen[m] !== this.gen[u]) return M.release(m);
    this.sim.q.schedule(this.cfg.intervalMs, this.evPoll, m);
    // a reconnecting client's first poll is already on its way
    if (this.st[u] === CONNECTING) return;
    const i = this.cur[u];
    const p = M.alloc(u, this.gen[u], i);
    this.sim.q.schedule(this.oneWay(i), this.evArrive, p);
  }

  // ---------- faults ----------

  /**
   * An instance dies: its connections break at once, and its clients
   * reconnect after their backoff (short-poll clients hold no connection and
   * find out when their next poll is refused). Without an offline store, the
   * events waiting in its memory are lost.
   */
  override kill(instance: number): void {
    if (this.alive[instance] === 0) return;
    const now = this.sim.now;
    this.alive[instance] = 0;
    this.life[instance]++;
    this.setOpen(instance, -this.open[instance]);
    if (!this.cfg.offlineStore)
      this.registry.forEachAt(instance, (u) => {
        this.lost += this.mail.clear(u);
      });
    const n = this.cfg.clients;
    for (let u = 0; u < n; u++) {
      if (this.cur[u] !== instance) continue;
      const s = this.st[u];
      if (s === CONNECTING || s === OFFLINE) continue;
      if (this.cfg.model === "short-poll") {
        if (this.lostAt[u] < 0) this.lostAt[u] = now;
      } else this.drop(u, 0);
    }
  }

  override restart(instance: number): void {
    this.alive[instance] = 1;
  }

  override slow(ms: number): void {
    this.slowMs = ms;
  }

  // ---------- helpers ----------

  private requestTime(): number {
    return this.cfg.requestMs + this.slowMs;
  }

  private oneWay(i: number): number {
    const net = this.sim.net;
    const zone = this.zoneOf(i);
    return net.clientDelay(net.zoneRegion[this.zones[0]], zone, this.netRng);
  }

  private hop(fromZone: number, i: number): number {
    return this.sim.net.delay(fromZone, this.zoneOf(i), this.netRng);
  }

  /** Messages down one connection arrive in the order they were sent. */
  private inOrder(u: number, at: number): number {
    const t = at > this.lastAt[u] ? at : this.lastAt[u];
    this.lastAt[u] = t;
    return t;
  }

  private setOpen(i: number, delta: number): void {
    if (delta === 0) return;
    const now = this.sim.now;
    this.open[i] += delta;
    this.openTW[i].change(delta, now);
    this.totalTW.change(delta, now);
  }

  /** Messages scheduled and not yet handled (for leak checks). */
  get messagesInFlight(): number {
    return this.msg.live;
  }

  /** Connections held now, per instance. */
  connections(): number[] {
    return Array.from(this.open);
  }

  override tick(): void {
    const s = this.series;
    s.connections.push(this.totalTW.level);
    s.requests.push(this.requests - this.atTick.requests);
    s.connects.push(this.connects - this.atTick.connects);
    s.delivered.push(this.delivered - this.atTick.delivered);
    this.atTick.requests = this.requests;
    this.atTick.connects = this.connects;
    this.atTick.delivered = this.delivered;
  }

  report(now: number): ComponentReport {
    const cfg = this.cfg;
    const k = cfg.instances;
    const mean = now > 0 ? this.totalTW.integral(now) / now : 0;
    const perInstance = this.openTW.map((tw, i) => ({
      alive: this.alive[i] === 1,
      connections: this.open[i],
      meanConnections: now > 0 ? tw.integral(now) / now : 0,
      maxConnections: tw.max,
    }));
    const maxPer = perInstance.reduce((m, p) => (p.maxConnections > m ? p.maxConnections : m), 0);
    const seconds = now / 1000;
    return {
      kind: this.kind,
      model: cfg.model,
      instances: k,
      clients: cfg.clients,
      offlineStore: cfg.offlineStore,
      utilization: mean / (k * cfg.capacity),
      connections: {
        mean,
        max: this.totalTW.max,
        meanPerInstance: mean / k,
        maxPerInstance: maxPer,
        capacityPerInstance: cfg.capacity,
      },
      memory: {
        perConnectionBytes: cfg.memoryPerConnection,
        meanBytes: mean * cfg.memoryPerConnection,
        maxPerInstanceBytes: maxPer * cfg.memoryPerConnection,
      },
      requests: {
        total: this.requests,
        perSecond: seconds > 0 ? this.requests / seconds : 0,
        empty: this.empty,
        refused: this.refused,
      },
      events: {
        published: this.published,
        delivered: this.delivered,
        redelivered: this.redelivered,
        lost: this.lost,
        pending: this.mail.total,
        latencyMs: this.latency.summary(),
      },
      registry: {
        entries: this.registry.size,
        updates: this.registry.updates - this.initialUpdates,
        staleRoutes: this.staleRoutes,
      },
      reconnects: {
        disconnected: this.disconnected,
        attempts: this.attempts,
        reconnected: this.reconnected,
        peakPerSecond: this.series.connects.reduce((m, x) => (x > m ? x : m), 0),
        timeToReconnectMs: this.reconnectTime.summary(),
      },
      byInstance: perInstance,
      series: this.series,
    };
  }
}
