// Checks of caches' strategies and defences against the rest of the design:
// settings that belong to another strategy or defence, defences that need a
// TTL, and the store behind a cache that loads or writes it itself.
import type { ComponentSpec, Design } from "./schema.js";
import type { Problem } from "./validate.js";

type CacheSpec = Extract<ComponentSpec, { kind: "cache" }>;
type Path = (string | number)[];

/** A read or write step that names a cache. */
interface Use {
  store: string;
  write: boolean;
  path: Path;
}

export function cacheProblems(d: Design): Problem[] {
  const out: Problem[] = [];
  const comps = d.components;
  // every step that names each cache, and every step that writes each store
  const uses = new Map<string, Use[]>();
  const writers = new Map<string, { path: Path; via?: string; kind: string }[]>();
  for (const [name, c] of Object.entries(comps)) {
    if (c.kind !== "service") continue;
    for (const [route, steps] of Object.entries(c.routes))
      steps.forEach((s, i) => {
        const path = ["components", name, "routes", route, i];
        if ("read" in s && s.cache) push(uses, s.cache, { store: s.read, write: false, path });
        if ("write" in s) {
          if (s.cache) push(uses, s.cache, { store: s.write, write: true, path });
          push(writers, s.write, { path: [...path, "write"], via: s.cache, kind: "write" });
        }
        if ("update" in s) push(writers, s.update, { path: [...path, "update"], kind: "update" });
        if ("transaction" in s)
          push(writers, s.transaction, { path: [...path, "transaction"], kind: "transaction" });
      });
  }

  for (const [name, c] of Object.entries(comps)) {
    if (c.kind === "workload")
      c.routes.forEach((r, i) => {
        if (r.keys?.missing !== undefined && r.keys.perUser)
          out.push({
            path: ["components", name, "routes", i, "keys", "missing"],
            message: "perUser keys are the users' own, which exist: missing does not apply",
            hint: "remove missing, or perUser",
            atKey: true,
          });
      });
    if (c.kind !== "cache") continue;
    const at = (...p: Path): Path => ["components", name, ...p];
    out.push(...settingsProblems(c, at));
    const used = uses.get(name) ?? [];
    // a cache that calls its store itself must have exactly one
    const needs = [
      c.reads === "read-through" && "reads: read-through",
      (c.writes === "write-through" || c.writes === "write-behind") && `writes: ${c.writes}`,
      c.bloom !== undefined && "bloom",
      c.prewarm !== undefined && "prewarm",
    ].filter((x): x is string => typeof x === "string");
    if (needs.length === 0) continue;
    if (used.length === 0) {
      out.push({
        path: at(),
        message: `cache "${name}" has ${needs[0]} but no read or write step names it, so it has no database behind it`,
        hint: `add cache: ${name} to the read and write steps of its database`,
        atKey: true,
      });
      continue;
    }
    const store = used[0].store;
    for (const u of used.slice(1))
      if (u.store !== store)
        out.push({
          path: [...u.path, u.write ? "write" : "read"],
          message: `cache "${name}" (${needs[0]}) stands in front of ${store}; this step names ${u.store}`,
          expected: store,
          hint: "give each database its own cache",
        });
    if (c.writes === "write-behind") {
      const s = comps[store];
      if (s && s.kind !== "database")
        out.push({
          path: at("writes"),
          message: `write-behind flushes to a database; "${store}" is a ${s.kind}`,
          hint: "use writes: write-through",
        });
      // every write of the store must pass through the cache, or the cache's buffer and the store disagree
      for (const w of writers.get(store) ?? [])
        if (w.via !== name)
          out.push({
            path: w.path,
            message: `this ${w.kind} step writes ${store} around its write-behind cache "${name}", whose unflushed writes would later overwrite it`,
            hint:
              w.kind === "write"
                ? `add cache: ${name} to the step`
                : `write ${store} with a write step through cache ${name}`,
            atKey: true,
          });
    }
  }
  return out;
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** Settings that only make sense with another strategy or defence, or without a TTL. */
function settingsProblems(c: CacheSpec, at: (...p: Path) => Path): Problem[] {
  const out: Problem[] = [];
  const misplaced = (path: Path, message: string, hint?: string) =>
    out.push({ path, message, hint, atKey: true });
  if (c.writeBehind !== undefined && c.writes !== "write-behind")
    misplaced(
      at("writeBehind"),
      "writeBehind settings apply to writes: write-behind",
      "add writes: write-behind",
    );
  if (c.ttlJitter !== undefined) {
    if (c.ttl === undefined)
      misplaced(at("ttlJitter"), "ttlJitter spreads the TTL, but this cache has no ttl", "add ttl: 60s");
    else if (c.ttlJitter >= 1)
      out.push({
        path: at("ttlJitter"),
        message: "a jitter of 100% or more can draw a TTL of zero or less",
        expected: "less than 100%",
      });
  }
  if (c.bloom !== undefined && c.bloom !== true) {
    const p = c.bloom.falsePositiveRate;
    if (p !== undefined && !(p > 0 && p < 1))
      out.push({
        path: at("bloom", "falsePositiveRate"),
        message: "a Bloom filter's false-positive rate lies strictly between 0% and 100%",
        expected: "e.g. 1%",
      });
  }
  const st = c.stampede;
  if (st === undefined) return out;
  const defence = typeof st === "string" ? st : st.defence;
  const where = typeof st === "string" ? at("stampede") : at("stampede", "defence");
  if (c.ttl === undefined && ["stale-while-revalidate", "xfetch", "refresh-ahead"].includes(defence))
    out.push({
      path: where,
      message: `${defence} acts around an entry's expiry, but this cache has no ttl: its entries never expire`,
      hint: "add ttl: 60s",
    });
  if (typeof st === "string") return out;
  const only = (field: keyof typeof st, ok: boolean, needs: string) => {
    if (st[field] !== undefined && !ok)
      misplaced(at("stampede", field), `${field} applies to ${needs}`, `remove ${field}, or use ${needs}`);
  };
  only("whileLocked", defence === "lock", "defence: lock");
  only("retryAfter", defence === "lock", "defence: lock");
  only(
    "lockTtl",
    defence === "lock" || defence === "stale-while-revalidate" || defence === "refresh-ahead",
    "defence: lock (or the background refreshes of stale-while-revalidate and refresh-ahead)",
  );
  only(
    "staleFor",
    defence === "stale-while-revalidate" || (defence === "lock" && st.whileLocked === "stale"),
    "defence: stale-while-revalidate (or lock with whileLocked: stale)",
  );
  only("beta", defence === "xfetch", "defence: xfetch");
  only("refreshAhead", defence === "refresh-ahead", "defence: refresh-ahead");
  if (st.refreshAhead !== undefined && !(st.refreshAhead > 0 && st.refreshAhead < 1))
    out.push({
      path: at("stampede", "refreshAhead"),
      message: "refreshAhead is the last fraction of the TTL in which a hit refreshes the key",
      expected: "strictly between 0% and 100%",
    });
  return out;
}
