// The design file's language. This zod schema is the single source of truth:
// the TypeScript types are inferred from it, validation runs it, and
// `archsim schema` emits it as JSON Schema. Values are written as people write
// them (`250ms`, `10k/s`, `64MiB`, `exp(5ms)`) and parsed here into numbers.
import { z } from "zod";
import type { DistSpec } from "../kernel/distributions.js";
import {
  READ_STRATEGIES,
  type ReadStrategy,
  STAMPEDE_DEFENCES,
  type StampedeDefence,
  WRITE_STRATEGIES,
  type WriteStrategy,
} from "../components/cache-writes.js";
import { CONSUMER_SCALING_METRICS, SCALING_METRICS, type ScalingMetric } from "../components/autoscaler.js";
import { STRATEGIES, type Strategy } from "../components/deployment.js";
import { DNS_POLICIES } from "../components/dns.js";
import { STORE_FAILURE_POLICIES } from "../components/gateway.js";
import { LIMIT_KEYS, LIMIT_OUTCOMES, STEP_LIMIT_KEYS } from "../components/limit-set.js";
import { REALTIME_BALANCERS, REALTIME_MODELS } from "../components/realtime.js";
import { RESERVE_MODES, type ReserveMode } from "../components/reserve-step.js";
import { BALANCER_ALGORITHMS, type BalancerAlgorithm } from "../mechanisms/balancing.js";
import { ORDERINGS } from "../mechanisms/conversation-order.js";
import { JITTERS } from "../mechanisms/backoff.js";
import { CAUSES, type Cause } from "../components/outcomes.js";
import { EVICTION_POLICIES, type EvictionPolicyName } from "../mechanisms/eviction.js";
import { RATE_ALGORITHMS } from "../mechanisms/rate-limiters.js";
import { GROWTHS } from "../mechanisms/size-cost.js";
import { QUEUE_PROFILES, TOPIC_PROFILES } from "./broker-profiles.js";
import { UnitError } from "./errors.js";
import {
  KEYS_EXPECTED,
  parseCount,
  parseDistribution,
  parseDuration,
  parseKeyRange,
  parseBandwidth,
  parsePercent,
  parseRate,
  parseSize,
} from "./units.js";

function unit<T>(parse: (v: string | number) => T, expected: string, examples: (string | number)[]) {
  return z
    .union([z.string(), z.number()])
    .transform((v, ctx): T => {
      try {
        return parse(v);
      } catch (e) {
        const err = e as UnitError;
        ctx.addIssue({
          code: "custom",
          message: err.message,
          params: { expected: err.expected ?? expected, suggestion: err.suggestion, hint: err.hint },
        });
        return z.NEVER;
      }
    })
    .meta({ description: expected, examples });
}

export const Duration = unit(parseDuration, "a duration such as 250ms, 2s or 1.5m", ["250ms", "2s"]);
export const PositiveDuration = Duration.refine((v) => v > 0, "must be greater than zero");
export const Rate = unit(parseRate, "a rate such as 500/s, 10k/s or 100/min", ["500/s", "10k/s"]);
export const Size = unit(parseSize, "a size such as 512B, 64MiB or 4GB", ["1KiB", "64MiB"]);
export const Bandwidth = unit(parseBandwidth, "a bandwidth such as 10Gbps, 100Mbit/s or 50MB/s", [
  "10Gbps",
  "50MB/s",
]);
export const Count = unit(parseCount, "a count such as 100, 10k or 1e6", [100, "10k", "1e6"]);
export const Percent = unit(parsePercent, "a percentage such as 99.9% (or a fraction such as 0.999)", [
  "99.9%",
]);
const KeyRange = unit(parseKeyRange, KEYS_EXPECTED, [42, "10..20"]);
const ShardNumber = z.number().int().min(0);
const PositiveCount = Count.refine((v) => v > 0, "must be greater than zero");
const PositiveInt = Count.refine(
  (v) => Number.isInteger(v) && v > 0,
  "must be a whole number greater than zero",
);

const distObject = z.object({ type: z.string() }).passthrough();
function dist(u: "duration" | "size" | "count", what: string) {
  return z
    .union([z.string(), z.number(), distObject])
    .transform((v, ctx): DistSpec => {
      try {
        return parseDistribution(v, u);
      } catch (e) {
        const err = e as UnitError;
        ctx.addIssue({
          code: "custom",
          message: err.message,
          params: { expected: err.expected, suggestion: err.suggestion, hint: err.hint },
        });
        return z.NEVER;
      }
    })
    .meta({
      description: `${what}: a fixed value or a distribution such as exp(5ms), uniform(1ms, 3ms), normal(10ms, 2ms), lognormal(median=5ms, p99=50ms), pareto(scale=1ms, shape=2.5), weibull(scale=10ms, shape=1.5), empirical(1ms, 2ms, 10ms), mix(0.9: exp(1ms), 0.1: exp(50ms))`,
      examples: ["exp(5ms)", "lognormal(median=5ms, p99=50ms)"],
    });
}
export const DurationDist = dist("duration", "a time");
export const SizeDist = dist("size", "a size");
export const CountDist = dist("count", "a count");

/** A read or write step over many keys at once: a post to its followers' timelines, a feed read of its followees' posts. */
const FanOutSchema = z
  .strictObject({
    count: CountDist.meta({
      description:
        "keys the step reads or writes per request, drawn per request and rounded (a post's followers, a reader's followees)",
    }),
    keys: PositiveInt.meta({
      description:
        "the key space [0, keys) the fanned-out keys lie in (the users whose timelines are written, the authors whose posts are read); a request's keys are distinct and fixed by its own key",
    }),
    concurrency: PositiveInt.optional().meta({
      description:
        "most calls in flight at once per request, each answer sending the next (default: all at once)",
    }),
    hot: z
      .strictObject({
        keys: PositiveInt.meta({
          description: "requests whose key is below this (keys are numbered from 0) use `count` below",
        }),
        count: PositiveInt.meta({
          description:
            "keys each such request fans out to, instead of the step's count (a celebrity's followers)",
        }),
      })
      .optional()
      .meta({ description: "a few keys that fan out much further than the rest (celebrities)" }),
  })
  .meta({
    description:
      "fan out: read or write `count` keys drawn from [0, keys) instead of the request's key, and wait for every one",
  });
export type FanOutDesign = z.output<typeof FanOutSchema>;
/** AMQP message headers, or the values a headers binding asks for */
const HeaderValues = z.record(z.string().min(1), z.string());

const Name = z.string().min(1);

// ---------- cost (prices: src/cost/prices.ts; checked in validate-cost.ts) ----------

const InstanceType = z
  .string()
  .min(1)
  .meta({
    description:
      "the instance (or managed node) type from the price catalogue, e.g. m5.large, cache.r6g.large, db.m5.large: prices the instances for the report's cost",
    examples: ["m5.large", "cache.r6g.large"],
  });
const Pricing = z.string().min(1).meta({
  description:
    "the usage-priced managed service from the price catalogue that prices this component for the report's cost",
});
const Storage = Size.refine((v) => v > 0, "must be greater than zero").meta({
  description: "disk provisioned per node (e.g. 100GB), priced per GB-month in the report's cost",
  examples: ["100GB", "1TB"],
});

// ---------- network ----------

export const NetworkSchema = z
  .strictObject({
    regions: z
      .record(z.string(), z.array(Name).min(1))
      .optional()
      .meta({ description: "regions and the zones in each, e.g. { us-east: [us-east-a, us-east-b] }" }),
    latency: z
      .strictObject({
        sameZone: DurationDist.optional().meta({ description: "one-way latency within a zone" }),
        crossZone: DurationDist.optional().meta({ description: "one-way latency between zones of a region" }),
        crossRegion: DurationDist.optional().meta({ description: "one-way latency between regions" }),
        client: DurationDist.optional().meta({
          description: "one-way latency from a user to a region they are in",
        }),
        pairs: z
          .record(z.string(), DurationDist)
          .optional()
          .meta({ description: 'per region pair, keyed "a<->b"' }),
      })
      .optional()
      .meta({ description: "one-way latency per kind of link (defaults in docs/design-file.md)" }),
  })
  .meta({ description: "where components run and how long messages take between them" });

// ---------- calls between components (resilience) ----------

/** failure causes a caller can see from a call (every cause but ok) */
const FailureCause = z.enum(CAUSES.slice(1) as [Cause, ...Cause[]]);

const BackoffSchema = z.union([
  z.literal("none").meta({ description: "retry at once" }),
  z
    .strictObject({
      base: PositiveDuration.optional().meta({
        description: "the first retry's wait before jitter (default 100ms)",
      }),
      cap: PositiveDuration.optional().meta({ description: "the longest wait (default 10s)" }),
      multiplier: z.number().min(1).optional().meta({ description: "growth per retry (default 2)" }),
      jitter: z.enum(JITTERS).optional().meta({
        description:
          "none (every client waits the same), full (uniform in 0..wait), equal (half fixed, half random) or decorrelated (grows from the previous wait); default full",
      }),
    })
    .meta({ description: "capped exponential backoff with jitter" }),
]);

const RetrySchema = z
  .strictObject({
    attempts: z.number().int().min(2).max(100).meta({
      description: "most attempts per call, the first included (3 = the call and up to 2 retries)",
    }),
    backoff: BackoffSchema.optional().meta({
      description: "wait before each retry (default exponential, full jitter)",
    }),
    on: z.array(FailureCause).min(1).optional().meta({
      description:
        "the failure causes that are retried (default: error, timeout, queue-full, no-healthy-backend, instance-down, pool-exhausted, rate-limited, shed, not-primary, quorum-failed)",
    }),
    budget: z
      .union([
        Percent,
        z.strictObject({
          ratio: Percent.meta({ description: "retries allowed per call made in the window, e.g. 20%" }),
          minPerSecond: z.number().min(0).optional().meta({
            description: "retries always allowed per second (default 10)",
          }),
          window: PositiveDuration.optional().meta({
            description: "the window calls and retries are counted over, whole seconds (default 10s)",
          }),
        }),
      ])
      .optional()
      .meta({
        description:
          "a retry budget: retries may not exceed this share of calls over the window (e.g. 20%), so load is multiplied by at most 1 + budget",
      }),
    honourRetryAfter: z.boolean().optional().meta({
      description:
        "wait at least a rate limiter's Retry-After before retrying a rate-limited call (default true)",
    }),
  })
  .meta({ description: "retry failed attempts" });

const BreakerSchema = z
  .strictObject({
    failureRate: Percent.optional().meta({
      description: "failure rate that opens the circuit (default 50%)",
    }),
    window: PositiveInt.optional().meta({
      description: "outcomes remembered: the last N calls (default 20)",
    }),
    minCalls: PositiveInt.optional().meta({
      description: "outcomes needed before the rate is judged (default: window)",
    }),
    open: PositiveDuration.optional().meta({
      description: "time the circuit stays open, failing calls at once, before probing (default 30s)",
    }),
    probes: PositiveInt.optional().meta({
      description:
        "calls let through half-open; they close the circuit unless their failure rate reaches failureRate (default 1)",
    }),
  })
  .meta({
    description: "a circuit breaker per caller instance: closed, open (fail fast), half-open (probe)",
  });

export const CallPolicySchema = z
  .strictObject({
    timeout: PositiveDuration.optional().meta({
      description:
        "the caller stops waiting for an attempt after this long and sees timeout; the callee keeps working on it unless the deadline is propagated (default: no timeout)",
    }),
    retry: RetrySchema.optional(),
    breaker: BreakerSchema.optional(),
    bulkhead: PositiveInt.optional().meta({
      description:
        "most calls in flight at once from one caller instance to this dependency; more fail at once with bulkhead-full (default: no cap)",
    }),
    propagateDeadline: z.boolean().optional().meta({
      description:
        "the call carries its deadline (the sooner of now + timeout and its request's): callees drop work whose deadline has passed instead of serving it, and pass the deadline on (default false)",
    }),
    fallback: z.boolean().optional().meta({
      description:
        "a call that fails for good (retries spent, circuit open, bulkhead full) is answered with a degraded fallback (a cached or default answer) instead of its error; the request succeeds but counts as degraded (default false)",
    }),
  })
  .meta({ description: "what a caller does around each call to one dependency" });

export const PRIORITIES = ["critical", "high", "normal", "low"] as const;

// ---------- workload ----------

const KeysSchema = z
  .strictObject({
    count: PositiveCount.optional().meta({ description: "number of distinct keys (default 1e6)" }),
    popularity: z
      .string()
      .optional()
      .meta({
        description: "uniform, zipf(s) or hotspot(hot keys %, traffic %), e.g. zipf(1.1) or hotspot(1%, 90%)",
        examples: ["uniform", "zipf(0.99)", "hotspot(1%, 90%)"],
      }),
    perUser: z.boolean().optional().meta({
      description:
        "each user touches only their own key (key = user id), like a profile; count and popularity then do not apply",
    }),
    missing: Percent.optional().meta({
      description:
        "share of requests for keys that exist nowhere (cache penetration): reads of them find nothing until something writes them (default 0%)",
    }),
    pages: PositiveInt.optional().meta({
      description:
        "each key is a site (a domain) with this many pages (at most 2^20): a request is also for one of its key's pages, drawn uniformly, and a seen step tells URLs (key and page) apart (default: one page, the key itself)",
    }),
  })
  .meta({ description: "which keys requests touch" });

const RouteMix = z.strictObject({
  route: Name.meta({ description: 'route name, method and path, e.g. "GET /item/:id"' }),
  weight: PositiveCount.optional().meta({ description: "relative share of requests (default 1)" }),
  keys: KeysSchema.optional(),
  headers: z
    .record(z.string(), z.string())
    .optional()
    .meta({ description: "headers these requests carry (for L7 header rules), e.g. { x-tier: premium }" }),
  priority: z.enum(PRIORITIES).optional().meta({
    description:
      "the requests' priority class, for load shedding: critical, high, normal or low (default normal)",
  }),
});

