// Closed-form results for single-station queues, used to check the simulator
// against theory and to put predictions next to simulated numbers. Pure
// functions of their inputs; every time is in whatever unit the rates are per
// (rates per ms give times in ms).
//
// Notation (Kendall): arrivals are Poisson with rate lambda, each server works
// at rate mu (mean service time 1/mu), c servers share one FCFS queue.
//   rho  utilisation of each server            lambda / (c mu)
//   a    offered load in Erlangs                lambda / mu
//   wq   mean wait in the queue before service
//   w    mean response time (wait + service)
//   lq   mean number waiting                    lambda wq   (Little)
//   l    mean number in the system              lambda w    (Little)
//   pWait probability an arrival has to wait (by PASTA, the probability it finds
//         all servers busy)

export interface QueueResult {
  /** Utilisation of each server, in [0, 1). */
  rho: number;
  /** Probability that an arrival waits before service starts. */
  pWait: number;
  /** Mean time spent waiting in the queue. */
  wq: number;
  /** Mean response time: waiting plus service. */
  w: number;
  /** Mean number of customers waiting. */
  lq: number;
  /** Mean number of customers in the system. */
  l: number;
}

/** Results for exponential service, where the whole response-time distribution is known. */
export interface MarkovQueueResult extends QueueResult {
  /** Number of servers. */
  c: number;
  /** Offered load lambda / mu in Erlangs. */
  a: number;
  /** Response-time percentiles. */
  p50: number;
  p90: number;
  p99: number;
}

export interface MG1Result extends QueueResult {
  /** Squared coefficient of variation of service time, Var[S] / E[S]^2 (0 deterministic, 1 exponential). */
  cs2: number;
}

function requirePositive(name: string, x: number): void {
  if (!(x > 0) || !Number.isFinite(x)) {
    throw new RangeError(`${name} must be a positive finite number, got ${x}`);
  }
}

function requireServers(c: number): void {
  if (!Number.isInteger(c) || c < 1) {
    throw new RangeError(`number of servers c must be an integer >= 1, got ${c}`);
  }
}

function requireStable(rho: number, what: string): void {
  if (rho >= 1) {
    throw new RangeError(
      `unstable queue: utilisation rho = ${rho} >= 1 (${what}); the queue grows without bound and has no steady state`,
    );
  }
}

function requireProbability(p: number): void {
  if (!(p >= 0 && p < 1)) throw new RangeError(`quantile p must be in [0, 1), got ${p}`);
}

/**
 * Erlang B, the blocking probability of M/M/c/c, by the recurrence
 *   B(0) = 1,  B(k) = a B(k-1) / (k + a B(k-1)).
 * The recurrence never forms a^c or c!, so it stays accurate for thousands of
 * servers where the textbook sums overflow.
 */
export function erlangB(c: number, a: number): number {
  requireServers(c);
  requirePositive("offered load a", a);
  let b = 1;
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b);
  return b;
}

/**
 * Erlang C: the probability that an arrival to M/M/c waits, for offered load
 * a = lambda / mu < c:
 *
 *   C(c, a) = [a^c / c! * c / (c - a)] / [ sum_{k=0}^{c-1} a^k / k!  +  a^c / c! * c / (c - a) ]
 *
 * computed from Erlang B as C = c B / (c - a (1 - B)), which is algebraically
 * the same and numerically stable.
 */
export function erlangC(c: number, a: number): number {
  requireServers(c);
  requirePositive("offered load a", a);
  requireStable(a / c, `offered load a = ${a} Erlangs on c = ${c} servers`);
  const b = erlangB(c, a);
  return (c * b) / (c - a * (1 - b));
}

/**
 * M/M/1: Poisson arrivals, one exponential server.
 *   rho = lambda / mu,  W = 1 / (mu - lambda),  Wq = rho / (mu - lambda),
 *   L = rho / (1 - rho),  Lq = rho^2 / (1 - rho),  P(wait) = rho.
 * Response time is exponential with rate mu - lambda.
 */
export function mm1(lambda: number, mu: number): MarkovQueueResult {
  return mmc(lambda, mu, 1);
}

/**
 * M/M/c: Poisson arrivals, c exponential servers, one FCFS queue.
 *   a = lambda / mu,  rho = a / c,  P(wait) = C(c, a)  (Erlang C),
 *   Wq = C(c, a) / (c mu - lambda),  W = Wq + 1 / mu,  Lq = lambda Wq,  L = lambda W.
 */
