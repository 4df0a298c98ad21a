// How a URL shortener mints a short code for a new link: a code is a number
// below 62^L written in base62 (L characters of 0-9a-zA-Z). Two ways:
//
//   counter: a central counter hands out ids in ranges of R; each API
//            instance takes a range (one call to the counter's store per R
//            codes) and mints from it in order. Unique by construction, and
//            never a check; an instance that crashes loses what is left of
//            its ranges (those ids are skipped, never reused).
//   random:  draw a code uniformly from the 62^L; it may be in use. A Bloom
//            filter of the codes in use, in front of the store, answers
//            "certainly free" (take it) or "maybe in use"; a read of the store
//            settles a draw (every draw without a filter, only the flagged ones
//            with one). A code in use, or (filter alone) a flagged one, is
//            drawn again. With n of the S codes in use, a draw is in use with
//            chance n/S, so a code takes 1/(1 - n/S) draws on average.
//
// The codes in use are recorded exactly (a bitmap of the space when it is
// small, a set of the codes otherwise): the record is the store's index, which
// tells a collision from a Bloom filter's false positive.
import { BloomFilter, bloomFalsePositiveRate } from "./bloom-filter.js";

export const BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** 62^8 < 2^53 < 62^9: a code of up to 8 characters is an exact integer */
export const MAX_CODE_LENGTH = 8;
/** spaces up to this many codes keep their record as a bitmap (16 MiB at most: lengths up to 4) */
export const BITMAP_CODES = 2 ** 27;
/** above that, a set of codes: the preloaded ones are capped (each is also added to the Bloom filter) */
export const MAX_SET_PRELOAD = 2 ** 20;

/** 62^length: the codes of that many characters. */
export function codeSpace(length: number): number {
  return 62 ** length;
}

/** A code's text: base62, most significant character first, padded with 0s to `length`. */
export function base62(code: number, length: number): string {
  let s = "";
  for (let v = code; v > 0; v = Math.floor(v / 62)) s = BASE62[v % 62] + s;
  return s.padStart(length, "0");
}

/** The codes in use, exactly: a bitmap of a small space, a set of a large one. */
export class UsedCodes {
  private readonly bitmap: Uint32Array | null;
  private readonly set: Set<number> | null;
  private n = 0;

  constructor(readonly space: number) {
    this.bitmap = space <= BITMAP_CODES ? new Uint32Array(Math.ceil(space / 32)) : null;
    this.set = this.bitmap ? null : new Set();
  }

  get size(): number {
    return this.n;
  }

  has(code: number): boolean {
    if (this.bitmap) return (this.bitmap[Math.floor(code / 32)] & (1 << (code % 32))) !== 0;
    return this.set!.has(code);
  }

  /** Records the code in use; false if it already was. */
  add(code: number): boolean {
    if (this.has(code)) return false;
    if (this.bitmap) this.bitmap[Math.floor(code / 32)] |= 1 << (code % 32);
    else this.set!.add(code);
    this.n++;
    return true;
  }

  /** Every code in use, in no particular order. */
  *codes(): Generator<number> {
    if (this.set) return yield* this.set;
    const words = this.bitmap!;
    for (let w = 0; w < words.length; w++)
      for (let bits = words[w]; bits !== 0; bits &= bits - 1) yield w * 32 + (31 - Math.clz32(bits & -bits));
  }

  /**
   * Marks `count` codes drawn uniformly without replacement (links made
   * before the run). Most of a bitmap space: mark all, then free the rest
   * at random, so either way the draws rejected are few.
   */
  preload(count: number, rng: { int(n: number): number }): void {
    const s = this.space;
    if (count > s) throw new RangeError(`used codes: cannot preload ${count} of ${s} codes`);
    if (this.bitmap && count > s / 2) {
      this.bitmap.fill(0xffffffff);
      const tail = s % 32;
      if (tail !== 0) this.bitmap[this.bitmap.length - 1] = (1 << tail) - 1;
      this.n = s;
      while (this.n > count) {
        const c = rng.int(s);
        if (!this.has(c)) continue;
        this.bitmap[Math.floor(c / 32)] &= ~(1 << (c % 32));
        this.n--;
      }
      return;
    }
    while (this.n < count) this.add(rng.int(s));
  }
}

