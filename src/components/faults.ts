// The nemesis: scheduled faults applied to components and links, and reverted
// when their time is up. Kept apart from the components it breaks.
import type { Component, Sim } from "./runtime.js";

export type FaultAction =
  | { type: "kill"; target: Component; instances: number[] }
  | { type: "slow"; target: Component; ms: number }
  | { type: "link"; from: Component; to: Component; ms: number }
  | { type: "partition"; zones: number[]; names: string[]; timeoutMs: number }
  /** every instance of every component in the region's zones dies, and restarts when it ends */
  | { type: "outage"; region: string; targets: { target: Component; instances: number[] }[] };

export interface FaultConfig {
  atMs: number;
  /** Infinity: lasts to the end of the run */
  forMs: number;
  action: FaultAction;
}

export interface FaultRecord {
  description: string;
  /** the components it acts on (none for a partition: it cuts network zones) */
  targets: string[];
  startMs: number;
  endMs: number | null;
}

export class Nemesis {
  readonly log: FaultRecord[] = [];
  private readonly startEv: number;
  private readonly endEv: number;
  private readonly kills = new Map<string, number>();
  private readonly slowness = new Map<number, number>();
  private readonly linkExtra = new Map<number, number>();
  /** log entry of each fault, by its index in `faults` (injected ones are logged when applied) */
  private readonly logOf: number[] = [];
  /** injected faults still in force */
  private readonly injected = new Set<number>();

  constructor(
    private readonly sim: Sim,
    private readonly faults: FaultConfig[],
  ) {
    this.startEv = sim.q.on((i) => this.apply(i, true));
    this.endEv = sim.q.on((i) => this.apply(i, false));
  }

  start(durationMs: number): void {
    this.faults.forEach((f, i) => {
      const end = f.atMs + f.forMs;
      this.logOf[i] = this.log.length;
      this.log.push({
        description: describe(f.action),
        targets: targetsOf(f.action),
        startMs: f.atMs,
        endMs: end <= durationMs ? end : null,
      });
      if (f.atMs <= durationMs) this.sim.q.at(f.atMs, this.startEv, i);
      if (end <= durationMs) this.sim.q.at(end, this.endEv, i);
    });
  }

  /**
   * Applies a fault now, from outside the design's plan (the studio's live
   * chaos), until `end` is called with the id returned; logged like a planned
   * fault, so that the report shows it.
   */
  inject(action: FaultAction): number {
    const now = this.sim.now;
    const i = this.faults.push({ atMs: now, forMs: Number.POSITIVE_INFINITY, action }) - 1;
    this.logOf[i] = this.log.length;
    this.log.push({ description: describe(action), targets: targetsOf(action), startMs: now, endMs: null });
    this.injected.add(i);
    this.apply(i, true);
    return i;
  }

  /** Ends an injected fault now (a fault already ended is left alone). */
  end(id: number): void {
    if (!this.injected.delete(id)) return;
    this.apply(id, false);
    this.log[this.logOf[id]].endMs = this.sim.now;
  }

  /** Injected faults still in force, by id. */
  active(): { id: number; action: FaultAction }[] {
    return [...this.injected].map((id) => ({ id, action: this.faults[id].action }));
  }

  /**
   * Overlapping faults compose: an instance killed twice (by two kills, or a
   * kill and a region outage) restarts when the last one ends; slowness and
   * link latency add up while they overlap. Every component then hears that
   * something changed.
   */
  private apply(i: number, on: boolean): void {
    this.change(i, on);
    for (const c of this.sim.components) c.faultsChanged();
  }

  private change(i: number, on: boolean): void {
    const a = this.faults[i].action;
    const sign = on ? 1 : -1;
    switch (a.type) {
      case "kill":
        this.killAll(a.target, a.instances, sign);
        return;
      case "outage":
        for (const t of a.targets) this.killAll(t.target, t.instances, sign);
        return;
      case "slow": {
        const total = (this.slowness.get(a.target.index) ?? 0) + sign * a.ms;
        this.slowness.set(a.target.index, total);
        a.target.slow(total);
        return;
      }
      case "partition":
        this.sim.net.partitionTimeoutMs = a.timeoutMs;
        this.sim.net.partition(a.zones, on ? 1 : -1);
        for (const c of this.sim.components) c.networkChanged();
        return;
      case "link": {
        const key = a.from.index * 65536 + a.to.index;
        const total = (this.linkExtra.get(key) ?? 0) + sign * a.ms;
        this.linkExtra.set(key, total);
        this.sim.net.setExtra(key, total);
        return;
      }
    }
  }

  /** Kills of one instance are counted, so that it restarts when the last one ends. */
  private killAll(target: Component, instances: number[], sign: 1 | -1): void {
    for (const inst of instances) {
      const key = `${target.index}/${inst}`;
      const n = (this.kills.get(key) ?? 0) + sign;
      this.kills.set(key, n);
      if (sign > 0 && n === 1) target.kill(inst);
      else if (sign < 0 && n === 0) target.restart(inst);
    }
  }
}

function targetsOf(a: FaultAction): string[] {
  switch (a.type) {
    case "kill":
    case "slow":
      return [a.target.name];
    case "link":
      return [a.from.name, a.to.name];
    case "partition":
      return [];
    case "outage":
      return [...new Set(a.targets.map((t) => t.target.name))].sort();
  }
}

function describe(a: FaultAction): string {
  switch (a.type) {
    case "kill":
      return `kill ${a.target.name}[${a.instances.join(",")}]`;
    case "slow":
      return `slow ${a.target.name} by ${a.ms}ms`;
    case "link":
      return `add ${a.ms}ms to ${a.from.name} -> ${a.to.name}`;
    case "partition":
      return `partition ${a.names.join(", ")} from the rest`;
    case "outage":
      return `outage of region ${a.region}`;
  }
}
