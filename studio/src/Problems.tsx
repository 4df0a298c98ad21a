// The design's diagnostics as a list under the editor: each one a button that
// puts the cursor on its line, with what was expected and the suggested fix.
import type { JSX } from "react";
import type { Diagnostic } from "../../src/design/errors.js";

export interface ProblemsProps {
  errors: Diagnostic[];
  warnings: Diagnostic[];
  /** the text changed since these were computed (they are about to be replaced) */
  stale: boolean;
  onReveal(line: number, col: number): void;
}

export function Problems(props: ProblemsProps): JSX.Element {
  const all = [
    ...props.errors.map((d) => ({ d, severity: "error" as const })),
    ...props.warnings.map((d) => ({ d, severity: "warning" as const })),
  ];
  return (
    <section
      className={`problems${props.stale ? " stale" : ""}`}
      aria-labelledby="problems-title"
      data-testid="problems"
    >
      <h2 id="problems-title">
        {props.errors.length === 0 ? "No problems" : `Problems (${props.errors.length})`}
        {props.warnings.length > 0 && `, warnings (${props.warnings.length})`}
      </h2>
      {all.length > 0 && (
        <ul>
          {all.map(({ d, severity }, i) => (
            <li key={i} className={severity}>
              <button type="button" onClick={() => props.onReveal(d.line, d.col)}>
                <span className="where">{d.line > 0 ? `${d.line}:${d.col}` : "-"}</span>
                <span className="message">{d.message}</span>
                {d.expected && <span className="detail">expected: {d.expected}</span>}
                {d.suggestion && <span className="detail">did you mean {d.suggestion}?</span>}
                {d.hint && <span className="detail">hint: {d.hint}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
