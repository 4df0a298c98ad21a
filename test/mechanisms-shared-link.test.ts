// A link shared by its transfers (processor sharing): exact completion times
// for small cases, work conservation as a property, and the M/G/1-PS closed
// form E[T | size x] = (x / bandwidth) / (1 - rho), whatever the size
// distribution, checked by simulation.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stream } from "../src/kernel/rng.js";
import { SharedLink } from "../src/mechanisms/shared-link.js";
import { confidence } from "./support/run.js";

/** Runs arrivals [time, bytes] through a link; returns each transfer's completion time. */
function drive(link: SharedLink, arrivals: [number, number][]): number[] {
  const done = new Array<number>(arrivals.length).fill(Number.NaN);
  let next = 0;
  let now = 0;
  for (;;) {
    const t = link.nextAt(now);
    const a = next < arrivals.length ? arrivals[next][0] : Number.POSITIVE_INFINITY;
    if (a === Number.POSITIVE_INFINITY && t === Number.POSITIVE_INFINITY) return done;
    if (a <= t) {
      now = a;
      link.add(next, arrivals[next][1], a);
      next++;
    } else {
      now = t;
      for (const id of link.complete(t)) done[id] = t;
    }
  }
}

describe("SharedLink", () => {
  it("gives one transfer the whole bandwidth, and splits it equally between two", () => {
    // 1 byte/ms
    expect(drive(new SharedLink(1), [[0, 100]])).toEqual([100]);
    // two at once: each at half speed
    expect(
      drive(new SharedLink(1), [
        [0, 100],
        [0, 100],
      ]),
    ).toEqual([200, 200]);
    // B arrives at 50 with 100 bytes: A has 50 left, both at half speed until
    // A finishes at 150; B then has 50 left alone: 200
    expect(
      drive(new SharedLink(1), [
        [0, 100],
        [50, 100],
      ]),
    ).toEqual([150, 200]);
    // a small transfer overtakes a large one (no head-of-line blocking)
    const [big, small] = drive(new SharedLink(2), [
      [0, 1000],
      [10, 10],
    ]);
    expect(small).toBeCloseTo(20, 9);
    expect(big).toBeCloseTo(505, 9);
  });

  it("conserves work: a busy period ends when its bytes have crossed at full bandwidth", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 500 })), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 20 }),
        (gapsAndSizes, bw) => {
          let t = 0;
          const arrivals: [number, number][] = gapsAndSizes.map(([gap, size]) => {
            t += gap;
            return [t, size];
          });
          const link = new SharedLink(bw);
          const done = drive(link, arrivals);
          // replay the busy periods: the last completion of each is its start + bytes / bw
          let end = Number.NEGATIVE_INFINITY;
          for (const [at, size] of arrivals) end = Math.max(end, at) + size / bw;
          expect(Math.max(...done)).toBeCloseTo(end, 6);
          arrivals.forEach(([at, size], i) => expect(done[i]).toBeGreaterThanOrEqual(at + size / bw - 1e-9));
          expect(link.active).toBe(0);
          expect(link.busyTime(end)).toBeLessThanOrEqual(end + 1e-9);
        },
      ),
    );
  });

  it("matches M/G/1-PS: the mean time of a transfer of x bytes is (x / bandwidth) / (1 - rho)", () => {
    // two sizes (10 KB and 90 KB, equally likely), 100 bytes/ms, rho = 0.7
    const bw = 100;
    const sizes = [10_000, 90_000];
    const meanS = (sizes[0] + sizes[1]) / 2 / bw;
    const rho = 0.7;
    const rate = rho / meanS;
    const batches = 20;
    const perBatch = 20_000;
    const rng = stream(7, "ps");
    const arrivals: [number, number][] = [];
    let t = 0;
    for (let i = 0; i < batches * perBatch; i++) {
      t += -Math.log(1 - rng.next()) / rate;
      arrivals.push([t, sizes[rng.next() < 0.5 ? 0 : 1]]);
    }
    const done = drive(new SharedLink(bw), arrivals);
    // batch means of T / (x / bw), which PS makes the same for every size
    const stretch: number[] = [];
    for (let b = 0; b < batches; b++) {
      let s = 0;
      for (let i = b * perBatch; i < (b + 1) * perBatch; i++)
        s += (done[i] - arrivals[i][0]) / (arrivals[i][1] / bw);
      stretch.push(s / perBatch);
    }
    const ci = confidence(stretch.slice(1)); // the first batch starts empty
    expect(Math.abs(ci.mean - 1 / (1 - rho))).toBeLessThan(ci.half);
  });

  it("ends every transfer at once when cleared", () => {
    const link = new SharedLink(1);
    link.add(1, 100, 0);
    link.add(2, 100, 10);
    expect(link.clear(20).sort()).toEqual([1, 2]);
    expect(link.active).toBe(0);
    expect(link.nextAt(30)).toBe(Number.POSITIVE_INFINITY);
    expect(link.busyTime(30)).toBe(20);
  });
});
