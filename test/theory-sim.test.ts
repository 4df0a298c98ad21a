// The simulator against queueing theory: the examples/theory designs at
// several loads, replicated over independent seeds. Each assertion is that
// theory lies inside the replications' 99.9% confidence interval, and that the
// standard error is under 1% of the value, so the check has teeth.
import { describe, expect, it } from "vitest";
import { sampler } from "../src/kernel/distributions.js";
import { md1, mg1, mm1, mmc } from "../src/theory/queueing.js";
import { confidence, runFile } from "./support/run.js";

const SEEDS = [11, 22, 33, 44, 55, 66, 77, 88];
const MU = 1000; // per second: service time 1ms in every theory example

interface Case {
  name: string;
  file: string;
  rho: number;
  c: number;
  theory: { w: number; wq: number };
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const rho of [0.5, 0.7, 0.9]) {
    const lam = rho * MU;
    const m1 = mm1(lam / 1000, MU / 1000); // per ms
    out.push({
      name: `M/M/1 rho=${rho}`,
      file: "examples/theory/mm1.yaml",
      rho,
      c: 1,
      theory: { w: m1.w, wq: m1.wq },
    });
    const d1 = md1(lam / 1000, MU / 1000);
    out.push({
      name: `M/D/1 rho=${rho}`,
      file: "examples/theory/md1.yaml",
      rho,
      c: 1,
      theory: { w: d1.w, wq: d1.wq },
    });
    const mc = mmc((4 * lam) / 1000, MU / 1000, 4);
    out.push({
      name: `M/M/4 rho=${rho}`,
      file: "examples/theory/mmc.yaml",
      rho,
      c: 4,
      theory: { w: mc.w, wq: mc.wq },
    });
  }
  return out;
}

describe("queueing theory", () => {
  for (const k of cases()) {
    it(`${k.name}: mean response, wait, utilisation and throughput`, () => {
      const lamPerSec = k.rho * MU * k.c;
      // heavier load mixes slower: simulate long enough for a tight interval
      // (M/M/1's sojourn times are the most autocorrelated near saturation)
      const seconds = k.rho < 0.9 ? 150 : k.c === 1 ? 1500 : 600;
      const ws: number[] = [];
      const us: number[] = [];
      const xs: number[] = [];
      const littles: number[] = [];
      for (const seed of SEEDS) {
        const r = runFile(
          k.file,
          [`components.clients.arrival.rate=${lamPerSec}/s`, `duration=${seconds}s`],
          { seed },
        );
        expect(r.requests.failed).toBe(0);
        ws.push(r.latencyMs.mean);
        us.push(r.components.server.utilization);
        xs.push(r.throughputPerSec);
        // Little's law on the sample path: time-average number in system = rate x mean time
        const server = r.components.server as unknown as { queueLength: number; utilization: number };
        const inSystem = server.queueLength + server.utilization * k.c;
        littles.push(inSystem / ((r.throughputPerSec / 1000) * r.latencyMs.mean));
      }
      const w = confidence(ws);
      const u = confidence(us);
      const x = confidence(xs);
      // the estimate must be precise enough to mean something (standard error under 1%)...
      expect(w.se / k.theory.w).toBeLessThan(0.01);
      // ...and theory must lie inside it
      expect(Math.abs(w.mean - k.theory.w)).toBeLessThanOrEqual(w.half);
      // mean wait = response - service (1ms)
      expect(Math.abs(w.mean - 1 - k.theory.wq)).toBeLessThanOrEqual(w.half);
      expect(Math.abs(u.mean - k.rho)).toBeLessThanOrEqual(u.half);
      expect(Math.abs(x.mean - lamPerSec)).toBeLessThanOrEqual(x.half);
      // edge effects only (requests in flight at the end): well under 1%
      for (const l of littles) expect(Math.abs(l - 1)).toBeLessThan(0.01);
    });
  }
});

describe("M/G/1 (Pollaczek-Khinchine)", () => {
  // Service times with more spread than exponential: lognormal with median 0.6ms
  // and p99 5ms (mean about 0.96ms, squared coefficient of variation about 2.3).
  const service = "lognormal(median=0.6ms, p99=5ms)";
  const dist = sampler({ type: "lognormal", median: 0.6, p99: 5 });
  for (const rho of [0.5, 0.8]) {
    it(`rho=${rho}: mean response matches P-K`, () => {
      const lamPerMs = rho / dist.mean;
      const theory = mg1(lamPerMs, dist.mean, dist.secondMoment);
      const ws: number[] = [];
      for (const seed of SEEDS) {
        const r = runFile(
          "examples/theory/mm1.yaml",
          [
            `components.clients.arrival.rate=${lamPerMs * 1000}/s`,
            `components.server.routes.job=[{ compute: "${service}" }]`,
            `duration=${rho < 0.8 ? 200 : 800}s`,
          ],
          { seed },
        );
        ws.push(r.latencyMs.mean);
      }
      const w = confidence(ws);
      expect(w.se / theory.w).toBeLessThan(0.01);
      expect(Math.abs(w.mean - theory.w)).toBeLessThanOrEqual(w.half);
    });
  }
});
