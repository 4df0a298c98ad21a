// Bad messaging designs are refused with the place, what was expected and a
// suggestion, never run with a silent default.
import { describe, expect, it } from "vitest";
import { rejection } from "./support/run.js";

const base = (
  consumer: string,
  publish = "events",
  topic = "{ kind: topic, partitions: 4 }",
  faults = "[]",
) => `
duration: 10s
components:
  users: { kind: workload, target: api, arrival: { process: constant, rate: 10/s }, routes: [{ route: POST /e }] }
  api: { kind: service, routes: { "*": [{ publish: ${publish} }] } }
  other: { kind: service, routes: { GET /x: [{ compute: 1ms }] } }
  events: ${topic}
  worker: ${consumer}
faults: ${faults}
`;
const worker = (extra = "") => `{ kind: consumer, topic: events, steps: [{ compute: 1ms }]${extra} }`;

describe("messaging validation", () => {
  it("a publish step must name a topic", () => {
    const msg = rejection(base(worker(), "evnts"));
    expect(msg).toMatch(/bad\.yaml:\d+:\d+: publish "evnts" is not a component of this design/);
    expect(msg).toMatch(/expected: one of events/);
    expect(msg).toMatch(/did you mean events\?/);
    expect(rejection(base(worker(), "other"))).toMatch(/publish "other" is a service\n {2}expected: a topic/);
  });

  it("a consumer reads a topic", () => {
    expect(rejection(base("{ kind: consumer, topic: api, steps: [{ compute: 1ms }] }"))).toMatch(
      /topic "api" is a service/,
    );
    expect(rejection(base("{ kind: consumer, topic: events }"))).toMatch(/steps/);
  });

  it("two consumers of a topic cannot be one group", () => {
    const text = base(worker(", group: mail")).replace(
      "faults: []",
      "  mailer: { kind: consumer, topic: events, group: mail, steps: [{ compute: 1ms }] }\nfaults: []",
    );
    const msg = rejection(text);
    expect(msg).toMatch(/consumers "worker" and "mailer" both read topic "events" as group "mail"/);
    expect(msg).toMatch(/raise its instances/);
  });

  it("an autoscaled group needs a min the partitions can use and a target in the metric's unit", () => {
    const scaled = (policy: string) => worker(`, autoscale: { ${policy} }`);
    const msg = rejection(base(scaled("min: 6, max: 8, metric: lag, target: 100")));
    expect(msg).toMatch(/bad\.yaml:\d+:\d+: autoscale\.min \(6\) is above topic "events"'s 4 partitions/);
    expect(msg).toMatch(/expected: at most 4, or more partitions/);
    expect(rejection(base(scaled("min: 1, max: 4, metric: lag, target: 50%")))).toMatch(
      /lag target: .*\n {2}expected: a number of messages of lag per instance/,
    );
    expect(rejection(base(scaled("min: 1, max: 4, metric: rps-per-instance, target: 10/s")))).toMatch(
      /"rps-per-instance" is not allowed here\n {2}expected: one of utilization, lag/,
    );
    expect(rejection(base(scaled("min: 3, max: 2, target: 60%")))).toMatch(/autoscale\.max \(2\) is below/);
    // lag is a consumer's metric: a service has none
    const service = base(worker()).replace(
      "api: { kind: service, routes",
      "api: { kind: service, autoscale: { min: 1, max: 2, metric: lag, target: 5 }, routes",
    );
    expect(rejection(service)).toMatch(
      /"lag" is not allowed here\n {2}expected: one of utilization, rps-per-instance, queue/,
    );
  });

  it("a consumer may not publish to the topic it reads", () => {
    expect(rejection(base("{ kind: consumer, topic: events, steps: [{ publish: events }] }"))).toMatch(
      /consumer "worker" publishes to "events", the topic it reads: each message would make another, forever/,
    );
  });

  it("a group joins before the run ends", () => {
    expect(rejection(base(worker(", start: 20s")))).toMatch(/joins at 20s, after the run's 10s/);
  });

  it("a topic's brokers each lead a partition", () => {
    expect(rejection(base(worker(), "events", "{ kind: topic, partitions: 2, brokers: 3 }"))).toMatch(
      /3 brokers for 2 partitions: brokers beyond the partition count lead none/,
    );
  });

  it("a partition's replicas are on distinct brokers", () => {
    expect(
      rejection(
        base(worker(), "events", "{ kind: topic, partitions: 4, brokers: 2, replication: { factor: 3 } }"),
      ),
    ).toMatch(/3 replicas of each partition need 3 brokers; the topic has 2/);
    expect(
      rejection(
        base(worker(), "events", "{ kind: topic, partitions: 4, replication: { factor: 1, acks: all } }"),
      ),
    ).toMatch(/with a single replica there is no follower to wait for/);
  });

  it("a lag alert is a count or a duration", () => {
    expect(rejection(base(worker(", alertAbove: 10 parsecs")))).toMatch(
      /"10 parsecs"[^\n]*\n {2}expected: a lag in messages such as 10k, or an age such as 30s/,
    );
    expect(rejection(base(worker(", commit: later")))).toMatch(/"later"|later/);
  });

  it("faults name a consumer instance or a broker that exists", () => {
    expect(
      rejection(
        base(worker(", instances: 2"), "events", undefined, "[{ kill: worker, instance: 2, at: 1s }]"),
      ),
    ).toMatch(/instance 2 does not exist: "worker" has 2 \(0\.\.1\)/);
    expect(
      rejection(
        base(
          worker(),
          "events",
          "{ kind: topic, partitions: 4, brokers: 2 }",
          "[{ kill: events, instance: 3, at: 1s }]",
        ),
      ),
    ).toMatch(/instance 3 does not exist: "events" has 2/);
  });

  it("a consumer's calls must reach a route, and its call policies name its dependencies", () => {
    expect(rejection(base("{ kind: consumer, topic: events, steps: [{ call: other }] }"))).toMatch(
      /service "other" has no steps for route "events"/,
    );
    expect(rejection(base(worker(", calls: { other: { timeout: 1s } }")))).toMatch(
      /consumer "worker" never calls "other"/,
    );
  });
});
