// archsim's performance benchmarks, run side by side with the hand-written
// typed-array reference loop (see bench/README.md). Every measurement is a fresh
// child process; archsim and the reference alternate within each repetition,
// and the table reports medians, so machine drift hits both alike.
//
// Usage: npm run bench            (builds dist/ first)
//        node bench/run.mjs [--reps 7] [--only hold,mmc,tandem,hello,memory,data] [--json FILE (default bench/out/results.json)]
// The reference is found at $PERF_REFERENCE, else ../shared/perf-reference next
// to the repository; without it, archsim's figures are reported alone.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values: opts } = parseArgs({
  options: {
    reps: { type: "string", default: process.env.BENCH_REPS ?? "7" },
    only: { type: "string", default: "hold,mmc,tandem,hello,memory,data" },
    json: { type: "string", default: join(REPO, "bench/out/results.json") },
  },
});
const REPS = Math.max(1, Number(opts.reps));
const ONLY = new Set(opts.only.split(","));
const WORK = join(tmpdir(), `archsim-bench-${process.pid}`);
mkdirSync(WORK, { recursive: true });

// ---------- workloads (sizes chosen so the whole run stays under ~10 minutes) ----------

const LAMBDA_PER_MS = 3.2; // mmc.yaml and tandem.yaml: 3.2k/s
const N6 = 1e6;
const N7 = 1e7;
const HOLD = [
  { pending: 1e3, ops: 1e7 },
  { pending: 1e6, ops: 5e6 },
];
const HELLO_DURATION = "2500s"; // 400/s x 2500s = 10^6 requests
const MMC = join(REPO, "examples/theory/mmc.yaml");
const TANDEM = join(REPO, "bench/designs/tandem.yaml");
const HELLO = join(REPO, "examples/hello.yaml");
const DATA = join(REPO, "bench/designs/data-tier.yaml");
const DATA_RATE_PER_MS = 10; // data-tier.yaml: 10k/s
const durationFor = (n) => String(n / LAMBDA_PER_MS); // ms of simulated time for n arrivals

// ---------- helpers ----------

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Runs `node ...args` with the max-RSS hook; returns the last JSON line of stdout, max RSS and wall time. */
function node(args, { cwd = REPO } = {}) {
  const t0 = performance.now();
  const p = spawnSync(process.execPath, ["--import", join(REPO, "bench/rss-hook.mjs"), ...args], {
    cwd,
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  const processMs = performance.now() - t0;
  if (p.status !== 0 && p.status !== 1) {
    throw new Error(`node ${args.join(" ")} exited with ${p.status}:\n${p.stderr}`);
  }
  const rss = /BENCH_MAXRSS_KIB (\d+)/.exec(p.stderr ?? "");
  const out = p.stdout.trim();
  const json = out.startsWith("{\n") ? JSON.parse(out) : JSON.parse(out.split("\n").pop());
  return { json, maxRssMiB: rss ? Number(rss[1]) / 1024 : Number.NaN, processMs };
}

/** Repeats `fns` (one per engine) REPS times, alternating which goes first. */
function alternate(label, fns) {
  const runs = fns.map(() => []);
  for (let r = 0; r < REPS; r++) {
    const order = fns.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) if (fns[i]) runs[i].push(fns[i]());
    process.stderr.write(`  ${label}: repetition ${r + 1}/${REPS}\n`);
  }
  return runs;
}

const within = (x, limit) => (Number.isFinite(x) ? x <= limit : null);
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "-");
const fmtM = (x) => (Number.isFinite(x) ? `${(x / 1e6).toFixed(2)}M` : "-");

// ---------- the reference ----------

async function locateReference() {
  const dir = process.env.PERF_REFERENCE
    ? resolve(process.env.PERF_REFERENCE)
    : resolve(REPO, "../shared/perf-reference");
  const names = ["mmc_heap", "tandem_heap", "hold"];
  if (names.every((n) => existsSync(join(dir, "dist", `${n}.mjs`)))) {
    return { dir, dist: join(dir, "dist"), built: "its own dist/" };
  }
  if (!names.every((n) => existsSync(join(dir, "src", `${n}.ts`)))) return null;
  // not built (or read-only): bundle its sources here with the same options as its package.json
  const dist = join(WORK, "reference");
  await build({
    entryPoints: names.map((n) => join(dir, "src", `${n}.ts`)),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outdir: dist,
    outExtension: { ".js": ".mjs" },
    logLevel: "warning",
  });
  return { dir, dist, built: `bundled from its src/ into ${dist}` };
}

