// Horizontal autoscaling of a station's fleet: every `interval` the metric is
// averaged over the interval just past, the target-tracking rule
// (mechanisms/autoscaling.ts) decides the fleet size, and instances are
// launched into free slots (serving after their boot time) or drained,
// newest first (taking no new requests and stopping once their in-flight
// work is done, or at the drain timeout).
import type { Sampler } from "../kernel/distributions.js";
import type { Rng } from "../kernel/rng.js";
import { type ScalingPolicy, TargetTracker } from "../mechanisms/autoscaling.js";
import { type FleetController, IN_SERVICE } from "./fleet.js";
import type { Station } from "./station.js";

export type ScalingMetric = "utilization" | "rps-per-instance" | "queue" | "lag";
/** what a service's fleet can track */
export const SCALING_METRICS: readonly ScalingMetric[] = ["utilization", "rps-per-instance", "queue"];
/** what a consumer group can track: its utilisation, or its lag (messages not yet committed) per instance */
export const CONSUMER_SCALING_METRICS: readonly ScalingMetric[] = ["utilization", "lag"];

export interface AutoscaleConfig {
  policy: ScalingPolicy;
  metric: ScalingMetric;
  intervalMs: number;
  /** time from launch to taking traffic */
  boot: Sampler;
  /** how long a drained instance may take to finish its in-flight work (0: cut at once) */
  drainMs: number;
  /** metric lag: the consumer group's lag in messages now */
  lag?: () => number;
  /**
   * the max asked for, when the policy's max was lowered to the topic's
   * partition count (instances beyond it would own no partition)
   */
  cappedByPartitions?: { requestedMax: number; partitions: number };
}

export interface ScaleEvent {
  t: number;
  from: number;
  to: number;
  reason: string;
}

export class Autoscaler implements FleetController {
  readonly key = "autoscaling";
  private readonly tracker: TargetTracker;
  private readonly events: ScaleEvent[] = [];
  private rng!: Rng;
  private evalEv = -1;
  private prev = { busy: 0, capacity: 0, queue: 0, arrivals: 0, t: 0 };

  constructor(
    private readonly station: Station,
    private readonly cfg: AutoscaleConfig,
  ) {
    this.tracker = new TargetTracker(cfg.policy);
  }

  start(): void {
    const sim = this.station.sim;
    this.rng = sim.stream(`${this.station.name}/autoscale`);
    this.evalEv = sim.q.on(() => this.evaluate());
    sim.q.schedule(this.cfg.intervalMs, this.evalEv, 0);
  }

  /** The metric averaged over the interval since the previous evaluation. */
  private measure(now: number): number {
    const load = this.station.loadIntegrals(now);
    const p = this.prev;
    const seconds = (now - p.t) / 1000;
    const inService = Math.max(1, this.station.fleet.inService);
    let value = 0;
    switch (this.cfg.metric) {
      case "utilization": {
        const capacity = load.capacity - p.capacity;
        value = capacity > 0 ? (load.busy - p.busy) / capacity : 0;
        break;
      }
      case "rps-per-instance":
        value = (load.arrivals - p.arrivals) / seconds / inService;
        break;
      case "queue":
        value = (load.queue - p.queue) / (now - p.t) / inService;
        break;
      case "lag":
        // the backlog now, not an average: it is what the instances must work off
        value = (this.cfg.lag?.() ?? 0) / inService;
        break;
    }
    this.prev = { ...load, t: now };
    return value;
  }

  private evaluate(): void {
    const sim = this.station.sim;
    const now = sim.now;
    const fleet = this.station.fleet;
    const metric = this.measure(now);
    const from = fleet.inService + fleet.booting;
    if (fleet.scalingPaused) return sim.q.schedule(this.cfg.intervalMs, this.evalEv, 0);
    const d = this.tracker.decide(now, { inService: fleet.inService, booting: fleet.booting }, metric);
    if (d) {
      let to = from;
      if (d.direction === "out")
        for (; to < d.to; to++) {
          const slot = fleet.freeSlot();
          if (slot < 0) break;
          fleet.launchSlot(slot, Math.max(0, this.cfg.boot.sample(this.rng)));
        }
      else
        for (let i = fleet.slots - 1; i >= 0 && to > d.to; i--)
          if (fleet.phase[i] === IN_SERVICE) {
            fleet.drain(i, this.cfg.drainMs);
            to--;
          }
      if (to !== from) this.events.push({ t: now, from, to, reason: this.reason(metric, d.direction) });
    }
    sim.q.schedule(this.cfg.intervalMs, this.evalEv, 0);
  }

  private reason(value: number, direction: "out" | "in"): string {
    const { metric } = this.cfg;
    const target = this.cfg.policy.target;
    const fmt = (v: number) =>
      metric === "utilization"
        ? `${(v * 100).toFixed(1)}%`
        : metric === "rps-per-instance"
          ? `${v.toFixed(1)}/s`
          : metric === "lag"
            ? `${v.toFixed(0)} messages`
            : v.toFixed(2);
    return `${metric} ${fmt(value)} ${direction === "out" ? "above" : "below"} target ${fmt(target)}`;
  }

  section(): unknown {
    const p = this.cfg.policy;
    return {
      min: p.min,
      max: p.max,
      metric: this.cfg.metric,
      target: p.target,
      ...(this.cfg.cappedByPartitions && { cappedByPartitions: this.cfg.cappedByPartitions }),
      events: this.events,
    };
  }
}
