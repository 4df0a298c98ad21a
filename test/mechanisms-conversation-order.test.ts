// Per-conversation ordering (CR-09): a server sequence keeps every viewer's
// deliveries in order whatever the clocks; client clocks put a message above
// the ones shown when its sender's clock is behind, with the rate the Poisson
// arithmetic gives. Mailbox keys travel with their events.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stream } from "../src/kernel/rng.js";
import { ConversationOrder, type Ordering } from "../src/mechanisms/conversation-order.js";
import { Mailboxes } from "../src/mechanisms/mailboxes.js";

interface Send {
  sender: number;
  gap: number;
}

/**
 * Runs sends through a chat whose viewers are its users (one device each):
 * each message goes to every other member of the sender's conversation,
 * over a FIFO connection with its own delay (as a gateway's connection
 * keeps order), and deliveries are shown in arrival order. Returns the
 * mechanism and each viewer's shown keys.
 */
function chat(
  users: number,
  members: number,
  ordering: Ordering,
  offsets: number[],
  sends: Send[],
  delays: number[],
): { order: ConversationOrder; keys: number[][] } {
  const order = new ConversationOrder(users, members, ordering, Float64Array.from(offsets), users);
  const lastAt = new Array<number>(users).fill(0);
  const arrivals: { at: number; n: number; viewer: number; key: number }[] = [];
  let now = 0;
  let d = 0;
  sends.forEach((s, n) => {
    now += s.gap;
    const key = order.stamp(s.sender, now);
    const conv = order.conversationOf(s.sender);
    for (let v = order.first(conv); v < order.end(conv); v++) {
      if (v === s.sender) continue;
      const at = Math.max(lastAt[v], now + delays[d++ % delays.length]);
      lastAt[v] = at;
      arrivals.push({ at, n, viewer: v, key });
    }
  });
  arrivals.sort((a, b) => a.at - b.at || a.n - b.n);
  const keys: number[][] = Array.from({ length: users }, () => []);
  for (const a of arrivals) {
    order.show(a.viewer, a.key);
    keys[a.viewer].push(a.key);
  }
  return { order, keys };
}

const scenario = fc
  .record({ users: fc.integer({ min: 2, max: 12 }), members: fc.integer({ min: 2, max: 5 }) })
  .chain(({ users, members }) =>
    fc.record({
      users: fc.constant(users),
      members: fc.constant(members),
      offsets: fc.array(fc.integer({ min: -2000, max: 2000 }), { minLength: users, maxLength: users }),
      sends: fc.array(fc.record({ sender: fc.nat(users - 1), gap: fc.integer({ min: 0, max: 500 }) }), {
        maxLength: 80,
      }),
      delays: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 20 }),
    }),
  );

