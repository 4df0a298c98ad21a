// The content-addressed block store of file sync: what an edit uploads under
// whole-file and delta sync, the dedup saving against its closed form, and
// the store's accounting against a recount from the files' block lists.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stream } from "../src/kernel/rng.js";
import { BlockStore, type BlockStoreConfig } from "../src/mechanisms/block-store.js";

const MiB = 1024 * 1024;
const base: BlockStoreConfig = {
  blockSize: 4 * MiB,
  dedup: true,
  sync: "delta",
  duplicate: 0,
  commonBlocks: 1000,
  changed: 0.04,
};
const store = (cfg: Partial<BlockStoreConfig>, seed = 1): BlockStore =>
  new BlockStore({ ...base, ...cfg }, stream(seed, "blocks"));

describe("block store: what an edit uploads", () => {
  it("a 100 MiB file is 25 blocks; whole-file sync sends all of it again, delta sync one block", () => {
    const whole = store({ sync: "whole-file", dedup: false });
    const delta = store({ sync: "delta" });
    for (const s of [whole, delta]) expect(s.addFile(7, 100 * MiB).uploadedBytes).toBe(100 * MiB);
    const w = whole.edit(7);
    const d = delta.edit(7);
    expect(w).toMatchObject({ blocks: 25, changedBlocks: 1, uploadedBlocks: 25, uploadedBytes: 100 * MiB });
    expect(d).toMatchObject({ blocks: 25, changedBlocks: 1, uploadedBlocks: 1, uploadedBytes: 4 * MiB });
  });

  it("an edit rewrites round(changed x blocks) distinct blocks, at least one", () => {
    const s = store({ changed: 0.3 });
    s.addFile(1, 40 * MiB); // 10 blocks
    const before = s.blocksOf(1)!.slice();
    const r = s.edit(1);
    expect(r.changedBlocks).toBe(3);
    const after = s.blocksOf(1)!;
    expect(after.filter((id, i) => id !== before[i]).length).toBe(3);
    const tiny = store({ changed: 0.01 });
    tiny.addFile(1, 10 * MiB);
    expect(tiny.edit(1).changedBlocks).toBe(1);
  });

  it("a file's last block holds the remainder, and an edit of it sends only those bytes", () => {
    const s = store({ changed: 1 });
    s.addFile(1, 9 * MiB); // 4 + 4 + 1 MiB
    expect(s.edit(1)).toMatchObject({ blocks: 3, changedBytes: 9 * MiB, uploadedBytes: 9 * MiB });
    expect(s.logicalBytes).toBe(9 * MiB);
  });

  it("with dedup, delta sync does not send a block whose content is stored already", () => {
    // every block is a copy of the one common content: only the first is sent
    const s = store({ duplicate: 1, commonBlocks: 1 });
    expect(s.addFile(1, 40 * MiB)).toMatchObject({ uploadedBlocks: 1, dedupHits: 9 });
    expect(s.addFile(2, 40 * MiB)).toMatchObject({ uploadedBlocks: 0, dedupHits: 10 });
    expect(s.storedBytes).toBe(4 * MiB);
    expect(s.logicalBytes).toBe(80 * MiB);
    // without dedup every copy is stored
    const plain = store({ duplicate: 1, commonBlocks: 1, dedup: false });
    plain.addFile(1, 40 * MiB);
    expect(plain.storedBytes).toBe(40 * MiB);
  });

  it("refuses a bad configuration or a misuse", () => {
    expect(() => store({ blockSize: 0 })).toThrow(/blockSize/);
    expect(() => store({ duplicate: 1.5 })).toThrow(/duplicate/);
    expect(() => store({ changed: -0.1 })).toThrow(/changed/);
    expect(() => store({ commonBlocks: 0 })).toThrow(/commonBlocks/);
    const s = store({});
    expect(() => s.edit(3)).toThrow(/no file/);
    s.addFile(3, MiB);
    expect(() => s.addFile(3, MiB)).toThrow(/exists/);
    expect(() => s.addFile(4, 0)).toThrow(/at least one byte/);
  });
});

