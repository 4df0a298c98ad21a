// Numbers as the report's tables and headline cards write them.

export function num(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(digits)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(digits)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(digits)}k`;
  if (Number.isInteger(v)) return String(v);
  if (a >= 100) return v.toFixed(0);
  return String(+v.toPrecision(digits));
}

export const count = (v: number): string =>
  Number.isFinite(v) ? Math.round(v).toLocaleString("en-US") : "–";

export const ms = (v: number): string =>
  !Number.isFinite(v) ? "–" : v >= 1000 ? `${num(v / 1000)} s` : `${num(v)} ms`;

export const pct = (v: number, digits = 3): string =>
  Number.isFinite(v) ? `${+(v * 100).toPrecision(digits)}%` : "–";

export const dollars = (v: number): string =>
  Number.isFinite(v)
    ? `$${v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
    : "–";

export const seconds = (msValue: number): string => `${+(msValue / 1000).toPrecision(4)} s`;
