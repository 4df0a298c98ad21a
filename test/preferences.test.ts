// Notification preferences (DC-11): the mechanism (src/mechanisms/preferences.ts)
// against its closed forms (opt-out share, the share of users in quiet hours,
// the time left uniform on (0, length]), and the preferences step in a
// consumer: opted-out recipients suppressed, quiet hours deferred to the end
// of the recipient's window and then published (none lost), urgent ones
// bypassing quiet hours; and the design errors.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Preferences } from "../src/mechanisms/preferences.js";
import type { Report } from "../src/report/json.js";
import { renderText } from "../src/report/text.js";
import { rejection, runText } from "./support/run.js";

const near = (x: number, want: number, tol: number) =>
  expect(Math.abs(x - want), `${x} vs ${want} (tolerance ${tol})`).toBeLessThanOrEqual(tol);
const within = (x: number, lo: number, hi: number) => {
  expect(x).toBeGreaterThanOrEqual(lo);
  expect(x).toBeLessThanOrEqual(hi);
};
const binomialSd = (n: number, p: number) => Math.sqrt(n * p * (1 - p));

describe("Preferences (mechanism)", () => {
  const N = 100_000;
  const day = 86_400_000;
  const users = Array.from({ length: N }, (_, i) => i);

  it("opts out the configured share of users, the same ones every time, other ones per category", () => {
    const social = new Preferences({ category: "social", optOut: 0.1, quietHours: null });
    const marketing = new Preferences({ category: "marketing", optOut: 0.1, quietHours: null });
    const out = users.filter((u) => social.optedOut(u));
    near(out.length, 0.1 * N, 5 * binomialSd(N, 0.1));
    // a fixed property of the user
    for (const u of out.slice(0, 100)) expect(social.optedOut(u)).toBe(true);
    // an independent hash per category: both ~ 0.1 x 0.1
    const both = out.filter((u) => marketing.optedOut(u)).length;
    near(both, 0.01 * N, 5 * binomialSd(N, 0.01));
    // 0% and 100%
    expect(
      users.some((u) => new Preferences({ category: "x", optOut: 0, quietHours: null }).optedOut(u)),
    ).toBe(false);
    expect(
      users.every((u) => new Preferences({ category: "x", optOut: 1, quietHours: null }).optedOut(u)),
    ).toBe(true);
  });

  it("users x length / every of all users are in quiet hours at any moment; the time left is uniform", () => {
    const p = new Preferences({
      category: "social",
      optOut: 0,
      quietHours: { users: 0.3, lengthMs: 8 * 3_600_000, everyMs: day },
    });
    const share = 0.3 * (8 / 24);
    for (const now of [0, 3_600_000, 0.7 * day, 5 * day + 123]) {
      const left = users
        .map((u) => p.quietUntil(u, now))
        .filter((t) => t >= 0)
        .map((t) => t - now);
      near(left.length, share * N, 5 * binomialSd(N, share));
      // uniform on (0, 8h]: mean 4h, sd 8h / sqrt(12)
      const mean = left.reduce((a, b) => a + b, 0) / left.length;
      near(mean, 4 * 3_600_000, (5 * (8 * 3_600_000)) / Math.sqrt(12 * left.length));
      for (const l of left) {
        expect(l).toBeGreaterThan(0);
        expect(l).toBeLessThanOrEqual(8 * 3_600_000);
      }
    }
    // only users who set quiet hours are ever in them; a larger share is a superset
    const wider = new Preferences({
      category: "social",
      optOut: 0,
      quietHours: { users: 0.5, lengthMs: 8 * 3_600_000, everyMs: day },
    });
    for (const u of users.slice(0, 2000)) if (p.hasQuietHours(u)) expect(wider.hasQuietHours(u)).toBe(true);
  });

  it("property: inside the window until the end it returns, outside from then until the next window", () => {
    const p = new Preferences({
      category: "c",
      optOut: 0,
      quietHours: { users: 1, lengthMs: 10_000, everyMs: 60_000 },
    });
    fc.assert(
      fc.property(fc.nat(1_000_000), fc.double({ min: 0, max: 1e7, noNaN: true }), (u, now) => {
        const until = p.quietUntil(u, now);
        if (until < 0) return;
        expect(until).toBeGreaterThan(now);
        expect(until - now).toBeLessThanOrEqual(10_000 + 1e-6);
        // the same window all the way to its end
        const mid = (now + until) / 2;
        expect(Math.abs(p.quietUntil(u, mid) - until)).toBeLessThan(1e-6);
        // over once it ends, and for the rest of the cycle (50 s)
        expect(p.quietUntil(u, until + 1e-3)).toBe(-1);
        expect(p.quietUntil(u, until + 49_999)).toBe(-1);
        // the next window ends one cycle later
        expect(Math.abs(p.quietUntil(u, until + 50_001) - (until + 60_000))).toBeLessThan(1e-3);
      }),
    );
  });

  it("refuses settings outside their range", () => {
    expect(() => new Preferences({ category: "c", optOut: 1.5, quietHours: null })).toThrow(/optOut/);
    expect(
      () =>
        new Preferences({
          category: "c",
          optOut: 0,
          quietHours: { users: 0.5, lengthMs: 2000, everyMs: 1000 },
        }),
    ).toThrow(/length <= every/);
  });
});

