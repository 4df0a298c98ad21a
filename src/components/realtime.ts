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
// Optional, for the push models: users with several linked devices, each
// its own connection that every event fans out to (RT-10; the per-user state
// below is then per connection, a user's devices being consecutive
// connection ids); client churn, where sessions end (some without a close
// frame) and come back; connection heartbeats, by which a dead connection is
// noticed only after their timeout; presence written by heartbeats with a TTL
// (RT-08, src/mechanisms/presence.ts); typing indicators (RT-09).
// For any model: conversations (CR-09, src/mechanisms/conversation-order.ts),
// where an event published for a user is a message it sends to its
// conversation, fanned out to the other members and ordered on their screens
// by a server sequence or by the sender's (skewed) clock.
//
// Every scheduled message carries the connection's generation, bumped
// when a connection breaks, so whatever was on its way over a broken
// connection is ignored. Messages live in a pool of typed-array slots: no
// allocation per event or per request.
import type { Rng } from "../kernel/rng.js";
import { type BackoffConfig, backoffDelay } from "../mechanisms/backoff.js";
import { type BalancerAlgorithm, type BackendView, createBalancer } from "../mechanisms/balancing.js";
import { ConnectionRegistry } from "../mechanisms/connection-registry.js";
import { ConversationOrder, type Ordering } from "../mechanisms/conversation-order.js";
import { Mailboxes } from "../mechanisms/mailboxes.js";
import { PresenceStore } from "../mechanisms/presence.js";
import { LatencyRecorder } from "../metrics/latency.js";
import { TimeWeighted } from "../metrics/time-weighted.js";
import type { Job } from "./job.js";
import { Component, type ComponentReport, type Sim } from "./runtime.js";
import { grown } from "../kernel/typed-arrays.js";
import { fmix32, hashString } from "../kernel/rng.js";

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
  /** push models: shares of users with 1, 2, ... linked devices (null: one each) */
  devices: number[] | null;
  churn: ChurnConfig | null;
  heartbeat: HeartbeatConfig | null;
  presence: PresenceConfig | null;
  typing: TypingConfig | null;
  conversations: ConversationConfig | null;
}

/** Events are messages a user sends to its conversation (CR-09). */
export interface ConversationConfig {
  /** users per conversation, consecutive ids */
  members: number;
  ordering: Ordering;
  /** each user's clock is off by a fixed amount uniform in [-skewMs, skewMs] */
  skewMs: number;
}

/** Sessions that end and come back, per device connection. */
export interface ChurnConfig {
  /** mean length of an online session (exponential) */
  sessionMs: number;
  /** mean time away before coming back (exponential) */
  awayMs: number;
  /** share of sessions that end with no close frame (the client vanishes) */
  ungraceful: number;
}

/** Connection keepalives: a connection silent for `timeoutMs` since its last heartbeat is declared dead. */
export interface HeartbeatConfig {
  intervalMs: number;
  timeoutMs: number;
}

export interface PresenceTier {
  name?: string;
  intervalMs: number;
  ttlMs: number;
  /** share of device connections in this tier */
  share: number;
}

export interface PresenceConfig {
  tiers: PresenceTier[];
  /** global: a user's audience is every user; otherwise the users of its channel */
  global: boolean;
  channelSize: number;
  /** push: changes are pushed to the online audience; poll: every heartbeat reads the audience's statuses */
  fanout: "push" | "poll";
  /** a dead instance's users are marked offline at once, rather than by TTL */
  bulkOffline: boolean;
}

