// A Bloom filter over integer keys (non-negative, below 2^53, as everywhere in
// mechanisms/): a set that answers "maybe present" or "certainly absent". It
// is what a cache puts in front of its origin against lookups of keys that
// exist nowhere (cache penetration), and what TinyLFU uses as a doorkeeper.
//
// m bits in a Uint32Array and k probe positions per key by double hashing
// (Kirsch and Mitzenmacher, 2006): g_i = h1 + i·h2 mod m from two seeded
// 32-bit hashes, which keeps the false-positive rate of k independent hashes
// while hashing each key only twice.
import { hash32 } from "./hashing.js";

/** Salt of the second hash, so h2 is unrelated to h1 under the same seed. */
const H2_SALT = 0x27d4eb2f;
/** Bits the filter can address: positions are derived from 32-bit hashes. */
const MAX_BITS = 4294967296;

export interface BloomParameters {
  /** bits in the filter (m) */
  bits: number;
  /** probe positions per key (k) */
  hashes: number;
}

/**
 * Optimal sizing for n expected items and target false-positive rate p:
 * m = ceil(-n ln p / (ln 2)^2) bits and k = round((m / n) ln 2) hashes (at
 * least one), the k that minimises (1 - e^{-kn/m})^k for that m.
 */
export function bloomParameters(expectedItems: number, falsePositiveRate: number): BloomParameters {
  if (!(expectedItems >= 1) || !Number.isFinite(expectedItems))
    throw new RangeError(`bloom filter: expected items must be a finite number >= 1, got ${expectedItems}`);
  if (!(falsePositiveRate > 0 && falsePositiveRate < 1))
    throw new RangeError(`bloom filter: false-positive rate must be in (0, 1), got ${falsePositiveRate}`);
  const bits = Math.ceil((-expectedItems * Math.log(falsePositiveRate)) / (Math.LN2 * Math.LN2));
  const hashes = Math.max(1, Math.round((bits / expectedItems) * Math.LN2));
  return { bits, hashes };
}

/** (1 - e^{-kn/m})^k: the false-positive rate expected after n distinct insertions. */
export function bloomFalsePositiveRate(bits: number, hashes: number, items: number): number {
  return Math.pow(-Math.expm1((-hashes * items) / bits), hashes);
}

export class BloomFilter {
  /** m: bits in the filter */
  readonly bits: number;
  /** k: probe positions per key */
  readonly hashes: number;
  private readonly words: Uint32Array;
  private readonly seed: number;
  private added = 0;
  private ones = 0;

  constructor(bits: number, hashes: number, seed = 0) {
    if (!Number.isInteger(bits) || bits < 1 || bits > MAX_BITS)
      throw new RangeError(`bloom filter: bits must be an integer in [1, 2^32], got ${bits}`);
    if (!Number.isInteger(hashes) || hashes < 1 || hashes > 64)
      throw new RangeError(`bloom filter: hashes must be an integer in [1, 64], got ${hashes}`);
    this.bits = bits;
    this.hashes = hashes;
    this.seed = seed | 0;
    this.words = new Uint32Array(Math.ceil(bits / 32));
  }

  /** A filter sized for expectedItems keys at the target false-positive rate (see bloomParameters). */
  static forCapacity(expectedItems: number, falsePositiveRate: number, seed = 0): BloomFilter {
    const { bits, hashes } = bloomParameters(expectedItems, falsePositiveRate);
    return new BloomFilter(bits, hashes, seed);
  }

  /** Adds key (a non-negative integer < 2^53). */
  add(key: number): void {
    const m = this.bits;
    const words = this.words;
    let pos = hash32(key, this.seed) % m;
    const step = hash32(key, this.seed ^ H2_SALT) % m;
    for (let i = 0; i < this.hashes; i++) {
      const w = pos >>> 5;
      const bit = 1 << (pos & 31);
      if ((words[w] & bit) === 0) {
        words[w] |= bit;
        this.ones++;
      }
      pos += step;
      if (pos >= m) pos -= m;
    }
    this.added++;
  }

  /** False means key was never added; true means it probably was. */
  mightContain(key: number): boolean {
    const m = this.bits;
    const words = this.words;
    let pos = hash32(key, this.seed) % m;
    const step = hash32(key, this.seed ^ H2_SALT) % m;
    for (let i = 0; i < this.hashes; i++) {
      if ((words[pos >>> 5] & (1 << (pos & 31))) === 0) return false;
      pos += step;
      if (pos >= m) pos -= m;
    }
    return true;
  }

  /** add() calls since construction or the last clear (repeats included). */
  get count(): number {
    return this.added;
  }

  /** Fraction of the m bits that are set, as measured. */
  get fillRatio(): number {
    return this.ones / this.bits;
  }

  /**
   * Theoretical false-positive rate (1 - e^{-kn/m})^k after n distinct
   * insertions; n defaults to the add() calls so far (exact if none repeated).
   */
  expectedFalsePositiveRate(items = this.added): number {
    return bloomFalsePositiveRate(this.bits, this.hashes, items);
  }

  /**
   * The rate implied by the measured fill, fill^k: the chance that k probe
   * positions of an absent key all land on set bits.
   */
  get estimatedFalsePositiveRate(): number {
    return Math.pow(this.fillRatio, this.hashes);
  }

  /** Empties the filter for a rebuild (keeps its size and seed). */
  clear(): void {
    this.words.fill(0);
    this.added = 0;
    this.ones = 0;
  }
}
