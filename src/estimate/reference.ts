// The reference numbers back-of-envelope estimates use, each with where it
// comes from (CATALOGUE §1). docs/estimate.md shows this table as
// referenceTable() renders it, and a test keeps the two identical.

export interface ReferenceNumber {
  value: number;
  unit: string;
  what: string;
  source: string;
}

export const REFERENCE = {
  secondsPerDay: {
    value: 86_400,
    unit: "s",
    what: "seconds in a day: daily counts / this = average per second",
    source: "§1.1 (004)",
  },
  appServerRps: {
    value: 1000,
    unit: "req/s",
    what: "requests one web/app server instance handles: the default per-instance capacity",
    source: "§1.2: 1K–10K depending on complexity (004); 1K each, illustrative (000)",
  },
  rpsPerVcpu: {
    value: 500,
    unit: "req/s",
    what: "capacity per vCPU, to turn an instance type into a per-instance capacity",
    source:
      "assumption: the 1K req/s server taken as a 2-vCPU instance (the seeds' t3.medium figure, 100 req/s, is far lower: §18)",
  },
  targetUtilization: {
    value: 0.7,
    unit: "fraction",
    what: "utilisation at peak that instance counts are sized for (headroom for bursts)",
    source: "W-18: alert at 70%; steady CPU above 70% leaves no room for a 2× peak (004)",
  },
  hotItems: {
    value: 0.2,
    unit: "fraction",
    what: "share of the items that is hot (the 80/20 rule): the cache holds this share",
    source: "W-05, §1.5: 20% of data gets 80% of traffic (001)",
  },
  hotTraffic: {
    value: 0.8,
    unit: "fraction",
    what: "share of the reads the hot items get",
    source: "W-05, §1.5 (001)",
  },
  cacheHitRatio: {
    value: 0.8,
    unit: "fraction",
    what: "hit ratio assumed for the time spent on data per second (the 80/20 rule taken at its word)",
    source: "§1.5 DB time from cache hit ratio (001)",
  },
  cacheHitMs: {
    value: 1,
    unit: "ms",
    what: "a read answered by the cache, as the application sees it",
    source: "§1.3 cache-aside hit / DB query / miss total: 1 / 10 / 11 ms (001)",
  },
  dbQueryMs: {
    value: 10,
    unit: "ms",
    what: "a read the cache missed, answered by the database",
    source: "§1.3 cache-aside (001)",
  },
  redisOpMs: {
    value: 0.1,
    unit: "ms",
    what: "a Redis or Memcached GET/SET round trip",
    source: "§1.3 (001)",
  },
  dbReadMs: {
    value: 5,
    unit: "ms",
    what: "a PostgreSQL point read (the low end of 5–10 ms)",
    source: "§1.3 (001)",
  },
  dbWriteMs: {
    value: 5,
    unit: "ms",
    what: "a PostgreSQL write (the middle of 1–10 ms)",
    source: "§1.3 (001)",
  },
  cacheOpsPerNode: {
    value: 100_000,
    unit: "ops/s",
    what: "operations one Redis node serves",
    source: "§1.2: 100K–200K ops/s (004); ~100K QPS (001)",
  },
  dbReadQps: {
    value: 50_000,
    unit: "queries/s",
    what: "reads one PostgreSQL primary serves with good indexes",
    source: "§1.2 practical limits (001)",
  },
  dbWriteQps: {
    value: 10_000,
    unit: "queries/s",
    what: "writes one PostgreSQL primary takes",
    source: "§1.2 practical limits (001)",
  },
} as const satisfies Record<string, ReferenceNumber>;

export type ReferenceName = keyof typeof REFERENCE;

/** The table as Markdown, for docs/estimate.md. */
export function referenceTable(): string {
  const rows = Object.entries(REFERENCE).map(
    ([id, r]) => `| \`${id}\` | ${r.value.toLocaleString("en-US")} ${r.unit} | ${r.what} | ${r.source} |`,
  );
  return ["| Name | Value | What | Source (CATALOGUE) |", "|---|---|---|---|", ...rows].join("\n");
}
