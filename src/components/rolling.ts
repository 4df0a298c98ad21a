// A rolling replacement of a fleet's instances, a batch at a time: each
// instance of the batch is drained (it takes no new requests and finishes
// what it holds), stopped, and relaunched in its slot as what the fleet
// launches now (a new type, a new version), serving again after the restart
// time. The next batch starts when the whole batch is back in service, so
// capacity dips by the batch for the length of the roll. Instances that
// already are what the fleet launches now (launched after the change, by an
// autoscaler) are left alone.
import { type Fleet, IN_SERVICE, STOPPED } from "./fleet.js";

export interface RollConfig {
  batch: number;
  /** draws the time a relaunched instance takes to serve again */
  restartMs: () => number;
  drainMs: number;
  /** the roll has replaced every instance */
  done: () => void;
  /** a batch is being taken out */
  onBatch?: (instances: number[]) => void;
  /** a halted roll's last batch is back in service */
  stopped?: () => void;
}

export class Roll {
  /** instances of the current batch, not yet back in service */
  private readonly inBatch: Uint8Array;
  private pending = 0;
  private active = false;
  /** whether instance i still needs replacing, for the roll under way */
  private stale: (i: number) => boolean = () => false;
  restarted = 0;
  /** instances replaced at once */
  batchSize: number;
  /** the fewest instances in service while the roll ran */
  minInService = Number.POSITIVE_INFINITY;

  constructor(
    private readonly fleet: Fleet,
    private readonly cfg: RollConfig,
  ) {
    this.inBatch = new Uint8Array(fleet.slots);
    this.batchSize = cfg.batch;
    fleet.onPhase((i, phase) => this.changed(i, phase));
  }

  get running(): boolean {
    return this.active;
  }

  start(stale: (i: number) => boolean): void {
    this.stale = stale;
    this.active = true;
    this.minInService = this.fleet.inService;
    this.next();
  }

  /** Stops starting batches; the instances of the current batch still come back, then `stopped` is called. */
  halt(): void {
    this.active = false;
    if (this.pending === 0) this.cfg.stopped?.();
  }

  private next(): void {
    if (!this.active) return this.cfg.stopped?.();
    const fleet = this.fleet;
    const batch: number[] = [];
    for (let i = 0; i < fleet.slots && batch.length < this.batchSize; i++)
      if (fleet.phase[i] === IN_SERVICE && this.stale(i)) batch.push(i);
    if (batch.length === 0) {
      // stale instances still booting (launched before the change) are replaced once they serve
      for (let i = 0; i < fleet.slots; i++) if (fleet.phase[i] !== STOPPED && this.stale(i)) return;
      this.active = false;
      return this.cfg.done();
    }
    this.pending = batch.length;
    for (const i of batch) this.inBatch[i] = 1;
    this.cfg.onBatch?.(batch);
    for (const i of batch) fleet.drain(i, this.cfg.drainMs);
  }

  private changed(i: number, phase: number): void {
    if (this.active && this.fleet.inService < this.minInService) this.minInService = this.fleet.inService;
    if (this.inBatch[i] === 0) {
      // a stale instance that came into service while the roll waited for one
      if (this.active && this.pending === 0 && phase === IN_SERVICE && this.stale(i)) this.next();
      return;
    }
    if (phase === STOPPED) {
      this.restarted++;
      this.fleet.launchSlot(i, Math.max(0, this.cfg.restartMs()));
    } else if (phase === IN_SERVICE) {
      this.inBatch[i] = 0;
      if (--this.pending === 0) this.next();
    }
  }
}
