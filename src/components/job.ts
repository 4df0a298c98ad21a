// A job is one call from a caller to a callee: the client's request to the
// entry point, a load balancer's forward to an instance, a service's read of a
// database. Jobs are pooled and addressed by integer id so events carry ints.

export const OP_ROUTE = 0;
export const OP_READ = 1;
export const OP_WRITE = 2;
export const OP_DELETE = 3;
/** a replica applying a replicated log entry: internal work that holds a connection */
export const OP_APPLY = 4;
/** a database copying a key to its new shard during a resharding: internal work */
export const OP_MIGRATE = 5;
/** two-phase commit: lock and vote, then commit or abort, one key per call */
export const OP_PREPARE = 6;
export const OP_COMMIT = 7;
export const OP_ABORT = 8;
/** a read that takes the row's lock (SELECT ... FOR UPDATE), waiting while another holds it */
export const OP_READ_LOCK = 9;
/** a serializable read-modify-write's read: takes the row's shared lock before it runs, held until the write commits */
export const OP_READ_SHARED = 10;
/** a write sent to a cache that writes the store itself (write-through, write-behind) */
export const OP_PUT = 11;
/** messaging: a producer's append to a topic; a consumer's fetch of messages and its commit of offsets */
export const OP_PUBLISH = 12;
export const OP_FETCH = 13;
export const OP_COMMIT_OFFSETS = 14;
/** a message a consumer processes: its own work, as a service's request */
export const OP_MESSAGE = 15;
/** an outbox relay marking rows sent: a write of the database's outbox table, on shard 0's primary (job.shard) */
export const OP_MARK = 20;
/** a queue consumer's reply to a request (request-reply): to the queue's broker, for the caller waiting on it */
export const OP_REPLY = 21;

export const QUEUED = 1;
export const RUNNING = 2;

export class Job {
  /** root request this call belongs to (its own id for a request) */
  req = -1;
  /**
   * the root request's number, unique over the run (the serial of its first
   * job; a job id is reused once released, while a retry may still carry it):
   * the same for every retry and every call made for it (-1: work no request
   * asked for)
   */
  reqNo = -1;
  /**
   * the call path that led here (CallPaths: the service steps that made the
   * calls, from the request down; 0 at the request): with reqNo, it names a
   * logical write, the same across retries at any level
   */
  path = 0;
  /** which of its client's attempts at the request this work is for (0: the first) */
  round = 0;
  /** an idempotency key on a write: the store's index of the key policy (0: no key) */
  idem = 0;
  /**
   * the event ledger (Sim.ledgers) told when this write commits or this
   * publish is appended: a dual write's, an outbox relay's, a change feed's
   * index (0: none)
   */
  ledger = 0;
  /**
   * the event this work carries within its ledger: a relay's row, or the id
   * of the message a consumer is processing (inherited by its calls); -1 none
   */
  msg = -1;
  /** the caller's job waiting on this call; -1 for a request or a fire-and-forget call */
  parent = -1;
  caller = -1;
  callerInstance = -1;
  callee = -1;
  instance = -1;
  op = OP_ROUTE;
  route = 0;
  key = 0;
  /** with keys.pages: which page of its key (its site) the request is for; a URL is key and page */
  page = 0;
  /** user, session and origin region of the request */
  user = 0;
  ip = 0;
  /** the API key the request carries, and the plan (tier) of that key: index in Sim.tiers, 0 for none */
  apiKey = 0;
  tier = 0;
  /** index of the request's header set (Sim.headerSets) */
  headers = 0;
  region = 0;
  /** time the call was sent, and time it entered the callee's queue */
  start = 0;
  /**
   * time the user request this work descends from began (-1: none): kept by
   * every call made for it, carried by the messages it publishes and by the
   * work those messages cause, so a pipeline's end-to-end latency can be
   * measured at each of its stages
   */
  origin = -1;
  enqueued = 0;
  /** position in the callee's plan, and a sub-phase within a step */
  step = 0;
  phase = 0;
  outcome = 0;
  /** data version returned by a read (-1 = none), or written */
  version = -1;
  /** value size in bytes carried by a read or write */
  size = 0;
  /** a call whose caller stopped waiting (its instance died); its reply is dropped */
  cancelled = false;
  /** whether the call was answered from a cache */
  hit = false;
  /** where the callee holds the job: 0 nowhere, QUEUED or RUNNING */
  state = 0;
  /** scratch for the component handling the job */
  aux = 0;
  /** for a read: the latest committed version of its key when it was sent (what staleness is judged against) */
  basis = 0;
  /** for a read: the session's own latest acknowledged write, and the latest version it had read, when the read was sent */
  ownAtStart = 0;
  seenAtStart = 0;
  /** for a read: which of the store's read-routing policies applies (index the store handed out) */
  policy = 0;
  /** for a database call: the shard it is for, when not the key's own (a scatter read); -1 otherwise */
  shard = -1;
  /** for a write: the version it was based on (read-modify-write), -1 if none */
  expect = -1;
  /** for a write based on a version: refuse it (conflict) if the key moved on, instead of overwriting */
  conditional = false;
  /** for a two-phase-commit call: the transaction's id, -1 otherwise */
  txn = -1;
  /**
   * absolute time after which nobody waits for this work any more (a
   * propagated deadline); a station drops such work instead of serving it
   */
  deadline = Infinity;
  /** the request's priority class (0 = most important); load shedding drops the least important first */
  priority = 0;
  /** answered by a fallback (a degraded or cached answer) somewhere along the way */
  degraded = false;
  /** a rate limiter's Retry-After (ms) on a rate-limited answer, 0 if none */
  retryAfterMs = 0;
  /** a call its caller stopped waiting for (timed out): the callee may still work on it; its reply is dropped */
  abandoned = false;
  /** attempts made so far for this call (0: the first) */
  attempt = 0;
  /** what the caller put in aux before a guarded send, restored for a retry */
  callerAux = 0;
  /** the wait before this attempt (decorrelated jitter grows from it) */
  waitedMs = 0;
  /** the caller's guard for this call (-1: none), its timeout timer slot, and its circuit-breaker ticket */
  guard = -1;
  timer = -1;
  ticket = -1;
  /** a publish to an exchange: index of its routing key and headers in the exchange's table (-1: none) */
  routing = -1;
  /** a publish to an exchange: answered unroutable if no queue takes it (AMQP's mandatory flag) */
  mandatory = false;
  /** distinguishes this use of the pooled job from earlier and later ones (timers check it) */
  serial = 0;

