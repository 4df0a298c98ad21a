// Stateful vs stateless servers: in-memory sessions live and die with their
// instance and need a sticky balancer; shared sessions survive any instance
// and cost a read per request, and are only as safe as their store.
import { describe, expect, it } from "vitest";
import type { Report } from "../src/report/json.js";
import { rejection, runFile, runText } from "./support/run.js";

interface SessionReport {
  mode: string;
  created: number;
  lost: number;
  dropped?: number;
  active?: number;
}
const sessions = (r: Report, name: string) => r.components[name].sessions as SessionReport;
const requests = (r: Report, route: string) => r.routes[route].requests.total;

describe("examples/resilience/sessions.yaml", () => {
  const r = runFile("examples/resilience/sessions.yaml");
  const users = 2000;
  const instances = 4;

  it("sticky, in memory: the crash takes the sessions of the users pinned to the instance, and they all notice", () => {
    const s = sessions(r, "sticky-memory");
    // the balancer pinned users round robin: a quarter of them on instance 0
    expect(s.dropped).toBeGreaterThan(0.8 * (users / instances));
    expect(s.dropped).toBeLessThan(1.2 * (users / instances));
    // each user comes back every ~10s, and 90s remain after the crash: every one of them returns
    expect(s.lost).toBeLessThanOrEqual(s.dropped!);
    expect(s.lost).toBeGreaterThanOrEqual(s.dropped! - 2);
    expect(s.created).toBe(users + s.lost);
    expect(s.active).toBe(users);
  });

  it("round robin, in memory: a request finds its session only when it lands where the last one did", () => {
    const s = sessions(r, "round-robin-memory");
    // after a user's first request, each one lands on the same instance ~1 time in 4
    const returning = requests(r, "GET /round-robin-memory") - users;
    expect(s.lost / returning).toBeGreaterThan(0.7);
    expect(s.lost / returning).toBeLessThan(0.8);
  });

  it("shared: the crash loses no session", () => {
    const s = sessions(r, "shared");
    expect(s).toEqual({ mode: "shared", created: users, lost: 0 });
    // one session read per request (and one write per user to create it)
    const cache = r.components["session-cache"] as unknown as { gets: number; sets: number };
    expect(cache.gets).toBeGreaterThanOrEqual(r.routes["GET /shared"].requests.ok);
    expect(cache.sets).toBe(users);
  });

  it("shared in a cache too small for every session: evictions lose sessions (LRU over uniform users hits C/N)", () => {
    const s = sessions(r, "shared-undersized");
    const n = requests(r, "GET /shared-undersized");
    // a miss for every other request, less each user's first
    expect(s.lost / n).toBeGreaterThan(0.5 - 0.05 - users / n);
    expect(s.lost / n).toBeLessThan(0.5 + 0.05);
  });
});

const design = (sessionsField: string, extra = "", lb = "lb") => `
duration: 60s
components:
  users: { kind: workload, target: ${lb}, arrival: { process: poisson, rate: 100/s }, population: { users: 500 }, routes: [{ route: r }] }
  lb: { kind: load-balancer, backend: api, sticky: true }
  api:
    kind: service
    instances: 4
    concurrency: 4
    drain: 5s
    ${sessionsField}
    ${extra}
    routes: { "*": [{ compute: exp(5ms) }] }
  store: { kind: cache, capacity: 10k }
  db: { kind: database }
`;

describe("sessions", () => {
  it("a scale-in drops the sessions of the drained instances", () => {
    const r = runText(
      design(
        "sessions: in-memory",
        "autoscale: { min: 2, max: 4, metric: rps-per-instance, target: 60/s, interval: 20s, cooldown: 0s, bootTime: 1s }",
      ),
    );
    const s = sessions(r, "api");
    // 4 -> 2 at 20s: the two drained instances held about half the 500 sessions
    expect(s.dropped).toBeGreaterThan(0.35 * 500);
    expect(s.dropped).toBeLessThan(0.65 * 500);
    expect(r.requests.failed).toBe(0);
  });

  it("the shared store is a dependency: while it is down, every request fails; a cache restarts empty", () => {
    const r = runText(
      design("sessions: shared\n    sessionStore: store") + "faults: [{ kill: store, at: 20s, for: 10s }]\n",
    );
    // ~100/s for 10s, failing as calls to a store with no live node do
    const down = r.requests.failed;
    expect(Math.abs(down - 1000)).toBeLessThan(5 * Math.sqrt(1000));
    expect(Object.keys(r.requests.byOutcome).sort()).toEqual(["instance-down", "no-healthy-backend", "ok"]);
    // and the cache node comes back empty: every user who returns has lost their session
    expect(sessions(r, "api").lost).toBeGreaterThan(0.95 * 500);
    expect(sessions(r, "api").lost).toBeLessThanOrEqual(500);
  });

  it("a database can hold the sessions too", () => {
    const r = runText(design("sessions: shared\n    sessionStore: db"));
    expect(r.requests.failed).toBe(0);
    const reads = (r.components.db as unknown as { reads: number }).reads;
    expect(reads).toBeGreaterThanOrEqual(r.requests.ok);
    expect(reads).toBeLessThanOrEqual(r.requests.ok + r.requests.inFlight);
  });

  it("explains session settings that cannot work", () => {
    expect(rejection(design("sessions: shared"))).toMatch(
      /shared sessions live in a store every instance reads/,
    );
    expect(rejection(design("sessions: in-memory\n    sessionStore: store"))).toMatch(
      /a session store is for shared sessions/,
    );
    expect(rejection(design("sessions: shared\n    sessionStore: lb"))).toMatch(
      /session store "lb" is a load-balancer/,
    );
    expect(rejection(design("sessions: shared\n    sessionStore: stor"))).toMatch(/did you mean store\?/);
    expect(
      rejection(
        design("sessions: shared\n    sessionStore: db").replace(
          'routes: { "*": [{ compute: exp(5ms) }] }',
          'routes: { "*": [{ read: db }] }',
        ),
      ),
    ).toMatch(/"db" is "api"'s session store; it holds sessions only/);
  });
});
