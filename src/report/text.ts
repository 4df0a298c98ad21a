// Human summary tables for the terminal.
import type { GuardReport } from "../components/call-guard.js";
import type { Report, RouteReport } from "./json.js";
import { amqpLines } from "./text-amqp.js";
import { messagingLines } from "./text-messaging.js";
import { eventLines } from "./text-events.js";
import { realtimeLines } from "./text-realtime.js";
import { sagaLines } from "./text-saga.js";
import { capacityLines, discoveryLines, sessionLines } from "./text-capacity.js";
import { costLines } from "./text-cost.js";

/** `align` has one letter per column: l(eft) for names, r(ight) for numbers. */
function table(head: string[], rows: string[][], align = `l${"r".repeat(head.length - 1)}`): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (align[i] === "l" ? c.padEnd(w[i]) : c.padStart(w[i])))
      .join("  ")
      .trimEnd();
  return [line(head), line(w.map((n) => "-".repeat(n))), ...rows.map(line)].join("\n");
}

export function ms(v: number): string {
  if (!Number.isFinite(v)) return "-";
  if (v === 0) return "0";
  if (v < 1) return `${(v * 1000).toFixed(0)}µs`;
  if (v < 10) return `${v.toFixed(2)}ms`;
  if (v < 1000) return `${v.toFixed(1)}ms`;
  return `${(v / 1000).toFixed(2)}s`;
}