const ArrivalSchema = z.discriminatedUnion("process", [
  z.strictObject({
    process: z.literal("poisson").meta({ description: "exponential gaps between arrivals" }),
    rate: Rate.meta({ description: "mean arrivals per second (a rate such as 500/s)" }),
  }),
  z.strictObject({
    process: z.literal("constant").meta({ description: "evenly spaced arrivals" }),
    rate: Rate.meta({ description: "arrivals per second (a rate such as 500/s)" }),
  }),
  z.strictObject({
    process: z.literal("ramp").meta({ description: "Poisson arrivals whose rate moves linearly" }),
    from: Rate.meta({ description: "rate before and at the start of the ramp" }),
    to: Rate.meta({ description: "rate at the end of the ramp and after it" }),
    over: PositiveDuration.meta({ description: "how long the ramp takes (a duration)" }),
    start: Duration.optional().meta({ description: "when the ramp starts (default 0s)" }),
  }),
  z.strictObject({
    process: z.literal("spike").meta({ description: "Poisson arrivals with a burst" }),
    rate: Rate.meta({ description: "base rate outside the spike" }),
    at: Duration.meta({ description: "when the spike starts (a duration from the start)" }),
    multiplier: PositiveCount.meta({ description: "rate during the spike = rate x multiplier" }),
    for: PositiveDuration.meta({ description: "how long the spike lasts" }),
  }),
  z.strictObject({
    process: z.literal("diurnal").meta({ description: "Poisson arrivals following a daily cosine curve" }),
    min: Rate.meta({ description: "lowest rate (at peakAt + period/2)" }),
    max: Rate.meta({ description: "highest rate (at peakAt)" }),
    period: PositiveDuration.optional().meta({ description: "length of one cycle (default 24h)" }),
    peakAt: Duration.optional().meta({
      description: "time of the peak within the cycle (default half the period)",
    }),
  }),
]);

export const WorkloadSchema = z.strictObject({
  kind: z.literal("workload").meta({ description: "generates requests and records what users saw" }),
  target: Name.meta({ description: "the component requests are sent to (a dns, load balancer or service)" }),
  arrival: ArrivalSchema.optional().meta({
    description: "open loop: requests arrive whatever the system does",
  }),
  closed: z
    .strictObject({
      users: PositiveInt.meta({ description: "number of concurrent users (their ids are 0..users-1)" }),
      thinkTime: DurationDist.meta({
        description: "time a user waits after an answer before the next request",
      }),
    })
    .optional()
    .meta({ description: "closed loop: each user sends, waits for the answer, thinks, repeats" }),
  routes: z.array(RouteMix).min(1).meta({ description: "the mix of requests sent" }),
  client: CallPolicySchema.optional().meta({
    description: "the users' client: a timeout, retries, a circuit breaker... on every request it sends",
  }),
  population: z
    .strictObject({
      users: PositiveInt.optional().meta({
        description:
          "distinct users, one session each, drawn per open-loop request (default 10k; a closed loop uses its own users)",
      }),
      ips: PositiveInt.optional().meta({
        description: "distinct client IPs they sit behind (default = users)",
      }),
      firstUser: z.number().int().min(0).max(10_000_000).optional().meta({
        description:
          "id of this workload's first user (its users are firstUser..firstUser+users-1, and so are its IPs and API keys); workloads whose ranges overlap share users, as the same people doing different things; give a workload a range of its own to make its users distinct people (default 0)",
      }),
      regions: z
        .record(z.string(), Percent)
        .optional()
        .meta({ description: "share of users per region, e.g. { us-east: 70%, eu-west: 30% }" }),
      apiKeys: PositiveInt.optional().meta({
        description:
          "distinct API keys the users hold; users sharing one are one organisation (default = users)",
      }),
      tiers: z.record(z.string(), Percent).optional().meta({
        description:
          "share of API keys on each plan, e.g. { free: 80%, pro: 15%, enterprise: 5% }; a key's plan is fixed (default: no plans)",
      }),
    })
    .optional()
    .meta({
      description: "who the users are: how many, behind how many IPs and API keys, on which plans, where",
    }),
});

// ---------- load balancer ----------

const HealthCheckSchema = z
  .strictObject({
    interval: PositiveDuration.optional().meta({ description: "time between probes (default 10s)" }),
    timeout: PositiveDuration.optional().meta({ description: "a probe slower than this fails (default 2s)" }),
    healthyThreshold: PositiveInt.optional().meta({
      description: "consecutive successes to re-admit (default 2)",
    }),
    unhealthyThreshold: PositiveInt.optional().meta({
      description: "consecutive failures to eject (default 2)",
    }),
    probeTime: Duration.optional().meta({
      description: "time an instance takes to answer a probe (default 1ms)",
    }),
  })
  .meta({ description: "active probes of every instance; failing instances are taken out of rotation" });

const RuleSchema = z.strictObject({
  path: z.string().optional().meta({ description: "path prefix, or a pattern ending in * (e.g. /api/*)" }),
  method: z.string().optional().meta({ description: "HTTP method the route must have, e.g. GET" }),
  header: z
    .record(z.string(), z.string())
    .optional()
    .meta({ description: "headers that must match exactly" }),
  backend: Name.meta({ description: "the service this rule sends to" }),
});

export const LoadBalancerSchema = z.strictObject({
  kind: z.literal("load-balancer").meta({ description: "spreads requests over a service's instances" }),
  algorithm: z
    .enum(BALANCER_ALGORITHMS as [BalancerAlgorithm, ...BalancerAlgorithm[]])
    .optional()
    .meta({ description: "balancing policy (default round-robin)" }),
  layer: z
    .union([z.literal(4), z.literal(7)])
    .optional()
    .meta({ description: "4 (connections) or 7 (HTTP); default 4" }),
  backend: Name.optional().meta({ description: "the service behind it (L4, or L7's default pool)" }),
  rules: z.array(RuleSchema).optional().meta({ description: "L7 only: first match wins" }),
  weights: z.array(PositiveCount).optional().meta({
    description:
      "one per instance of backend: shares for weighted-round-robin, capacity for load- and hash-based policies",
  }),
  vnodes: PositiveInt.optional().meta({
    description: "ring positions per unit of weight for consistent-hash (default 150)",
  }),
  hashOn: z.enum(["key", "user", "ip", "session"]).optional().meta({
    description: "what hashing policies hash: default ip for ip-hash, key otherwise (session = user)",
  }),
  tls: z.boolean().optional().meta({ description: "terminate TLS here (adds per-request cost)" }),
  cost: Duration.optional().meta({
    description: "per-request processing time (default 20us at L4, 100us at L7)",
  }),
  tlsCost: Duration.optional().meta({ description: "extra per-request time when tls is on (default 150us)" }),
  workers: PositiveInt.optional().meta({ description: "worker threads, for utilisation (default 8)" }),
  healthCheck: HealthCheckSchema.optional(),
  sticky: z.boolean().optional().meta({
    description: "sticky sessions: each user is pinned to an instance until health checks eject it",
  }),
  pricing: Pricing.optional().meta({ description: "alb or nlb: priced per LB-hour and per LCU-hour" }),
  zone: Name.optional().meta({ description: "zone it runs in (default: the first zone)" }),
});

// ---------- dns ----------

const DnsHealthCheckSchema = z
  .strictObject({
    interval: PositiveDuration.optional().meta({
      description: "time between probes of one endpoint (default 10s)",
    }),
    timeout: PositiveDuration.optional().meta({ description: "a probe slower than this fails (default 2s)" }),
    healthyThreshold: PositiveInt.optional().meta({
      description: "consecutive successes to answer with the endpoint again (default 2)",
    }),
    unhealthyThreshold: PositiveInt.optional().meta({
      description: "consecutive failures to stop answering with it (default 3)",
    }),
  })
  .meta({ description: "probes of every endpoint; failing endpoints are left out of answers" });

export const DnsSchema = z.strictObject({
  kind: z.literal("dns").meta({
    description: "a DNS name answering each lookup with one of several regional endpoints",
  }),
  policy: z.enum(DNS_POLICIES).optional().meta({
    description:
      "geo (the user's region, else the nearest), latency (lowest measured latency), weighted (by weight) or failover (the first healthy in order); default geo",
  }),
  ttl: Duration.optional().meta({
    description: "how long users (and resolvers) cache an answer (default 60s)",
  }),
  endpoints: z
    .array(
      z.strictObject({
        target: Name.meta({
          description:
            "a load balancer, service or cdn the name can resolve to (a cdn is reached at the PoP nearest each user)",
        }),
        region: Name.optional().meta({
          description: "the region it is in (default: the region of its zone); not for a cdn",
        }),
        weight: PositiveCount.optional().meta({
          description: "policy weighted: relative share of answers (default 1)",
        }),
      }),
    )
    .min(1)
    .meta({ description: "the addresses the name can resolve to; for failover, primary first" }),
  addresses: PositiveInt.optional().meta({
    description:
      "addresses in each answer, in the policy's order of preference (default 1); a client whose request to one fails to connect (instance-down, no-healthy-backend, timeout) retries the next",
  }),
  healthCheck: DnsHealthCheckSchema.optional(),
  pricing: Pricing.optional().meta({
    description: "route53: priced per hosted zone-month and per million queries",
  }),
  lookupTime: DurationDist.optional().meta({
    description:
      "round trip of a lookup the authoritative servers answer (default lognormal(median=30ms, p99=120ms))",
  }),
  resolvers: PositiveInt.optional().meta({
    description:
      "recursive resolvers per region shared by its users, each caching answers (default: none shared)",
  }),
  resolverTime: DurationDist.optional().meta({
    description: "round trip from a user to their resolver (default lognormal(median=4ms, p99=20ms))",
  }),
});

// ---------- service ----------

const Level = z
  .union([z.enum(["one", "quorum", "all", "local-one", "local-quorum", "each-quorum"]), PositiveInt])
  .meta({
    description:
      "replicas to hear from: one, quorum (a majority of N), all, or a number; with replication per datacenter also local-one, local-quorum (a majority of the coordinator's datacenter) or each-quorum (a majority in every datacenter)",
    examples: ["quorum", 2, "local-quorum"],
  });

const ISOLATION_LEVELS = ["read-uncommitted", "read-committed", "repeatable-read", "serializable"] as const;
const Growth = z.enum(GROWTHS);

const Isolation = z.enum(ISOLATION_LEVELS).meta({
  description:
    "read-uncommitted (reads may see writes not yet committed), read-committed, repeatable-read (snapshot: a read-modify-write whose key changed since its read fails, first committer wins) or serializable (reads take shared row locks until the transaction ends)",
});

const IdempotencySchema = z
  .union([
    z.literal(true).meta({ description: "keys with the defaults (24h, per-request, atomic)" }),
    z.strictObject({
      ttl: PositiveDuration.optional().meta({
        description:
          "how long the database keeps a key; a retry after that applies the write again (default 24h)",
      }),
      key: z.enum(["per-request", "per-attempt"]).optional().meta({
        description:
          "per-request (default): the client sends the same key on every retry of the request; per-attempt: it makes a new random key each time it retries, so only the service's own retries share one",
      }),
      check: z.enum(["atomic", "check-then-insert"]).optional().meta({
        description:
          "atomic (default): the key is looked up and inserted in one step as the write commits; check-then-insert: looked up when the write starts and inserted when it commits, so two attempts whose writes overlap can both apply",
      }),
    }),
  ])
  .meta({
    description:
      "an idempotency key on this write: the database keeps key -> result for ttl in a table of its own, and a write whose key is there gets the stored result without being applied",
  });

/** A plan's rate; "unlimited" is read as an infinite rate. */
const TierRate = unit(
  (v) => (v === "unlimited" ? Number.POSITIVE_INFINITY : parseRate(v)),
  'a rate such as 1000/min, or "unlimited"',
  ["1000/min", "unlimited"],
);

const LimitSchema = z.strictObject({
  key: z.enum(LIMIT_KEYS).meta({
    description:
      "what is counted: each user, each client ip, each apiKey, each tier (one counter per plan) or global (one counter)",
  }),
  algorithm: z.enum(RATE_ALGORITHMS).meta({
    description:
      "token-bucket, leaky-bucket (the bucket as a meter, GCRA), leaky-queue (the bucket as a queue: requests wait their turn), fixed-window, sliding-log or sliding-counter",
  }),
  limit: PositiveCount.optional().meta({
    description: "window algorithms: units admitted per key and window",
  }),
  window: PositiveDuration.optional().meta({
    description:
      "window algorithms: the window; bucket algorithms: the window the report measures throughput over (default burst / rate)",
  }),
  rate: Rate.optional().meta({
    description: "bucket algorithms: units per second refilled (token-bucket) or drained (leaky-*)",
  }),
  burst: PositiveCount.optional().meta({
    description:
      "bucket algorithms: the bucket's capacity in units, the largest burst admitted at once (leaky-queue: the queue's size)",
  }),
  routes: z.array(Name).min(1).optional().meta({
    description: "only requests of these routes are counted and limited (default: every route)",
  }),
  cost: z.record(z.string(), PositiveInt).optional().meta({
    description: "units a request of each route costs, e.g. { GET /search: 5 } (default 1)",
  }),
  tiers: z.record(z.string(), TierRate).optional().meta({
    description:
      "per plan (the workload population's tiers): its rate, which scales limit (or rate and burst) in proportion, or unlimited; plans not listed get the limit as written",
  }),
  name: z
    .string()
    .min(1)
    .optional()
    .meta({ description: "the limit's name in the report (default: key and algorithm)" }),
});

