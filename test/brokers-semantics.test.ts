// Each broker profile's rules, one at a time, against what they imply for
// simple, constant-rate designs: core NATS misses what is published while
// nobody subscribes, Redis Pub/Sub cuts off a subscriber whose output buffer
// overflows, an idle Redis list consumer re-issues BRPOP every timeout, a
// Redis stream's pending entries come back at the first XAUTOCLAIM run past
// the min-idle time, Pulsar offloads segments older than tieredStorage.after.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { runText } from "./support/run.js";

type Obj = Record<string, unknown>;
const comp = (r: Report, name: string) => r.components[name] as unknown as Obj;
const delivery = (r: Report, name: string) =>
  comp(r, name).delivery as {
    messages: number;
    processedOnce: number;
    lost: number;
    duplicated: number;
  } & Obj;

/** One producer at a constant `rate`/s publishing to `broker`, read by `consumer`. */
const design = (opts: {
  duration: string;
  rate: number;
  broker: string;
  consumer: string;
  faults?: string;
  publish?: boolean;
  arrival?: string;
}) => `
duration: ${opts.duration}
seed: 3
network: { latency: { sameZone: 0.2ms, client: 1ms } }
components:
  users: { kind: workload, target: api, arrival: ${opts.arrival ?? `{ process: constant, rate: ${opts.rate}/s }`}, routes: [{ route: POST /e, keys: { count: 1000 } }] }
  api: { kind: service, concurrency: 64, routes: { "*": [${opts.publish === false ? "{ compute: 1ms }" : "{ publish: b }"}] } }
  b: ${opts.broker}
  sub: ${opts.consumer}
faults: ${opts.faults ?? "[]"}
`;

describe("core NATS: fire and forget", () => {
  // the only subscriber dies at 10s for 10s; its death is noticed at 15s, and when it is back (20s) the
  // rebalance pause (1s) ends at 21s: nothing subscribes to what is published from 10s to 21s
  const run = (profile: string) =>
    runText(
      design({
        duration: "40s",
        rate: 100,
        broker: `{ kind: topic, profile: ${profile} }`,
        consumer:
          "{ kind: consumer, topic: b, sessionTimeout: 5s, rebalancePause: 1s, steps: [{ compute: 1ms }] }",
        faults: "[{ kill: sub, instance: 0, at: 10s, for: 10s }]",
      }),
    );

  it("what is published while the subscriber is down is lost for it: 100/s x 11s", () => {
    const d = delivery(run("nats"), "sub");
    expect(d.missedWhileUnsubscribed).toBeGreaterThanOrEqual(100 * 11 - 2);
    expect(d.missedWhileUnsubscribed).toBeLessThanOrEqual(100 * 11 + 2);
    // and at most the one message it was processing when it died
    expect(d.lost - (d.missedWhileUnsubscribed as number)).toBeLessThanOrEqual(1);
    expect(d.duplicated).toBe(0);
  });

  it("nats-jetstream keeps them: the subscriber catches up on its return, nothing lost", () => {
    const r = run("nats-jetstream");
    const d = delivery(r, "sub");
    expect(d.lost).toBe(0);
    expect(d.processedOnce + d.duplicated).toBe(d.messages);
    expect(comp(r, "b").replayable).toBe(d.messages);
  });
});

describe("Redis Pub/Sub: a slow subscriber is disconnected", () => {
  // 200/s of 1KiB messages to a subscriber processing 100/s: it falls behind by 100/s, and each time it is
  // more than 100KiB (100 messages) behind it is cut off, losing the 101 messages it had not read
  const r = runText(
    design({
      duration: "30s",
      rate: 200,
      broker: "{ kind: topic, profile: redis-pubsub, outputBufferLimit: 100KiB }",
      consumer: "{ kind: consumer, topic: b, batch: 10, steps: [{ compute: 10ms }] }",
    }),
  );
  const ob = comp(r, "b").outputBuffer as { limit: number; disconnects: number; lost: number };
  const d = delivery(r, "sub");

  it("each disconnect loses exactly the unread messages over the limit", () => {
    expect(ob.limit).toBe(100 * 1024);
    expect(ob.lost).toBe(ob.disconnects * 101);
    expect(d.lost).toBe(ob.lost);
  });

  it("it loses what it cannot keep up with: (200 - 100)/s x 30s, less what it is behind at the end", () => {
    const excess = (200 - 100) * 30;
    expect(ob.lost).toBeGreaterThan(excess - 2 * 101);
    expect(ob.lost).toBeLessThanOrEqual(excess);
    // and processes at its own pace
    expect(d.processedOnce).toBeGreaterThan(0.97 * 100 * 30);
    expect(d.processedOnce).toBeLessThanOrEqual(100 * 30);
  });

  it("with the default 32MiB limit the same subscriber is never cut off in 30s (3,000 KiB behind)", () => {
    const roomy = runText(
      design({
        duration: "30s",
        rate: 200,
        broker: "{ kind: topic, profile: redis-pubsub }",
        consumer: "{ kind: consumer, topic: b, batch: 10, steps: [{ compute: 10ms }] }",
      }),
    );
    expect((comp(roomy, "b").outputBuffer as { disconnects: number }).disconnects).toBe(0);
  });
});