const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(v >= 0.9995 && v < 1 ? 3 : 2)}%` : "-");
const num = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(1));

function routeRow(name: string, r: RouteReport): string[] {
  const l = r.latencyMs;
  return [
    name,
    r.requests.total.toLocaleString("en-US"),
    pct(r.availability),
    num(r.throughputPerSec),
    ms(l.mean),
    ms(l.p50),
    ms(l.p95),
    ms(l.p99),
    ms(l.max),
  ];
}

/** A caller's calls to one dependency, in a few words: retries, timeouts, breaker, fallbacks. */
function callNote(target: string, g: GuardReport): string {
  const parts = [`x${g.amplification.toFixed(2)} attempts`];
  if (g.timeouts > 0) parts.push(`${g.timeouts} timeouts`);
  if (g.retriesDenied > 0) parts.push(`${g.retriesDenied} retries denied`);
  if (g.breaker) parts.push(`breaker opened ${g.breaker.opened}x, ${g.breaker.shortCircuited} failed fast`);
  if (g.bulkheadRejected) parts.push(`${g.bulkheadRejected} bulkhead-full`);
  if (g.fallbacks > 0) parts.push(`${g.fallbacks} fallbacks`);
  return `-> ${target}: ${parts.join(", ")}`;
}

export function renderText(rep: Report): string {
  const out: string[] = [];
  out.push(
    `archsim ${rep.archsim.version}: ${rep.design}, seed ${rep.seed}, ${ms(rep.durationMs)} simulated`,
  );
  out.push("");
  const head = ["route", "requests", "avail", "ok/s", "mean", "p50", "p95", "p99", "max"];
  const rows = Object.entries(rep.routes).map(([n, r]) => routeRow(n, r));
  rows.push(routeRow("all", rep));
  out.push(table(head, rows));
  const causes = Object.entries(rep.requests.byOutcome).filter(([c]) => c !== "ok");
  out.push("");
  out.push(
    `requests: ${rep.requests.total.toLocaleString("en-US")} total, ${rep.requests.ok.toLocaleString("en-US")} ok, ${rep.requests.failed.toLocaleString("en-US")} failed${
      causes.length ? ` (${causes.map(([c, n]) => `${c} ${n.toLocaleString("en-US")}`).join(", ")})` : ""
    }, ${rep.requests.inFlight} in flight at the end`,
  );
  out.push("");
  const crow = Object.entries(rep.components).map(([name, c]) => {
    const extra: string[] = [];
    if (typeof c.hitRatio === "number") extra.push(`hit ratio ${pct(c.hitRatio)}`);
    const l1 = c.localCache as { hitRatio: number } | undefined;
    if (l1) extra.push(`L1 hit ratio ${pct(l1.hitRatio)}`);
    const cluster = c.cluster as { ejections: number; failovers: number } | undefined;
    const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
    if (cluster?.ejections) extra.push(`${plural(cluster.ejections, "node")} ejected`);
    if (cluster?.failovers) extra.push(plural(cluster.failovers, "failover"));
    if (typeof c.writesLostOnCrash === "number" && c.writesLostOnCrash > 0)
      extra.push(`${c.writesLostOnCrash} writes lost on crash`);
    if (typeof c.originOffload === "number") extra.push(`origin offload ${pct(c.originOffload)}`);
    if (typeof c.rejected === "number" && c.rejected > 0) extra.push(`rejected ${c.rejected}`);
    if (typeof c.noHealthyBackend === "number" && c.noHealthyBackend > 0)
      extra.push(`no backend ${c.noHealthyBackend}`);
    if (Array.isArray(c.healthEvents) && c.healthEvents.length)
      extra.push(`${c.healthEvents.length} health changes`);
    if (typeof c.writes === "number") extra.push(`${c.reads} reads, ${c.writes} writes`);
    if (c.kind === "block-store" && typeof c.fileBytes === "number") {
      // what the wire carried against whole files, and what dedup keeps off the disks
      const sent = (c.fileBytes as number) > 0 ? (c.uploadedBytes as number) / (c.fileBytes as number) : 0;
      extra.push(
        `${c.uploads} uploads, ${pct(sent)} of file bytes sent, dedup saves ${pct(c.dedupSaving as number)}`,
      );
    }
    if (typeof c.expired === "number") extra.push(`${c.expired} expired dropped`);
    if (typeof c.shed === "number" && c.shed > 0) extra.push(`shed ${c.shed}`);
    for (const [target, g] of Object.entries((c.calls ?? {}) as Record<string, GuardReport>))
      extra.push(callNote(target, g));
    const q = typeof c.queueLength === "number" ? c.queueLength.toFixed(2) : "-";
    const mq = typeof c.maxQueueLength === "number" ? String(c.maxQueueLength) : "-";
    const lat = c.latencyMs as { p99?: number } | undefined;
    return [
      name,
      c.kind,
      c.kind === "workload" ? "-" : pct(c.utilization),
      q,
      mq,
      lat?.p99 !== undefined ? ms(lat.p99) : "-",
      extra.join(", "),
    ];
  });
  out.push(table(["component", "kind", "util", "queue", "max q", "p99", "notes"], crow, "llrrrrl"));
  const data = dataLines(rep);
  if (data.length) out.push("", ...data);
  const dns = dnsLines(rep);
  if (dns.length) out.push("", ...dns);
  const cdn = cdnLines(rep);
  if (cdn.length) out.push("", ...cdn);
  const messaging = messagingLines(rep, ms);
  if (messaging.length) out.push("", ...messaging);
  const amqp = amqpLines(rep, ms);
  if (amqp.length) out.push("", ...amqp);
  const events = eventLines(rep, ms);
  if (events.length) out.push("", ...events);
  const sagas = sagaLines(rep, ms);
  if (sagas.length) out.push("", ...sagas);
  const realtime = realtimeLines(rep, ms);
  if (realtime.length) out.push("", ...realtime);
  const capacity = capacityLines(rep);
  if (capacity.length) out.push("", ...capacity);
  const discovery = discoveryLines(rep);
  if (discovery.length) out.push("", ...discovery);
  const sessions = sessionLines(rep);
  if (sessions.length) out.push("", ...sessions);
  const gateways = gatewayLines(rep);
  if (gateways.length) out.push("", ...gateways);
  const limitSteps = limitStepLines(rep);
  if (limitSteps.length) out.push("", ...limitSteps);
  const cost = costLines(rep, table);
  if (cost.length) out.push("", ...cost);
  if (rep.faults.length) {
    out.push("");
    out.push("faults:");
    for (const f of rep.faults)
      out.push(`  ${ms(f.startMs)}${f.endMs !== null ? `–${ms(f.endMs)}` : " onwards"}: ${f.description}`);
  }
  if (rep.slo.length) {
    out.push("");
    out.push(
      table(
        ["slo", "actual", "result"],
        rep.slo.map((s) => [
          s.assertion,
          /p\d|mean|max/.test(s.assertion)
            ? ms(s.actual)
            : /throughput/.test(s.assertion)
              ? `${num(s.actual)}/s`
              : pct(s.actual),
          s.pass ? "pass" : "FAIL",
        ]),
      ),
    );
  }
  out.push("");
  out.push(
    `engine: ${rep.engine.events.toLocaleString("en-US")} events in ${rep.engine.wallMs} ms (${(rep.engine.eventsPerSec / 1e6).toFixed(2)}M events/s)`,
  );
  if (rep.engine.stoppedBy)
    out.push(
      `stopped early by the ${rep.engine.stoppedBy} at ${ms(rep.engine.simulatedMs)} of simulated time`,
    );
  return out.join("\n");
}

interface DataReport {
  duplicateApplies?: number;
  idempotency?: {
    hits: number;
    expiredReapplies: number;
    raceDuplicates: number;
    newKeyDuplicates: number;
  };
  consistency?: {
    reads: number;
    staleReads: number;
    rywViolations: number;
    monotonicViolations: number;
    lostAcknowledgedWrites: number;
  };
  replication?: { mode: string; nodes: { role: string; maxLagMs: number; lagMs: number }[] };
  failover?: {
    events: {
      to: number | null;
      detectionMs: number | null;
      electionMs: number | null;
      lostAcknowledgedWrites: number;
    }[];
    unavailableMs: number;
  };
}

/** One line per database: what its readers saw, its replicas' lag and its failovers. */
function dataLines(rep: Report): string[] {
  const out: string[] = [];
  for (const [name, c] of Object.entries(rep.components)) {
    const d = c as unknown as DataReport;
    if (!d.consistency) continue;
    const k = d.consistency;
    const parts = [
      `${k.reads.toLocaleString("en-US")} reads judged: ${k.staleReads} stale, ${k.rywViolations} read-your-writes and ${k.monotonicViolations} monotonic-read violations`,
      `${k.lostAcknowledgedWrites} acknowledged writes lost`,
    ];
    const dup = d.duplicateApplies ?? 0;
    const keys = d.idempotency;
    if (dup > 0 || keys) {
      let line = `${dup.toLocaleString("en-US")} duplicate writes (a write applied again for the same request)`;
      if (keys) {
        const causes = [
          [keys.newKeyDuplicates, "under a new key"],
          [keys.raceDuplicates, "racing another attempt"],
          [keys.expiredReapplies, "after the key expired"],
        ].filter(([n]) => (n as number) > 0);
        line += causes.length ? `: ${causes.map(([n, why]) => `${n} ${why}`).join(", ")}` : "";
        line += `; ${keys.hits.toLocaleString("en-US")} repeats answered from the idempotency keys`;
      }
      parts.push(line);
    }
    // a quorum store's `replication` is replicas per DC, not a leader's followers
    if (d.replication && Array.isArray(d.replication.nodes)) {
      const lags = d.replication.nodes.filter((n) => n.role !== "primary").map((n) => ms(n.maxLagMs));
      parts.push(`${d.replication.mode} replication, max lag ${lags.join(" / ")}`);
    }
    for (const f of d.failover?.events ?? [])
      if (f.to !== null)
        parts.push(
          `failover to node ${f.to}: detected in ${ms(f.detectionMs ?? Number.NaN)}, elected in ${ms(f.electionMs ?? Number.NaN)}`,
        );
    if (d.failover) parts.push(`${ms(d.failover.unavailableMs)} without a writable primary`);
    out.push(`${name}: ${parts[0]}`, ...parts.slice(1).map((p) => `  ${p}`));
  }
  return out;
}

interface DnsReport {
  kind: string;
  policy: string;
  ttlMs: number;
  queries: number;
  lookups: number;
  retries: number;
  retriedOk: number;
  endpoints: Record<string, { trafficShare: number; failed: number }>;
  failovers: {
    endpoint: string;
    detectionMs: number | null;
    moved50Ms: number | null;
    moved99Ms: number | null;
    errors: number;
  }[];
}

/** One line per DNS name: its traffic split, then each failover's timing. */
function dnsLines(rep: Report): string[] {
  const out: string[] = [];
  for (const [name, c] of Object.entries(rep.components)) {
    if (c.kind !== "dns") continue;
    const d = c as unknown as DnsReport;
    const split = Object.entries(d.endpoints)
      .map(([e, v]) => `${e} ${pct(v.trafficShare)}`)
      .join(", ");
    out.push(
      `${name}: ${d.policy}, ttl ${ms(d.ttlMs)}, ${d.lookups.toLocaleString("en-US")} lookups for ${d.queries.toLocaleString("en-US")} requests; traffic ${split}`,
    );
    if (d.retries > 0)
      out.push(
        `  ${d.retries.toLocaleString("en-US")} requests retried at the next address after a failure to connect, ${d.retriedOk.toLocaleString("en-US")} of them ok`,
      );
    const t = (v: number | null) => (v === null ? "never" : ms(v));
    for (const f of d.failovers)
      out.push(
        `  ${f.endpoint} down: out of answers after ${t(f.detectionMs)}, traffic 50% moved after ${t(f.moved50Ms)}, 99% after ${t(f.moved99Ms)}; ${f.errors.toLocaleString("en-US")} errors`,
      );
  }
  return out;
}

interface CdnPop {
  downMs: number;
  refused: number;
  failedOver: number;
  takenOver: number;
  rejected: number;
}
interface CdnReport {
  hitRatio: number;
  originOffload: number;
  staleIfError: number;
  leaked: number;
  wrongVariant: number;
  pops: Record<string, CdnPop>;
  shield: CdnPop | null;
}

/** One line per CDN, then its PoPs that went down or refused work, and any caching hazard seen. */
function cdnLines(rep: Report): string[] {
  const out: string[] = [];
  const n = (v: number) => v.toLocaleString("en-US");
  for (const [name, c] of Object.entries(rep.components)) {
    if (c.kind !== "cdn") continue;
    const d = c as unknown as CdnReport;
    const extra: string[] = [];
    if (d.staleIfError) extra.push(`${n(d.staleIfError)} stale answers while the origin failed`);
    if (d.leaked) extra.push(`${n(d.leaked)} responses leaked to other users`);
    if (d.wrongVariant) extra.push(`${n(d.wrongVariant)} in the wrong variant`);
    out.push(
      `${name}: hit ratio ${pct(d.hitRatio)}, origin offload ${pct(d.originOffload)}${extra.length ? `; ${extra.join(", ")}` : ""}`,
    );
    const tiers: [string, CdnPop][] = Object.entries(d.pops).map(([region, p]) => [`PoP ${region}`, p]);
    if (d.shield) tiers.push(["shield", d.shield]);
    for (const [what, p] of tiers) {
      const parts: string[] = [];
      if (p.downMs > 0)
        parts.push(
          `down ${ms(p.downMs)}: ${n(p.refused)} requests refused, ${n(p.failedOver)} failed over to other PoPs`,
        );
      if (p.takenOver > 0) parts.push(`served ${n(p.takenOver)} for other PoPs' users`);
      if (p.rejected > 0) parts.push(`${n(p.rejected)} refused with queue-full`);
      if (parts.length) out.push(`  ${what} ${parts.join("; ")}`);
    }
  }
  return out;
}

