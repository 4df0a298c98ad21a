import { describe, expect, it } from "vitest";
import { type DistSpec, sampler } from "../src/kernel/distributions.js";
import { stream } from "../src/kernel/rng.js";
import {
  checkLittlesLaw,
  erlangB,
  erlangC,
  littlesLaw,
  md1,
  mg1,
  mm1,
  mmc,
  mmcResponseTimeTail,
  responseTimeQuantile,
  waitQuantile,
} from "../src/theory/index.js";

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe("M/M/1", () => {
  it("matches the textbook values at rho = 0.5", () => {
    // lambda = 2, mu = 4: W = 1/(mu - lambda) = 1/2 = 2/mu, Wq = rho/(mu - lambda) = 1/4,
    // L = rho/(1 - rho) = 1, Lq = rho^2/(1 - rho) = 1/2.
    const r = mm1(2, 4);
    expect(r.rho).toBe(0.5);
    expect(r.w).toBeCloseTo(2 / 4, 14);
    expect(r.wq).toBeCloseTo(0.25, 14);
    expect(r.l).toBeCloseTo(1, 14);
    expect(r.lq).toBeCloseTo(0.5, 14);
    expect(r.pWait).toBeCloseTo(0.5, 14);
  });

  it("has exponential response time with rate mu - lambda", () => {
    // P(T <= t) = 1 - e^{-(mu - lambda) t}: median ln 2 / 2, p99 ln 100 / 2 for mu - lambda = 2.
    const r = mm1(2, 4);
    expect(r.p50).toBeCloseTo(Math.LN2 / 2, 14);
    expect(r.p99).toBeCloseTo(Math.log(100) / 2, 14);
    expect(responseTimeQuantile(0.9, 2, 4)).toBeCloseTo(Math.log(10) / 2, 14);
    expect(responseTimeQuantile(0, 2, 4)).toBe(0);
    for (const t of [0.1, 1, 3]) expect(mmcResponseTimeTail(t, 2, 4, 1)).toBeCloseTo(Math.exp(-2 * t), 14);
  });

  it("is M/M/c with one server", () => {
    const a = mm1(0.7, 1);
    const b = mmc(0.7, 1, 1);
    expect(a).toEqual(b);
    expect(erlangC(1, 0.7)).toBeCloseTo(0.7, 14); // with one server P(wait) = rho
  });
});

describe("Erlang B and C", () => {
  it("C(2, 1) = 1/3", () => {
    // sum_{k<2} a^k/k! = 2; a^2/2! * c/(c - a) = 1/2 * 2 = 1; C = 1 / (2 + 1).
    expect(erlangC(2, 1)).toBeCloseTo(1 / 3, 14);
  });

  it("B(2, 1) = 1/5", () => {
    // B = (a^c/c!) / sum_{k<=c} a^k/k! = (1/2) / (1 + 1 + 1/2).
    expect(erlangB(2, 1)).toBeCloseTo(0.2, 14);
  });

  it("stays finite and sensible for a thousand servers", () => {
    const c = erlangC(1000, 950);
    expect(Number.isFinite(c)).toBe(true);
    expect(c).toBeGreaterThan(0);
    expect(c).toBeLessThan(1);
    // more servers at the same utilisation means less waiting (economy of scale)
    expect(erlangC(1000, 950)).toBeLessThan(erlangC(100, 95));
  });
});

