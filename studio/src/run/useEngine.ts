// The run panel's side of the engine worker: starts it, sends one `tick` per
// animation frame while playing (never a second before the first's frame is
// back, so a slow engine slows the ticks instead of queueing them), and keeps
// what the frames bring: the latest frame, the series so far, each node's
// recent history.
//
// While a run plays, the engine's frames come once per animation frame, but
// the page shows them at most every UI_FRAME_MS: numbers and colours that
// change 60 times a second cannot be read, and each showing costs a React
// commit, a layout and a paint that the 60 fps animation of the page (the
// dots, scrolling) needs more. The series and the node histories take every
// frame; the requests along each edge are summed over the frames not shown.
import { useCallback, useEffect, useRef, useState } from "react";
import { NodeHistory, SeriesBuffer } from "../../../src/live/charts.js";
import type { EngineFrame, FromEngine, ToEngine } from "../../../src/live/protocol.js";
import type { Flow, LiveFrame } from "../../../src/live/frame.js";
import type { LoggedIntervention } from "../../../src/live/session.js";
import type { Report } from "../../../src/report/json.js";

/** Wall time between two frames shown while playing (20 a second). */
export const UI_FRAME_MS = 50;

/** Sums the flows of frames not shown into `into`, by edge. */
function addFlows(into: Map<string, Flow>, flows: readonly Flow[]): void {
  for (const f of flows) {
    const key = `${f.from}->${f.to}`;
    const had = into.get(key);
    into.set(key, had ? { ...had, count: had.count + f.count } : f);
  }
}

export interface Loaded {
  design: string;
  seed: number;
  durationMs: number;
  components: string[];
  /** the design text this run was built from */
  text: string;
}

export interface EngineState {
  loaded: Loaded | null;
  frame: EngineFrame | null;
  /** why the design cannot run */
  invalid: string | null;
  /** the last request the engine refused, and why */
  refused: string | null;
  /** bumped whenever the series or history change (they are mutated in place) */
  version: number;
}

export interface Engine {
  state: EngineState;
  series: SeriesBuffer;
  history: NodeHistory;
  load(text: string, file: string, seed: number | undefined): void;
  send(msg: ToEngine): void;
  /** the report so far and the interventions made */
  report(): Promise<{ report: Report; log: LoggedIntervention[] }>;
}

export function useEngine(onFrame: (f: LiveFrame | null) => void): Engine {
  const worker = useRef<Worker | null>(null);
  const series = useRef(new SeriesBuffer());
  const history = useRef(new NodeHistory());
  const inFlight = useRef(false);
  const playing = useRef(false);
  const raf = useRef(0);
  const pendingText = useRef("");
  const reports = useRef<((r: { report: Report; log: LoggedIntervention[] }) => void)[]>([]);
  const unshownFlows = useRef(new Map<string, Flow>());
  const lastShown = useRef(Number.NEGATIVE_INFINITY);
  const onFrameRef = useRef(onFrame);
  onFrameRef.current = onFrame;
  const [state, setState] = useState<EngineState>({
    loaded: null,
    frame: null,
    invalid: null,
    refused: null,
    version: 0,
  });

  const post = useCallback((msg: ToEngine) => worker.current?.postMessage(msg), []);

  const loop = useCallback(() => {
    raf.current = 0;
    if (!playing.current) return;
    if (!inFlight.current) {
      inFlight.current = true;
      post({ type: "tick" });
    }
    raf.current = requestAnimationFrame(loop);
  }, [post]);

  useEffect(() => {
    const w = new Worker(new URL("./engine.worker.ts", import.meta.url), { type: "module" });
    worker.current = w;
    w.onmessage = (e: MessageEvent<FromEngine>) => {
      const m = e.data;
      switch (m.type) {
        case "loaded":
          unshownFlows.current.clear();
          series.current = new SeriesBuffer();
          history.current = new NodeHistory();
          setState((s) => ({
            ...s,
            loaded: { ...m, text: pendingText.current },
            invalid: null,
            refused: null,
            frame: null,
            version: s.version + 1,
          }));
          return;
        case "invalid":
          playing.current = false;
          setState((s) => ({ ...s, invalid: m.message, loaded: null, frame: null }));
          onFrameRef.current(null);
          return;
        case "refused":
          inFlight.current = false;
          setState((s) => ({ ...s, refused: m.message }));
          return;
        case "report":
          reports.current.shift()?.({ report: m.report, log: m.log });
          return;
        case "frame": {
          inFlight.current = false;
          series.current.append(m.seriesFrom, m.series);
          history.current.add(m.frame);
          const wasPlaying = playing.current;
          playing.current = m.playing;
          if (m.playing && !wasPlaying && raf.current === 0) raf.current = requestAnimationFrame(loop);
          addFlows(unshownFlows.current, m.frame.flows);
          // a frame that starts, stops or ends the run, or answers a request while paused, always shows
          const now = performance.now();
          if (m.playing && wasPlaying && now - lastShown.current < UI_FRAME_MS) return;
          lastShown.current = now;
          const shown: EngineFrame = {
            ...m,
            frame: { ...m.frame, flows: [...unshownFlows.current.values()] },
          };
          unshownFlows.current.clear();
          setState((s) => ({ ...s, frame: shown, version: s.version + 1 }));
          onFrameRef.current(shown.frame);
          return;
        }
      }
    };
    w.onerror = (e) => setState((s) => ({ ...s, refused: `the engine failed: ${e.message}` }));
    return () => {
      playing.current = false;
      if (raf.current) cancelAnimationFrame(raf.current);
      raf.current = 0;
      w.terminate();
      worker.current = null;
      onFrameRef.current(null);
    };
  }, [loop]);

  const load = useCallback(
    (text: string, file: string, seed: number | undefined) => {
      pendingText.current = text;
      playing.current = false;
      post({ type: "load", text, file: file || "design.yaml", seed });
    },
    [post],
  );

  const report = useCallback(
    () =>
      new Promise<{ report: Report; log: LoggedIntervention[] }>((resolve) => {
        reports.current.push(resolve);
        post({ type: "report" });
      }),
    [post],
  );

  // a new request from the user: the last refusal is no longer news
  const send = useCallback(
    (msg: ToEngine) => {
      setState((s) => (s.refused === null ? s : { ...s, refused: null }));
      post(msg);
    },
    [post],
  );

  return { state, series: series.current, history: history.current, load, send, report };
}