describe("Redis list: BRPOP with a timeout", () => {
  const idle = (wait: string) =>
    comp(
      runText(
        design({
          duration: "60s",
          rate: 10,
          publish: false,
          broker: `{ kind: queue, profile: redis-list${wait} }`,
          consumer: "{ kind: consumer, queue: b, instances: 2, steps: [{ compute: 1ms }] }",
        }),
      ),
      "b",
    ).commands as { lpush: number; brpop: number; brpopTimedOut: number };

  it("an idle consumer issues a BRPOP every timeout: 2 consumers x 60s / 5s", () => {
    const c = idle("");
    expect(c.lpush).toBe(0);
    expect(c.brpopTimedOut).toBeGreaterThanOrEqual(2 * (60 / 5 - 1));
    expect(c.brpopTimedOut).toBeLessThanOrEqual(2 * (60 / 5));
    // each timed-out BRPOP is issued again: one more is waiting at the end
    expect(c.brpop - c.brpopTimedOut).toBeLessThanOrEqual(2);
  });

  it("a 1s timeout issues five times as many commands", () => {
    const c = idle(", receiveWait: 1s");
    expect(c.brpopTimedOut).toBeGreaterThanOrEqual(2 * (60 - 1));
    expect(c.brpopTimedOut).toBeLessThanOrEqual(2 * 60);
  });

  it("the node is one thread serving LPUSH and BRPOP alike: utilisation = commands/s x mean time per command", () => {
    const r = runText(
      design({
        duration: "2s",
        // below what 4 instances popping one message per round trip (~0.5ms) take: ~8K/s
        rate: 5000,
        broker: "{ kind: queue, profile: redis-list }",
        consumer: "{ kind: consumer, queue: b, instances: 4, concurrency: 8, steps: [{ compute: 0.1ms }] }",
      }),
    );
    const q = comp(r, "b");
    const c = q.commands as { lpush: number; brpop: number };
    // a BRPOP per message popped
    expect(c.brpop).toBeGreaterThanOrEqual(c.lpush);
    // lognormal(median 8µs, p99 30µs): mean = median x exp(sigma^2 / 2), sigma = ln(30/8) / 2.326
    const sigma = Math.log(30 / 8) / 2.3263;
    const mean = 0.008 * Math.exp((sigma * sigma) / 2);
    const busy = ((c.lpush + c.brpop) / 2) * (mean / 1000);
    expect(q.utilization as number).toBeGreaterThan(0.9 * busy);
    expect(q.utilization as number).toBeLessThan(1.1 * busy);
    // only the pushes are the queue's requests
    expect(q.arrivals).toBe(c.lpush);
  });
});

describe("Redis Streams: pending entries and XAUTOCLAIM", () => {
  // 10/s to 2 consumers of 2 x 10/s each, holding up to 5; a burst of 50/s from 18s outruns them, so each
  // holds its 5 when instance 0 dies at 20.05s (for 30s). Its pending entries, delivered just before, are
  // idle for minIdle (10s) from ~20s; the claim runs at multiples of `every`: with every 7s the first run
  // past ~30s is at 35s, with every 4s at 32s. By then the live consumer has no backlog: it processes them
  // at once.
  const run = (every: string) =>
    runText(
      design({
        duration: "60s",
        rate: 10,
        arrival: "{ process: spike, rate: 10/s, at: 18s, multiplier: 5, for: 2.05s }",
        broker: `{ kind: queue, profile: redis-streams, claim: { minIdle: 10s, every: ${every} } }`,
        consumer:
          "{ kind: consumer, queue: b, instances: 2, concurrency: 2, batch: 5, steps: [{ compute: 100ms }] }",
        faults: "[{ kill: sub, instance: 0, at: 20.05s, for: 30s }]",
      }),
    );

  for (const [every, claimAt] of [
    ["7s", 35],
    ["4s", 32],
  ] as const)
    it(`with claim.every ${every} the dead consumer's entries are processed at the ${claimAt}s run`, () => {
      const r = run(every);
      const q = comp(r, "b");
      const d = delivery(r, "b");
      expect(q.redeliveries).toBeGreaterThan(0);
      expect(q.redeliveries).toBeLessThanOrEqual(5);
      expect(d.lost + d.duplicated).toBe(0);
      // the oldest of them was published within the burst, at most 2.05s before the crash
      const max = (comp(r, "sub").endToEndMs as { max: number }).max / 1000;
      expect(max).toBeGreaterThan(claimAt - 20.05);
      expect(max).toBeLessThan(claimAt - 18);
      expect(q.replayable).toBe(d.messages);
    });

  it("the claim run alone decides when: 3s later runs, the same entries 3s later", () => {
    const late = (r: Report) => (comp(r, "sub").endToEndMs as { max: number }).max;
    expect(late(run("7s")) - late(run("4s"))).toBeCloseTo(3000, 0);
  });
});

describe("Pulsar tiered storage", () => {
  it("offloads the sealed segments older than tieredStorage.after", () => {
    // 100/s of 1KiB into one partition in segments of 100 (1s each): at 60s, with after 20s, the
    // segments whose newest message is older than 40s are offloaded: the first 40
    const r = runText(
      design({
        duration: "60s",
        rate: 100,
        broker:
          "{ kind: topic, profile: pulsar, segment: 100, retention: { time: 1h }, tieredStorage: { after: 20s } }",
        consumer: "{ kind: consumer, topic: b, steps: [{ compute: 1ms }] }",
      }),
    );
    const t = comp(r, "b");
    const ts = t.tieredStorage as { after: number; offloadedBytes: number; brokerBytes: number };
    const SEG = 100 * 1024;
    expect(ts.after).toBe(20_000);
    expect(ts.offloadedBytes % SEG).toBe(0);
    expect(ts.offloadedBytes / SEG).toBeGreaterThanOrEqual(39);
    expect(ts.offloadedBytes / SEG).toBeLessThanOrEqual(40);
    expect(ts.offloadedBytes + ts.brokerBytes).toBe(t.retainedBytes);
    // offloaded data is still there to read again
    expect(t.replayable).toBe(t.messages);
  });
});
