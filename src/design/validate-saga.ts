// Checks of saga steps, and the calls a step makes (a call step's one, a
// saga's stages and undos) for the checks that follow calls: names, route
// coverage, cycles.
import type { ComponentSpec, Design } from "./schema.js";
import type { Problem } from "./validate.js";

type ServiceSpec = Extract<ComponentSpec, { kind: "service" }>;
type RouteStep = ServiceSpec["routes"][string][number];
export type SagaStepSpec = Extract<RouteStep, { saga: unknown }>;

/** A call a step makes: the callee, the route it is called with (undefined: the request's), where it is written. */
export interface StepCall {
  call: string;
  route: string | undefined;
  at: (string | number)[];
}

/** The calls one step makes, with their paths relative to the step. */
export function stepCalls(s: RouteStep): StepCall[] {
  if ("call" in s) return [{ call: s.call, route: s.route, at: ["call"] }];
  if (!("saga" in s)) return [];
  return s.saga.flatMap((st, j): StepCall[] => [
    { call: st.call, route: st.route, at: ["saga", j, "call"] },
    ...(st.undo ? [{ call: st.call, route: st.undo, at: ["saga", j, "undo"] }] : []),
  ]);
}

/**
 * A saga's stage names are its report's keys, so they are unique; a route
 * runs at most one saga (its report is keyed by route); and no participant
 * may answer with a fallback, which would pass for a stage done.
 */
export function sagaProblems(name: string, c: ServiceSpec, _d: Design): Problem[] {
  const out: Problem[] = [];
  for (const [route, steps] of Object.entries(c.routes)) {
    let sagas = 0;
    steps.forEach((s, i) => {
      if (!("saga" in s)) return;
      const p = ["components", name, "routes", route, i, "saga"];
      if (++sagas > 1)
        out.push({
          path: p,
          message: `route "${route}" of service "${name}" has a second saga step`,
          expected: "at most one saga step per route (its report is keyed by the route)",
          hint: "make the stages of both one saga, or move one to a route of its own",
          atKey: true,
        });
      const seen = new Set<string>();
      s.saga.forEach((st, j) => {
        if (seen.has(st.name))
          out.push({
            path: [...p, j, "name"],
            message: `stage name "${st.name}" is used twice in this saga`,
            expected: "a name per stage, unique in the saga (the report's key)",
          });
        seen.add(st.name);
        if (c.calls?.[st.call]?.fallback)
          out.push({
            path: ["components", name, "calls", st.call, "fallback"],
            message: `"${st.call}" is a saga participant: a fallback answer would count as its stage done, though nothing was done`,
            hint: "remove fallback from this call policy",
            atKey: true,
          });
      });
    });
  }
  return out;
}
