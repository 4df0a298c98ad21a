// Every node of the running design with its health, utilisation and facts,
// and the live chaos buttons: kill, restart, slow, partition. Plain buttons in
// a list, so the keyboard reaches each (Tab) and presses it (Enter/Space). A
// node of several instances has a choice of which one Kill and Restart act
// on: all of them, or one.
import { type JSX, memo, useState } from "react";
import type { LiveFrame, NodeAction, NodeStatus } from "../../../src/live/frame.js";

export interface InspectorProps {
  frame: LiveFrame;
  selected: string | null;
  onAction(name: string, action: NodeAction): void;
  disabled: boolean;
}

export function Inspector({ frame, selected, onAction, disabled }: InspectorProps): JSX.Element {
  const [slowMs, setSlowMs] = useState(50);
  const names = Object.keys(frame.status).sort();
  return (
    <section className="inspector" aria-label="Nodes">
      <div className="inspector-head">
        <h4>Nodes</h4>
        <label>
          slow by{" "}
          <input
            type="number"
            min={0}
            step={10}
            value={slowMs}
            aria-label="Slowness added by the slow button, in ms"
            onChange={(e) => setSlowMs(Math.max(0, Number(e.target.value) || 0))}
          />{" "}
          ms
        </label>
      </div>
      <ul>
        {names.map((name) => (
          <NodeRow
            key={name}
            name={name}
            status={frame.status[name]}
            selected={name === selected}
            disabled={disabled}
            slowMs={slowMs}
            onAction={onAction}
          />
        ))}
      </ul>
    </section>
  );
}

interface NodeRowProps {
  name: string;
  status: NodeStatus;
  selected: boolean;
  disabled: boolean;
  slowMs: number;
  onAction(name: string, action: NodeAction): void;
}

/** What a row shows of its status: a new frame whose row would look the same does not redraw it. */
const looksSame = (a: NodeStatus, b: NodeStatus): boolean =>
  a.health === b.health &&
  (a.utilization === null
    ? b.utilization === null
    : b.utilization !== null && Math.round(a.utilization * 100) === Math.round(b.utilization * 100)) &&
  JSON.stringify(a.facts) === JSON.stringify(b.facts) &&
  JSON.stringify(a.instances) === JSON.stringify(b.instances);

const NodeRow = memo(
  NodeRowView,
  (a, b) =>
    a.name === b.name &&
    a.selected === b.selected &&
    a.disabled === b.disabled &&
    a.slowMs === b.slowMs &&
    a.onAction === b.onAction &&
    looksSame(a.status, b.status),
);

function NodeRowView(props: NodeRowProps): JSX.Element {
  const { name, status, selected, disabled, slowMs, onAction } = props;
  /** the instance Kill and Restart act on (null: all) */
  const [instance, setInstance] = useState<number | null>(null);
  const act = (action: NodeAction) => () => onAction(name, action);
  const total = status.instances?.total ?? 0;
  const one = instance !== null && instance < total ? instance : null;
  const which = one === null ? name : `${name} instance ${one}`;
  const only = one === null ? {} : { instance: one };
  const util = status.utilization;
  return (
    <li
      className={`node health-${status.health}${selected ? " selected" : ""}`}
      data-testid={`node-${name}`}
      data-health={status.health}
    >
      <div className="node-line">
        <span className="node-name">{name}</span>
        <span className={`badge ${status.health}`}>{status.health}</span>
        {util !== null && (
          <span className="util" title="busy fraction over the last frame">
            <span className="util-bar" style={{ width: `${Math.round(util * 100)}%` }} />
            <span className="util-text">{Math.round(util * 100)}%</span>
          </span>
        )}
      </div>
      {Object.keys(status.facts).length > 0 && (
        <dl className="facts">
          {Object.entries(status.facts).map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      )}
      <div className="node-actions" role="group" aria-label={`Faults for ${name}`}>
        {total > 1 && (
          <select
            value={one === null ? "" : String(one)}
            aria-label={`Instance of ${name} that Kill and Restart act on`}
            data-testid={`instance-${name}`}
            onChange={(e) => setInstance(e.target.value === "" ? null : Number(e.target.value))}
          >
            <option value="">all {total}</option>
            {Array.from({ length: total }, (_, i) => (
              <option key={i} value={String(i)}>
                #{i}
                {status.instances?.down.includes(i) ? " (down)" : ""}
              </option>
            ))}
          </select>
        )}
        <button
          type="button"
          disabled={disabled}
          onClick={act({ type: "kill", ...only })}
          aria-label={`Kill ${which}`}
        >
          Kill
        </button>
        <button
          type="button"
          disabled={disabled}
          onClick={act({ type: "restart", ...only })}
          aria-label={`Restart ${which}`}
        >
          Restart
        </button>
        <button
          type="button"
          disabled={disabled}
          onClick={act({ type: "slow", ms: slowMs })}
          aria-label={`Slow ${name} by ${slowMs} ms`}
        >
          Slow
        </button>
        <button
          type="button"
          disabled={disabled}
          onClick={act({ type: "partition" })}
          aria-label={`Partition ${name}'s zone`}
        >
          Partition
        </button>
      </div>
    </li>
  );
}
