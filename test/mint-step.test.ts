// The mint step (a URL shortener's new codes) in a running design: what it
// costs in calls and draws is checked against its arithmetic (one counter
// write per range; a store read per draw, 1/(1 - n/S) draws per code), the
// request's key becomes its code (every link lands on a key of its own), a
// crash skips the rest of an instance's range, and bad steps are refused
// with a hint.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildSimulation } from "../src/design/build.js";
import { loadDesign } from "../src/design/load.js";
import { codeSpace } from "../src/mechanisms/short-codes.js";
import type { Report } from "../src/report/json.js";
import { rejection, runFile, runText } from "./support/run.js";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const comp = (r: Report, name: string) => r.components[name] as unknown as Any;

function design(mint: string, extra = ""): string {
  return `
name: mint-step
duration: 10s
seed: 5
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 200/s }
    routes: [{ route: POST /urls }]
  api:
    kind: service
    instances: 2
    concurrency: 32
    routes:
      POST /urls:
        - { mint: ${mint} }
        - { write: links }
  ids:
    kind: database
    writeTime: 2ms
  links:
    kind: database
    connections: 32
    readTime: 1ms
    writeTime: 2ms
${extra}`;
}

describe("mint step", () => {
  it("counter: one write to the counter per range, and every link on a code of its own", () => {
    const r = runText(design("{ codes: counter, length: 4, range: 100, store: ids }"));
    const m = comp(r, "api").mints[0];
    const api = comp(r, "api");
    expect(r.requests.failed).toBe(0);
    expect(m.minted).toBe(api.completed);
    // each instance takes a range when it has none left; the counter's writes are the ranges
    expect(comp(r, "ids").writes).toBe(m.counter.blocks);
    expect(m.counter.blocks * 100).toBe(m.minted + m.counter.held + m.counter.skipped);
    expect(m.counter.blocks).toBeLessThanOrEqual(Math.ceil(m.minted / 100) + 2);
    expect(m.counter.skipped).toBe(0);
    expect(m.draws).toBe(m.minted);
    expect(m.reads).toBe(0);
    // the write after the step stores each link under its code: as many keys as links
    expect(comp(r, "links").keysWritten).toBe(m.minted);
  });

  it("counter: a crashed instance loses the rest of its range; the ids are skipped, not reused", () => {
    const r = runText(
      design(
        "{ codes: counter, length: 4, range: 1000, store: ids }",
        "faults:\n  - { kill: api, instance: 1, at: 5s, for: 2s }",
      ),
    );
    const m = comp(r, "api").mints[0];
    // ~500 creations per instance in 5 s: its first range of 1,000 was half used
    expect(m.counter.skipped).toBeGreaterThan(0);
    expect(m.counter.skipped).toBeLessThanOrEqual(1000);
    expect(m.counter.blocks * 1000).toBe(m.minted + m.counter.held + m.counter.skipped);
    expect(comp(r, "links").keysWritten).toBe(m.minted);
  });

  it("random with a read per draw: draws per code follow 1/(1 - n/S), each draw one read", () => {
    const r = runText(design("{ codes: random, length: 3, store: links, preload: 80% }"));
    const m = comp(r, "api").mints[0];
    const S = codeSpace(3);
    expect(m.space).toBe(S);
    expect(m.preloaded).toBe(Math.round(0.8 * S));
    // ~2,000 creations at ~80-81% in use: ~5 draws each, geometric (variance q/(1-q)^2 ~ 20 each)
    const q = m.inUse / S;
    expect(m.expectedDrawsPerMint).toBeGreaterThan(1 / (1 - 0.8));
    expect(m.expectedDrawsPerMint).toBeLessThan(1 / (1 - q));
    expect(Math.abs(m.draws - m.expectedDraws)).toBeLessThan(4 * Math.sqrt((m.mints * q) / (1 - q) ** 2));
    // every draw is read: all but those whose read is still out when the run ends (at most one per worker)
    expect(m.reads).toBeLessThanOrEqual(m.draws);
    expect(m.reads).toBeGreaterThanOrEqual(m.draws - 64);
    expect(m.collisions).toBe(m.reads - m.minted);
    // the store served those reads (the mint's reads are the store's only reads)
    expect(Math.abs(comp(r, "links").reads - m.reads)).toBeLessThanOrEqual(64);
    expect(comp(r, "links").keysWritten).toBe(m.minted);
  });

  it("random with a Bloom filter in front: only the codes it flags are read", () => {
    const r = runText(
      design("{ codes: random, length: 3, bloom: { bits: 2M, hashes: 7 }, store: links, preload: 80% }"),
    );
    const m = comp(r, "api").mints[0];
    // a flagged draw is a collision or a false positive, and costs one read
    expect(m.reads).toBe(m.collisions + m.falsePositives);
    // 2M bits for ~190k codes: a false-positive rate of ~1e-3
    expect(m.bloom.falsePositiveRate).toBeLessThan(0.01);
    expect(m.reads).toBeLessThan(m.draws);
    expect(Math.abs(comp(r, "links").reads - m.reads)).toBeLessThanOrEqual(64);
  });

  it("random with attempts: creations past them fail with conflict, at the rate q^a", () => {
    const r = runText(design("{ codes: random, length: 3, store: links, preload: 90%, attempts: 2 }"));
    const m = comp(r, "api").mints[0];
    // ~0.9^2 = 81% of ~2,000 give up: binomial sd ~18
    expect(m.expectedExhausted / m.mints).toBeGreaterThan(0.8);
    expect(Math.abs(m.exhausted - m.expectedExhausted)).toBeLessThan(4 * Math.sqrt(m.mints * 0.19 * 0.81));
    // the failures are those (less the few whose answers are on their way when the run ends)
    expect(r.requests.byOutcome.conflict).toBe(r.requests.failed);
    expect(Math.abs(r.requests.failed - m.exhausted)).toBeLessThanOrEqual(10);
  });

  it("ids.yaml: once arrivals stop and work drains, every request is answered and every job is free", () => {
    // a crash while requests wait on the counter's store (slowed to 500 ms) must strand no job,
    // and the ranges the store hands the dead instance afterwards are lost whole
    const file = "examples/cases/url-shortener/ids.yaml";
    const sets = ["faults.0.at=200ms", "ids.writeTime=500ms"];
    const { design: d } = loadDesign(readFileSync(file, "utf8"), file, sets);
    const simulation = buildSimulation(d, 5);
    const r = simulation.run({ maxEvents: 5e7, maxWallMs: 60_000 });
    simulation.sim.q.run(r.durationMs + 600_000, 5e7);
    expect(simulation.workloads.reduce((s, w) => s + w.answered, 0)).toBe(r.generated);
    expect(simulation.sim.pool.live).toBe(0);
    const m = (runFile(file, sets).components["api-counter"] as unknown as Any).mints[0];
    // every request that found no range asked for one: the dead instance's are skipped in thousands
    expect(m.counter.skipped % 1000).toBe(0);
    expect(m.counter.skipped).toBeGreaterThanOrEqual(1000);
    expect(m.counter.blocks * 1000).toBe(m.minted + m.counter.held + m.counter.skipped);
  });

  it("is deterministic: the same seed mints the same codes", () => {
    const text = design("{ codes: random, length: 3, bloom: { bits: 100k, hashes: 3 }, preload: 50% }");
    expect(comp(runText(text), "api").mints).toEqual(comp(runText(text), "api").mints);
  });

  it("refuses steps it cannot run, with a hint", () => {
    const full = rejection(design("{ codes: random, length: 3, store: links, preload: 238328 }"));
    expect(full).toMatch(/fill the space of 62\^3 = 238,328/);
    expect(full).toMatch(/length 4 holds 14,776,336/);
    expect(rejection(design("{ codes: random, length: 2, store: links, preload: 100% }"))).toMatch(
      /no code is left/,
    );
    expect(rejection(design("{ codes: random, length: 3 }"))).toMatch(/bloom: \{ bits: 10M, hashes: 7 \}/);
    expect(rejection(design("{ codes: counter, length: 3 }"))).toMatch(/add store: <a database>/);
    expect(
      rejection(design("{ codes: counter, length: 3, store: ids, bloom: { bits: 10, hashes: 1 } }")),
    ).toMatch(/unique by construction/);
    expect(rejection(design("{ codes: random, length: 3, store: links, range: 10 }"))).toMatch(
      /range is the counter's/,
    );
    expect(rejection(design("{ codes: counter, length: 9, store: ids }"))).toMatch(/at most 8 characters/);
    expect(rejection(design("{ codes: counter, length: 3, store: idz }"))).toMatch(
      /"idz" is not a component[\s\S]*ids/,
    );
    expect(rejection(design("{ codes: random, length: 6, store: links, preload: 10% }"))).toMatch(
      /at most 1,048,576 random codes can be preloaded/,
    );
    expect(rejection(design("{ codes: random, length: 3, store: links, preload: 0.5 }"))).toMatch(/50%/);
  });
});
