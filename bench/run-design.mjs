// Runs one design through archsim's public API (dist/index.js) and prints one
// JSON line: the loop's wall time (report.engine.wallMs), events, requests and
// memory figures. Run by bench/run.mjs in a fresh child process per repetition.
// Usage: node [--expose-gc] bench/run-design.mjs FILE --duration-ms N [--seed 42]
//        [--set path=value ...] [--memory]
//   --memory: with --expose-gc, every ~1M events force a full GC and record the
//             live heap, so growth with the number of requests shows exactly.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadDesign, runDesign } from "../dist/index.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "duration-ms": { type: "string" },
    seed: { type: "string", default: "42" },
    set: { type: "string", multiple: true, default: [] },
    memory: { type: "boolean", default: false },
  },
});
const file = positionals[0];
const MiB = 2 ** 20;
const gc = values.memory ? globalThis.gc : undefined;
if (values.memory && !gc) throw new Error("--memory needs node --expose-gc");

const tLoad = performance.now();
const loaded = loadDesign(readFileSync(file, "utf8"), file, values.set);
let calls = 0;
let peakLive = 0;
let peakHeap = 0;
const report = runDesign(loaded, {
  seed: Number(values.seed),
  durationMs: values["duration-ms"] ? Number(values["duration-ms"]) : undefined,
  // called every 65536 events
  onProgress: gc
    ? () => {
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
        if (++calls % 16 === 0) {
          gc();
          peakLive = Math.max(peakLive, process.memoryUsage().heapUsed);
        }
      }
    : undefined,
});
const totalMs = performance.now() - tLoad;
let finalLive = null;
if (gc) {
  gc();
  finalLive = process.memoryUsage().heapUsed;
  peakLive = Math.max(peakLive, finalLive);
}
const r2 = (x) => Math.round(x * 100) / 100;
console.log(
  JSON.stringify({
    design: report.design,
    durationMs: report.durationMs,
    requests: report.requests.total,
    ok: report.requests.ok,
    inFlight: report.requests.inFlight,
    meanMs: r2(report.latencyMs.mean * 1000) / 1000,
    p99Ms: report.latencyMs.p99,
    events: report.engine.events,
    wallMs: report.engine.wallMs,
    totalMs: r2(totalMs),
    stoppedBy: report.engine.stoppedBy,
    heapUsedMiB: r2(process.memoryUsage().heapUsed / MiB),
    peakHeapMiB: gc ? r2(peakHeap / MiB) : null,
    peakLiveHeapMiB: gc ? r2(peakLive / MiB) : null,
    finalLiveHeapMiB: finalLive === null ? null : r2(finalLive / MiB),
  }),
);
