// A mint step on a service route: a new link gets its short code, and the
// request's key becomes that code (the write that stores the link uses it).
// The codes are the service's, shared by all its instances:
//   counter: each instance mints from ranges of ids it takes from a counter
//            kept in a store, one write to it per range; a range is held by
//            its instance only, so a crash loses what is left of it.
//   random:  a draw is cleared by a Bloom filter (shared, as one Redis would
//            hold it: its round trip is not modelled) and/or by a read of the
//            store (a real call); a code in use is drawn again.
// The service sends the calls; this holds the codes and says what to do next.
import type { Rng } from "../kernel/rng.js";
import {
  CounterRanges,
  DRAW_AGAIN,
  DRAW_FULL,
  DRAW_READ,
  DRAW_TAKEN,
  RandomCodes,
} from "../mechanisms/short-codes.js";
import type { Job } from "./job.js";
import type { Store } from "./store.js";

/** what the service does next for a mint (a code >= 0: the mint is done) */
export const MINT_FETCH = -1; // take a range from the counter's store: a write
export const MINT_READ = -2; // read the drawn code (`candidate`) from the store
export const MINT_FAIL = -3; // no code: attempts spent, or the space is used up

/** The counter's row in its store (above every code: 62^8 < 2^48). */
export const COUNTER_KEY = 2 ** 48;

export class MintStep {
  readonly type = "mint";

  constructor(
    readonly name: string,
    readonly route: string,
    readonly length: number,
    readonly space: number,
    /** codes in use at the start */
    readonly preloaded: number,
    /** counter: the counter's store; random: the store read to check a draw (null: the filter alone) */
    readonly store: Store | null,
    /** the policy of the store's reads (its primary) */
    readonly readPolicy: number,
    /** draws a mint may make before it fails (Infinity: until a free code) */
    readonly attempts: number,
    readonly counter: CounterRanges | null,
    readonly random: RandomCodes | null,
    private readonly rng: Rng,
  ) {}

  /** A request reaches the step: its draws are counted in job.aux. */
  begin(job: Job): void {
    job.aux = 0;
    this.random?.begin(this.attempts);
  }

  /** Goes on with the request's mint: its code (>= 0), or MINT_FETCH, MINT_READ or MINT_FAIL. */
  run(job: Job): number {
    if (this.counter) {
      const id = this.counter.take(job.instance);
      return id === -1 ? MINT_FETCH : id === -2 ? MINT_FAIL : id;
    }
    const r = this.random!;
    for (;;) {
      if (job.aux >= this.attempts) {
        r.giveUp();
        return MINT_FAIL;
      }
      job.aux++;
      const v = r.draw(this.rng);
      if (v === DRAW_TAKEN) return r.candidate;
      if (v === DRAW_READ) return MINT_READ;
      if (v === DRAW_FULL) {
        r.giveUp();
        return MINT_FAIL;
      }
    }
  }

  /** The counter's store answered a range's write: the instance holds the range. */
  fetched(instance: number): void {
    this.counter!.grant(instance);
  }

  /** The read of a drawn code answered: the code (taken), or -1 to draw again. */
  readBack(code: number): number {
    const v = this.random!.readBack(code);
    return v === DRAW_AGAIN ? -1 : code;
  }

  /**
   * A call answered for a request that is gone (its instance crashed): a
   * range the counter handed out goes to the instance if it is up again,
   * else it is lost; a read's code was never claimed.
   */
  abandoned(c: Job, instanceUp: boolean): void {
    if (!this.counter || c.outcome !== 0) return;
    if (instanceUp) this.counter.grant(c.callerInstance);
    else this.counter.grantLost();
  }

  /** The instance crashed or stopped: its ranges are lost. */
  lost(instance: number): void {
    this.counter?.lose(instance);
  }

  report(): Record<string, unknown> {
    const c = this.counter;
    const r = this.random;
    const minted = c ? c.minted : r!.minted;
    const mints = c ? c.minted + c.exhausted : r!.mints;
    const draws = c ? c.minted : r!.draws;
    const expectedDraws = c ? c.minted : r!.expectedDraws;
    const inUse = this.preloaded + minted;
    const f = r?.filter;
    return {
      name: this.name,
      route: this.route,
      codes: c ? "counter" : "random",
      length: this.length,
      space: this.space,
      preloaded: this.preloaded,
      inUse,
      occupancy: inUse / this.space,
      mints,
      minted,
      exhausted: c ? c.exhausted : r!.gaveUp,
      draws,
      collisions: r ? r.collisions : 0,
      falsePositives: r ? r.falsePositives : 0,
      reads: r ? r.reads : 0,
      drawsPerMint: mints > 0 ? draws / mints : 0,
      expectedDraws,
      expectedDrawsPerMint: mints > 0 ? expectedDraws / mints : 0,
      expectedExhausted: r ? r.expectedGaveUp : 0,
      counter: c && { range: c.range, blocks: c.blocks, skipped: c.skipped, held: c.held },
      bloom: f
        ? {
            bits: f.bits,
            hashes: f.hashes,
            fillRatio: f.fillRatio,
            falsePositiveRate: r!.falsePositiveRate,
          }
        : null,
    };
  }
}
