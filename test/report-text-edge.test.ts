// The terminal summary names what a CDN and a DNS name did when things
// failed: PoPs down, requests refused and failed over, retries at the next
// address, stale answers and leaks. The numbers are the report's own.
import { describe, expect, it } from "vitest";
import { renderText } from "../src/report/text.js";
import { runFile, runText } from "./support/run.js";

describe("text summary of the edge", () => {
  it("shows a PoP's time down, its refused and failed-over requests, and who took them over", () => {
    const r = runText(
      `
duration: 20s
network:
  regions: { us-east: [us-east-a], eu-west: [eu-west-a] }
  latency: { pairs: { us-east<->eu-west: 40ms } }
components:
  users:
    kind: workload
    target: edge
    arrival: { process: poisson, rate: 500/s }
    routes: [{ route: GET /a/:id, keys: { count: 50 } }]
    population: { regions: { us-east: 50%, eu-west: 50% } }
  edge:
    kind: cdn
    origin: web
    failover: 1s
    routes: { GET /a/:id: { cacheControl: "max-age=1, stale-if-error=60" } }
  web: { kind: service, instances: 2, concurrency: 50, zone: us-east-a, routes: { "*": [{ compute: 2ms }] } }
faults:
  - { kill: edge, instance: 1, at: 5s, for: 5s }
  - { kill: web, instance: all, at: 12s, for: 3s }
`,
      [],
      { seed: 1 },
    );
    const cdn = r.components.edge as unknown as {
      staleIfError: number;
      pops: Record<string, { refused: number; failedOver: number; takenOver: number }>;
    };
    const eu = cdn.pops["eu-west"];
    const text = renderText(r);
    const n = (v: number) => v.toLocaleString("en-US");
    expect(text).toContain(
      `  PoP eu-west down 5.00s: ${n(eu.refused)} requests refused, ${n(eu.failedOver)} failed over to other PoPs`,
    );
    expect(text).toContain(`  PoP us-east served ${n(cdn.pops["us-east"].takenOver)} for other PoPs' users`);
    expect(cdn.staleIfError).toBeGreaterThan(0);
    expect(text).toContain(`${n(cdn.staleIfError)} stale answers while the origin failed`);
  });

  it("shows a DNS name's retries at the next address", () => {
    const r = runFile("examples/edge/multi-region.yaml", ["components.dns-ttl5.addresses=2"], { seed: 1 });
    const d = r.components["dns-ttl5"] as unknown as { retries: number; retriedOk: number };
    expect(d.retries).toBeGreaterThan(0);
    expect(renderText(r)).toContain(
      `  ${d.retries.toLocaleString("en-US")} requests retried at the next address after a failure to connect, ${d.retriedOk.toLocaleString("en-US")} of them ok`,
    );
  });
});