// a limit step counts as a gateway's limit does, on the component's own counters
const StepLimitSchema = LimitSchema.omit({ key: true, routes: true, cost: true })
  .extend({
    key: z.enum(STEP_LIMIT_KEYS).meta({
      description:
        "what is counted: the request's (a message's) own key, e.g. a notification's recipient, each user, ip or apiKey, each tier, or global (one counter)",
    }),
  })
  .meta({
    description:
      "the rate limit, written as a gateway's: key, algorithm, and limit and window or rate and burst",
  });

const StepSchema = z.union([
  z.strictObject({
    compute: DurationDist.meta({ description: "CPU work: the worker is busy for this long" }),
  }),
  z.strictObject({
    call: Name.meta({
      description: "a service (or a load balancer or gateway in front of one) to call and wait for",
    }),
    route: z.string().optional().meta({ description: "route to call it with (default: the same route)" }),
  }),
  z.strictObject({
    read: Name.meta({ description: "a database or quorum store to read the request's key from" }),
    cache: Name.optional().meta({ description: "a cache consulted first (cache-aside, filled on miss)" }),
    from: z
      .enum(["primary", "replica"])
      .optional()
      .meta({ description: "which node serves the read: the primary (default) or a replica" }),
    pick: z.enum(["round-robin", "least-loaded", "nearest", "sticky"]).optional().meta({
      description:
        "from: replica: how a replica is chosen: round-robin (default), least-loaded, nearest (same zone, then region), sticky (one replica per user)",
    }),
    readYourWrites: z
      .enum(["none", "primary-after-write", "bounded-lag", "wait-for-position", "version-check"])
      .optional()
      .meta({
        description:
          "from: replica: how a user is kept from missing their own writes: none (default), primary-after-write (primary for `window` after the user's write), bounded-lag (only replicas lagging less than `maxLag`, else the primary), wait-for-position (the replica serves once it has applied the user's last write), version-check (the client compares the version read with its own last write's and retries the replica, then the primary)",
      }),
    window: PositiveDuration.optional().meta({
      description: "readYourWrites: primary-after-write: how long after a write (default 1s)",
    }),
    maxLag: PositiveDuration.optional().meta({
      description: "readYourWrites: bounded-lag: the largest replica lag accepted (default 100ms)",
    }),
    checkRetries: z
      .union([PositiveInt, z.literal(0)])
      .optional()
      .meta({
        description:
          "readYourWrites: version-check: replica reads retried while older than the user's own write, before going to the primary (default 3)",
      }),
    checkInterval: PositiveDuration.optional().meta({
      description: "readYourWrites: version-check: pause before each retry (default 100ms)",
    }),
    consistency: Level.optional().meta({
      description: "quorum-store only: R for this read (default: the store's r)",
    }),
    salt: PositiveInt.optional().meta({
      description: "read all of the key's salt sub-keys (written with the same salt) and wait for every one",
    }),
    l1: z.boolean().optional().meta({
      description: "ask the service's in-process cache (localCache) first, and fill it after (default false)",
    }),
    saltKeys: PositiveInt.optional().meta({
      description:
        "salt only the saltKeys most popular keys (keys are numbered from 0, most popular first); default all",
    }),
    scatter: z.boolean().optional().meta({
      description: "ask every shard and wait for all, as a query by a secondary index must",
    }),
    fanout: FanOutSchema.optional(),
    isolation: Isolation.optional().meta({
      description:
        "database only: the isolation level of this read (default: the database's); read-uncommitted may see a write in progress, serializable waits for a row's writers and holds writers off while it reads",
    }),
  }),
  z.strictObject({
    transaction: Name.meta({
      description: "a database to write several keys in atomically, by two-phase commit across their shards",
    }),
    keys: z.number().int().min(2).max(64).optional().meta({
      description: "keys written: the request's and keys - 1 others, e.g. 2 for a transfer (default 2)",
    }),
    idempotency: IdempotencySchema.optional(),
  }),
  z.strictObject({
    update: Name.meta({
      description: "a database to read-modify-write the request's key in: read it, then write it back",
    }),
    occ: z.boolean().optional().meta({
      description:
        "optimistic concurrency: the write is refused if the key changed since the read (default false)",
    }),
    retries: z.number().int().min(0).optional().meta({
      description:
        "with occ, or at repeatable-read or serializable: reads and writes again after a conflict or serialization failure, up to this many times (default 3)",
    }),
    isolation: Isolation.optional().meta({
      description: "the isolation level of this read-modify-write (default: the database's)",
    }),
    lock: z.boolean().optional().meta({
      description:
        "pessimistic locking: the read locks the row (SELECT ... FOR UPDATE) and others wait (default false)",
    }),
    from: z.enum(["primary", "replica"]).optional().meta({
      description:
        "which node serves the read: the primary (default) or a replica, whose copy may be stale (the write always goes to the primary)",
    }),
    pick: z.enum(["round-robin", "least-loaded", "nearest", "sticky"]).optional().meta({
      description: "from: replica: how the replica is chosen (default round-robin)",
    }),
    idempotency: IdempotencySchema.optional(),
  }),
  z.strictObject({
    write: Name.meta({ description: "a database or quorum store to write the request's key to" }),
    cache: Name.optional().meta({ description: "a cache to invalidate after the write" }),
    consistency: Level.optional().meta({
      description: "quorum-store only: W for this write (default: the store's w)",
    }),
    salt: PositiveInt.optional().meta({
      description:
        "write to one of the key's salt sub-keys, chosen at random, so a hot key spreads over shards",
    }),
    saltKeys: PositiveInt.optional().meta({
      description: "salt only the saltKeys most popular keys (default all)",
    }),
    fanout: FanOutSchema.optional(),
    idempotency: IdempotencySchema.optional(),
    outbox: Name.optional().meta({
      description:
        "transactional outbox: a topic; the write also inserts an event row for it in the database's outbox table, in the same transaction, and a relay (kind: relay, source: outbox) publishes it",
    }),
  }),
  z.strictObject({
    publish: Name.meta({
      description:
        "a topic to append a message to, keyed by the request's key (partition = hash(key) mod partitions), or a queue to send it to",
    }),
    ack: z.enum(["sync", "none"]).optional().meta({
      description:
        "sync (default): wait for the broker's acknowledgement, and fail if the publish fails; none: fire and forget, the step ends at once and a failed publish goes unnoticed",
    }),
    size: SizeDist.optional().meta({ description: "bytes of the message (default 1KiB)" }),
    routing: z
      .array(
        z.strictObject({
          key: z.string().optional().meta({
            description: "the routing key (e.g. order.created.eu; default empty)",
          }),
          headers: HeaderValues.optional().meta({
            description: "the message's headers (e.g. { format: pdf })",
          }),
          weight: z.number().positive().optional().meta({
            description: "relative share of the messages that carry this key and headers (default 1)",
          }),
        }),
      )
      .min(1)
      .optional()
      .meta({
        description:
          "publish to an exchange: the routing keys and headers its messages carry, one drawn per message by weight (default: one empty key, no headers)",
      }),
    routeBy: z.enum(["random", "request-key"]).optional().meta({
      description:
        "with routing: random (default) draws each message's entry by weight; request-key picks it by weight from a hash of the request's key, so one key always gets the same routing key",
    }),
    mandatory: z.boolean().optional().meta({
      description:
        "publish to an exchange: a message no binding takes (and no alternate exchange) fails with unroutable instead of being dropped (AMQP's mandatory flag; default false)",
    }),
  }),
  z.strictObject({
    request: Name.meta({
      description:
        "request-reply (RPC) over a queue: publish a request carrying a correlation id and reply-to, and wait for the reply its consumer publishes once the request's steps are done",
    }),
    timeout: PositiveDuration.optional().meta({
      description:
        "with request: how long the step waits for the reply (from its publish) before it fails with timeout; a reply after that is discarded, counted late (default 5s)",
    }),
    size: SizeDist.optional().meta({ description: "bytes of the request message (default 1KiB)" }),
  }),
  z.strictObject({
    notify: Name.meta({
      description:
        "a realtime gateway to publish an event to, for one of its clients; fire and forget: the step takes no time",
    }),
    to: z.enum(["key", "user"]).optional().meta({
      description:
        "who the event is for: the client whose id is the request's key (default; e.g. a chat message's recipient) or the request's own user, modulo the gateway's clients",
    }),
  }),
  z.strictObject({
    preferences: z
      .strictObject({
        category: Name.meta({
          description:
            "the notifications' category (security, social, marketing...): which users opted out of it is a hash of the user and the category",
        }),
        optOut: Percent.optional().meta({
          description:
            "share of recipients who turned the category off, chosen by a hash of the recipient (always the same users): their notifications end here, ok, the rest skipped (default 0%)",
        }),
        quietHours: z
          .strictObject({
            users: Percent.meta({
              description: "share of recipients who set quiet hours, chosen by a hash of the recipient",
            }),
            length: PositiveDuration.meta({ description: "how long each one's quiet hours last, e.g. 8h" }),
            every: PositiveDuration.optional().meta({
              description:
                "how often they recur (default 24h); each user's start is spread over it by a hash (time zones)",
            }),
          })
          .optional()
          .meta({
            description:
              "quiet hours: a notification for a recipient inside theirs is published to deferTo when they end, and ends here, ok",
          }),
        urgent: z.boolean().optional().meta({
          description:
            "urgent notifications (P0 security) are sent during quiet hours, counted as bypassed (default false)",
        }),
        deferTo: Name.optional().meta({
          description:
            "a topic, queue or exchange the deferred notifications are published to when the recipient's quiet hours end (needed with quietHours unless urgent)",
        }),
      })
      .meta({
        description:
          "check the recipient's (the key's) notification preferences: drop it if they opted out of the category, defer it to the end of their quiet hours",
      }),
  }),
  z.strictObject({
    limit: StepLimitSchema,
    onLimit: z.enum(LIMIT_OUTCOMES).optional().meta({
      description:
        "over the limit: skip (default) ends the request or message here, answered ok with its remaining steps skipped (a suppressed notification is handled, not failed); fail ends it with cause rate-limited and the limit's Retry-After",
    }),
  }),
]);

/**
 * An orchestrated saga (a service route's step only): stages called in turn,
 * each a participant's local transaction behind one of its routes, with the
 * route that undoes it. Kept out of StepSchema, so consumers' steps and the
 * fields documented for every step stay as they are.
 */
const SagaStepSchema = z.strictObject({
  saga: z
    .array(
      z.strictObject({
        name: Name.meta({ description: "the stage's name, unique in the saga (report key)" }),
        call: Name.meta({
          description:
            "the participant: a service (or a load balancer in front of one) whose route does the stage's work",
        }),
        route: z.string().optional().meta({
          description: "the participant's route that does the work (default: the request's route)",
        }),
        undo: z.string().optional().meta({
          description:
            "the participant's route that compensates the work (a refund, a release), called if a later stage fails; default: nothing to undo",
        }),
      }),
    )
    .min(1)
    .meta({
      description:
        "an orchestrated saga: its stages are called in order; when one fails, the undo routes of the stages done are called in reverse order, and the request fails with the stage's cause",
    }),
});

/** Reservation of stock at checkout (CR-08; a service route's step only, like a saga). */
const ReserveStepSchema = z.strictObject({
  reserve: z
    .strictObject({
      stock: Count.refine((v) => Number.isInteger(v) && v >= 0, "must be a whole number >= 0").meta({
        description: "units of the item in stock at the start, shared by the service's instances",
      }),
      units: PositiveInt.optional().meta({ description: "units one request takes (default 1)" }),
      hold: PositiveDuration.optional().meta({
        description: "hold mode: how long a checkout's units are held for its payment (default 10m)",
      }),
      mode: z
        .enum(RESERVE_MODES as [ReserveMode, ...ReserveMode[]])
        .optional()
        .meta({
          description:
            "hold (default): hold the units, sell them when the request succeeds, let the hold expire when it fails; check-then-decrement: only check that units remain, and record the sale when the request succeeds (overlapping checkouts oversell)",
        }),
    })
    .meta({
      description:
        "take units of one item's stock at checkout; the rest of the route (the payment) decides: a request that succeeds buys them; a checkout that finds none free fails sold-out",
    }),
});

/**
 * A crawler's URL-seen test (a service route's step only): a Bloom filter of
 * the URLs (key and page) admitted so far, shared by the service's instances.
 */
const SeenStepSchema = z.strictObject({
  seen: z
    .strictObject({
      bits: PositiveInt.meta({
        description: "m: bits in the Bloom filter (at most 2^32); ~9.6 per URL for a 1% false-positive rate",
      }),
      hashes: PositiveInt.meta({
        description: "k: probe positions per URL, 1 to 64; (m/n) ln 2 is best for n URLs",
      }),
      name: z
        .string()
        .optional()
        .meta({ description: "the filter's name in the report (default: the route)" }),
    })
    .meta({
      description:
        "skip URLs already seen: the request's URL (its key, and its page with keys.pages) is checked against a Bloom filter of the URLs admitted so far; one the filter holds ends the request here, answered ok, its remaining steps skipped (a false positive skips a URL never seen); any other is added and goes on",
    }),
});

/** Codes in use before the run: a count, or a share of the space written with %. */
export type Preload = { count: number } | { share: number };
const PRELOAD_EXPECTED = "a count of codes such as 100k, or a share of the space such as 90%";
function parsePreload(v: string | number): Preload {
  if (typeof v === "string" && v.trim().endsWith("%")) return { share: parsePercent(v) };
  const count = parseCount(v);
  if (!Number.isInteger(count) || count < 0)
    throw new UnitError(
      `${v} is not a whole number of codes`,
      PRELOAD_EXPECTED,
      undefined,
      "or a share: 50%",
    );
  return { count };
}

/**
 * How a URL shortener mints a new link's short code (a service route's step
 * only): from ranges of a counter, or drawn at random and checked.
 */
