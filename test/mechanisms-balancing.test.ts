import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stream } from "../src/kernel/rng.js";
import {
  BALANCER_ALGORITHMS,
  type BackendView,
  type BalancerAlgorithm,
  createBalancer,
  Ewma,
} from "../src/mechanisms/balancing.js";
import { HashRing, hash32, rendezvous } from "../src/mechanisms/hashing.js";

class TestView implements BackendView {
  readonly up: boolean[];
  readonly conns: number[];
  readonly weights: number[];
  readonly lat: number[];
  constructor(
    readonly count: number,
    init: { up?: boolean[]; conns?: number[]; weights?: number[]; lat?: number[] } = {},
  ) {
    this.up = init.up ?? new Array(count).fill(true);
    this.conns = init.conns ?? new Array(count).fill(0);
    this.weights = init.weights ?? new Array(count).fill(1);
    this.lat = init.lat ?? new Array(count).fill(0);
  }
  usable(i: number): boolean {
    return this.up[i];
  }
  active(i: number): number {
    return this.conns[i];
  }
  weight(i: number): number {
    return this.weights[i];
  }
  latency(i: number): number {
    return this.lat[i];
  }
}

const noRand = () => {
  throw new Error("this policy should not draw randomness");
};

function tally(alg: BalancerAlgorithm, view: TestView, picks: number, weights?: number[]): number[] {
  const b = createBalancer(alg, { count: view.count, weights });
  const rng = stream(1, "tally");
  const rand = () => rng.next();
  const counts = new Array(view.count).fill(0);
  for (let i = 0; i < picks; i++) counts[b.pick(view, i, rand)]++;
  return counts;
}

describe("round robin (LB-01)", () => {
  it("gives each backend exactly 1/n and skips unusable ones", () => {
    expect(tally("round-robin", new TestView(4), 10_000)).toEqual([2500, 2500, 2500, 2500]);
    const view = new TestView(4, { up: [true, false, true, true] });
    const b = createBalancer("round-robin", { count: 4 });
    const seq = Array.from({ length: 7 }, () => b.pick(view, 0, noRand));
    expect(seq).toEqual([0, 2, 3, 0, 2, 3, 0]);
    view.up.fill(false);
    expect(b.pick(view, 0, noRand)).toBe(-1);
  });
});

describe("smooth weighted round robin (LB-02)", () => {
  it("interleaves 5:1:1 as nginx does", () => {
    const view = new TestView(3, { weights: [5, 1, 1] });
    const b = createBalancer("weighted-round-robin", { count: 3 });
    const seq = Array.from({ length: 14 }, () => b.pick(view, 0, noRand));
    expect(seq).toEqual([0, 0, 1, 0, 2, 0, 0, 0, 0, 1, 0, 2, 0, 0]);
  });

  it("serves exact proportions over every cycle, never more than w_i in a row", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 6 }), (weights) => {
        const n = weights.length;
        const view = new TestView(n, { weights });
        const b = createBalancer("weighted-round-robin", { count: n });
        const total = weights.reduce((a, c) => a + c, 0);
        let last = -1;
        let run = 0;
        for (let cycle = 0; cycle < 3; cycle++) {
          const counts = new Array(n).fill(0);
          for (let i = 0; i < total; i++) {
            const p = b.pick(view, 0, noRand);
            counts[p]++;
            run = p === last ? run + 1 : 1;
            last = p;
            expect(run).toBeLessThanOrEqual(weights[p]);
          }
          expect(counts).toEqual(weights);
        }
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  it("leaves out unusable and zero-weight backends", () => {
    const view = new TestView(3, { weights: [2, 0, 1], up: [true, true, false] });
    expect(tally("weighted-round-robin", view, 10)).toEqual([10, 0, 0]);
  });
});

describe("least connections (LB-03) and least response time (LB-04)", () => {
  it("picks the fewest outstanding and rotates among ties", () => {
    const view = new TestView(4, { conns: [3, 1, 2, 1] });
    const b = createBalancer("least-connections", { count: 4 });
    expect([b.pick(view, 0, noRand), b.pick(view, 0, noRand), b.pick(view, 0, noRand)]).toEqual([1, 3, 1]);
    // at equal load it degrades to round robin, not to "always backend 0"
    const idle = new TestView(3);
    const c = createBalancer("least-connections", { count: 3 });
    expect(Array.from({ length: 6 }, () => c.pick(idle, 0, noRand))).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it("always returns a minimum-load usable backend", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ up: fc.boolean(), conns: fc.nat(20) }), { minLength: 1, maxLength: 8 }),
        fc.nat(20),
        (backends, warm) => {
          const view = new TestView(backends.length, {
            up: backends.map((x) => x.up),
            conns: backends.map((x) => x.conns),
          });
          const b = createBalancer("least-connections", { count: backends.length });
          for (let i = 0; i < warm; i++) b.pick(view, 0, noRand);
          const p = b.pick(view, 0, noRand);
          const usable = backends.filter((x) => x.up);
          if (usable.length === 0) return p === -1;
          return view.up[p] && view.conns[p] === Math.min(...usable.map((x) => x.conns));
        },
      ),
      { seed: 11, numRuns: 300 },
    );
  });

  it("least response time weighs latency by the queue a request would join", () => {
    // backend 1 is fastest on average but already has 5 outstanding requests
    const view = new TestView(3, { lat: [10, 1, 3], conns: [0, 5, 0] });
    const b = createBalancer("least-response-time", { count: 3 });
    expect(b.pick(view, 0, noRand)).toBe(2); // 3 x 1 < 1 x 6 < 10 x 1
    view.conns[1] = 0;
    expect(b.pick(view, 0, noRand)).toBe(1);
    // unmeasured backends compare by load instead of all tying at zero
    const fresh = new TestView(3, { conns: [2, 0, 1] });
    expect(createBalancer("least-response-time", { count: 3 }).pick(fresh, 0, noRand)).toBe(1);
  });
});

