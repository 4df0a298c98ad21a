// The design as a graph (React Flow): a node per component, grouped in boxes
// by zone and region, an edge per pair of components one names the other.
// Every change made here is an edit of the YAML (src/studio/edit.ts), which
// stays the one source of truth: the canvas is redrawn from the new text.
import {
  applyNodeChanges,
  BaseEdge,
  type Edge,
  type EdgeProps,
  getBezierPath,
  Handle,
  type Node,
  type NodeChange,
  type NodeProps,
  Position,
  ReactFlow,
  ReactFlowProvider,
  Background,
  Controls,
  useReactFlow,
  type Connection as FlowConnection,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import "./canvas.css";
import { type DragEvent, type JSX, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { parse } from "yaml";
import type { NodeAction, NodeStatus } from "../../../src/live/frame.js";
import { connectOptions, type Connection } from "../../../src/studio/connect.js";
import { applyEdit, type Edit } from "../../../src/studio/edit.js";
import { kindHelp } from "../../../src/studio/forms.js";
import { designToGraph, type Graph } from "../../../src/studio/graph.js";
import { dotsFor, statusColour } from "../../../src/studio/live-style.js";
import { autoLayout, groupBoxes, NODE_HEIGHT, NODE_WIDTH } from "../../../src/studio/layout.js";
import { COMPONENT_KINDS } from "../../../src/design/schema.js";
import type { Kind } from "../../../src/studio/references.js";
import { LiveContext, type LiveStore, useLive } from "../run/liveStore";

export interface CanvasProps {
  /** the design's YAML: the single source of truth */
  text: string;
  /** every canvas edit yields new YAML text */
  onTextChange(text: string): void;
  /** selected component name */
  selected: string | null;
  onSelect(name: string | null): void;
  /**
   * the running design's latest frame, for live colouring (status) and dots on
   * edges (flows): a store, not a prop per frame, so a frame redraws only the
   * nodes and edges it changes, never the whole canvas
   */
  live?: LiveStore;
  /** kill/restart/slow/partition from the node menu */
  onNodeAction?(name: string, action: NodeAction): void;
}

export function Canvas(props: CanvasProps): JSX.Element {
  const inner = (
    <ReactFlowProvider>
      <CanvasInner {...props} />
    </ReactFlowProvider>
  );
  return props.live ? <LiveContext.Provider value={props.live}>{inner}</LiveContext.Provider> : inner;
}

interface ComponentData extends Record<string, unknown> {
  name: string;
  kind: string;
}
interface GroupData extends Record<string, unknown> {
  label: string;
  kind: "zone" | "region";
}
interface FlowEdgeData extends Record<string, unknown> {
  roles: string[];
  derived: boolean;
}

/**
 * A node's live look in the latest frame as one string ("health|busy %"; ""
 * with no frame), so that the node re-renders only when what it shows changes.
 */
function liveLook(store: LiveStore, name: string): string {
  const s = store.get()?.status[name];
  if (!s) return "";
  return `${s.health}|${s.utilization === null ? "" : Math.round(s.utilization * 100)}`;
}

function statusOfLook(look: string): NodeStatus | undefined {
  if (look === "") return undefined;
  const [health, pct] = look.split("|");
  return {
    health: health as NodeStatus["health"],
    utilization: pct === "" ? null : Number(pct) / 100,
    facts: {},
  };
}

function ComponentNode({ data, selected }: NodeProps<Node<ComponentData>>): JSX.Element {
  const status = statusOfLook(useLive((store) => liveLook(store, data.name)));
  const colour = statusColour(status);
  const u = status?.utilization;
  return (
    <div
      className={`sc-node kind-${data.kind}${selected ? " selected" : ""}`}
      style={colour ? { borderColor: colour, boxShadow: `0 0 0 2px ${colour}33` } : undefined}
      data-testid={`node-${data.name}`}
      data-health={status?.health}
      data-utilization={u ?? undefined}
      title={kindHelp(data.kind as Kind)}
    >
      <Handle type="target" position={Position.Left} />
      <div className="sc-node-name">{data.name}</div>
      <div className="sc-node-kind">{data.kind}</div>
      {u !== undefined && u !== null ? (
        <div className="sc-util" aria-label={`utilisation ${Math.round(u * 100)}%`}>
          <div style={{ width: `${Math.round(u * 100)}%`, background: colour }} />
        </div>
      ) : null}
      <Handle type="source" position={Position.Right} />
    </div>
  );
}

function GroupNode({ data }: NodeProps<Node<GroupData>>): JSX.Element {
  return (
    <div className={`sc-group sc-group-${data.kind}`} data-testid={`group-${data.label}`}>
      <span>{data.label}</span>
    </div>
  );
}

/** An edge with its roles as a label and, while running, a few dots travelling along it. */
function FlowEdge(props: EdgeProps<Edge<FlowEdgeData>>): JSX.Element {
  const [path, labelX, labelY] = getBezierPath(props);
  // sampled: one to three dots by the order of magnitude of the traffic, never one per request;
  // the edge re-renders only when that number changes (the dots move by SVG animation, not React)
  const dots = useLive((store) => dotsFor(store.flowBetween(props.source, props.target)));
  return (
    <>
      <BaseEdge
        id={props.id}
        path={path}
        markerEnd={props.markerEnd}
        style={{ strokeDasharray: props.data?.derived ? "4 4" : undefined, ...props.style }}
      />
      <text x={labelX} y={labelY - 4} className="sc-edge-label" textAnchor="middle">
        {props.data?.roles.join(", ")}
      </text>
      {Array.from({ length: dots }, (_, i) => (
        <circle key={i} r={3} className="sc-dot">
          <animateMotion dur="1.2s" repeatCount="indefinite" begin={`${(i * 1.2) / dots}s`} path={path} />
        </circle>
      ))}
    </>
  );
}

const nodeTypes = { component: ComponentNode, group: GroupNode };
const edgeTypes = { flow: FlowEdge };

function readGraph(text: string): { graph: Graph | null; error: string | null } {
  try {
    return { graph: designToGraph(parse(text, { merge: true })), error: null };
  } catch (e) {
    return { graph: null, error: (e as Error).message.split("\n")[0] };
  }
}

interface Menu {
  x: number;
  y: number;
  name: string;
}
interface Choice {
  from: string;
  to: string;
  options: Connection[];
}

function CanvasInner(props: CanvasProps): JSX.Element {
  const { text, onTextChange, selected, onSelect, onNodeAction } = props;
  const flow = useReactFlow();
  const [notice, setNotice] = useState<string | null>(null);
  const [menu, setMenu] = useState<Menu | null>(null);
  const [choice, setChoice] = useState<Choice | null>(null);
  const [adding, setAdding] = useState<Kind>("service");
  const lastGood = useRef<Graph | null>(null);

  const read = useMemo(() => readGraph(text), [text]);
  if (read.graph) lastGood.current = read.graph;
  const graph = read.graph ?? lastGood.current ?? { nodes: [], edges: [], groups: [] };

  const edit = useCallback(
    (e: Edit): boolean => {
      const r = applyEdit(text, e);
      if (!r.ok) {
        setNotice(r.reason);
        return false;
      }
      // a move says nothing: it must not hide why the edge just drawn was refused
      if (e.op !== "move") setNotice(null);
      if (r.text !== text) onTextChange(r.text);
      if (e.op === "add" || e.op === "rename") onSelect(r.name ?? null);
      return true;
    },
    [text, onTextChange, onSelect],
  );

  const positions = useMemo(() => autoLayout(graph), [graph]);
  const computed = useMemo((): Node[] => {
    const boxes = groupBoxes(graph, positions);
    const groups: Node<GroupData>[] = graph.groups
      .filter((g) => boxes[g.id])
      .map((g) => ({
        id: `group:${g.id}`,
        type: "group",
        position: { x: boxes[g.id].x, y: boxes[g.id].y },
        style: { width: boxes[g.id].width, height: boxes[g.id].height },
        data: { label: g.id, kind: g.kind },
        selectable: false,
        draggable: false,
        focusable: false,
        zIndex: g.kind === "region" ? -2 : -1,
      }));
    const comps: Node<ComponentData>[] = graph.nodes.map((n) => ({
      id: n.id,
      type: "component",
      position: positions[n.id],
      data: { name: n.id, kind: n.kind },
      selected: n.id === selected,
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      ariaLabel: `${n.kind} ${n.id}`,
    }));
    return [...groups, ...comps];
  }, [graph, positions, selected]);

  const [nodes, setNodes] = useState<Node[]>(computed);
  useEffect(() => setNodes(computed), [computed]);

  const edges = useMemo(
    (): Edge<FlowEdgeData>[] =>
      graph.edges.map((e) => ({
        id: e.id,
        source: e.from,
        target: e.to,
        type: "flow",
        data: { roles: e.roles, derived: e.derived },
        deletable: !e.derived,
        ariaLabel: `${e.from} to ${e.to}: ${e.roles.join(", ")}`,
      })),
    [graph],
  );

  const onNodesChange = useCallback((changes: NodeChange[]) => {
    // removals go through the YAML (onNodesDelete), never straight into the drawing
    setNodes((nds) =>
      applyNodeChanges(
        changes.filter((c) => c.type !== "remove"),
        nds,
      ),
    );
  }, []);

  const onConnect = useCallback(
    (c: FlowConnection) => {
      const answer = connectOptions(parse(text, { merge: true }), c.source, c.target);
      if (!answer.ok) {
        setNotice(`${c.source} -> ${c.target}: ${answer.reason}`);
        return;
      }
      if (answer.options.length === 1) edit({ op: "connect", from: c.source, to: c.target });
      else setChoice({ from: c.source, to: c.target, options: answer.options });
    },
    [text, edit],
  );

  const onDrop = useCallback(
    (ev: DragEvent) => {
      ev.preventDefault();
      const kind = ev.dataTransfer.getData("application/x-archsim-kind") as Kind;
      if (!kind) return;
      const at = flow.screenToFlowPosition({ x: ev.clientX, y: ev.clientY });
      edit({ op: "add", kind, at });
    },
    [flow, edit],
  );

  const act = (name: string, action: NodeAction) => {
    setMenu(null);
    if (onNodeAction) onNodeAction(name, action);
    else setNotice("start a run to break components while it runs");
  };

  return (
    <div className="sc-canvas" data-testid="canvas">
      <div className="sc-palette" role="toolbar" aria-label="Component palette">
        {(COMPONENT_KINDS as readonly Kind[]).map((k) => (
          <button
            key={k}
            type="button"
            draggable
            className={`sc-chip kind-${k}`}
            title={`${kindHelp(k)} (drag onto the canvas, or click to add)`}
            data-testid={`palette-${k}`}
            onDragStart={(ev) => {
              ev.dataTransfer.setData("application/x-archsim-kind", k);
              ev.dataTransfer.effectAllowed = "copy";
            }}
            onClick={() => edit({ op: "add", kind: k })}
          >
            {k}
          </button>
        ))}
        <label className="sc-add">
          <span className="sr-only">Kind to add</span>
          <select value={adding} onChange={(e) => setAdding(e.target.value as Kind)} aria-label="Kind to add">
            {(COMPONENT_KINDS as readonly Kind[]).map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
          <button type="button" onClick={() => edit({ op: "add", kind: adding })}>
            Add
          </button>
        </label>
      </div>
      <div className="sc-flow" onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
        {/* overlays, not rows above the graph: the graph must not move under the pointer */}
        <div className="sc-overlays">
          {selected && graph.nodes.some((n) => n.id === selected) ? (
            <div className="sc-actions" role="toolbar" aria-label={`Actions on ${selected}`}>
              <span>{selected}:</span>
              <button type="button" onClick={() => act(selected, { type: "kill" })}>
                Kill
              </button>
              <button type="button" onClick={() => act(selected, { type: "restart" })}>
                Restart
              </button>
              <button type="button" onClick={() => act(selected, { type: "slow", ms: 100 })}>
                Slow +100ms
              </button>
              <button type="button" onClick={() => act(selected, { type: "partition" })}>
                Partition
              </button>
              <button type="button" onClick={() => edit({ op: "delete", name: selected }) && onSelect(null)}>
                Delete
              </button>
            </div>
          ) : null}
          {read.error ? (
            <p className="sc-notice" role="status">
              The YAML cannot be read ({read.error}); the canvas shows the last version it could.
            </p>
          ) : null}
          {notice ? (
            <p className="sc-notice sc-refused" role="alert" data-testid="canvas-notice">
              {notice}
              <button type="button" aria-label="Dismiss" onClick={() => setNotice(null)}>
                ×
              </button>
            </p>
          ) : null}
          {choice ? (
            <div className="sc-choice" role="dialog" aria-label={`Connect ${choice.from} to ${choice.to}`}>
              <p>
                Connect {choice.from} to {choice.to}:
              </p>
              {choice.options.map((o, i) => (
                <button
                  key={o.label}
                  type="button"
                  onClick={() => {
                    setChoice(null);
                    edit({ op: "connect", from: choice.from, to: choice.to, option: i });
                  }}
                >
                  {o.label}
                </button>
              ))}
              <button type="button" onClick={() => setChoice(null)}>
                Cancel
              </button>
            </div>
          ) : null}
        </div>
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onNodesChange={onNodesChange}
          onConnect={onConnect}
          onNodeClick={(_, n) => {
            if (n.type === "component") onSelect(n.id);
          }}
          onPaneClick={() => {
            onSelect(null);
            setMenu(null);
          }}
          onNodeDragStop={(_, n) => {
            if (n.type === "component") edit({ op: "move", name: n.id, x: n.position.x, y: n.position.y });
          }}
          onNodesDelete={(ns) => {
            for (const n of ns) if (n.type === "component") edit({ op: "delete", name: n.id });
          }}
          onEdgesDelete={(es) => {
            for (const e of es) edit({ op: "disconnect", from: e.source, to: e.target });
          }}
          onNodeContextMenu={(ev, n) => {
            if (n.type !== "component") return;
            ev.preventDefault();
            onSelect(n.id);
            setMenu({ x: ev.clientX, y: ev.clientY, name: n.id });
          }}
          fitView
          minZoom={0.2}
          deleteKeyCode={["Delete", "Backspace"]}
          proOptions={{ hideAttribution: true }}
        >
          <Background gap={20} />
          <Controls showInteractive={false} />
        </ReactFlow>
      </div>
      {menu ? (
        <div
          className="sc-menu"
          role="menu"
          aria-label={`${menu.name} menu`}
          style={{ left: menu.x, top: menu.y }}
          onKeyDown={(e) => e.key === "Escape" && setMenu(null)}
        >
          <button role="menuitem" type="button" onClick={() => act(menu.name, { type: "kill" })} autoFocus>
            Kill
          </button>
          <button role="menuitem" type="button" onClick={() => act(menu.name, { type: "restart" })}>
            Restart
          </button>
          <button role="menuitem" type="button" onClick={() => act(menu.name, { type: "slow", ms: 100 })}>
            Slow by 100ms
          </button>
          <button role="menuitem" type="button" onClick={() => act(menu.name, { type: "partition" })}>
            Partition its zone
          </button>
        </div>
      ) : null}
    </div>
  );
}