describe("M/M/c", () => {
  it("M/M/4 at lambda = 3.2, mu = 1 matches a hand calculation", () => {
    // a = 3.2, rho = 0.8.
    //   sum_{k=0}^{3} a^k/k! = 1 + 3.2 + 5.12 + 5.461333... = 14.781333...
    //   a^4/4! = 104.8576/24 = 4.369066...;  times c/(c - a) = 4/0.8 = 5  ->  21.845333...
    //   C = 21.845333 / (14.781333 + 21.845333) = 0.596432...
    //   Wq = C / (c mu - lambda) = 0.596432 / 0.8 = 0.745540...
    const r = mmc(3.2, 1, 4);
    expect(r.rho).toBeCloseTo(0.8, 14);
    expect(r.a).toBeCloseTo(3.2, 14);
    expect(r.pWait).toBeCloseTo(21.845333333333333 / 36.626666666666665, 12);
    expect(r.pWait).toBeCloseTo(0.596432, 6);
    expect(r.wq).toBeCloseTo(0.74554, 5);
    expect(r.w).toBeCloseTo(1.74554, 5);
    expect(r.lq).toBeCloseTo(3.2 * r.wq, 12);
    expect(r.l).toBeCloseTo(3.2 * r.w, 12);
    // L = Lq + a: on average a servers are busy
    expect(r.l - r.lq).toBeCloseTo(3.2, 12);
  });

  it("handles theta == mu, where the response time given a wait is Erlang-2", () => {
    // c = 2, lambda = 1, mu = 1: theta = c mu - lambda = 1 = mu and C(2, 1) = 1/3, so
    // P(T > t) = e^{-t} (1 + t/3); at t = 2 that is (5/3) e^{-2} = 0.225558...
    expect(mmcResponseTimeTail(2, 1, 1, 2)).toBeCloseTo((5 / 3) * Math.exp(-2), 14);
    // and the general branch is continuous through the special case
    for (const t of [0.01, 1, 5, 40]) {
      const at = mmcResponseTimeTail(t, 1, 1, 2);
      expect(rel(mmcResponseTimeTail(t, 1 + 1e-9, 1, 2), at)).toBeLessThan(1e-7);
      expect(rel(mmcResponseTimeTail(t, 1 - 1e-9, 1, 2), at)).toBeLessThan(1e-7);
      expect(rel(mmcResponseTimeTail(t, 1 + 1e-3, 1, 2), at)).toBeLessThan(1e-1);
    }
  });

  it("stays finite far into the tail when theta < mu", () => {
    // c = 3, lambda = 2.9, mu = 1: theta = 0.1 < mu; a naive e^{(mu - theta) t} would overflow
    const tail = mmcResponseTimeTail(5000, 2.9, 1, 3);
    expect(Number.isFinite(tail)).toBe(true);
    expect(tail).toBeGreaterThanOrEqual(0);
    expect(mmcResponseTimeTail(50, 2.9, 1, 3)).toBeGreaterThan(0);
  });

  it("quantiles invert the tail", () => {
    for (const [lambda, mu, c] of [
      [3.2, 1, 4],
      [1, 1, 2],
      [2.9, 1, 3],
      [90, 1, 100],
      [0.01, 1, 8],
    ]) {
      for (const p of [0.01, 0.5, 0.9, 0.99, 0.9999]) {
        const q = responseTimeQuantile(p, lambda, mu, c);
        expect(mmcResponseTimeTail(q, lambda, mu, c)).toBeCloseTo(1 - p, 12);
      }
    }
  });

  it("wait quantile is zero below 1 - C and exponential above", () => {
    const C = erlangC(4, 3.2);
    expect(waitQuantile(0.3, 3.2, 1, 4)).toBe(0);
    // P(Wq > t) = C e^{-0.8 t} = 0.01
    expect(waitQuantile(0.99, 3.2, 1, 4)).toBeCloseTo(Math.log(C / 0.01) / 0.8, 12);
  });

  it("agrees with a direct FCFS simulation (mean wait, P(wait), p99)", () => {
    const [lambda, mu, c] = [3.2, 1, 4];
    const th = mmc(lambda, mu, c);
    const sim = simulateFcfs(lambda, { type: "exponential", mean: 1 / mu }, c, th.p99, "mmc");
    expect(Math.abs(sim.wq.mean - th.wq)).toBeLessThan(4 * sim.wq.se);
    expect(Math.abs(sim.waited.mean - th.pWait)).toBeLessThan(4 * sim.waited.se);
    expect(Math.abs(sim.beyond.mean - 0.01)).toBeLessThan(4 * sim.beyond.se);
  });

  it("the response-time tail agrees with sampling Wq + S from its definition", () => {
    // Independent of the algebra: draw (wait w.p. C, Exp(theta)) + Exp(mu) directly.
    const [lambda, mu, c] = [2.5, 1, 3];
    const C = erlangC(c, lambda / mu);
    const theta = c * mu - lambda;
    const rng = stream(7, "tail");
    const n = 400_000;
    const ts = [0.5, 2, 6];
    const counts = ts.map(() => 0);
    for (let i = 0; i < n; i++) {
      const wait = rng.next() < C ? -Math.log(1 - rng.next()) / theta : 0;
      const t = wait - Math.log(1 - rng.next()) / mu;
      for (let j = 0; j < ts.length; j++) if (t > ts[j]) counts[j]++;
    }
    ts.forEach((t, j) => {
      const p = mmcResponseTimeTail(t, lambda, mu, c);
      const se = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(counts[j] / n - p)).toBeLessThan(4 * se);
    });
  });
});

