// The presence store on its own: TTL entries, the truth of live devices, stale
// episodes, expiry and bulk marking, fan-out audiences; and a model check of
// its stale time against a second-by-second replay.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PresenceStore } from "../src/mechanisms/presence.js";

describe("PresenceStore", () => {
  it("shows a user online while the entry lives; a close frame deletes it at once", () => {
    const p = new PresenceStore(3, 3);
    p.deviceUp(0, 0);
    expect(p.write(0, 0, 30)).toBe(true);
    expect(p.write(0, 10, 30)).toBe(false);
    expect(p.shownOnline(0, 39)).toBe(true);
    expect(p.shownOnline(0, 40)).toBe(false);
    expect(p.deviceDown(0, 15, true)).toBe(true);
    expect(p.shownOnline(0, 15)).toBe(false);
    expect(p.staleMs(100)).toBe(0);
    expect(p.wentOnline).toBe(1);
    expect(p.wentOffline).toBe(1);
  });

  it("keeps a vanished user green until the TTL; expiry reports the delay once", () => {
    const p = new PresenceStore(2, 2);
    p.deviceUp(1, 0);
    p.write(1, 5, 30);
    expect(p.deviceDown(1, 12, false)).toBe(false);
    expect(p.expire(1, 20)).toBe(-1);
    expect(p.expire(1, 35)).toBe(23);
    expect(p.expire(1, 35)).toBe(-1);
    expect(p.bulkOffline(1, 40)).toBe(-1);
    expect(p.staleMs(100)).toBe(23);
  });

  it("bulk marking ends the stale episode as the instance dies; a second device keeps the user online", () => {
    const p = new PresenceStore(1, 1);
    p.deviceUp(0, 0);
    p.deviceUp(0, 0);
    p.write(0, 0, 30);
    expect(p.deviceDown(0, 5, false)).toBe(false);
    expect(p.bulkOffline(0, 5)).toBe(-1);
    p.deviceDown(0, 6, false);
    expect(p.bulkOffline(0, 6)).toBe(0);
    expect(p.staleMs(50)).toBe(0);
  });

  it("counts audiences: global, and channels of consecutive users", () => {
    const p = new PresenceStore(250, 100);
    for (const u of [0, 1, 150, 249]) p.deviceUp(u, 0);
    expect(p.onlineAudience(0, false)).toBe(1);
    expect(p.onlineAudience(0, true)).toBe(3);
    expect(p.onlineAudience(5, true)).toBe(4);
    expect(p.audience(0, false)).toBe(99);
    expect(p.audience(249, false)).toBe(49);
    expect(p.audience(0, true)).toBe(249);
  });

  it("stale time = time shown online while no device is live (model check)", () => {
    const step = fc.record({
      op: fc.constantFrom("up", "down", "gone", "write", "bulk"),
      dt: fc.integer({ min: 0, max: 20 }),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const ttl = 30;
        const p = new PresenceStore(1, 1);
        let live = 0;
        let expires = -Infinity;
        let stale = 0;
        let now = 0;
        const advance = (to: number) => {
          for (let t = now; t < to; t++) if (live === 0 && expires > t && wentOffline) stale++;
          now = to;
        };
        let wentOffline = false;
        for (const s of steps) {
          advance(now + s.dt);
          if (s.op === "up") {
            p.deviceUp(0, now);
            live++;
            wentOffline = false;
          } else if (s.op === "write" && live > 0) {
            p.write(0, now, ttl);
            expires = Math.max(expires, now + ttl);
          } else if ((s.op === "down" || s.op === "gone") && live > 0) {
            live--;
            const graceful = s.op === "down";
            p.deviceDown(0, now, graceful);
            if (live === 0) {
              if (graceful) expires = Math.min(expires, now);
              else wentOffline = true;
            }
          } else if (s.op === "bulk" && live === 0 && expires > now) {
            p.bulkOffline(0, now);
            expires = now;
          }
        }
        advance(now + 100);
        expect(p.staleMs(now)).toBe(stale);
      }),
    );
  });
});