export function mmc(lambda: number, mu: number, c: number): MarkovQueueResult {
  requirePositive("arrival rate lambda", lambda);
  requirePositive("service rate mu", mu);
  requireServers(c);
  const a = lambda / mu;
  const rho = a / c;
  requireStable(rho, `lambda = ${lambda}, mu = ${mu}, c = ${c}`);
  const pWait = erlangC(c, a);
  const wq = pWait / (c * mu - lambda);
  const w = wq + 1 / mu;
  return {
    rho,
    pWait,
    wq,
    w,
    lq: lambda * wq,
    l: lambda * w,
    c,
    a,
    p50: responseTimeQuantile(0.5, lambda, mu, c),
    p90: responseTimeQuantile(0.9, lambda, mu, c),
    p99: responseTimeQuantile(0.99, lambda, mu, c),
  };
}

/**
 * P(T > t) for the response time T of M/M/c (FCFS).
 *
 * An arrival waits with probability C = C(c, a); given that it waits, its wait
 * is exponential with rate theta = c mu - lambda (the queue drains at the full
 * rate of c busy servers less the arrivals). Its own service S is exponential
 * with rate mu, independent of the wait. So
 *
 *   P(T > t) = (1 - C) e^{-mu t} + C P(Exp(theta) + Exp(mu) > t)
 *
 * and for theta != mu the hypoexponential tail gives
 *
 *   P(Exp(theta) + Exp(mu) > t) = (theta e^{-mu t} - mu e^{-theta t}) / (theta - mu)
 *                               = e^{-mu t} + mu (e^{-mu t} - e^{-theta t}) / (theta - mu),
 *
 * hence  P(T > t) = e^{-mu t} + C mu (e^{-mu t} - e^{-theta t}) / (theta - mu).
 *
 * When theta == mu (lambda = (c - 1) mu) the sum is Erlang-2 and the fraction
 * tends to t e^{-mu t}, so P(T > t) = e^{-mu t} (1 + C mu t). Near that point
 * the difference of exponentials cancels catastrophically, so it is evaluated
 * as e^{-min(mu,theta) t} (1 - e^{-|theta-mu| t}) / |theta - mu| with expm1,
 * which is exact in the limit and never overflows when theta < mu.
 * For c = 1 this reduces to e^{-(mu - lambda) t}.
 */
export function mmcResponseTimeTail(t: number, lambda: number, mu: number, c: number): number {
  requirePositive("arrival rate lambda", lambda);
  requirePositive("service rate mu", mu);
  requireServers(c);
  if (!(t > 0)) return 1;
  const C = erlangC(c, lambda / mu);
  const theta = c * mu - lambda;
  const d = Math.abs(theta - mu);
  const lo = Math.min(theta, mu);
  const x = d * t;
  // (e^{-mu t} - e^{-theta t}) / (theta - mu), in a form without cancellation
  const diff = x === 0 ? t * Math.exp(-mu * t) : (Math.exp(-lo * t) * -Math.expm1(-x)) / d;
  return Math.exp(-mu * t) + C * mu * diff;
}

/**
 * The p-quantile of response time: the t with P(T <= t) = p.
 * For M/M/1 (c = 1) this is exact, -ln(1 - p) / (mu - lambda). For c > 1 the
 * tail above is monotone decreasing, so bisection on it converges to full
 * double precision.
 */
