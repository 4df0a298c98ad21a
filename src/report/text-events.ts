// Terminal lines for event flows between databases and topics: each dual
// write's missing events, each relay's backlog and duplicates, and a change
// feed's index staleness.
import type { Report } from "./json.js";

interface DualWriteSummary {
  committed: number;
  withEvent: number;
  missingEvents: number;
  pending: number;
}

interface RelaySummary {
  source: string;
  database: string;
  topic: string;
  captured: number;
  published: number;
  duplicatesPublished: number;
  unsent: number;
  lag: { seconds: number; maxSeconds: number };
  index?: {
    applied: number;
    duplicateApplies: number;
    outOfOrder: number;
    unapplied: number;
    stalenessMs: { mean: number; p99: number };
    lag: { maxSeconds: number };
  };
}

const n = (v: number) => v.toLocaleString("en-US");

export function eventLines(rep: Report, ms: (v: number) => string): string[] {
  const out: string[] = [];
  for (const [name, comp] of Object.entries(rep.components)) {
    const dual = (comp as { dualWrite?: Record<string, DualWriteSummary> }).dualWrite;
    for (const [route, d] of Object.entries(dual ?? {}))
      out.push(
        `${name} ${route} (dual write): ${n(d.committed)} writes committed, ${n(d.withEvent)} with their event, ` +
          `${n(d.missingEvents)} missing their event, ${n(d.pending)} pending`,
      );
  }
  for (const [name, comp] of Object.entries(rep.components)) {
    if (comp.kind !== "relay") continue;
    const r = comp as unknown as RelaySummary;
    out.push(
      `${name} (${r.source === "log" ? "change feed" : "outbox relay"} ${r.database} -> ${r.topic}): ` +
        `${n(r.captured)} rows, ${n(r.published)} published, ${n(r.duplicatesPublished)} duplicates, ` +
        `${n(r.unsent)} unsent; lag ${r.lag.seconds.toFixed(2)}s at the end, max ${r.lag.maxSeconds.toFixed(2)}s`,
    );
    const i = r.index;
    if (i)
      out.push(
        `  index: ${n(i.applied)} applied, ${n(i.duplicateApplies)} duplicate applies, ${n(i.outOfOrder)} out of order, ` +
          `${n(i.unapplied)} unapplied; staleness mean ${ms(i.stalenessMs.mean)}, p99 ${ms(i.stalenessMs.p99)}, ` +
          `max lag ${i.lag.maxSeconds.toFixed(2)}s`,
      );
  }
  return out;
}
