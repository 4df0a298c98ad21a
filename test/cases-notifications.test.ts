// The notification case (docs/cases/notifications.md, DC-11): the page
// quotes current numbers, and its claims hold from the arithmetic of the
// designs: one shared FIFO topic against a topic per priority during a
// celebrity's fan-out, per-user delivery limits, dedup of redeliveries, and
// a rate-limited push provider. Every expectation is derived from the
// designs' rates.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { docReports, filledDoc, staleParts } from "../src/cli/doc.js";
import { loadDesign } from "../src/design/load.js";
import { Preferences } from "../src/mechanisms/preferences.js";
import type { Report } from "../src/report/json.js";
interface Delivery {
  messages: number;
  processedOnce: number;
  duplicated: number;
  lost: number;
  failed: number;
  pending: number;
  processings: number;
}
interface PrefsReport {
  checked: number;
  suppressed: number;
  deferred: number;
  bypassed: number;
  released: number;
  held: number;
  maxHeldMs: number | null;
}
interface ConsumerReport {
  preferences?: PrefsReport[];
  instances: number;
  delivery: Delivery;
  lag: { maxSeconds: number; maxMessages: number; messages: number };
  limited?: number;
  limits?: { admitted: number; limited: number }[];
  dedup?: { skipped: number };
  series: { processed: number[] };
}
const near = (x: number, want: number, tol: number) =>
  expect(Math.abs(x - want), `${x} vs ${want} (tolerance ${tol})`).toBeLessThanOrEqual(tol);

/** P(X = k) for X ~ Binomial(n, p), k = 0..kmax, by the recurrence from P(X = 0). */
function binomialPmf(n: number, p: number, kmax: number): number[] {
  const out = [Math.exp(n * Math.log1p(-p))];
  for (let k = 1; k <= kmax; k++) out.push((out[k - 1] * (n - k + 1) * p) / (k * (1 - p)));
  return out;
}

const page = "docs/cases/notifications.md";
const pageText = readFileSync(page, "utf8");
const reports = docReports(page, pageText) as Record<string, Report>;
const dir = "examples/cases/notifications";
const designOf = (file: string) => loadDesign(readFileSync(file, "utf8"), file).design;

describe("case: notification system", () => {
  it("the page's numbers and chart are current", () => {
    expect(
      staleParts(page, pageText, filledDoc(page, pageText, reports as never)),
      `run: archsim doc ${page}`,
    ).toEqual([]);
  });

  it("both designs meet their SLOs (the API only publishes)", () => {
    for (const r of [reports.naive, reports.improved])
      for (const a of r.slo ?? []) expect(a.pass, a.assertion).toBe(true);
  });
});

