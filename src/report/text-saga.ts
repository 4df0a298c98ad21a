// Terminal lines for the sagas services orchestrate: how they ended, and how
// long their effects were temporarily inconsistent.
import type { Report } from "./json.js";

interface SagaSummary {
  started: number;
  completed: number;
  compensated: number;
  aborted: number;
  compensationFailed: number;
  interrupted: number;
  inFlight: number;
  inconsistencyMs: { count: number; p50: number; p99: number; max: number };
}

const n = (v: number) => v.toLocaleString("en-US");

export function sagaLines(rep: Report, ms: (v: number) => string): string[] {
  const out: string[] = [];
  for (const [name, c] of Object.entries(rep.components)) {
    const sagas = c.sagas as Record<string, SagaSummary> | undefined;
    if (!sagas) continue;
    for (const [route, s] of Object.entries(sagas)) {
      const ended = [
        `${n(s.completed)} completed`,
        `${n(s.compensated)} compensated`,
        ...(s.aborted ? [`${n(s.aborted)} failed at the first stage`] : []),
        `${n(s.compensationFailed)} stuck (a compensation failed)`,
        ...(s.interrupted ? [`${n(s.interrupted)} interrupted`] : []),
        ...(s.inFlight ? [`${n(s.inFlight)} in flight`] : []),
      ];
      out.push(`${name} ${route}: ${n(s.started)} sagas: ${ended.join(", ")}`);
      const w = s.inconsistencyMs;
      if (w.count > 0)
        out.push(`  temporarily inconsistent for p50 ${ms(w.p50)}, p99 ${ms(w.p99)}, max ${ms(w.max)}`);
    }
  }
  return out;
}