// ---------- machine ----------

function machine() {
  let model = cpus()[0]?.model ?? "?";
  try {
    const m = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) model = m[1].trim();
  } catch {
    // no /proc/cpuinfo (not Linux): keep the model Node reports
  }
  const git = (...args) => spawnSync("git", args, { cwd: REPO, encoding: "utf8" }).stdout?.trim() ?? "";
  const dirty = git("status", "--porcelain", "--", "src").split("\n").filter(Boolean).length;
  return {
    archsim: `${git("rev-parse", "--short", "HEAD") || "?"}${dirty ? ` + ${dirty} uncommitted change(s) in src/` : ""}`,
    nproc: availableParallelism(),
    cpu: model,
    node: process.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  };
}

// ---------- main ----------

const env = machine();
process.stderr.write(
  `archsim bench: ${env.cpu}, ${env.nproc} cpus, node ${env.node}, ${env.date}, ${REPS} repetitions\n`,
);
if (!existsSync(join(REPO, "dist/index.js"))) {
  throw new Error("dist/index.js is missing: run `npm run build` (npm run bench does it)");
}
const ref = await locateReference();
if (ref) process.stderr.write(`reference: ${ref.dir} (${ref.built})\n`);
else {
  process.stderr.write(
    "reference: not found (set PERF_REFERENCE or place it at ../shared/perf-reference); archsim only, no ratios\n",
  );
}
const refScript = (n) => join(ref.dist, `${n}.mjs`);

const rows = []; // { bench, metric, archsim, reference, ratio, target, met }
const raw = {};
/** `met`: a predicate on the ratio (or a boolean); unknown when the ratio is not a number. */
const add = (bench, metric, a, r, ratio, target, met) =>
  rows.push({
    bench,
    metric,
    archsim: a,
    reference: r,
    ratio,
    target,
    met: typeof met === "function" ? (Number.isFinite(ratio) ? met(ratio) : null) : met,
  });

