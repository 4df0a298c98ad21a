// What the studio shows of a running simulation, frame by frame: the contract
// between the engine (src/live, run in a Web Worker) and the canvas and run
// panel (studio/src). Plain data, so it crosses postMessage unchanged.

/** How a component is doing right now, for colouring its node and for its inspector. */
export interface NodeStatus {
  /** busy fraction of its busiest station over the last frame, 0..1 (null: not a station) */
  utilization: number | null;
  health: "up" | "degraded" | "down";
  /** how many instances it has, and which of them are down (by index): for killing or restarting one */
  instances?: { total: number; down: number[] };
  /** short facts for the inspector, by label: queue, connections, hit ratio, lag, breaker, shard balance */
  facts: Record<string, string | number>;
}

/** Requests sent from one component to another since the previous frame (sampled dots on the edge). */
export interface Flow {
  from: string;
  to: string;
  count: number;
}

export interface LiveFrame {
  /** simulated time, ms */
  nowMs: number;
  status: Record<string, NodeStatus>;
  flows: Flow[];
}

/**
 * A fault or change the user applies to a node while the simulation runs. A
 * kill or a restart with an `instance` (its index, from 0) acts on that one
 * instance; without, on the whole node (a restart then ends every live fault
 * on it: kills, slowness, partition).
 */
export type NodeAction =
  | { type: "kill"; instance?: number }
  | { type: "restart"; instance?: number }
  | { type: "slow"; ms: number }
  | { type: "partition" };