/** Counter codes: ranges of ids from one counter, per instance. */
export class CounterRanges {
  /** the counter: the next id it hands out */
  private counter: number;
  /** per instance, its ranges in the order granted: [next, end) pairs, flattened */
  private readonly ranges: number[][] = [];
  /** ranges taken from the counter (calls to its store) */
  blocks = 0;
  minted = 0;
  /** ids of ranges lost with their instance (crashed), never minted */
  skipped = 0;
  /** mints refused: the counter has passed the space */
  exhausted = 0;

  /**
   * @param range ids per range (R)
   * @param start the counter's first id (ids below are links made before)
   * @param space 62^L: ids at or past it need a longer code
   */
  constructor(
    readonly range: number,
    readonly start: number,
    readonly space: number,
  ) {
    if (!Number.isInteger(range) || range < 1)
      throw new RangeError(`counter ranges: range must be >= 1, got ${range}`);
    this.counter = start;
  }

  /** The next id of the instance's ranges, or -1 if it holds none (it must take a range first). */
  take(instance: number): number {
    const r = this.ranges[instance];
    if (r === undefined || r.length === 0) return -1;
    const id = r[0];
    if (id >= this.space) {
      this.exhausted++;
      return -2;
    }
    if (id + 1 >= r[1]) r.splice(0, 2);
    else r[0] = id + 1;
    this.minted++;
    return id;
  }

  /** The counter hands the instance a range of R ids (its store answered an increment by R). */
  grant(instance: number): void {
    this.blocks++;
    const start = this.counter;
    this.counter += this.range;
    (this.ranges[instance] ??= []).push(start, this.counter);
  }

  /** The counter hands a range to an instance that is gone: all of it is skipped. */
  grantLost(): void {
    this.blocks++;
    this.counter += this.range;
    this.skipped += this.range;
  }

  /** The instance crashed (or stopped): what is left of its ranges is never minted. Returns the ids lost. */
  lose(instance: number): number {
    const r = this.ranges[instance];
    if (r === undefined) return 0;
    let lost = 0;
    for (let i = 0; i < r.length; i += 2) lost += r[i + 1] - r[i];
    r.length = 0;
    this.skipped += lost;
    return lost;
  }

  /** Ids handed out by the counter so far, beyond `start`. */
  get issued(): number {
    return this.counter - this.start;
  }

  /** Ids the instances hold, not minted yet. */
  get held(): number {
    return this.issued - this.minted - this.skipped;
  }
}

/** What a draw of a random code decided. */
export const DRAW_TAKEN = 0;
/** redraw: the code is in use, or (a filter alone) the filter flagged it */
export const DRAW_AGAIN = 1;
/** a read of the store must settle it (drawn: `RandomCodes.candidate`) */
export const DRAW_READ = 2;
/** the space is full (or a filter alone is saturated): no code can be minted */
export const DRAW_FULL = 3;
export type DrawVerdict = typeof DRAW_TAKEN | typeof DRAW_AGAIN | typeof DRAW_READ | typeof DRAW_FULL;

export interface RandomCodesConfig {
  space: number;
  /** a Bloom filter of the codes in use (null: none) */
  bloom: { bits: number; hashes: number; seed: number } | null;
  /** a draw the filter cannot clear is settled by a read of the store (without a filter, every draw) */
  read: boolean;
}

/** Random codes, checked by a Bloom filter and/or a read of the store. */
export class RandomCodes {
  readonly used: UsedCodes;
  readonly filter: BloomFilter | null;
  readonly read: boolean;
  /** the code drawn last */
  candidate = -1;
  /** mints begun, codes minted, and mints given up (attempts spent, or the space full) */
  mints = 0;
  minted = 0;
  gaveUp = 0;
  draws = 0;
  /** draws of a code in use */
  collisions = 0;
  /** draws of a free code the filter flagged as maybe in use */
  falsePositives = 0;
  /** reads of the store that settled a draw */
  reads = 0;
  /** the closed form's draws and give-ups summed over the mints begun (see begin) */
  expectedDraws = 0;
  expectedGaveUp = 0;

