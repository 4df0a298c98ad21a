// Placeholder: run controls, live charts and the inspector (studio-live replaces this file).
import type { JSX } from "react";
import type { LiveFrame, NodeAction } from "../../../src/live/frame.js";

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

export function RunPanel(_props: RunPanelProps): JSX.Element {
  return (
    <div className="placeholder" data-testid="run-panel-placeholder">
      <p>
        Running designs in the studio is not built yet: use <code>archsim run</code>.
      </p>
    </div>
  );
}
