// How a request or a call ends. Index 0 is success; every other entry is a
// cause of failure that reports count separately.

export const CAUSES = [
  "ok",
  "error",
  "timeout",
  "queue-full",
  "no-healthy-backend",
  "instance-down",
  "pool-exhausted",
  "rate-limited",
  "shed",
  "circuit-open",
  "not-primary",
  "quorum-failed",
  "conflict",
  "bulkhead-full",
  "unauthorized",
  "not-enough-replicas",
  "unroutable",
  "sold-out",
] as const;

export type Cause = (typeof CAUSES)[number];

export const OK = 0;
export const ERROR = 1;
export const TIMEOUT = 2;
export const QUEUE_FULL = 3;
export const NO_HEALTHY_BACKEND = 4;
export const INSTANCE_DOWN = 5;
export const POOL_EXHAUSTED = 6;
export const NOT_PRIMARY = 10;
export const QUORUM_FAILED = 11;
export const CONFLICT = 12;
export const RATE_LIMITED = 7;
export const SHED = 8;
export const CIRCUIT_OPEN = 9;
export const BULKHEAD_FULL = 13;
export const UNAUTHORIZED = 14;
export const NOT_ENOUGH_REPLICAS = 15;
/** a mandatory publish to an exchange that no binding took (returned to its publisher) */
export const UNROUTABLE = 16;
/** a reserve step found no free unit of stock (everything sold or held) */
export const SOLD_OUT = 17;

export function causeName(code: number): Cause {
  return CAUSES[code];
}
