// The runs kept in this session: pick two to compare side by side (the
// comparison page of `archsim compare --html`), or export one's HTML report.
import { type JSX, useState } from "react";
import type { LoggedIntervention } from "../../../src/live/session.js";
import { renderComparisonHtml } from "../../../src/report/html/compare.js";
import { renderReportHtml } from "../../../src/report/html/report.js";
import type { Report } from "../../../src/report/json.js";

export interface KeptRun {
  id: number;
  label: string;
  /** file name stem for exports */
  stem: string;
  report: Report;
  log: LoggedIntervention[];
}

function download(name: string, html: string): void {
  const url = URL.createObjectURL(new Blob([html], { type: "text/html" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function Runs({ runs }: { runs: KeptRun[] }): JSX.Element | null {
  const [picked, setPicked] = useState<number[]>([]);
  const [comparing, setComparing] = useState<string | null>(null);
  if (runs.length === 0) return null;
  const toggle = (id: number) =>
    setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id].slice(-2)));
  const chosen = runs.filter((r) => picked.includes(r.id));
  return (
    <section className="runs" aria-label="Runs kept">
      <div className="runs-head">
        <h4>Runs</h4>
        <button
          type="button"
          disabled={chosen.length !== 2}
          onClick={() =>
            setComparing(
              renderComparisonHtml(
                chosen.map((r) => ({ label: r.label, report: r.report })),
                { title: `${chosen[0].label} vs ${chosen[1].label}` },
              ),
            )
          }
          title="Pick two runs to compare"
        >
          Compare two
        </button>
      </div>
      <ul>
        {runs.map((r) => (
          <li key={r.id} data-testid={`run-${r.id}`}>
            <label>
              <input type="checkbox" checked={picked.includes(r.id)} onChange={() => toggle(r.id)} />{" "}
              {r.label}
            </label>
            <span className="muted">
              {r.report.requests.total.toLocaleString("en-US")} requests,{" "}
              {(r.report.availability * 100).toPrecision(4)}% ok
              {r.log.length > 0 && `, ${r.log.length} live change${r.log.length > 1 ? "s" : ""}`}
            </span>
            <button
              type="button"
              onClick={() => download(`${r.stem}.html`, renderReportHtml(r.report))}
              aria-label={`Export the HTML report of ${r.label}`}
            >
              Export
            </button>
          </li>
        ))}
      </ul>
      {comparing !== null && (
        <div className="compare-backdrop" role="dialog" aria-modal="true" aria-label="Compare runs">
          <div className="compare-dialog">
            <div className="compare-bar">
              <strong>Compare runs</strong>
              <button type="button" onClick={() => setComparing(null)} autoFocus>
                Close
              </button>
            </div>
            <iframe title="Comparison of two runs" srcDoc={comparing} sandbox="allow-scripts" />
          </div>
        </div>
      )}
    </section>
  );
}