export interface TypingConfig {
  /** typing bursts per user per second (a renewal process: bursts do not overlap) */
  burstsPerSec: number;
  durationMs: number;
  /** keystrokes per second within a burst (Poisson) */
  keystrokesPerSec: number;
  /** a client sends at most one typing event per this interval */
  debounceMs: number;
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
/** churn: the client has gone away (its session ended) and comes back later */
const AWAY = 6;

/** A uniform draw in [0, 1) from a hash: population traits fixed before any stream exists, whatever the seed. */
function hashUniform(name: string, salt: string, i: number): number {
  return fmix32((hashString(`${name}/${salt}`) ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0) / 4294967296;
}

/**
 * How far user `u`'s clock is ahead of true time (ms, negative: behind) in
 * gateway `name`: a trait of the user, uniform in [-skewMs, skewMs].
 */
export function clockOffset(name: string, u: number, skewMs: number): number {
  return (2 * hashUniform(name, "clock", u) - 1) * skewMs;
}

/** Linked devices of user `u` in gateway `name` with these shares (of users with 1, 2, ... devices). */
export function userDevices(name: string, u: number, shares: readonly number[]): number {
  return 1 + pickShare(shares, hashUniform(name, "devices", u));
}

/** Index of the share `x` falls into, shares taken in turn (the last takes any rounding remainder). */
function pickShare(shares: readonly number[], x: number): number {
  let acc = 0;
  for (let k = 0; k < shares.length - 1; k++) {
    acc += shares[k];
    if (x < acc) return k;
  }
  return shares.length - 1;
}

/** Scheduled messages: a pool of slots in typed arrays, addressed by index. */
class Messages {
  /** the connection a message is about (the user, for presence expiries and typing) */
  user = new Int32Array(256);
  gen = new Int32Array(256);
  /** a sequence number (deliveries), or a hold serial (timeouts) */
  seq = new Int32Array(256);
  inst = new Int32Array(256);
  /** the instance's incarnation when the request reached it */
  life = new Int32Array(256);
  /** a moment to remember (when a vanished client's connection went silent) */
  at = new Float64Array(256);
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
    this.at = grown(this.at, n);
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
  private churnRng!: Rng;
  private presenceRng!: Rng;
  private typingRng!: Rng;
  private heartbeatRng!: Rng;

  /** device connections over all users */
  readonly conns: number;
  // per user
  /** the user's connections are first[u] .. first[u + 1] - 1 */
  private readonly first: Int32Array;
  /** devices holding a live connection */
  private readonly liveDev: Int32Array;
  /** when the user's last typing event was sent (the debounce) */
  private readonly lastTyped: Float64Array;
  readonly presence: PresenceStore | null;
  /** conversations: the sequencer or the senders' clocks, and every screen's order */
  readonly order: ConversationOrder | null;

  // per connection (a user's device; one per user without devices): the
  // "user" of the comments below is a connection when users have devices
  private readonly owner: Int32Array;
  /** presence tier of each connection */
  private readonly tier: Uint8Array;
  /** the phase of the connection's keepalive heartbeats, in [0, interval) */
  private readonly hbPhase: Float64Array;
  /** churn: serial of the connection's next leave or return timer */
  private readonly sess: Int32Array;
  /** the registry names a connection the server holds but whose client is gone (not yet noticed) */
  private readonly zombie: Uint8Array;
  private readonly zombieSerial: Int32Array;
  /** event copies meant for the connection, and what became of them (the accounting invariant) */
  private readonly copiesTo: Int32Array;
  private readonly deliveredTo: Int32Array;
  private readonly lostTo: Int32Array;
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
  /** event copies: one per device of the user each event is for */
  copies = 0;
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
  private readonly churnStats = { left: 0, ungraceful: 0, returned: 0 };
  private readonly dead = { noticed: 0, pushedIntoVoid: 0, noticeMs: new LatencyRecorder() };
  private readonly pres = {
    writesByTier: [] as number[],
    connsByTier: [] as number[],
    fanout: 0,
    detectionMs: new LatencyRecorder(),
    graceful: 0,
    bulkMarked: 0,
  };
  readonly typing = {
    bursts: 0,
    keystrokes: 0,
    suppressed: 0,
    sent: 0,
    copies: 0,
    delivered: 0,
    dropped: 0,
  };

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
  private evLeave = -1;
  private evReturn = -1;
  private evNotice = -1;
  private evBeat = -1;
  private evExpire = -1;
  private evBurst = -1;
  private evTypingSend = -1;
  private evTypingDeliver = -1;

  /** the connection whose events `takeUpTo` is delivering (or `append` may drop) */
  private delivering = -1;
  private readonly onDelivered = (time: number, tag: number, key: number): void => {
    const now = this.sim.now;
    this.delivered++;
    this.deliveredTo[this.delivering]++;
    this.latency.record(now - time);
    if (tag !== this.connNo[this.delivering]) this.redelivered++;
    this.order?.show(this.delivering, key);
  };
  private readonly onDropped = (): void => {
    this.lose(this.delivering, 1);
  };
  private readonly rand = (): number => this.rng.next();

  constructor(name: string, cfg: RealtimeConfig) {
    super(name);
    this.cfg = cfg;
    this.polling = cfg.model === "short-poll" || cfg.model === "long-poll";
    this.push = !this.polling;
    const users = cfg.clients;
    const k = cfg.instances;
    this.first = new Int32Array(users + 1);
    for (let u = 0; u < users; u++)
      this.first[u + 1] = this.first[u] + (cfg.devices ? userDevices(name, u, cfg.devices) : 1);
    const n = this.first[users];
    this.conns = n;
    this.owner = new Int32Array(n);
    for (let u = 0; u < users; u++) this.owner.fill(u, this.first[u], this.first[u + 1]);
    this.liveDev = new Int32Array(users);
    this.lastTyped = new Float64Array(cfg.typing ? users : 0).fill(-Infinity);
    const p = cfg.presence;
    this.presence = p ? new PresenceStore(users, p.global ? users : p.channelSize) : null;
    this.tier = new Uint8Array(p ? n : 0);
    if (p) {
      const shares = p.tiers.map((t) => t.share);
      this.pres.writesByTier = p.tiers.map(() => 0);
      this.pres.connsByTier = p.tiers.map(() => 0);
      for (let c = 0; c < n; c++) {
        this.tier[c] = pickShare(shares, hashUniform(name, "tier", c));
        this.pres.connsByTier[this.tier[c]]++;
      }
    }
    const conv = cfg.conversations;
    this.order = conv
      ? new ConversationOrder(
          users,
          conv.members,
          conv.ordering,
          Float64Array.from({ length: users }, (_, u) => clockOffset(name, u, conv.skewMs)),
          n,
        )
      : null;
    this.hbPhase = new Float64Array(cfg.heartbeat ? n : 0);
    this.sess = new Int32Array(n);
    this.zombie = new Uint8Array(n);
    this.zombieSerial = new Int32Array(n);
    this.copiesTo = new Int32Array(n);
    this.deliveredTo = new Int32Array(n);
    this.lostTo = new Int32Array(n);
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
    this.churnRng = sim.stream(`${this.name}/churn`);
    this.presenceRng = sim.stream(`${this.name}/presence`);
    this.typingRng = sim.stream(`${this.name}/typing`);
    this.heartbeatRng = sim.stream(`${this.name}/heartbeat`);
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
    this.evLeave = q.on((m) => this.leaveFires(m));
    this.evReturn = q.on((m) => this.returnFires(m));
    this.evNotice = q.on((m) => this.deadNoticed(m));
    this.evBeat = q.on((m) => this.presenceBeat(m));
    this.evExpire = q.on((m) => this.presenceExpires(m));
    this.evBurst = q.on((m) => this.typingBurst(m));
    this.evTypingSend = q.on((m) => this.typingSend(m));
    this.evTypingDeliver = q.on((m) => this.typingArrives(m));
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
    const churn = cfg.churn;
    // keepalive phases are set once: a connection's heartbeats keep their rhythm across reconnections
    if (cfg.heartbeat)
      for (let c = 0; c < this.conns; c++)
        this.hbPhase[c] = this.heartbeatRng.next() * cfg.heartbeat.intervalMs;
    for (let c = 0; c < this.conns; c++) {
      if (churn) {
        // in steady state a device is online a share session / (session + away) of the time
        if (this.churnRng.next() * (churn.sessionMs + churn.awayMs) >= churn.sessionMs) {
          this.st[c] = AWAY;
          this.scheduleChurn(c, this.evReturn, churn.awayMs);
          continue;
        }
        this.scheduleChurn(c, this.evLeave, churn.sessionMs);
      }
      const i = this.balancer.pick(this.view, c, this.rand);
      // short polls hold a connection only while they are being answered
      if (i < 0 || (cfg.model !== "short-poll" && this.placed[i] >= cfg.capacity)) {
        this.attemptConnect(c);
        continue;
      }
      this.placed[i]++;
      this.cur[c] = i;
      this.registry.register(c, i);
      this.connNo[c] = 1;
      this.everConnected[c] = 1;
      if (cfg.model === "short-poll") {
        this.st[c] = CONNECTED;
        const m = this.msg.alloc(c, 0, i);
        this.sim.q.at(now + this.rng.next() * cfg.intervalMs, this.evPoll, m);
      } else if (cfg.model === "long-poll") {
        this.st[c] = HELD;
        this.setOpen(i, 1);
        const m = this.msg.alloc(c, 0, i);
        this.msg.seq[m] = ++this.holdSerial[c];
        this.sim.q.at(now + this.rng.next() * cfg.holdMs, this.evTimeout, m);
      } else {
        this.st[c] = CONNECTED;
        this.setOpen(i, 1);
        this.deviceUp(c, true);
      }
    }
    this.initialUpdates = this.registry.updates;
    if (cfg.eventsPerUser > 0) this.scheduleSource(now);
    if (cfg.typing)
      for (let u = 0; u < cfg.clients; u++) {
        const m = this.msg.alloc(u, 0, -1);
        this.sim.q.at(now + this.exp(this.typingRng, 1000 / cfg.typing.burstsPerSec), this.evBurst, m);
      }
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
    this.published++;
    const O = this.order;
    if (O) {
      // a message from u to its conversation: stamped once, a copy to each device of every other member
      const key = O.stamp(u, this.sim.now);
      const conv = O.conversationOf(u);
      for (let v = O.first(conv); v < O.end(conv); v++) {
        if (v === u) continue;
        for (let c = this.first[v]; c < this.first[v + 1]; c++) {
          this.copies++;
          this.copiesTo[c]++;
          this.publishTo(c, fromZone, key);
        }
      }
      return;
    }
    // every event fans out to each of the user's devices: a copy per connection
    for (let c = this.first[u]; c < this.first[u + 1]; c++) {
      this.copies++;
      this.copiesTo[c]++;
      this.publishTo(c, fromZone);
    }
  }

  private publishTo(c: number, fromZone: number, key = 0): void {
    const now = this.sim.now;
    const target = this.registry.lookup(c);
    const live = target >= 0 && this.alive[target] === 1;
    if (target >= 0 && !live) this.staleRoutes++;
    // the registry still names a connection whose client vanished: the push goes into the void
    if (live && this.zombie[c] === 1) this.dead.pushedIntoVoid++;
    const reachable = live && this.cur[c] === target;
    const connected = reachable && this.st[c] !== OFFLINE && this.st[c] !== CONNECTING;
    if (this.cfg.offlineStore) this.append(c, connected, key);
    else if (live) this.append(c, connected, key);
    else {
      // nowhere to keep it: fire and forget
      this.lose(c, 1);
      return;
    }
    if (!connected) return;
    if (this.push) {
      if (this.st[c] !== CONNECTED) return;
      const m = this.msg.alloc(c, this.gen[c], target);
      this.msg.seq[m] = this.mail.newest(c);
      const at = now + this.hop(fromZone, target) + this.oneWay(target);
      this.sim.q.at(this.inOrder(c, at), this.evDeliver, m);
    } else if (this.cfg.model === "long-poll" && this.st[c] === HELD) {
      this.st[c] = WAKING;
      const m = this.msg.alloc(c, this.gen[c], target);
      this.sim.q.schedule(this.hop(fromZone, target), this.evWake, m);
    }
  }

  private append(c: number, connected: boolean, key: number): void {
    this.delivering = c;
    this.mail.append(c, this.sim.now, connected ? this.connNo[c] : -1, this.onDropped, key);
  }

  // ---------- connecting ----------

  /** The client sends a connection attempt (a handshake, or for polling its first poll) via the balancer. */
  private attemptConnect(c: number): void {
    this.attempts++;
    const i = this.balancer.pick(this.view, c, this.rand);
    if (i < 0) {
      // no instance to connect to: the balancer answers at once
      this.refused++;
      return this.backOff(c, 0);
    }
    this.placed[i]++;
    this.cur[c] = i;
    this.st[c] = CONNECTING;
    const m = this.msg.alloc(c, this.gen[c], i);
    this.sim.q.schedule(this.oneWay(i), this.evArrive, m);
    if (this.cfg.model === "short-poll") {
      const t = this.msg.alloc(c, this.gen[c], i);
      this.sim.q.schedule(this.cfg.intervalMs, this.evPoll, t);
    }
  }

  /** Waits out the backoff before the next attempt; `after` is the time until the client learns it must. */
  private backOff(c: number, after: number): void {
    const retry = ++this.attempt[c];
    const wait = backoffDelay(this.cfg.reconnect, retry, this.lastWait[c], this.reconnectRng.next());
    this.lastWait[c] = wait;
    const m = this.msg.alloc(c, this.gen[c], -1);
    this.sim.q.schedule(after + wait, this.evReconnect, m);
  }

  private reconnectFires(m: number): void {
    const c = this.msg.user[m];
    const stale = this.msg.gen[m] !== this.gen[c];
    this.msg.release(m);
    if (!stale) this.attemptConnect(c);
  }

  /**
   * The client's session is gone (its connection broke, or its request was
   * refused): whatever is on its way for it is void, and it reconnects
   * after its backoff, `after` ms from now being when it learns of it.
   */
  private drop(c: number, after: number): void {
    const i = this.cur[c];
    const s = this.st[c];
    if (s !== OFFLINE && s !== CONNECTING) this.disconnected++;
    if (this.push && s === CONNECTED) this.deviceDown(c, false);
    if (i >= 0) this.placed[i]--;
    this.cur[c] = -1;
    this.st[c] = OFFLINE;
    this.gen[c]++;
    this.lastAt[c] = 0;
    if (this.lostAt[c] < 0 && this.everConnected[c] === 1) this.lostAt[c] = this.sim.now;
    this.backOff(c, after);
  }

  /** A request refused by its instance (dead, or full): the client hears of it after one trip back. */
  private refuse(c: number, i: number): void {
    this.refused++;
    this.drop(c, this.oneWay(i));
  }

  /** A connection attempt got through: the session is registered here. */
  private connected(c: number, i: number): void {
    const now = this.sim.now;
    if (!this.cfg.offlineStore && this.registry.lookup(c) !== i) this.lose(c, this.mail.clear(c));
    this.registry.register(c, i);
    this.zombie[c] = 0;
    this.connNo[c]++;
    this.connects++;
    if (this.everConnected[c] === 1 && this.lostAt[c] >= 0) {
      this.reconnected++;
      this.reconnectTime.record(now - this.lostAt[c]);
    }
    this.lostAt[c] = -1;
    this.everConnected[c] = 1;
    this.attempt[c] = 0;
    this.lastWait[c] = 0;
  }

  // ---------- requests at the server ----------

  /** A connection attempt or a poll reaches its instance. */
  private requestArrives(m: number): void {
    const M = this.msg;
    const c = M.user[m];
    const i = M.inst[m];
    if (M.gen[m] !== this.gen[c]) return M.release(m);
    this.requests++;
    if (this.alive[i] === 0 || this.open[i] >= this.cfg.capacity) {
      M.release(m);
      return this.refuse(c, i);
    }
    if (this.st[c] === CONNECTING) this.connected(c, i);
    // a short-poll session whose instance came back before the client noticed it had gone
    else this.lostAt[c] = -1;
    this.setOpen(i, 1);
    if (this.push) {
      // the connection stays open; what waited in the mailbox follows the handshake
      M.release(m);
      this.st[c] = CONNECTED;
      this.deviceUp(c, false);
      if (this.mail.count(c) > 0) this.send(c, i, this.mail.newest(c), this.requestTime());
      return;
    }
    this.st[c] = PROCESSING;
    M.life[m] = this.life[i];
    const t = this.requestTime();
    if (t > 0) this.sim.q.schedule(t, this.evAnswer, m);
    else this.answer(m);
  }

  /** A poll has been worked on: answered with what waits, or (long-poll, nothing waits) held. */
  private answer(m: number): void {
    const M = this.msg;
    const c = M.user[m];
    const i = M.inst[m];
    // the instance died while working on it: the client's connection was reset
    if (M.life[m] !== this.life[i]) {
      const current = M.gen[m] === this.gen[c];
      M.release(m);
      if (current) this.refuse(c, i);
      return;
    }
    if (M.gen[m] !== this.gen[c]) return M.release(m);
    if (this.cfg.model === "long-poll" && this.mail.count(c) === 0) {
      this.st[c] = HELD;
      M.seq[m] = ++this.holdSerial[c];
      this.sim.q.schedule(this.cfg.holdMs, this.evTimeout, m);
      return;
    }
    M.release(m);
    this.respond(c, i, 0);
  }

  /** The instance answers the request it holds for `c` with everything waiting (or nothing), `delay` ms from now. */
  private respond(c: number, i: number, delay: number): void {
    this.setOpen(i, -1);
    this.st[c] = CONNECTED;
    const seq = this.mail.newest(c);
    if (seq < 0) this.empty++;
    this.send(c, i, seq, delay);
  }

  /** Sends everything up to `seq` to the client over its connection (seq -1: an empty answer). */
  private send(c: number, i: number, seq: number, delay: number): void {
    const m = this.msg.alloc(c, this.gen[c], i);
    this.msg.seq[m] = seq;
    this.sim.q.at(this.inOrder(c, this.sim.now + delay + this.oneWay(i)), this.evDeliver, m);
  }

  private holdExpires(m: number): void {
    const M = this.msg;
    const c = M.user[m];
    const current = M.gen[m] === this.gen[c] && this.st[c] === HELD && M.seq[m] === this.holdSerial[c];
    const i = M.inst[m];
    M.release(m);
    if (current) this.respond(c, i, 0);
  }

  /** An event reached the instance holding the user's long poll: the poll is answered. */
  private wake(m: number): void {
    const M = this.msg;
    const c = M.user[m];
    const i = M.inst[m];
    const current = M.gen[m] === this.gen[c] && this.st[c] === WAKING;
    M.release(m);
    if (current) this.respond(c, i, 0);
  }

  // ---------- the client side ----------

  /** A push, an answer or a flush reaches the client. */
  private arrivesAtClient(m: number): void {
    const M = this.msg;
    const c = M.user[m];
    const seq = M.seq[m];
    const current = M.gen[m] === this.gen[c];
    if (!current) return M.release(m);
    if (seq >= 0) {
      this.delivering = c;
      this.mail.takeUpTo(c, seq, this.onDelivered);
    }
    if (this.cfg.model !== "long-poll") return M.release(m);
    // a long-poll client asks again at once, or after its pause
    if (this.cfg.pauseMs > 0) this.sim.q.schedule(this.cfg.pauseMs, this.evRepoll, m);
    else this.repoll(m);
  }

  private repoll(m: number): void {
    const M = this.msg;
    const c = M.user[m];
    if (M.gen[m] !== this.gen[c]) return M.release(m);
    const i = this.cur[c];
    M.inst[m] = i;
    this.sim.q.schedule(this.oneWay(i), this.evArrive, m);
  }

  /** A short-poll client's timer: it polls, and sets the timer for the next one. */
  private pollTimer(m: number): void {
    const M = this.msg;
    const c = M.user[m];
    if (M.gen[m] !== this.gen[c]) return M.release(m);
    this.sim.q.schedule(this.cfg.intervalMs, this.evPoll, m);
    // a reconnecting client's first poll is already on its way
    if (this.st[c] === CONNECTING) return;
    const i = this.cur[c];
    const p = M.alloc(c, this.gen[c], i);
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
      this.registry.forEachAt(instance, (c) => {
        this.lose(c, this.mail.clear(c));
      });
    const hb = this.cfg.heartbeat;
    const bulk = this.presence !== null && this.cfg.presence!.bulkOffline;
    for (let c = 0; c < this.conns; c++) {
      if (this.cur[c] !== instance) continue;
      const s = this.st[c];
      if (s === CONNECTING || s === OFFLINE) continue;
      if (this.cfg.model === "short-poll") {
        if (this.lostAt[c] < 0) this.lostAt[c] = now;
      } else {
        // with keepalives, the client notices the silence only after their timeout; without, at once (a reset)
        this.drop(c, hb ? this.noticeDelay(c) : 0);
        if (bulk) this.markOffline(this.owner[c]);
      }
    }
  }

  /** Bulk offline marking: the dead instance's per-server registry marks its users offline now. */
  private markOffline(u: number): void {
    const d = this.presence!.bulkOffline(u, this.sim.now);
    if (d < 0) return;
    this.pres.bulkMarked++;
    this.pres.detectionMs.record(d);
    this.presenceChanged(u);
  }

  override restart(instance: number): void {
    this.alive[instance] = 1;
  }

  override slow(ms: number): void {
    this.slowMs = ms;
  }

  // ---------- churn: sessions that end and come back ----------

  private scheduleChurn(c: number, ev: number, meanMs: number): void {
    const m = this.msg.alloc(c, 0, -1);
    this.msg.seq[m] = ++this.sess[c];
    this.sim.q.schedule(this.exp(this.churnRng, meanMs), ev, m);
  }

  private leaveFires(m: number): void {
    const c = this.msg.user[m];
    const current = this.msg.seq[m] === this.sess[c];
    this.msg.release(m);
    if (current) this.leave(c);
  }

  /**
   * The device's session ends. With a close frame the server forgets the
   * connection at once; without one (the app killed, the network gone) it
   * holds it, and the registry names it, until the keepalive timeout: events
   * pushed meanwhile go into the void, kept for later by an offline store or
   * lost with the instance's buffer when the death is noticed.
   */
  private leave(c: number): void {
    const churn = this.cfg.churn!;
    const i = this.cur[c];
    const s = this.st[c];
    const graceful = this.churnRng.next() >= churn.ungraceful;
    this.churnStats.left++;
    if (!graceful) this.churnStats.ungraceful++;
    if (s === CONNECTED) {
      if (graceful) {
        this.registry.remove(c);
        this.setOpen(i, -1);
        if (!this.cfg.offlineStore) this.lose(c, this.mail.clear(c));
      } else {
        this.zombie[c] = 1;
        const n = this.msg.alloc(c, 0, i);
        this.msg.seq[n] = ++this.zombieSerial[c];
        this.msg.life[n] = this.life[i];
        // when it vanished, for the notice delay
        this.msg.at[n] = this.sim.now;
        this.sim.q.schedule(this.noticeDelay(c), this.evNotice, n);
      }
      this.deviceDown(c, graceful);
    }
    if (i >= 0) this.placed[i]--;
    this.cur[c] = -1;
    this.st[c] = AWAY;
    this.gen[c]++;
    this.lastAt[c] = 0;
    this.lostAt[c] = -1;
    this.attempt[c] = 0;
    this.lastWait[c] = 0;
    this.scheduleChurn(c, this.evReturn, churn.awayMs);
  }

  private returnFires(m: number): void {
    const c = this.msg.user[m];
    const current = this.msg.seq[m] === this.sess[c] && this.st[c] === AWAY;
    this.msg.release(m);
    if (!current) return;
    this.churnStats.returned++;
    this.st[c] = OFFLINE;
    this.scheduleChurn(c, this.evLeave, this.cfg.churn!.sessionMs);
    this.attemptConnect(c);
  }

  /** The server's keepalive timeout ran out on a connection whose client vanished: it is closed. */
  private deadNoticed(m: number): void {
    const M = this.msg;
    const c = M.user[m];
    const i = M.inst[m];
    // a crash of its instance closed it already
    if (M.life[m] === this.life[i]) {
      this.setOpen(i, -1);
      this.dead.noticed++;
      this.dead.noticeMs.record(this.sim.now - M.at[m]);
    }
    if (M.seq[m] === this.zombieSerial[c] && this.zombie[c] === 1) {
      this.zombie[c] = 0;
      this.registry.remove(c);
      if (!this.cfg.offlineStore) this.lose(c, this.mail.clear(c));
    }
    M.release(m);
  }

  /**
   * Time from now until a keepalive timeout runs out for connection `c`: the
   * timeout counted from its last heartbeat (beats at phase + k x interval).
   */
  private noticeDelay(c: number): number {
    const hb = this.cfg.heartbeat!;
    const since = (((this.sim.now - this.hbPhase[c]) % hb.intervalMs) + hb.intervalMs) % hb.intervalMs;
    return hb.timeoutMs - since;
  }

  // ---------- presence ----------

  /** A device's connection is up (`initial`: at the start, in steady state); presence is written at once. */
  private deviceUp(c: number, initial: boolean): void {
    const u = this.owner[c];
    this.liveDev[u]++;
    const P = this.presence;
    if (!P) return;
    const now = this.sim.now;
    P.deviceUp(u, now);
    const t = this.cfg.presence!.tiers[this.tier[c]];
    const m = this.msg.alloc(c, this.gen[c], this.cur[c]);
    if (initial) {
      // its last heartbeat was a uniform part of an interval ago
      const age = this.presenceRng.next() * t.intervalMs;
      P.seed(u, now - age, t.ttlMs);
      this.sim.q.at(now + t.intervalMs - age, this.evBeat, m);
    } else this.presenceBeat(m);
  }

  private deviceDown(c: number, graceful: boolean): void {
    const u = this.owner[c];
    this.liveDev[u]--;
    const P = this.presence;
    if (!P) return;
    const now = this.sim.now;
    if (P.deviceDown(u, now, graceful)) {
      this.pres.graceful++;
      this.presenceChanged(u);
    } else if (this.liveDev[u] === 0 && P.shownOnline(u, now)) {
      // the dot stays green until the entry expires: look again then
      const m = this.msg.alloc(u, 0, -1);
      this.sim.q.at(P.expiresAt(u), this.evExpire, m);
    }
  }

  /** A device's presence heartbeat: the entry is written for its tier's TTL, and the next one is set. */
  private presenceBeat(m: number): void {
    const M = this.msg;
    const c = M.user[m];
    if (M.gen[m] !== this.gen[c] || this.st[c] !== CONNECTED) return M.release(m);
    const p = this.cfg.presence!;
    const k = this.tier[c];
    const t = p.tiers[k];
    const u = this.owner[c];
    this.pres.writesByTier[k]++;
    if (this.presence!.write(u, this.sim.now, t.ttlMs)) this.presenceChanged(u);
    // polling: the heartbeat's answer carries the status of everyone in the user's audience
    if (p.fanout === "poll") this.pres.fanout += this.presence!.audience(u, p.global);
    this.sim.q.schedule(t.intervalMs, this.evBeat, m);
  }

  private presenceExpires(m: number): void {
    const u = this.msg.user[m];
    this.msg.release(m);
    const d = this.presence!.expire(u, this.sim.now);
    if (d < 0) return;
    this.pres.detectionMs.record(d);
    this.presenceChanged(u);
  }

  /** Pushed fan-out: a change reaches every online member of the user's audience. */
  private presenceChanged(u: number): void {
    const p = this.cfg.presence!;
    if (p.fanout === "push") this.pres.fanout += this.presence!.onlineAudience(u, p.global);
  }

  // ---------- typing indicators ----------

  /**
   * A user types for a while (if a device of theirs is connected) to one
   * other user. Keystrokes come as a Poisson stream; the client sends a
   * typing event for one only if none was sent in the last `debounce`. The
   * sends are scheduled now: the debounce needs nothing but the user's own
   * keystrokes, and bursts of one user never overlap.
   */
  private typingBurst(m: number): void {
    const T = this.cfg.typing!;
    const R = this.typingRng;
    const u = this.msg.user[m];
    const now = this.sim.now;
    const end = now + T.durationMs;
    const users = this.cfg.clients;
    if (this.liveDev[u] > 0 && users > 1) {
      this.typing.bursts++;
      let to = R.int(users - 1);
      if (to >= u) to++;
      for (
        let x = now + this.exp(R, 1000 / T.keystrokesPerSec);
        x < end;
        x += this.exp(R, 1000 / T.keystrokesPerSec)
      ) {
        this.typing.keystrokes++;
        if (x - this.lastTyped[u] < T.debounceMs) {
          this.typing.suppressed++;
          continue;
        }
        this.lastTyped[u] = x;
        this.typing.sent++;
        const s = this.msg.alloc(to, 0, u);
        this.sim.q.at(x, this.evTypingSend, s);
      }
    }
    this.sim.q.at(end + this.exp(R, 1000 / T.burstsPerSec), this.evBurst, m);
  }

  /** A typing event leaves the sender's device: best effort to each device of the recipient, never stored. */
  private typingSend(m: number): void {
    const M = this.msg;
    const to = M.user[m];
    const from = M.inst[m];
    M.release(m);
    let via = -1;
    for (let c = this.first[from]; c < this.first[from + 1] && via < 0; c++)
      if (this.st[c] === CONNECTED) via = c;
    for (let c = this.first[to]; c < this.first[to + 1]; c++) {
      this.typing.copies++;
      const i = this.cur[c];
      if (via < 0 || this.st[c] !== CONNECTED || this.alive[i] === 0) {
        this.typing.dropped++;
        continue;
      }
      const j = this.cur[via];
      const d = this.msg.alloc(c, this.gen[c], i);
      this.sim.q.schedule(
        this.oneWay(j) + this.hop(this.zoneOf(j), i) + this.oneWay(i),
        this.evTypingDeliver,
        d,
      );
    }
  }

  private typingArrives(m: number): void {
    const c = this.msg.user[m];
    if (this.msg.gen[m] === this.gen[c]) this.typing.delivered++;
    else this.typing.dropped++;
    this.msg.release(m);
  }

  // ---------- helpers ----------

  private lose(c: number, n: number): void {
    this.lost += n;
    this.lostTo[c] += n;
  }

  private exp(rng: Rng, meanMs: number): number {
    return -Math.log(1 - rng.next()) * meanMs;
  }

  /** One device's accounting: copies meant for it, delivered, lost, still waiting or on their way. */
  accounting(c: number): { copies: number; delivered: number; lost: number; pending: number } {
    return {
      copies: this.copiesTo[c],
      delivered: this.deliveredTo[c],
      lost: this.lostTo[c],
      pending: this.mail.count(c),
    };
  }

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
  private inOrder(c: number, at: number): number {
    const t = at > this.lastAt[c] ? at : this.lastAt[c];
    this.lastAt[c] = t;
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
        copies: this.copies,
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
      ...this.extraReport(now),
    };
  }

  /** The optional sections: only for the mechanisms the design turned on. */
  private extraReport(now: number): Record<string, unknown> {
    const cfg = this.cfg;
    const out: Record<string, unknown> = {};
    const seconds = now / 1000;
    const perSecond = (x: number) => (seconds > 0 ? x / seconds : 0);
    if (cfg.devices) {
      const byCount = cfg.devices.map(() => 0);
      for (let u = 0; u < cfg.clients; u++) byCount[this.first[u + 1] - this.first[u] - 1]++;
      let online = 0;
      for (let c = 0; c < this.conns; c++) if (this.st[c] === CONNECTED) online++;
      out.devices = {
        connections: this.conns,
        meanPerUser: this.conns / cfg.clients,
        usersByCount: byCount,
        connected: online,
      };
    }
    if (cfg.churn)
      out.churn = {
        sessionsEnded: this.churnStats.left,
        ungraceful: this.churnStats.ungraceful,
        returned: this.churnStats.returned,
      };
    if (cfg.heartbeat)
      out.heartbeats = {
        deadConnectionsNoticed: this.dead.noticed,
        pushedIntoVoid: this.dead.pushedIntoVoid,
        noticeDelayMs: this.dead.noticeMs.summary(),
      };
    const P = this.presence;
    const p = cfg.presence;
    if (P && p) {
      const writes = this.pres.writesByTier.reduce((a, b) => a + b, 0);
      out.presence = {
        writes,
        writesPerSecond: perSecond(writes),
        byTier: p.tiers.map((t, k) => ({
          name: t.name ?? null,
          intervalMs: t.intervalMs,
          ttlMs: t.ttlMs,
          share: t.share,
          connections: this.pres.connsByTier[k],
          writes: this.pres.writesByTier[k],
        })),
        wentOnline: P.wentOnline,
        wentOffline: P.wentOffline,
        gracefulOffline: this.pres.graceful,
        bulkMarked: this.pres.bulkMarked,
        offlineDetectionMs: this.pres.detectionMs.summary(),
        staleUserSeconds: P.staleMs(now) / 1000,
        onlineUsers: P.onlineUsers,
        fanout: {
          mode: p.fanout,
          scope: p.global ? "global" : "channel",
          messages: this.pres.fanout,
          perSecond: perSecond(this.pres.fanout),
        },
      };
    }
    if (cfg.typing) {
      const t = this.typing;
      out.typing = { ...t, inFlight: t.copies - t.delivered - t.dropped };
    }
    const O = this.order;
    if (O)
      out.conversations = {
        ordering: O.ordering,
        members: O.members,
        count: O.conversations,
        clockSkewMs: cfg.conversations!.skewMs,
        messages: O.stamped,
        deliveries: O.delivered,
        outOfOrder: O.outOfOrder,
        outOfOrderShare: O.delivered > 0 ? O.outOfOrder / O.delivered : 0,
      };
    return out;
  }
}
