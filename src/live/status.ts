// Each component's status for a live frame: utilisation over the frame (from
// the stations' exact time-weighted integrals), health from killed instances,
// open breakers and live faults, and a few inspector facts. Reads the
// simulation; never changes it.
import type { Nemesis } from "../components/faults.js";
import type { ComponentReport, Sim } from "../components/runtime.js";
import { CLOSED } from "../mechanisms/circuit-breaker.js";
import { Station } from "../components/station.js";
import type { NodeStatus } from "./frame.js";

/** Integrals of the previous frame, per component index (stations only). */
interface Mark {
  busy: number;
  capacity: number;
  queue: number;
  now: number;
  /** the utilisation shown for the frame that ended at `now` */
  utilization: number;
  queueMean: number;
}

export class StatusProbe {
  private readonly marks: (Mark | null)[];
  /** the last facts read from the components' reports, kept between detailed frames */
  private readonly reportFacts = new Map<string, Record<string, string | number>>();

  constructor(private readonly sim: Sim) {
    this.marks = sim.components.map(() => null);
  }

  /**
   * Every component's status at `now`. With `detail`, the facts that only
   * the components' reports know (hit ratio, lag, shard balance) are read
   * afresh; otherwise the last ones read are shown.
   */
  take(now: number, nemesis: Nemesis, detail: boolean): Record<string, NodeStatus> {
    const out: Record<string, NodeStatus> = {};
    const faulted = faultedNames(nemesis, this.sim);
    const breakers = openBreakers(this.sim);
    for (const c of this.sim.components) {
      const facts: Record<string, string | number> = {};
      let utilization: number | null = null;
      let alive = c.instances();
      const total = c.instances();
      const down: number[] = [];
      if (c instanceof Station) {
        for (let i = 0; i < total; i++) if (!c.isAlive(i)) down.push(i);
        alive = total - down.length;
        const m = c.loadIntegrals(now);
        const prev = this.marks[c.index];
        const dCap = prev ? m.capacity - prev.capacity : m.capacity;
        const dT = prev ? now - prev.now : now;
        if (prev && dT === 0) {
          // no time passed since the last frame (a pause, a fault applied): it still shows
          utilization = prev.utilization;
          facts.queue = prev.queueMean;
        } else {
          utilization = dCap > 0 ? Math.min(1, (m.busy - (prev?.busy ?? 0)) / dCap) : 0;
          facts.queue = dT > 0 ? round2((m.queue - (prev?.queue ?? 0)) / dT) : 0;
          this.marks[c.index] = {
            busy: m.busy,
            capacity: m.capacity,
            queue: m.queue,
            now,
            utilization,
            queueMean: facts.queue,
          };
        }
      }
      if (total > 1 || alive < total) facts.instances = `${alive}/${total} up`;
      const b = breakers.get(c.index);
      if (b) facts.breakers = `${b.open}/${b.total} open`;
      const live = faulted.get(c.name);
      if (live) facts.faults = live.join(", ");
      if (detail && c.kind !== "workload") this.reportFacts.set(c.name, factsOfReport(c.report(now)));
      Object.assign(facts, this.reportFacts.get(c.name));
      const degraded = alive < total || (b !== undefined && b.open > 0) || live !== undefined;
      const health = total > 0 && alive === 0 ? "down" : degraded ? "degraded" : "up";
      out[c.name] = { utilization, health, facts };
      if (c instanceof Station) out[c.name].instances = { total, down };
    }
    return out;
  }
}

/** Live faults by the component they act on (a partition: the components with an instance in its zones). */
function faultedNames(nemesis: Nemesis, sim: Sim): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (name: string, what: string) => out.set(name, [...(out.get(name) ?? []), what]);
  for (const { action: a } of nemesis.active()) {
    if (a.type === "kill") add(a.target.name, "killed");
    else if (a.type === "slow") add(a.target.name, `slowed ${a.ms}ms`);
    else if (a.type === "partition")
      for (const c of sim.components)
        if (c.zones.some((z) => a.zones.includes(z))) add(c.name, "partitioned");
  }
  return out;
}

/** Breakers guarding calls to each callee: how many caller instances hold theirs open or half-open. */
function openBreakers(sim: Sim): Map<number, { open: number; total: number }> {
  const out = new Map<number, { open: number; total: number }>();
  for (const g of sim.guards.list) {
    if (!g.breakers) continue;
    const e = out.get(g.callee.index) ?? { open: 0, total: 0 };
    for (const br of g.breakers) {
      e.total++;
      if (br.state !== CLOSED) e.open++;
    }
    out.set(g.callee.index, e);
  }
  return out;
}

/** The inspector's facts a component's report holds, whichever kind it is. */
export function factsOfReport(r: ComponentReport): Record<string, string | number> {
  const facts: Record<string, string | number> = {};
  const series = (r.series ?? {}) as Record<string, number[]>;
  const last = (name: string): number | undefined => {
    const s = series[name];
    return s && s.length > 0 ? s[s.length - 1] : undefined;
  };
  const hit = last("hitRatio") ?? (typeof r.hitRatio === "number" ? r.hitRatio : undefined);
  if (hit !== undefined) facts["hit ratio"] = round2(hit);
  const lag = last("lag");
  if (lag !== undefined) facts["lag (messages)"] = lag;
  const lagMs = Object.keys(series)
    .filter((k) => k.startsWith("lagMs:"))
    .map((k) => last(k) ?? 0);
  if (lagMs.length > 0) facts["replication lag ms"] = round2(Math.max(...lagMs));
  if (typeof r.depth === "number") facts.depth = r.depth;
  if (typeof r.connections === "number") facts.connections = r.connections;
  const sharding = r.sharding as { requestImbalance?: { cv?: number } } | undefined;
  if (typeof sharding?.requestImbalance?.cv === "number")
    facts["shard imbalance (cv)"] = round2(sharding.requestImbalance.cv);
  return facts;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
