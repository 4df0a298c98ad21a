// The studio's shell: owns the state every panel shares (the open file, its
// text, the diagnostics, the selected component) and lays the panels out. The
// YAML text is the single source of truth: the editor, the canvas and the
// property panel all edit it. Live frames are not App state: the run panel
// puts them in a store (run/liveStore.ts) that only the canvas's nodes and
// edges read, so a running design never re-renders the App, the editor or the
// property panel.
import { type JSX, useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { NodeAction } from "../../src/live/frame.js";
import * as api from "./api";
import { Canvas } from "./canvas/Canvas";
import { PropertyPanel } from "./canvas/PropertyPanel";
import { type Checked, checkDesign } from "./check";
import { YamlEditor, type YamlEditorHandle } from "./editor/YamlEditor";
import { Gallery } from "./gallery/Gallery";
import { PathDialog, type PathRequest } from "./PathDialog";
import { Problems } from "./Problems";
import { createLiveStore } from "./run/liveStore";
import { RunPanel } from "./run/RunPanel";
import { SHORTCUTS, Shortcuts } from "./Shortcuts";

type View = "design" | "gallery";
const CHECK_DELAY_MS = 150;
interface Status {
  kind: "info" | "error";
  text: string;
}

/** The open file lives in the URL (#file=...), so a reload reopens it. */
function fileFromHash(): string | null {
  const m = /^#file=(.+)$/.exec(window.location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

/** `base` or `base-2`, `base-3`... whichever is free. */
function freeName(wanted: string, taken: Set<string>): string {
  if (!taken.has(wanted)) return wanted;
  const dot = wanted.lastIndexOf(".");
  const [stem, ext] = dot > 0 ? [wanted.slice(0, dot), wanted.slice(dot)] : [wanted, ""];
  for (let i = 2; ; i++) if (!taken.has(`${stem}-${i}${ext}`)) return `${stem}-${i}${ext}`;
}

export function App(): JSX.Element {
  const [files, setFiles] = useState<api.FileEntry[]>([]);
  const [file, setFile] = useState<string | null>(null);
  const [text, setText] = useState("");
  const [saved, setSaved] = useState("");
  /** the open file's version on disk when it was read or last saved (its ETag) */
  const [version, setVersion] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [live] = useState(createLiveStore);
  const [view, setView] = useState<View>("design");
  const [examples, setExamples] = useState<api.Example[] | null>(null);
  const [examplesError, setExamplesError] = useState<string | null>(null);
  const [status, setStatus] = useState<Status | null>(null);
  const [request, setRequest] = useState<PathRequest | null>(null);
  const [showShortcuts, setShowShortcuts] = useState(false);
  const actions = useRef<((name: string, action: NodeAction) => void) | null>(null);
  const editor = useRef<YamlEditorHandle>(null);
  const fileList = useRef<HTMLUListElement>(null);
  /** set when a dialog opened a file: the editor takes the focus once the dialog is gone */
  const focusEditor = useRef(false);

  const dirty = file !== null && text !== saved;
  // The checks take from a few ms to tens of ms on a large design: run them once typing pauses,
  // so a keystroke never waits for them. Until then the editor's marks follow the edits.
  const [checked, setChecked] = useState<Checked>({ text: "", errors: [], warnings: [] });
  useEffect(() => {
    const t = setTimeout(() => setChecked(checkDesign(text, file ?? "design.yaml")), CHECK_DELAY_MS);
    return () => clearTimeout(t);
  }, [text, file]);

  const fail = (what: string, e: unknown) =>
    setStatus({ kind: "error", text: `${what}: ${(e as Error).message}` });

  const refresh = useCallback(async () => {
    try {
      const list = await api.listFiles();
      setFiles(list);
      return list;
    } catch (e) {
      fail("Could not list the workspace", e);
      return null;
    }
  }, []);

  const open = useCallback(
    async (path: string, opts: { force?: boolean } = {}) => {
      if (!opts.force && path === file) return; // already open: re-reading it would drop unsaved edits
      if (!opts.force && dirty && !window.confirm(`Discard unsaved changes to ${file}?`)) return;
      try {
        const { text: t, version: v } = await api.readFile(path);
        setFile(path);
        setText(t);
        setSaved(t);
        setVersion(v);
        setSelected(null);
        setView("design");
        window.history.replaceState(null, "", `#file=${encodeURIComponent(path)}`);
        setStatus({ kind: "info", text: `Opened ${path}` });
      } catch (e) {
        fail(`Could not open ${path}`, e);
      }
    },
    [dirty, file],
  );

  const saving = useRef(false);
  const save = useCallback(async () => {
    // one save at a time: a second one would carry the version the first replaces (a false conflict)
    if (file === null || saving.current) return;
    saving.current = true;
    const t = text;
    try {
      let v: string | null;
      try {
        v = await api.writeFile(file, t, version);
      } catch (e) {
        // someone else saved the file since it was opened: overwrite only if the user says so
        if (!(e instanceof api.ApiError && e.status === 412)) throw e;
        if (!window.confirm(`${file} changed on disk since you opened it. Overwrite it with your version?`)) {
          setStatus({
            kind: "error",
            text: `Not saved: ${file} changed on disk (copy your edits, then reopen it)`,
          });
          return;
        }
        v = await api.writeFile(file, t);
      }
      setSaved(t);
      setVersion(v);
      const n = (checked.text === t ? checked : checkDesign(t, file)).errors.length;
      setStatus({
        kind: "info",
        text: `Saved ${file}${n ? ` (${n} problem${n === 1 ? " remains" : "s remain"})` : ""}`,
      });
      void refresh();
    } catch (e) {
      fail(`Could not save ${file}`, e);
    } finally {
      saving.current = false;
    }
  }, [file, text, version, checked, refresh]);

  // first load: the workspace, the examples, and the file named in the URL
  useEffect(() => {
    void (async () => {
      const list = await refresh();
      const wanted = fileFromHash();
      if (wanted) await open(wanted, { force: true });
      else if (list && list.length === 0) setView("gallery");
    })();
    api.listExamples().then(setExamples, (e: Error) => setExamplesError(e.message));
    // once, on mount: nothing is dirty yet, so the first `open` is the one to use
  }, []);

  // after the dialog's own cleanup (which hands focus back to where it came from)
  useEffect(() => {
    if (request === null && focusEditor.current) {
      focusEditor.current = false;
      editor.current?.focus();
    }
  }, [request, file]);

  useEffect(() => {
    document.title = `${dirty ? "● " : ""}${file ?? "archsim studio"}${file ? " - archsim studio" : ""}`;
  }, [file, dirty]);

  // leaving with unsaved changes asks first
  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  const taken = useMemo(() => new Set(files.map((f) => f.path)), [files]);

  const create = async (path: string, body?: string) => {
    try {
      await api.newFile(path, body);
      await refresh();
      await open(path, { force: true });
      focusEditor.current = true;
      setRequest(null);
    } catch (e) {
      return (e as Error).message;
    }
    return null;
  };

  /** Creating or copying opens the new file: unsaved edits to the open one are discarded only if the user agrees. */
  const mayLeave = () => !dirty || window.confirm(`Discard unsaved changes to ${file}?`);

  const askNew = () =>
    mayLeave() &&
    setRequest({
      title: "New design",
      label: "File name in the workspace",
      initial: freeName("untitled.yaml", taken),
      submit: (p) => create(p),
    });
  const askDuplicate = () => {
    if (file === null) return;
    if (dirty) {
      setStatus({ kind: "error", text: `Save ${file} first: Duplicate copies the saved file` });
      return;
    }
    setRequest({
      title: `Duplicate ${file}`,
      label: "Name of the copy",
      initial: freeName(file.replace(/(\.[^./]+)?$/, "-copy$1"), taken),
      submit: async (to) => {
        try {
          await api.duplicateFile(file, to);
          await refresh();
          await open(to, { force: true });
          focusEditor.current = true;
          setRequest(null);
          return null;
        } catch (e) {
          return (e as Error).message;
        }
      },
    });
  };
  const askCopy = (example: api.Example) =>
    mayLeave() &&
    setRequest({
      title: `Open a copy of examples/${example.path}`,
      label: "File name in the workspace",
      initial: freeName(example.path.split("/").pop() ?? "example.yaml", taken),
      submit: (p) => create(p, example.text),
    });

  // keyboard shortcuts (listed by the Shortcuts dialog)
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "s") {
        e.preventDefault();
        void save();
        return;
      }
      if (e.altKey && e.shiftKey && !e.ctrlKey && !e.metaKey) {
        const act: Record<string, () => void> = {
          KeyN: askNew,
          KeyD: askDuplicate,
          KeyG: () => setView((v) => (v === "gallery" ? "design" : "gallery")),
          KeyF: () => (fileList.current?.querySelector("button") ?? fileList.current)?.focus(),
          KeyE: () => {
            setView("design");
            editor.current?.focus();
          },
        };
        const f = act[e.code];
        if (f) {
          e.preventDefault();
          f();
        }
        return;
      }
      const typing = (e.target as HTMLElement | null)?.closest?.("input, textarea, [contenteditable=true]");
      if (e.key === "?" && !typing && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        setShowShortcuts(true);
      }
    };
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  });

  const onNodeAction = useCallback((name: string, action: NodeAction) => actions.current?.(name, action), []);

  return (
    <div className="app">
      {file !== null && view === "design" && (
        <button type="button" className="skip" onClick={() => editor.current?.focus()}>
          Skip to the editor
        </button>
      )}
      <header className="topbar">
        <h1>archsim studio</h1>
        <span className="current" data-testid="current-file">
          {file ?? "no file open"}
          {dirty && (
            <span className="dirty" title="unsaved changes" aria-label="unsaved changes">
              {" "}
              ●
            </span>
          )}
        </span>
        <nav className="actions" aria-label="File actions">
          <button type="button" onClick={() => void save()} disabled={file === null} title="Ctrl/Cmd+S">
            Save
          </button>
          <button type="button" onClick={askNew} title="Alt+Shift+N">
            New
          </button>
          <button type="button" onClick={askDuplicate} disabled={file === null} title="Alt+Shift+D">
            Duplicate
          </button>
          <button
            type="button"
            onClick={() => setView(view === "gallery" ? "design" : "gallery")}
            aria-pressed={view === "gallery"}
            title="Alt+Shift+G"
          >
            Gallery
          </button>
          <button type="button" onClick={() => setShowShortcuts(true)} title="?">
            Shortcuts
          </button>
        </nav>
      </header>

      <nav className="sidebar" aria-labelledby="files-title">
        <h2 id="files-title">Workspace</h2>
        {files.length === 0 && <p className="muted">No designs yet: copy an example from the gallery.</p>}
        <ul ref={fileList} className="files" data-testid="file-list" tabIndex={-1}>
          {files.map((f) => (
            <li key={f.path}>
              <button
                type="button"
                onClick={() => void open(f.path)}
                aria-current={f.path === file ? "page" : undefined}
                title={`${f.path} (${f.size} bytes)`}
              >
                {f.path}
                {f.path === file && dirty && <span className="dirty"> ●</span>}
              </button>
            </li>
          ))}
        </ul>
      </nav>

      {view === "gallery" ? (
        <main className="center gallery-view" aria-labelledby="gallery-title">
          <Gallery examples={examples} error={examplesError} onOpenCopy={askCopy} />
        </main>
      ) : file === null ? (
        <main className="center empty">
          <p>Open a design from the workspace, start a new one, or copy an example from the gallery.</p>
          <button type="button" onClick={() => setView("gallery")}>
            Show the gallery
          </button>
        </main>
      ) : (
        <main className="center workbench">
          <section className="canvas-area" aria-label="Canvas">
            <Canvas
              text={text}
              onTextChange={setText}
              selected={selected}
              onSelect={setSelected}
              live={live}
              onNodeAction={onNodeAction}
            />
          </section>
          <section className="editor-area" id="editor-area" aria-label="YAML editor" tabIndex={-1}>
            <YamlEditor
              docKey={file}
              value={text}
              onChange={setText}
              errors={checked.errors}
              warnings={checked.warnings}
              checkedText={checked.text}
              handle={editor}
            />
            <Problems
              errors={checked.errors}
              warnings={checked.warnings}
              stale={checked.text !== text}
              onReveal={(line, col) => editor.current?.reveal(line, col)}
            />
          </section>
        </main>
      )}

      <aside className="side">
        <section className="props-area" aria-label="Properties">
          <PropertyPanel text={text} onTextChange={setText} selected={selected} onSelect={setSelected} />
        </section>
        <section className="run-area" aria-label="Run">
          <RunPanel text={text} file={file ?? ""} selected={selected} onFrame={live.set} actions={actions} />
        </section>
      </aside>

      <footer
        className={`statusbar ${status?.kind ?? ""}`}
        role="status"
        aria-live="polite"
        data-testid="status"
      >
        {status?.text ?? "Ready"}
      </footer>

      {request && <PathDialog request={request} onCancel={() => setRequest(null)} />}
      {showShortcuts && <Shortcuts list={SHORTCUTS} onClose={() => setShowShortcuts(false)} />}
    </div>
  );
}