describe("conversation order", () => {
  it("groups consecutive users into conversations, the last one possibly smaller", () => {
    const o = new ConversationOrder(7, 3, "server-sequence", new Float64Array(7), 7);
    expect(o.conversations).toBe(3);
    expect([o.first(1), o.end(1)]).toEqual([3, 6]);
    expect([o.first(2), o.end(2)]).toEqual([6, 7]);
    expect(o.conversationOf(5)).toBe(1);
  });

  it("a server sequence numbers each conversation's messages 1, 2, 3 ... on its own", () => {
    const o = new ConversationOrder(4, 2, "server-sequence", Float64Array.from([9e9, 0, 0, 0]), 4);
    expect([o.stamp(0, 5), o.stamp(1, 6), o.stamp(2, 7), o.stamp(0, 8)]).toEqual([1, 2, 1, 3]);
  });

  it("a client clock stamps the sender's true time plus its offset", () => {
    const o = new ConversationOrder(2, 2, "client-clock", Float64Array.from([-300, 50]), 2);
    expect(o.stamp(0, 1000)).toBe(700);
    expect(o.stamp(1, 1000)).toBe(1050);
  });

  it("a delivery below the highest key shown is out of order and leaves the screen's bottom alone", () => {
    const o = new ConversationOrder(2, 2, "client-clock", new Float64Array(2), 1);
    expect(o.show(0, 10)).toBe(false);
    expect(o.show(0, 5)).toBe(true);
    expect(o.show(0, 8)).toBe(true);
    expect(o.show(0, 10)).toBe(false);
    expect([o.delivered, o.outOfOrder]).toEqual([4, 2]);
  });

  it("refuses conversations of one and offsets that do not match the users", () => {
    expect(() => new ConversationOrder(4, 1, "client-clock", new Float64Array(4), 4)).toThrow(/at least 2/);
    expect(() => new ConversationOrder(4, 2, "client-clock", new Float64Array(3), 4)).toThrow(
      /3 clock offsets/,
    );
  });

  it("property: deliveries per conversation are in sequence order when server-sequenced, whatever the clocks and delays", () => {
    fc.assert(
      fc.property(scenario, ({ users, members, offsets, sends, delays }) => {
        const { order, keys } = chat(users, members, "server-sequence", offsets, sends, delays);
        expect(order.outOfOrder).toBe(0);
        // and each viewer sees its conversation's numbers rising (its own messages are the gaps)
        for (const k of keys) for (let i = 1; i < k.length; i++) expect(k[i]).toBeGreaterThan(k[i - 1]);
        expect(order.delivered).toBe(keys.reduce((s, k) => s + k.length, 0));
      }),
    );
  });

  it("property: client clocks that agree never reorder; one that disagrees reorders only messages closer together than the skew", () => {
    fc.assert(
      fc.property(scenario, ({ users, members, offsets, sends, delays }) => {
        const same = chat(users, members, "client-clock", new Array<number>(users).fill(0), sends, delays);
        expect(same.order.outOfOrder).toBe(0);
        // a reordering needs two messages of one conversation sent less than the largest skew apart
        const skewed = chat(users, members, "client-clock", offsets, sends, delays);
        const spread = Math.max(...offsets) - Math.min(...offsets);
        let minGap = Infinity;
        let t = 0;
        const lastIn = new Map<number, number>();
        for (const s of sends) {
          t += s.gap;
          const conv = Math.floor(s.sender / members);
          const prev = lastIn.get(conv);
          if (prev !== undefined) minGap = Math.min(minGap, t - prev);
          lastIn.set(conv, t);
        }
        if (skewed.order.outOfOrder > 0) expect(minGap).toBeLessThan(spread);
      }),
    );
  });

  it("client clocks: a sender D behind the other has its messages shown out of order with probability 1 - exp(-rate x D)", () => {
    // three members: 0 (clock 0) and 1 (clock D ahead) send, 2 watches.
    // A message from 0 at t lands above a message from 1 sent in (t - D, t):
    // P = 1 - exp(-rate D); 1's messages never do (0's stamps are behind).
    const D = 400;
    const rate = 1 / 1000; // per sender per ms
    const o = new ConversationOrder(3, 3, "client-clock", Float64Array.from([0, D, 0]), 3);
    const rng = stream(11, "conversation-order-test");
    const n = 20000;
    // two Poisson senders merged: each gap exponential at 2 x rate, the sender a fair coin
    let t = 0;
    let from0 = 0;
    let late = 0;
    for (let i = 0; i < n; i++) {
      t += -Math.log(1 - rng.next()) / (2 * rate);
      const sender = rng.next() < 0.5 ? 0 : 1;
      if (sender === 0) from0++;
      const ooo = o.show(2, o.stamp(sender, t));
      if (ooo) {
        expect(sender).toBe(0);
        late++;
      }
    }
    const p = 1 - Math.exp(-rate * D);
    const sd = Math.sqrt(from0 * p * (1 - p));
    expect(Math.abs(late - from0 * p)).toBeLessThan(5 * sd);
  });

  it("mailboxes hand each event's key back with it", () => {
    const m = new Mailboxes(1, 2);
    m.append(0, 1, 0, undefined, 7.5);
    m.append(0, 2, 0);
    m.append(0, 3, 0, undefined, 9); // drops the first
    const keys: number[] = [];
    m.takeUpTo(0, 10, (_t, _tag, k) => keys.push(k));
    expect(keys).toEqual([0, 9]);
  });
});