describe("naive.yaml (one shared FIFO topic) against improved.yaml (a topic per priority)", () => {
  const design = designOf(`${dir}/improved.yaml`);
  const naive = designOf(`${dir}/naive.yaml`);
  const r = reports.improved;
  const n = reports.naive;
  const c = (name: string) => r.components[name] as unknown as ConsumerReport;
  const messages = (topic: string, rep: Report = r) =>
    (rep.components[topic] as unknown as { messages: number }).messages;
  type Spec = (typeof design.components)[string];
  const consumer = (name: string, d = design) => d.components[name] as Extract<Spec, { kind: "consumer" }>;
  const workers = (name: string, d = design) =>
    (consumer(name, d).instances ?? 1) * (consumer(name, d).concurrency ?? 1);

  // every worker spends exp(10ms) a message: 100 messages/s each
  const perWorker = 100;
  const app = design.components.app as Extract<Spec, { kind: "workload" }>;
  const celebrity = design.components.celebrity as Extract<Spec, { kind: "workload" }>;
  const steady = (app.arrival as { rate: number }).rate;
  const spike = celebrity.arrival as { rate: number; multiplier: number; for: number; at: number };
  const burstRate = spike.rate * spike.multiplier;
  const burstS = spike.for / 1000;

  it("the same 16 workers either way: split by priority, or all on the shared topic", () => {
    const isolated = ["p0-workers", "p1-workers", "p2-workers", "p3-workers"].map((w) => workers(w));
    expect(isolated.reduce((a, b) => a + b, 0)).toBe(workers("workers", naive));
    // the workloads draw from the same named streams with the same seed: the very same notifications
    expect(messages("all", n)).toBe(messages("p0") + messages("p1") + messages("p2") + messages("p3"));
  });

  it("shared FIFO: the burst's backlog sits in front of every P0 alert (head-of-line blocking)", () => {
    const mu = workers("workers", naive) * perWorker;
    const backlog = (steady + burstRate - mu) * burstS;
    const s = n.components.workers as unknown as ConsumerReport;
    // a message published as the burst ends waits for the whole backlog; batches of 500 add ~1s and tail idling
    near(s.lag.maxMessages, backlog, 0.1 * backlog);
    near(s.lag.maxSeconds, backlog / mu, 0.15 * (backlog / mu));
    expect(s.lag.maxSeconds).toBeGreaterThan(10);
  });

  it("priority topics: P0 never waits behind P2 (lag far under the 10 s target); P2 absorbs the burst", () => {
    const p0 = c("p0-workers");
    // 10/s on 2 workers of 100/s: utilisation 5%, a message waits for little more than its own processing
    expect(p0.lag.maxSeconds).toBeLessThan(1);
    expect(p0.delivery.lost + p0.delivery.duplicated).toBe(0);
    // P2 alone: at least (3,000 - 800) x 40s behind, i.e. 110 s of its 800/s (the crash only adds to it)
    const mu2 = workers("p2-workers") * perWorker;
    const p2 = c("p2-workers");
    expect(p2.lag.maxSeconds).toBeGreaterThan(((burstRate - mu2) * burstS) / mu2);
    // ... and it catches up before the end (draining at 800 - 40 = 760/s)
    expect(p2.delivery.pending).toBe(0);
  });

  // the P2 workers' preferences step, as the design writes it, and the users it spares
  type PrefSpec = {
    preferences: { category: string; optOut?: number; quietHours?: { users: number; length: number } };
  };
  const prefStep = (name: string) =>
    (consumer(name).steps.find((st) => "preferences" in st) as PrefSpec).preferences;
  const prefsOf = (name: string, spec = prefStep(name)) =>
    new Preferences({
      category: spec.category,
      optOut: spec.optOut ?? 0,
      quietHours: spec.quietHours
        ? { users: spec.quietHours.users, lengthMs: spec.quietHours.length, everyMs: 86_400_000 }
        : null,
    });
  const U = celebrity.routes[0].keys!.count!;
  const recipients = Array.from({ length: U }, (_, k) => k);
  const social = prefsOf("p2-workers");
  const optedIn = recipients.filter((k) => !social.optedOut(k));
  // quiet hours of 8h a day barely move in a 4-minute run: who is in them at its middle
  const mid = r.durationMs / 2;
  const awake = optedIn.filter((k) => social.quietUntil(k, mid) < 0);

  it("preferences: opted-out recipients' notifications dropped, quiet hours' held (none lost), P0 never held", () => {
    const pr = c("p2-workers").preferences![0];
    // every P2 message passed the step once (redeliveries were skipped before it)
    expect(pr.checked).toBe(messages("p2"));
    // a fixed share of the recipients, by hash: 10% (binomial over 25,000 users)
    const q = 1 - optedIn.length / U;
    near(q, prefStep("p2-workers").optOut!, 4 * Math.sqrt((0.1 * 0.9) / U));
    // each message's recipient is uniform: suppressed ~ Binomial(N, q)
    near(pr.suppressed, q * pr.checked, 4 * Math.sqrt(pr.checked * q * (1 - q)));
    // in quiet hours at any moment: 30% x 8/24 = 10% of those left
    const s = 1 - awake.length / optedIn.length;
    const qh = prefStep("p2-workers").quietHours!;
    near(s, qh.users * (qh.length / 86_400_000), 4 * Math.sqrt((0.1 * 0.9) / optedIn.length));
    const rest = pr.checked - pr.suppressed;
    // (users whose quiet hours begin or end within the run: ~2 x 30% x 4 min / 24 h of them, a few messages each)
    near(pr.deferred, s * rest, 4 * Math.sqrt(rest * s * (1 - s)) + 0.002 * rest);
    // none lost: each deferred one is released when its recipient's quiet hours end, or still held
    expect(pr.released + pr.held).toBe(pr.deferred);
    // one deferred at t is released within the run with chance (T - t) / 8h < 4 min / 8 h
    const T = r.durationMs;
    expect(pr.released).toBeGreaterThan(0);
    expect(pr.released).toBeLessThan(
      pr.deferred * (T / qh.length) + 4 * Math.sqrt(pr.deferred * (T / qh.length)) * 3,
    );
    expect(pr.maxHeldMs!).toBeLessThanOrEqual(Math.min(T, qh.length));
    // P0 security is urgent: sent during quiet hours (bypassed), never held; ~10% of it
    const p0 = c("p0-workers").preferences![0];
    expect(p0.deferred + p0.held + p0.suppressed).toBe(0);
    expect(p0.checked).toBe(messages("p0"));
    const security = prefsOf("p0-workers");
    const quiet0 = recipients.filter((k) => security.quietUntil(k, mid) >= 0).length / U;
    near(
      p0.bypassed,
      quiet0 * p0.checked,
      4 * Math.sqrt(p0.checked * quiet0 * (1 - quiet0)) + 0.002 * p0.checked,
    );
  });

  it("per-user limit: the outbox gets min(n, 5) of each follower's n P2 notifications", () => {
    const limit = 5;
    const pr = c("p2-workers").preferences![0];
    // the limit sees what the preferences let through, spread over the recipients awake and opted in
    const N = pr.checked - pr.suppressed - pr.deferred;
    const users = awake.length;
    const pmf = binomialPmf(N, 1 / users, limit);
    const below = pmf.reduce((a, q, k) => a + q * (limit - k), 0);
    // E[min(X, 5)] = 5 - E[(5 - X)+]; and its variance over U followers (nearly independent for N >> 1)
    const mean = limit - below;
    const second =
      pmf.reduce((a, q, k) => a + q * k * k, 0) + (1 - pmf.reduce((a, q) => a + q, 0)) * limit * limit;
    const sd = Math.sqrt(users * (second - mean * mean));
    const p2 = c("p2-workers");
    const [l] = p2.limits!;
    // (plus the few users whose quiet hours begin or end within the run)
    near(l.admitted, users * mean, 4 * sd + 0.002 * N);
    // each message passed the limit once: redeliveries were skipped before it
    expect(l.admitted + l.limited).toBe(N);
    expect(p2.limited).toBe(l.limited);
    // suppressed is handled: nothing failed or lost, and only the admitted went on to the outbox
    expect(p2.delivery.failed + p2.delivery.lost).toBe(0);
    const others = ["p0-workers", "p1-workers", "p3-workers"].reduce(
      (a, n) => a + c(n).delivery.processings,
      0,
    );
    // (a message whose publish was on its way at the end is in the outbox but not yet processed)
    const extra = messages("outbox") - (others + l.admitted + pr.released);
    expect(extra).toBeGreaterThanOrEqual(0);
    expect(extra).toBeLessThanOrEqual(workers("p0-workers") + workers("p1-workers") + workers("p3-workers"));
  });

  it("a worker crash with commit-after: duplicates without dedup, none with it", () => {
    const batch = consumer("p2-replay").batch!;
    const replay = c("p2-replay");
    // what the dead instance had processed of its batch but not committed: at most one batch
    expect(replay.delivery.duplicated).toBeGreaterThan(0);
    expect(replay.delivery.duplicated).toBeLessThanOrEqual(batch);
    expect(replay.delivery.lost).toBe(0);
    // the duplicates count against the recipients' limits again
    const [rl] = replay.limits!;
    expect(rl.admitted + rl.limited).toBe(replay.delivery.processings);
    expect(replay.delivery.processings).toBe(messages("p2") + replay.delivery.duplicated);

    const deduped = c("p2-workers");
    expect(deduped.delivery.duplicated + deduped.delivery.lost).toBe(0);
    expect(deduped.dedup!.skipped).toBeGreaterThan(0);
    expect(deduped.dedup!.skipped).toBeLessThanOrEqual(batch);
  });
});

