// Placeholder: forms generated from the schema (studio-canvas replaces this file).
import type { JSX } from "react";

export interface PropertyPanelProps {
  text: string;
  onTextChange(text: string): void;
  selected: string | null;
}

export function PropertyPanel(props: PropertyPanelProps): JSX.Element {
  return (
    <div className="placeholder" data-testid="property-panel-placeholder">
      <p>
        {props.selected ? `Properties of ${props.selected}` : "Select a component to see its properties."}
      </p>
    </div>
  );
}
