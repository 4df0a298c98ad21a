// Wires a service's capacity changes into its fleet: the price of its
// instances and the controllers that change the fleet over time.
import { type AutoscaleConfig, Autoscaler, type ScalingMetric } from "../components/autoscaler.js";
import { type DeploymentConfig, Deployer } from "../components/deployment.js";
import { ClientDiscovery } from "../components/discovery.js";
import { Resize } from "../components/resize.js";
import { Versions } from "../components/versions.js";
import { Cache } from "../components/cache.js";
import { PRIMARY_READS } from "../components/database.js";
import { STOPPED } from "../components/fleet.js";
import type { Component } from "../components/runtime.js";
import type { Service, Step } from "../components/service.js";
import { Sessions } from "../components/sessions.js";
import type { Station } from "../components/station.js";
import type { Store } from "../components/store.js";
import { sampler } from "../kernel/distributions.js";
import { instancePrice } from "../cost/prices.js";
import { DEFAULTS } from "./defaults.js";
import type { ComponentSpec } from "./schema.js";
import { autoscaleTarget } from "./validate-capacity.js";

type ServiceSpec = Extract<ComponentSpec, { kind: "service" }>;

/** Dollars per instance-hour: an explicit costPerHour, else the catalogue price of instanceType. */
export function hourlyPrice(s: { costPerHour?: number; instanceType?: string }): number | undefined {
  return s.costPerHour ?? (s.instanceType === undefined ? undefined : instancePrice(s.instanceType)?.hourly);
}

/** Whether the service's fleet is reported (instance-seconds, cost, series): it changes, or it is priced. */
export function hasFleetReport(c: ServiceSpec): boolean {
  return (
    c.autoscale !== undefined ||
    c.resize !== undefined ||
    c.deployments !== undefined ||
    c.costPerHour !== undefined ||
    c.instanceType !== undefined
  );
}

export function configureFleet(service: Service, c: ServiceSpec): void {
  if (c.discovery)
    service.discovery = new ClientDiscovery(service.fleet, (i) => service.isAlive(i), {
      refreshMs: c.discovery.refresh ?? DEFAULTS.discovery.refresh,
      evictAfterMs: c.discovery.evictAfter ?? DEFAULTS.discovery.evictAfter,
    });
  if (!hasFleetReport(c)) return;
  const D = DEFAULTS.capacity;
  service.fleet.configure(hourlyPrice(c) ?? 0);
  const drainMs = c.drain ?? D.drain;
  if (c.autoscale) service.fleet.addController(newAutoscaler(service, c.autoscale, drainMs));
  const r = c.resize;
  if (r)
    service.fleet.addController(
      new Resize(service, {
        atMs: r.at,
        to: {
          ...(r.concurrency !== undefined && { concurrency: r.concurrency }),
          ...(r.speed !== undefined && { speed: r.speed }),
          ...(hourlyPrice(r) !== undefined && { costPerHour: hourlyPrice(r) }),
        },
        batch: r.batch ?? D.batch,
        restart: sampler(r.restartTime ?? { type: "constant", value: D.restartTime }),
        drainMs,
      }),
    );
  if (c.deployments) {
    const P = DEFAULTS.deploy;
    const versions = new Versions({ name: c.version ?? P.version, latency: 1, errorRate: 0 });
    const cfgs = [...c.deployments]
      .sort((a, b) => a.at - b.at)
      .map((x): DeploymentConfig => ({
        atMs: x.at,
        version: { name: x.version, latency: x.latency ?? 1, errorRate: x.errorRate ?? 0 },
        strategy: x.strategy ?? P.strategy,
        batch: x.batch ?? D.batch,
        boot: sampler(x.bootTime ?? { type: "constant", value: D.bootTime }),
        // a last step of 100% is the promotion every canary ends with
        steps: (x.steps ?? P.steps).filter((share) => share < 1),
        bakeMs: x.bake ?? P.bake,
        abort: x.abort
          ? {
              errorRate: x.abort.errorRate ?? null,
              p99Ms: x.abort.p99 ?? null,
              windowMs: x.abort.window ?? P.window,
              minRequests: x.abort.minRequests ?? P.minRequests,
            }
          : null,
      }));
    service.fleet.addController(new Deployer(service, versions, cfgs, drainMs));
  }
}

type AutoscaleSpec = Omit<NonNullable<ServiceSpec["autoscale"]>, "metric"> & { metric?: ScalingMetric };

/**
 * The autoscaler of a service's or a consumer group's fleet; `extra` gives a
 * consumer's lag and its max lowered to the partition count.
 */
export function newAutoscaler(
  station: Station,
  a: AutoscaleSpec,
  drainMs: number,
  extra: Pick<AutoscaleConfig, "lag" | "cappedByPartitions"> = {},
): Autoscaler {
  const D = DEFAULTS.capacity;
  const metric = a.metric ?? D.metric;
  const cooldown = a.cooldown ?? D.cooldown;
  const [outMs, inMs] =
    typeof cooldown === "number"
      ? [cooldown, cooldown]
      : [cooldown.out ?? D.cooldown, cooldown.in ?? D.cooldown];
  return new Autoscaler(station, {
    policy: {
      min: a.min,
      max: extra.cappedByPartitions?.partitions ?? a.max,
      target: autoscaleTarget(metric, a.target),
      tolerance: a.tolerance ?? D.tolerance,
      outCooldownMs: outMs,
      inCooldownMs: inMs,
    },
    metric,
    intervalMs: a.interval ?? D.interval,
    boot: sampler(a.bootTime ?? { type: "constant", value: D.bootTime }),
    drainMs,
    ...extra,
  });
}

/** In-memory sessions die with their instance; shared ones are read from their store by a first step. */
export function configureSessions(service: Service, c: ServiceSpec): void {
  if (!c.sessions) return;
  const sessions = new Sessions(c.sessions, service.instances());
  service.sessions = sessions;
  if (c.sessions === "in-memory")
    service.fleet.onPhase((i, phase) => {
      if (phase === STOPPED) sessions.drop(i);
    });
}

/** The step that reads a user's session from the shared store, before a route's own steps. */
export function sessionStep(c: ServiceSpec, byName: Map<string, Component>): Step | null {
  if (c.sessions !== "shared" || !c.sessionStore) return null;
  const store = byName.get(c.sessionStore)!;
  const cache = store instanceof Cache;
  return {
    type: "session",
    store,
    cache,
    policy: cache ? 0 : (store as unknown as Store).readPolicy(PRIMARY_READS),
  };
}
