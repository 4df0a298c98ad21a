import { grown } from "../kernel/typed-arrays.js";
// Logical writes and idempotency keys (RS-10, RS-11, DC-13).
//
// A logical write is one write step of one request: the request, and the call
// path that led to the step (which service steps made the calls, from the
// request down). Both stay the same when an attempt is retried at any level,
// so a write applied twice for one logical write is a duplicate, exactly.
//
// CallPaths interns call paths as small integers. ApplyLedger remembers the
// logical writes applied. KeyTable is an idempotency-key (dedup) table: key ->
// the stored result of the write that inserted it, with an expiry time.
//
// Memory: entries of a request are needed only while some work of that
// request exists (a job carrying it, an attempt waiting to be retried):
// nothing else can apply its writes or look up its keys again. `sweep` drops
// the entries of requests no longer alive, so both tables hold the writes of
// requests in flight plus those applied since the last sweep.

/**
 * Call paths as integers: 0 is the request itself; extend(p, site) is the
 * path p followed by the step numbered `site`. Sites are reserved up front
 * (one number per step that calls or writes) before any path is extended.
 */
export class CallPaths {
  /** paths are extended only when some store counts its writes */
  enabled = false;
  private sites = 0;
  private frozen = false;
  private readonly ids = new Map<number, number>();
  private next = 1;

  /** Reserves `n` consecutive site numbers; returns the first. */
  reserve(n: number): number {
    if (this.frozen) throw new Error("call-path sites must all be reserved before a path is extended");
    const first = this.sites;
    this.sites += n;
    return first;
  }

  /** The path `path` followed by the step `site`. */
  extend(path: number, site: number): number {
    this.frozen = true;
    const key = path * this.sites + site;
    let id = this.ids.get(key);
    if (id === undefined) {
      if (!Number.isSafeInteger(key)) throw new Error(`call path ${path} -> ${site} is too deep to number`);
      id = this.next++;
      this.ids.set(key, id);
    }
    return id;
  }

  /** Distinct paths numbered so far (bounded by the design, not by the traffic). */
  get size(): number {
    return this.ids.size;
  }
}

/** Which logical writes (path, request) have been applied. */
export class ApplyLedger {
  private readonly byPath = new Map<number, Set<number>>();

  /** Records an apply of the logical write (path, req); true if it had been applied before: a duplicate. */
  apply(path: number, req: number): boolean {
    let s = this.byPath.get(path);
    if (s === undefined) {
      s = new Set();
      this.byPath.set(path, s);
    }
    if (s.has(req)) return true;
    s.add(req);
    return false;
  }

  /** Forgets the writes of requests that are no longer alive (none of their work can apply again). */
  sweep(alive: (req: number) => boolean): void {
    for (const s of this.byPath.values()) for (const r of s) if (!alive(r)) s.delete(r);
  }

  /** Logical writes remembered. */
  get size(): number {
    let n = 0;
    for (const s of this.byPath.values()) n += s.size;
    return n;
  }
}

/** What a key lookup found. */
export const KEY_ABSENT = 0;
export const KEY_FOUND = 1;
/** the key was stored, and its TTL has run out: the table no longer has it */
export const KEY_EXPIRED = 2;

/** Attempts a request's client makes are numbered below this (retry.attempts is at most 100). */
const ROUNDS = 128;

/**
 * The idempotency key a write carries, within its call path: the client
 * sends one key per request (the same on every retry), or, per attempt, a
 * new random key each time it retries (what a client that regenerates its key
 * does), so only the calls made within one attempt share it.
 */
export function idempotencyKey(req: number, round: number, perAttempt: boolean): number {
  return req * ROUNDS + (perAttempt ? round : ROUNDS - 1);
}

/** An idempotency-key table: per call path, key -> (request, stored result, expiry). */
export class KeyTable {
  private readonly byPath = new Map<number, Map<number, number>>();
  private reqs: Float64Array<ArrayBuffer> = new Float64Array(64);
  private results: Float64Array<ArrayBuffer> = new Float64Array(64);
  private expiries: Float64Array<ArrayBuffer> = new Float64Array(64);
  private readonly free: number[] = [];
  private used = 0;

  /** The key's entry slot, or -1. */
  slot(path: number, key: number): number {
    return this.byPath.get(path)?.get(key) ?? -1;
  }

  /** What a lookup at `now` finds. */
  state(path: number, key: number, now: number): number {
    const s = this.slot(path, key);
    if (s < 0) return KEY_ABSENT;
    return this.expiries[s] > now ? KEY_FOUND : KEY_EXPIRED;
  }

  /** The result stored with the key in `slot`. */
  result(slot: number): number {
    return this.results[slot];
  }

  /** Stores (or replaces) a key with the result of the write that inserted it. */
  put(path: number, key: number, req: number, result: number, expiresAt: number): void {
    let m = this.byPath.get(path);
    if (m === undefined) {
      m = new Map();
      this.byPath.set(path, m);
    }
    let s = m.get(key);
    if (s === undefined) {
      s = this.free.pop() ?? this.grow();
      m.set(key, s);
    }
    this.reqs[s] = req;
    this.results[s] = result;
    this.expiries[s] = expiresAt;
  }

  /**
   * Drops the keys of requests no longer alive: no attempt of theirs can look
   * them up again, so whether they have expired no longer matters.
   */
  sweep(alive: (req: number) => boolean): void {
    for (const m of this.byPath.values())
      for (const [key, s] of m)
        if (!alive(this.reqs[s])) {
          m.delete(key);
          this.free.push(s);
        }
  }

  /** Keys held. */
  get size(): number {
    return this.used - this.free.length;
  }

  private grow(): number {
    if (this.used === this.reqs.length) {
      const n = this.reqs.length * 2;
      this.reqs = grown(this.reqs, n);
      this.results = grown(this.results, n);
      this.expiries = grown(this.expiries, n);
    }
    return this.used++;
  }
}