const MintStepSchema = z.strictObject({
  mint: z
    .strictObject({
      codes: z.enum(["counter", "random"]).meta({
        description:
          "counter: ids from a central counter, taken in ranges by each instance, unique by construction; random: a code drawn uniformly from the 62^length, checked and drawn again while in use",
      }),
      length: z.number().int().min(1).meta({
        description: "characters of base62 in a code, 1 to 8: the space holds 62^length codes",
      }),
      store: Name.optional().meta({
        description:
          "a database: counter: the counter's row, one write per range taken (required); random: the codes, read to check a draw (every draw without a bloom filter, only the draws it flags with one)",
      }),
      range: PositiveInt.optional().meta({
        description: "counter: ids per range an instance takes from the counter (default 1000)",
      }),
      bloom: z
        .strictObject({
          bits: PositiveInt.meta({ description: "m: bits in the filter (at most 2^32)" }),
          hashes: PositiveInt.meta({ description: "k: probe positions per code, 1 to 64" }),
        })
        .optional()
        .meta({
          description:
            "random: a Bloom filter of the codes in use, shared by the instances: a code it clears is free, taken without a read; one it flags is read from the store, or (no store) drawn again",
        }),
      attempts: PositiveInt.optional().meta({
        description:
          "random: draws a creation may make; past them it fails with conflict (default: until a free code with a store; 1000 with a Bloom filter alone, whose draws take no time and which may flag every free code)",
      }),
      preload: unit(parsePreload, PRELOAD_EXPECTED, ["100k", "90%"]).optional().meta({
        description:
          "codes in use at the start (links made before the run): a count or a share of the space; random: drawn uniformly, counter: the ids below it (default 0)",
      }),
      name: z.string().optional().meta({ description: "the step's name in the report (default: the route)" }),
    })
    .meta({
      description:
        "mint the new link's short code; the request's key becomes the code, so a write step after it stores the link under its code",
    }),
});

const RouteStepSchema = z.union([
  ...StepSchema.options,
  SagaStepSchema,
  ReserveStepSchema,
  SeenStepSchema,
  MintStepSchema,
]);

// ---------- capacity changes (autoscaling, resize, deployments) ----------

const AutoscaleSchema = z
  .strictObject({
    min: PositiveInt.meta({ description: "fewest instances the fleet scales in to" }),
    max: PositiveInt.meta({ description: "most instances the fleet scales out to" }),
    metric: z
      .enum(SCALING_METRICS as [ScalingMetric, ...ScalingMetric[]])
      .optional()
      .meta({
        description:
          "what is tracked, per instance in service: utilization (busy workers), rps-per-instance (arrivals) or queue (waiting requests); default utilization",
      }),
    target: z.union([z.string(), z.number()]).meta({
      description:
        "the metric's target per instance: a percentage for utilization (60%), a rate for rps-per-instance (100/s), a count for queue (5)",
      examples: ["60%", "100/s", 5],
    }),
    tolerance: Percent.optional().meta({
      description: "dead band around the target in which the fleet is left alone (default 10%)",
    }),
    interval: PositiveDuration.optional().meta({
      description: "time between evaluations; the metric is averaged over it (default 60s)",
    }),
    cooldown: z
      .union([
        Duration,
        z.strictObject({
          out: Duration.optional().meta({
            description: "after a scale-out, time before the next scale-out (default 300s)",
          }),
          in: Duration.optional().meta({
            description: "after any scaling, time before a scale-in (default 300s)",
          }),
        }),
      ])
      .optional()
      .meta({
        description: "wait after scaling before scaling again: one duration, or { out, in } (default 300s)",
      }),
    bootTime: DurationDist.optional().meta({
      description: "time from launch until a new instance takes traffic (default 300s)",
    }),
  })
  .meta({ description: "horizontal autoscaling by target tracking" });

/** A consumer group's autoscaling: as a service's, tracking utilisation or lag, never beyond the partitions. */
const ConsumerAutoscaleSchema = AutoscaleSchema.extend({
  metric: z
    .enum(CONSUMER_SCALING_METRICS as [ScalingMetric, ...ScalingMetric[]])
    .optional()
    .meta({
      description:
        "what is tracked: utilization (busy workers per instance in service, averaged over the interval) or lag (messages not yet committed, now, per instance in service); default utilization",
    }),
  target: z.union([z.string(), z.number()]).meta({
    description: "the metric's target per instance: a percentage for utilization (60%), a count for lag (1k)",
    examples: ["60%", "1k"],
  }),
  max: PositiveInt.meta({
    description:
      "most instances the group scales out to; a topic consumer's is lowered to the topic's partition count (more would own no partition)",
  }),
}).meta({ description: "horizontal autoscaling of the group by target tracking" });

const ResizeSchema = z
  .strictObject({
    at: Duration.meta({ description: "when the instance type changes" }),
    concurrency: PositiveInt.optional().meta({ description: "workers per instance of the new type" }),
    speed: PositiveCount.optional().meta({
      description: "how much faster the new type computes than the old: compute steps take time / speed",
    }),
    costPerHour: z
      .number()
      .min(0)
      .optional()
      .meta({ description: "dollars per instance-hour of the new type" }),
    instanceType: InstanceType.optional().meta({
      description:
        "the new type from the price catalogue, pricing the restarted instances (costPerHour overrides it)",
    }),
    restartTime: DurationDist.optional().meta({
      description: "time an instance is out of service while it restarts as the new type (default 10m)",
    }),
    batch: PositiveInt.optional().meta({ description: "instances restarted at once (default 1)" }),
  })
  .meta({ description: "vertical scaling: a new instance type, rolled out by restarting instances" });

const DeploymentSchema = z.strictObject({
  at: Duration.meta({ description: "when the deployment starts" }),
  version: Name.meta({ description: "name of the new version" }),
  strategy: z
    .enum(STRATEGIES as [Strategy, ...Strategy[]])
    .optional()
    .meta({
      description:
        "rolling (a batch at a time), blue-green (a second fleet, then one switch) or canary (a share of traffic, step by step); default rolling",
    }),
  latency: PositiveCount.optional().meta({
    description: "factor on the service's compute times in the new version (default 1)",
  }),
  errorRate: Percent.optional().meta({
    description: "share of the new version's requests that fail with error (default 0%)",
  }),
  batch: PositiveInt.optional().meta({ description: "rolling: instances replaced at once (default 1)" }),
  bootTime: DurationDist.optional().meta({
    description: "time a new-version instance takes to serve after its launch or restart (default 300s)",
  }),
  steps: z.array(Percent).min(1).optional().meta({
    description:
      "canary: the shares of traffic sent to the new version, in turn, before all of it (default [10%])",
  }),
  bake: Duration.optional().meta({
    description:
      "canary: how long each step is held; blue-green: how long the old fleet is kept after the switch (default 5m)",
  }),
  abort: z
    .strictObject({
      errorRate: Percent.optional().meta({
        description: "roll back when more than this share of the new version's requests fail",
      }),
      p99: PositiveDuration.optional().meta({
        description: "roll back when the new version's p99 is above this",
      }),
      window: PositiveDuration.optional().meta({
        description: "the new version is judged on each window of this length (default 1m)",
      }),
      minRequests: PositiveInt.optional().meta({
        description: "windows with fewer of the new version's requests are not judged (default 100)",
      }),
    })
    .optional()
    .meta({ description: "automatic rollback on an SLO breach of the new version" }),
});

const LocalCacheSchema = z.strictObject({
  capacity: z.union([z.string(), z.number()]).meta({
    description: "per instance: entries (e.g. 1k) or bytes (e.g. 16MiB)",
    examples: ["1k", "16MiB"],
  }),
  ttl: PositiveDuration.meta({ description: "how long a copy is served before it is fetched again" }),
  eviction: z
    .enum(EVICTION_POLICIES as [EvictionPolicyName, ...EvictionPolicyName[]])
    .optional()
    .meta({ description: "default lru" }),
});

/** How many may wait: a number, 0 (no waiting room) or "unbounded". */
const QueueBound = z.union([PositiveInt, z.literal(0), z.literal("unbounded")]);

export const ServiceSchema = z.strictObject({
  kind: z.literal("service").meta({ description: "instances with workers and queues running route steps" }),
  instances: PositiveInt.optional().meta({
    description: "number of instances (at the start, with autoscale; default 1, or autoscale.min)",
  }),
  concurrency: PositiveInt.optional().meta({
    description: "requests one instance works on at once (default 1)",
  }),
  autoscale: AutoscaleSchema.optional(),
  resize: ResizeSchema.optional(),
  version: Name.optional().meta({ description: "name of the version the service starts with (default v1)" }),
  sessions: z.enum(["in-memory", "shared"]).optional().meta({
    description:
      "users' sessions: in-memory (on the instance that created them, lost when a request lands elsewhere or the instance dies) or shared (in sessionStore, read on every request); default none",
  }),
  sessionStore: Name.optional().meta({
    description: "with sessions: shared, the cache or database holding them (sessions only)",
  }),
  discovery: z
    .strictObject({
      refresh: PositiveDuration.optional().meta({
        description: "how often each caller fetches the instance list again (default 30s)",
      }),
      evictAfter: Duration.optional().meta({
        description:
          "how long the registry keeps listing an instance that crashed, until its lease expires (default 90s)",
      }),
    })
    .optional()
    .meta({
      description:
        "client-side discovery: callers without a load balancer pick from their own cached copy of the registry's instance list",
    }),
  deployments: z.array(DeploymentSchema).min(1).optional().meta({
    description: "new versions deployed over the run, one after another",
  }),
  drain: Duration.optional().meta({
    description:
      "connection draining: how long an instance taken out of service may finish its in-flight requests before they are cut (default 300s; 0: cut at once)",
  }),
  instanceType: InstanceType.optional(),
  costPerHour: z.number().min(0).optional().meta({
    description:
      "dollars per instance-hour, for the report's cost; overrides the price of instanceType (default: instanceType's price, else not priced)",
  }),
  queue: QueueBound.optional().meta({
    description: "waiting requests per instance before rejecting (default 1000, or unbounded)",
  }),
  routes: z
    .record(z.string(), z.array(RouteStepSchema).min(1))
    .meta({ description: 'steps per route; "*" serves any route without its own entry' }),
  localCache: LocalCacheSchema.optional().meta({
    description: "an in-process (L1) cache in every instance, for read steps with l1: true",
  }),
  calls: z.record(z.string(), CallPolicySchema).optional().meta({
    description:
      "per dependency (a component this service calls, reads or writes): timeout, retries, circuit breaker, bulkhead, deadline propagation, fallback",
  }),
  shedding: z
    .strictObject({
      low: Percent.optional().meta({ description: "queue fill at which low-priority arrivals are shed" }),
      normal: Percent.optional().meta({
        description: "queue fill at which normal-priority arrivals are shed",
      }),
      high: Percent.optional().meta({ description: "queue fill at which high-priority arrivals are shed" }),
    })
    .optional()
    .meta({
      description:
        "load shedding by priority: an arrival that would wait behind a queue filled to its class's share is refused with shed (critical requests only when the queue is full); needs a bounded queue",
    }),
  zone: Name.optional().meta({ description: "zone it runs in (default: the first zone)" }),
  zones: z
    .array(Name)
    .min(1)
    .optional()
    .meta({ description: "instances are spread over these zones in turn" }),
});

// ---------- gateway ----------

const BackendList = z.union([Name, z.array(Name).min(1)]).meta({
  description: "a service or load balancer, or a list of them called at once (API composition)",
});

export const GatewaySchema = z.strictObject({
  kind: z.literal("gateway").meta({
    description: "an API gateway: authentication, rate limits and routing (or composition) to services",
  }),
  instances: PositiveInt.optional().meta({ description: "number of instances (default 1)" }),
  concurrency: PositiveInt.optional().meta({
    description: "requests one instance processes at once (default 8)",
  }),
  queue: QueueBound.optional().meta({
    description: "requests waiting per instance for a worker before rejecting (default 1000)",
  }),
  compute: DurationDist.optional().meta({
    description: "the gateway's own work per request, holding a worker (default 100us)",
  }),
  auth: z
    .strictObject({
      time: DurationDist.meta({ description: "time to check a request's credentials, holding a worker" }),
      failRate: Percent.optional().meta({
        description: "share of requests whose credentials are refused (unauthorized; default 0%)",
      }),
    })
    .optional()
    .meta({ description: "authentication of every request (default: none)" }),
  routes: z.record(z.string(), BackendList).meta({
    description: 'where each route goes; "*" serves any route without its own entry',
  }),
  calls: z.record(z.string(), CallPolicySchema).optional().meta({
    description:
      "per backend (a service or load balancer its routes send to): timeout, retries, circuit breaker, bulkhead, deadline propagation, fallback",
  }),
  limits: z.array(LimitSchema).max(16).optional().meta({
    description: "rate limits; a request must pass every limit that covers its route",
  }),
  store: Name.optional().meta({
    description: 'where the counters live: "local" (each instance its own; default) or a limiter-store',
  }),
  onStoreFailure: z.enum(STORE_FAILURE_POLICIES).optional().meta({
    description:
      "when the store fails or times out: open (let the request through; default), closed (refuse it) or local (the instance's own counters decide)",
  }),
  storeTimeout: PositiveDuration.optional().meta({
    description: "how long to wait for the store before its failure policy applies (default 50ms)",
  }),
  atomic: z.boolean().optional().meta({
    description:
      "true (default): one atomic check-and-increment per request; false: a read, then a separate increment, racing other instances",
  }),
  instanceType: InstanceType.optional(),
  pricing: Pricing.optional().meta({
    description: "apigw-http or apigw-rest: priced per million requests instead of by instances",
  }),
  zone: Name.optional().meta({ description: "zone it runs in (default: the first zone)" }),
  zones: z
    .array(Name)
    .min(1)
    .optional()
    .meta({ description: "instances are spread over these zones in turn" }),
});