  constructor(readonly config: RandomCodesConfig) {
    if (!config.bloom && !config.read)
      throw new RangeError("random codes: a draw needs a check, a Bloom filter or a read of the store");
    this.used = new UsedCodes(config.space);
    this.filter = config.bloom
      ? new BloomFilter(config.bloom.bits, config.bloom.hashes, config.bloom.seed)
      : null;
    this.read = config.read;
  }

  /** Marks `count` random codes in use before the run, and adds them to the filter. */
  preload(count: number, rng: { int(n: number): number }): void {
    this.used.preload(count, rng);
    if (this.filter) for (const c of this.used.codes()) this.filter.add(c);
  }

  /** The chance the filter flags a free code now: (1 - e^{-kn/m})^k for the n codes it holds. */
  get falsePositiveRate(): number {
    const f = this.filter;
    return f ? bloomFalsePositiveRate(f.bits, f.hashes, this.used.size) : 0;
  }

  /**
   * The chance a draw is drawn again: the code is in use (n/S), or it is free
   * and a filter alone flags it (1 - n/S) f.
   */
  get redrawChance(): number {
    const inUse = this.used.size / this.config.space;
    return this.filter && !this.read ? inUse + (1 - inUse) * this.falsePositiveRate : inUse;
  }

  /**
   * A mint begins, allowed `attempts` draws: adds what the closed form expects
   * at the occupancy now. Draws are independent, each drawn again with chance
   * q, so they are geometric, cut at `attempts`: E[draws] = (1 - q^a)/(1 - q)
   * (1/(1 - q) = 1/(1 - n/S) for unlimited draws without a filter's false
   * positives), and the mint gives up with chance q^a.
   */
  begin(attempts: number): void {
    this.mints++;
    const q = this.redrawChance;
    if (q >= 1) {
      this.expectedDraws += Number.isFinite(attempts) ? attempts : 0;
      this.expectedGaveUp += 1;
      return;
    }
    const qa = Number.isFinite(attempts) ? q ** attempts : 0;
    this.expectedDraws += (1 - qa) / (1 - q);
    this.expectedGaveUp += qa;
  }

  /** One draw: the code is taken (claimed at once), drawn again, or must be read. */
  draw(rng: { int(n: number): number }): DrawVerdict {
    if (this.used.size >= this.config.space) return DRAW_FULL;
    // a filter alone with every bit set flags every code: none can ever be taken
    if (this.filter && !this.read && this.filter.fillRatio >= 1) return DRAW_FULL;
    this.draws++;
    const c = rng.int(this.config.space);
    this.candidate = c;
    if (this.filter && !this.filter.mightContain(c)) return this.claim(c); // certainly free
    if (this.read) return DRAW_READ;
    // the filter alone: a flagged code is drawn again, in use or not
    if (this.used.has(c)) this.collisions++;
    else this.falsePositives++;
    return DRAW_AGAIN;
  }

  /**
   * The store read of `code` answered: in use (drawn again) or free (taken).
   * The read and the insert are one conditional write, so the answer is the
   * record's when the read completes.
   */
  readBack(code: number): DrawVerdict {
    this.reads++;
    if (this.used.has(code)) {
      this.collisions++;
      return DRAW_AGAIN;
    }
    if (this.filter) this.falsePositives++; // the filter flagged a free code: it cost a read
    return this.claim(code);
  }

  /** A mint gives up: its attempts are spent, or the space is full. */
  giveUp(): void {
    this.gaveUp++;
  }

  private claim(code: number): DrawVerdict {
    this.used.add(code);
    this.filter?.add(code);
    this.minted++;
    this.candidate = code;
    return DRAW_TAKEN;
  }
}