export function responseTimeQuantile(p: number, lambda: number, mu: number, c = 1): number {
  requirePositive("arrival rate lambda", lambda);
  requirePositive("service rate mu", mu);
  requireServers(c);
  requireStable(lambda / (c * mu), `lambda = ${lambda}, mu = ${mu}, c = ${c}`);
  requireProbability(p);
  if (p === 0) return 0;
  if (c === 1) return -Math.log1p(-p) / (mu - lambda);
  const target = 1 - p;
  // T is stochastically smaller than Exp(theta) + Exp(mu), so expanding from
  // the mean response time brackets the quantile in a few doublings.
  let lo = 0;
  let hi = 1 / mu + 1 / (c * mu - lambda);
  while (mmcResponseTimeTail(hi, lambda, mu, c) > target) {
    lo = hi;
    hi *= 2;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (mmcResponseTimeTail(mid, lambda, mu, c) > target) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/**
 * The p-quantile of the wait in the queue for M/M/c: P(Wq > t) = C e^{-theta t},
 * so the quantile is 0 when p <= 1 - C and ln(C / (1 - p)) / theta otherwise.
 */
export function waitQuantile(p: number, lambda: number, mu: number, c = 1): number {
  requirePositive("arrival rate lambda", lambda);
  requirePositive("service rate mu", mu);
  requireProbability(p);
  const C = erlangC(c, lambda / mu);
  if (p <= 1 - C) return 0;
  return Math.log(C / (1 - p)) / (c * mu - lambda);
}

/**
 * M/D/1: Poisson arrivals, one server with constant service time 1/mu.
 * Pollaczek-Khinchine with E[S^2] = 1/mu^2:
 *   Wq = rho / (2 mu (1 - rho)),  exactly half of M/M/1's wait,
 *   W = Wq + 1/mu,  Lq = rho^2 / (2 (1 - rho)),  L = Lq + rho,  P(wait) = rho.
 */
export function md1(lambda: number, mu: number): MG1Result {
  requirePositive("arrival rate lambda", lambda);
  requirePositive("service rate mu", mu);
  return mg1(lambda, 1 / mu, 1 / (mu * mu));
}

/**
 * M/G/1: Poisson arrivals, one server with a general service time S.
 * Pollaczek-Khinchine mean-value formula:
 *   rho = lambda E[S],  Wq = lambda E[S^2] / (2 (1 - rho)),  W = Wq + E[S],
 *   Lq = lambda Wq,  L = lambda W,  P(wait) = rho.
 * Equivalently Wq = rho E[S] (1 + cs2) / (2 (1 - rho)): the wait grows with the
 * variability of service, which is why tail-heavy services queue badly even at
 * moderate load. An infinite E[S^2] (e.g. Pareto with shape <= 2) gives an
 * infinite mean wait, which is the true answer, not an error.
 */
export function mg1(lambda: number, meanS: number, secondMomentS: number): MG1Result {
  requirePositive("arrival rate lambda", lambda);
  requirePositive("mean service time E[S]", meanS);
  if (!(secondMomentS > 0)) {
    throw new RangeError(`second moment of service time E[S^2] must be positive, got ${secondMomentS}`);
  }
  // Var[S] >= 0 means E[S^2] >= E[S]^2; allow for rounding in callers' arithmetic.
  if (secondMomentS < meanS * meanS * (1 - 1e-12)) {
    throw new RangeError(
      `E[S^2] = ${secondMomentS} is below E[S]^2 = ${meanS * meanS}: no distribution has negative variance`,
    );
  }
  const rho = lambda * meanS;
  requireStable(rho, `lambda = ${lambda}, E[S] = ${meanS}`);
  const wq = (lambda * secondMomentS) / (2 * (1 - rho));
  const w = wq + meanS;
  return {
    rho,
    pWait: rho,
    wq,
    w,
    lq: lambda * wq,
    l: lambda * w,
    cs2: Math.max(0, secondMomentS / (meanS * meanS) - 1),
  };
}

/**
 * Little's law, L = lambda W, for any stable system in steady state regardless
 * of arrival process, service discipline or distribution. Zero is allowed: an
 * idle system (lambda = 0) holds nobody.
 */
export function littlesLaw({ lambda, W }: { lambda: number; W: number }): number {
  for (const [name, x] of [
    ["lambda", lambda],
    ["W", W],
  ] as const) {
    if (!(x >= 0) || !Number.isFinite(x)) {
      throw new RangeError(`${name} must be a non-negative finite number, got ${x}`);
    }
  }
  return lambda * W;
}

export interface LittleCheck {
  /** Whether |L - lambda W| <= relTol * max(L, lambda W) (or both are zero). */
  ok: boolean;
  /** lambda W, the L Little's law predicts. */
  expected: number;
  /** |L - lambda W| / lambda W (0 when both are zero). */
  relativeError: number;
}

/**
 * Checks measured (L, lambda, W) against Little's law, e.g. time-averaged
 * occupancy against throughput times mean latency from the same run. Finite
 * runs do not satisfy it exactly (requests in flight at the end), hence the
 * relative tolerance.
 */
export function checkLittlesLaw(
  { L, lambda, W }: { L: number; lambda: number; W: number },
  relTol = 0.01,
): LittleCheck {
  const expected = littlesLaw({ lambda, W });
  if (!(L >= 0) || !Number.isFinite(L))
    throw new RangeError(`L must be a non-negative finite number, got ${L}`);
  const scale = Math.max(L, expected);
  const relativeError = scale === 0 ? 0 : Math.abs(L - expected) / (expected === 0 ? scale : expected);
  return { ok: scale === 0 || Math.abs(L - expected) <= relTol * scale, expected, relativeError };
}
