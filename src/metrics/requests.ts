// What the clients saw: latency per route (successful requests), outcome
// counts per route and cause, and per-second series. Memory is fixed by the
// number of routes and the simulated duration, not by the number of requests.
import { LatencyRecorder } from "./latency.js";
import { SeriesSet } from "./series.js";

export class RequestMetrics {
  readonly latency: LatencyRecorder[] = [];
  /** counts[route][cause] */
  readonly counts: number[][] = [];
  /** requests sent per route */
  readonly issued: number[] = [];
  /** successful requests per route answered (in part) by a fallback */
  readonly degraded: number[] = [];
  private windowDegraded = 0;
  private readonly window = new LatencyRecorder(2);
  private windowDone = 0;
  private windowFailed = 0;
  private readonly windowByCause: number[];
  readonly series = new SeriesSet();

  constructor(
    private readonly causes: readonly string[],
    routes: number,
  ) {
    this.windowByCause = new Array(causes.length).fill(0);
    for (let r = 0; r < routes; r++) this.addRoute();
  }

  private addRoute(): void {
    this.issued.push(0);
    this.degraded.push(0);
    this.latency.push(new LatencyRecorder());
    this.counts.push(new Array(this.causes.length).fill(0));
  }

  /** A request was sent on `route` (answered or not by the end). */
  issue(route: number): void {
    while (route >= this.counts.length) this.addRoute();
    this.issued[route]++;
  }

  record(route: number, cause: number, latencyMs: number, degraded = false): void {
    while (route >= this.counts.length) this.addRoute();
    this.counts[route][cause]++;
    if (degraded && cause === 0) {
      this.degraded[route]++;
      this.windowDegraded++;
    }
    this.windowDone++;
    if (cause === 0) {
      this.latency[route].record(latencyMs);
      this.window.record(latencyMs);
    } else {
      this.windowFailed++;
      this.windowByCause[cause]++;
    }
  }

  /** Closes the second that ends at `second` (seconds since start). */
  tick(second: number): void {
    const s = this.series;
    // values first: a series created now is padded to the seconds already closed
    s.get("throughput").push(this.windowDone - this.windowFailed);
    s.get("errors").push(this.windowFailed);
    s.get("p50").push(this.window.percentile(50));
    s.get("p95").push(this.window.percentile(95));
    s.get("p99").push(this.window.percentile(99));
    if (this.windowDegraded > 0 || s.has("degraded")) s.get("degraded").push(this.windowDegraded);
    this.windowDegraded = 0;
    for (let c = 1; c < this.causes.length; c++) {
      if (this.windowByCause[c] > 0 || this.hasSeries(c))
        s.get(`errors:${this.causes[c]}`).push(this.windowByCause[c]);
      this.windowByCause[c] = 0;
    }
    s.tick(second);
    this.window.reset();
    this.windowDone = 0;
    this.windowFailed = 0;
  }

  private hasSeries(cause: number): boolean {
    return this.series.has(`errors:${this.causes[cause]}`);
  }
}
