// The software versions a fleet runs: how each behaves (a factor on compute
// time, a share of requests that fail with `error`), how traffic is split
// between two of them during a blue-green or canary deployment, and what
// each version's instances served (overall, and in the current monitoring
// window). Randomness (failures, the split) comes from the service's own
// deployment stream.
import type { Rng } from "../kernel/rng.js";
import { LatencyRecorder } from "../metrics/latency.js";
import { OK } from "./outcomes.js";

export interface VersionSpec {
  name: string;
  /** factor on compute time */
  latency: number;
  /** share of requests that fail with `error` (after doing their work) */
  errorRate: number;
}

export interface VersionWindow {
  requests: number;
  errors: number;
  p99: number;
}

export class Versions {
  readonly specs: VersionSpec[] = [];
  private readonly requests: number[] = [];
  private readonly errors: number[] = [];
  private readonly latency: LatencyRecorder[] = [];
  private readonly windowRequests: number[] = [];
  private readonly windowErrors: number[] = [];
  private readonly windowLatency: LatencyRecorder[] = [];
  /** traffic split: -1 none (any instance in service); else the share `weight` goes to `to`, the rest to `from` */
  private from = -1;
  private to = -1;
  private weight = 0;
  rng!: Rng;

  constructor(initial: VersionSpec) {
    this.add(initial);
  }

  add(spec: VersionSpec): number {
    this.specs.push(spec);
    this.requests.push(0);
    this.errors.push(0);
    this.latency.push(new LatencyRecorder());
    this.windowRequests.push(0);
    this.windowErrors.push(0);
    this.windowLatency.push(new LatencyRecorder(2));
    return this.specs.length - 1;
  }

  /** Whether a request served by version v fails. Draws only for a version that fails at all. */
  fails(v: number): boolean {
    const rate = this.specs[v].errorRate;
    return rate > 0 && this.rng.next() < rate;
  }

  split(from: number, to: number, weight: number): void {
    this.from = from;
    this.to = to;
    this.weight = weight;
  }

  unsplit(): void {
    this.from = -1;
    this.to = -1;
  }

  get splitting(): boolean {
    return this.from >= 0;
  }

  /** The version a new request should go to, or -1 for any. */
  choose(): number {
    if (this.from < 0) return -1;
    if (this.weight >= 1) return this.to;
    if (this.weight <= 0) return this.from;
    return this.rng.next() < this.weight ? this.to : this.from;
  }

  /** Whether version v gets any traffic under the current split (a sticky pin to it may stay). */
  routed(v: number): boolean {
    if (this.from < 0) return true;
    return v === this.to ? this.weight > 0 : v === this.from && this.weight < 1;
  }

  served(v: number, outcome: number, ms: number): void {
    this.requests[v]++;
    this.windowRequests[v]++;
    if (outcome !== OK) {
      this.errors[v]++;
      this.windowErrors[v]++;
    } else {
      this.latency[v].record(ms);
      this.windowLatency[v].record(ms);
    }
  }

  /** What version v served since the last call (p99 over its successes), then starts a new window. */
  takeWindow(v: number): VersionWindow {
    const w = {
      requests: this.windowRequests[v],
      errors: this.windowErrors[v],
      p99: this.windowLatency[v].percentile(99),
    };
    this.windowRequests[v] = 0;
    this.windowErrors[v] = 0;
    this.windowLatency[v].reset();
    return w;
  }

  report(): Record<string, unknown> {
    return Object.fromEntries(
      this.specs.map((s, v) => {
        const { count: _count, ...latencyMs } = this.latency[v].summary();
        return [
          s.name,
          {
            requests: this.requests[v],
            errors: this.errors[v],
            errorRate: this.requests[v] > 0 ? this.errors[v] / this.requests[v] : 0,
            latencyMs,
          },
        ];
      }),
    );
  }
}
