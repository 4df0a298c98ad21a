// archsim estimate: the arithmetic against the catalogue's worked examples
// (CATALOGUE §1.5), derived here by hand; the queueing prediction against the
// theory module; inputs read as people write them; the reference table in
// docs/estimate.md against the code's; and the emitted starter design run
// through the simulator, whose service utilisation must be the estimate's.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HOURS_PER_MONTH, INSTANCE_TYPES, STORAGE, TRANSFER } from "../src/cost/prices.js";
import { DesignError } from "../src/design/errors.js";
import { loadDesign } from "../src/design/load.js";
import { emitDesign, starterModel } from "../src/estimate/emit.js";
import { ESTIMATE_DEFAULTS, estimate, type EstimateInput } from "../src/estimate/estimate.js";
import { inputFromFile, inputFromValues, parseRatio, parseRetentionDays } from "../src/estimate/input.js";
import { REFERENCE, referenceTable } from "../src/estimate/reference.js";
import { renderEstimate } from "../src/estimate/text.js";
import { mmc } from "../src/theory/queueing.js";
import { runDesign } from "../src/run.js";

const input = (over: Partial<EstimateInput>): EstimateInput => ({
  dau: 1e6,
  actionsPerUser: 10,
  ...ESTIMATE_DEFAULTS,
  ...over,
});
const DAY = 86_400;

describe("the catalogue's worked examples (§1.5)", () => {
  it("storage: 50M DAU x 2 posts x 500 B = 50 GB/day, about 18 TB/year", () => {
    const e = estimate(
      input({ dau: 50e6, actionsPerUser: 2, reads: 0, writes: 1, writeSize: 500, replication: 3 }),
    );
    expect(e.storage.perDay).toBeCloseTo(50e9, 0);
    expect(e.storage.perYear).toBeCloseTo(50e9 * 365, 0);
    expect(Math.round(e.storage.perYear / 1e12)).toBe(18);
    expect(e.storage.perYearReplicated).toBeCloseTo(3 * 50e9 * 365, 0);
    expect(e.storage.retained).toBeCloseTo(50e9 * ESTIMATE_DEFAULTS.retentionDays, 0);
  });

  it("Twitter: 500M tweets/day is about 6K write QPS", () => {
    const e = estimate(input({ dau: 500e6, actionsPerUser: 1, reads: 0, writes: 1 }));
    expect(e.traffic.average.writes).toBeCloseTo(500e6 / DAY, 9);
    expect(Math.round(e.traffic.average.writes / 1000)).toBe(6);
  });

  it("polling: 100K clients every 5 s is 1.2M requests a minute", () => {
    const e = estimate(input({ dau: 100e3, actionsPerUser: DAY / 5, reads: 1, writes: 0 }));
    expect(e.traffic.average.reads * 60).toBeCloseTo(1.2e6, 6);
    expect(e.traffic.average.writes).toBe(0);
  });

  it("presence: 5M users heartbeating every 5 s is 1M writes/s, 86.4B a day", () => {
    const e = estimate(input({ dau: 5e6, actionsPerUser: DAY / 5, reads: 0, writes: 1 }));
    expect(e.traffic.average.writes).toBeCloseTo(1e6, 6);
    expect(e.traffic.writesPerDay).toBeCloseTo(86.4e9, 0);
  });

  it("DB time: 1,000 reads/s at 10 ms is 10 s a second; at an 80% hit ratio, 800 x 1 ms + 200 x 10 ms = 2.8 s", () => {
    const e = estimate(input({ dau: DAY * 1000, actionsPerUser: 1, reads: 1, writes: 0 }));
    expect(e.traffic.average.reads).toBeCloseTo(1000, 9);
    expect(e.cache.dataSecondsPerSecondUncached).toBeCloseTo(10, 9);
    expect(e.cache.dataSecondsPerSecond).toBeCloseTo(0.8 * 0.001 * 1000 + 0.2 * 0.01 * 1000, 9);
  });
});

