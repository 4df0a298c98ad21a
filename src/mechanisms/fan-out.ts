// Fan-out of one request over many keys: the followers' timelines a post is
// written to (fan-out on write), the followees' post lists a feed read
// fetches (fan-out on read). Two pieces, both pure:
//
// - fanOutKey: the i-th key a request's key fans out to, within a key space
//   [0, keys). An affine permutation (offset + i·stride mod keys, stride
//   coprime with keys) seeded by the request's key, so a request's keys are
//   distinct (no follower gets the post twice) and spread over the space,
//   and the same key always fans out to the same keys (an author's followers
//   do not change between posts).
// - FanOut: the progress of one fan-out whose calls are sent at most
//   `concurrency` at a time (a fan-out worker's pipeline depth), each answer
//   releasing the next send, and which stops sending after the first failure
//   and ends once every call sent has answered.
import { hash32 } from "./hashing.js";

/** The largest key space: i·stride stays below 2^52, exact in a double. */
export const MAX_FAN_OUT_KEYS = 2 ** 26;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** The i-th of the keys `key` fans out to, in [0, keys); distinct for i < keys. */
export function fanOutKey(key: number, i: number, keys: number): number {
  if (!Number.isInteger(keys) || keys < 1 || keys > MAX_FAN_OUT_KEYS)
    throw new RangeError(`fanOutKey: keys must be an integer in [1, 2^26], got ${keys}`);
  if (!Number.isInteger(i) || i < 0 || i >= keys)
    throw new RangeError(`fanOutKey: i must be an integer in [0, ${keys}), got ${i}`);
  const offset = hash32(key, 0x5bd1e995) % keys;
  let stride = keys === 1 ? 1 : 1 + (hash32(key, 0x1b873593) % (keys - 1));
  // a stride coprime with the key space visits every key once per cycle
  while (gcd(stride, keys) !== 1) stride = stride === keys - 1 ? 1 : stride + 1;
  // i·stride < 2^52: exact in a double
  return (offset + ((i * stride) % keys)) % keys;
}

/** The progress of one request's fan-out. */
export class FanOut {
  /** calls sent so far (the next one to send is number `sent`) */
  sent = 0;
  /** calls sent and not yet answered */
  inFlight = 0;
  /** the first failed call's outcome (0: none so far) */
  failure = 0;
  /** the request was given up: send nothing more */
  stopped = false;

  constructor(
    readonly total: number,
    readonly concurrency: number,
  ) {
    if (!Number.isInteger(total) || total < 0)
      throw new RangeError(`FanOut: total must be >= 0, got ${total}`);
    if (!(concurrency >= 1)) throw new RangeError(`FanOut: concurrency must be >= 1, got ${concurrency}`);
  }

  /** The index of the next call to send now, or -1 if none may be sent (window full, all sent, or failed). */
  next(): number {
    if (this.stopped || this.failure !== 0 || this.sent >= this.total || this.inFlight >= this.concurrency)
      return -1;
    this.inFlight++;
    return this.sent++;
  }

  /** Records a call's answer (outcome 0 is success); true when the fan-out is over (nothing left in flight or to send). */
  answered(outcome: number): boolean {
    if (this.inFlight <= 0) throw new RangeError("FanOut: an answer with no call in flight");
    this.inFlight--;
    if (outcome !== 0 && this.failure === 0) this.failure = outcome;
    return this.done();
  }

  /** Whether nothing is in flight and nothing more will be sent. */
  done(): boolean {
    if (this.inFlight > 0) return false;
    return this.stopped || this.failure !== 0 || this.sent >= this.total;
  }
}
