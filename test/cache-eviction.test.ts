// Eviction policies in a running system (examples/cache/eviction.yaml): under
// a steady Zipf popularity, frequency-aware policies beat LRU and FIFO trails
// it; with a scan mixed in, LRU loses part of its hot set to keys used once,
// while SLRU, ARC and W-TinyLFU keep it. The mechanisms are checked against
// theory (Che's approximation) and reference models in the mechanisms tests.
import { describe, expect, it } from "vitest";
import { runFile } from "./support/run.js";

describe("hit ratio by eviction policy (examples/cache/eviction.yaml)", () => {
  const r = runFile("examples/cache/eviction.yaml");
  const hit = (name: string) => (r.components[name] as unknown as { hitRatio: number }).hitRatio;
  // With 13k lookups per cache the standard error of a hit ratio is about
  // 0.005; the margins below are several of those.

  it("under Zipf, lfu, slru, arc and w-tinylfu beat lru, and fifo trails it", () => {
    for (const p of ["lfu", "slru", "arc", "w-tinylfu"])
      expect(hit(`zipf-${p}`)).toBeGreaterThan(hit("zipf-lru") + 0.03);
    expect(hit("zipf-lru")).toBeGreaterThan(hit("zipf-fifo") + 0.01);
  });

  it("a scan (keys used once, 3 lookups in 4) pushes lru's hot keys out; scan-resistant policies keep more of them", () => {
    // the scan's own lookups always miss: without pollution a cache would hit a quarter as often as its zipf twin
    const pollution = (p: string) => hit(`zipf-${p}`) / 4 - hit(`scan-${p}`);
    expect(pollution("lru")).toBeGreaterThan(0.02);
    // over seeds 1-4 and 41: lru loses 0.025-0.034, slru and arc 0.011-0.019, w-tinylfu about nothing
    for (const p of ["slru", "arc"]) expect(pollution(p)).toBeLessThan(0.8 * pollution("lru"));
    expect(pollution("w-tinylfu")).toBeLessThan(0.5 * pollution("lru"));
  });
});