interface PrefsReport {
  checked: number;
  suppressed: number;
  deferred: number;
  bypassed: number;
  released: number;
  held: number;
  releaseRetries: number;
  meanHeldMs: number | null;
  maxHeldMs: number | null;
}
const prefsOf = (r: Report, name: string) =>
  (r.components[name] as unknown as { preferences: PrefsReport[] }).preferences[0];
const messagesOf = (r: Report, name: string) =>
  (r.components[name] as unknown as { messages: number }).messages;

/** 100 notifications/s to 5,000 recipients through a topic, read by a consumer that checks preferences. */
function design(prefs: string, durationS = 60): string {
  return `
name: prefs
duration: ${durationS}s
network: { latency: { sameZone: 0.1ms, client: 0ms } }
components:
  app:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 100/s }
    routes: [{ route: POST /notify, keys: { count: 5000 } }]
  api:
    kind: service
    routes: { "*": [{ publish: in }] }
  in: { kind: topic, partitions: 2 }
  out: { kind: topic, partitions: 2 }
  workers:
    kind: consumer
    topic: in
    concurrency: 4
    steps:
      - { compute: 1ms }
      - preferences: ${prefs}
      - { publish: out }
`;
}

describe("the preferences step in a consumer", () => {
  // quiet hours of 10 s every 60 s for half the users: a quarter-minute "night", so windows end within the run
  const r = runText(
    design(
      "{ category: social, optOut: 20%, quietHours: { users: 50%, length: 10s, every: 60s }, deferTo: out }",
      90,
    ),
  );
  const p = prefsOf(r, "workers");

  it("every notification is suppressed, deferred or sent on, and the deferred ones are published when quiet hours end", () => {
    const N = messagesOf(r, "in");
    // (a message published in the run's last moments may not be processed yet)
    expect(N - p.checked).toBeLessThanOrEqual(10);
    // opt-out: a fixed 20% of the users, each getting ~N/5,000 notifications
    const q = 0.2;
    near(
      p.suppressed,
      q * p.checked,
      5 * Math.sqrt(p.checked * q * (1 - q) + 5000 * q * (1 - q) * (p.checked / 5000) ** 2),
    );
    // quiet at any moment: 50% x 10/60 of the users who did not opt out
    const share = 0.5 * (10 / 60);
    const rest = p.checked - p.suppressed;
    near(p.deferred, share * rest, 5 * Math.sqrt(rest * share + 5000 * share * (rest / 5000) ** 2));
    expect(p.bypassed).toBe(0);
    // what went on to out: the rest at once, the deferred ones when released (none lost, none twice)
    // (less the few whose publish was on its way when the run ended: at most the 4 workers' and a release or two)
    const missing = rest - p.deferred + p.released - messagesOf(r, "out");
    expect(missing).toBeGreaterThanOrEqual(0);
    expect(missing).toBeLessThanOrEqual(10);
    expect(p.released + p.held).toBe(p.deferred);
    // those deferred in the last 10 s may still be held; the others are out
    expect(p.held).toBeLessThanOrEqual(p.deferred * (10 / 90) + 5 * Math.sqrt(p.deferred));
    // held no longer than the window (plus the publish's round trip), ~ half of it on average
    expect(p.maxHeldMs!).toBeLessThanOrEqual(10_000 + 50);
    near(p.meanHeldMs!, 5000, (5 * 10_000) / Math.sqrt(12 * p.released) + 50);
    expect(p.releaseRetries).toBe(0);
  });

  it("an urgent step sends during quiet hours, counting them as bypassed; nothing is deferred", () => {
    const u = prefsOf(
      runText(
        design("{ category: security, quietHours: { users: 50%, length: 10s, every: 60s }, urgent: true }"),
      ),
      "workers",
    );
    expect(u.deferred).toBe(0);
    expect(u.suppressed).toBe(0);
    const share = 0.5 * (10 / 60);
    near(
      u.bypassed,
      share * u.checked,
      5 * Math.sqrt(u.checked * share + 5000 * share * (u.checked / 5000) ** 2),
    );
  });

  it("the terminal summary says what the step did", () => {
    const text = renderText(r);
    expect(text).toContain(`workers preferences social: ${p.checked.toLocaleString("en-US")} checked`);
    expect(text).toContain(`${p.suppressed.toLocaleString("en-US")} suppressed (opted out)`);
  });

  it("the same seed gives the same counts", () => {
    const again = prefsOf(
      runText(
        design(
          "{ category: social, optOut: 20%, quietHours: { users: 50%, length: 10s, every: 60s }, deferTo: out }",
          90,
        ),
      ),
      "workers",
    );
    expect(again).toEqual(p);
  });
});

