// Quorum arithmetic for N replicas, writes acknowledged by W and reads answered
// by R. Pure counting: which replicas answer, and when, is the caller's
// business. Versions are integers that grow with each write to a key (0 =
// never written), the same convention as the consistency checker, so a read's
// result can be handed to it unchanged.

function checkCount(name: string, x: number, min: number, max: number): void {
  if (!Number.isInteger(x) || x < min || x > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${x}`);
  }
}

function checkQuorum(n: number, r: number, w: number): void {
  checkCount("n", n, 1, Number.MAX_SAFE_INTEGER);
  checkCount("r", r, 1, n);
  checkCount("w", w, 1, n);
}

/**
 * Every R-subset of the replicas meets every W-subset, so a read quorum always
 * contains a replica that acknowledged the latest completed write. With
 * R + W <= N one can pick the two disjoint, and a read can miss it.
 */
export function quorumOverlap(n: number, r: number, w: number): boolean {
  checkQuorum(n, r, w);
  return r + w > n;
}

/**
 * Any two write quorums meet, so two writes cannot both complete on disjoint
 * halves of a partition without one seeing the other.
 */
export function writeQuorumsOverlap(n: number, w: number): boolean {
  checkQuorum(n, 1, w);
  return 2 * w > n;
}

export type ConsistencyLevel = "one" | "quorum" | "all";

/** Replicas a request must hear from at a Cassandra-style level. */
export function consistencyLevel(level: ConsistencyLevel, n: number): number {
  checkCount("n", n, 1, Number.MAX_SAFE_INTEGER);
  switch (level) {
    case "one":
      return 1;
    case "quorum":
      return majority(n);
    case "all":
      return n;
  }
}

/** Cassandra's datacenter-aware levels, for replicas placed per datacenter (NetworkTopologyStrategy). */
export type DatacenterLevel = "local-one" | "local-quorum" | "each-quorum";

export const DATACENTER_LEVELS: readonly DatacenterLevel[] = ["local-one", "local-quorum", "each-quorum"];

/**
 * Replicas a request must hear from in each datacenter, given each
 * datacenter's replication factor. LOCAL_ONE and LOCAL_QUORUM count only the
 * coordinator's datacenter `local` (one replica, or a majority of its
 * replicas); EACH_QUORUM needs a majority in every datacenter that holds
 * replicas. Returns null when a local level cannot be met at all: the
 * coordinator's datacenter (`local` -1: none) holds no replica.
 */
export function datacenterQuorum(
  level: DatacenterLevel,
  factors: readonly number[],
  local: number,
): number[] | null {
  for (const [i, f] of factors.entries()) checkCount(`factors[${i}]`, f, 0, Number.MAX_SAFE_INTEGER);
  const need = factors.map(() => 0);
  if (level === "each-quorum") {
    for (const [i, f] of factors.entries()) if (f > 0) need[i] = majority(f);
    return need;
  }
  if (local < 0 || local >= factors.length || factors[local] === 0) return null;
  need[local] = level === "local-one" ? 1 : majority(factors[local]);
  return need;
}

/** Smallest strict majority of n. Even n buys no extra failure tolerance: majority(4) = 3 tolerates one loss, like majority(3) = 2. */
export function majority(n: number): number {
  checkCount("n", n, 1, Number.MAX_SAFE_INTEGER);
  return Math.floor(n / 2) + 1;
}

export function writeSucceeds(acks: number, w: number): boolean {
  return acks >= w;
}

/** Replicas that may be down while requests needing `need` answers still succeed. */
export function toleratedFailures(n: number, need: number): number {
  checkQuorum(n, need, need);
  return n - need;
}

/** A request needing `need` of n replicas can still succeed with `down` of them unreachable. */
export function survivesFailures(n: number, need: number, down: number): boolean {
  checkQuorum(n, need, need);
  checkCount("down", down, 0, n);
  return n - down >= need;
}

export interface ReplicaVersion {
  replica: number;
  version: number;
}

export interface QuorumReadResult {
  /** highest version among the R responses used */
  version: number;
  /** replica that returned it (the first to answer, if several did) */
  from: number;
  /** replicas among the R that returned something older and should be sent `version` */
  repair: number[];
}

/**
 * Coordinator side of a quorum read. `responses` are in arrival order; the
 * read completes on the R-th, so later ones are ignored, which is why read
 * repair only reaches replicas that answered in time. Returns null when fewer
 * than R replicas answered: the read fails rather than returning a value that
 * the overlap guarantee does not cover.
 */
export function quorumRead(responses: readonly ReplicaVersion[], r: number): QuorumReadResult | null {
  checkCount("r", r, 1, Number.MAX_SAFE_INTEGER);
  if (responses.length < r) return null;
  let best = responses[0];
  for (let i = 1; i < r; i++) if (responses[i].version > best.version) best = responses[i];
  const repair: number[] = [];
  for (let i = 0; i < r; i++) if (responses[i].version < best.version) repair.push(responses[i].replica);
  return { version: best.version, from: best.replica, repair };
}
