// Terminal lines for services whose fleet changes or is priced: how the fleet
// moved, what it cost, and what draining did.
import type { Report } from "./json.js";

interface CapacityReport {
  instanceSeconds: number;
  cost: number;
  peakInstances: number;
  drainTimeouts: number;
  cutByDrainTimeout: number;
  autoscaling?: { events: { from: number; to: number }[] };
  resize?: { restarted: number; minInService: number | null; finishedAt: number | null };
  deployments?: {
    version: string;
    strategy: string;
    outcome: string;
    finishedAt: number | null;
    abortReason: string | null;
  }[];
  versions?: Record<string, { requests: number; errors: number }>;
}

export function capacityLines(rep: Report): string[] {
  const lines: string[] = [];
  for (const [name, c] of Object.entries(rep.components)) {
    const cap = c.capacity as CapacityReport | undefined;
    if (!cap) continue;
    const parts: string[] = [];
    const events = cap.autoscaling?.events ?? [];
    if (events.length) {
      const path = [events[0].from, ...events.map((e) => e.to)].join("→");
      parts.push(`instances ${path} (${events.length} scaling${events.length === 1 ? "" : "s"})`);
    } else parts.push(`${cap.peakInstances} instance${cap.peakInstances === 1 ? "" : "s"} at most`);
    const r = cap.resize;
    if (r?.restarted)
      parts.push(
        `resized: ${r.restarted} restarted${r.finishedAt === null ? " (unfinished)" : ""}, ${r.minInService} in service at the low`,
      );
    parts.push(`${Math.round(cap.instanceSeconds).toLocaleString("en-US")} instance-s`);
    if (cap.cost > 0) parts.push(`$${cap.cost.toFixed(cap.cost < 10 ? 3 : 2)}`);
    if (cap.drainTimeouts > 0)
      parts.push(`${cap.drainTimeouts} drains cut short (${cap.cutByDrainTimeout} requests)`);
    lines.push(`  ${name}: ${parts.join(", ")}`);
    for (const d of cap.deployments ?? []) {
      const when = d.finishedAt !== null ? ` at ${(d.finishedAt / 1000).toFixed(1)}s` : "";
      const why = d.abortReason ? ` (${d.abortReason})` : "";
      const v = cap.versions?.[d.version];
      const served = v
        ? `; it served ${v.requests.toLocaleString("en-US")} requests, ${v.errors.toLocaleString("en-US")} failed`
        : "";
      lines.push(`    ${d.strategy} deployment of ${d.version}: ${d.outcome}${when}${why}${served}`);
    }
  }
  return lines.length ? ["capacity:", ...lines] : [];
}

/** Client-side discovery: how stale the callers' instance lists made them. */
export function discoveryLines(rep: Report): string[] {
  const lines: string[] = [];
  for (const [name, c] of Object.entries(rep.components)) {
    const d = c.discovery as { refreshes: number; staleCalls: number } | undefined;
    if (!d) continue;
    lines.push(
      `  ${name}: ${d.refreshes.toLocaleString("en-US")} list refreshes, ${d.staleCalls.toLocaleString("en-US")} calls to instances no longer serving`,
    );
  }
  return lines.length ? ["client-side discovery:", ...lines] : [];
}

/** Sessions: how many users lost theirs. */
export function sessionLines(rep: Report): string[] {
  const lines: string[] = [];
  for (const [name, c] of Object.entries(rep.components)) {
    const s = c.sessions as { mode: string; created: number; lost: number; dropped?: number } | undefined;
    if (!s) continue;
    const dropped =
      s.dropped !== undefined ? `, ${s.dropped.toLocaleString("en-US")} dropped with their instance` : "";
    lines.push(
      `  ${name} (${s.mode}): ${s.created.toLocaleString("en-US")} created, ${s.lost.toLocaleString("en-US")} lost${dropped}`,
    );
  }
  return lines.length ? ["sessions:", ...lines] : [];
}