describe("the rest of the arithmetic", () => {
  const i = input({
    dau: 10e6,
    actionsPerUser: 20,
    reads: 10,
    writes: 1,
    readSize: 2000,
    writeSize: 500,
    peakFactor: 3,
    instanceType: "m5.large",
  });
  const e = estimate(i);
  const perDay = 10e6 * 20;
  const readsPerDay = (perDay * 10) / 11;

  it("rates, bandwidth and the working set", () => {
    expect(e.traffic.peak.total).toBeCloseTo((perDay / DAY) * 3, 9);
    expect(e.traffic.peak.reads + e.traffic.peak.writes).toBeCloseTo(e.traffic.peak.total, 9);
    expect(e.bandwidth.peak.out).toBeCloseTo((readsPerDay / DAY) * 3 * 2000, 6);
    expect(e.bandwidth.average.in).toBeCloseTo(((perDay - readsPerDay) / DAY) * 500, 6);
    expect(e.cache.workingSet).toBeCloseTo(0.2 * readsPerDay * 2000, 0);
  });

  it("instances: the fewest that keep the peak at or below the target utilisation", () => {
    const capacity = INSTANCE_TYPES["m5.large"].vcpu * REFERENCE.rpsPerVcpu.value;
    expect(e.input.capacity).toBe(capacity);
    const perInstance = capacity * ESTIMATE_DEFAULTS.targetUtilization;
    expect(e.instances * perInstance).toBeGreaterThanOrEqual(e.traffic.peak.total);
    expect((e.instances - 1) * perInstance).toBeLessThan(e.traffic.peak.total);
  });

  it("the queueing prediction is M/M/c for one instance, c = concurrency, each worker at capacity / c", () => {
    const c = i.concurrency;
    const mu = e.input.capacity / c;
    const q = mmc(e.traffic.peak.total / e.instances, mu, c);
    expect(e.queueing.peak.rho).toBeCloseTo(e.traffic.peak.total / (e.instances * e.input.capacity), 12);
    expect(e.queueing.peak.rho).toBeLessThanOrEqual(ESTIMATE_DEFAULTS.targetUtilization);
    expect(e.queueing.peak.wq).toBeCloseTo(q.wq * 1000, 9); // ms
    expect(e.queueing.peak.p99).toBeCloseTo(q.p99 * 1000, 6);
    expect(e.queueing.average.rho).toBeCloseTo(e.queueing.peak.rho / 3, 12);
  });

  it("cost: instances x $/hour x 730 h, retained replicated bytes in S3, a month of egress", () => {
    const c = e.cost!;
    expect(c.instancesMonthly).toBeCloseTo(
      e.instances * INSTANCE_TYPES["m5.large"].hourly * HOURS_PER_MONTH,
      9,
    );
    expect(c.storageMonthly).toBeCloseTo((e.storage.retainedReplicated / 1e9) * STORAGE.s3.perGbMonth, 6);
    expect(c.egressMonthly).toBeCloseTo(
      ((e.bandwidth.average.out * HOURS_PER_MONTH * 3600) / 1e9) * TRANSFER.internetOutPerGb,
      6,
    );
    expect(renderEstimate(e)).toMatch(/cost per month/);
  });

  it("refuses impossible inputs with a reason", () => {
    expect(() => estimate(input({ reads: 0, writes: 0 }))).toThrow(/read:write ratio/);
    expect(() => estimate(input({ targetUtilization: 1.2 }))).toThrow(/below 100%/);
    expect(() => estimate(input({ peakFactor: 0.5 }))).toThrow(/at least 1/);
  });
});

