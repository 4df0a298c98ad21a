// Hit ratios of the adaptive policies on real stores fed Zipf requests under
// the independent reference model, as in mechanisms-che.test.ts (a miss
// fetches and inserts the key). Comparisons are paired: in each replication
// every policy sees the same request stream, so the run-to-run spread of the
// differences, not of the ratios, sets the margins (99.9% t intervals over
// replications, from test/support).
import { describe, expect, it } from "vitest";
import { ZipfKeys } from "../src/kernel/keys.js";
import { stream } from "../src/kernel/rng.js";
import { CacheStore, type EvictionPolicyName } from "../src/mechanisms/cache-store.js";
import { confidence } from "./support/run.js";

const N = 10_000;
const value = { version: 0, size: 1 };

interface Phase {
  /** requests in the phase */
  requests: number;
  /** requests at the end of the phase whose hits are counted */
  measured: number;
  /** added to every key drawn in the phase: a new offset is a new hot set */
  offset: number;
}

/** Hit ratio over the measured tail of each phase. */
function simulate(
  policy: EvictionPolicyName,
  s: number,
  capacity: number,
  seed: number,
  phases: Phase[],
): number[] {
  const keys = new ZipfKeys(N, s);
  const rng = stream(seed, `adaptive-${s}-${capacity}`);
  const store = new CacheStore({ policy, maxEntries: capacity });
  const ratios: number[] = [];
  let t = 0;
  for (const ph of phases) {
    let hits = 0;
    for (let i = 0; i < ph.requests; i++, t++) {
      const k = keys.sample(rng) + ph.offset;
      if (store.get(k, t)) {
        if (i >= ph.requests - ph.measured) hits++;
      } else store.set(k, value, t);
    }
    ratios.push(hits / ph.measured);
  }
  return ratios;
}

function staticOptimum(s: number, capacity: number): number {
  const z = new ZipfKeys(N, s);
  let top = 0;
  for (let k = 0; k < capacity; k++) top += z.probability(k);
  return top;
}

const SEEDS = [1, 2, 3, 4, 5, 6];

describe("ARC and W-TinyLFU against LRU under IRM Zipf (CA-21)", () => {
  const stationary: Phase[] = [{ requests: 250_000, measured: 150_000, offset: 0 }];
  for (const s of [0.8, 1.0]) {
    for (const capacity of [100, 1000]) {
      it(`s=${s}, capacity ${capacity}: both hit at least as often as LRU, below the static optimum`, () => {
        const run = (p: EvictionPolicyName) =>
          SEEDS.map((seed) => simulate(p, s, capacity, seed, stationary)[0]);
        const lru = run("lru");
        const top = staticOptimum(s, capacity);
        for (const policy of ["arc", "w-tinylfu"] as const) {
          const hits = run(policy);
          const gain = confidence(hits.map((h, i) => h - lru[i]));
          // better than LRU beyond the replications' noise
          expect(gain.mean - gain.half).toBeGreaterThan(0);
          // no online policy beats keeping the C most popular keys under IRM
          const h = confidence(hits);
          expect(h.mean - h.half).toBeLessThan(top);
        }
      });
    }
  }
});

describe("LFU-Aging adapts to a popularity shift; LFU does not (CA-15)", () => {
  // Zipf(0.9) over 10,000 keys, a 500-entry cache. Halfway the hot set moves
  // to 10,000 keys never seen before. Each half measures its last 100,000
  // requests: the first against a warm cache, the second once a policy that
  // adapts has had 100,000 requests (20 aging windows) to do so.
  const s = 0.9;
  const capacity = 500;
  const phases: Phase[] = [
    { requests: 200_000, measured: 100_000, offset: 0 },
    { requests: 200_000, measured: 100_000, offset: N },
  ];
  const runs = (p: EvictionPolicyName) => SEEDS.map((seed) => simulate(p, s, capacity, seed, phases));

  it("plain LFU keeps yesterday's hot keys; with aging the hit ratio returns to its level before the shift", () => {
    const lfu = runs("lfu");
    const aging = runs("lfu-aging");
    const lru = runs("lru");
    // LFU: the old hot set's counts pin it in the cache, so the new hot set churns through a few slots
    const lfuBefore = confidence(lfu.map((r) => r[0]));
    const lfuAfter = confidence(lfu.map((r) => r[1]));
    expect(lfuAfter.mean + lfuAfter.half).toBeLessThan((lfuBefore.mean - lfuBefore.half) / 2);
    const lruAfter = lru.map((r) => r[1]);
    const lfuBehindLru = confidence(lfu.map((r, i) => lruAfter[i] - r[1]));
    expect(lfuBehindLru.mean - lfuBehindLru.half).toBeGreaterThan(0);
    // LFU-Aging: after the shift the hit ratio is back where it was, within 2 points (both ends of the interval)
    const recovery = confidence(aging.map((r) => r[1] - r[0]));
    expect(recovery.mean - recovery.half).toBeGreaterThan(-0.02);
    expect(recovery.mean + recovery.half).toBeLessThan(0.02);
    // and it keeps LFU's edge over LRU once adapted
    const overLru = confidence(aging.map((r, i) => r[1] - lruAfter[i]));
    expect(overLru.mean - overLru.half).toBeGreaterThan(0);
  });

  it("W-TinyLFU recovers too: its sketch halves every 10 × capacity additions", () => {
    const wt = runs("w-tinylfu");
    const recovery = confidence(wt.map((r) => r[1] - r[0]));
    expect(recovery.mean - recovery.half).toBeGreaterThan(-0.02);
    expect(recovery.mean + recovery.half).toBeLessThan(0.02);
  });
});
