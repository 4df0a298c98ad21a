// The leaderboard case (docs/cases/leaderboard.md, DC-12): the page quotes
// current numbers, and its claims hold from the arithmetic of the designs:
// a sorted-set operation costs unit x log2 N, a sorted rank query unit x N
// log2 N; the replicas needed are the read rate over what a replica has left
// after applying every update; a rank read is as stale as its replica's lag;
// one day's board puts every update on one shard.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { docReports, filledDoc, staleParts } from "../src/cli/doc.js";
import { loadDesign } from "../src/design/load.js";
import { steps } from "../src/mechanisms/size-cost.js";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const near = (x: number, want: number, tol: number) =>
  expect(Math.abs(x - want), `${x} vs ${want} (tolerance ${tol})`).toBeLessThanOrEqual(tol);

const page = "docs/cases/leaderboard.md";
const text = readFileSync(page, "utf8");
const reports = docReports(page, text) as Record<string, Any>;
const { naive, improved, few, daily, daily8 } = reports;
const design = (f: string) =>
  loadDesign(readFileSync(`examples/cases/leaderboard/${f}.yaml`, "utf8"), f).design.components as Any;

/** A design's rate of one route: the workload's rate shared by route weight. */
function rateOf(f: string, route: string): number {
  const players = design(f).players;
  const sum = players.routes.reduce((a: number, x: Any) => a + x.weight, 0);
  return (players.arrival.rate * players.routes.find((x: Any) => x.route === route).weight) / sum;
}
const w = rateOf("improved", "POST /score"); // score updates/s
const r = rateOf("improved", "GET /rank"); // rank reads/s
const seconds = improved.durationMs / 1000;

// a sorted-set operation: unit x log2 N (readTime, writeTime and applyTime are 0)
const board = design("improved").board;
const op = board.sizeCost.unit * steps("log", board.sizeCost.entries); // ms
const mu = 1000 / op; // operations/s of a single-threaded node

describe("case: leaderboard", () => {
  it("the page's numbers and charts are current", () => {
    expect(
      staleParts(page, text, filledDoc(page, text, reports as never)),
      `run: archsim doc ${page}`,
    ).toEqual([]);
  });

  it("naive: a rank read sorts the table (N log2 N), so the pool serves ~connections / that per second", () => {
    const db = design("naive").scores;
    const read = db.sizeCost.unit * steps("n-log-n", db.sizeCost.entries); // ms, ~4.85 s
    expect(read).toBeGreaterThan(1000);
    const capacity = (db.connections * seconds * 1000) / read; // reads in the run, the pool always busy
    const s = naive.components.scores;
    expect(s.reads).toBeLessThanOrEqual(capacity + db.connections);
    // the updates take their (short) turns in the same pool: nearly all its time went to reads
    expect(s.reads).toBeGreaterThan(0.9 * capacity);
    expect(s.utilization).toBeGreaterThan(0.99);
    // what the database answered is all that succeeded, out of ~3,600/s
    expect(naive.requests.ok).toBe(s.reads + s.writes);
    expect(naive.availability).toBeLessThan((2 * capacity) / ((w + r) * seconds));
  });

  it("a sorted-set node spends unit x log2 N on every read and write (the shards' utilisation)", () => {
    const b = daily.components.boards;
    const shards = design("daily-boards").boards.shards as number;
    // no replicas: every operation is one read or one write on one single-threaded node
    near(b.utilization, ((b.reads + b.writes) * op) / (shards * seconds * 1000), 0.01);
  });

  it("replicas needed = read rate / (node capacity - update rate): 12.6, not the 6.5 of reads alone", () => {
    const needed = r / (mu - w);
    expect(needed).toBeGreaterThan(12);
    expect(board.replicas - 1).toBeGreaterThanOrEqual(needed); // one may be lost
    expect(r / mu).toBeLessThan(7); // the case's estimate
    // with 15 the rank reads meet their SLO, and a healthy replica is milliseconds behind
    for (const a of improved.slo) if (a.assertion.startsWith("p99")) expect(a.pass).toBe(true);
    const healthy = improved.components.board.replication.nodes.filter(
      (n: Any, i: number) => i > 0 && n.role === "replica",
    );
    for (const n of healthy) expect(n.maxLagMs).toBeLessThan(50 * op);
  });

  it("with 7 replicas each is overloaded (r / 7 + w > capacity): its lag grows all run, and so does staleness", () => {
    expect(r / 7 + w).toBeGreaterThan(mu);
    const nodes = few.components.board.replication.nodes as Any[];
    const lag = few.components.board.series["lagMs:1"] as number[];
    expect(nodes[1].role).toBe("replica");
    // it grows without bound: far more at the end than at 20 s, and more than a third of the run
    expect(lag[lag.length - 1]).toBeGreaterThan(2 * lag[20]);
    expect(nodes[1].lagMs).toBeGreaterThan((seconds * 1000) / 3);
    expect(few.routes["GET /rank"].latencyMs.p99).toBeGreaterThan(
      10 * improved.routes["GET /rank"].latencyMs.p99,
    );
  });

  it("the primary fails: updates fail for the unavailable window (w per second), rank reads never", () => {
    const f = improved.components.board.failover;
    expect(f.failovers).toBe(1);
    const failed = improved.routes["POST /score"].requests.failed;
    const expected = (w * f.unavailableMs) / 1000;
    near(failed, expected, 4 * Math.sqrt(expected) + 1);
    expect(improved.routes["GET /rank"].requests.failed).toBe(0);
  });

  it("the old primary rejoins behind by the writes since the new primary took over, and catches up slowly", () => {
    const ev = improved.components.board.failover.events[0];
    const file = "examples/cases/leaderboard/improved.yaml";
    const [fault] = loadDesign(readFileSync(file, "utf8"), file).design.faults as Any[];
    const back = fault.at + fault.for; // ms
    const old = improved.components.board.replication.nodes[ev.from];
    // the oldest entry it lacks was written when clients found the new primary
    near(old.maxLagMs, back - ev.discoveredAtMs, 100);
    // it had w x that many entries to apply; what it has left for them is mu - w - its share of the reads
    const behind = (w * (back - ev.discoveredAtMs)) / 1000;
    const catchUp = mu - w - r / (board.replicas as number);
    const left = behind - catchUp * (seconds - back / 1000);
    expect(old.lagPositions).toBeGreaterThan(left - 4 * Math.sqrt(behind));
    expect(old.reads).toBeGreaterThan(0); // ... and it served rank reads that stale
  });

  it("daily boards: every update goes to today's board, on one shard, however many shards", () => {
    for (const run of [daily, daily8]) {
      const b = run.components.boards;
      const perShard = b.sharding.requestsPerShard as number[];
      expect(perShard[0]).toBeGreaterThanOrEqual(b.writes);
      // the other shards only ever serve rank reads of old boards
      expect(perShard.slice(1).reduce((a: number, x: number) => a + x, 0)).toBeLessThanOrEqual(b.reads);
      // today's shard: at least w x op of its time on updates alone (minus its 5 s restart)
      const dw = rateOf("daily-boards", "POST /score");
      expect((perShard[0] * op) / (seconds * 1000)).toBeGreaterThan(
        (dw * op * (seconds - 5)) / (seconds * 1000),
      );
    }
    expect(daily8.components.boards.writes).toBe(daily.components.boards.writes);
  });
});
