// Where users' sessions live. In memory: on the instance that created it,
// and only there, so a request that lands on another instance (no sticky
// balancer, or a re-pin after the instance died) finds none and the user
// starts over (logged out, cart gone); an instance that dies or stops takes
// its sessions with it. Shared: in a store every instance reads (a
// key-value cache or a database), so any instance can serve any user, at the
// price of one more call per request; a cache that evicts a session loses it
// all the same.

export type SessionMode = "in-memory" | "shared";

export class Sessions {
  /** in memory: each user's session, as epoch x slots + instance */
  private readonly where = new Map<number, number>();
  /** per instance: bumped when it dies, so the sessions it held are gone */
  private readonly epoch: Int32Array;
  private readonly held: Int32Array;
  /** shared: users whose session was created */
  private readonly known = new Set<number>();
  created = 0;
  lost = 0;
  dropped = 0;

  constructor(
    readonly mode: SessionMode,
    private readonly slots: number,
  ) {
    this.epoch = new Int32Array(slots);
    this.held = new Int32Array(slots);
  }

  /** In memory: a request of `user` begins on instance i; its session is there, or is (re)created there. */
  touch(user: number, i: number): void {
    const v = this.where.get(user);
    const here = this.epoch[i] * this.slots + i;
    if (v === here) return;
    if (v === undefined) this.created++;
    else {
      // the session is on another instance, or died with this one: the user starts over here
      this.lost++;
      this.created++;
      const j = v % this.slots;
      if (Math.floor(v / this.slots) === this.epoch[j]) this.held[j]--;
    }
    this.where.set(user, here);
    this.held[i]++;
  }

  /** In memory: instance i died or stopped; its sessions are gone. */
  drop(i: number): void {
    this.dropped += this.held[i];
    this.held[i] = 0;
    this.epoch[i]++;
  }

  /** Shared: the store had no session for `user`: it was lost (evicted) if one had been created. It is created now. */
  missed(user: number): void {
    if (this.known.has(user)) this.lost++;
    else this.known.add(user);
    this.created++;
  }

  report(): Record<string, unknown> {
    let active = 0;
    for (const n of this.held) active += n;
    return {
      mode: this.mode,
      created: this.created,
      lost: this.lost,
      ...(this.mode === "in-memory" && { dropped: this.dropped, active }),
    };
  }
}
