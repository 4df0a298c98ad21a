// Back-of-envelope capacity estimation (CATALOGUE §1.5, W-16): users and
// their actions -> requests per second -> storage -> bandwidth -> cache ->
// instances, with the queueing-theory prediction for the instances chosen
// next to it. Pure arithmetic on the inputs and the reference table; every
// step is the one a person would do on a whiteboard, written out.
import { HOURS_PER_MONTH, instancePrice, STORAGE, TRANSFER } from "../cost/prices.js";
import { type MarkovQueueResult, mmc } from "../theory/queueing.js";
import { REFERENCE as R } from "./reference.js";

export interface EstimateInput {
  /** daily active users */
  dau: number;
  /** actions (requests) per user per day, reads and writes together */
  actionsPerUser: number;
  /** the read:write ratio's two parts, e.g. 10 and 1 */
  reads: number;
  writes: number;
  /** bytes a read returns */
  readSize: number;
  /** bytes a write stores (and sends in) */
  writeSize: number;
  /** days data is kept */
  retentionDays: number;
  /** copies of every byte stored */
  replication: number;
  /** peak rate / average rate */
  peakFactor: number;
  /** requests/s one instance handles at 100% busy; default from instanceType, else the reference */
  capacity?: number;
  /** instance type of the service (prices it, and gives a capacity when `capacity` is absent) */
  instanceType?: string;
  /** workers (threads) per instance */
  concurrency: number;
  /** utilisation at peak instance counts are sized for */
  targetUtilization: number;
}

export const ESTIMATE_DEFAULTS = {
  reads: 10,
  writes: 1,
  readSize: 1000,
  writeSize: 1000,
  retentionDays: 5 * 365,
  replication: 3,
  peakFactor: 2,
  concurrency: 8,
  targetUtilization: R.targetUtilization.value,
} as const;

export interface Rates {
  total: number;
  reads: number;
  writes: number;
}

export interface Prediction extends MarkovQueueResult {
  /** requests/s reaching one instance */
  lambdaPerInstance: number;
  /** mean time a request holds a worker, ms */
  serviceTimeMs: number;
}

export interface Estimate {
  input: EstimateInput & { capacity: number; capacitySource: string };
  traffic: {
    actionsPerDay: number;
    readsPerDay: number;
    writesPerDay: number;
    average: Rates;
    peak: Rates;
  };
  /** bytes */
  storage: {
    perDay: number;
    perYear: number;
    /** over the retention period */
    retained: number;
    perDayReplicated: number;
    perYearReplicated: number;
    retainedReplicated: number;
  };
  /** bytes per second: in = writes x writeSize, out = reads x readSize */
  bandwidth: { average: { in: number; out: number }; peak: { in: number; out: number } };
  cache: {
    /** the 80/20 rule: the hot share of a day's read volume, in bytes */
    workingSet: number;
    /** nodes for the peak reads at the reference ops/s per node and the target utilisation */
    nodes: number;
    hitRatio: number;
    /** seconds of data access per second at the average read rate: hits at cacheHitMs, misses at dbQueryMs */
    dataSecondsPerSecond: number;
    /** the same with no cache: every read at dbQueryMs */
    dataSecondsPerSecondUncached: number;
  };
  database: {
    /** peak reads reaching the database (the misses) and peak writes */
    peakReads: number;
    peakWrites: number;
    /** primaries needed for the peak writes and the missed reads at the reference limits */
    shards: number;
  };
  instances: number;
  /** M/M/c per instance at the peak, and at the average rate */
  queueing: { peak: Prediction; average: Prediction };
  cost?: {
    instanceType: string;
    hourly: number;
    instancesMonthly: number;
    /** the retained, replicated data in object storage */
    storageMonthly: number;
    /** the average outbound bandwidth, a month of it, to the internet */
    egressMonthly: number;
    totalMonthly: number;
  };
}

export class EstimateError extends Error {}

function positive(name: string, v: number): void {
  if (!(v > 0) || !Number.isFinite(v)) throw new EstimateError(`${name} must be a positive number, got ${v}`);
}

/** Requests/s one instance handles, and where the figure comes from. */
function capacityOf(input: EstimateInput): { capacity: number; source: string } {
  if (input.capacity !== undefined) return { capacity: input.capacity, source: "given" };
  if (input.instanceType !== undefined) {
    const p = instancePrice(input.instanceType);
    if (!p) throw new EstimateError(`unknown instance type "${input.instanceType}"`);
    return {
      capacity: p.vcpu * R.rpsPerVcpu.value,
      source: `${input.instanceType}: ${p.vcpu} vCPU x ${R.rpsPerVcpu.value} req/s (rpsPerVcpu)`,
    };
  }
  return { capacity: R.appServerRps.value, source: "appServerRps (reference)" };
}

