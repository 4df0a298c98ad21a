// A worker freed by a finished job goes straight to the head of the queue. When
// queued work takes no time, that hand-off must not recurse once per queued job:
// a long backlog of instant requests behind one slow request used to overflow
// the stack.
import { describe, expect, it } from "vitest";
import { runText } from "./support/run.js";

describe("station hand-off", () => {
  it("drains a backlog of instant requests behind a slow one without recursion", () => {
    const r = runText(
      `
duration: 6s
network: { latency: { sameZone: 0ms, client: 0ms } }
components:
  users:
    kind: workload
    target: api
    arrival: { process: constant, rate: 100k/s }
    routes: [{ route: fast, weight: 200000 }, { route: slow, weight: 1 }]
  api:
    kind: service
    concurrency: 1
    queue: unbounded
    routes:
      fast: [{ compute: 0ms }]
      slow: [{ compute: 500ms }]
`,
      [],
      { seed: 4 },
    );
    expect(r.requests.failed).toBe(0);
    // FIFO: everything behind a slow request waits for it, then leaves at once
    expect(r.requests.ok + r.requests.inFlight).toBe(r.requests.total);
    // a slow request came and went, and the backlog behind it drained
    expect(r.routes.slow.requests.ok).toBeGreaterThan(0);
    expect(r.requests.ok).toBeGreaterThan(r.requests.total / 2);
  });
});
