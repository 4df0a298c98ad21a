// The classic "hold" benchmark on archsim's EventQueue, mirroring the perf
// reference's hold.mjs: K events stay pending; each event, when fired,
// schedules one new event at now + Exp(1). Unlike the reference (which pops
// the heap directly), events go through archsim's public loop, `run`, and are
// dispatched to a registered handler: the cost archsim really pays per event.
// Usage (after bundling): node hold.mjs K [ops=1e7] [seed=42]
import { EventQueue } from "../src/kernel/event-queue.js";
import { stream } from "../src/kernel/rng.js";

const K = Math.round(Number(process.argv[2] ?? 1000));
const OPS = Math.round(Number(process.argv[3] ?? 1e7));
const rng = stream(Number(process.argv[4] ?? 42), "hold");
const exp1 = (): number => -Math.log(1 - rng.next());

// RNG cost alone, to subtract: the same number of draws with no event set
let sink = 0;
const tR = performance.now();
for (let i = 0; i < OPS; i++) sink += exp1();
const rngS = (performance.now() - tR) / 1000;

const q = new EventQueue(1024);
const HOLD: number = q.on(() => q.schedule(exp1(), HOLD, 0));
const tF = performance.now();
for (let i = 0; i < K; i++) q.schedule(exp1(), HOLD, 0);
const fill = (performance.now() - tF) / 1000;
const t0 = performance.now();
const fired = q.run(Number.POSITIVE_INFINITY, OPS);
const wall = (performance.now() - t0) / 1000;
if (fired !== OPS) throw new Error(`fired ${fired} of ${OPS}`);

console.log(
  JSON.stringify({
    bench: "hold",
    impl: "archsim-EventQueue",
    pending: K,
    ops: OPS,
    fill_s: +fill.toFixed(4),
    in_process_s: +wall.toFixed(4),
    ns_per_hold: +((wall * 1e9) / OPS).toFixed(1),
    ns_per_hold_minus_rng: +(((wall - rngS) * 1e9) / OPS).toFixed(1),
    holds_per_s: Math.round(OPS / wall),
    heap_size_after: q.size,
    sink: sink > 0,
  }),
);
