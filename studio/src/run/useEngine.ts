// The run panel's side of the engine worker: starts it, sends one `tick` per
// animation frame while playing (never a second before the first's frame is
// back, so a slow engine slows the ticks instead of queueing them), and keeps
// what the frames bring: the latest frame, the series so far, each node's
// recent history.
import { useCallback, useEffect, useRef, useState } from "react";
import { NodeHistory, SeriesBuffer } from "../../../src/live/charts.js";
import type { EngineFrame, FromEngine, ToEngine } from "../../../src/live/protocol.js";
import type { LiveFrame } from "../../../src/live/frame.js";
import type { LoggedIntervention } from "../../../src/live/session.js";
import type { Report } from "../../../src/report/json.js";

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
          setState((s) => ({ ...s, frame: m, version: s.version + 1 }));
          onFrameRef.current(m.frame);
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