describe("block store: conflict copies", () => {
  it("a save whose base version moved on while it uploaded is a conflict copy; saves one after another are not", () => {
    const s = store({});
    s.addFile(1, 8 * MiB);
    // two devices start from version 0; the first commits, the second finds version 1
    const a = s.versionOf(1);
    const b = s.versionOf(1);
    expect(s.commitVersion(1, a)).toBe(false);
    expect(s.commitVersion(1, b)).toBe(true);
    // a save that starts after both commits is based on the latest
    expect(s.commitVersion(1, s.versionOf(1))).toBe(false);
    expect(s.versionOf(1)).toBe(3);
    expect(() => s.commitVersion(9, 0)).toThrow(/no file/);
  });

  it("counts exactly the saves that overlap an earlier commit, for any interleaving", () => {
    // saves as [start, end] intervals of one file: a save conflicts iff some
    // other save committed strictly between its start and its own commit
    const events = fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 20 })), {
      maxLength: 12,
    });
    fc.assert(
      fc.property(events, (saves) => {
        const s = store({});
        s.addFile(0, MiB);
        const iv = saves.map(([start, len], i) => ({ i, start: 2 * start, end: 2 * (start + len) + 1 }));
        // starts before commits at equal times cannot happen: starts are even, ends odd
        const timeline = [
          ...iv.map((x) => ({ t: x.start, x, kind: "start" as const })),
          ...iv.map((x) => ({ t: x.end, x, kind: "end" as const })),
        ].sort((p, q) => p.t - q.t || p.x.i - q.x.i);
        const base = new Map<number, number>();
        let conflicts = 0;
        for (const e of timeline)
          if (e.kind === "start") base.set(e.x.i, s.versionOf(0));
          else if (s.commitVersion(0, base.get(e.x.i)!)) conflicts++;
        // y commits before x: earlier, or at the same time and first in the timeline
        const before = (y: (typeof iv)[0], x: (typeof iv)[0]) =>
          y.end < x.end || (y.end === x.end && y.i < x.i);
        const expected = iv.filter((x) => iv.some((y) => y !== x && y.end > x.start && before(y, x))).length;
        expect(conflicts).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe("block store: the dedup saving", () => {
  it("matches the closed form: duplicates minus the distinct common contents they cover", () => {
    // B full blocks, each a common content with probability d, drawn from P:
    // D ~ Bin(B, d) copies cover P(1 - (1 - 1/P)^D) distinct contents, and every
    // copy beyond the first of its content is saved
    const B = 20_000;
    const P = 2_000;
    for (const d of [0.2, 0.5, 0.8]) {
      const s = store({ duplicate: d, commonBlocks: P }, 11);
      for (let f = 0; f < B / 25; f++) s.addFile(f, 100 * MiB);
      const D = B * d;
      const distinct = P * (1 - Math.pow(1 - 1 / P, D));
      const expected = (D - distinct) / B;
      const saving = 1 - s.storedBytes / s.logicalBytes;
      // sd of D / B is sqrt(d(1-d)/B) < 0.004; distinct varies far less
      expect(Math.abs(saving - expected)).toBeLessThan(0.015);
      expect(saving).toBeLessThan(d);
    }
  });
});

describe("block store: accounting invariants", () => {
  const cfgArb = fc.record({
    blockSize: fc.constantFrom(MiB, 4 * MiB),
    dedup: fc.boolean(),
    sync: fc.constantFrom("delta" as const, "whole-file" as const),
    duplicate: fc.double({ min: 0, max: 1, noNaN: true }),
    commonBlocks: fc.integer({ min: 1, max: 20 }),
    changed: fc.double({ min: 0, max: 1, noNaN: true }),
  });
  // an action: a new file of 1..12 MiB, or an edit of file i (if it exists)
  const actionArb = fc.oneof(
    fc.record({ add: fc.integer({ min: 0, max: 5 }), bytes: fc.integer({ min: 1, max: 12 * MiB }) }),
    fc.record({ edit: fc.integer({ min: 0, max: 5 }) }),
  );

  it("stored bytes are the distinct contents' bytes (dedup) or all files' bytes; uploads never exceed the file", () => {
    fc.assert(
      fc.property(cfgArb, fc.array(actionArb, { maxLength: 40 }), fc.integer(), (cfg, actions, seed) => {
        const s = new BlockStore(cfg, stream(seed, "p"));
        const sizes = new Map<number, number>();
        for (const a of actions) {
          let r;
          if ("add" in a) {
            if (sizes.has(a.add)) continue;
            r = s.addFile(a.add, a.bytes);
            sizes.set(a.add, a.bytes);
          } else {
            if (!sizes.has(a.edit)) continue;
            r = s.edit(a.edit);
          }
          const bytes = sizes.get("add" in a ? a.add : a.edit)!;
          expect(r.uploadedBytes).toBeLessThanOrEqual(bytes);
          if (cfg.sync === "delta") expect(r.uploadedBytes).toBeLessThanOrEqual(r.changedBytes);
          else expect(r.uploadedBytes).toBe(bytes);
          expect(r.dedupHits).toBeLessThanOrEqual(r.changedBlocks);
        }
        const logical = [...sizes.values()].reduce((x, y) => x + y, 0);
        expect(s.logicalBytes).toBe(logical);
        // recount from the block lists
        const distinct = new Set<number>();
        let blocks = 0;
        let listed = 0;
        for (const f of sizes.keys()) {
          const list = s.blocksOf(f)!;
          blocks += list.length;
          for (const id of list) {
            distinct.add(id);
            listed += s.bytesOf(id);
          }
        }
        expect(listed).toBe(logical);
        const distinctBytes = [...distinct].reduce((x, id) => x + s.bytesOf(id), 0);
        expect(s.storedBytes).toBe(cfg.dedup ? distinctBytes : logical);
        expect(s.storedBlocks).toBe(cfg.dedup ? distinct.size : blocks);
      }),
      { numRuns: 300 },
    );
  });
});
