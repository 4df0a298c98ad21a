// Runs the open design in the browser: play / pause / step, a speed from x0.1
// to x1000 of real time or as fast as possible, a seed, a traffic slider;
// live charts of throughput, latency and errors by cause, the selected
// node's panel, every node's inspector with live chaos buttons; and the runs
// kept, to compare or export. The engine runs in a Web Worker (useEngine).
import { type JSX, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { liveCharts } from "../../../src/live/charts.js";
import type { LiveFrame, NodeAction } from "../../../src/live/frame.js";
import { type Speed, SPEEDS } from "../../../src/live/pace.js";
import { Inspector } from "./Inspector";
import { LiveChart } from "./LiveChart";
import { type KeptRun, Runs } from "./Runs";
import { useEngine } from "./useEngine";
import "./run.css";

export interface RunPanelProps {
  /** the design to run (valid or not: say why it cannot run) */
  text: string;
  /** its workspace path (for naming runs and exports) */
  file: string;
  /** per-component panel for the selected node */
  selected: string | null;
  /** each new frame while running, null when stopped */
  onFrame(frame: LiveFrame | null): void;
  /** RunPanel installs its injector */
  actions: { current: ((name: string, action: NodeAction) => void) | null };
}

const speedLabel = (s: Speed) => (s === "max" ? "as fast as possible" : `×${s}`);
const stemOf = (file: string) => file.replace(/^.*[\\/]/, "").replace(/\.(ya?ml|json)$/i, "") || "design";

export function RunPanel({ text, file, selected, onFrame, actions }: RunPanelProps): JSX.Element {
  const engine = useEngine(onFrame);
  const { loaded, frame, invalid, refused, version } = engine.state;
  const [seedText, setSeedText] = useState("");
  const [speed, setSpeed] = useState<Speed>(1);
  const [traffic, setTraffic] = useState(1);
  const [runs, setRuns] = useState<KeptRun[]>([]);
  const runNo = useRef(0);
  const keptNo = useRef(-1);

  const seed = seedText.trim() === "" ? undefined : Number(seedText);
  const seedOk = seed === undefined || (Number.isInteger(seed) && seed >= 0);
  const started = frame !== null && (frame.frame.nowMs > 0 || frame.playing);
  const stale = loaded !== null && loaded.text !== text;

  const { send } = engine;
  useEffect(() => {
    actions.current = (name, action) => send({ type: "act", name, action });
    return () => {
      actions.current = null;
    };
  }, [actions, send]);

  const act = useCallback((name: string, action: NodeAction) => send({ type: "act", name, action }), [send]);

  const keep = async () => {
    if (!loaded || keptNo.current === runNo.current) return;
    keptNo.current = runNo.current;
    const no = runNo.current;
    const { report, log } = await engine.report();
    const label = `${report.design} #${no} (seed ${report.seed}${report.engine.simulatedMs < report.durationMs ? `, to ${Math.round(report.engine.simulatedMs / 1000)}s` : ""})`;
    setRuns((rs) => [
      ...rs,
      { id: no, label, stem: `${stemOf(file)}-run${no}-seed${report.seed}`, report, log },
    ]);
  };

  // a run that reaches its end is kept
  useEffect(() => {
    if (frame?.done) void keep();
  }, [frame?.done]);

  const load = () => {
    runNo.current++;
    setTraffic(1);
    engine.load(text, file, seedOk ? seed : undefined);
    engine.send({ type: "speed", speed });
  };
  const play = () => {
    if (!loaded || stale || frame?.done) load();
    engine.send({ type: "play" });
  };
  const pause = () => engine.send({ type: "pause" });
  const step = () => {
    if (!loaded || stale) load();
    engine.send({ type: "step", ms: 1000 });
  };
  const newRun = async () => {
    if (started && loaded) await keep();
    load();
  };

  // the run's charts change only when a second closes or a fault starts or ends, not every frame
  const rows = engine.series.rows;
  const faultsKey = frame ? JSON.stringify(frame.faults) : "";
  const charts = useMemo(
    () => (frame ? liveCharts(engine.series.data, frame.faults, frame.durationMs) : []),
    // the series buffer is mutated in place: `rows` says when it grew
    [rows, faultsKey, loaded],
  );
  const nodeCharts = useMemo(() => (selected ? engine.history.charts(selected) : []), [version, selected]);

  const playing = frame?.playing ?? false;
  // "slower than asked" while frames drop time, and for a second after (a lone late frame is not news)
  const lastLag = useRef(Number.NEGATIVE_INFINITY);
  if (frame?.lagging) lastLag.current = performance.now();
  const lagging = playing && performance.now() - lastLag.current < 1000;
  const selStatus = selected && frame ? frame.frame.status[selected] : undefined;

  return (
    <div className="run-panel" data-testid="run-panel">
      <div className="run-controls" role="toolbar" aria-label="Run controls">
        {playing ? (
          <button type="button" onClick={pause} data-testid="pause">
            Pause
          </button>
        ) : (
          <button type="button" onClick={play} disabled={!seedOk} data-testid="play">
            {frame?.done ? "Run again" : started ? "Resume" : "Play"}
          </button>
        )}
        <button
          type="button"
          onClick={step}
          disabled={playing || !seedOk || frame?.done}
          title="Advance one simulated second"
        >
          Step 1s
        </button>
        <button
          type="button"
          onClick={() => void newRun()}
          disabled={!seedOk}
          title="Start over from time 0 (keeps this run)"
        >
          New run
        </button>
        <label>
          speed{" "}
          <select
            value={String(speed)}
            aria-label="Speed"
            onChange={(e) => {
              const v = e.target.value === "max" ? "max" : Number(e.target.value);
              setSpeed(v);
              if (loaded) engine.send({ type: "speed", speed: v });
            }}
          >
            {SPEEDS.map((s) => (
              <option key={String(s)} value={String(s)}>
                {speedLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          seed{" "}
          <input
            className="seed"
            value={seedText}
            placeholder={loaded ? String(loaded.seed) : "design's"}
            aria-label="Seed (empty: the design's)"
            aria-invalid={!seedOk}
            onChange={(e) => setSeedText(e.target.value)}
          />
        </label>
      </div>
      <div className="run-traffic">
        <label>
          traffic ×{traffic.toFixed(1)}
          <input
            type="range"
            min={0.1}
            max={5}
            step={0.1}
            value={traffic}
            aria-label="Traffic: workload rate multiplier"
            disabled={!loaded || frame?.done}
            onChange={(e) => {
              const f = Number(e.target.value);
              setTraffic(f);
              engine.send({ type: "traffic", factor: f });
            }}
          />
        </label>
      </div>
      {!seedOk && <p className="error">The seed must be a whole number, 0 or more.</p>}
      {invalid && (
        <pre className="error run-invalid" data-testid="run-invalid">
          This design cannot run:{"\n"}
          {invalid}
        </pre>
      )}
      {refused && (
        <p className="error" role="alert">
          {refused}
        </p>
      )}
      {stale && <p className="muted">The design changed since this run began: New run uses the changes.</p>}
      {frame && (
        <p className="run-clock" data-testid="run-clock" data-now-ms={frame.frame.nowMs}>
          {(frame.frame.nowMs / 1000).toFixed(1)} s of {(frame.durationMs / 1000).toFixed(0)} s ·{" "}
          {frame.events.toLocaleString("en-US")} events · {speedLabel(frame.speed)}
          {lagging && <span className="warning"> · slower than asked (the engine cannot keep up)</span>}
          {frame.done && " · done"}
        </p>
      )}
      {!frame && !invalid && (
        <p className="muted">Play runs the design in your browser: the same engine as archsim run.</p>
      )}
      <div className="charts">
        {charts.map((c) => (
          <LiveChart key={c.title} spec={c} testId={`chart-${c.title.toLowerCase().replace(/\W+/g, "-")}`} />
        ))}
      </div>
      {selected && frame && (
        <section className="node-panel" aria-label={`Selected: ${selected}`} data-testid="node-panel">
          <h4>{selected}</h4>
          {selStatus ? (
            <p className="muted">
              {selStatus.health}
              {selStatus.utilization !== null && `, ${Math.round(selStatus.utilization * 100)}% busy`}
            </p>
          ) : (
            <p className="muted">Not in this run.</p>
          )}
          {nodeCharts.map((c) => (
            <LiveChart key={c.title} spec={c} />
          ))}
        </section>
      )}
      {frame && <Inspector frame={frame.frame} selected={selected} disabled={frame.done} onAction={act} />}
      <Runs runs={runs} />
    </div>
  );
}