interface GatewayReport {
  kind: string;
  admitted: number;
  limited: number;
  unauthorized: number;
  delayed: number;
  limits: {
    name: string;
    limited: number;
    maxPerWindow: { windowMs: number; units: number; limit: number; ratio: number } | null;
  }[];
  store: {
    name: string;
    calls: number;
    failures: number;
    timeouts: number;
    failOpenPasses: number;
    failClosedRefusals: number;
    fallbackChecks: number;
  } | null;
}

interface LimitStepReport {
  name: string;
  onLimit: "skip" | "fail";
  admitted: number;
  limited: number;
  peakPerWindow: { windowMs: number; units: number } | null;
}

interface MintStepReport {
  name: string;
  codes: "counter" | "random";
  occupancy: number;
  minted: number;
  exhausted: number;
  drawsPerMint: number;
  expectedDrawsPerMint: number;
  reads: number;
  falsePositives: number;
  counter: { blocks: number; skipped: number } | null;
}

/** One line per mint step: codes given, and what they cost (draws and reads, or ranges and skipped ids). */
function mintLine(name: string, m: MintStepReport, n: (v: number) => string): string {
  const head = `${name} mint ${m.name}: ${n(m.minted)} ${m.codes} codes, ${(100 * m.occupancy).toFixed(1)}% of the space in use`;
  const failed = m.exhausted > 0 ? `, ${n(m.exhausted)} found none` : "";
  if (m.counter)
    return `${head}${failed}; ${n(m.counter.blocks)} ranges taken, ${n(m.counter.skipped)} ids skipped`;
  return `${head}${failed}; ${m.drawsPerMint.toFixed(2)} draws a code (${m.expectedDrawsPerMint.toFixed(2)} expected), ${n(m.reads)} reads, ${n(m.falsePositives)} false positives`;
}

