// Browsers in front of a CDN (CDN-14): each user's own cache keeps a
// response for its max-age and answers at once while it is fresh; a stale or
// no-cache copy is revalidated with If-None-Match, and an unchanged object
// comes back as a 304 without a body.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { rejection, runText } from "./support/run.js";

interface Browser {
  kind: string;
  cdn: string;
  requests: number;
  hits: number;
  hitRatio: number;
  revalidations: number;
  notModified: number;
  bytesSaved: number;
  browsers: number;
}
interface Cdn {
  requests: number;
  notModifiedToBrowsers: number;
  bytes: { served: number };
}
const browserOf = (r: Report) => r.components["edge.browser"] as unknown as Browser;
const cdnOf = (r: Report) => r.components.edge as unknown as Cdn;

const design = (o: { duration: number; rate: number; users: number; cc: string; extra?: string }) => `
duration: ${o.duration}s
components:
  users:
    kind: workload
    target: edge
    arrival: { process: poisson, rate: ${o.rate}/s }
    routes: [{ route: GET /app.js, keys: { count: 1 } }]
    population: { users: ${o.users} }
  edge:
    kind: cdn
    origin: web
    browser: { capacity: 100MiB }
    routes: { GET /app.js: { cacheControl: "${o.cc}", size: 200KiB } }
${o.extra ?? ""}
  web: { kind: service, instances: 4, concurrency: 100, routes: { "*": [{ compute: 1ms }] } }
`;

describe("a browser cache", () => {
  it("answers a fresh copy itself: with Poisson requests at rate r per user and max-age T, a share rT/(1 + rT) of them", () => {
    // 500 users at 500/s: r = 1/s each; T = 2s. A miss starts a cycle: the
    // copy is fresh for T, and the next request after that misses again, so
    // a cycle holds rT hits (Poisson) and one miss: rT/(1 + rT) = 2/3. Two
    // things lower it a little: requests sent while a miss is on its way (a
    // round trip of ~20ms: r x 20ms = 2% more misses) and each user's last,
    // unfinished cycle (200 requests per user: under 1%). The edge keeps
    // nothing (private), so the Age of every copy is 0.
    const r = runText(design({ duration: 200, rate: 500, users: 500, cc: "private, max-age=2" }), [], {
      seed: 4,
    });
    const b = browserOf(r);
    const p = 2 / 3;
    expect(b.kind).toBe("browser-cache");
    expect(b.cdn).toBe("edge");
    expect(b.browsers).toBe(500);
    expect(b.hitRatio).toBeLessThan(p);
    expect(b.hitRatio).toBeGreaterThan(p - 0.04);
    // only the misses reach the CDN; fresh hits cost no time at all
    expect(cdnOf(r).requests).toBeLessThanOrEqual(b.requests - b.hits);
    expect(cdnOf(r).requests).toBeGreaterThanOrEqual(b.requests - b.hits - r.requests.inFlight);
    expect(r.latencyMs.p50).toBeLessThan(0.01);
    // each cycle's miss revalidates the stale copy (but the user's first): nothing changed, so a 304
    expect(b.revalidations - b.notModified).toBeGreaterThanOrEqual(0);
    expect(b.revalidations - b.notModified).toBeLessThanOrEqual(r.requests.inFlight);
    expect(b.revalidations).toBeGreaterThan(b.requests - b.hits - 2 * 500);
    expect(b.bytesSaved).toBe((b.hits + b.notModified) * 200 * 1024);
  });

  it("revalidates every use of a no-cache copy: an unchanged object is a 304 without a body", () => {
    // 100 users; the content changes once, at 10s
    const r = runText(
      design({
        duration: 20,
        rate: 200,
        users: 100,
        cc: "no-cache",
        extra: "    purgeDelay: 100ms\n    updates: [{ at: 10s }]",
      }),
      [],
      { seed: 2 },
    );
    const b = browserOf(r);
    const c = cdnOf(r);
    expect(b.hits).toBe(0);
    expect(b.revalidations).toBeGreaterThan(0);
    // every revalidation is a 304 except those a user sends after the change
    // and before its first new copy arrives: one each, plus any other request
    // of theirs already on its way (2/s per user over a round trip of at most
    // the slowest request's latency)
    const changed = b.revalidations - b.notModified;
    expect(changed).toBeGreaterThanOrEqual(90);
    const overlap = 100 * 2 * (r.latencyMs.max / 1000);
    expect(changed).toBeLessThanOrEqual(100 + overlap + 4 * Math.sqrt(overlap));
    expect(c.notModifiedToBrowsers).toBe(b.notModified);
    expect(b.bytesSaved).toBe(b.notModified * 200 * 1024);
    // the CDN sent bodies only for the answers that were not 304s
    expect(c.bytes.served).toBeLessThanOrEqual((c.requests - c.notModifiedToBrowsers) * 200 * 1024);
    expect(c.bytes.served % (200 * 1024)).toBe(0);
  });

  it("keeps nothing for no-store", () => {
    const b = browserOf(
      runText(design({ duration: 5, rate: 100, users: 10, cc: "no-store" }), [], { seed: 1 }),
    );
    expect(b.hits + b.revalidations).toBe(0);
  });

  it("needs a workload that targets its CDN", () => {
    const msg = rejection(
      design({ duration: 5, rate: 1, users: 1, cc: "max-age=60" }).replace("target: edge", "target: web"),
    );
    expect(msg).toMatch(/no workload targets cdn "edge" directly: its browser cache would see no request/);
  });
});
