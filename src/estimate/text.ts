// The estimate as a terminal summary: each figure with the arithmetic that
// gave it, so the reader can follow (and challenge) the whiteboard.
import { formatRate, formatSize } from "../design/units.js";
import type { Estimate } from "./estimate.js";
import { REFERENCE as R } from "./reference.js";

const n = (v: number) => Math.round(v).toLocaleString("en-US");
const rate = (v: number) => formatRate(v);
const bytes = (v: number) => formatSize(Number(v.toPrecision(3)));
const perSec = (v: number) => `${bytes(v)}/s`;
const ms = (v: number) => (v < 1 ? `${(v * 1000).toPrecision(3)}µs` : `${v.toPrecision(3)}ms`);
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const usd = (v: number) =>
  `$${v.toLocaleString("en-US", { maximumFractionDigits: 2, minimumFractionDigits: 2 })}`;

export function renderEstimate(e: Estimate): string {
  const i = e.input;
  const t = e.traffic;
  const q = e.queueing;
  const lines = [
    `estimate: ${n(i.dau)} daily users x ${i.actionsPerUser} actions = ${n(t.actionsPerDay)} requests/day, reads:writes ${i.reads}:${i.writes}`,
    "",
    "traffic              average        peak (x" + i.peakFactor + ")",
    `  all            ${rate(t.average.total).padStart(12)}  ${rate(t.peak.total).padStart(12)}`,
    `  reads          ${rate(t.average.reads).padStart(12)}  ${rate(t.peak.reads).padStart(12)}`,
    `  writes         ${rate(t.average.writes).padStart(12)}  ${rate(t.peak.writes).padStart(12)}`,
    `  bandwidth in   ${perSec(e.bandwidth.average.in).padStart(12)}  ${perSec(e.bandwidth.peak.in).padStart(12)}   (writes x ${bytes(i.writeSize)})`,
    `  bandwidth out  ${perSec(e.bandwidth.average.out).padStart(12)}  ${perSec(e.bandwidth.peak.out).padStart(12)}   (reads x ${bytes(i.readSize)})`,
    "",
    `storage: ${bytes(e.storage.perDay)}/day (${n(t.writesPerDay)} writes x ${bytes(i.writeSize)}), ${bytes(e.storage.perYear)}/year; ` +
      `x${i.replication} copies: ${bytes(e.storage.perDayReplicated)}/day, ${bytes(e.storage.perYearReplicated)}/year; ` +
      `kept ${n(i.retentionDays)} days: ${bytes(e.storage.retainedReplicated)}`,
    `cache: working set ${bytes(e.cache.workingSet)} (the hot ${R.hotItems.value * 100}% of a day's reads, 80/20 rule); ` +
      `${e.cache.nodes} node${e.cache.nodes === 1 ? "" : "s"} for ${rate(t.peak.reads)} reads at ${n(R.cacheOpsPerNode.value)} ops/s each`,
    `  time on data: ${e.cache.dataSecondsPerSecond.toPrecision(3)} s per second at a ${pct(e.cache.hitRatio)} hit ratio ` +
      `(hits ${R.cacheHitMs.value}ms, misses ${R.dbQueryMs.value}ms), ${e.cache.dataSecondsPerSecondUncached.toPrecision(3)} s without a cache`,
    `database: ${rate(e.database.peakReads)} missed reads and ${rate(e.database.peakWrites)} writes at peak: ${e.database.shards} shard${e.database.shards === 1 ? "" : "s"} ` +
      `(${n(R.dbWriteQps.value)} writes/s, ${n(R.dbReadQps.value)} reads/s each, at ${pct(i.targetUtilization)})`,
    "",
    `service: ${e.instances} instance${e.instances === 1 ? "" : "s"} = ceil(${rate(t.peak.total)} / (${rate(i.capacity)} x ${pct(i.targetUtilization)})); capacity ${rate(i.capacity)}: ${i.capacitySource}`,
    `  queueing (M/M/${i.concurrency} per instance, each request holding a worker ${ms(q.peak.serviceTimeMs)}):`,
    `             utilisation   P(wait)   mean wait   mean response   p99 response`,
    ...(["average", "peak"] as const).map(
      (k) =>
        `  ${k.padEnd(9)} ${pct(q[k].rho).padStart(12)} ${pct(q[k].pWait).padStart(9)} ${ms(q[k].wq).padStart(11)} ${ms(q[k].w).padStart(15)} ${ms(q[k].p99).padStart(14)}`,
    ),
  ];
  if (e.cost) {
    const c = e.cost;
    lines.push(
      "",
      `cost per month: instances ${usd(c.instancesMonthly)} (${e.instances} x ${c.instanceType} at $${c.hourly}/h x 730 h), ` +
        `storage ${usd(c.storageMonthly)} (S3), egress ${usd(c.egressMonthly)}: ${usd(c.totalMonthly)}`,
    );
  }
  return lines.join("\n");
}
