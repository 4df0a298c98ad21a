// Terminal lines for consumer groups: what happened to their messages and how
// far behind they are.
import type { Report } from "./json.js";

interface ConsumerSummary {
  kind: string;
  topic: string;
  group: string;
  commit: string;
  delivery: {
    messages: number;
    processedOnce: number;
    duplicated: number;
    deduped: number;
    lost: number;
    lostToRetention: number;
    failed: number;
    pending: number;
    outOfOrder: number;
  };
  lag: { messages: number; seconds: number; maxMessages: number; maxSeconds: number; alertSeconds?: number };
  rebalances: number;
  dedup?: { skipped: number };
  endToEndMs?: EndToEnd;
}

/** From the user request that started a message's chain to the end of its first processing. */
interface EndToEnd {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

interface QueueSummary {
  order: string;
  depth: number;
  maxDepth: number;
  oldestAgeSeconds: number;
  redeliveries: number;
  nacks: number;
  refused: number;
  blockedSends: number;
  delivery: {
    messages: number;
    processedOnce: number;
    duplicated: number;
    lost: number;
    deadLettered: number;
    pending: number;
    outOfOrder: number;
  };
}

const n = (v: number) => v.toLocaleString("en-US");

interface TopicSummary {
  messages: number;
  deletedByRetention: number;
  replication?: {
    factor: number;
    acks: number | string;
    failovers: number;
    truncated: number;
    acknowledgedLost: number;
  };
}

const endToEnd = (e: EndToEnd | undefined, ms: (v: number) => string) =>
  e && e.count > 0 ? `; end to end p50 ${ms(e.p50)}, p99 ${ms(e.p99)}, max ${ms(e.max)}` : "";

export function messagingLines(rep: Report, ms: (v: number) => string): string[] {
  const out: string[] = [];
  for (const [name, comp] of Object.entries(rep.components)) {
    if (comp.kind !== "topic") continue;
    const t = comp as unknown as TopicSummary;
    const r = t.replication;
    out.push(
      `${name}: ${n(t.messages)} messages${t.deletedByRetention > 0 ? `, ${n(t.deletedByRetention)} deleted by retention` : ""}` +
        (r
          ? `; ${r.factor} replicas, acks ${r.acks}: ${r.failovers} failover${r.failovers === 1 ? "" : "s"}, ` +
            `${n(r.truncated)} truncated, ${n(r.acknowledgedLost)} acknowledged and lost`
          : ""),
    );
  }
  for (const [name, comp] of Object.entries(rep.components)) {
    if (comp.kind !== "queue") continue;
    const q = comp as unknown as QueueSummary;
    const d = q.delivery;
    out.push(
      `${name} (${q.order} queue): ${n(d.messages)} messages, ${n(d.processedOnce)} processed once, ` +
        `${n(d.duplicated)} duplicated, ${n(d.lost)} lost, ${n(d.deadLettered)} dead-lettered, ${n(d.pending)} pending, ` +
        `${n(d.outOfOrder)} out of order`,
    );
    out.push(
      `  depth ${n(q.depth)} at the end (max ${n(q.maxDepth)}), oldest ${q.oldestAgeSeconds.toFixed(2)}s; ` +
        `${n(q.redeliveries)} redelivered after the visibility timeout, ${n(q.nacks)} nacked` +
        `${q.refused > 0 ? `, ${n(q.refused)} sends refused (full)` : ""}` +
        `${q.blockedSends > 0 ? `, ${n(q.blockedSends)} sends blocked (full)` : ""}`,
    );
  }
  for (const [name, comp] of Object.entries(rep.components)) {
    // consumers of a queue are summed up by their queue
    if (comp.kind !== "consumer" || !("topic" in comp)) continue;
    const c = comp as unknown as ConsumerSummary;
    const d = c.delivery;
    const l = c.lag;
    const group = c.group === name ? name : `${name} (group ${c.group})`;
    out.push(
      `${group} <- ${c.topic}, commit ${c.commit}${c.dedup ? `, dedup skipped ${n(c.dedup.skipped)}` : ""}: ` +
        `${n(d.messages)} messages, ${n(d.processedOnce)} processed once, ${n(d.duplicated)} duplicated, ` +
        `${n(d.lost)} lost${d.lostToRetention > 0 ? ` (${n(d.lostToRetention)} to retention)` : ""}, ` +
        `${d.failed > 0 ? `${n(d.failed)} failed, ` : ""}${d.deduped > 0 ? `${n(d.deduped)} deduped, ` : ""}` +
        `${n(d.pending)} pending, ${n(d.outOfOrder)} out of order`,
    );
    out.push(
      `  lag ${n(l.messages)} messages / ${l.seconds.toFixed(2)}s at the end, max ${n(l.maxMessages)} / ${l.maxSeconds.toFixed(2)}s` +
        `${l.alertSeconds !== undefined ? `, ${l.alertSeconds}s above the alert` : ""}` +
        `${c.rebalances > 0 ? `, ${c.rebalances} rebalance${c.rebalances === 1 ? "" : "s"}` : ""}` +
        endToEnd(c.endToEndMs, ms),
    );
  }
  for (const [name, comp] of Object.entries(rep.components)) {
    if (comp.kind !== "consumer" || !("queue" in comp)) continue;
    const e = (comp as unknown as { queue: string; endToEndMs?: EndToEnd }).endToEndMs;
    const line = endToEnd(e, ms);
    if (line)
      out.push(`${name} <- ${(comp as unknown as { queue: string }).queue}: ${n(e!.count)} processed${line}`);
  }
  return out;
}
