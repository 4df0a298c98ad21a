// The report's `cost` section: what each priced component would cost per
// month if the simulated period went on for a month. Every line is a usage
// quantity per month times a unit price from the catalogue, both shown, so a
// reader can check the arithmetic: monthly = sum of usage[k] × unitPrices[k].
// Instance-priced components pay for instance-hours (a fixed count × 730 h,
// or an autoscaled fleet's measured instance-seconds scaled up to a month);
// usage-priced ones pay for what the run measured (requests, bytes), scaled
// up the same way.
import type { ComponentReport } from "../components/runtime.js";
import type { ComponentSpec, Design } from "../design/schema.js";
import { DEFAULTS } from "../design/defaults.js";
import { HOURS_PER_MONTH, instancePrice, PRICES_SOURCE, SERVICES, servicePrice, STORAGE } from "./prices.js";
import { retainedGb } from "./retention.js";

/** One priced component. Keys of `usage` and `unitPrices` are the same; their products add up to `monthly`. */
export interface ComponentCost {
  component: string;
  kind: string;
  instanceType?: string;
  pricing?: string;
  /** instances paid for: the design's count, or an autoscaled fleet's average over the run */
  instances: number;
  /** quantities per month: instanceHours, storageGbMonths, lbHours, lcuHours, gbOut, tenThousandRequests, millionRequests, zoneMonths */
  usage: Record<string, number>;
  /** dollars per unit of each usage quantity */
  unitPrices: Record<string, number>;
  /** dollars per hour: monthly / hoursPerMonth */
  hourly: number;
  /** dollars per month */
  monthly: number;
}

export interface CostSection {
  currency: "USD";
  /** where the prices come from (src/cost/prices.ts) */
  prices: string;
  hoursPerMonth: number;
  /** the simulated period the usage was measured over, extrapolated to a month */
  simulatedHours: number;
  components: ComponentCost[];
  /** components that could be priced but have no instanceType, pricing or costPerHour */
  unpriced: string[];
  total: { hourly: number; monthly: number };
}

/** Instances the design gives a component (for a service without a fleet report, its fixed count). */
export function designInstances(c: ComponentSpec): number {
  switch (c.kind) {
    case "service":
      return c.instances ?? c.autoscale?.min ?? 1;
    case "consumer":
    case "gateway":
    case "realtime":
    case "limiter-store":
    case "block-store":
      return c.instances ?? 1;
    case "cache":
      return (c.nodes ?? 1) * (1 + (c.replicas ?? 0));
    case "database":
      return (c.shards ?? 1) * (1 + (c.replicas ?? 0));
    case "quorum-store":
      return c.nodes ?? 3;
    case "multi-leader":
      return c.leaders ?? 2;
    case "topic":
      return c.brokers ?? 1;
    case "queue":
      return c.nodes ?? 1;
    default:
      return 1;
  }
}

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

function finish(
  name: string,
  c: ComponentSpec,
  instances: number,
  usage: Record<string, number>,
  unitPrices: Record<string, number>,
): ComponentCost {
  let monthly = 0;
  for (const k of Object.keys(usage)) monthly += usage[k] * unitPrices[k];
  return {
    component: name,
    kind: c.kind,
    ...("instanceType" in c && c.instanceType !== undefined && { instanceType: c.instanceType }),
    ...("pricing" in c && c.pricing !== undefined && { pricing: c.pricing }),
    instances,
    usage,
    unitPrices,
    hourly: monthly / HOURS_PER_MONTH,
    monthly,
  };
}

/** A usage-priced component: its measured usage × month / simulated period. */
function usageCost(
  name: string,
  c: ComponentSpec & { pricing?: string },
  rep: ComponentReport,
  perMonth: number,
  simulatedSec: number,
): ComponentCost | null {
  const p = c.pricing === undefined ? undefined : servicePrice(c.pricing);
  if (!p) return null;
  const s = p as Record<string, number | string>;
  switch (p.kind) {
    case "load-balancer": {
      const rps = simulatedSec > 0 ? num(rep.requests) / simulatedSec : 0;
      const lcu = rps / (s.requestsPerSecondPerLcu as number);
      return finish(
        name,
        c,
        1,
        { lbHours: HOURS_PER_MONTH, lcuHours: lcu * HOURS_PER_MONTH },
        { lbHours: s.hourly as number, lcuHours: s.lcuHourly as number },
      );
    }
    case "cdn": {
      const bytes = rep.bytes as { served?: number } | undefined;
      return finish(
        name,
        c,
        0,
        {
          gbOut: (num(bytes?.served) / 1e9) * perMonth,
          tenThousandRequests: (num(rep.requests) / 1e4) * perMonth,
        },
        { gbOut: s.perGbOut as number, tenThousandRequests: s.per10kRequests as number },
      );
    }
    case "queue": {
      const d = rep.delivery as { messages?: number } | undefined;
      const requests = 3 * num(d?.messages) + num(rep.redeliveries);
      return finish(
        name,
        c,
        0,
        { millionRequests: (requests / 1e6) * perMonth },
        { millionRequests: s.perMillionRequests as number },
      );
    }
    case "dns":
      return finish(
        name,
        c,
        0,
        { zoneMonths: 1, millionRequests: (num(rep.authoritativeAnswers) / 1e6) * perMonth },
        { zoneMonths: s.zoneMonthly as number, millionRequests: s.perMillionQueries as number },
      );
    case "gateway":
      return finish(
        name,
        c,
        0,
        { millionRequests: (num(rep.arrivals) / 1e6) * perMonth },
        { millionRequests: s.perMillionRequests as number },
      );
  }
}