/** M/M/c for one of n instances with c workers, each holding a request for c / capacity seconds. */
export function predict(rps: number, instances: number, concurrency: number, capacity: number): Prediction {
  const lambda = rps / instances / 1000; // per ms
  const mu = capacity / concurrency / 1000; // per worker per ms
  return { ...mmc(lambda, mu, concurrency), lambdaPerInstance: lambda * 1000, serviceTimeMs: 1 / mu };
}

export function estimate(input: EstimateInput): Estimate {
  for (const k of [
    "dau",
    "actionsPerUser",
    "readSize",
    "writeSize",
    "retentionDays",
    "replication",
    "peakFactor",
    "concurrency",
    "targetUtilization",
  ] as const)
    positive(k, input[k]);
  if (!(input.reads >= 0 && input.writes >= 0 && input.reads + input.writes > 0))
    throw new EstimateError("the read:write ratio needs two numbers >= 0, not both 0 (e.g. 10:1)");
  if (input.targetUtilization >= 1) throw new EstimateError("the target utilisation must be below 100%");
  if (input.peakFactor < 1) throw new EstimateError("the peak factor is peak / average: at least 1");
  if (!Number.isInteger(input.concurrency)) throw new EstimateError("concurrency must be a whole number");
  const { capacity, source } = capacityOf(input);
  positive("capacity", capacity);

  const day = R.secondsPerDay.value;
  const readShare = input.reads / (input.reads + input.writes);
  const actionsPerDay = input.dau * input.actionsPerUser;
  const readsPerDay = actionsPerDay * readShare;
  const writesPerDay = actionsPerDay - readsPerDay;
  const rates = (factor: number): Rates => ({
    total: (actionsPerDay / day) * factor,
    reads: (readsPerDay / day) * factor,
    writes: (writesPerDay / day) * factor,
  });
  const average = rates(1);
  const peak = rates(input.peakFactor);

  const perDay = writesPerDay * input.writeSize;
  const storage = {
    perDay,
    perYear: perDay * 365,
    retained: perDay * input.retentionDays,
    perDayReplicated: perDay * input.replication,
    perYearReplicated: perDay * 365 * input.replication,
    retainedReplicated: perDay * input.retentionDays * input.replication,
  };
  const bw = (r: Rates) => ({ in: r.writes * input.writeSize, out: r.reads * input.readSize });

  const target = input.targetUtilization;
  const hit = R.cacheHitRatio.value;
  const cache = {
    workingSet: R.hotItems.value * readsPerDay * input.readSize,
    nodes: Math.max(1, Math.ceil(peak.reads / (R.cacheOpsPerNode.value * target))),
    hitRatio: hit,
    dataSecondsPerSecond: (average.reads * (hit * R.cacheHitMs.value + (1 - hit) * R.dbQueryMs.value)) / 1000,
    dataSecondsPerSecondUncached: (average.reads * R.dbQueryMs.value) / 1000,
  };
  const dbReads = peak.reads * (1 - hit);
  const database = {
    peakReads: dbReads,
    peakWrites: peak.writes,
    shards: Math.max(
      1,
      Math.ceil(peak.writes / (R.dbWriteQps.value * target)),
      Math.ceil(dbReads / (R.dbReadQps.value * target)),
    ),
  };
  const instances = Math.max(1, Math.ceil(peak.total / (capacity * target)));
  const queueing = {
    peak: predict(peak.total, instances, input.concurrency, capacity),
    average: predict(average.total, instances, input.concurrency, capacity),
  };
  const result: Estimate = {
    input: { ...input, capacity, capacitySource: source },
    traffic: { actionsPerDay, readsPerDay, writesPerDay, average, peak },
    storage,
    bandwidth: { average: bw(average), peak: bw(peak) },
    cache,
    database,
    instances,
    queueing,
  };
  const price = input.instanceType ? instancePrice(input.instanceType) : undefined;
  if (price) {
    const instancesMonthly = instances * price.hourly * HOURS_PER_MONTH;
    const storageMonthly = (storage.retainedReplicated / 1e9) * STORAGE.s3.perGbMonth;
    const egressMonthly =
      ((result.bandwidth.average.out * HOURS_PER_MONTH * 3600) / 1e9) * TRANSFER.internetOutPerGb;
    result.cost = {
      instanceType: input.instanceType!,
      hourly: price.hourly,
      instancesMonthly,
      storageMonthly,
      egressMonthly,
      totalMonthly: instancesMonthly + storageMonthly + egressMonthly,
    };
  }
  return result;
}
