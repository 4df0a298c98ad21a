// Deterministic shares of a population: each id (a user, an API key) falls in
// one class with the given probabilities, by a hash of the id, so that every
// request of that id lands in the same class (a user's plan, say) without any
// state or random draw. Different salts give unrelated assignments.
import { fmix32 } from "./rng.js";

export class HashedShares {
  private readonly cum: Float64Array;

  /** `weights[i]` is the share of ids in class i (normalised). */
  constructor(
    weights: readonly number[],
    private readonly salt: number,
  ) {
    const total = weights.reduce((s, w) => s + w, 0);
    if (weights.length === 0 || !(total > 0)) throw new RangeError("shares: need a positive total weight");
    this.cum = new Float64Array(weights.length);
    let acc = 0;
    for (let i = 0; i < weights.length; i++) {
      acc += weights[i] / total;
      this.cum[i] = acc;
    }
    this.cum[weights.length - 1] = 1;
  }

  /** The class of `id`, from 0. */
  of(id: number): number {
    if (this.cum.length === 1) return 0;
    const u = fmix32(id ^ this.salt) / 4294967296;
    let i = 0;
    while (this.cum[i] <= u && i < this.cum.length - 1) i++;
    return i;
  }
}
