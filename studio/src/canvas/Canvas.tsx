// Placeholder: the React Flow canvas (studio-canvas replaces this file).
import type { JSX } from "react";
import type { LiveFrame, NodeAction } from "../../../src/live/frame.js";

export interface CanvasProps {
  /** the design's YAML: the single source of truth */
  text: string;
  /** every canvas edit yields new YAML text */
  onTextChange(text: string): void;
  /** selected component name */
  selected: string | null;
  onSelect(name: string | null): void;
  /** live colouring (status) and dots on edges (flows) */
  frame?: LiveFrame | null;
  /** kill/restart/slow/partition from the node menu */
  onNodeAction?(name: string, action: NodeAction): void;
}

export function Canvas(_props: CanvasProps): JSX.Element {
  return (
    <div className="placeholder" data-testid="canvas-placeholder">
      <p>The canvas is not built yet: edit the YAML below.</p>
    </div>
  );
}
