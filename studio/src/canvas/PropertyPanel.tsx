// The selected component's fields, as forms read off the schema (src/studio/
// forms.ts): units, choices, defaults and help text. Every change is an edit
// of the YAML (src/studio/edit.ts); a change that would break the design is
// refused, with the reason shown here. The name is a field too: renaming a
// component renames every reference to it (steps, backends, layout...).
import { type JSX, useMemo, useState } from "react";
import { parse, stringify } from "yaml";
import { applyEdit, type Edit } from "../../../src/studio/edit.js";
import { type FieldDescriptor, fieldsFor, kindHelp } from "../../../src/studio/forms.js";
import { componentsOf } from "../../../src/studio/graph.js";
import type { Kind } from "../../../src/studio/references.js";
import "./canvas.css";

export interface PropertyPanelProps {
  text: string;
  onTextChange(text: string): void;
  selected: string | null;
  /** after a rename, the component is selected under its new name */
  onSelect?(name: string | null): void;
}

/** The component's name: committed on Enter or leaving the field, Escape puts it back. */
function NameField(props: { name: string; rename(to: string): void }): JSX.Element {
  const [draft, setDraft] = useState<string | null>(null);
  return (
    <div className="sc-field" data-testid="prop-name">
      <label htmlFor="prop-name" title="the component's name: every reference to it is renamed with it">
        name
      </label>
      <input
        id="prop-name"
        value={draft ?? props.name}
        aria-describedby="prop-name-help"
        onChange={(e) => setDraft(e.target.value)}
        onBlur={() => {
          if (draft !== null && draft !== props.name) props.rename(draft.trim());
          setDraft(null);
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter") (e.target as HTMLInputElement).blur();
          if (e.key === "Escape") setDraft(null);
        }}
      />
      <small id="prop-name-help">renaming it renames every reference to it</small>
    </div>
  );
}

const UNIT_WORDS: Record<string, string> = {
  duration: "time, e.g. 250ms, 2s",
  rate: "rate, e.g. 500/s, 10k/s",
  size: "size, e.g. 64MiB",
  bandwidth: "bandwidth, e.g. 1Gbps",
  count: "count, e.g. 100, 10k",
  percent: "percentage, e.g. 99.9%",
  "time-distribution": "time or distribution, e.g. exp(5ms)",
  "size-distribution": "size or distribution, e.g. 1KiB",
};

/** What the user typed, as the YAML value: numbers as numbers, units and names as text. */
function valueOf(f: FieldDescriptor, raw: string): unknown {
  const t = raw.trim();
  if (f.type === "number" || (f.type === "unit" && /^-?\d+(\.\d+)?$/.test(t))) return Number(t);
  if (f.type === "boolean") return t === "true";
  if (f.type === "enum") {
    const c = f.choices?.find((x) => String(x) === t);
    return c ?? t;
  }
  if (f.type === "object" || f.type === "list" || f.type === "map" || f.type === "choice" || f.type === "any")
    return parse(t);
  return t;
}

function shown(v: unknown): string {
  if (v === undefined) return "";
  if (v !== null && typeof v === "object") return stringify(v, { collectionStyle: "flow" }).trim();
  return String(v);
}

function Field(props: {
  f: FieldDescriptor;
  value: unknown;
  commit(f: FieldDescriptor, raw: string): void;
}): JSX.Element {
  const { f, value, commit } = props;
  const id = `prop-${f.key}`;
  const [draft, setDraft] = useState<string | null>(null);
  const text = draft ?? shown(value);
  const hint = f.unit ? UNIT_WORDS[f.unit] : f.references ? `a ${f.references.join(" or ")}` : undefined;
  const placeholder = f.default !== undefined ? `default ${f.default}` : f.required ? "required" : "";
  const help = [f.help, hint].filter(Boolean).join(" — ");
  let input: JSX.Element;
  if (f.type === "enum" || f.type === "boolean") {
    const choices = f.type === "boolean" ? ["true", "false"] : (f.choices ?? []).map(String);
    input = (
      <select
        id={id}
        value={value === undefined ? "" : String(value)}
        onChange={(e) => commit(f, e.target.value)}
        aria-describedby={`${id}-help`}
      >
        <option value="">{f.default !== undefined ? `(default: ${f.default})` : "(not set)"}</option>
        {choices.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    );
  } else
    input = (
      <input
        id={id}
        value={text}
        placeholder={placeholder}
        aria-describedby={`${id}-help`}
        list={f.choices?.length ? `${id}-choices` : undefined}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={() => {
          if (draft !== null && draft !== shown(value)) commit(f, draft);
          setDraft(null);
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter") (e.target as HTMLInputElement).blur();
          if (e.key === "Escape") setDraft(null);
        }}
      />
    );
  return (
    <div className="sc-field" data-testid={id}>
      <label htmlFor={id} title={f.help}>
        {f.key}
        {f.required ? " *" : ""}
      </label>
      {input}
      {f.choices?.length && f.type !== "enum" ? (
        <datalist id={`${id}-choices`}>
          {f.choices.map((c) => (
            <option key={String(c)} value={String(c)} />
          ))}
        </datalist>
      ) : null}
      <small id={`${id}-help`}>{help}</small>
    </div>
  );
}

export function PropertyPanel(props: PropertyPanelProps): JSX.Element {
  const { text, onTextChange, selected, onSelect } = props;
  const [notice, setNotice] = useState<string | null>(null);
  const spec = useMemo(() => {
    try {
      return selected ? (componentsOf(parse(text, { merge: true }))[selected] ?? null) : null;
    } catch {
      return null;
    }
  }, [text, selected]);

  if (!selected || !spec)
    return (
      <div className="sc-props" data-testid="property-panel">
        <p>Select a component on the canvas to see and edit its fields.</p>
      </div>
    );
  const kind = String(spec.kind) as Kind;
  const fields = fieldsFor(kind);

  const edit = (e: Edit) => {
    const r = applyEdit(text, e);
    if (!r.ok) setNotice(r.reason);
    else {
      setNotice(null);
      if (r.text !== text) onTextChange(r.text);
      if (e.op === "rename") onSelect?.(r.name ?? e.to);
    }
  };
  const commit = (f: FieldDescriptor, raw: string) => {
    if (raw.trim() === "") return edit({ op: "unset", name: selected, path: [f.key] });
    let value: unknown;
    try {
      value = valueOf(f, raw);
    } catch (e) {
      setNotice(`${f.key}: ${(e as Error).message}`);
      return;
    }
    edit({ op: "set", name: selected, path: [f.key], value });
  };

  return (
    <div className="sc-props" data-testid="property-panel">
      <h2>
        {selected} <small>({kind})</small>
      </h2>
      <p className="sc-kind-help">{kindHelp(kind)}</p>
      {notice ? (
        <p className="sc-refused" role="alert" data-testid="property-notice">
          {notice}
        </p>
      ) : null}
      <form onSubmit={(e) => e.preventDefault()} aria-label={`Fields of ${selected}`}>
        <NameField
          key={selected}
          name={selected}
          rename={(to) => edit({ op: "rename", from: selected, to })}
        />
        {fields.map((f) => (
          <Field key={`${selected}:${f.key}`} f={f} value={spec[f.key]} commit={commit} />
        ))}
      </form>
    </div>
  );
}