describe("M/D/1 and M/G/1", () => {
  it("M/D/1 waits exactly half as long as M/M/1", () => {
    for (const rho of [0.1, 0.5, 0.9, 0.99]) {
      expect(md1(rho * 3, 3).wq).toBeCloseTo(mm1(rho * 3, 3).wq / 2, 12);
    }
    // lambda = 0.5, mu = 1: Wq = 0.5 / (2 * 1 * 0.5) = 0.5, W = 1.5, Lq = 0.25 / (2 * 0.5) = 0.25
    const r = md1(0.5, 1);
    expect(r.wq).toBeCloseTo(0.5, 14);
    expect(r.w).toBeCloseTo(1.5, 14);
    expect(r.lq).toBeCloseTo(0.25, 14);
    expect(r.l).toBeCloseTo(0.75, 14);
    expect(r.cs2).toBe(0);
  });

  it("M/G/1 with exponential service is M/M/1", () => {
    const [lambda, mu] = [0.8, 1.25];
    const g = mg1(lambda, 1 / mu, 2 / (mu * mu)); // E[S^2] = 2/mu^2 for an exponential
    const m = mm1(lambda, mu);
    for (const k of ["rho", "pWait", "wq", "w", "lq", "l"] as const) expect(g[k]).toBeCloseTo(m[k], 12);
    expect(g.cs2).toBeCloseTo(1, 12);
  });

  it("an infinite second moment gives an infinite wait", () => {
    const s = sampler({ type: "pareto", scale: 1, shape: 1.5 });
    expect(mg1(0.1, s.mean, s.secondMoment).wq).toBe(Number.POSITIVE_INFINITY);
  });

  it("M/D/1 and M/G/1 (lognormal service) agree with a Lindley-recursion simulation", () => {
    const det = simulateFcfs(0.7, { type: "constant", value: 1 }, 1, Number.POSITIVE_INFINITY, "md1");
    const md = md1(0.7, 1);
    expect(Math.abs(det.wq.mean - md.wq)).toBeLessThan(4 * det.wq.se);

    const spec: DistSpec = { type: "lognormal", mu: 0, sigma: 0.6 };
    const s = sampler(spec);
    const lambda = 0.6 / s.mean;
    const gen = simulateFcfs(lambda, spec, 1, Number.POSITIVE_INFINITY, "mg1");
    const mg = mg1(lambda, s.mean, s.secondMoment);
    expect(Math.abs(gen.wq.mean - mg.wq)).toBeLessThan(4 * gen.wq.se);
    expect(Math.abs(gen.waited.mean - mg.pWait)).toBeLessThan(4 * gen.waited.se);
  });
});

describe("Little's law", () => {
  it("L = lambda W", () => {
    expect(littlesLaw({ lambda: 10, W: 0.2 })).toBeCloseTo(2, 14);
    expect(littlesLaw({ lambda: 0, W: 5 })).toBe(0);
    const r = mmc(3.2, 1, 4);
    expect(littlesLaw({ lambda: 3.2, W: r.w })).toBeCloseTo(r.l, 12);
    expect(littlesLaw({ lambda: 3.2, W: r.wq })).toBeCloseTo(r.lq, 12);
  });

  it("the checker accepts agreement within tolerance and rejects the rest", () => {
    expect(checkLittlesLaw({ L: 2.01, lambda: 10, W: 0.2 }).ok).toBe(true);
    const bad = checkLittlesLaw({ L: 2.5, lambda: 10, W: 0.2 });
    expect(bad.ok).toBe(false);
    expect(bad.expected).toBeCloseTo(2, 14);
    expect(bad.relativeError).toBeCloseTo(0.25, 12);
    expect(checkLittlesLaw({ L: 2.5, lambda: 10, W: 0.2 }, 0.3).ok).toBe(true);
    expect(checkLittlesLaw({ L: 0, lambda: 0, W: 1 }).ok).toBe(true);
  });
});