describe("inputs", () => {
  it("reads ratios, retentions and units as people write them", () => {
    expect(parseRatio("10:1")).toEqual([10, 1]);
    expect(parseRatio("1:0")).toEqual([1, 0]);
    expect(() => parseRatio("10/1")).toThrow(/read:write ratio/);
    expect(parseRetentionDays("5y")).toBe(5 * 365);
    expect(parseRetentionDays("30d")).toBe(30);
    const p = inputFromValues({
      dau: "10M",
      actionsPerUser: "20",
      readSize: "2KB",
      capacity: "1.5k/s",
      targetUtilization: "60%",
    });
    expect(p.input.dau).toBe(10e6);
    expect(p.input.readSize).toBe(2000);
    expect(p.input.capacity).toBe(1500);
    expect(p.input.targetUtilization).toBeCloseTo(0.6, 12);
  });

  it("says what is missing or wrong, with a suggestion", () => {
    expect(() => inputFromValues({ actionsPerUser: "20" })).toThrow(/daily active users \(dau\) is required/);
    expect(() => inputFromValues({ dau: "1M", actionsPerUser: "2", instanceType: "m5.lrge" })).toThrow(
      /unknown instance type "m5\.lrge"[\s\S]*did you mean m5\.large\?/,
    );
  });

  it("a file's bad value is located at file:line:col; flags override the file", () => {
    const text = "dau: 10M\nactionsPerUser: 20\nreadSzie: 2KB\n";
    try {
      inputFromFile(text, "inputs.yaml", {});
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DesignError);
      expect((e as Error).message).toMatch(
        /inputs\.yaml:3:1: unknown input "readSzie"[\s\S]*did you mean readSize\?/,
      );
    }
    const p = inputFromFile("dau: 10M\nactionsPerUser: 20\n", "inputs.yaml", { actionsPerUser: "5" });
    expect(p.input.actionsPerUser).toBe(5);
  });
});

describe("docs/estimate.md", () => {
  it("shows the reference table exactly as src/estimate/reference.ts has it", () => {
    expect(readFileSync("docs/estimate.md", "utf8")).toContain(referenceTable());
  });
});

describe("the emitted starter design", () => {
  const e = estimate(
    input({
      dau: 2e6,
      actionsPerUser: 20,
      reads: 10,
      writes: 1,
      peakFactor: 2,
      capacity: 200,
      concurrency: 4,
      instanceType: "c5.large",
    }),
  );
  const text = emitDesign(e, { durationMs: 60_000 });
  const m = starterModel(e, { durationMs: 60_000 });

  it("is a valid design with the estimate's instances, at the peak rate", () => {
    const { design } = loadDesign(text, "starter.yaml");
    const api = design.components.api as { instances?: number; concurrency?: number };
    expect(api.instances).toBe(e.instances);
    expect(api.concurrency).toBe(4);
    expect(e.instances).toBeGreaterThan(2);
  });

  it("runs with the service's utilisation at the estimate's prediction", () => {
    const r = runDesign(loadDesign(text, "starter.yaml"));
    expect(r.requests.failed).toBe(0);
    const util = r.components.api.utilization;
    const lambdaT = e.traffic.peak.total * (m.durationMs / 1000);
    // the utilisation is a sum of hold times over lambda T requests: its relative standard
    // deviation is sqrt((1 + cv^2) / (lambda T)) <= sqrt(2 / (lambda T)) (cv <= 1 here); 4 of them
    const statistical = 4 * m.utilization * Math.sqrt(2 / lambdaT);
    // Che's hit ratio is good to 2 points (the accuracy test/mechanisms-che.test.ts holds it to);
    // each point of misses moves the reads' hold time by the database round trip
    const che =
      (e.traffic.peak.reads * 0.02 * (2 * m.hopMs + REFERENCE.dbReadMs.value)) /
      (e.instances * e.input.concurrency * 1000);
    expect(Math.abs(util - m.utilization)).toBeLessThan(statistical + che);
    const hit = r.components.cache.hitRatio as number;
    expect(Math.abs(hit - m.cacheHitRatio)).toBeLessThan(0.02);
    // the priced starter has a cost section with the service at the catalogue price
    const api = r.cost!.components.find((c) => c.component === "api")!;
    expect(api.monthly).toBeCloseTo(e.instances * INSTANCE_TYPES["c5.large"].hourly * HOURS_PER_MONTH, 9);
  });
});