// 1. event queue hold
if (ONLY.has("hold")) {
  await build({
    entryPoints: [join(REPO, "bench/hold.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: join(WORK, "hold.mjs"),
    logLevel: "warning",
  });
  for (const { pending, ops } of HOLD) {
    const [a, r] = alternate(`hold ${pending}`, [
      () => node([join(WORK, "hold.mjs"), String(pending), String(ops), "42"]).json,
      ref ? () => node([refScript("hold"), String(pending), String(ops), "42"]).json : null,
    ]);
    raw[`hold_${pending}`] = { archsim: a, reference: r };
    const an = median(a.map((x) => x.ns_per_hold));
    const rn = median(r.map((x) => x.ns_per_hold));
    const aq = median(a.map((x) => x.ns_per_hold_minus_rng));
    const rq = median(r.map((x) => x.ns_per_hold_minus_rng));
    const p = `hold, 10^${Math.log10(pending)} pending`;
    add(p, "ns/hold", fmt(an, 1), fmt(rn, 1), an / rn, "<= 2x", (x) => x <= 2);
    add(p, "ns/hold minus RNG", fmt(aq, 1), fmt(rq, 1), aq / rq, "<= 2x", (x) => x <= 2);
  }
}

// 2. M/M/4 from the design file, 10^6 customers
if (ONLY.has("mmc")) {
  const [a, r] = alternate("M/M/4", [
    () => node([join(REPO, "bench/run-design.mjs"), MMC, "--duration-ms", durationFor(N6)]).json,
    ref ? () => node([refScript("mmc_heap"), String(N6), "42"]).json : null,
  ]);
  raw.mmc = { archsim: a, reference: r };
  const aw = median(a.map((x) => x.wallMs / 1000));
  const rw = median(r.map((x) => x.in_process_s));
  add(
    "M/M/4, 10^6 customers",
    "loop time (s)",
    fmt(aw, 3),
    fmt(rw, 3),
    aw / rw,
    "<= 2x (stretch 1x)",
    (x) => x <= 2,
  );
  const ac = median(a.map((x) => x.requests / (x.wallMs / 1000)));
  const rc = median(r.map((x) => x.customers_per_s));
  add("M/M/4, 10^6 customers", "customers/s", fmtM(ac), fmtM(rc), ac / rc, "", null);
  const ae = median(a.map((x) => x.events / (x.wallMs / 1000)));
  const re = median(r.map((x) => x.model_events_per_s));
  add("M/M/4, 10^6 customers", "events/s", fmtM(ae), fmtM(re), ae / re, "", null);
  const am = median(a.map((x) => x.meanMs));
  add(
    "M/M/4, 10^6 customers",
    "mean response, exact 1.746 (ms; reference in 1/mu)",
    fmt(am, 3),
    fmt(median(r.map((x) => x.mean_resp * 1)), 3),
    null,
    "",
    null,
  );
}

// 3. three tiers with network hops as events
if (ONLY.has("tandem")) {
  const [a, r] = alternate("tandem", [
    () => node([join(REPO, "bench/run-design.mjs"), TANDEM, "--duration-ms", durationFor(N6)]).json,
    ref ? () => node([refScript("tandem_heap"), String(N6), "42", "--hop=0.5"]).json : null,
  ]);
  raw.tandem = { archsim: a, reference: r };
  const ar = median(a.map((x) => x.requests / (x.wallMs / 1000)));
  const rr = median(r.map((x) => x.requests_per_s));
  add("3 tiers + hops, 10^6 requests", "requests/s", fmtM(ar), fmtM(rr), ar / rr, ">= 0.5x", (x) => x >= 0.5);
  const ae = median(a.map((x) => x.events / (x.wallMs / 1000)));
  const re = median(r.map((x) => x.events_per_s));
  add("3 tiers + hops, 10^6 requests", "events/s", fmtM(ae), fmtM(re), ae / re, "", null);
  const ape = median(a.map((x) => x.events / x.requests));
  const rpe = median(r.map((x) => x.events_per_request));
  add("3 tiers + hops, 10^6 requests", "events/request", fmt(ape, 2), fmt(rpe, 2), ape / rpe, "", null);
  const am = median(a.map((x) => x.meanMs));
  add(
    "3 tiers + hops, 10^6 requests",
    "mean response, exact 6.746 / 7.237 (ms)",
    fmt(am, 3),
    fmt(median(r.map((x) => x.mean_resp)), 3),
    null,
    "",
    null,
  );
}

// 4. hello.yaml end to end through the CLI
if (ONLY.has("hello")) {
  const [a] = alternate("hello.yaml", [
    () => {
      const p = node([join(REPO, "bin/archsim.js"), "run", HELLO, "--json", "--duration", HELLO_DURATION]);
      return {
        ...p.json.engine,
        requests: p.json.requests.total,
        processMs: p.processMs,
        maxRssMiB: p.maxRssMiB,
      };
    },
  ]);
  raw.hello = { archsim: a };
  const ae = median(a.map((x) => x.requests / (x.wallMs / 1000)));
  const ap = median(a.map((x) => x.requests / (x.processMs / 1000)));
  const req = median(a.map((x) => x.requests));
  add(
    `hello.yaml, ${HELLO_DURATION} (${fmtM(req)} requests)`,
    "requests/s, engine loop",
    fmtM(ae),
    "",
    null,
    "",
    null,
  );
  add(`hello.yaml, ${HELLO_DURATION}`, "requests/s, whole CLI process", fmtM(ap), "", null, "", null);
  add(
    `hello.yaml, ${HELLO_DURATION}`,
    "events/s",
    fmtM(median(a.map((x) => x.eventsPerSec))),
    "",
    null,
    "",
    null,
  );
  add(
    `hello.yaml, ${HELLO_DURATION}`,
    "CLI process wall (s)",
    fmt(median(a.map((x) => x.processMs / 1000))),
    "",
    null,
    "",
    null,
  );
}

// 5. memory at 10^6 vs 10^7 requests
if (ONLY.has("memory")) {
  const mem = {};
  for (const n of [N6, N7]) {
    const [a, r] = alternate(`memory 10^${Math.log10(n)}`, [
      () => {
        const p = node([
          "--expose-gc",
          join(REPO, "bench/run-design.mjs"),
          MMC,
          "--duration-ms",
          durationFor(n),
          "--memory",
        ]);
        return { ...p.json, maxRssMiB: p.maxRssMiB };
      },
      ref
        ? () => {
            const p = node([refScript("mmc_heap"), String(n), "42"]);
            return { ...p.json, maxRssMiB: p.maxRssMiB };
          }
        : null,
    ]);
    mem[n] = { archsim: a, reference: r };
  }
  raw.memory = mem;
  const m = (n, side, f) => median(mem[n][side].map(f));
  const rss = (x) => x.maxRssMiB;
  const live = (x) => x.peakLiveHeapMiB;
  const a6 = m(N6, "archsim", rss);
  const a7 = m(N7, "archsim", rss);
  const r6 = ref ? m(N6, "reference", rss) : Number.NaN;
  const r7 = ref ? m(N7, "reference", rss) : Number.NaN;
  add("M/M/4 memory", "peak RSS MiB, 10^6", fmt(a6, 1), fmt(r6, 1), null, "", null);
  add("M/M/4 memory", "peak RSS MiB, 10^7", fmt(a7, 1), fmt(r7, 1), null, "", null);
  add(
    "M/M/4 memory",
    "peak RSS 10^7 / 10^6",
    fmt(a7 / a6, 3),
    fmt(r7 / r6, 3),
    null,
    "archsim <= 1.1x",
    within(a7 / a6, 1.1),
  );
  const l6 = m(N6, "archsim", live);
  const l7 = m(N7, "archsim", live);
  add(
    "M/M/4 memory",
    "peak live heap MiB (after GC), 10^6 -> 10^7",
    `${fmt(l6, 1)} -> ${fmt(l7, 1)}`,
    "",
    null,
    "archsim <= 1.1x",
    within(l7 / l6, 1.1),
  );
  add("M/M/4 memory", "live heap 10^7 / 10^6", fmt(l7 / l6, 3), "", null, "", null);
  const aw = m(N7, "archsim", (x) => x.wallMs / 1000);
  const rw = ref ? m(N7, "reference", (x) => x.in_process_s) : Number.NaN;
  add("M/M/4, 10^7 customers", "loop time (s)", fmt(aw, 3), fmt(rw, 3), aw / rw, "", null);
}

// 6. a sharded, replicated data tier: speed at 10^6 requests, memory at 10^6 vs 4x10^6
if (ONLY.has("data")) {
  const runs = {};
  for (const n of [N6, 4 * N6]) {
    const [a] = alternate(`data tier ${fmtM(n)}`, [
      () => {
        const p = node([
          "--expose-gc",
          join(REPO, "bench/run-design.mjs"),
          DATA,
          "--duration-ms",
          String(n / DATA_RATE_PER_MS),
          "--memory",
        ]);
        return { ...p.json, maxRssMiB: p.maxRssMiB };
      },
    ]);
    runs[n] = a;
  }
  raw.data = runs;
  const m = (n, f) => median(runs[n].map(f));
  const label = "data tier (4 shards x 3 nodes)";
  add(label, "requests/s, 10^6", fmtM(m(N6, (x) => x.requests / (x.wallMs / 1000))), "", null, "", null);
  add(
    label,
    "events/request",
    fmt(
      m(N6, (x) => x.events / x.requests),
      2,
    ),
    "",
    null,
    "",
    null,
  );
  const l6 = m(N6, (x) => x.peakLiveHeapMiB);
  const l4 = m(4 * N6, (x) => x.peakLiveHeapMiB);
  add(
    label,
    "peak live heap MiB (after GC), 10^6 -> 4x10^6",
    `${fmt(l6, 1)} -> ${fmt(l4, 1)}`,
    "",
    null,
    "archsim <= 1.1x",
    within(l4 / l6, 1.1),
  );
  add(
    label,
    "peak RSS MiB, 10^6 -> 4x10^6",
    `${fmt(
      m(N6, (x) => x.maxRssMiB),
      1,
    )} -> ${fmt(
      m(4 * N6, (x) => x.maxRssMiB),
      1,
    )}`,
    "",
    null,
    "",
    null,
  );
}

// ---------- output ----------

const out = [
  `machine: ${env.cpu}, ${env.nproc} cpus, node ${env.node}, ${env.date}; archsim ${env.archsim}; medians of ${REPS}`,
  "",
  "| benchmark | metric | archsim | reference | archsim / reference | target | met |",
  "|---|---|---:|---:|---:|---|---|",
  ...rows.map(
    (r) =>
      `| ${r.bench} | ${r.metric} | ${r.archsim} | ${r.reference || "-"} | ${r.ratio === null || !Number.isFinite(r.ratio) ? "" : `${r.ratio.toFixed(2)}x`} | ${r.target} | ${r.met === null ? "" : r.met ? "yes" : "**no**"} |`,
  ),
];
process.stdout.write(`${out.join("\n")}\n`);
if (opts.json) {
  mkdirSync(dirname(resolve(opts.json)), { recursive: true });
  writeFileSync(opts.json, `${JSON.stringify({ machine: env, reps: REPS, rows, raw }, null, 2)}\n`);
  process.stderr.write(`raw results: ${opts.json}\n`);
}
rmSync(WORK, { recursive: true, force: true });
