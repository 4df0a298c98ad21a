// A single database node: a connection pool (workers) with a bounded wait
// queue, read and write service times, and a version per key bumped by every
// committed write, so reads report exactly which version they saw.
import type { Sampler } from "../kernel/distributions.js";
import { type Job, OP_READ, OP_WRITE } from "./job.js";
import { ERROR, OK } from "./outcomes.js";
import type { ComponentReport, Sim } from "./runtime.js";
import { Station, type StationConfig } from "./station.js";

export interface DatabaseConfig extends StationConfig {
  readTime: Sampler;
  writeTime: Sampler;
  valueSize: Sampler;
}

export class Database extends Station {
  readonly kind = "database";
  private done = -1;
  /** latest committed version per key; memory grows with keys written, not with writes */
  private readonly versions = new Map<number, number>();
  private reads = 0;
  private writes = 0;

  constructor(
    name: string,
    private readonly db: DatabaseConfig,
  ) {
    super(name, db);
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.done = sim.q.on((id) => this.complete(id));
  }

  protected begin(job: Job): void {
    const t = job.op === OP_WRITE ? this.db.writeTime : this.db.readTime;
    this.sim.q.schedule(t.sample(this.rng) + this.slowMs, this.done, job.id);
  }

  private complete(id: number): void {
    const job = this.sim.pool.jobs[id];
    if (job.cancelled) return this.sim.release(job);
    if (job.op === OP_WRITE) {
      this.writes++;
      const v = (this.versions.get(job.key) ?? 0) + 1;
      this.versions.set(job.key, v);
      job.version = v;
    } else if (job.op === OP_READ) {
      this.reads++;
      job.version = this.versions.get(job.key) ?? 0;
      job.size = Math.round(this.db.valueSize.sample(this.rng));
    } else return this.finish(job, ERROR);
    this.finish(job, OK);
  }

  report(now: number): ComponentReport {
    return {
      ...this.stationReport(now),
      reads: this.reads,
      writes: this.writes,
      keysWritten: this.versions.size,
    };
  }
}