/** An instance-priced component: instance-hours × its price, plus storage. */
function instanceCost(
  name: string,
  c: ComponentSpec,
  rep: ComponentReport | undefined,
  perMonth: number,
  simulatedSec: number,
): ComponentCost | null {
  const spec = c as { instanceType?: string; costPerHour?: number; storage?: number };
  const price =
    spec.costPerHour ?? (spec.instanceType ? instancePrice(spec.instanceType)?.hourly : undefined);
  const storage = spec.storage;
  if (price === undefined && storage === undefined) return null;
  const usage: Record<string, number> = {};
  const unitPrices: Record<string, number> = {};
  let instances = designInstances(c);
  const capacity = rep?.capacity as { instanceSeconds?: number; cost?: number } | undefined;
  if (price !== undefined) {
    if (c.kind === "service" && capacity && typeof capacity.instanceSeconds === "number") {
      // a fleet that changes: pay for the instance-seconds it ran, at what they cost
      const hours = capacity.instanceSeconds / 3600;
      instances = simulatedSec > 0 ? capacity.instanceSeconds / simulatedSec : instances;
      usage.instanceHours = hours * perMonth;
      // the average price per instance-hour: the price itself unless a resize changed it
      unitPrices.instanceHours = hours > 0 ? num(capacity.cost) / hours : price;
    } else {
      usage.instanceHours = instances * HOURS_PER_MONTH;
      unitPrices.instanceHours = price;
    }
  }
  if (storage !== undefined) {
    usage.storageGbMonths = (storage / 1e9) * designInstances(c);
    unitPrices.storageGbMonths = STORAGE.gp3.perGbMonth;
  }
  if (c.kind === "topic" && c.profile === "pulsar" && price !== undefined) {
    // a Pulsar topic's retained data: on the bookies' disks, or offloaded to object storage
    const rate = simulatedSec > 0 ? num(rep?.appendedBytes) / simulatedSec : 0;
    const held = retainedGb(
      rate,
      c.retention?.time ?? DEFAULTS.topic.retentionTime,
      c.tieredStorage?.after ?? Number.POSITIVE_INFINITY,
      c.replication?.factor ?? 1,
    );
    usage.storageGbMonths = held.diskGb;
    unitPrices.storageGbMonths = STORAGE.gp3.perGbMonth;
    usage.objectStorageGbMonths = held.objectGb;
    unitPrices.objectStorageGbMonths = STORAGE.s3.perGbMonth;
  }
  return finish(name, c, instances, usage, unitPrices);
}

const USAGE_KINDS = new Set<string>(Object.values(SERVICES).map((s) => s.kind));

/** Kinds that can be priced at all: by instances, or by usage. */
export function priceable(c: ComponentSpec): boolean {
  return c.kind !== "workload";
}

/**
 * The cost section of a report, or undefined when nothing in the design is
 * priced. `simulatedMs` is the time the usage was measured over.
 */
export function costSection(
  design: Design,
  components: Record<string, ComponentReport>,
  simulatedMs: number,
): CostSection | undefined {
  const simulatedSec = simulatedMs / 1000;
  const simulatedHours = simulatedSec / 3600;
  // one simulated period's usage, times this, is a month's
  const perMonth = simulatedHours > 0 ? HOURS_PER_MONTH / simulatedHours : 0;
  const priced: ComponentCost[] = [];
  const unpriced: string[] = [];
  for (const [name, c] of Object.entries(design.components)) {
    if (!priceable(c)) continue;
    const rep = components[name];
    const line =
      "pricing" in c && c.pricing !== undefined && USAGE_KINDS.has(c.kind)
        ? usageCost(name, c, rep ?? { kind: c.kind, utilization: 0 }, perMonth, simulatedSec)
        : instanceCost(name, c, rep, perMonth, simulatedSec);
    if (line) priced.push(line);
    else unpriced.push(name);
  }
  if (priced.length === 0) return undefined;
  const monthly = priced.reduce((s, l) => s + l.monthly, 0);
  return {
    currency: "USD",
    prices: PRICES_SOURCE,
    hoursPerMonth: HOURS_PER_MONTH,
    simulatedHours,
    components: priced,
    unpriced,
    total: { hourly: monthly / HOURS_PER_MONTH, monthly },
  };
}
