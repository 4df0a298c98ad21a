// Notification preferences (DC-11): what a notification service checks for a
// recipient before it sends. Two settings, each a fixed property of the user,
// so the same user gets the same answer every time:
//
//  opt-out      a share of users turned the category off: their notifications
//               of it are dropped. Who they are is a hash of (user, category):
//               another category has other opted-out users.
//  quiet hours  a share of users set quiet hours: a window of `length` every
//               `every` (a day), at a local time spread over the day by a hash
//               of the user (users live in every time zone). A notification
//               for a user inside the window waits until it ends; an urgent
//               one (P0 security) is sent anyway. Who sets quiet hours, and
//               when, is a hash of the user alone: the same for every category.
//
// Given that a user is in quiet hours, where in the window they are is
// uniform, so the time left is uniform on (0, length]; the share of users in
// quiet hours at any moment is `users x length / every`.
import { hash32 } from "./hashing.js";
import { hashString } from "../kernel/rng.js";

const TWO_32 = 4294967296;
/** seeds of the quiet-hours hashes: who sets them, and their phase */
const QUIET_SEED = 0x51e7;
const PHASE_SEED = 0x9a5e;

export interface QuietHours {
  /** share of users who set quiet hours, in [0, 1] */
  users: number;
  /** how long each one's window lasts (ms), at most `everyMs` */
  lengthMs: number;
  /** the window recurs this often (ms): a day */
  everyMs: number;
}

export interface PreferencesSpec {
  /** the category the notifications belong to: salts the opt-out hash */
  category: string;
  /** share of users who turned the category off, in [0, 1] */
  optOut: number;
  quietHours: QuietHours | null;
}

/** A uniform draw in [0, 1) fixed by the user and a seed. */
export function userDraw(user: number, seed: number): number {
  return hash32(user, seed) / TWO_32;
}

export class Preferences {
  private readonly optOutSeed: number;

  constructor(readonly spec: PreferencesSpec) {
    const { optOut, quietHours: q } = spec;
    if (!(optOut >= 0 && optOut <= 1)) throw new Error(`optOut must be in [0, 1], got ${optOut}`);
    if (q) {
      if (!(q.users >= 0 && q.users <= 1))
        throw new Error(`quiet hours users must be in [0, 1], got ${q.users}`);
      if (!(q.everyMs > 0 && q.lengthMs > 0 && q.lengthMs <= q.everyMs))
        throw new Error(`quiet hours need 0 < length <= every, got ${q.lengthMs} and ${q.everyMs}`);
    }
    this.optOutSeed = hashString(`opt-out/${spec.category}`);
  }

  /** Whether `user` turned this category off. */
  optedOut(user: number): boolean {
    return userDraw(user, this.optOutSeed) < this.spec.optOut;
  }

  /** Whether `user` set quiet hours at all. */
  hasQuietHours(user: number): boolean {
    const q = this.spec.quietHours;
    return q !== null && userDraw(user, QUIET_SEED) < q.users;
  }

  /**
   * When `user`'s quiet hours end, if `now` is inside them; -1 if the user is
   * not in quiet hours at `now` (or set none). The window starts at the
   * user's phase + k x every and covers [start, start + length).
   */
  quietUntil(user: number, now: number): number {
    const q = this.spec.quietHours;
    if (q === null || !this.hasQuietHours(user)) return -1;
    const phase = userDraw(user, PHASE_SEED) * q.everyMs;
    const into = (((now - phase) % q.everyMs) + q.everyMs) % q.everyMs;
    return into < q.lengthMs ? now + (q.lengthMs - into) : -1;
  }
}
