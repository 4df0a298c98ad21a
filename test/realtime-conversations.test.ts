// A realtime gateway's conversations (CR-09): a published event is a message
// to the sender's conversation, one copy per device of every other member;
// with a server sequence no delivery is ever out of order, whatever crashes,
// churn, polling or reconnections do; with skewed clocks and nothing else
// reordering, a zero skew never reorders. Bad settings are refused with the
// field and a way out.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rejection, runText } from "./support/run.js";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function design(gw: string, faults = ""): string {
  return `
duration: 20s
network: { latency: { client: 30ms, sameZone: 0.5ms } }
components:
  gw: { kind: realtime, clients: 60, instances: 3, reconnect: { base: 1s }, ${gw} }
${faults ? `faults:\n${faults}` : ""}
`;
}

const conv = (r: Any): Any => r.components.gw.conversations;

describe("realtime conversations", () => {
  it("a message goes to every device of the other members, once, and each is delivered or accounted", () => {
    const r = runText(
      design(
        "model: websocket, eventsPerUser: 1/s, offlineStore: true, conversations: { members: 4 }",
        "  - { kill: gw, instance: 0, at: 5s, for: 5s }",
      ),
    );
    const e = r.components.gw.events as Any;
    expect(conv(r).messages).toBe(e.published);
    // one device each: 3 copies per message
    expect(e.copies).toBe(3 * e.published);
    expect(e.lost).toBe(0);
    expect(e.delivered + e.pending).toBe(e.copies);
    expect(conv(r).deliveries).toBe(e.delivered);
    expect(conv(r).count).toBe(15);
  });

  it("property: server-sequenced deliveries are never out of order, across models, crashes, churn and devices", () => {
    const gen = fc.record({
      model: fc.constantFrom("websocket", "sse", "long-poll", "short-poll"),
      members: fc.integer({ min: 2, max: 6 }),
      offline: fc.boolean(),
      crash: fc.boolean(),
      seed: fc.nat(1000),
    });
    fc.assert(
      fc.property(gen, ({ model, members, offline, crash, seed }) => {
        const push = model === "websocket" || model === "sse";
        const extras = push ? "devices: { shares: [0.5, 0.5] }, churn: { session: 5s, away: 2s }," : "";
        const r = runText(
          design(
            `model: ${model}, eventsPerUser: 2/s, offlineStore: ${offline}, ${extras} conversations: { members: ${members}, ordering: server-sequence, clockSkew: 3s }`,
            crash ? "  - { kill: gw, instance: 1, at: 4s, for: 6s }" : "",
          ),
          [],
          { seed },
        );
        expect(conv(r).outOfOrder).toBe(0);
        expect(conv(r).deliveries).toBeGreaterThan(0);
      }),
      { numRuns: 12 },
    );
  });

  it("client clocks reorder only when they disagree", () => {
    const same = runText(
      design("model: websocket, eventsPerUser: 2/s, conversations: { members: 6, ordering: client-clock }"),
    );
    expect(conv(same).outOfOrder).toBe(0);
    const skewed = runText(
      design(
        "model: websocket, eventsPerUser: 2/s, conversations: { members: 6, ordering: client-clock, clockSkew: 2s }",
      ),
    );
    expect(conv(skewed).outOfOrder).toBeGreaterThan(0);
    expect(conv(skewed).outOfOrderShare).toBeCloseTo(conv(skewed).outOfOrder / conv(skewed).deliveries, 9);
  });

  it("is deterministic: the clocks are traits of the users, the rest comes from the seed", () => {
    const text = design(
      "model: websocket, eventsPerUser: 2/s, devices: { shares: [0.5, 0.5] }, conversations: { members: 5, ordering: client-clock, clockSkew: 1s }",
      "  - { kill: gw, instance: 2, at: 3s, for: 5s }",
    );
    const a = runText(text, [], { seed: 4 }).components.gw as Any;
    expect(a.conversations.outOfOrder).toBeGreaterThan(0);
    expect(JSON.stringify(runText(text, [], { seed: 4 }).components.gw)).toBe(JSON.stringify(a));
  });

  it("refuses conversations of one, and conversations larger than the clients", () => {
    expect(rejection(design("model: websocket, conversations: { members: 1 }"))).toMatch(
      /conversation of one member[\s\S]*at least 2/,
    );
    expect(rejection(design("model: websocket, conversations: { members: 61 }"))).toMatch(
      /61 members, but the gateway has only 60 clients[\s\S]*lower members/,
    );
    expect(rejection(design("model: websocket, conversations: { ordering: lamport }"))).toMatch(
      /server-sequence/,
    );
  });
});