  constructor(readonly id: number) {}

  reset(): void {
    this.req = -1;
    this.reqNo = -1;
    this.path = 0;
    this.round = 0;
    this.idem = 0;
    this.ledger = 0;
    this.msg = -1;
    this.parent = -1;
    this.caller = -1;
    this.callerInstance = -1;
    this.callee = -1;
    this.instance = -1;
    this.op = OP_ROUTE;
    this.route = 0;
    this.key = 0;
    this.page = 0;
    this.user = 0;
    this.ip = 0;
    this.apiKey = 0;
    this.tier = 0;
    this.headers = 0;
    this.region = 0;
    this.start = 0;
    this.origin = -1;
    this.enqueued = 0;
    this.step = 0;
    this.phase = 0;
    this.outcome = 0;
    this.version = -1;
    this.size = 0;
    this.cancelled = false;
    this.hit = false;
    this.state = 0;
    this.aux = 0;
    this.basis = 0;
    this.ownAtStart = 0;
    this.seenAtStart = 0;
    this.policy = 0;
    this.shard = -1;
    this.expect = -1;
    this.conditional = false;
    this.txn = -1;
    this.deadline = Infinity;
    this.priority = 0;
    this.degraded = false;
    this.retryAfterMs = 0;
    this.abandoned = false;
    this.attempt = 0;
    this.callerAux = 0;
    this.waitedMs = 0;
    this.guard = -1;
    this.timer = -1;
    this.ticket = -1;
    this.routing = -1;
    this.mandatory = false;
  }

  /** Copies the call itself (who called whom, for what) from `from`. */
  copyCall(from: Job): void {
    this.inherit(from);
    this.parent = from.parent;
    this.caller = from.caller;
    this.callerInstance = from.callerInstance;
    this.callee = from.callee;
    this.instance = from.instance;
    this.op = from.op;
    this.ledger = from.ledger;
    this.aux = from.aux;
    this.basis = from.basis;
    this.ownAtStart = from.ownAtStart;
    this.seenAtStart = from.seenAtStart;
    this.policy = from.policy;
    this.shard = from.shard;
    this.expect = from.expect;
    this.conditional = from.conditional;
    this.txn = from.txn;
    this.start = from.start;
    this.abandoned = from.abandoned;
    this.attempt = from.attempt;
    this.callerAux = from.callerAux;
    this.waitedMs = from.waitedMs;
    this.guard = from.guard;
    this.timer = from.timer;
    this.ticket = from.ticket;
    this.size = from.size;
    this.routing = from.routing;
    this.mandatory = from.mandatory;
  }

  /** Copies the request-level context of `from` (for a child call). */
  inherit(from: Job): void {
    this.req = from.req;
    this.reqNo = from.reqNo;
    this.path = from.path;
    this.round = from.round;
    this.idem = from.idem;
    this.msg = from.msg;
    this.route = from.route;
    this.key = from.key;
    this.page = from.page;
    this.user = from.user;
    this.ip = from.ip;
    this.apiKey = from.apiKey;
    this.tier = from.tier;
    this.headers = from.headers;
    this.region = from.region;
    this.origin = from.origin;
    this.priority = from.priority;
    this.deadline = from.deadline;
  }
}

export class JobPool {
  readonly jobs: Job[] = [];
  private readonly free: number[] = [];
  live = 0;
  private serials = 0;

  alloc(): Job {
    this.live++;
    const id = this.free.pop();
    const job = id !== undefined ? this.jobs[id] : new Job(this.jobs.length);
    if (id === undefined) this.jobs.push(job);
    job.serial = ++this.serials;
    return job;
  }

  release(job: Job): void {
    this.live--;
    job.reset();
    this.free.push(job.id);
  }
}
