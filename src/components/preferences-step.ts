// A preferences step (DC-11) on a service route or a consumer's steps: the
// recipient (the request's or message's key) is checked against their
// notification preferences before the rest of the steps send anything.
//   opted out of the category: the notification ends here, ok, the rest
//     skipped (suppressed: handled, not failed, so never retried);
//   in quiet hours: it is handed to a scheduler of deferred sends (a sorted
//     set of due times, as a Redis ZSET polled by a scheduler) and ends here,
//     ok; when the recipient's quiet hours end the scheduler publishes it to
//     `deferTo` (a topic, queue or exchange), again a second later until the
//     broker acknowledges it, so none is lost;
//   urgent (P0 security): quiet hours do not apply; it goes on (bypassed).
// The preferences and the scheduler are the component's, shared by its
// instances and kept through their restarts (the preference store and the
// scheduler are other processes; their round trips are not modelled).
import { Preferences, type PreferencesSpec } from "../mechanisms/preferences.js";
import type { MessageSink } from "./service.js";

export const SEND = 0;
export const SUPPRESS = 1;
export const DEFER = 2;

export interface PreferencesStats {
  /** the route whose steps hold it ("*": every route without its own, or a consumer's messages) */
  route: string;
  category: string;
  /** notifications the step saw */
  checked: number;
  /** dropped: the recipient opted out of the category */
  suppressed: number;
  /** held until the recipient's quiet hours ended */
  deferred: number;
  /** urgent ones sent although the recipient was in quiet hours */
  bypassed: number;
  /** deferred ones published to deferTo (acknowledged) */
  released: number;
  /** publishes of deferred ones that failed and were tried again a second later */
  releaseRetries: number;
  /** the longest and total time deferred ones were held, from deferral to release (ms) */
  maxHeldMs: number;
  totalHeldMs: number;
}

export class PreferencesStep {
  readonly type = "preferences";
  readonly prefs: Preferences;
  readonly stats: PreferencesStats;
  /** after a DEFER verdict: when the recipient's quiet hours end */
  until = 0;

  constructor(
    spec: PreferencesSpec,
    route: string,
    /** urgent notifications bypass quiet hours */
    readonly urgent: boolean,
    /** where deferred notifications are published when quiet hours end (null: none are deferred) */
    readonly deferTo: MessageSink | null,
  ) {
    if (spec.quietHours && !urgent && deferTo === null)
      throw new Error("a preferences step with quiet hours needs deferTo, unless it is urgent");
    this.prefs = new Preferences(spec);
    this.stats = {
      route,
      category: spec.category,
      checked: 0,
      suppressed: 0,
      deferred: 0,
      bypassed: 0,
      released: 0,
      releaseRetries: 0,
      maxHeldMs: 0,
      totalHeldMs: 0,
    };
  }

  /** The verdict for a notification to `recipient` at `now` (DEFER sets `until`). */
  decide(recipient: number, now: number): number {
    const s = this.stats;
    s.checked++;
    if (this.prefs.optedOut(recipient)) {
      s.suppressed++;
      return SUPPRESS;
    }
    const until = this.prefs.quietUntil(recipient, now);
    if (until < 0) return SEND;
    if (this.urgent) {
      s.bypassed++;
      return SEND;
    }
    s.deferred++;
    this.until = until;
    return DEFER;
  }

  /** A deferred notification deferred at `since` was acknowledged by deferTo at `now`. */
  released(since: number, now: number): void {
    this.stats.released++;
    const held = now - since;
    this.stats.totalHeldMs += held;
    if (held > this.stats.maxHeldMs) this.stats.maxHeldMs = held;
  }

  /** `held`: the deferred messages still in the service's scheduler (waiting, or being published) */
  report(held: number): Record<string, unknown> {
    const s = this.stats;
    return {
      route: s.route,
      category: s.category,
      urgent: this.urgent,
      checked: s.checked,
      suppressed: s.suppressed,
      deferred: s.deferred,
      bypassed: s.bypassed,
      released: s.released,
      held,
      releaseRetries: s.releaseRetries,
      meanHeldMs: s.released > 0 ? s.totalHeldMs / s.released : null,
      maxHeldMs: s.released > 0 ? s.maxHeldMs : null,
    };
  }
}
