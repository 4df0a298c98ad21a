// Cache-Control as a shared cache (a CDN edge) reads it.
import { describe, expect, it } from "vitest";
import { CacheControlError, edgePolicy, parseCacheControl } from "../src/mechanisms/cache-control.js";

const policy = (text: string) => edgePolicy(parseCacheControl(text));

describe("Cache-Control at the edge", () => {
  it("stores public responses for s-maxage, else max-age, in ms", () => {
    expect(policy("public, max-age=3600")).toEqual({
      store: true,
      revalidate: false,
      ttlMs: 3_600_000,
      swrMs: 0,
      sieMs: 0,
    });
    expect(policy("max-age=600, s-maxage=60").ttlMs).toBe(60_000);
    expect(policy("public").ttlMs).toBe(Number.POSITIVE_INFINITY);
  });

  it("never stores private or no-store responses", () => {
    expect(policy("private, max-age=600").store).toBe(false);
    expect(policy("no-store").store).toBe(false);
  });

  it("revalidates no-cache responses on every use", () => {
    expect(policy("no-cache")).toMatchObject({ store: true, revalidate: true });
  });

  it("serves stale while revalidating, unless must-revalidate forbids stale copies", () => {
    expect(policy("max-age=1, stale-while-revalidate=30").swrMs).toBe(30_000);
    expect(policy("max-age=1, stale-while-revalidate=30, must-revalidate").swrMs).toBe(0);
    expect(policy("max-age=1, stale-while-revalidate=30, proxy-revalidate").swrMs).toBe(0);
  });

  it("serves stale if the origin fails (RFC 5861), unless must-revalidate forbids stale copies", () => {
    expect(policy("max-age=60, stale-if-error=86400")).toMatchObject({ swrMs: 0, sieMs: 86_400_000 });
    expect(policy("max-age=60, stale-if-error=600, must-revalidate").sieMs).toBe(0);
  });

  it("reads names case-insensitively and quoted values", () => {
    expect(policy('Public, MAX-AGE="120"').ttlMs).toBe(120_000);
  });

  it("rejects what a cache could not read, naming the directive", () => {
    const fails = (text: string) => {
      try {
        parseCacheControl(text);
      } catch (e) {
        expect(e).toBeInstanceOf(CacheControlError);
        return e as CacheControlError;
      }
      throw new Error(`"${text}" was accepted`);
    };
    expect(fails("max-agee=60").directive).toBe("max-agee");
    expect(fails("max-age").message).toMatch(/needs a value in seconds/);
    expect(fails("max-age=1h").hint).toMatch(/seconds without a unit/);
    expect(fails("max-age=-1").message).toMatch(/whole number of seconds/);
    expect(fails("public=1").message).toMatch(/takes no value/);
    expect(fails("max-age=1, max-age=2").message).toMatch(/twice/);
    expect(fails("public, private").message).toMatch(/contradict/);
    expect(fails(" , ").message).toMatch(/empty/);
  });
});
