// The lifecycle of a station's instances: launched instances boot, then serve;
// drained instances take no new requests (balancers and callers skip them) and
// stop once their in-flight work is done, or when the drain timeout cuts it.
// Instance slots are allocated up front, so a growing fleet reuses stopped
// slots rather than resizing arrays. The fleet also keeps each instance's type
// (workers, speed, price, version), which capacity changes set at launch, and
// accounts for what the fleet cost: instance-seconds and dollars.
import { TimeWeighted } from "../metrics/time-weighted.js";
import type { Sim } from "./runtime.js";
import type { Station } from "./station.js";
import type { Versions } from "./versions.js";

/** Lifecycle phases; IN_SERVICE is 0 so that a fresh array means "all serving". */
export const IN_SERVICE = 0;
export const BOOTING = 1;
export const DRAINING = 2;
export const STOPPED = 3;

/** What an instance is launched as. */
export interface InstanceType {
  /** workers per instance */
  concurrency: number;
  /** compute steps take time / speed */
  speed: number;
  /** dollars per instance-hour (0: not priced) */
  costPerHour: number;
}

/** Instance types by generation: a resize adds one, and instances remember theirs. */
interface TypeRecord extends InstanceType {
  generation: number;
}

/** Something that wants to hear when an instance changes phase (a balancer, a controller). */
export type PhaseListener = (instance: number, phase: number) => void;

/** Something that changes the fleet over time (autoscaler, resize, deployments), with its part of the report. */
export interface FleetController {
  readonly key: string;
  /** called when the run starts: schedule timers here */
  start(): void;
  section(now: number): unknown;
}

export class Fleet {
  readonly phase: Uint8Array;
  /** workers of each instance */
  readonly workers: Int32Array;
  /** factor on each instance's compute time (1 / speed) */
  readonly timeScale: Float64Array;
  /** dollars per hour of each launched instance */
  private readonly price: Float64Array;
  /** launch generation per slot: timers of an earlier life are ignored */
  private readonly gen: Int32Array;
  /** when each draining instance began to drain */
  private readonly drainAt: Float64Array;
  /**
   * Calls sent to each instance that have not arrived yet (a balancer's
   * forwards, direct callers' calls): a drain waits for them too, as a load
   * balancer's deregistration waits for its requests in flight.
   */
  readonly inbound: Int32Array;
  private readonly listeners: PhaseListener[] = [];
  private readonly controllers: FleetController[] = [];
  /** the type new launches get */
  template: TypeRecord;
  /** the type generation each instance was launched with */
  readonly typeOf: Int32Array;
  /** the software version each instance runs (an index into `versions`) */
  readonly version: Int32Array;
  /** the version new launches run */
  launchVersion = 0;
  /** set when the service has deployments */
  versions: Versions | null = null;
  /** an autoscaler makes no decisions while this is set (a blue-green or canary deployment is under way) */
  scalingPaused = false;
  inService: number;
  booting = 0;
  draining = 0;
  /** instances launched and not stopped (booting, in service or draining): what is paid for */
  private readonly launchedTW = new TimeWeighted();
  /** dollars per hour being spent */
  private readonly spendTW = new TimeWeighted();
  private peak: number;
  private drained = 0;
  private drainTimeouts = 0;
  private cut = 0;
  /** whether the report shows the fleet (a capacity feature or a price is set) */
  private reporting = false;
  private readonly inServiceSeries: number[] = [];
  private readonly launchedSeries: number[] = [];
  private sim!: Sim;
  private bootEv = -1;
  private drainEv = -1;

  constructor(
    private readonly host: Station,
    readonly slots: number,
    initial: number,
    concurrency: number,
  ) {
    this.phase = new Uint8Array(slots).fill(STOPPED, initial);
    this.workers = new Int32Array(slots).fill(concurrency);
    this.timeScale = new Float64Array(slots).fill(1);
    this.price = new Float64Array(slots);
    this.gen = new Int32Array(slots);
    this.drainAt = new Float64Array(slots);
    this.inbound = new Int32Array(slots);
    this.template = { concurrency, speed: 1, costPerHour: 0, generation: 0 };
    this.typeOf = new Int32Array(slots);
    this.version = new Int32Array(slots);
    this.inService = initial;
    this.peak = initial;
    this.launchedTW.change(initial, 0);
  }

  attach(sim: Sim): void {
    this.sim = sim;
    this.bootEv = sim.q.on((arg) => this.booted(arg));
    this.drainEv = sim.q.on((arg) => this.drainTimedOut(arg));
  }

  /** Shows the fleet in the report; prices the initial instances. */
  configure(costPerHour: number): void {
    this.reporting = true;
    this.template = { ...this.template, costPerHour };
    for (let i = 0; i < this.slots; i++)
      if (this.phase[i] !== STOPPED) {
        this.price[i] = costPerHour;
        this.spendTW.change(costPerHour, 0);
      }
  }

  /** New launches get this type (a new generation); running instances keep theirs until relaunched. */
  setType(t: InstanceType): void {
    this.template = { ...t, generation: this.template.generation + 1 };
  }

  onPhase(listener: PhaseListener): void {
    this.listeners.push(listener);
  }

  addController(c: FleetController): void {
    this.controllers.push(c);
  }

  start(): void {
    for (const c of this.controllers) c.start();
  }