describe("invalid inputs", () => {
  it("rejects unstable queues (rho >= 1) with a RangeError naming the cause", () => {
    expect(() => mm1(1, 1)).toThrow(RangeError);
    expect(() => mm1(2, 1)).toThrow(/unstable.*rho/);
    expect(() => mmc(4, 1, 4)).toThrow(RangeError);
    expect(() => mmc(5, 1, 4)).toThrow(/unstable/);
    expect(() => md1(1, 1)).toThrow(RangeError);
    expect(() => mg1(1, 1.5, 3)).toThrow(/unstable/);
    expect(() => erlangC(2, 2)).toThrow(RangeError);
    expect(() => responseTimeQuantile(0.5, 4, 1, 4)).toThrow(RangeError);
    expect(() => mmcResponseTimeTail(1, 4, 1, 4)).toThrow(RangeError);
  });

  it("rejects non-positive and malformed inputs", () => {
    expect(() => mm1(0, 1)).toThrow(/lambda/);
    expect(() => mm1(-1, 1)).toThrow(RangeError);
    expect(() => mm1(0.5, 0)).toThrow(/mu/);
    expect(() => mm1(Number.NaN, 1)).toThrow(RangeError);
    expect(() => mmc(1, 1, 0)).toThrow(/servers/);
    expect(() => mmc(1, 1, 2.5)).toThrow(/servers/);
    expect(() => erlangC(3, 0)).toThrow(RangeError);
    expect(() => erlangB(0, 1)).toThrow(RangeError);
    expect(() => mg1(0.1, 0, 1)).toThrow(RangeError);
    expect(() => mg1(0.1, 1, 0)).toThrow(RangeError);
    expect(() => mg1(0.1, 2, 1)).toThrow(/negative variance/);
    expect(() => responseTimeQuantile(1, 1, 2)).toThrow(/quantile/);
    expect(() => responseTimeQuantile(-0.1, 1, 2)).toThrow(/quantile/);
    expect(() => littlesLaw({ lambda: -1, W: 1 })).toThrow(RangeError);
    expect(() => littlesLaw({ lambda: 1, W: Number.POSITIVE_INFINITY })).toThrow(RangeError);
  });
});

interface BatchStat {
  mean: number;
  se: number;
}

/**
 * FCFS c-server queue driven customer by customer: each arrival takes the
 * server that frees up first, so waits are exactly those of M/G/c FCFS. Waits
 * are autocorrelated, so the standard error comes from batch means.
 */
function simulateFcfs(
  lambda: number,
  service: DistSpec,
  c: number,
  threshold: number,
  name: string,
): { wq: BatchStat; waited: BatchStat; beyond: BatchStat } {
  const arrivals = stream(42, `${name}/arrivals`);
  const services = stream(42, `${name}/services`);
  const s = sampler(service);
  const warmup = 20_000;
  const batches = 40;
  const perBatch = 25_000;
  const free = new Float64Array(c);
  const wq = new Float64Array(batches);
  const waited = new Float64Array(batches);
  const beyond = new Float64Array(batches);
  let t = 0;
  for (let i = 0; i < warmup + batches * perBatch; i++) {
    t += -Math.log(1 - arrivals.next()) / lambda;
    let m = 0;
    for (let j = 1; j < c; j++) if (free[j] < free[m]) m = j;
    const start = Math.max(free[m], t);
    const svc = s.sample(services);
    free[m] = start + svc;
    if (i < warmup) continue;
    const b = Math.floor((i - warmup) / perBatch);
    const wait = start - t;
    wq[b] += wait / perBatch;
    if (wait > 0) waited[b] += 1 / perBatch;
    if (wait + svc > threshold) beyond[b] += 1 / perBatch;
  }
  return { wq: batchStat(wq), waited: batchStat(waited), beyond: batchStat(beyond) };
}

function batchStat(x: Float64Array): BatchStat {
  const n = x.length;
  const mean = x.reduce((a, b) => a + b, 0) / n;
  const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(variance / n) };
}
