// The file-sync case (docs/cases/file-sync.md): the page quotes current
// numbers, and its claims hold: whole-file sync sends every byte, delta sync
// the changed blocks less those the store holds; dedup saves what the shared
// contents predict; polling costs the metadata database a read per device per
// interval and a device half an interval, push one network trip; a crashed
// notification instance delays saves but loses none.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { docReports, filledDoc, staleParts } from "../src/cli/doc.js";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// the designs' settings (examples/cases/file-sync/*.yaml)
const MiB = 1024 * 1024;
const FILE = 100 * MiB;
const BLOCK = 4 * MiB;
const BLOCKS = FILE / BLOCK; // 25
const FILES = 6000;
const DUPLICATE = 0.5;
const COMMON = 1000;
const UPLINK = 100e6 / 8; // bytes per second
const POLL_S = 30;
const DURATION_S = 120;

describe("case: file sync", () => {
  const file = "docs/cases/file-sync.md";
  const text = readFileSync(file, "utf8");
  const reports = docReports(file, text) as Record<string, Any>;
  const { naive, improved, nodedup } = reports;
  const put = (r: Any): Any => r.routes["PUT /files/:id"];

  it("the page's numbers and charts are current", () => {
    expect(
      staleParts(file, text, filledDoc(file, text, reports as never)),
      `run: archsim doc ${file}`,
    ).toEqual([]);
  });

  it("whole-file sync sends the whole file on every save: 100 MiB over 100 Mbps, 8.4 s", () => {
    const b = naive.components.blocks;
    expect(b.uploadedBytes).toBe(b.edits * FILE);
    expect(b.changedBlocks).toBe(b.edits); // one block of 25 per edit
    const transferMs = (FILE / UPLINK) * 1000;
    expect(put(naive).latencyMs.p50).toBeGreaterThan(transferMs);
    expect(put(naive).latencyMs.p50).toBeLessThan(transferMs + 200); // + opTime, db write, network
    expect(naive.slo[0].pass).toBe(false);
  });

  it("delta sync sends the changed block unless the store holds its content: (1/25) x (1 - dedup hits)", () => {
    const b = improved.components.blocks;
    // one changed block per save, sent unless it is a copy already stored
    expect(b.uploadedBytes).toBe((b.edits - b.dedupHits) * BLOCK);
    // a copy with probability 1/2, and after the start every common content is stored
    // (75,000 copies over 1,000 contents): hits ~ Bin(edits, 1/2)
    expect(Math.abs(b.dedupHits - DUPLICATE * b.edits)).toBeLessThan(4 * Math.sqrt(b.edits * 0.25));
    const ratio = b.uploadedBytes / b.fileBytes;
    expect(ratio).toBeCloseTo((1 / BLOCKS) * (1 - b.dedupHits / b.edits), 10);
    expect(ratio).toBeLessThan(0.03);
    // without dedup every changed block goes: exactly 1/25 of the bytes
    const n = nodedup.components.blocks;
    expect(n.uploadedBytes / n.fileBytes).toBeCloseTo(1 / BLOCKS, 10);
    expect(put(improved).latencyMs.p99).toBeLessThan((BLOCK / UPLINK) * 1000 + 200);
    expect(improved.slo.every((s: Any) => s.pass)).toBe(true);
  });

  it("dedup saves the copies beyond the first of each common content: the case's 40-60%", () => {
    // B full blocks, D = d x B of them copies of COMMON contents, covering
    // COMMON x (1 - (1 - 1/COMMON)^D) of them; every other copy is saved
    const B = FILES * BLOCKS;
    const D = DUPLICATE * B;
    const distinct = COMMON * (1 - Math.pow(1 - 1 / COMMON, D));
    const expected = (D - distinct) / B;
    const saving = improved.components.blocks.startDedupSaving;
    expect(Math.abs(saving - expected)).toBeLessThan(4 * Math.sqrt((DUPLICATE * (1 - DUPLICATE)) / B));
    expect(saving).toBeGreaterThan(0.4);
    expect(saving).toBeLessThan(0.6);
    expect(naive.components.blocks.storedBytes).toBe(FILES * FILE);
    expect(nodedup.components.blocks.dedupSaving).toBe(0);
  });

  it("a polled device hears of a save half an interval later on average; a pushed one in a network trip", () => {
    // delays are uniform on [0, 30 s]; saves published in the last 30 s are
    // counted only if their poll came before the end, which shortens the mean:
    // over L seconds of saves, E = ((L - I) I/2 + I^2/6) / (L - I/2)
    const I = POLL_S;
    const L = DURATION_S - put(naive).latencyMs.p50 / 1000;
    const expectedS = ((L - I) * (I / 2) + (I * I) / 6) / (L - I / 2);
    const ev = naive.components.devices.events;
    const se = I / Math.sqrt(12) / Math.sqrt(ev.latencyMs.count);
    expect(Math.abs(ev.latencyMs.mean / 1000 - expectedS)).toBeLessThan(4 * se + 0.05);
    const push = improved.components.devices.events.latencyMs;
    expect(push.p50).toBeLessThan(100);
    expect(ev.latencyMs.mean).toBeGreaterThan(100 * push.p50);
  });

  it("polling reads the metadata database once per device per interval; push once per save and fetch", () => {
    const pollReads = (FILES / POLL_S) * DURATION_S; // constant arrivals: 200/s
    expect(Math.abs(naive.components.metadata.reads - pollReads)).toBeLessThan(0.01 * pollReads);
    // a block-list read per save and one per fetch: two Poisson streams of 10/s
    const pushReads = (10 + 10) * DURATION_S;
    expect(Math.abs(improved.components.metadata.reads - pushReads)).toBeLessThan(4 * Math.sqrt(pushReads));
    expect(improved.components.metadata.reads).toBeLessThan(naive.components.metadata.reads / 5);
  });

  it("saves whose uploads overlap are conflict copies: about N x (1 - e^(-rate per file x upload time))", () => {
    // another save of the same file (Poisson, 10/s over 6,000 files) committing
    // during a save's upload of mean time T makes it a conflict copy
    const perFile = 10 / FILES;
    const expected = (r: Any): number => {
      const b = r.components.blocks;
      return b.latencyMs.count * (1 - Math.exp((-perFile * b.latencyMs.mean) / 1000));
    };
    for (const r of [naive, improved]) {
      const e = expected(r);
      expect(Math.abs(r.components.blocks.conflicts - e)).toBeLessThan(4 * Math.sqrt(e) + 1);
    }
    expect(expected(naive)).toBeGreaterThan(20 * expected(improved));
    expect(naive.components.blocks.conflicts).toBeGreaterThan(improved.components.blocks.conflicts);
  });

  it("a crashed notification instance: its devices reconnect to the other, and no save's notice is lost", () => {
    const d = improved.components.devices;
    expect(d.reconnects.disconnected).toBe(6000 / 2);
    expect(d.reconnects.reconnected).toBe(d.reconnects.disconnected);
    expect(d.events.lost).toBe(0);
    expect(d.events.pending).toBe(0);
    expect(d.events.delivered).toBe(d.events.published);
    expect(put(improved).availability).toBe(1);
  });
});
