// Where a user lives: a fixed function of the user id, so that every request
// of a user comes from the same region and a geo-sharded store can put that
// user's data (their key, with per-user keys) in the same region's shard.
import { fmix32 } from "./rng.js";

export class HomeRegions {
  private readonly cum: Float64Array;

  /** `weights[i]` is the share of users living in region `regions[i]`. */
  constructor(
    readonly regions: readonly number[],
    weights: readonly number[],
  ) {
    const total = weights.reduce((s, w) => s + w, 0);
    this.cum = new Float64Array(weights.length);
    let acc = 0;
    for (let i = 0; i < weights.length; i++) {
      acc += weights[i] / total;
      this.cum[i] = acc;
    }
    this.cum[weights.length - 1] = 1;
  }

  /** The region index (as in `regions`) the user lives in. */
  of(user: number): number {
    if (this.regions.length === 1) return this.regions[0];
    const u = fmix32(user ^ 0x2545f491) / 4294967296;
    let i = 0;
    while (this.cum[i] <= u && i < this.cum.length - 1) i++;
    return this.regions[i];
  }
}