describe("hash-based balancing (LB-06, LB-07, LB-08)", () => {
  const affinity = (alg: BalancerAlgorithm, view: TestView): Int32Array => {
    const b = createBalancer(alg, { count: view.count });
    const out = new Int32Array(20_000);
    for (let k = 0; k < out.length; k++) out[k] = b.pick(view, k, noRand);
    return out;
  };

  it("is sticky for a stable pool", () => {
    for (const alg of ["ip-hash", "consistent-hash", "rendezvous"] as const) {
      const view = new TestView(5);
      expect(affinity(alg, view)).toEqual(affinity(alg, view));
    }
  });

  it("ip-hash remaps most clients when one backend goes down; the ring and HRW move only its own", () => {
    const moved: Record<string, number> = {};
    for (const alg of ["ip-hash", "consistent-hash", "rendezvous"] as const) {
      const before = affinity(alg, new TestView(5));
      const after = affinity(alg, new TestView(5, { up: [true, true, false, true, true] }));
      let m = 0;
      for (let k = 0; k < before.length; k++) {
        expect(after[k]).not.toBe(2);
        if (before[k] !== after[k]) {
          m++;
          if (alg !== "ip-hash") expect(before[k]).toBe(2);
        }
      }
      moved[alg] = m / before.length;
    }
    // mod 5 -> mod 4 over the usable list keeps a key only when both indices agree
    expect(moved["ip-hash"]).toBeGreaterThan(0.6);
    for (const alg of ["consistent-hash", "rendezvous"]) expect(moved[alg]).toBeLessThan(0.3);
  });

  it("rendezvous and consistent-hash balancers agree with the hashing primitives, weights included", () => {
    const weights = [1, 3, 1, 2];
    const view = new TestView(4, { weights, up: [true, true, false, true] });
    const usable = (i: number) => view.up[i];
    const hrw = createBalancer("rendezvous", { count: 4 });
    const ring = createBalancer("consistent-hash", { count: 4, weights, vnodes: 50 });
    const reference = new HashRing([0, 1, 2, 3], 50, { weights });
    const counts = [0, 0, 0, 0];
    for (let k = 0; k < 20_000; k++) {
      const p = hrw.pick(view, k, noRand);
      expect(p).toBe(rendezvous(hash32(k), 4, usable, weights));
      counts[p]++;
      expect(ring.pick(view, k, noRand)).toBe(reference.ownerSkipping(hash32(k), usable));
    }
    // weighted HRW: share = w_i / sum of usable weights (1:3:2 here)
    for (const [i, share] of [
      [0, 1 / 6],
      [1, 1 / 2],
      [3, 1 / 3],
    ]) {
      expect(Math.abs(counts[i] / 20_000 - share)).toBeLessThan(
        4 * Math.sqrt((share * (1 - share)) / 20_000),
      );
    }
    view.weights.fill(1);
    for (let k = 0; k < 2000; k++) expect(hrw.pick(view, k, noRand)).toBe(rendezvous(hash32(k), 4, usable));
  });

  it("spreads keys evenly", () => {
    for (const alg of ["ip-hash", "consistent-hash", "rendezvous", "random"] as const) {
      const counts = tally(alg, new TestView(4), 40_000);
      for (const c of counts) expect(Math.abs(c / 40_000 - 0.25)).toBeLessThan(0.05);
    }
  });
});