describe("push-provider.yaml", () => {
  const design = designOf(`${dir}/push-provider.yaml`);
  const r = reports.push;
  type Spec = (typeof design.components)[string];
  interface Gw {
    admitted: number;
    limited: number;
    series: { admitted: number[]; limited: number[] };
  }
  const gw = (name: string) => r.components[name] as unknown as Gw;
  const c = (name: string) =>
    r.components[name] as unknown as ConsumerReport & { calls: Record<string, { failed: number }> };
  const consumer = (name: string) => design.components[name] as Extract<Spec, { kind: "consumer" }>;
  const W = (consumer("pushers").instances ?? 1) * (consumer("pushers").concurrency ?? 1);
  const limit = (design.components.apns as Extract<Spec, { kind: "gateway" }>).limits![0].limit!;
  const shop = (design.components.shop as Extract<Spec, { kind: "workload" }>).arrival as {
    rate: number;
    multiplier: number;
    at: number;
    for: number;
  };
  const start = shop.at / 1000;
  const end = start + shop.for / 1000;
  const backlog = (shop.rate * shop.multiplier - limit) * (shop.for / 1000);
  // the backlog drains at limit - base rate, after the burst
  const drained = end + backlog / (limit - shop.rate);
  // whole seconds surely inside the backlog (a second's margin at each end)
  const saturated: number[] = [];
  for (let s = start + 1; s < drained - 2; s++) saturated.push(s);

  it("the provider's limit is the bottleneck: exactly its quota a second goes through while a backlog waits", () => {
    // a fixed window of 1s aligned with the report's seconds: every window's quota is taken
    for (const s of saturated) expect(gw("apns").series.admitted[s], `at ${s}s`).toBe(limit);
    // (the eager group gives some up, so its backlog drains sooner: saturated at least through the burst)
    for (const s of saturated.filter((t) => t < end))
      expect(gw("apns-eager").series.admitted[s], `eager at ${s}s`).toBe(limit);
    const p = c("pushers");
    near(
      p.lag.maxMessages,
      backlog,
      4 * Math.sqrt(shop.rate * shop.multiplier * (shop.for / 1000)) + 0.02 * backlog,
    );
    // it catches up when the backlog has drained at 1,000 - 400 = 600/s
    const caughtUp = p.series.processed.findIndex((n, s) => s > end && n < 0.9 * limit);
    near(caughtUp, drained, 3);
  });

  it("honouring Retry-After: one refusal per worker per window, and nothing given up", () => {
    const g = gw("apns");
    // a refused worker waits for the next window, where its retry fits (64 < 1,000)
    for (const n of g.series.limited) expect(n).toBeLessThanOrEqual(W);
    for (const s of saturated) expect(g.series.limited[s]).toBeGreaterThan(0);
    const p = c("pushers");
    expect(p.delivery.failed).toBe(0);
    expect(p.calls.apns.failed).toBe(0);
  });

  it("ignoring it: the workers hammer the empty window, and pushes refused 6 times are given up", () => {
    const g = gw("apns-eager");
    const burst = saturated.filter((t) => t < end);
    const perSecond = burst.reduce((a, s) => a + g.series.limited[s], 0) / burst.length;
    // a worker retries every ~5-50ms (capped exponential, full jitter) through the ~0.9s left of each window
    expect(perSecond).toBeGreaterThan(10 * W);
    expect(g.limited).toBeGreaterThan(10 * gw("apns").limited);
    const e = c("eager-pushers");
    expect(e.delivery.failed).toBeGreaterThan(0);
    expect(e.delivery.failed).toBe(e.calls["apns-eager"].failed);
  });
});