interface PreferencesStepReport {
  category: string;
  checked: number;
  suppressed: number;
  deferred: number;
  released: number;
  held: number;
  bypassed: number;
}

interface SeenStepReport {
  name: string;
  checked: number;
  duplicates: number;
  falsePositives: number;
  expectedFalsePositives: number;
}

/** One line per limit step of a service or consumer: what it let on, and what it stopped (suppressed or failed). */
function limitStepLines(rep: Report): string[] {
  const out: string[] = [];
  const n = (v: number) => v.toLocaleString("en-US");
  for (const [name, c] of Object.entries(rep.components)) {
    const limits = (c as { limits?: unknown }).limits;
    if ((c.kind !== "service" && c.kind !== "consumer") || !Array.isArray(limits)) continue;
    for (const l of limits as LimitStepReport[]) {
      const p = l.peakPerWindow;
      const peak = p && p.units > 0 ? `; one key sent at most ${n(p.units)} in ${p.windowMs / 1000}s` : "";
      out.push(
        `${name} limit ${l.name}: ${n(l.admitted)} admitted, ${n(l.limited)} ${l.onLimit === "skip" ? "suppressed" : "rate-limited"}${peak}`,
      );
    }
  }
  for (const [name, c] of Object.entries(rep.components)) {
    const seen = (c as { seen?: unknown }).seen;
    if (c.kind !== "service" || !Array.isArray(seen)) continue;
    for (const s of seen as SeenStepReport[])
      out.push(
        `${name} seen ${s.name}: ${n(s.checked)} checked, ${n(s.duplicates)} duplicates skipped, ${n(s.falsePositives)} false positives (${s.expectedFalsePositives.toFixed(1)} expected)`,
      );
  }
  for (const [name, c] of Object.entries(rep.components)) {
    const mints = (c as { mints?: unknown }).mints;
    if (c.kind !== "service" || !Array.isArray(mints)) continue;
    for (const m of mints as MintStepReport[]) out.push(mintLine(name, m, n));
  }
  for (const [name, c] of Object.entries(rep.components)) {
    const prefs = (c as { preferences?: unknown }).preferences;
    if ((c.kind !== "service" && c.kind !== "consumer") || !Array.isArray(prefs)) continue;
    for (const p of prefs as PreferencesStepReport[])
      out.push(
        `${name} preferences ${p.category}: ${n(p.checked)} checked, ${n(p.suppressed)} suppressed (opted out), ${n(p.deferred)} deferred to quiet hours' end (${n(p.released)} released, ${n(p.held)} still held), ${n(p.bypassed)} urgent sent in quiet hours`,
      );
  }
  return out;
}

