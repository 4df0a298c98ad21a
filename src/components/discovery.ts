// Client-side service discovery (Eureka and Ribbon): every component that
// calls the service directly keeps its own copy of the registry's instance
// list, fetched at its first call and refreshed every `refresh`, and spreads
// its calls round robin over that copy. The registry lists the instances in
// service, and forgets one that crashed only when its lease expires
// (`evictAfter` after its last heartbeat); a graceful stop (a drain)
// deregisters at once. So a caller keeps calling a dead instance until both
// have caught up, and those calls fail with instance-down; and new instances
// get no calls until the callers' next refresh.
import { type Fleet, IN_SERVICE } from "./fleet.js";
import type { Sim } from "./runtime.js";

export interface DiscoveryConfig {
  refreshMs: number;
  evictAfterMs: number;
}

interface Cached {
  listed: Uint8Array;
  rr: number;
}

export class ClientDiscovery {
  private readonly caches = new Map<number, Cached>();
  private sim!: Sim;
  private refreshEv = -1;
  /** when each instance was last killed (its lease runs from then) */
  private readonly diedAt: Float64Array;
  refreshes = 0;
  /** calls sent to an instance that was not in service and alive when the caller chose it */
  staleCalls = 0;

  constructor(
    private readonly fleet: Fleet,
    private readonly alive: (i: number) => boolean,
    private readonly cfg: DiscoveryConfig,
  ) {
    this.diedAt = new Float64Array(fleet.slots);
  }

  attach(sim: Sim): void {
    this.sim = sim;
    this.refreshEv = sim.q.on((caller) => this.refresh(caller));
  }

  killed(i: number): void {
    this.diedAt[i] = this.sim.now;
  }

  /** Whether the registry lists instance i now. */
  private registered(i: number): boolean {
    if (this.fleet.phase[i] !== IN_SERVICE) return false;
    return this.alive(i) || this.sim.now - this.diedAt[i] < this.cfg.evictAfterMs;
  }

  private refresh(caller: number): void {
    const c = this.caches.get(caller)!;
    for (let i = 0; i < this.fleet.slots; i++) c.listed[i] = this.registered(i) ? 1 : 0;
    this.refreshes++;
    this.sim.q.schedule(this.cfg.refreshMs, this.refreshEv, caller);
  }

  /** The instance `caller` sends its next call to, from its cached list; -1 if the list is empty. */
  pick(caller: number): number {
    let c = this.caches.get(caller);
    if (!c) {
      c = { listed: new Uint8Array(this.fleet.slots), rr: 0 };
      this.caches.set(caller, c);
      this.refresh(caller);
    }
    const n = this.fleet.slots;
    for (let k = 0; k < n; k++) {
      const i = (c.rr + k) % n;
      if (c.listed[i] === 1) {
        c.rr = i + 1;
        if (this.fleet.phase[i] !== IN_SERVICE || !this.alive(i)) this.staleCalls++;
        return i;
      }
    }
    return -1;
  }

  report(): Record<string, number> {
    return { refreshes: this.refreshes, staleCalls: this.staleCalls };
  }
}
