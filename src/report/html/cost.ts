// The cost table, read defensively: the report's `cost` section (instance and
// managed-service prices, $/month per component and in total) is optional, and
// only the fields shown here are relied upon.
import { esc } from "./escape.js";
import { count, dollars } from "./format.js";

interface CostRow {
  component: string;
  kind?: string;
  instanceType?: string;
  pricing?: string;
  instances?: number;
  hourly?: number;
  monthly: number;
}

export interface CostView {
  rows: CostRow[];
  unpriced: string[];
  total: { hourly?: number; monthly: number };
  note?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const numOr = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isFinite(v) ? v : undefined;
const strOr = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** The cost section of a report in a shape the page can show, or null when there is none. */
export function costView(report: object): CostView | null {
  const cost = (report as { cost?: unknown }).cost;
  if (!isObj(cost)) return null;
  const list = Array.isArray(cost.components)
    ? cost.components
    : isObj(cost.components)
      ? Object.entries(cost.components).map(([component, v]) => ({ component, ...(isObj(v) ? v : {}) }))
      : [];
  const rows: CostRow[] = [];
  for (const c of list) {
    if (!isObj(c)) continue;
    const monthly = numOr(c.monthly);
    if (monthly === undefined) continue;
    rows.push({
      component: strOr(c.component) ?? "?",
      kind: strOr(c.kind),
      instanceType: strOr(c.instanceType),
      pricing: strOr(c.pricing),
      instances: numOr(c.instances),
      hourly: numOr(c.hourly),
      monthly,
    });
  }
  const total = isObj(cost.total) ? cost.total : {};
  const monthly = numOr(total.monthly) ?? numOr(cost.total) ?? rows.reduce((s, r) => s + r.monthly, 0);
  const unpriced = Array.isArray(cost.unpriced)
    ? cost.unpriced.filter((u): u is string => typeof u === "string")
    : [];
  const prices = strOr(cost.prices);
  return { rows, unpriced, total: { hourly: numOr(total.hourly), monthly }, note: prices };
}

export function costTable(v: CostView): string {
  const body = v.rows
    .map(
      (r) =>
        `<tr><td>${esc(r.component)}</td><td class="muted">${esc(r.kind ?? "")}</td><td>${esc(
          r.instanceType ?? r.pricing ?? "",
        )}</td><td class="n">${r.instances === undefined ? "" : esc(+r.instances.toFixed(2))}</td><td class="n">${
          r.hourly === undefined ? "" : dollars(r.hourly)
        }</td><td class="n">${dollars(r.monthly)}</td></tr>`,
    )
    .join("\n");
  const unpriced = v.unpriced.length
    ? `<p class="note">Not priced (no instance type or pricing): ${v.unpriced.map((u) => `<code>${esc(u)}</code>`).join(" ")}</p>`
    : "";
  const note = v.note ? `<p class="note">Prices: ${esc(v.note)}</p>` : "";
  return `<table><thead><tr><th>Component</th><th>Kind</th><th>Priced as</th><th class="n">Instances</th><th class="n">$/hour</th><th class="n">$/month</th></tr></thead>
<tbody>${body}</tbody>
<tfoot><tr><td colspan="4">Total (${count(v.rows.length)} priced)</td><td class="n">${
    v.total.hourly === undefined ? "" : dollars(v.total.hourly)
  }</td><td class="n">${dollars(v.total.monthly)}</td></tr></tfoot></table>${unpriced}${note}`;
}
