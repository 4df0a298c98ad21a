// A presence store as chat backends keep it (RT-08): each heartbeat writes
// the user's entry with a TTL (`SET presence:<user> EX ttl`), and a user is
// shown online while the entry lives. Nobody writes when a client vanishes
// without a close frame, so its dot stays green until the entry expires: the
// offline-detection delay, and the stale green-dot time it costs.
//
// The store also keeps the truth it is judged against: how many of the user's
// devices hold a live connection. A user is actually offline when none does.
// Everything is per user in typed arrays; episodes are closed lazily, so the
// store schedules nothing itself: its owner asks `expire` when an entry's TTL
// runs out and `bulkOffline` when a gateway's users are marked offline at once.

export class PresenceStore {
  /** when each user's entry expires (-Infinity: no entry) */
  private readonly expires: Float64Array;
  /** devices of each user holding a live connection (the truth) */
  private readonly live: Int32Array;
  /** when the user went actually offline while shown online (-1: not in such an episode) */
  private readonly offSince: Float64Array;
  /** whether the current stale episode's end has been shown (expiry or bulk marking) */
  private readonly detected: Uint8Array;
  /** users with at least one live device, over all and per channel (push fan-out audiences) */
  onlineUsers = 0;
  private readonly onlineIn: Int32Array;
  private readonly channelOf: (user: number) => number;
  /** summed length of closed stale episodes (ms): shown online while actually offline */
  private staleClosedMs = 0;
  writes = 0;
  /** presence changes as the store shows them: offline -> online, online -> offline */
  wentOnline = 0;
  wentOffline = 0;

  constructor(
    readonly users: number,
    /** users per channel (channel c holds users c*size .. c*size+size-1); `users` for one global audience */
    readonly channelSize: number,
  ) {
    this.expires = new Float64Array(users).fill(-Infinity);
    this.live = new Int32Array(users);
    this.offSince = new Float64Array(users).fill(-1);
    this.detected = new Uint8Array(users);
    this.onlineIn = new Int32Array(Math.ceil(users / channelSize));
    this.channelOf = (u) => Math.floor(u / channelSize);
  }

  shownOnline(user: number, now: number): boolean {
    return this.expires[user] > now;
  }

  actuallyOnline(user: number): boolean {
    return this.live[user] > 0;
  }

  expiresAt(user: number): number {
    return this.expires[user];
  }

  /** Online users in `user`'s channel, the user excluded: who a pushed change of theirs reaches. */
  onlineAudience(user: number, global: boolean): number {
    const n = global ? this.onlineUsers : this.onlineIn[this.channelOf(user)];
    return n - (this.live[user] > 0 ? 1 : 0);
  }

  /** Users in `user`'s channel, the user excluded: whose statuses a poll of theirs returns. */
  audience(user: number, global: boolean): number {
    if (global) return this.users - 1;
    const c = this.channelOf(user);
    return Math.min(this.users, (c + 1) * this.channelSize) - c * this.channelSize - 1;
  }

  /** A heartbeat writes the entry for `ttl` ms; true when it shows the user online again (a change). */
  write(user: number, now: number, ttl: number): boolean {
    this.writes++;
    const was = this.expires[user] > now;
    const until = now + ttl;
    if (until > this.expires[user]) this.expires[user] = until;
    if (!was) this.wentOnline++;
    return !was;
  }

  /** Sets an entry as if its last write was at `writtenAt` (a run starting in steady state); no change counted. */
  seed(user: number, writtenAt: number, ttl: number): void {
    const until = writtenAt + ttl;
    if (until > this.expires[user]) this.expires[user] = until;
  }

  /** One of the user's devices now holds a live connection. */
  deviceUp(user: number, now: number): void {
    if (this.live[user]++ > 0) return;
    this.onlineUsers++;
    this.onlineIn[this.channelOf(user)]++;
    this.closeEpisode(user, now);
  }

  /**
   * One of the user's devices lost its connection. When it was the last one,
   * the user is actually offline: with a close frame (`graceful`) the entry is
   * deleted at once (returns true: a change to fan out); without one it lives
   * on until its TTL runs out, and a stale episode starts.
   */
  deviceDown(user: number, now: number, graceful: boolean): boolean {
    if (--this.live[user] > 0) return false;
    this.onlineUsers--;
    this.onlineIn[this.channelOf(user)]--;
    if (!(this.expires[user] > now)) return false;
    if (graceful) {
      this.expires[user] = now;
      this.wentOffline++;
      return true;
    }
    this.offSince[user] = now;
    this.detected[user] = 0;
    return false;
  }

  /**
   * The TTL of `user`'s entry ran out (the owner calls it at `expiresAt`):
   * returns the offline-detection delay when this shows an actually offline
   * user offline (a change), -1 otherwise (the user is back, or was shown
   * offline already).
   */
  expire(user: number, now: number): number {
    if (this.live[user] > 0 || this.offSince[user] < 0 || this.detected[user] === 1) return -1;
    if (this.expires[user] > now) return -1;
    this.detected[user] = 1;
    this.wentOffline++;
    return now - this.offSince[user];
  }

  /** A dead gateway's user is marked offline in bulk: the delay as for `expire`, -1 when nothing changes. */
  bulkOffline(user: number, now: number): number {
    if (this.live[user] > 0 || !(this.expires[user] > now)) return -1;
    this.expires[user] = now;
    this.wentOffline++;
    if (this.offSince[user] < 0) return 0;
    this.detected[user] = 1;
    return now - this.offSince[user];
  }

  /** Total time (ms) users were shown online while actually offline, up to `now` (open episodes included). */
  staleMs(now: number): number {
    let open = 0;
    for (let u = 0; u < this.users; u++) if (this.offSince[u] >= 0) open += this.episode(u, now);
    return this.staleClosedMs + open;
  }

  private episode(user: number, now: number): number {
    const end = this.expires[user] < now ? this.expires[user] : now;
    const d = end - this.offSince[user];
    return d > 0 ? d : 0;
  }

  private closeEpisode(user: number, now: number): void {
    if (this.offSince[user] < 0) return;
    this.staleClosedMs += this.episode(user, now);
    this.offSince[user] = -1;
    this.detected[user] = 0;
  }
}
