// AMQP exchange routing: the topic matcher against a reference, and each exchange type's rule.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Binding, headersMatch, route, topicMatches } from "../src/mechanisms/amqp-routing.js";

/** The AMQP topic rule written as a plain recursion over words (a different algorithm from the matcher's). */
function reference(p: string[], k: string[]): boolean {
  if (p.length === 0) return k.length === 0;
  if (p[0] === "#") return reference(p.slice(1), k) || (k.length > 0 && reference(p, k.slice(1)));
  if (k.length === 0) return false;
  return (p[0] === "*" || p[0] === k[0]) && reference(p.slice(1), k.slice(1));
}

const bind = (
  queue: number,
  key: string,
  headers: Record<string, string> = {},
  match: "all" | "any" = "all",
): Binding => ({
  queue,
  key,
  headers,
  match,
});

describe("topic patterns", () => {
  it("match as in RabbitMQ's tutorial (*.orange.*, *.*.rabbit, lazy.#)", () => {
    const cases: [string, boolean, boolean, boolean][] = [
      ["quick.orange.rabbit", true, true, false],
      ["lazy.orange.elephant", true, false, true],
      ["quick.orange.fox", true, false, false],
      ["lazy.brown.fox", false, false, true],
      ["lazy.pink.rabbit", false, true, true],
      ["quick.brown.fox", false, false, false],
      ["orange", false, false, false],
      ["quick.orange.new.rabbit", false, false, false],
      ["lazy.orange.new.rabbit", false, false, true],
      ["lazy", false, false, true],
    ];
    for (const [key, a, b, c] of cases) {
      expect(topicMatches("*.orange.*", key), key).toBe(a);
      expect(topicMatches("*.*.rabbit", key), key).toBe(b);
      expect(topicMatches("lazy.#", key), key).toBe(c);
    }
  });

  it("# matches every key, the empty one included; * needs exactly one word", () => {
    expect(topicMatches("#", "")).toBe(true);
    expect(topicMatches("#", "a.b.c")).toBe(true);
    expect(topicMatches("*", "a.b")).toBe(false);
    expect(topicMatches("a.#.b", "a.b")).toBe(true);
    expect(topicMatches("a.#.b", "a.x.y.b")).toBe(true);
    expect(topicMatches("#.#", "a")).toBe(true);
  });

  it("agree with the reference on random patterns and keys", () => {
    const word = fc.constantFrom("a", "b", "c", "");
    const pword = fc.constantFrom("a", "b", "c", "*", "#", "");
    fc.assert(
      fc.property(
        fc.array(pword, { minLength: 1, maxLength: 6 }),
        fc.array(word, { minLength: 1, maxLength: 6 }),
        (p, k) => {
          expect(topicMatches(p.join("."), k.join("."))).toBe(reference(p, k));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe("routing by exchange type", () => {
  const msg = (key: string, headers: Record<string, string> = {}) => ({ key, headers });

  it("direct takes exact keys only; fanout every binding; a queue bound twice gets one copy", () => {
    const bs = [bind(0, "orders"), bind(1, "orders.eu"), bind(0, "orders.eu")];
    expect(route("direct", bs, msg("orders"))).toEqual([0]);
    expect(route("direct", bs, msg("orders.eu"))).toEqual([1, 0]);
    expect(route("direct", bs, msg("nope"))).toEqual([]);
    expect(route("fanout", bs, msg("anything"))).toEqual([0, 1]);
  });

  it("headers: all needs every value equal, any needs one", () => {
    const all = bind(0, "", { format: "pdf", type: "report" }, "all");
    const any = bind(1, "", { format: "pdf", type: "report" }, "any");
    expect(headersMatch(all, { format: "pdf", type: "report", x: "1" })).toBe(true);
    expect(headersMatch(all, { format: "pdf" })).toBe(false);
    expect(headersMatch(any, { format: "pdf" })).toBe(true);
    expect(headersMatch(any, { format: "zip", type: "log" })).toBe(false);
    expect(route("headers", [all, any], msg("", { type: "report" }))).toEqual([1]);
  });

  it("every queue a message is routed to has a matching binding, and every matching binding's queue gets it", () => {
    const key = fc
      .array(fc.constantFrom("a", "b", "c"), { minLength: 1, maxLength: 4 })
      .map((w) => w.join("."));
    const pattern = fc
      .array(fc.constantFrom("a", "b", "*", "#"), { minLength: 1, maxLength: 4 })
      .map((w) => w.join("."));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(4), pattern), { minLength: 1, maxLength: 8 }), key, (bs, k) => {
        const bindings = bs.map(([q, p]) => bind(q, p));
        const got = route("topic", bindings, msg(k));
        const want = new Set(bindings.filter((b) => topicMatches(b.key, k)).map((b) => b.queue));
        expect(new Set(got)).toEqual(want);
        expect(got.length).toBe(want.size);
      }),
    );
  });
});
