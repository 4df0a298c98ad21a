// Application-level replication lag monitoring (the canary or heartbeat
// table): every interval a monitor writes a timestamp to each shard's primary
// and watches for it on every replica; the time it took to appear is the lag
// the dashboard shows, and an alert fires while that exceeds a threshold. It
// is a sample: lag that comes and goes between canaries is never seen, which
// the report shows by setting it beside the lag the simulation knows exactly.

export interface CanaryConfig {
  intervalMs: number;
  /** alert while the measured lag is above this */
  alertAboveMs: number;
}

/** Canaries of one shard that some replica has not yet seen, oldest first. */
class Pending {
  readonly pos: number[] = [];
  readonly time: number[] = [];
  /** index (over all canaries ever written to the shard) of pos[0] */
  base = 0;
}

export class LagCanary {
  private readonly shards: Pending[];
  /** per node: index of the next canary it has not seen */
  private readonly next: Float64Array;
  /** per node: the lag the monitor shows (the last canary's, or the age of one still missing) */
  readonly measured: Float64Array;
  readonly maxMeasured: Float64Array;
  /** per node: seconds alerting, and seconds the true lag was above the threshold */
  readonly alertSeconds: Float64Array;
  readonly overSeconds: Float64Array;
  readonly series: number[][];
  written = 0;

  constructor(
    readonly config: CanaryConfig,
    shards: number,
    private readonly perShard: number,
  ) {
    this.shards = Array.from({ length: shards }, () => new Pending());
    const n = shards * perShard;
    this.next = new Float64Array(n);
    this.measured = new Float64Array(n);
    this.maxMeasured = new Float64Array(n);
    this.alertSeconds = new Float64Array(n);
    this.overSeconds = new Float64Array(n);
    this.series = Array.from({ length: n }, () => []);
  }

  /** A canary was committed at `pos` of shard g's log at time `now`. */
  wrote(g: number, pos: number, now: number): void {
    const s = this.shards[g];
    s.pos.push(pos);
    s.time.push(now);
    this.written++;
  }

  /**
   * Node `node` of shard g has applied up to `applied`: canaries at or below
   * it have appeared there now.
   */
  seen(node: number, g: number, applied: number, now: number): void {
    const s = this.shards[g];
    let i = this.next[node] - s.base;
    while (i < s.pos.length && s.pos[i] <= applied) {
      this.show(node, now - s.time[i]);
      i++;
    }
    this.next[node] = s.base + i;
  }

  /** A failover truncated the shard's log: canaries past the cut were never replicated. */
  truncated(g: number, cut: number): void {
    const s = this.shards[g];
    while (s.pos.length > 0 && s.pos[s.pos.length - 1] > cut) {
      s.pos.pop();
      s.time.pop();
    }
    const end = s.base + s.pos.length;
    for (let r = 0; r < this.perShard; r++) {
      const node = g * this.perShard + r;
      if (this.next[node] > end) this.next[node] = end;
    }
  }

  /**
   * End of a second: a canary still missing on a node shows at least its age;
   * sample what the dashboard shows against the true lag; forget canaries
   * every node of the shard has seen. `lag(node)` is the true lag (-1 for a primary).
   */
  tick(now: number, lag: (node: number) => number): void {
    const a = this.config.alertAboveMs;
    for (let g = 0; g < this.shards.length; g++) {
      const s = this.shards[g];
      let min = Number.POSITIVE_INFINITY;
      for (let r = 0; r < this.perShard; r++) {
        const node = g * this.perShard + r;
        const trueLag = lag(node);
        if (trueLag < 0) {
          // the primary writes the canaries: it sees each at once
          this.next[node] = s.base + s.pos.length;
          this.series[node].push(0);
          continue;
        }
        const i = this.next[node] - s.base;
        if (i < s.pos.length) this.show(node, now - s.time[i], false);
        if (this.measured[node] > a) this.alertSeconds[node]++;
        if (trueLag > a) this.overSeconds[node]++;
        this.series[node].push(Math.round(this.measured[node] * 1000) / 1000);
        min = Math.min(min, this.next[node]);
      }
      const drop = Math.min(min, s.base + s.pos.length) - s.base;
      if (drop > 0) {
        s.pos.splice(0, drop);
        s.time.splice(0, drop);
        s.base += drop;
      }
    }
  }

  private show(node: number, lagMs: number, final = true): void {
    if (final || lagMs > this.measured[node]) this.measured[node] = lagMs;
    if (lagMs > this.maxMeasured[node]) this.maxMeasured[node] = lagMs;
  }
}
