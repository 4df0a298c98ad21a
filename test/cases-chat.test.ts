// The chat case (docs/cases/chat.md): the page quotes current numbers, and
// its claims hold, from the arithmetic of the design: a gateway crash sends
// a quarter of the devices into a reconnect storm; fire and forget loses the
// copies meant for them while they are away, an offline store none; server
// sequence numbers never reorder, skewed client clocks reorder as often as
// the Poisson arithmetic of the senders' offsets says; presence costs
// devices / interval writes.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { docReports, filledDoc, staleParts } from "../src/cli/doc.js";
import { clockOffset, userDevices } from "../src/components/realtime.js";
import { loadDesign } from "../src/design/load.js";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const sum = (xs: number[], a: number, b: number): number => xs.slice(a - 1, b).reduce((s, x) => s + x, 0);

const designFile = "examples/cases/chat/improved.yaml";
const { design } = loadDesign(readFileSync(designFile, "utf8"), designFile);
const chat = design.components.chat as Any;
const senders = design.components.senders as Any;
const users: number = chat.clients;
const members: number = chat.conversations.members;
const shares: number[] = chat.devices.shares;
/** messages per user per ms (each user sends to its own conversation: keys are per user) */
const lambda = senders.arrival.rate / users / 1000;
const duration = design.duration;
const base: number = chat.reconnect.base;
const clientMs = 30;
const hopMs = 0.5;
const kill = design.faults![0] as Any;

describe("case: chat", () => {
  const file = "docs/cases/chat.md";
  const text = readFileSync(file, "utf8");
  const reports = docReports(file, text) as Record<string, Any>;
  const { naive, improved, clocks } = reports;
  const rt = (r: Any) => r.components.chat;

  it("the page's numbers and chart are current", () => {
    expect(
      staleParts(file, text, filledDoc(file, text, reports as never)),
      `run: archsim doc ${file}`,
    ).toEqual([]);
  });

  it("the crash's reconnect storm is the dead gateway's devices, a quarter of all, re-registered within the jitter", () => {
    for (const r of [naive, improved]) {
      const c = rt(r);
      const conns = c.devices.connections as number;
      const d = c.reconnects.disconnected as number;
      // least-connections placed the devices evenly over the 4 instances
      expect([Math.floor(conns / chat.instances), Math.ceil(conns / chat.instances)]).toContain(d);
      expect(c.reconnects.reconnected).toBe(d);
      expect(c.registry.updates).toBe(d);
      // a full-jitter wait U(0, base) then one trip: mean base / 2 + 30 ms, sd of the mean base / sqrt(12 d)
      const mean = c.reconnects.timeToReconnectMs.mean as number;
      expect(Math.abs(mean - (base / 2 + clientMs))).toBeLessThan((5 * base) / Math.sqrt(12 * d));
      expect(c.reconnects.timeToReconnectMs.max).toBeLessThanOrEqual(base + clientMs + 1e-6);
      // all of them in the seconds the jitter spans, about half in each of its two seconds
      const at = kill.at / 1000;
      const connects = c.series.connects as number[];
      expect(sum(connects, at + 1, at + 3)).toBe(d);
      expect(Math.abs(c.reconnects.peakPerSecond - d / 2)).toBeLessThan(5 * Math.sqrt(d / 4) + d * 0.02);
    }
  });

  it("fire and forget loses the copies meant for the dead gateway's devices while they are away; the offline store none", () => {
    // each device gets the messages of the other members: (members - 1) x lambda;
    // away = the reconnect (base / 2 + one trip) plus what was on its way down the broken connection (one hop + one trip)
    const d = rt(naive).reconnects.disconnected as number;
    const expected = d * (members - 1) * lambda * (base / 2 + clientMs + hopMs + clientMs);
    // Poisson counts, a message's copies to one user's devices moving together (at most 4): sd <= sqrt(4 x expected)
    const tol = 5 * Math.sqrt(4 * expected);
    expect(Math.abs(rt(naive).events.lost - expected)).toBeLessThan(tol);
    const c = rt(improved);
    expect(c.events.lost).toBe(0);
    expect(c.events.delivered + c.events.pending).toBe(c.events.copies);
    expect(Math.abs(c.events.redelivered - expected)).toBeLessThan(tol);
    // the same traffic: what naive lost, improved delivered after the reconnect
    expect(rt(naive).events.copies).toBe(c.events.copies);
  });

  it("server sequence numbers never deliver out of order; skewed client clocks do, as often as the offsets predict", () => {
    const imp = rt(improved).conversations;
    expect(imp.ordering).toBe("server-sequence");
    expect(imp.outOfOrder).toBe(0);
    expect(imp.deliveries).toBe(rt(improved).events.delivered);
    // a copy from s to a device of C lands above one shown if another member s' (not C) sent
    // in the last offset[s'] - offset[s] ms: P = 1 - exp(-lambda x sum of those windows)
    const off = Array.from({ length: users }, (_, u) => clockOffset("chat", u, chat.conversations.clockSkew));
    let expected = 0;
    for (let first = 0; first < users; first += members) {
      const end = Math.min(users, first + members);
      for (let s = first; s < end; s++)
        for (let c = first; c < end; c++) {
          if (c === s) continue;
          let window = 0;
          for (let o = first; o < end; o++) if (o !== s && o !== c) window += Math.max(0, off[o] - off[s]);
          expected += userDevices("chat", c, shares) * lambda * duration * (1 - Math.exp(-lambda * window));
        }
    }
    // compound Poisson: one message reorders at most (members - 1) x 4 devices' copies
    const tol = 5 * Math.sqrt(expected * (members - 1) * 4);
    expect(rt(clocks).conversations.ordering).toBe("client-clock");
    expect(Math.abs(rt(clocks).conversations.outOfOrder - expected)).toBeLessThan(tol);
    // the naive design reorders alike (it only misses the ~1,000 lost copies)
    expect(Math.abs(rt(naive).conversations.outOfOrder - expected)).toBeLessThan(tol);
  });

  it("presence writes are devices / interval: each device writes every 5 s, a reconnection shifting it by at most one", () => {
    const c = rt(improved);
    const conns = c.devices.connections as number;
    const expected = (conns * duration) / chat.presence.interval;
    expect(Math.abs(c.presence.writes - expected)).toBeLessThanOrEqual(c.reconnects.reconnected);
    expect(c.presence.writesPerSecond).toBeCloseTo(c.presence.writes / (duration / 1000), 6);
  });

  it("neither design slows the sender: both meet the send-path SLOs", () => {
    for (const r of [naive, improved]) expect(r.slo.every((s: Any) => s.pass)).toBe(true);
  });
});