  /**
   * Whether instance i takes a call sent at `sentAt`: one in service does; a
   * draining one only finishes what was sent before its drain began.
   */
  admits(i: number, sentAt: number): boolean {
    const p = this.phase[i];
    return p === IN_SERVICE || (p === DRAINING && sentAt <= this.drainAt[i]);
  }

  /** Instances launched and not stopped: booting, in service or draining. */
  launched(): number {
    return this.inService + this.booting + this.draining;
  }

  /** The lowest stopped slot, or -1. */
  freeSlot(): number {
    for (let i = 0; i < this.slots; i++) if (this.phase[i] === STOPPED) return i;
    return -1;
  }

  /** Launches a stopped slot with the current type and `version`; it serves after `bootMs`. */
  launchSlot(i: number, bootMs: number, version = this.launchVersion): void {
    if (this.phase[i] !== STOPPED) throw new Error(`${this.host.name}[${i}] is not stopped`);
    const now = this.sim.now;
    const t = this.template;
    this.workers[i] = t.concurrency;
    this.version[i] = version;
    this.timeScale[i] = (this.versions?.specs[version].latency ?? 1) / t.speed;
    this.price[i] = t.costPerHour;
    this.typeOf[i] = t.generation;
    this.inbound[i] = 0;
    this.gen[i]++;
    this.phase[i] = BOOTING;
    this.booting++;
    this.launchedTW.change(1, now);
    this.spendTW.change(t.costPerHour, now);
    this.peak = Math.max(this.peak, this.launched());
    this.notify(i);
    if (bootMs > 0) this.sim.q.schedule(bootMs, this.bootEv, this.encode(i));
    else this.serve(i);
  }

  private booted(arg: number): void {
    const i = this.decode(arg);
    if (i >= 0 && this.phase[i] === BOOTING) this.serve(i);
  }

  private serve(i: number): void {
    this.phase[i] = IN_SERVICE;
    this.booting--;
    this.inService++;
    this.host.capacityChanged(this.workers[i]);
    this.host.instanceStarted(i);
    this.notify(i);
  }

  /**
   * Takes an instance out of service: it finishes what it holds and stops,
   * or stops after `timeoutMs` with whatever is left failed (0: at once).
   */
  drain(i: number, timeoutMs: number): void {
    if (this.phase[i] !== IN_SERVICE) throw new Error(`${this.host.name}[${i}] is not in service`);
    this.phase[i] = DRAINING;
    this.inService--;
    this.draining++;
    this.drainAt[i] = this.sim.now;
    this.notify(i);
    if (this.quiet(i)) return this.checkDrained(i);
    if (timeoutMs <= 0) return this.cutOff(i);
    if (Number.isFinite(timeoutMs)) this.sim.q.schedule(timeoutMs, this.drainEv, this.encode(i));
  }

  /** Called when a draining instance may have finished its last request. */
  checkDrained(i: number): void {
    if (this.phase[i] === DRAINING && this.quiet(i)) {
      this.drained++;
      this.stop(i);
    }
  }

  /** Nothing held and nothing on its way. */
  private quiet(i: number): boolean {
    return this.inbound[i] === 0 && this.host.idle(i);
  }

  private drainTimedOut(arg: number): void {
    const i = this.decode(arg);
    if (i >= 0 && this.phase[i] === DRAINING) this.cutOff(i);
  }

  private cutOff(i: number): void {
    this.drainTimeouts++;
    // the work goes before the instance stops: whoever hears of the stop may relaunch the slot
    this.cut += this.host.dropWork(i);
    this.stop(i);
  }

  /** Takes an instance out: one in service is drained; one still booting is stopped at once. */
  retire(i: number, drainMs: number): void {
    if (this.phase[i] === IN_SERVICE) this.drain(i, drainMs);
    else if (this.phase[i] === BOOTING) this.stop(i);
  }

  private stop(i: number): void {
    const now = this.sim.now;
    if (this.phase[i] === BOOTING) this.booting--;
    else {
      this.draining--;
      this.host.capacityChanged(-this.workers[i]);
    }
    this.phase[i] = STOPPED;
    this.gen[i]++;
    this.launchedTW.change(-1, now);
    this.spendTW.change(-this.price[i], now);
    this.price[i] = 0;
    this.notify(i);
  }

  private notify(i: number): void {
    for (const l of this.listeners) l(i, this.phase[i]);
  }

  /** Timer argument: slot and its launch generation, so that a timer of an earlier life is ignored. */
  private encode(i: number): number {
    return this.gen[i] * this.slots + i;
  }

  private decode(arg: number): number {
    const i = arg % this.slots;
    return Math.floor(arg / this.slots) === this.gen[i] ? i : -1;
  }

  tick(_second: number): void {
    if (!this.reporting) return;
    this.inServiceSeries.push(this.inService);
    this.launchedSeries.push(this.launched());
  }

  report(now: number): { series: Record<string, number[]>; capacity: Record<string, unknown> } | null {
    if (!this.reporting) return null;
    const instanceSeconds = this.launchedTW.integral(now) / 1000;
    const capacity: Record<string, unknown> = {
      instanceSeconds,
      cost: this.spendTW.integral(now) / 3_600_000,
      peakInstances: this.peak,
      drained: this.drained,
      drainTimeouts: this.drainTimeouts,
      cutByDrainTimeout: this.cut,
    };
    for (const c of this.controllers) capacity[c.key] = c.section(now);
    if (this.versions) capacity.versions = this.versions.report();
    return { series: { instances: this.inServiceSeries, launched: this.launchedSeries }, capacity };
  }
}
