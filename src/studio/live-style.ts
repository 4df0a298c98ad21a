// How live status shows on the canvas: a node's colour from its health and
// busy fraction, and how many dots travel along an edge for its traffic.
import type { NodeStatus } from "../live/frame.js";

export const DOWN = "#b3261e";
export const DEGRADED = "#d98a00";
export const IDLE = "#2e7d4f";

/** Down red, degraded amber, else a hue from green (idle) to red (saturated); undefined without status. */
export function statusColour(s: NodeStatus | undefined): string | undefined {
  if (!s) return undefined;
  if (s.health === "down") return DOWN;
  if (s.health === "degraded") return DEGRADED;
  if (s.utilization === null || !Number.isFinite(s.utilization)) return IDLE;
  const u = Math.max(0, Math.min(1, s.utilization));
  return `hsl(${Math.round(130 - 130 * u)}, 65%, 40%)`;
}

/**
 * Dots drawn along an edge for the requests it carried since the last frame:
 * sampled, one per order of magnitude up to three, so 10k rps costs what 10
 * rps does to draw.
 */
export function dotsFor(count: number): number {
  if (!(count > 0)) return 0;
  return Math.min(3, Math.ceil(Math.log10(count + 1)));
}
