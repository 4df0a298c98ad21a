// Seeded random streams. Every component draws from its own stream, derived
// from (run seed, stream name), so adding or changing one component leaves the
// randomness of every other component untouched (fair A/B comparisons).
import { xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";

const TWO_NEG_26 = 1.4901161193847656e-8;
const TWO_NEG_53 = 1.1102230246251565e-16;

export class Rng {
  constructor(private readonly gen: RandomGenerator) {}

  /** Uniform double in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.gen.next() & 0x3ffffff;
    const lo = this.gen.next() & 0x7ffffff;
    return hi * TWO_NEG_26 + lo * TWO_NEG_53;
  }

  /**
   * Uniform integer in [0, n). Small ranges take one 32-bit draw (relative bias
   * below 2^-12 for n <= 2^20); larger ones use 53 bits.
   */
  int(n: number): number {
    if (n <= 1048576) return Math.floor((this.u32() * n) / 4294967296);
    return Math.floor(this.next() * n);
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    return this.gen.next() >>> 0;
  }
}

/** 32-bit string hash (FNV-1a followed by a murmur3 finaliser for avalanche). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** murmur3's 32-bit finaliser: a bijective mixer with full avalanche. */
export function fmix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Derives an independent generator for `name` under the run seed. */
export function stream(seed: number, name: string): Rng {
  // splitmix32 over (seed, name) fills the 128-bit xoroshiro state.
  let s = (fmix32(seed >>> 0) ^ hashString(name)) | 0;
  const word = (): number => {
    s = (s + 0x9e3779b9) | 0;
    return fmix32(s) | 0;
  };
  const state: number[] = [word(), word(), word(), word()];
  if ((state[0] | state[1] | state[2] | state[3]) === 0) state[0] = 1; // the all-zero state is a fixed point
  return new Rng(xoroshiro128plusFromState(state));
}

/**
 * Draws that belong to a key rather than to the moment they are made: `at(key)`
 * returns a generator whose next values depend only on (seed, key), so a
 * value's size, say, is the same every time its key is read. The generator
 * is shared and reseeded by each call: use it before calling `at` again.
 */
export class KeyedDraws {
  private s = 0;
  private readonly rng: Rng;

  constructor(private readonly seed: number) {
    // a splitmix32 stream, reseeded per key; Rng only ever calls next()
    const gen = { next: () => this.step() } as unknown as RandomGenerator;
    this.rng = new Rng(gen);
  }

  at(key: number): Rng {
    const hi = key >= 4294967296 ? Math.floor(key / 4294967296) : 0;
    this.s = fmix32((key >>> 0) ^ fmix32(hi ^ this.seed)) | 0;
    return this.rng;
  }

  private step(): number {
    this.s = (this.s + 0x9e3779b9) | 0;
    return fmix32(this.s) | 0;
  }
}
