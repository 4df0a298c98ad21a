// Turns a service route's saga step into the runtime's: its stages' targets
// and route indexes, and the counters its report reads.
import type { Component, Sim } from "../components/runtime.js";
import { SagaStats, type SagaStage, type SagaStep } from "../components/saga.js";
import type { SagaStepSpec } from "./validate-saga.js";

/**
 * The runtime saga step. A stage's target may be a load balancer, built
 * after the services' plans: such targets are filled in by the callbacks
 * pushed on `late`, run once every component exists.
 */
export function sagaStep(
  s: SagaStepSpec,
  byName: Map<string, Component>,
  sim: Sim,
  late: (() => void)[],
): SagaStep {
  const stages = s.saga.map((st): SagaStage => {
    const stage: SagaStage = {
      name: st.name,
      target: byName.get(st.call)!,
      route: st.route ? sim.routeIndex(st.route) : -1,
      undo: st.undo ? sim.routeIndex(st.undo) : -1,
    };
    if (!stage.target) late.push(() => (stage.target = byName.get(st.call)!));
    return stage;
  });
  return { type: "saga", stages, stats: new SagaStats(s.saga.map((st) => st.name)) };
}
