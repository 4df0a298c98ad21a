// A count-min sketch (Cormode and Muthukrishnan, 2005) with 4-bit saturating
// counters and periodic halving: the frequency histogram of TinyLFU
// (Einziger, Friedman and Manes, 2017). It estimates how often each key was
// seen recently in memory independent of the number of distinct keys.
//
// `depth` rows of `width` counters; a key bumps one counter per row and its
// estimate is the smallest of them, so collisions can only inflate it. Every
// `sampleSize` additions all counters are halved (TinyLFU's "reset"), so the
// counts describe a sliding sample and yesterday's hot keys fade. An optional
// doorkeeper (a Bloom filter) absorbs each key's first sighting in a sample,
// so the one-hit wonders of a long tail never reach the counters.
import { BloomFilter } from "./bloom-filter.js";
import { hash32 } from "./hashing.js";

/** Largest value a 4-bit counter holds. */
export const SKETCH_MAX_COUNT = 15;

const H2_SALT = 0x61c88647;
const DOOR_SALT = 0x2545f491;
/** The low bit of every nibble, and everything but each nibble's high bit. */
const LOW_BITS = 0x11111111;
const HALF_MASK = 0x77777777;

export interface CountMinSketchOptions {
  /** counters per row, a power of two >= 8 */
  width: number;
  /** rows, each with its own hash (default 4) */
  depth?: number;
  /** additions between halvings (default: never halve) */
  sampleSize?: number;
  /** seed of the row hashes (default 0) */
  seed?: number;
  /** put a Bloom filter doorkeeper in front of the counters (default false) */
  doorkeeper?: boolean;
}

function nextPowerOfTwo(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}

/** Number of set low-nibble bits in w & LOW_BITS (0..8). */
function oddNibbles(w: number): number {
  let x = w & LOW_BITS;
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export class CountMinSketch {
  readonly width: number;
  readonly depth: number;
  readonly sampleSize: number;
  private readonly seed: number;
  /** depth × width nibbles, eight to a word, row after row */
  private readonly table: Uint32Array;
  private readonly door: BloomFilter | null;
  private additions = 0;
  private halvings = 0;

  constructor(opts: CountMinSketchOptions) {
    const { width } = opts;
    const depth = opts.depth ?? 4;
    const sampleSize = opts.sampleSize ?? Number.POSITIVE_INFINITY;
    if (!Number.isInteger(width) || width < 8 || (width & (width - 1)) !== 0 || width > 2 ** 28)
      throw new RangeError(`count-min sketch: width must be a power of two in [8, 2^28], got ${width}`);
    if (!Number.isInteger(depth) || depth < 1 || depth > 16)
      throw new RangeError(`count-min sketch: depth must be an integer in [1, 16], got ${depth}`);
    if (!(sampleSize >= 1))
      throw new RangeError(`count-min sketch: sample size must be >= 1, got ${sampleSize}`);
    this.width = width;
    this.depth = depth;
    this.sampleSize = sampleSize;
    this.seed = (opts.seed ?? 0) | 0;
    this.table = new Uint32Array((width * depth) / 8);
    // Sized for the distinct keys of one sample at 1% false positives, or for the width if unbounded.
    this.door = opts.doorkeeper
      ? BloomFilter.forCapacity(Number.isFinite(sampleSize) ? sampleSize : width, 0.01, this.seed ^ DOOR_SALT)
      : null;
  }

  /**
   * A sketch for a cache of `capacity` entries, proportioned as in TinyLFU
   * implementations: four rows of 4·capacity counters (rounded up to a power
   * of two), halved every 10·capacity additions.
   */
  static forCapacity(capacity: number, seed = 0, doorkeeper = false): CountMinSketch {
    const c = Math.max(1, Math.ceil(capacity));
    return new CountMinSketch({
      width: Math.max(8, nextPowerOfTwo(4 * c)),
      depth: 4,
      sampleSize: 10 * c,
      seed,
      doorkeeper,
    });
  }

  /** Records one sighting of key (a non-negative integer < 2^53). */
  increment(key: number): void {
    const door = this.door;
    if (door !== null && !door.mightContain(key)) {
      door.add(key);
      this.tick();
      return;
    }
    const table = this.table;
    const mask = this.width - 1;
    const h1 = hash32(key, this.seed);
    const h2 = hash32(key, this.seed ^ H2_SALT);
    let grew = false;
    for (let r = 0; r < this.depth; r++) {
      const slot = r * this.width + ((h1 + Math.imul(r, h2)) & mask);
      const w = slot >>> 3;
      const shift = (slot & 7) << 2;
      if (((table[w] >>> shift) & 15) < SKETCH_MAX_COUNT) {
        table[w] += 1 << shift;
        grew = true;
      }
    }
    // A key already saturated everywhere adds nothing to the sample (it cannot grow).
    if (grew) this.tick();
  }

  /** Estimated recent sightings of key: never below the true count, up to saturation (15; 16 with the doorkeeper). */
  estimate(key: number): number {
    const table = this.table;
    const mask = this.width - 1;
    const h1 = hash32(key, this.seed);
    const h2 = hash32(key, this.seed ^ H2_SALT);
    let min = SKETCH_MAX_COUNT;
    for (let r = 0; r < this.depth; r++) {
      const slot = r * this.width + ((h1 + Math.imul(r, h2)) & mask);
      const c = (table[slot >>> 3] >>> ((slot & 7) << 2)) & 15;
      if (c < min) min = c;
    }
    if (this.door !== null && this.door.mightContain(key)) min++;
    return min;
  }

  /**
   * Halves every counter (rounding down) and empties the doorkeeper: the
   * aging step, run automatically every sampleSize additions.
   */
  halve(): void {
    const table = this.table;
    let odd = 0;
    for (let i = 0; i < table.length; i++) {
      const w = table[i];
      odd += oddNibbles(w);
      table[i] = (w >>> 1) & HALF_MASK;
    }
    // Each addition bumped `depth` counters; the halves rounded away are no longer in the sample.
    this.additions = Math.max(0, Math.floor((this.additions - odd / this.depth) / 2));
    if (this.door !== null) this.door.clear();
    this.halvings++;
  }

  /** Additions counted towards the next halving. */
  get sampled(): number {
    return this.additions;
  }

  /** Halvings so far. */
  get resets(): number {
    return this.halvings;
  }

  /** Forgets everything. */
  clear(): void {
    this.table.fill(0);
    this.additions = 0;
    if (this.door !== null) this.door.clear();
  }

  private tick(): void {
    if (++this.additions >= this.sampleSize) this.halve();
  }
}
