// The studio's live engine beside the batch run, on one design: events per
// second of `runDesign`, of the engine host stepped "as fast as possible" (one
// budgeted advance and one frame per tick), and the wall time each frame costs
// at x1 of real time with 60 ticks per simulated second (the studio's
// animation frames). See bench/README.md ("Live stepping").
// Usage: npx esbuild bench/live.ts --bundle --platform=node --format=esm --packages=external --outfile=bench/out/live.mjs
//        node bench/out/live.mjs [design.yaml] [durationS=60] [seed=1] [rate/s]
import { readFileSync } from "node:fs";
import { loadDesign } from "../src/design/load.js";
import { type EngineFrame, EngineHost } from "../src/live/protocol.js";
import { runDesign } from "../src/run.js";

const file = process.argv[2] ?? "examples/hello.yaml";
const durationS = Number(process.argv[3] ?? 60);
const seed = Number(process.argv[4] ?? 1);
/** replaces the first workload's `rate: .../s`, e.g. 10000 for the 10k simulated rps */
const rate = process.argv[5];
let text = readFileSync(file, "utf8").replace(/^duration: .*$/m, `duration: ${durationS}s`);
if (rate) text = text.replace(/rate: [\d.]+\/s/, `rate: ${rate}/s`);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

// batch (once to warm the JIT, then measured)
runDesign(loadDesign(text, file), { seed });
const batch = runDesign(loadDesign(text, file), { seed });
const batchRate = batch.engine.events / (batch.engine.wallMs / 1000);

// live, as fast as possible
const fast = new EngineHost();
fast.handle({ type: "load", text, file, seed }, 0);
fast.handle({ type: "speed", speed: "max" }, 0);
fast.handle({ type: "play" }, 0);
let frames = 0;
let f: EngineFrame | undefined;
const t0 = performance.now();
const fastFrameMs: number[] = [];
do {
  const a = performance.now();
  f = fast.handle({ type: "tick" }, a)[0] as EngineFrame;
  fastFrameMs.push(performance.now() - a);
  frames++;
} while (!f.done);
const fastWall = performance.now() - t0;
const liveRate = f.events / (fastWall / 1000);

// live at x1: 60 ticks per simulated second, wall clock faked so every tick asks for 1/60 s
const paced = new EngineHost();
paced.handle({ type: "load", text, file, seed }, 0);
paced.handle({ type: "play" }, 0);
const pacedMs: number[] = [];
for (let i = 1; i <= Math.min(durationS, 20) * 60; i++) {
  const a = performance.now();
  paced.handle({ type: "tick" }, (i * 1000) / 60);
  pacedMs.push(performance.now() - a);
}

console.log(
  JSON.stringify(
    {
      design: file,
      durationS,
      requests: batch.requests.total,
      events: batch.engine.events,
      batchEventsPerSec: Math.round(batchRate),
      liveMaxEventsPerSec: Math.round(liveRate),
      liveOverBatch: +(liveRate / batchRate).toFixed(3),
      liveMaxFrames: frames,
      liveMaxFrameMs: { p50: +pct(fastFrameMs, 50).toFixed(2), p99: +pct(fastFrameMs, 99).toFixed(2) },
      x1FrameMs: {
        p50: +pct(pacedMs, 50).toFixed(2),
        p99: +pct(pacedMs, 99).toFixed(2),
        max: +Math.max(...pacedMs).toFixed(2),
      },
    },
    null,
    2,
  ),
);