export const LimiterStoreSchema = z.strictObject({
  kind: z.literal("limiter-store").meta({
    description: "a central store of rate-limit counters (Redis-like) that gateways ask on every request",
  }),
  instances: PositiveInt.optional().meta({
    description: "nodes; a request's keys are checked on the node owning its first limit's key (default 1)",
  }),
  concurrency: PositiveInt.optional().meta({
    description: "checks one node runs at once (default 1, single-threaded like Redis)",
  }),
  queue: QueueBound.optional().meta({
    description: "checks waiting per node before rejecting (default 10000)",
  }),
  opTime: DurationDist.optional().meta({ description: "time one check takes (default 20us)" }),
  instanceType: InstanceType.optional(),
  zone: Name.optional().meta({ description: "zone it runs in (default: the first zone)" }),
  zones: z.array(Name).min(1).optional().meta({ description: "nodes are spread over these zones in turn" }),
});

export const BlockStoreSchema = z.strictObject({
  kind: z.literal("block-store").meta({
    description:
      "a content-addressed store of file blocks (Dropbox/Drive): a service's call step uploads the file named by the request's key, new or edited",
  }),
  blockSize: Size.optional().meta({
    description: "bytes per block; a file's last block holds the remainder (default 4MiB)",
  }),
  files: Count.optional().meta({
    description:
      "files uploaded before the run (keys 0..files-1): they fill the store but are not counted as uploads (default 0)",
  }),
  fileSize: SizeDist.optional().meta({
    description: "size of a file, drawn once per file (default 16MiB); edits keep it",
  }),
  sync: z.enum(["delta", "whole-file"]).optional().meta({
    description:
      "what a client uploads after an edit: delta (default) sends only the blocks whose hashes the server lacks; whole-file sends the file again",
  }),
  dedup: z.boolean().optional().meta({
    description:
      "one stored copy per distinct block content, and (with delta sync) no upload of a content stored already (default true)",
  }),
  duplicate: Percent.optional().meta({
    description:
      "share of new full blocks whose content is a copy of a common one, found in other files (default 0%)",
  }),
  commonBlocks: Count.optional().meta({
    description: "how many distinct common contents the copies are drawn from, uniformly (default 10k)",
  }),
  changed: Percent.optional().meta({
    description: "share of a file's blocks an edit rewrites, at least one block (default 1%)",
  }),
  uplink: Bandwidth.optional().meta({
    description:
      "each client's upload link: an upload of B bytes takes B / uplink, uploads not sharing it (default 100Mbps)",
  }),
  opTime: DurationDist.optional().meta({
    description: "server time per upload besides the transfer: hash list check and commit (default 5ms)",
  }),
  instances: PositiveInt.optional().meta({ description: "block server nodes (default 1)" }),
  concurrency: PositiveInt.optional().meta({
    description: "uploads one node receives at once (default 1000)",
  }),
  queue: QueueBound.optional().meta({
    description: "uploads waiting per node before rejecting (default 1000)",
  }),
  instanceType: InstanceType.optional(),
  zone: Name.optional().meta({ description: "zone it runs in (default: the first zone)" }),
  zones: z.array(Name).min(1).optional().meta({ description: "nodes are spread over these zones in turn" }),
});

// ---------- messaging ----------

const LAG_EXPECTED = "a lag in messages such as 10k, or an age such as 30s";

/** A lag threshold: a number of messages (`10k`) or an age (`30s`). */
function parseLagThreshold(v: string | number): { messages: number } | { ms: number } {
  const t = typeof v === "string" ? v.trim() : "";
  try {
    // a trailing letter other than a count's k, M, G or T is a time unit (m is minutes, M millions)
    if (/[a-zµ]$/i.test(t) && !/[kKMGT]$/.test(t)) return { ms: parseDuration(v) };
    return { messages: parseCount(v) };
  } catch (e) {
    const err = e as UnitError;
    throw new UnitError(err.message, LAG_EXPECTED, err.suggestion, err.hint);
  }
}
const LagThreshold = unit(parseLagThreshold, LAG_EXPECTED, ["10k", "30s"]);

export const TopicSchema = z.strictObject({
  kind: z.literal("topic").meta({
    description:
      "a log (Kafka-style topic): partitions on broker nodes, kept for a retention period, read by consumer groups",
  }),
  partitions: PositiveInt.optional().meta({
    description:
      "partitions (default 1): a message goes to hash(key) mod partitions; order is kept within a partition",
  }),
  partitioner: z.enum(["modulo", "consistent-hash"]).optional().meta({
    description:
      "how a key picks its partition: modulo (hash(key) mod partitions, default, Kafka's) or consistent-hash (a hash ring with 150 virtual nodes per partition: adding partitions moves fewer keys)",
  }),
  repartition: z
    .strictObject({
      at: Duration.meta({ description: "when the partitions are added" }),
      partitions: PositiveInt.meta({ description: "the new partition count, more than partitions" }),
    })
    .optional()
    .meta({
      description:
        "partitions are added mid-run: keys the partitioner sends elsewhere lose their order while the old partitions still hold their messages; the groups rebalance",
    }),
  brokers: PositiveInt.optional().meta({
    description:
      "broker nodes the partitions are spread over, partition p led by broker p mod brokers (default 1)",
  }),
  profile: z.enum(TOPIC_PROFILES).optional().meta({
    description:
      "the broker, its node numbers and delivery semantics (docs/brokers.md): kafka (default), pulsar or nats-jetstream (a retained, replayable log), nats or redis-pubsub (fire and forget: nothing kept, a disconnected subscriber misses messages)",
  }),
  tieredStorage: z
    .strictObject({
      after: PositiveDuration.meta({
        description: "segments whose newest message is older than this are offloaded (e.g. 7d)",
      }),
    })
    .optional()
    .meta({
      description:
        "pulsar only: older segments move from the brokers' disks to object storage, priced apart in the cost section",
    }),
  outputBufferLimit: Size.refine((v) => v > 0, "must be greater than zero")
    .optional()
    .meta({
      description:
        "redis-pubsub only: a subscriber more than this many bytes of messages behind is disconnected and misses them (client-output-buffer-limit pubsub, default 32MiB)",
    }),
  concurrency: PositiveInt.optional().meta({
    description: "appends one broker works on at once: its request handler threads (default: the profile's)",
  }),
  appendTime: DurationDist.optional().meta({
    description: "time a handler thread spends appending one message (default: the profile's)",
  }),
  queue: QueueBound.optional().meta({
    description: "publishes waiting per broker before refusing with queue-full (default 1000)",
  }),
  retention: z
    .strictObject({
      time: PositiveDuration.optional().meta({
        description: "messages are deleted once older than this, a segment at a time (default 7d)",
      }),
      size: Size.refine((v) => v > 0, "must be greater than zero")
        .optional()
        .meta({
          description:
            "per partition: the oldest segments are deleted while the log holds more (default: no limit)",
        }),
    })
    .optional()
    .meta({ description: "how long messages are kept, whether or not they were consumed" }),
  segment: PositiveInt.optional().meta({
    description: "messages per log segment; retention deletes whole segments (default 1000)",
  }),
  replication: z
    .strictObject({
      factor: PositiveInt.meta({
        description:
          "replicas of each partition, the leader included, on consecutive brokers (at most brokers)",
      }),
      acks: z
        .union([z.literal(1), z.literal("all")])
        .optional()
        .meta({
          description:
            "when a publish is acknowledged: 1 (default) once the leader has appended it, all once every in-sync replica has it",
        }),
      failover: PositiveDuration.optional().meta({
        description: "time from a leader's death to an in-sync follower taking over (default 9s)",
      }),
      minInsync: PositiveInt.optional().meta({
        description:
          "with acks all: in-sync replicas, the leader included, a publish needs, else it is refused with not-enough-replicas (min.insync.replicas, default 1)",
      }),
      replicaLagMax: PositiveDuration.optional().meta({
        description:
          "a follower not caught up to its leader for this long leaves the in-sync replicas (replica.lag.time.max.ms, default 30s)",
      }),
    })
    .optional()
    .meta({ description: "copies of each partition on other brokers, and leader failover" }),
  fetchWait: PositiveDuration.optional().meta({
    description:
      "longest a consumer's fetch waits at the broker for messages before it is answered empty (default 500ms)",
  }),
  instanceType: InstanceType.optional(),
  zone: Name.optional().meta({ description: "zone of every broker (default: the first zone)" }),
  zones: z.array(Name).min(1).optional().meta({ description: "brokers are spread over these zones in turn" }),
});

export const QueueSchema = z.strictObject({
  kind: z.literal("queue").meta({
    description:
      "a work queue (SQS/RabbitMQ-style): consumers compete for its messages, each deleted once acknowledged",
  }),
  profile: z.enum(QUEUE_PROFILES).optional().meta({
    description:
      "the broker, its node numbers and delivery semantics (docs/brokers.md): sqs (default; so many threads it never limits), rabbitmq (~50K messages/s per node), redis-list (LPUSH + BRPOP, no acknowledgement) or redis-streams (a consumer group with a pending entries list and XAUTOCLAIM)",
  }),
  claim: z
    .strictObject({
      minIdle: PositiveDuration.meta({
        description:
          "an entry pending (delivered, not XACKed) longer than this is claimed by a live consumer",
      }),
      every: PositiveDuration.optional().meta({
        description: "how often the consumers run XAUTOCLAIM (default 5s)",
      }),
    })
    .optional()
    .meta({
      description:
        "redis-streams only: reclaiming a dead or slow consumer's pending entries (XAUTOCLAIM); default minIdle 30s, every 5s",
    }),
  type: z.enum(["standard", "fifo"]).optional().meta({
    description:
      "standard (default): best-effort order, a message made visible again goes to the back; fifo: in order per key (message group), one message of a group out at a time",
  }),
  priorities: z.boolean().optional().meta({
    description: "a priority queue: messages of more important requests are received first (default false)",
  }),
  nodes: PositiveInt.optional().meta({ description: "nodes taking in messages (default 1)" }),
  concurrency: PositiveInt.optional().meta({
    description: "sends one node takes in at once (default: the profile's)",
  }),
  opTime: DurationDist.optional().meta({
    description: "time a node spends taking in one message (default: the profile's)",
  }),
  queue: QueueBound.optional().meta({
    description: "sends waiting per node before refusing with queue-full (default 1000)",
  }),
  visibilityTimeout: PositiveDuration.optional().meta({
    description: "how long a received message stays invisible before it is delivered again (default 30s)",
  }),
  maxReceives: PositiveInt.optional().meta({
    description: "receives after which a message goes to the dead-letter queue instead (default: no limit)",
  }),
  deadLetter: Name.optional().meta({ description: "the queue messages received maxReceives times go to" }),
  maxLength: PositiveInt.optional().meta({
    description: "most messages the queue holds (default: no limit); see overflow",
  }),
  overflow: z.enum(["reject", "block"]).optional().meta({
    description:
      "a send to a full queue: reject (default: fails with queue-full) or block (waits, without a thread, until a message is deleted)",
  }),
  receiveWait: PositiveDuration.optional().meta({
    description:
      "longest a receive waits for a message before it is answered empty (default 500ms; redis-list: the BRPOP timeout, default 5s)",
  }),
  instanceType: InstanceType.optional(),
  pricing: Pricing.optional().meta({
    description:
      "sqs-standard or sqs-fifo: priced per million requests (a send, a receive and a delete per message)",
  }),
  zone: Name.optional().meta({ description: "zone of every node (default: the first zone)" }),
  zones: z.array(Name).min(1).optional().meta({ description: "nodes are spread over these zones in turn" }),
});

export const ExchangeSchema = z.strictObject({
  kind: z.literal("exchange").meta({
    description:
      "an AMQP exchange (RabbitMQ): publishes to it are copied into the bound queues whose bindings match",
  }),
  type: z.enum(["direct", "topic", "fanout", "headers"]).meta({
    description:
      "direct: a binding takes the messages whose routing key equals its key; topic: its key is a pattern of dot-separated words, * one word, # zero or more; fanout: every binding takes every message; headers: its header values, all or any, equal the message's",
  }),
  bindings: z
    .array(
      z.strictObject({
        queue: Name.meta({
          description: "the bound queue: it gets one copy of each message the binding takes",
        }),
        key: z.string().optional().meta({
          description:
            "direct: the routing key; topic: the pattern (e.g. order.*.eu, order.#); not for fanout or headers",
        }),
        headers: HeaderValues.optional().meta({
          description: "headers only: the header values this binding asks for (e.g. { format: pdf })",
        }),
        match: z.enum(["all", "any"]).optional().meta({
          description:
            "headers only: all (default) of the values must equal the message's, or any one (x-match)",
        }),
      }),
    )
    .min(1)
    .meta({ description: "the queues it routes to, and which messages each takes" }),
  alternateExchange: Name.optional().meta({
    description:
      "an exchange that gets the messages no binding takes (default none: they are dropped, or returned to a mandatory publish)",
  }),
  nodes: PositiveInt.optional().meta({ description: "broker nodes routing messages (default 1)" }),
  concurrency: PositiveInt.optional().meta({
    description: "messages one node routes at once (default: the rabbitmq queue profile's, 4)",
  }),
  opTime: DurationDist.optional().meta({
    description:
      "time a node spends routing one copy of a message into a queue (at least one per publish; default: the rabbitmq profile's, ~50K copies/s per node)",
  }),
  queue: QueueBound.optional().meta({
    description: "publishes waiting per node before refusing with queue-full (default 1000)",
  }),
  zone: Name.optional().meta({ description: "zone of every node (default: the first zone)" }),
  zones: z.array(Name).min(1).optional().meta({ description: "nodes are spread over these zones in turn" }),
});

