// The terminal's cost table: each priced component's instances, type and
// dollars per hour and per month, with the total and what was left unpriced.
import type { Report } from "./json.js";

type Table = (head: string[], rows: string[][], align?: string) => string;

export const dollars = (v: number): string =>
  `$${v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: v < 1 ? 4 : 2 })}`;

/** What a component is priced by, in a few words. */
function basis(u: Record<string, number>): string {
  const parts: string[] = [];
  const n = (v: number) => (v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toPrecision(3));
  if (u.instanceHours !== undefined) parts.push(`${n(u.instanceHours)} instance-h`);
  if (u.storageGbMonths !== undefined) parts.push(`${n(u.storageGbMonths)} GB-month`);
  if (u.lbHours !== undefined) parts.push(`${n(u.lbHours)} LB-h`);
  if (u.lcuHours !== undefined) parts.push(`${n(u.lcuHours)} LCU-h`);
  if (u.zoneMonths !== undefined) parts.push(`${n(u.zoneMonths)} zone`);
  if (u.gbOut !== undefined) parts.push(`${n(u.gbOut)} GB out`);
  if (u.tenThousandRequests !== undefined) parts.push(`${n(u.tenThousandRequests * 1e4)} requests`);
  if (u.millionRequests !== undefined) parts.push(`${n(u.millionRequests * 1e6)} requests`);
  return `${parts.join(", ")} /month`;
}

export function costLines(rep: Report, table: Table): string[] {
  const c = rep.cost;
  if (!c) return [];
  const rows = c.components.map((l) => [
    l.component,
    l.kind,
    l.instanceType ?? l.pricing ?? "costPerHour",
    l.instances > 0 ? (Number.isInteger(l.instances) ? String(l.instances) : l.instances.toFixed(2)) : "-",
    dollars(l.hourly),
    dollars(l.monthly),
    basis(l.usage),
  ]);
  rows.push(["total", "", "", "", dollars(c.total.hourly), dollars(c.total.monthly), ""]);
  const lines = [
    `cost (${c.prices}; a month is ${c.hoursPerMonth} h, usage scaled up from ${(c.simulatedHours * 3600).toFixed(0)}s simulated):`,
    table(["component", "kind", "priced by", "instances", "$/hour", "$/month", "basis"], rows, "lllrrrl"),
  ];
  if (c.unpriced.length)
    lines.push(`not priced: ${c.unpriced.join(", ")} (no instanceType, pricing or costPerHour)`);
  return lines;
}