describe("preferences step errors", () => {
  it("quiet hours need somewhere to send deferred notifications", () => {
    const msg = rejection(design("{ category: social, quietHours: { users: 30%, length: 8h } }"));
    expect(msg).toMatch(/need somewhere to go when the quiet hours end/);
    expect(msg).toMatch(/add deferTo/);
  });
  it("deferTo must be a topic, queue or exchange", () => {
    expect(
      rejection(design("{ category: social, quietHours: { users: 30%, length: 8h }, deferTo: api }")),
    ).toMatch(/deferTo/);
    expect(
      rejection(design("{ category: social, quietHours: { users: 30%, length: 8h }, deferTo: outt }")),
    ).toMatch(/out/);
  });
  it("deferTo and urgent need quiet hours; an urgent step never defers", () => {
    expect(rejection(design("{ category: social, optOut: 10%, deferTo: out }"))).toMatch(/has no quietHours/);
    expect(rejection(design("{ category: social, urgent: true }"))).toMatch(/has no quietHours/);
    expect(
      rejection(
        design("{ category: s, quietHours: { users: 30%, length: 8h }, urgent: true, deferTo: out }"),
      ),
    ).toMatch(/never defers/);
  });
  it("quiet hours no longer than their cycle; shares are percentages", () => {
    expect(
      rejection(design("{ category: s, quietHours: { users: 30%, length: 25h }, urgent: true }")),
    ).toMatch(/cannot recur every 24 h/);
    expect(rejection(design("{ category: s, optOut: 120% }"))).toMatch(/:22:\d+: "120%" is outside 0%/);
  });
});

describe("the preferences step in a service route, and releases through a broker outage", () => {
  /** a service that checks preferences, then publishes; its deferred sends go to a queue that may die */
  const serviceDesign = (faults: string) => `
name: prefs-service
duration: 60s
network: { latency: { sameZone: 0.1ms, client: 0ms } }
components:
  app:
    kind: workload
    target: api
    # 100/s for the first 30 s, then (all but) nothing: every window has ended by 50 s
    arrival: { process: spike, rate: 0.001/s, at: 0s, multiplier: 100000, for: 30s }
    routes: [{ route: POST /notify, keys: { count: 2000 } }]
  api:
    kind: service
    routes:
      POST /notify:
        - { compute: 1ms }
        - preferences: { category: social, quietHours: { users: 60%, length: 20s, every: 60s }, deferTo: later }
        - { publish: now }
  now: { kind: topic, partitions: 2 }
  later: { kind: topic, partitions: 2 }
${faults}
`;

  it("a deferred request is answered ok at once, and published when the quiet hours end", () => {
    const r = runText(serviceDesign(""));
    const p = prefsOf(r, "api");
    expect(r.requests.failed).toBe(0);
    // answered at once: the quiet hours' wait is the scheduler's, not the caller's
    expect(r.latencyMs.p99).toBeLessThan(20);
    const share = 0.6 * (20 / 60);
    near(
      p.deferred,
      share * p.checked,
      5 * Math.sqrt(p.checked * share + 2000 * share * (p.checked / 2000) ** 2),
    );
    // none lost: all released by the end
    expect(p.held).toBe(0);
    expect(p.released).toBe(p.deferred);
    // (give or take the few publishes on their way when the run ended)
    within(messagesOf(r, "later") - p.released, 0, 5);
    within(p.checked - p.deferred - messagesOf(r, "now"), 0, 5);
  });

  it("a release the broker refuses is tried again a second later until it is taken: none lost", () => {
    // the deferred sends' topic is down from 20 s to 30 s (its one node)
    const r = runText(serviceDesign("faults:\n  - { kill: later, at: 20s, for: 10s }"));
    const p = prefsOf(r, "api");
    expect(p.releaseRetries).toBeGreaterThan(0);
    // none lost: every one released in the end, the outage only delaying some
    expect(p.held).toBe(0);
    expect(p.released).toBe(p.deferred);
    within(messagesOf(r, "later") - p.released, 0, 5);
    // held at most the window plus the outage
    expect(p.maxHeldMs!).toBeLessThanOrEqual(20_000 + 10_000 + 1_000 + 50);
  });
});