export const ConsumerSchema = z.strictObject({
  kind: z.literal("consumer").meta({
    description:
      "a consumer group: instances with workers that read a topic's partitions and run steps for each message",
  }),
  topic: Name.optional().meta({ description: "the topic it reads (or queue)" }),
  queue: Name.optional().meta({ description: "the work queue it takes messages from (or topic)" }),
  group: Name.optional().meta({
    description: "the group's name, unique among the topic's groups (default: the component's name)",
  }),
  instances: PositiveInt.optional().meta({
    description:
      "consumer instances (default 1, or autoscale.min); each partition is read by one of them, so those beyond the partition count idle",
  }),
  autoscale: ConsumerAutoscaleSchema.optional(),
  concurrency: PositiveInt.optional().meta({
    description: "messages of its batch one instance processes at once (default 1)",
  }),
  batch: PositiveInt.optional().meta({
    description: "most messages one fetch returns (max.poll.records, default 500)",
  }),
  steps: z
    .array(StepSchema)
    .min(1)
    .meta({ description: "what is done for each message, as a service route's steps" }),
  commit: z.enum(["before", "after", "auto"]).optional().meta({
    description:
      "when a batch's offsets are committed: after processing it (default; a crash redelivers, so at least once), before (a crash loses, so at most once), or auto (topic only: every autoCommitInterval, what was fetched, processed or not; a crash may do both)",
  }),
  autoCommitInterval: PositiveDuration.optional().meta({
    description:
      "with commit: auto, time between an instance's commits of its fetch positions (Kafka's auto.commit.interval.ms, default 5s)",
  }),
  assignment: z.enum(["range", "round-robin"]).optional().meta({
    description:
      "how partitions are shared among live instances: range (contiguous runs, default) or round-robin",
  }),
  startAt: z.enum(["earliest", "latest"]).optional().meta({
    description:
      "where the group starts reading when it joins: latest (new messages only, default) or earliest (every retained message: a replay)",
  }),
  start: Duration.optional().meta({ description: "when the group joins (default 0s)" }),
  resets: z
    .array(
      z.strictObject({
        at: Duration.meta({ description: "when the reset is asked for (after the group joins)" }),
        to: z
          .union([
            z.enum(["earliest", "latest"]),
            z
              .number()
              .int()
              .min(0)
              .transform((offset) => ({ offset })),
            Duration.transform((time) => ({ time })),
          ])
          .meta({
            description:
              "where every partition's offset goes: earliest (a replay of what is retained), latest (the lag is skipped), an offset (e.g. 1200) or a time (e.g. 30s: the first message appended since)",
          }),
      }),
    )
    .min(1)
    .optional()
    .meta({
      description:
        "offset resets: at each, the group stops (as for a rebalance) and its committed offsets move (kafka-consumer-groups --reset-offsets)",
    }),
  sessionTimeout: PositiveDuration.optional().meta({
    description: "time for the group to notice a dead instance and rebalance its partitions (default 10s)",
  }),
  rebalance: z.enum(["eager", "cooperative"]).optional().meta({
    description:
      "eager (default): a rebalance stops every instance; cooperative: only the partitions changing owner stop, the others are read throughout",
  }),
  rebalancePause: Duration.optional().meta({
    description:
      "how long a rebalance stops the whole group before partitions are shared out again (default 3s)",
  }),
  attempts: PositiveInt.optional().meta({
    description: "tries per delivery of a message whose steps fail, before it is given up (default 1)",
  }),
  dedup: z
    .strictObject({
      ttl: PositiveDuration.meta({ description: "how long a processed message's id is remembered" }),
    })
    .optional()
    .meta({
      description:
        "an idempotent consumer: ids of processed messages are stored, and a message whose id is there is skipped, not processed again",
    }),
  alertAbove: LagThreshold.optional().meta({
    description:
      "a lag alert: seconds when the group's lag is above this (messages, e.g. 10k, or age, e.g. 30s) are counted",
  }),
  localCache: LocalCacheSchema.optional().meta({
    description: "an in-process (L1) cache in every instance, for read steps with l1: true",
  }),
  calls: z.record(z.string(), CallPolicySchema).optional().meta({
    description:
      "per dependency (a component its steps call, read, write or publish to): timeout, retries, circuit breaker, ...",
  }),
  instanceType: InstanceType.optional(),
  zone: Name.optional().meta({ description: "zone it runs in (default: the first zone)" }),
  zones: z
    .array(Name)
    .min(1)
    .optional()
    .meta({ description: "instances are spread over these zones in turn" }),
});

// ---------- cache ----------

export const CacheSchema = z.strictObject({
  kind: z.literal("cache").meta({ description: "a cache node, or a cluster of them, holding real keys" }),
  capacity: z.union([z.string(), z.number()]).meta({
    description: "per node: entries (e.g. 10k) or bytes (e.g. 64MiB)",
    examples: ["10k", "64MiB"],
  }),
  profile: z.enum(["redis", "memcached"]).optional().meta({
    description:
      "node defaults from the catalogue: redis (single-threaded, ~100K ops/s) or memcached (4 threads); concurrency and opTime override them",
  }),
  nodes: PositiveInt.optional().meta({ description: "nodes the keys are sharded over (default 1)" }),
  sharding: z.enum(["consistent-hash", "hash", "rendezvous"]).optional().meta({
    description:
      "how clients map keys to nodes: consistent-hash (default, with vnodes), hash (mod N) or rendezvous",
  }),
  vnodes: PositiveInt.optional().meta({
    description: "consistent-hash: ring positions per node (default 150)",
  }),
  replicas: z
    .union([PositiveInt, z.literal(0)])
    .optional()
    .meta({ description: "replicas per node, receiving its writes asynchronously (default 0)" }),
  ejectAfter: Duration.optional().meta({
    description: "time for clients to notice a dead node and take it out of the ring (default 1s)",
  }),
  failoverAfter: Duration.optional().meta({
    description: "with replicas: time until a replica takes over a dead primary (default 15s)",
  }),
  resyncBandwidth: Bandwidth.optional().meta({
    description:
      "with replicas: how fast a replica that (re)joins copies its primary's data in a full resync, during which it cannot be promoted (default 1Gbps)",
  }),
  agingWindow: PositiveCount.optional().meta({
    description: "eviction: lfu-aging: references between halvings of the counts (default 10 × capacity)",
  }),
  hotKeys: z
    .strictObject({
      top: PositiveCount.meta({ description: "how many of the most popular keys (numbered from 0) are hot" }),
      copies: z.number().int().min(2).meta({ description: "nodes holding each hot key" }),
    })
    .optional()
    .meta({
      description:
        "replicate the hottest keys on several nodes and read any copy, spreading a hot key's load",
    }),
  doorkeeper: z.boolean().optional().meta({
    description: "eviction: w-tinylfu: a Bloom filter in front of its frequency sketch (default false)",
  }),
  eviction: z
    .enum(EVICTION_POLICIES as [EvictionPolicyName, ...EvictionPolicyName[]])
    .optional()
    .meta({
      description:
        "default lru; lfu-aging halves its counts every 10 × capacity references, slru keeps 80% for entries used twice, arc adapts between recency and frequency, w-tinylfu admits to its main space only keys seen more often than its victim",
    }),
  ttl: PositiveDuration.optional().meta({ description: "time to live of an entry (default none)" }),
  ttlJitter: Percent.optional().meta({
    description:
      "each entry's time to live is drawn uniformly from ttl x [1 - j, 1 + j], so entries stored together do not expire together (default 0%)",
  }),
  reads: z
    .enum(READ_STRATEGIES as [ReadStrategy, ...ReadStrategy[]])
    .optional()
    .meta({
      description:
        "cache-aside (default): on a miss the service reads the database and fills the cache; read-through: the cache loads from the database itself and answers",
    }),
  writes: z
    .enum(WRITE_STRATEGIES as [WriteStrategy, ...WriteStrategy[]])
    .optional()
    .meta({
      description:
        "what a write step naming this cache does: invalidate (default: write the database, then delete the key), update (then set the new value), write-through (the cache writes the database and answers when both hold it), write-behind (the cache answers at once and flushes dirty keys in batches), write-around (the database only)",
    }),
  writeBehind: z
    .strictObject({
      interval: PositiveDuration.optional().meta({ description: "time between flushes (default 1s)" }),
      batch: PositiveInt.optional().meta({
        description: "most dirty keys one flush writes (default 1000)",
      }),
    })
    .optional()
    .meta({ description: "writes: write-behind: how dirty keys are flushed to the database" }),
  stampede: z
    .union([
      z.enum(STAMPEDE_DEFENCES as [StampedeDefence, ...StampedeDefence[]]),
      z.strictObject({
        defence: z.enum(STAMPEDE_DEFENCES as [StampedeDefence, ...StampedeDefence[]]).meta({
          description: "none, lock, coalesce, stale-while-revalidate, xfetch or refresh-ahead",
        }),
        whileLocked: z.enum(["retry", "stale"]).optional().meta({
          description:
            "lock: a request that finds the key locked asks again after retryAfter (retry, default) or takes the expired value (stale)",
        }),
        retryAfter: PositiveDuration.optional().meta({
          description: "lock: pause before asking the cache again (default 50ms)",
        }),
        lockTtl: PositiveDuration.optional().meta({
          description:
            "lock: a lock its holder never released lapses after this; also bounds a background refresh (default 10s)",
        }),
        staleFor: PositiveDuration.optional().meta({
          description:
            "stale-while-revalidate, and lock with whileLocked: stale: how long past its TTL an entry may still be served (default: the ttl)",
        }),
        beta: PositiveCount.optional().meta({
          description: "xfetch: above 1 recomputes earlier, below 1 later (default 1)",
        }),
        refreshAhead: Percent.optional().meta({
          description:
            "refresh-ahead: a hit in this last fraction of the TTL refreshes the key (default 20%)",
        }),
      }),
    ])
    .optional()
    .meta({
      description:
        "defence against a hot key's expiry sending every concurrent reader to the database: none (default), lock, coalesce, stale-while-revalidate, xfetch or refresh-ahead, or { defence, ... } with its settings",
    }),
  prewarm: PositiveInt.optional().meta({
    description:
      "the prewarm most popular keys (0..prewarm-1) are in the cache when the run starts, loaded before the traffic was let in (default 0)",
  }),
  negativeTtl: PositiveDuration.optional().meta({
    description: 'cache "not found" answers for this long (default: not cached)',
  }),
  bloom: z
    .union([
      z.literal(true),
      z.strictObject({
        falsePositiveRate: Percent.optional().meta({
          description: "the filter's target false-positive rate (default 1%)",
        }),
        rebuildEvery: PositiveDuration.optional().meta({
          description: "the filter is rebuilt from the keys that exist this often (default: never)",
        }),
      }),
    ])
    .optional()
    .meta({
      description:
        "a Bloom filter of the keys that exist, in front of the database: reads of keys it does not hold are answered not found at once",
    }),
  opTime: DurationDist.optional().meta({ description: "time to serve one get/set/delete (default 50us)" }),
  concurrency: PositiveInt.optional().meta({
    description: "operations served at once (default 1, like Redis)",
  }),
  queue: QueueBound.optional().meta({
    description: "operations waiting before refusing (default 10000, or unbounded)",
  }),
  instanceType: InstanceType.optional(),
  zone: Name.optional().meta({ description: "zone it runs in (default: the first zone)" }),
  zones: z.array(Name).min(1).optional().meta({
    description: "instances are spread over these zones in turn (each node's primary, then its replicas)",
  }),
});

// ---------- cdn ----------

const CdnRouteSchema = z
  .strictObject({
    cacheControl: z
      .string()
      .optional()
      .meta({
        description:
          'the Cache-Control the origin sends with this route\'s responses, e.g. "public, max-age=3600, stale-while-revalidate=60", "private" or "no-store" (default "max-age=3600")',
        examples: ["public, max-age=86400", "private", "s-maxage=60, stale-while-revalidate=30"],
      }),
    size: SizeDist.optional().meta({
      description: "size of one object, drawn once per key so that a key keeps its size (default 64KiB)",
    }),
    push: z
      .union([z.literal("all"), PositiveInt])
      .optional()
      .meta({
        description:
          "push CDN: the N most popular keys (0..N-1), or all of the route's keys, are stored at every PoP before traffic starts, as many as fit (default none: pull on a miss)",
      }),
    onUpdate: z.enum(["purge", "versioned", "none"]).optional().meta({
      description:
        "when an update changes an object: purge (default) drops the copies, each PoP after its own purgeDelay; versioned URLs make the new content a new key; none leaves copies to expire",
    }),
    perUser: z.boolean().optional().meta({
      description:
        "the response carries the requesting user's own data (an account page): a copy served to another user is a leak (default false)",
    }),
    variesBy: z.array(z.string()).optional().meta({
      description: "request headers the response's content depends on, e.g. [accept-language] (default none)",
    }),
    vary: z.array(z.string()).optional().meta({
      description:
        "the Vary header the origin sends: the edge keeps a copy per value of these request headers (default variesBy; fewer serves the wrong variant)",
    }),
  })
  .meta({ description: "how the edge treats one route's responses" });

