// The messages between the studio's run panel and its engine worker, and the
// engine's side of the conversation as a plain class: a message in (with the
// wall clock's reading), messages out. The worker only wires it to
// postMessage, so all of it is tested in Node.
//
// The panel drives the pace: it sends `tick` once per animation frame and
// not again until that tick's frame came back, so the worker never posts
// more than one frame per animation frame, and a slow engine slows the
// ticks instead of queueing them.
import type { FaultRecord } from "../components/faults.js";
import { DesignError } from "../design/errors.js";
import { loadDesign } from "../design/load.js";
import type { Report } from "../report/json.js";
import type { LiveFrame, NodeAction } from "./frame.js";
import {
  frameBudget,
  MIN_FRAME_EVENTS,
  type Pace,
  paceTarget,
  type Speed,
  startPace,
  validSpeed,
} from "./pace.js";
import { LiveError, LiveSession, type LoggedIntervention } from "./session.js";

export type ToEngine =
  /** builds a new run of the design (stopped, at time 0) */
  | { type: "load"; text: string; file: string; seed?: number }
  | { type: "play" }
  | { type: "pause" }
  /** advances `ms` of simulated time at once (paused) */
  | { type: "step"; ms: number }
  | { type: "speed"; speed: Speed }
  | { type: "act"; name: string; action: NodeAction }
  /** scales every workload's arrival rate from now on */
  | { type: "traffic"; factor: number }
  /** an animation frame: advance as the pace says, answer with one frame */
  | { type: "tick" }
  /** the JSON report so far and the interventions made */
  | { type: "report" };

/** What the panel needs to draw one animation frame. */
export interface EngineFrame {
  type: "frame";
  frame: LiveFrame;
  /** the rows of the per-second series new since the last frame, from row `seriesFrom` on */
  series: Record<string, number[]>;
  seriesFrom: number;
  playing: boolean;
  speed: Speed;
  traffic: number;
  durationMs: number;
  events: number;
  done: boolean;
  /** the faults so far, planned and injected, for shading the charts */
  faults: FaultRecord[];
  /** this frame dropped simulated time: the engine could not keep up with the speed asked */
  lagging: boolean;
  /** simulated ms dropped so far because the engine could not keep up with the speed asked */
  droppedMs: number;
}

export type FromEngine =
  | { type: "loaded"; design: string; seed: number; durationMs: number; components: string[] }
  /** the design cannot run: why (with file:line:col where known) */
  | { type: "invalid"; message: string }
  /** a request refused (a node that cannot be killed, the run is over...): the reason */
  | { type: "refused"; message: string }
  | EngineFrame
  | { type: "report"; report: Report; log: LoggedIntervention[] };

/** Facts from the report are re-read every this many ms of wall time (dearer than the rest of a frame). */
const DETAIL_EVERY_WALL_MS = 250;

export class EngineHost {
  private session: LiveSession | null = null;
  private playing = false;
  private speed: Speed = 1;
  private pace: Pace | null = null;
  private budget = MIN_FRAME_EVENTS * 4;
  private seriesRows = 0;
  private droppedMs = 0;
  private lastDetail = Number.NEGATIVE_INFINITY;
  private lagging = false;

  /** Handles one message at wall time `wallMs` (ms, monotonic); returns the replies, in order. */
  handle(msg: ToEngine, wallMs: number): FromEngine[] {
    try {
      return this.dispatch(msg, wallMs);
    } catch (e) {
      if (e instanceof LiveError || e instanceof RangeError) return [{ type: "refused", message: e.message }];
      throw e;
    }
  }

  private dispatch(msg: ToEngine, wallMs: number): FromEngine[] {
    if (msg.type === "load") return this.load(msg.text, msg.file, msg.seed);
    const s = this.session;
    if (!s) return [{ type: "refused", message: "no design loaded" }];
    switch (msg.type) {
      case "play":
        this.playing = !s.done;
        this.pace = startPace(this.speed, wallMs, s.nowMs);
        return [this.frameOf(s, wallMs, true)];
      case "pause":
        this.playing = false;
        this.pace = null;
        return [this.frameOf(s, wallMs, true)];
      case "step":
        if (!(msg.ms > 0)) throw new LiveError(`a step must be a positive number of ms, got ${msg.ms}`);
        this.playing = false;
        this.pace = null;
        s.advance(s.nowMs + msg.ms);
        return [this.frameOf(s, wallMs, true)];
      case "speed":
        if (!validSpeed(msg.speed)) throw new LiveError(`speed must be 0.1..1000 or "max", got ${msg.speed}`);
        this.speed = msg.speed;
        if (this.playing) this.pace = startPace(msg.speed, wallMs, s.nowMs);
        return [this.frameOf(s, wallMs, false)];
      case "act":
        s.act(msg.name, msg.action);
        return [this.frameOf(s, wallMs, true)];
      case "traffic":
        s.setTraffic(msg.factor);
        return [this.frameOf(s, wallMs, false)];
      case "tick":
        return [this.tick(s, wallMs)];
      case "report":
        return [{ type: "report", report: s.report(), log: [...s.log] }];
    }
  }

  private load(text: string, file: string, seed: number | undefined): FromEngine[] {
    let session: LiveSession;
    // a design that cannot run leaves no run behind: a later play is refused, not applied to the old one
    this.session = null;
    this.playing = false;
    try {
      session = new LiveSession(loadDesign(text, file), seed === undefined ? {} : { seed });
    } catch (e) {
      if (e instanceof DesignError || e instanceof RangeError)
        return [{ type: "invalid", message: e.message }];
      throw e;
    }
    this.session = session;
    this.playing = false;
    this.pace = null;
    this.seriesRows = 0;
    this.droppedMs = 0;
    this.lastDetail = Number.NEGATIVE_INFINITY;
    return [
      {
        type: "loaded",
        design: session.design.name ?? file,
        seed: session.seed,
        durationMs: session.durationMs,
        components: session.components,
      },
      this.frameOf(session, 0, true),
    ];
  }

  /** Advances as the pace asks, within this frame's event budget. */
  private tick(s: LiveSession, wallMs: number): EngineFrame {
    if (this.playing && this.pace) {
      const step = paceTarget(this.pace, wallMs, s.nowMs);
      this.pace = step.pace;
      this.droppedMs += step.droppedMs;
      this.lagging = step.droppedMs > 0;
      const t0 = performance.now();
      const fired = s.advance(step.targetMs, this.budget);
      this.budget = frameBudget(this.budget, fired, performance.now() - t0);
      if (s.done) this.playing = false;
    }
    return this.frameOf(s, wallMs, false);
  }

  private frameOf(s: LiveSession, wallMs: number, forceDetail: boolean): EngineFrame {
    const detail = forceDetail || wallMs - this.lastDetail >= DETAIL_EVERY_WALL_MS || s.done;
    if (detail) this.lastDetail = wallMs;
    const series = s.series(this.seriesRows);
    const from = this.seriesRows;
    this.seriesRows += series.t?.length ?? 0;
    return {
      type: "frame",
      frame: s.frame(detail),
      series,
      seriesFrom: from,
      playing: this.playing,
      speed: this.speed,
      traffic: s.traffic,
      durationMs: s.durationMs,
      events: s.events,
      done: s.done,
      droppedMs: this.droppedMs,
      lagging: this.lagging,
      faults: s.faults,
    };
  }
}