describe("random and power of two choices (LB-09, LB-10)", () => {
  it("p2c draws two distinct backends and never sends to the busier one", () => {
    const conns = [4, 0, 7, 2, 2];
    const view = new TestView(5, { conns });
    const b = createBalancer("power-of-two", { count: 5 });
    const rng = stream(3, "p2c");
    let draws: number[] = [];
    const rand = () => {
      const u = rng.next();
      draws.push(u);
      return u;
    };
    for (let i = 0; i < 2000; i++) {
      draws = [];
      const p = b.pick(view, 0, rand);
      expect(draws.length).toBe(2); // all usable: exactly two draws
      const first = Math.floor(draws[0] * 5);
      let second = Math.floor(draws[1] * 4);
      if (second >= first) second++;
      expect(second).not.toBe(first);
      // fewer outstanding wins; a tie goes to the first drawn
      const expected = conns[second] < conns[first] ? second : first;
      expect(p).toBe(expected);
    }
  });

  it("with one usable backend both random and p2c return it; with none, -1", () => {
    const view = new TestView(4, { up: [false, false, true, false] });
    const rng = stream(5, "one");
    const rand = () => rng.next();
    for (const alg of ["random", "power-of-two"] as const) {
      const b = createBalancer(alg, { count: 4 });
      for (let i = 0; i < 50; i++) expect(b.pick(view, i, rand)).toBe(2);
      view.up[2] = false;
      expect(b.pick(view, 0, rand)).toBe(-1);
      view.up[2] = true;
    }
  });

  it("random stays uniform over the usable backends when some are down", () => {
    const counts = tally("random", new TestView(5, { up: [true, false, true, false, true] }), 30_000);
    expect(counts[1] + counts[3]).toBe(0);
    for (const i of [0, 2, 4])
      expect(Math.abs(counts[i] / 30_000 - 1 / 3)).toBeLessThan(4 * Math.sqrt(2 / 9 / 30_000));
  });

  it("balls into bins: p2c max load ~ ln ln n / ln 2, far below random's ~ ln n / ln ln n", () => {
    const n = 1000;
    const lnln = Math.log(Math.log(n));
    const max = { "power-of-two": 0, random: 0 } as Record<string, number>;
    const trials = 10;
    for (const alg of ["power-of-two", "random"] as const) {
      for (let t = 0; t < trials; t++) {
        const view = new TestView(n);
        const b = createBalancer(alg, { count: n });
        const rng = stream(t, "balls");
        const rand = () => rng.next();
        for (let ball = 0; ball < n; ball++) view.conns[b.pick(view, ball, rand)]++;
        const m = Math.max(...view.conns);
        // Azar et al.: ln ln n / ln 2 + O(1) w.h.p.; n = 1000 gives 2.79, one ball of slack
        if (alg === "power-of-two") expect(m).toBeLessThanOrEqual(lnln / Math.LN2 + 1);
        max[alg] += m / trials;
      }
    }
    // one choice: (1 + o(1)) ln n / ln ln n = 3.57 to leading order; lower-order terms push it to 5-6
    expect(max.random).toBeGreaterThan(Math.log(n) / lnln);
    expect(max.random - max["power-of-two"]).toBeGreaterThanOrEqual(2);
  });
});

describe("every balancer", () => {
  it("returns -1 or a usable index, and -1 only when nothing is usable", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BALANCER_ALGORITHMS),
        fc.array(
          fc.record({
            up: fc.boolean(),
            conns: fc.nat(50),
            weight: fc.integer({ min: 1, max: 5 }),
            lat: fc.double({ min: 0, max: 500, noNaN: true }),
          }),
          { minLength: 1, maxLength: 10 },
        ),
        fc.array(fc.nat(2 ** 31), { minLength: 1, maxLength: 20 }),
        fc.integer(),
        (alg, backends, keys, seed) => {
          const view = new TestView(backends.length, {
            up: backends.map((x) => x.up),
            conns: backends.map((x) => x.conns),
            weights: backends.map((x) => x.weight),
            lat: backends.map((x) => x.lat),
          });
          const b = createBalancer(alg, { count: backends.length, weights: view.weights, vnodes: 20 });
          const rng = stream(seed, "prop");
          const rand = () => rng.next();
          const any = view.up.some((u) => u);
          for (const k of keys) {
            const p = b.pick(view, k, rand);
            if (any) expect(p >= 0 && p < view.count && view.up[p]).toBe(true);
            else expect(p).toBe(-1);
          }
        },
      ),
      { seed: 42, numRuns: 500 },
    );
  });

  it("is deterministic for the same seed", () => {
    for (const alg of BALANCER_ALGORITHMS) {
      const run = () => {
        const view = new TestView(6, { conns: [1, 2, 0, 3, 1, 0], lat: [5, 3, 8, 1, 2, 4] });
        const b = createBalancer(alg, { count: 6 });
        const rng = stream(9, alg);
        const rand = () => rng.next();
        return Array.from({ length: 200 }, (_, i) => {
          const p = b.pick(view, hash32(i), rand);
          view.conns[p] = (view.conns[p] + 1) % 4;
          return p;
        });
      };
      expect(run()).toEqual(run());
    }
  });
});

describe("Ewma", () => {
  it("alpha form: first sample seeds, later ones move by alpha", () => {
    const e = new Ewma({ alpha: 0.5 });
    expect(e.update(10)).toBe(10);
    expect(e.update(20)).toBe(15);
    expect(e.update(15)).toBe(15);
  });

  it("half-life form: a sample one half-life old weighs half a new one", () => {
    const e = new Ewma({ halfLife: 100 });
    e.update(10, 0);
    expect(e.update(40, 100)).toBeCloseTo((10 * 0.5 + 40) / 1.5, 12);
    // simultaneous samples count equally
    const s = new Ewma({ halfLife: 100 });
    s.update(10, 50);
    expect(s.update(30, 50)).toBe(20);
    // after a long silence the old regime is forgotten
    expect(s.update(100, 50 + 100 * 30)).toBeCloseTo(100, 6);
    expect(() => new Ewma({})).toThrow();
  });
});
