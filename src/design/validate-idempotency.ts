// Checks of idempotency keys on write, update and transaction steps: the key
// table is the database's own, so the step must write a database, and the
// write must reach it carrying the request's key (not a write-behind cache's
// later flush, which belongs to no request).
import type { Design } from "./schema.js";
import type { Problem } from "./validate.js";

interface WritingStep {
  write?: string;
  update?: string;
  transaction?: string;
  cache?: string;
  idempotency?: unknown;
}

export function idempotencyProblems(s: WritingStep, path: (string | number)[], d: Design): Problem[] {
  if (s.idempotency === undefined) return [];
  const at = [...path, "idempotency"];
  const target = s.write ?? s.update ?? s.transaction;
  const store = target === undefined ? undefined : d.components[target];
  // a missing component is reported by the reference check
  if (store === undefined) return [];
  if (store.kind !== "database")
    return [
      {
        path: at,
        atKey: true,
        message: `idempotency keys are kept in a table of the database written, and "${target}" is a ${store.kind}`,
        hint: "write to a database (kind: database), or remove idempotency",
      },
    ];
  const cache = s.cache === undefined ? undefined : d.components[s.cache];
  if (cache?.kind === "cache" && cache.writes === "write-behind")
    return [
      {
        path: at,
        atKey: true,
        message: `cache "${s.cache}" is write-behind: it acknowledges the write and flushes the key later, in batches that belong to no request, so the database never sees the idempotency key`,
        hint: "use writes: write-through (or invalidate) on the cache, or remove idempotency",
      },
    ];
  return [];
}