export const CdnSchema = z.strictObject({
  kind: z
    .literal("cdn")
    .meta({ description: "edge PoPs per region, each with its own cache, in front of an origin" }),
  origin: Name.meta({ description: "the load balancer or service behind the CDN" }),
  pops: z.array(Name).min(1).optional().meta({
    description:
      "regions with a PoP (default every region); users go to their region's PoP, else the nearest",
  }),
  shield: Name.optional().meta({
    description: "region of an origin-shield tier: a mid-tier cache every PoP fills from (default none)",
  }),
  capacity: Size.refine((v) => v > 0, "must be greater than zero")
    .optional()
    .meta({ description: "cache size of each PoP and of the shield, in bytes (default 10GiB)" }),
  eviction: z
    .enum(EVICTION_POLICIES as [EvictionPolicyName, ...EvictionPolicyName[]])
    .optional()
    .meta({ description: "eviction policy of every PoP's cache (default lru)" }),
  edgeTime: DurationDist.optional().meta({
    description: "time a PoP takes to answer from its cache or to forward a miss (default 500us)",
  }),
  collapse: z.boolean().optional().meta({
    description:
      "request collapsing: concurrent misses for one object share one upstream fetch (default true)",
  }),
  purgeDelay: DurationDist.optional().meta({
    description: "time a purge takes to reach one PoP, drawn per PoP (default uniform(2s, 10s))",
  }),
  failover: Duration.optional().meta({
    description:
      "time from a PoP going down (or coming back) until users are steered to the next-nearest PoP that is up (or back): anycast route withdrawal or a CDN mapping update (default 10s)",
  }),
  workers: PositiveInt.optional().meta({
    description: "requests each PoP (and the shield) works on at once (default unbounded)",
  }),
  queue: z
    .union([PositiveInt, z.literal(0)])
    .optional()
    .meta({
      description:
        "with workers: requests waiting for a worker at each PoP before it refuses more with queue-full (default unbounded)",
    }),
  bandwidth: Bandwidth.optional().meta({
    description:
      "each PoP's (and the shield's) link to those it answers, shared by the bodies crossing it at once (default unlimited: no transfer time)",
  }),
  browser: z
    .strictObject({
      capacity: Size.refine((v) => v > 0, "must be greater than zero").meta({
        description: "bytes each user's browser keeps (its disk cache, e.g. 1GB)",
      }),
    })
    .optional()
    .meta({
      description:
        "each user's browser cache in front of the CDN: copies kept for max-age, revalidated with If-None-Match when stale (default none)",
    }),
  originBandwidth: Bandwidth.optional().meta({
    description:
      "the origin's link to the CDN, shared by the bodies it sends at once (default unlimited: no transfer time)",
  }),
  pricing: Pricing.optional().meta({ description: "cloudfront: priced per GB served and per 10k requests" }),
  routes: z
    .record(z.string(), CdnRouteSchema)
    .optional()
    .meta({ description: 'caching per route; "*" applies to routes without their own entry' }),
  updates: z
    .array(
      z.strictObject({
        at: Duration.meta({ description: "when the content changes at the origin" }),
        route: z
          .string()
          .optional()
          .meta({ description: "the route whose objects change (default every route)" }),
        keys: z.array(KeyRange).min(1).optional().meta({
          description: "the keys that change: keys and ranges a..b, both ends included (default all)",
        }),
      }),
    )
    .optional()
    .meta({ description: "content changes at the origin during the run, and the purges they cause" }),
});

// ---------- database ----------

const ReplicationSchema = z
  .strictObject({
    mode: z.enum(["async", "sync", "semi-sync"]).optional().meta({
      description:
        "async (default): a write is acknowledged once the primary commits; sync: once every replica has received it; semi-sync: once `acks` replicas have",
    }),
    acks: PositiveInt.optional().meta({
      description: "semi-sync: replicas that must acknowledge (default 1)",
    }),
    applyTime: DurationDist.optional().meta({
      description:
        "time a replica takes to apply one log entry, one at a time, holding one of its connections (default lognormal(median=0.5ms, p99=2ms))",
    }),
    logRetention: PositiveCount.optional().meta({
      description:
        "entries the primary's log keeps (capped, like MongoDB's oplog); a replica further behind must copy a snapshot (default: unbounded)",
    }),
    canary: z
      .union([
        z.literal(true),
        z.strictObject({
          interval: PositiveDuration.optional().meta({
            description: "how often the monitor writes its timestamp (default 30s)",
          }),
          alertAbove: PositiveDuration.optional().meta({
            description: "the measured lag above which the alert fires (default 1s)",
          }),
        }),
      ])
      .optional()
      .meta({
        description:
          "lag monitoring by canary writes: a timestamp written to the primary every interval and watched for on each replica",
      }),
    snapshotTime: DurationDist.optional().meta({
      description:
        "time to copy a snapshot to a replica that fell off the log or must be rebuilt after a failover (default 0s: instant)",
    }),
    format: z.enum(["row", "statement", "mixed"]).optional().meta({
      description:
        "what the log ships: row (before and after images, default), statement (the statement, replayed by the replica) or mixed (statements, but rows for non-deterministic ones)",
    }),
    nondeterministic: Percent.optional().meta({
      description:
        "share of writes that call non-deterministic functions (NOW(), RAND(), UUID()); replayed as statements they give the replica a value of its own (default 0%)",
    }),
    statementSize: SizeDist.optional().meta({
      description: "statement and mixed formats: bytes of a statement in the log (default 100B)",
    }),
  })
  .meta({ description: "how writes reach the replicas" });

const FailoverSchema = z
  .strictObject({
    heartbeat: PositiveDuration.optional().meta({ description: "primary's heartbeat interval (default 2s)" }),
    timeout: PositiveDuration.optional().meta({
      description: "silence after which a replica suspects the primary (default 10s)",
    }),
    electionTimeout: PositiveDuration.optional().meta({
      description: "a suspecting replica stands for election after a random wait in [t, 2t] (default 150ms)",
    }),
    discovery: Duration.optional().meta({
      description: "time for clients to learn the new primary after the election (default 0s)",
    }),
    fencing: z.boolean().optional().meta({
      description:
        "refuse a deposed primary's writes (default true); false lets a cut-off primary keep writing (split brain)",
    }),
  })
  .meta({ description: "automatic failover: heartbeats, detection, Raft-style election" });

export const DatabaseSchema = z.strictObject({
  kind: z
    .literal("database")
    .meta({ description: "a primary, optional replicas, each node a connection pool" }),
  replicas: z
    .union([PositiveInt, z.literal(0)])
    .optional()
    .meta({ description: "replicas besides the primary (default 0)" }),
  zones: z.array(Name).min(1).optional().meta({
    description: "nodes are spread over these zones in turn; node 0 (the first primary) is in the first",
  }),
  shards: PositiveInt.optional().meta({
    description: "shards, each a primary with its own replicas holding part of the keys (default 1)",
  }),
  sharding: z
    .strictObject({
      strategy: z
        .enum([
          "hash",
          "consistent-hash",
          "rendezvous",
          "jump",
          "slots",
          "logical",
          "range",
          "list",
          "composite",
          "round-robin",
          "geo",
          "directory",
        ])
        .optional()
        .meta({
          description:
            "how keys map to shards: hash (mod N, default), consistent-hash, rendezvous, jump, slots (16,384 hash slots), logical (logical shards placed on the physical ones by a table), range (contiguous key ranges), list (keys listed per shard), composite (listed keys choose a group of shards, hashed within it), round-robin (the i-th new key on shard i mod N; reads must scatter), geo (the home region of the user the key belongs to) or directory (a lookup service)",
        }),
      directory: Name.optional().meta({
        description: "directory: the service that answers lookups (route lookup) before each read or write",
      }),
      cacheTtl: Duration.optional().meta({
        description: "directory: how long a caller caches a lookup (default 60s; 0 asks every time)",
      }),
      pin: z.record(z.string(), z.number().int().min(0)).optional().meta({
        description:
          "directory: keys placed on a shard of their own choosing (e.g. a hot tenant's), others by hash",
      }),
      regions: z.record(z.string(), z.number().int().min(0)).optional().meta({
        description: "geo: the shard of each region (default: region i of the network in shard i mod shards)",
      }),
      vnodes: PositiveInt.optional().meta({
        description: "consistent-hash: ring positions per shard (default 150)",
      }),
      weights: z.array(PositiveCount).optional().meta({
        description:
          "consistent-hash: relative capacity of each shard; a shard of weight 2 gets twice the ring positions",
      }),
      lists: z.record(z.string(), z.array(KeyRange).min(1)).optional().meta({
        description:
          "list: the keys each shard holds, by shard number: keys and ranges a..b (both ends included)",
      }),
      groups: z
        .array(
          z.strictObject({
            keys: z.array(KeyRange).min(1).meta({
              description: "the keys the group holds: keys and ranges a..b (both ends included)",
            }),
            shards: z.array(ShardNumber).min(1).meta({ description: "the shards its keys are hashed over" }),
          }),
        )
        .min(1)
        .optional()
        .meta({ description: "composite: groups of shards, each holding the keys it lists" }),
      default: z
        .union([ShardNumber, z.array(ShardNumber).min(1)])
        .optional()
        .meta({
          description:
            "list: the shard of every key no list names; composite: the shards those keys are hashed over",
        }),
      logicalShards: PositiveInt.optional().meta({
        description:
          "logical: logical shards a key hashes to, placed on the physical shards by a table (default 4096)",
      }),
      keySpace: PositiveCount.optional().meta({
        description:
          "range: the key space split into equal ranges (default the largest key count of the workloads)",
      }),
    })
    .optional()
    .meta({ description: "how keys are spread over shards" }),
  reshard: z
    .strictObject({
      at: Duration.meta({ description: "when the resharding starts" }),
      shards: PositiveInt.meta({ description: "the new number of shards" }),
    })
    .optional()
    .meta({ description: "change the number of shards during the run, copying the keys that move" }),
  replication: ReplicationSchema.optional(),
  failover: z
    .union([z.literal(true), FailoverSchema])
    .optional()
    .meta({ description: "true (or settings) for automatic failover; needs at least 2 replicas" }),
  isolation: Isolation.optional().meta({
    description:
      "isolation level of reads and read-modify-writes that do not set their own (default read-committed)",
  }),
  connections: PositiveInt.optional().meta({
    description: "connection pool size: queries served at once (default 100)",
  }),
  queue: QueueBound.optional().meta({
    description: "queries waiting for a connection before refusing (default 1000)",
  }),
  readTime: DurationDist.optional().meta({ description: "default lognormal(median=2ms, p99=10ms)" }),
  writeTime: DurationDist.optional().meta({ description: "default lognormal(median=4ms, p99=20ms)" }),
  valueSize: SizeDist.optional().meta({ description: "size of a stored value (default 1KiB)" }),
  sizeCost: z
    .strictObject({
      unit: PositiveDuration.meta({
        description: "time of one step (a comparison, a level walked) of an operation",
      }),
      entries: PositiveCount.optional().meta({
        description:
          "N: entries in the structure every operation works on, e.g. the players on a leaderboard (default the largest key count of the workloads)",
      }),
      read: Growth.optional().meta({
        description:
          "how a read's steps grow with N: constant (1), log (log2 N, a tree or skip list), linear (N, a scan) or n-log-n (N log2 N, a sort) (default constant)",
      }),
      write: Growth.optional().meta({
        description: "how a write's (and a replica's apply of it) steps grow with N (default constant)",
      }),
    })
    .optional()
    .meta({
      description:
        "cost by data size: every operation takes unit x steps(N) on top of readTime, writeTime or applyTime",
    }),
  instanceType: InstanceType.optional(),
  storage: Storage.optional(),
  zone: Name.optional().meta({ description: "zone it runs in (default: the first zone)" }),
});

// ---------- relay (outbox relay, change-data-capture connector) ----------

export const RelaySchema = z.strictObject({
  kind: z.literal("relay").meta({
    description:
      "one process that publishes a database's events to a topic: the rows of its transactional outbox, or every committed write (change data capture)",
  }),
  from: Name.meta({ description: "the database whose outbox or log it reads" }),
  to: Name.meta({ description: "the topic it publishes to (keyed by the row's key)" }),
  source: z.enum(["outbox", "log"]).optional().meta({
    description:
      "outbox (default): the event rows write steps with outbox: <to> commit with their rows; log: a change for every write committed on the database (CDC), whose consumers' writes are counted as applies to an index",
  }),
  interval: PositiveDuration.optional().meta({
    description: "pause between polls that found less than a full batch (default 100ms)",
  }),
  batch: PositiveInt.optional().meta({
    description: "most rows read, published and marked sent per poll (default 100)",
  }),
  size: SizeDist.optional().meta({ description: "bytes of each message (default 1KiB)" }),
  zone: Name.optional().meta({ description: "zone it runs in (default: the first zone)" }),
});

// ---------- quorum store ----------

export const QuorumStoreSchema = z.strictObject({
  kind: z.literal("quorum-store").meta({
    description: "a leaderless (Dynamo-style) replicated key-value store with quorum reads and writes",
  }),
  nodes: PositiveInt.optional().meta({ description: "nodes in the cluster (default 3)" }),
  replicationFactor: PositiveInt.optional().meta({
    description: "N: copies of each key, on distinct nodes (default 3)",
  }),
  replication: z.record(z.string(), PositiveInt).optional().meta({
    description:
      "copies of each key per datacenter (a network region), on distinct nodes of that region, e.g. { us-east: 3, eu-west: 3 }; instead of replicationFactor (N is their sum)",
  }),
  r: Level.optional().meta({ description: "R: replies a read waits for (default quorum)" }),
  w: Level.optional().meta({ description: "W: acknowledgements a write waits for (default quorum)" }),
  readRepair: z.boolean().optional().meta({
    description: "a read sends the newest version to replicas that answered with an older one (default true)",
  }),
  antiEntropy: Duration.optional().meta({
    description: "interval of anti-entropy repair rounds between replicas (default 0s: none)",
  }),
  hintTtl: PositiveDuration.optional().meta({
    description: "hinted handoff: hints older than this are dropped, not replayed (default 3h)",
  }),
  hintedHandoff: z.boolean().optional().meta({
    description:
      "sloppy quorum: writes for a dead replica go to the next node, replayed later (default false)",
  }),
  vnodes: PositiveInt.optional().meta({ description: "ring positions per node (default 64)" }),
  connections: PositiveInt.optional().meta({ description: "queries one node serves at once (default 100)" }),
  queue: QueueBound.optional().meta({
    description: "queries waiting per node before refusing (default 1000)",
  }),
  readTime: DurationDist.optional().meta({ description: "default lognormal(median=1ms, p99=5ms)" }),
  writeTime: DurationDist.optional().meta({ description: "default lognormal(median=1ms, p99=5ms)" }),
  valueSize: SizeDist.optional().meta({ description: "size of a stored value (default 1KiB)" }),
  instanceType: InstanceType.optional(),
  storage: Storage.optional(),
  zone: Name.optional().meta({ description: "zone of every node (default: the first zone)" }),
  zones: z.array(Name).min(1).optional().meta({ description: "nodes are spread over these zones in turn" }),
});

