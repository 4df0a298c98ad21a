// How far the simulated clock should be at a given moment of real time: the
// studio plays a run at a speed (a multiple of real time) or as fast as
// possible. Pure functions of the wall clock, so they are tested without one.

/** A multiple of real time, or as fast as the engine can go. */
export type Speed = number | "max";

/** The speeds the studio offers. */
export const SPEEDS: readonly Speed[] = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 100, 300, 1000, "max"];
export const MIN_SPEED = 0.1;
export const MAX_SPEED = 1000;

/** Playing from (wallMs, simMs) on at `speed`. */
export interface Pace {
  speed: Speed;
  wallMs: number;
  simMs: number;
}

/**
 * How much real time the simulation may fall behind before the lost time is
 * dropped rather than caught up: a slow design (or a hidden tab) then plays
 * slower than asked instead of racing to catch up in a burst.
 */
export const MAX_BEHIND_WALL_MS = 250;

export function validSpeed(speed: unknown): speed is Speed {
  return speed === "max" || (typeof speed === "number" && speed >= MIN_SPEED && speed <= MAX_SPEED);
}

/** Starts (or restarts, after a pause or a change of speed) playing at the current simulated time. */
export function startPace(speed: Speed, wallMs: number, simMs: number): Pace {
  if (!validSpeed(speed))
    throw new RangeError(`speed must be ${MIN_SPEED}..${MAX_SPEED} or "max", got ${speed}`);
  return { speed, wallMs, simMs };
}

export interface PaceStep {
  /** simulated time to advance to (Infinity: as far as the event budget allows) */
  targetMs: number;
  /** the pace to use next time (re-anchored when time was dropped) */
  pace: Pace;
  /** simulated ms dropped because the engine fell too far behind */
  droppedMs: number;
}

/**
 * The simulated time to reach at wall time `wallMs`, the engine being at
 * `simNowMs`. If reaching it would mean catching up more than
 * MAX_BEHIND_WALL_MS of real time, the target is limited to that much ahead
 * of the engine and the pace re-anchored there.
 */
export function paceTarget(pace: Pace, wallMs: number, simNowMs: number): PaceStep {
  if (pace.speed === "max") return { targetMs: Number.POSITIVE_INFINITY, pace, droppedMs: 0 };
  const elapsed = Math.max(0, wallMs - pace.wallMs);
  const ideal = pace.simMs + elapsed * pace.speed;
  const limit = simNowMs + MAX_BEHIND_WALL_MS * pace.speed;
  if (ideal <= limit) return { targetMs: ideal, pace, droppedMs: 0 };
  return { targetMs: limit, pace: { speed: pace.speed, wallMs, simMs: limit }, droppedMs: ideal - limit };
}

/** Wall time one frame of simulation may take (the rest of a 16.7 ms frame is for drawing). */
export const FRAME_WALL_MS = 8;
export const MIN_FRAME_EVENTS = 500;
export const MAX_FRAME_EVENTS = 2_000_000;

/**
 * The event budget for the next frame, from the last one (its budget, the
 * events it fired and the wall time they took), so that a frame takes about
 * FRAME_WALL_MS: the measured events per ms times that, moving at most
 * fourfold per frame so one odd frame cannot swing it. A frame too short to
 * measure keeps the budget, or doubles it if the budget ran out.
 */
export function frameBudget(previous: number, events: number, wallMs: number): number {
  let next: number;
  if (wallMs < 1) next = events >= previous ? previous * 2 : previous;
  else next = Math.min(previous * 4, Math.max(previous / 4, (events / wallMs) * FRAME_WALL_MS));
  return Math.round(Math.min(MAX_FRAME_EVENTS, Math.max(MIN_FRAME_EVENTS, next)));
}
