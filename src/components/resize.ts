// Vertical scaling: at a given time the fleet's instance type changes (more
// workers, faster, a different price). New launches get the new type at
// once; running instances get it by a rolling restart, a batch at a time, so
// capacity dips while they restart; a fleet of one is down for the restart.
import type { Sampler } from "../kernel/distributions.js";
import type { Rng } from "../kernel/rng.js";
import type { FleetController, InstanceType } from "./fleet.js";
import { Roll } from "./rolling.js";
import type { Station } from "./station.js";

export interface ResizeConfig {
  atMs: number;
  /** the new type; fields left out keep the current type's */
  to: Partial<InstanceType>;
  batch: number;
  restart: Sampler;
  drainMs: number;
}

export class Resize implements FleetController {
  readonly key = "resize";
  private readonly roll: Roll;
  private rng!: Rng;
  private generation = -1;
  private from: InstanceType | null = null;
  private to: InstanceType | null = null;
  private startedAt: number | null = null;
  private finishedAt: number | null = null;

  constructor(
    private readonly station: Station,
    private readonly cfg: ResizeConfig,
  ) {
    const fleet = station.fleet;
    this.roll = new Roll(fleet, {
      batch: cfg.batch,
      restartMs: () => cfg.restart.sample(this.rng),
      drainMs: cfg.drainMs,
      done: () => {
        this.finishedAt = station.sim.now;
      },
    });
  }

  start(): void {
    const sim = this.station.sim;
    this.rng = sim.stream(`${this.station.name}/resize`);
    sim.q.at(
      this.cfg.atMs,
      sim.q.on(() => this.apply()),
      0,
    );
  }

  private apply(): void {
    const fleet = this.station.fleet;
    const { concurrency, speed, costPerHour } = fleet.template;
    this.from = { concurrency, speed, costPerHour };
    this.to = { ...this.from, ...this.cfg.to };
    fleet.setType(this.to);
    this.generation = fleet.template.generation;
    this.startedAt = this.station.sim.now;
    this.roll.start((i) => fleet.typeOf[i] !== this.generation);
  }

  section(): unknown {
    return {
      at: this.cfg.atMs,
      from: this.from,
      to: this.to,
      startedAt: this.startedAt,
      finishedAt: this.finishedAt,
      restarted: this.roll.restarted,
      minInService: Number.isFinite(this.roll.minInService) ? this.roll.minInService : null,
    };
  }
}
