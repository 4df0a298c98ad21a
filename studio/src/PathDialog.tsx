// A modal asking for a workspace path (new design, duplicate, copy of an
// example). The server has the last word: its refusal (file exists, path
// outside the workspace) is shown in the dialog, which stays open.
import { type FormEvent, type JSX, useEffect, useRef, useState } from "react";
import { trapTab } from "./focus";

export interface PathRequest {
  title: string;
  label: string;
  initial: string;
  /** resolves to null on success, else the reason to show */
  submit(path: string): Promise<string | null>;
}

export function PathDialog(props: { request: PathRequest; onCancel(): void }): JSX.Element {
  const [path, setPath] = useState(props.request.initial);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const back = useRef<Element | null>(document.activeElement);

  useEffect(() => {
    input.current?.focus();
    // the stem selected, so typing replaces the name and keeps ".yaml"
    const dot = props.request.initial.lastIndexOf(".");
    input.current?.setSelectionRange(0, dot > 0 ? dot : props.request.initial.length);
    const previous = back.current;
    return () => (previous as HTMLElement | null)?.focus?.();
  }, [props.request]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const p = path.trim();
    if (!p) return setError("a file name is needed");
    if (!/\.(ya?ml|json)$/i.test(p)) return setError("a design file ends in .yaml, .yml or .json");
    setBusy(true);
    setError(await props.request.submit(p));
    setBusy(false);
  };

  return (
    <div
      className="backdrop"
      onKeyDown={(e) => {
        if (e.key === "Escape") props.onCancel();
        trapTab(e);
      }}
      onMouseDown={(e) => e.target === e.currentTarget && props.onCancel()}
    >
      <form
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="path-dialog-title"
        onSubmit={submit}
      >
        <h2 id="path-dialog-title">{props.request.title}</h2>
        <label>
          {props.request.label}
          <input
            ref={input}
            value={path}
            onChange={(e) => setPath(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "path-dialog-error" : undefined}
            spellCheck={false}
          />
        </label>
        {error && (
          <p className="error" id="path-dialog-error" role="alert">
            {error}
          </p>
        )}
        <div className="buttons">
          <button type="submit" disabled={busy}>
            Create
          </button>
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}
