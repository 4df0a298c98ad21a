// Wires a design's event flows between databases and topics: relays (an
// outbox relay or a CDC connector, `kind: relay`), the ledgers that write and
// publish steps carry (Job.ledger), and the dual writes of routes that write
// a row and publish its event as two separate operations.
import { writesThrough } from "../components/cache-client.js";
import type { Consumer } from "../components/consumer.js";
import type { Database } from "../components/database.js";
import { Relay } from "../components/relay.js";
import type { Component, Sim } from "../components/runtime.js";
import type { Service, Step } from "../components/service.js";
import type { Topic } from "../components/topic.js";
import { sampler } from "../kernel/distributions.js";
import { DEFAULTS } from "./defaults.js";
import type { ComponentSpec, Design } from "./schema.js";

/** Builds every relay (after databases and topics); a log relay is told every write its database commits. */
export function buildRelays(
  d: Design,
  sim: Sim,
  byName: Map<string, Component>,
  zonesOf: (c: ComponentSpec) => number[],
): void {
  for (const [name, c] of Object.entries(d.components)) {
    if (c.kind !== "relay") continue;
    const db = byName.get(c.from) as Database;
    const relay = new Relay(
      name,
      {
        source: c.source ?? "outbox",
        intervalMs: c.interval ?? DEFAULTS.relay.interval,
        batch: c.batch ?? DEFAULTS.relay.batch,
        size: sampler(c.size ?? DEFAULTS.topic.messageSize),
      },
      db,
      byName.get(c.to) as Topic,
    );
    relay.zones = zonesOf(c);
    sim.add(relay);
    byName.set(name, relay);
    if (relay.cfg.source === "log") db.feeds.push(relay);
  }
}

/** The outbox relay of `db` publishing to `topic` (validation makes it exist): its ledger index. */
export function outboxLedger(db: string, topic: string, byName: Map<string, Component>): number {
  for (const c of byName.values())
    if (c instanceof Relay && c.cfg.source === "outbox" && c.db.name === db && c.topic.name === topic)
      return c.ledgerIndex;
  throw new Error(`no outbox relay from ${db} to ${topic}`);
}

/**
 * Once a service's or consumer's plans are built: a consumer of a change
 * feed's topic applies changes to an index with its writes; a service route
 * whose write is followed by a publish (to a topic or a queue) is a dual write, its commit
 * and its append paired per request.
 */
export function wireEvents(comp: Service, plans: [string, Step[]][], byName: Map<string, Component>): void {
  if (comp.kind === "consumer") {
    const topic = (comp as Consumer).topic as Component;
    const feed = [...byName.values()].find(
      (c): c is Relay => c instanceof Relay && c.cfg.source === "log" && c.topic === topic,
    );
    if (!feed) return;
    for (const [, plan] of plans)
      for (const s of plan) if (s.type === "write" && s.ledger === undefined) s.ledger = feed.ledgerIndex;
    return;
  }
  for (const [route, plan] of plans) {
    // a write through a write-through or write-behind cache is the cache's to make: not paired
    const w = plan.findIndex((s) => s.type === "write" && s.ledger === undefined && !writesThrough(s.cache));
    if (w < 0) continue;
    const p = plan.findIndex((s, i) => i > w && s.type === "publish");
    if (p < 0) continue;
    const ledger = comp.dualWrite(route);
    (plan[w] as Extract<Step, { type: "write" }>).ledger = ledger;
    (plan[p] as Extract<Step, { type: "publish" }>).ledger = ledger;
  }
}
