// Terminal lines for RabbitMQ-style messaging: what each exchange routed, and
// how requests over a queue (request-reply) fared.
import type { Report } from "./json.js";

interface ExchangeSummary {
  type: string;
  published: number;
  routed: number;
  copies: number;
  refusedCopies: number;
  unroutable: number;
  returned: number;
  toAlternate: number;
  utilization: number;
}

interface RequestReplySummary {
  requests: number;
  answered: number;
  timedOut: number;
  lateReplies: number;
  duplicateReplies: number;
  orphanedReplies: number;
  roundTripMs: { count: number; p50: number; p99: number };
}

const n = (v: number) => v.toLocaleString("en-US");

export function amqpLines(rep: Report, ms: (v: number) => string): string[] {
  const out: string[] = [];
  for (const [name, comp] of Object.entries(rep.components)) {
    if (comp.kind !== "exchange") continue;
    const x = comp as unknown as ExchangeSummary;
    out.push(
      `${name} (${x.type} exchange): ${n(x.published)} published, ${n(x.routed)} routed into ${n(x.copies)} queue copies` +
        `${x.refusedCopies > 0 ? ` (${n(x.refusedCopies)} refused, queue full)` : ""}` +
        `${x.toAlternate > 0 ? `, ${n(x.toAlternate)} via the alternate exchange` : ""}, ` +
        `${n(x.unroutable)} unroutable dropped, ${n(x.returned)} returned (mandatory); ` +
        `broker ${(100 * x.utilization).toFixed(0)}% busy`,
    );
  }
  for (const [name, comp] of Object.entries(rep.components)) {
    if (comp.kind !== "queue" || !("requestReply" in comp)) continue;
    const r = comp.requestReply as RequestReplySummary;
    const rt =
      r.roundTripMs.count > 0
        ? `, round trip p50 ${ms(r.roundTripMs.p50)}, p99 ${ms(r.roundTripMs.p99)}`
        : "";
    out.push(
      `${name} (request-reply): ${n(r.requests)} requests, ${n(r.answered)} answered, ${n(r.timedOut)} timed out${rt}; ` +
        `replies discarded: ${n(r.lateReplies)} late, ${n(r.duplicateReplies)} duplicate, ${n(r.orphanedReplies)} orphaned`,
    );
  }
  return out;
}