// ---------- multi-leader store ----------

export const MultiLeaderSchema = z.strictObject({
  kind: z.literal("multi-leader").meta({
    description: "several leaders (e.g. one per region) that each accept writes and replicate to the others",
  }),
  leaders: PositiveInt.optional().meta({ description: "leader nodes (default 2)" }),
  resolution: z.enum(["lww", "version-vectors", "crdt-counter"]).optional().meta({
    description:
      "how concurrent writes are reconciled: lww (last write wins, default), version-vectors (keep siblings), crdt-counter (every write an increment)",
  }),
  clockSkew: z.array(Duration).optional().meta({
    description: "per leader: how far its clock is ahead, which decides lww winners (default 0)",
  }),
  applyTime: DurationDist.optional().meta({
    description: "time a leader takes to apply a replicated write (default lognormal(median=0.5ms, p99=2ms))",
  }),
  connections: PositiveInt.optional().meta({
    description: "operations one leader serves at once (default 100)",
  }),
  queue: QueueBound.optional().meta({
    description: "operations waiting per leader before refusing (default 1000)",
  }),
  readTime: DurationDist.optional().meta({ description: "default lognormal(median=1ms, p99=5ms)" }),
  writeTime: DurationDist.optional().meta({ description: "default lognormal(median=1ms, p99=5ms)" }),
  valueSize: SizeDist.optional().meta({ description: "size of a stored value (default 1KiB)" }),
  instanceType: InstanceType.optional(),
  storage: Storage.optional(),
  zone: Name.optional().meta({ description: "zone of every leader (default: the first zone)" }),
  zones: z.array(Name).min(1).optional().meta({ description: "leaders are spread over these zones in turn" }),
});

// ---------- realtime gateway ----------

export const RealtimeSchema = z.strictObject({
  kind: z.literal("realtime").meta({
    description:
      "gateway instances keeping a population of clients up to date by short polling, long polling, SSE or WebSockets",
  }),
  model: z.enum(REALTIME_MODELS).meta({
    description:
      "short-poll (a request every interval), long-poll (a request held until an event or the timeout), sse or websocket (an open connection events are pushed down)",
  }),
  clients: PositiveInt.meta({ description: "connected users (ids 0..clients-1)" }),
  instances: PositiveInt.optional().meta({ description: "gateway instances (default 1)" }),
  connections: PositiveInt.optional().meta({
    description:
      "connections one instance holds at most: open connections, held long polls, polls being answered (default per model)",
  }),
  memoryPerConnection: Size.optional().meta({
    description: "server memory one held connection takes (default per model, e.g. 2KiB for websocket)",
  }),
  interval: PositiveDuration.optional().meta({
    description: "short-poll: time between a client's polls (default 5s)",
  }),
  timeout: PositiveDuration.optional().meta({
    description: "long-poll: how long a request is held before an empty answer (default 30s)",
  }),
  pause: Duration.optional().meta({
    description: "long-poll: the client's wait between an answer and its next request (default 0s)",
  }),
  requestTime: Duration.optional().meta({
    description:
      "server time to handle a poll or a connection handshake before answering it, holding a connection (default 1ms)",
  }),
  eventsPerUser: Rate.optional().meta({
    description:
      "the gateway's own event source: events published per client per second, Poisson (e.g. 1/min); default none (events come from notify steps)",
  }),
  offlineStore: z.boolean().optional().meta({
    description:
      "events are kept in a durable store until delivered, surviving crashes and disconnections (default false: they wait only in the memory of the instance the user is registered at)",
  }),
  maxPending: PositiveInt.optional().meta({
    description: "events one user's mailbox holds; more drop the oldest (default 1000)",
  }),
  reconnect: z
    .strictObject({
      base: Duration.optional().meta({
        description: "the first reconnection's wait before jitter (default 1s; 3s for sse)",
      }),
      cap: PositiveDuration.optional().meta({ description: "the longest wait (default 30s; 3s for sse)" }),
      multiplier: z.number().min(1).optional().meta({
        description: "growth per failed attempt (default 2; 1 for sse)",
      }),
      jitter: z.enum(JITTERS).optional().meta({
        description: "none, full, equal or decorrelated (default full; none for sse)",
      }),
    })
    .optional()
    .meta({ description: "how a client that lost its connection waits before reconnecting" }),
  balancing: z.enum(REALTIME_BALANCERS).optional().meta({
    description:
      "how the balancer in front places a new connection: least-connections (default), round-robin, random, power-of-two, or by hashing the user (ip-hash, consistent-hash, rendezvous)",
  }),
  devices: z
    .strictObject({
      shares: z.array(Percent).min(1).meta({
        description: "shares of users with 1, 2, 3 ... linked devices, summing to 1 (e.g. [0.5, 0.3, 0.2])",
      }),
      max: PositiveInt.optional().meta({ description: "the most devices a user may link (default 4)" }),
    })
    .optional()
    .meta({
      description:
        "sse/websocket: users with several devices, each its own connection that every event fans out to",
    }),
  churn: z
    .strictObject({
      session: PositiveDuration.meta({
        description: "mean length of a device's online session (exponential)",
      }),
      away: PositiveDuration.meta({
        description: "mean time a device stays away before it comes back (exponential)",
      }),
      ungraceful: Percent.optional().meta({
        description:
          "share of sessions that end with no close frame, noticed only by heartbeat timeout (default 0)",
      }),
    })
    .optional()
    .meta({ description: "sse/websocket: sessions end and come back (default: clients stay connected)" }),
  heartbeat: z
    .strictObject({
      interval: PositiveDuration.meta({ description: "time between a connection's keepalive heartbeats" }),
      timeout: PositiveDuration.optional().meta({
        description:
          "silence after the last heartbeat before a connection is declared dead (default 2 x interval)",
      }),
    })
    .optional()
    .meta({
      description:
        "sse/websocket: connection keepalives; a dead connection (client gone, instance crashed) is noticed only after the timeout (default: at once)",
    }),
  presence: z
    .strictObject({
      interval: PositiveDuration.optional().meta({
        description: "time between a device's presence heartbeats (default 10s; not with tiers)",
      }),
      ttl: PositiveDuration.optional().meta({
        description: "lifetime of a presence entry after each write (default 3 x interval)",
      }),
      tiers: z
        .array(
          z.strictObject({
            name: Name.optional().meta({
              description: "a label for the report, e.g. active, idle, backgrounded",
            }),
            interval: PositiveDuration.meta({ description: "heartbeat interval of this tier's devices" }),
            ttl: PositiveDuration.optional().meta({
              description: "entry lifetime (default 3 x this interval)",
            }),
            share: Percent.meta({
              description: "share of device connections in this tier (shares sum to 1)",
            }),
          }),
        )
        .min(1)
        .optional()
        .meta({ description: "tiered heartbeat intervals instead of one interval" }),
      scope: z.enum(["global", "channel"]).optional().meta({
        description: "whose presence a user sees: everyone (global, default) or its channel's members",
      }),
      channelSize: PositiveInt.optional().meta({
        description: "scope channel: users per channel (default 100)",
      }),
      fanout: z.enum(["push", "poll"]).optional().meta({
        description:
          "push (default): changes are pushed to the online audience; poll: every heartbeat fetches the audience's statuses",
      }),
      bulkOffline: z.boolean().optional().meta({
        description:
          "a dead instance's users are marked offline at once instead of waiting for their TTL (default false)",
      }),
    })
    .optional()
    .meta({ description: "sse/websocket: heartbeats write presence entries with a TTL (RT-08)" }),
  typing: z
    .strictObject({
      rate: Rate.meta({ description: "typing bursts per user (e.g. 1/min)" }),
      duration: PositiveDuration.optional().meta({ description: "length of a burst (default 5s)" }),
      keystrokes: Rate.optional().meta({ description: "keystrokes per second within a burst (default 4/s)" }),
      debounce: PositiveDuration.optional().meta({
        description: "a client sends at most one typing event per debounce (default 1s)",
      }),
    })
    .optional()
    .meta({ description: "sse/websocket: transient typing indicators, best effort, never stored (RT-09)" }),
  conversations: z
    .strictObject({
      members: PositiveInt.optional().meta({
        description: "users per conversation, consecutive ids (default 2: one-to-one chats)",
      }),
      ordering: z.enum(ORDERINGS).optional().meta({
        description:
          "what orders a conversation's messages on screen: server-sequence (default: a central sequencer numbers them as the server accepts them) or client-clock (the sender's timestamp)",
      }),
      clockSkew: Duration.optional().meta({
        description:
          "each user's clock is off by a fixed amount drawn uniformly in -clockSkew..+clockSkew (default 0s)",
      }),
    })
    .optional()
    .meta({
      description:
        "an event published for a user is a message that user sends to its conversation, delivered to every other member; out-of-order deliveries are counted (CR-09)",
    }),
  instanceType: InstanceType.optional(),
  zone: Name.optional().meta({ description: "zone it runs in (default: the first zone)" }),
  zones: z
    .array(Name)
    .min(1)
    .optional()
    .meta({ description: "instances are spread over these zones in turn" }),
});

export const ComponentSchema = z.discriminatedUnion("kind", [
  WorkloadSchema,
  LoadBalancerSchema,
  DnsSchema,
  ServiceSchema,
  CacheSchema,
  DatabaseSchema,
  QuorumStoreSchema,
  MultiLeaderSchema,
  CdnSchema,
  TopicSchema,
  ConsumerSchema,
  QueueSchema,
  ExchangeSchema,
  GatewaySchema,
  LimiterStoreSchema,
  BlockStoreSchema,
  RealtimeSchema,
  RelaySchema,
]);

export const COMPONENT_KINDS = [
  "workload",
  "load-balancer",
  "dns",
  "service",
  "cache",
  "database",
  "quorum-store",
  "multi-leader",
  "cdn",
  "gateway",
  "limiter-store",
  "topic",
  "consumer",
  "queue",
  "exchange",
  "realtime",
  "relay",
  "block-store",
] as const;

// ---------- faults ----------

const FaultBase = {
  at: Duration.meta({ description: "when the fault starts" }),
  for: PositiveDuration.optional().meta({ description: "how long it lasts (default: until the end)" }),
};
export const FaultSchema = z.union([
  // the naming key comes first: error messages list alternatives by it
  z.strictObject({
    kill: Name.meta({ description: "component whose instance dies, restarted when the fault ends" }),
    instance: z
      .union([z.number().int().min(0), z.literal("all")])
      .optional()
      .meta({ description: "instance index (default 0) or all" }),
    ...FaultBase,
  }),
  z.strictObject({
    slow: Name.meta({ description: "component that gets slower" }),
    by: PositiveDuration.meta({
      description:
        "extra time each request (or cache or database operation) takes, holding a worker, and each probe",
    }),
    ...FaultBase,
  }),
  z.strictObject({
    partition: z.array(Name).min(1).meta({
      description:
        "zones or regions cut off from the rest of the network; the links inside each side stay up",
    }),
    timeout: PositiveDuration.optional().meta({
      description:
        "a call (or its reply) lost in the partition fails with timeout after this long (default 1s)",
    }),
    ...FaultBase,
  }),
  z.strictObject({
    outage: Name.meta({
      description:
        "a region that goes down: every instance of every component in its zones dies, and restarts when the fault ends",
    }),
    ...FaultBase,
  }),
  z.strictObject({
    link: z
      .strictObject({
        from: Name.meta({ description: "the calling component" }),
        to: Name.meta({ description: "the called component" }),
      })
      .meta({ description: "calls from -> to and their replies" }),
    add: PositiveDuration.meta({ description: "extra latency on the call and again on its reply" }),
    ...FaultBase,
  }),
]);

// ---------- the design ----------

export const DesignSchema = z
  .strictObject({
    name: z.string().optional().meta({ description: "shown in reports (default: the file name)" }),
    description: z.string().optional().meta({ description: "free text about the design" }),
    seed: z
      .number()
      .int()
      .optional()
      .meta({ description: "default random seed (--seed overrides; default 1)" }),
    duration: PositiveDuration.meta({ description: "simulated time to run" }),
    network: NetworkSchema.optional(),
    components: z
      .record(z.string(), ComponentSchema)
      .meta({ description: "the parts of the system, by name; each has a kind" }),
    faults: z.array(FaultSchema).optional().meta({ description: "scheduled failures (the nemesis)" }),
    slo: z
      .array(z.string())
      .optional()
      .meta({
        description: 'assertions such as "p99 < 50ms", "p99(GET /item/:id) < 80ms", "availability > 99.9%"',
        examples: [["p99 < 50ms", "availability > 99.9%"]],
      }),
    layout: z
      .record(
        z.string(),
        z.strictObject({
          x: z.number().meta({ description: "left edge on the canvas, in canvas units" }),
          y: z.number().meta({ description: "top edge on the canvas, in canvas units" }),
        }),
      )
      .optional()
      .meta({
        description:
          "where the studio's canvas draws each component, by name; the simulation ignores it (default: laid out automatically)",
      }),
  })
  .meta({ title: "archsim design", description: "An architecture, its traffic and its faults." });

export type Design = z.output<typeof DesignSchema>;
export type DesignInput = z.input<typeof DesignSchema>;
export type ComponentSpec = z.output<typeof ComponentSchema>;
export type FaultSpec = z.output<typeof FaultSchema>;

export function jsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(DesignSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}
