// The block-store component: a service's call uploads the request's file, the
// transfer takes its bytes over the client's uplink, new keys are new files;
// and its settings are checked with errors that point at the field.
import { describe, expect, it } from "vitest";
import { rejection, runText } from "./support/run.js";

const MiB = 1024 * 1024;
const design = (store: string, keys = 100, rate = "20/s") => `
name: blocks
duration: 20s
seed: 3
components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: ${rate} }
    routes: [{ route: PUT /f, keys: { count: ${keys} } }]
  api: { kind: service, instances: 2, concurrency: 64, routes: { PUT /f: [{ call: blocks }] } }
  blocks: ${store}
`;

describe("block store component", () => {
  it("an upload takes its bytes over the uplink plus opTime: whole files vs one block", () => {
    // 40 MiB files over 80 Mbit/s (10 MB/s): 4.19 s whole, 0.42 s for one 4 MiB block
    const common = "files: 100, fileSize: 40MiB, uplink: 80Mbps, opTime: 5ms, changed: 10%";
    const whole = runText(design(`{ kind: block-store, ${common}, sync: whole-file, dedup: false }`));
    const delta = runText(design(`{ kind: block-store, ${common} }`));
    const w = whole.components.blocks as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const d = delta.components.blocks as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(w.latencyMs.p50).toBeCloseTo((40 * MiB) / 1e4 + 5, 0);
    expect(d.latencyMs.p50).toBeCloseTo((4 * MiB) / 1e4 + 5, 0);
    // same seed, same saves: whole-file sends every byte of every saved file, delta one block of ten
    expect(w.uploads).toBe(d.uploads);
    expect(w.uploadedBytes).toBe(w.fileBytes);
    expect(d.uploadedBytes).toBe(d.changedBytes);
    expect(d.changedBlocks).toBe(d.edits); // round(10% x 10 blocks) = 1 per edit
    expect(d.uploadedBytes / d.fileBytes).toBeCloseTo(0.1, 10);
    expect(w.storedBytes).toBe(w.logicalBytes);
  });

  it("keys beyond the files held are new files: uploaded once whole, then edited", () => {
    const r = runText(design("{ kind: block-store, files: 0, fileSize: 8MiB, changed: 50% }", 20, "10/s"));
    const b = r.components.blocks as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(b.newFiles).toBe(b.files);
    expect(b.files).toBe(20);
    expect(b.edits).toBe(b.uploads - b.newFiles);
    // a new 8 MiB file sends 2 blocks, an edit 1 (fresh contents: nothing to dedup)
    expect(b.uploadedBlocks).toBe(2 * b.newFiles + b.edits);
    expect(b.dedupHits).toBe(0);
  });

  it("refuses settings that cannot work, pointing at the field", () => {
    expect(rejection(design("{ kind: block-store, blockSize: 0B }"))).toMatch(
      /bad\.yaml:\d+:\d+: blockSize is 0 bytes\n {2}expected: a size of at least 1B/,
    );
    expect(rejection(design("{ kind: block-store, commonBlocks: 100 }"))).toMatch(
      /commonBlocks does nothing without duplicate[\s\S]*set duplicate/,
    );
    expect(rejection(design("{ kind: block-store, files: 2.5 }"))).toMatch(
      /files is 2.5\n {2}expected: a whole number/,
    );
    expect(rejection(design("{ kind: block-store, files: 1e6, fileSize: 1GiB }"))).toMatch(
      /256000000 blocks at the start[\s\S]*expected: at most 20000000 blocks/,
    );
    expect(rejection(design("{ kind: block-store, sync: rsync }"))).toMatch(/delta|whole-file/);
  });

  it("is a call target, but not a store to read", () => {
    const text = design("{ kind: block-store }").replace("[{ call: blocks }]", "[{ read: blocks }]");
    expect(rejection(text)).toMatch(/is a block-store/);
  });
});
