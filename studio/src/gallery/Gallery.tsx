// Every example design with its story (the first paragraph of its leading
// comment), grouped by area; "Open a copy" puts it in the workspace, so the
// examples themselves are never edited.
import { type JSX, useMemo, useState } from "react";
import type { Example } from "../api";

export interface GalleryProps {
  examples: Example[] | null;
  /** why the examples could not be listed */
  error: string | null;
  onOpenCopy(example: Example): void;
}

/** Stories longer than the card shows (about six lines) get a "whole story" toggle. */
const isLong = (story: string) => story.length > 360 || story.split("\n").length > 6;

export function Gallery(props: GalleryProps): JSX.Element {
  const [filter, setFilter] = useState("");
  const [open, setOpen] = useState<Set<string>>(new Set());
  const toggle = (path: string) =>
    setOpen((o) => {
      const n = new Set(o);
      if (!n.delete(path)) n.add(path);
      return n;
    });
  const groups = useMemo(() => {
    const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = (props.examples ?? []).filter((e) => {
      const hay = `${e.path} ${e.name} ${e.story}`.toLowerCase();
      return words.every((w) => hay.includes(w));
    });
    const byArea = new Map<string, Example[]>();
    for (const e of shown) {
      const area = e.path.includes("/") ? e.path.slice(0, e.path.lastIndexOf("/")) : "basics";
      byArea.set(area, [...(byArea.get(area) ?? []), e]);
    }
    return [...byArea.entries()].sort(([a], [b]) =>
      a === "basics" ? -1 : b === "basics" ? 1 : a.localeCompare(b),
    );
  }, [props.examples, filter]);

  return (
    <div className="gallery" data-testid="gallery">
      <div className="gallery-head">
        <h2 id="gallery-title">Example designs</h2>
        <label>
          Filter{" "}
          <input
            type="search"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder="cache, kafka, retry..."
          />
        </label>
      </div>
      {props.error && <p className="error">Could not list the examples: {props.error}</p>}
      {!props.examples && !props.error && <p>Loading the examples...</p>}
      {props.examples && groups.length === 0 && <p>No example matches "{filter}".</p>}
      {groups.map(([area, list]) => (
        <section key={area} aria-labelledby={`area-${area}`}>
          <h3 id={`area-${area}`}>{area}</h3>
          <ul className="cards">
            {list.map((e) => (
              <li key={e.path} className={`card${open.has(e.path) ? " expanded" : ""}`} data-example={e.path}>
                <h4>{e.name}</h4>
                <p className="path">examples/{e.path}</p>
                <p className="story" id={`story-${e.path}`}>
                  {e.story}
                </p>
                {isLong(e.story) && (
                  <button
                    type="button"
                    className="link"
                    aria-expanded={open.has(e.path)}
                    aria-controls={`story-${e.path}`}
                    onClick={() => toggle(e.path)}
                  >
                    {open.has(e.path) ? "Less" : "The whole story"}
                  </button>
                )}
                <button
                  type="button"
                  className="primary"
                  onClick={() => props.onOpenCopy(e)}
                  aria-label={`Open a copy of ${e.path}`}
                >
                  Open a copy
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