/** One line per gateway, then one per limit (the most a key got through a window) and its store's troubles. */
function gatewayLines(rep: Report): string[] {
  const out: string[] = [];
  const n = (v: number) => v.toLocaleString("en-US");
  for (const [name, c] of Object.entries(rep.components)) {
    if (c.kind !== "gateway") continue;
    const g = c as unknown as GatewayReport;
    const parts = [`${n(g.admitted)} admitted`, `${n(g.limited)} rate-limited`];
    if (g.unauthorized) parts.push(`${n(g.unauthorized)} unauthorized`);
    if (g.delayed) parts.push(`${n(g.delayed)} delayed by a leaky queue`);
    out.push(`${name}: ${parts.join(", ")}`);
    for (const l of g.limits) {
      const m = l.maxPerWindow;
      const most = m
        ? `; at most ${n(m.units)} in ${ms(m.windowMs)} for one key, ${m.ratio.toFixed(2)}x its limit of ${Number.isInteger(m.limit) ? n(m.limit) : num(m.limit)}`
        : "";
      out.push(`  ${l.name}: ${n(l.limited)} refused${most}`);
    }
    const s = g.store;
    if (s) {
      const troubles = [`${n(s.failures)} failed`, `${n(s.timeouts)} timed out`];
      if (s.failOpenPasses) troubles.push(`${n(s.failOpenPasses)} let through (fail-open)`);
      if (s.failClosedRefusals) troubles.push(`${n(s.failClosedRefusals)} refused (fail-closed)`);
      if (s.fallbackChecks) troubles.push(`${n(s.fallbackChecks)} checked locally`);
      out.push(`  store ${s.name}: ${n(s.calls)} calls, ${troubles.join(", ")}`);
    }
  }
  return out;
}
