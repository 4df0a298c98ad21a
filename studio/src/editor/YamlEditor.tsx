// The design's YAML in CodeMirror 6. The parent owns the text: edits go out
// through onChange, and a changed `value` (a file opened, a canvas edit) comes
// back in as the smallest replacement, so the cursor and undo history survive.
// The parent's diagnostics become lint marks (underline + gutter).
import { yaml } from "@codemirror/lang-yaml";
import { type Diagnostic as CmDiagnostic, lintGutter, setDiagnostics } from "@codemirror/lint";
import { EditorState, type Text } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { basicSetup } from "codemirror";
import { type JSX, type Ref, useEffect, useImperativeHandle, useRef } from "react";
import type { Diagnostic } from "../../../src/design/errors.js";

export interface YamlEditorHandle {
  /** moves the cursor to a 1-based line and column and focuses the editor */
  reveal(line: number, col: number): void;
  focus(): void;
}

export interface YamlEditorProps {
  /** identifies the document: a new key starts a fresh editor state (no undo into another file) */
  docKey: string;
  value: string;
  onChange(text: string): void;
  errors: Diagnostic[];
  warnings: Diagnostic[];
  /** the text the diagnostics were computed for: applied only while the editor shows that text */
  checkedText?: string;
  handle?: Ref<YamlEditorHandle>;
}

export function YamlEditor(props: YamlEditorProps): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;

  const stateFor = (text: string) =>
    EditorState.create({
      doc: text,
      extensions: [
        basicSetup,
        yaml(),
        lintGutter(),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ "aria-label": "Design YAML" }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) onChange.current(u.state.doc.toString());
        }),
      ],
    });

  useEffect(() => {
    const v = new EditorView({ state: stateFor(props.value), parent: host.current! });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // created once: docKey and value changes are applied by the effect below
  }, []);

  const lastKey = useRef(props.docKey);
  useEffect(() => {
    const v = view.current;
    if (!v) return;
    if (lastKey.current !== props.docKey) {
      lastKey.current = props.docKey;
      v.setState(stateFor(props.value));
      return;
    }
    const current = v.state.doc.toString();
    if (current === props.value) return;
    // the smallest replacement: common prefix and suffix stay, so marks and cursor keep their place
    let start = 0;
    const max = Math.min(current.length, props.value.length);
    while (start < max && current[start] === props.value[start]) start++;
    let end = 0;
    while (
      end < max - start &&
      current[current.length - 1 - end] === props.value[props.value.length - 1 - end]
    )
      end++;
    v.dispatch({
      changes: {
        from: start,
        to: current.length - end,
        insert: props.value.slice(start, props.value.length - end),
      },
    });
  }, [props.docKey, props.value]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const doc = v.state.doc;
    // diagnostics for an older text would land in the wrong places; the marks already shown
    // move with the edits until the diagnostics for the current text arrive
    if (props.checkedText !== undefined && props.checkedText !== doc.toString()) return;
    const marks = [
      ...props.errors.map((d) => toCm(doc, d, "error")),
      ...props.warnings.map((d) => toCm(doc, d, "warning")),
    ];
    v.dispatch(setDiagnostics(v.state, marks));
  }, [props.errors, props.warnings, props.checkedText, props.docKey]);

  useImperativeHandle(
    props.handle,
    () => ({
      reveal(line, col) {
        const v = view.current;
        if (!v) return;
        const pos = offsetOf(v.state.doc, line, col);
        v.dispatch({ selection: { anchor: pos }, effects: EditorView.scrollIntoView(pos, { y: "center" }) });
        v.focus();
      },
      focus() {
        view.current?.focus();
      },
    }),
    [],
  );

  return <div className="yaml-editor" ref={host} data-testid="yaml-editor" />;
}

/** A 1-based line/col as a document offset, clamped to the document (diagnostics may lag an edit). */
function offsetOf(doc: Text, line: number, col: number): number {
  if (line < 1) return 0;
  const l = doc.line(Math.min(line, doc.lines));
  return Math.min(l.from + Math.max(col - 1, 0), l.to);
}

/** Marks the token at the diagnostic's position: up to the next space, colon or comma, at least one character. */
function toCm(doc: Text, d: Diagnostic, severity: "error" | "warning"): CmDiagnostic {
  const from = offsetOf(doc, d.line, d.col);
  const lineEnd = doc.lineAt(from).to;
  const rest = doc.sliceString(from, lineEnd);
  const token = /^[^\s:,{}[\]]*/.exec(rest)?.[0].length ?? 0;
  const to = d.line < 1 ? lineEnd : Math.min(from + Math.max(token, 1), doc.length);
  return { from, to: Math.max(to, from), severity, message: describe(d), source: "archsim" };
}

export function describe(d: Diagnostic): string {
  const parts = [d.message];
  if (d.expected) parts.push(`expected: ${d.expected}`);
  if (d.suggestion) parts.push(`did you mean ${d.suggestion}?`);
  if (d.hint) parts.push(`hint: ${d.hint}`);
  return parts.join("\n");
}
