// HTTP Cache-Control (RFC 9111, RFC 5861) as a shared cache such as a CDN
// edge reads it: whether a response may be stored at all, how long it stays
// fresh, how long a stale copy may still be served while it is refreshed or
// when the origin fails, and whether every use must be revalidated with the
// origin. Pure: the text
// of the header in, the edge's policy out.

export interface CacheControl {
  public: boolean;
  private: boolean;
  noStore: boolean;
  noCache: boolean;
  mustRevalidate: boolean;
  immutable: boolean;
  /** delta-seconds, absent when not given */
  maxAge?: number;
  sMaxage?: number;
  staleWhileRevalidate?: number;
  staleIfError?: number;
}

/** What a shared cache does with a response carrying a Cache-Control. */
export interface EdgePolicy {
  /** the response may be stored (neither private nor no-store) */
  store: boolean;
  /** a stored copy must be revalidated with the origin before each use (no-cache) */
  revalidate: boolean;
  /** freshness lifetime in ms: s-maxage, else max-age; Infinity without either */
  ttlMs: number;
  /** how long after it goes stale a copy may be served while it is refreshed in the background (ms) */
  swrMs: number;
  /** how long after it goes stale a copy may be served when the origin fails (ms) */
  sieMs: number;
}

export const CACHE_CONTROL_DIRECTIVES = [
  "public",
  "private",
  "no-store",
  "no-cache",
  "max-age",
  "s-maxage",
  "stale-while-revalidate",
  "stale-if-error",
  "must-revalidate",
  "proxy-revalidate",
  "immutable",
  "no-transform",
] as const;

const WITH_SECONDS = new Set(["max-age", "s-maxage", "stale-while-revalidate", "stale-if-error"]);

export class CacheControlError extends Error {
  constructor(
    message: string,
    /** the directive at fault, when there is one (for a "did you mean") */
    readonly directive?: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/**
 * Parses a Cache-Control header value: comma-separated directives, names
 * case-insensitive, `max-age`, `s-maxage`, `stale-while-revalidate` and
 * `stale-if-error` taking whole seconds (optionally quoted). Throws CacheControlError on an
 * unknown or repeated directive, a missing or malformed value, or a value
 * given to a directive that takes none.
 */
export function parseCacheControl(text: string): CacheControl {
  const cc: CacheControl = {
    public: false,
    private: false,
    noStore: false,
    noCache: false,
    mustRevalidate: false,
    immutable: false,
  };
  const seen = new Set<string>();
  const parts = text.split(",").map((p) => p.trim());
  if (parts.every((p) => p === "")) throw new CacheControlError("an empty Cache-Control");
  for (const part of parts) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const raw = eq < 0 ? undefined : part.slice(eq + 1).trim();
    if (!(CACHE_CONTROL_DIRECTIVES as readonly string[]).includes(name))
      throw new CacheControlError(`unknown Cache-Control directive "${name}"`, name);
    if (seen.has(name)) throw new CacheControlError(`directive "${name}" is given twice`, name);
    seen.add(name);
    if (WITH_SECONDS.has(name)) {
      if (raw === undefined)
        throw new CacheControlError(`"${name}" needs a value in seconds`, name, `write ${name}=3600`);
      const v = raw.replace(/^"(.*)"$/, "$1");
      if (!/^\d+$/.test(v))
        throw new CacheControlError(
          `"${name}=${raw}": the value is a whole number of seconds`,
          name,
          /^\d+(\.\d+)?\s*[a-z]+$/i.test(v)
            ? `Cache-Control counts seconds without a unit, e.g. ${name}=3600 for an hour`
            : undefined,
        );
      const seconds = Number(v);
      if (name === "max-age") cc.maxAge = seconds;
      else if (name === "s-maxage") cc.sMaxage = seconds;
      else if (name === "stale-while-revalidate") cc.staleWhileRevalidate = seconds;
      else cc.staleIfError = seconds;
      continue;
    }
    if (raw !== undefined) throw new CacheControlError(`"${name}" takes no value`, name);
    if (name === "public") cc.public = true;
    else if (name === "private") cc.private = true;
    else if (name === "no-store") cc.noStore = true;
    else if (name === "no-cache") cc.noCache = true;
    else if (name === "must-revalidate" || name === "proxy-revalidate") cc.mustRevalidate = true;
    else if (name === "immutable") cc.immutable = true;
  }
  if (cc.public && cc.private) throw new CacheControlError('"public" and "private" contradict each other');
  return cc;
}

/**
 * The shared cache's reading: private and no-store responses are never
 * stored; s-maxage overrides max-age; must-revalidate (or proxy-revalidate)
 * forbids serving a stale copy, so it cancels stale-while-revalidate and
 * stale-if-error.
 */
export function edgePolicy(cc: CacheControl): EdgePolicy {
  const store = !cc.private && !cc.noStore;
  const age = cc.sMaxage ?? cc.maxAge;
  return {
    store,
    revalidate: store && cc.noCache,
    ttlMs: age === undefined ? Number.POSITIVE_INFINITY : age * 1000,
    swrMs: cc.mustRevalidate ? 0 : (cc.staleWhileRevalidate ?? 0) * 1000,
    sieMs: cc.mustRevalidate ? 0 : (cc.staleIfError ?? 0) * 1000,
  };
}
