// Target-tracking autoscaling as a pure decision: given the fleet and the
// metric averaged over the last evaluation interval, how many instances the
// fleet should have now. Time is passed in; the caller launches and drains.
//
// The rule is the one AWS target tracking and the Kubernetes HPA share:
// desired = ceil(inService x metric / target), clamped to [min, max], where
// the metric is a per-instance average (utilisation, requests per second per
// instance, queue length per instance), so that many instances at the target
// carry what fewer carried above it. A dead band (`tolerance`, the HPA's 10%)
// keeps noise around the target from moving the fleet. Scale-out is allowed
// once `outCooldownMs` has passed since the last scale-out; scale-in once
// `inCooldownMs` has passed since the last scaling of either kind, and never
// while new instances are still booting (their load is not measured yet), so
// scaling in is slower and more careful than scaling out.

export interface ScalingPolicy {
  min: number;
  max: number;
  /** the metric's target value per instance */
  target: number;
  /** relative dead band around the target in which nothing changes (0.1 = 10%) */
  tolerance: number;
  outCooldownMs: number;
  inCooldownMs: number;
}

export interface FleetView {
  /** instances taking traffic (their load is what the metric measured) */
  inService: number;
  /** instances launched and not yet in service */
  booting: number;
}

export interface ScalingDecision {
  /** the fleet size (in service + booting) wanted now */
  to: number;
  direction: "out" | "in";
}

/** ceil(inService x metric / target), clamped to [min, max]; `inService` itself inside the dead band. */
export function desiredCapacity(
  inService: number,
  metric: number,
  policy: Pick<ScalingPolicy, "min" | "max" | "target" | "tolerance">,
): number {
  const ratio = metric / policy.target;
  if (Math.abs(ratio - 1) <= policy.tolerance) return clamp(inService, policy.min, policy.max);
  // 1e-9 keeps a ratio that is an exact integer multiple from rounding up past it
  return clamp(Math.ceil(inService * ratio - 1e-9), policy.min, policy.max);
}

function clamp(n: number, lo: number, hi: number): number {
  return n < lo ? lo : n > hi ? hi : n;
}

/** Remembers when the fleet last scaled, to apply the cooldowns. */
export class TargetTracker {
  private lastOut = Number.NEGATIVE_INFINITY;
  private lastIn = Number.NEGATIVE_INFINITY;

  constructor(readonly policy: ScalingPolicy) {
    if (!(policy.min >= 1 && policy.max >= policy.min))
      throw new RangeError(`autoscaling needs 1 <= min <= max, got ${policy.min}..${policy.max}`);
    if (!(policy.target > 0)) throw new RangeError("autoscaling target must be greater than zero");
  }

  /** The scaling to do at `now`, or null. */
  decide(now: number, fleet: FleetView, metric: number): ScalingDecision | null {
    const p = this.policy;
    const current = fleet.inService + fleet.booting;
    const desired = desiredCapacity(fleet.inService, metric, p);
    if (desired > current) {
      if (now - this.lastOut < p.outCooldownMs) return null;
      this.lastOut = now;
      return { to: desired, direction: "out" };
    }
    if (desired < current) {
      if (fleet.booting > 0) return null;
      if (now - Math.max(this.lastOut, this.lastIn) < p.inCooldownMs) return null;
      this.lastIn = now;
      return { to: desired, direction: "in" };
    }
    return null;
  }
}
