// The connection registry (user -> gateway instance holding the user's
// connection), as a chat backend keeps it in Redis: the router looks a user up
// to send them an event, and a client that connects writes its entry. An
// entry outlives the instance it names: after a crash it points at a dead
// gateway until the user reconnects somewhere and overwrites it.

export class ConnectionRegistry {
  private readonly at: Int32Array;
  private readonly perInstance: Int32Array;
  /** entries written (every connection that registered, first or again) */
  updates = 0;
  /** entries present */
  size = 0;

  constructor(
    readonly users: number,
    readonly instances: number,
  ) {
    this.at = new Int32Array(users).fill(-1);
    this.perInstance = new Int32Array(instances);
  }

  /** The instance `user` is registered at, -1 if none. */
  lookup(user: number): number {
    return this.at[user];
  }

  /** Entries naming `instance`. */
  count(instance: number): number {
    return this.perInstance[instance];
  }

  /** `user` connected to `instance`: its entry now names it. */
  register(user: number, instance: number): void {
    const prev = this.at[user];
    if (prev >= 0) this.perInstance[prev]--;
    else this.size++;
    this.at[user] = instance;
    this.perInstance[instance]++;
    this.updates++;
  }

  /** Removes `user`'s entry (no-op without one). */
  remove(user: number): void {
    const prev = this.at[user];
    if (prev < 0) return;
    this.perInstance[prev]--;
    this.at[user] = -1;
    this.size--;
  }

  /** Calls `visit` with every user registered at `instance`, in user order. */
  forEachAt(instance: number, visit: (user: number) => void): void {
    if (this.perInstance[instance] === 0) return;
    for (let u = 0; u < this.users; u++) if (this.at[u] === instance) visit(u);
  }
}
