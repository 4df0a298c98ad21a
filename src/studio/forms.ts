// The property panel's forms, read off the zod schema so that they cannot
// drift from it: a descriptor per field with its type, unit, choices, default
// and help text (the field's description).
import type { z } from "zod";
import {
  Bandwidth,
  ComponentSchema,
  Count,
  Duration,
  DurationDist,
  Percent,
  Rate,
  Size,
  SizeDist,
} from "../design/schema.js";
import { EDGE_FIELDS, type Kind } from "./references.js";

export type FieldType =
  "text" | "number" | "boolean" | "enum" | "unit" | "object" | "list" | "map" | "choice" | "any";

export type Unit =
  | "duration"
  | "rate"
  | "size"
  | "bandwidth"
  | "count"
  | "percent"
  | "time-distribution"
  | "size-distribution";

export interface FieldDescriptor {
  key: string;
  /** path below the component, e.g. ["healthCheck", "interval"] */
  path: string[];
  type: FieldType;
  /** for unit fields: what the text means (written 250ms, 10k/s, 64MiB ...) */
  unit?: Unit;
  /** for enum fields, and the literal values a unit field also takes (queue: unbounded) */
  choices?: (string | number | boolean)[];
  /** the default, as the description states it */
  default?: string;
  /** the description: the field's help text */
  help: string;
  required: boolean;
  examples?: unknown[];
  /** object fields */
  fields?: FieldDescriptor[];
  /** list items and map values */
  item?: FieldDescriptor;
  /** alternatives of a field written in several forms (a number or a mapping ...) */
  options?: FieldDescriptor[];
  /** the kinds of component it names, when it names one */
  references?: readonly Kind[];
}

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  entries?: Record<string, string | number>;
  values?: unknown[];
  defaultValue?: unknown;
};
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

interface Meta {
  description?: string;
  examples?: unknown[];
}
// zod keeps .meta() in its global registry; read it without importing zod's runtime here twice
const metaOf = (s: z.ZodType): Meta | undefined => (s as unknown as { meta(): Meta | undefined }).meta();

const UNITS: [Unit, z.ZodType][] = [
  ["duration", Duration],
  ["rate", Rate],
  ["size", Size],
  ["bandwidth", Bandwidth],
  ["count", Count],
  ["percent", Percent],
  ["time-distribution", DurationDist],
  ["size-distribution", SizeDist],
];
const SIZE_EXAMPLES = ["1KiB", "lognormal(median=4KiB, p99=64KiB)"];
const UNIT_BY_DESCRIPTION = new Map(UNITS.map(([u, s]) => [metaOf(s)?.description, u]));

/** "(default 10s)", "default lru", "default: none" -> the default's text. */
export function defaultIn(description: string): string | undefined {
  const m = /\bdefault:?\s+([^;)]+?)(?:[;)]|,\s|$)/.exec(description);
  return m ? m[1].trim() : undefined;
}

function unitOf(s: z.ZodType): Unit | undefined {
  let cur: z.ZodType | undefined = s;
  while (cur) {
    const u = UNIT_BY_DESCRIPTION.get(metaOf(cur)?.description);
    if (u) return u;
    const d = defOf(cur);
    cur = d.innerType ?? (d.type === "pipe" ? d.in : undefined);
  }
  return undefined;
}

function describe(
  s: z.ZodType,
  key: string,
  path: string[],
  help: string,
  required: boolean,
): FieldDescriptor {
  const d = defOf(s);
  const meta = metaOf(s);
  // the field's own description wins over its type's (a duration's "a duration such as 250ms")
  const text = help || meta?.description || "";
  if (d.type === "optional" || d.type === "default" || d.type === "nullable")
    return describe(d.innerType!, key, path, text, false);
  const base = { key, path, help: text, required, ...(meta?.examples ? { examples: meta.examples } : {}) };
  const unitText = (u: Unit) => metaOf(UNITS.find(([x]) => x === u)![1]);
  const withDefault = (f: FieldDescriptor): FieldDescriptor => {
    const def = defaultIn(f.help);
    return def !== undefined ? { ...f, default: def } : f;
  };
  const unit = unitOf(s);
  if (unit) {
    // the schema's distributions share their examples, which are times; a size's must be sizes
    const examples =
      unit === "size-distribution" ? SIZE_EXAMPLES : (base.examples ?? unitText(unit)?.examples);
    return withDefault({ ...base, examples, type: "unit", unit });
  }
  switch (d.type) {
    case "string":
      return withDefault({ ...base, type: "text" });
    case "number":
      return withDefault({ ...base, type: "number" });
    case "boolean":
      return withDefault({ ...base, type: "boolean" });
    case "enum":
      return withDefault({ ...base, type: "enum", choices: Object.values(d.entries ?? {}) });
    case "literal":
      return withDefault({
        ...base,
        type: "enum",
        choices: (d.values ?? []) as (string | number | boolean)[],
      });
    case "pipe":
      return describe(d.in!, key, path, text, required);
    case "object":
      return withDefault({
        ...base,
        type: "object",
        fields: Object.entries(d.shape ?? {}).map(([k, v]) => {
          const f = describe(v, k, [...path, k], "", !isOptional(v));
          return f;
        }),
      });
    case "array":
      return withDefault({
        ...base,
        type: "list",
        item: describe(d.element!, "[]", [...path, "[]"], "", true),
      });
    case "record":
      return withDefault({
        ...base,
        type: "map",
        item: describe(d.valueType!, "<*>", [...path, "<*>"], "", true),
      });
    case "union": {
      const options = (d.options ?? []).map((o) => describe(o, key, path, "", true));
      // a unit that also takes a few literal values: queue is a count, 0 or unbounded
      const literal = options.filter((o) => o.type === "enum");
      const rest = options.filter((o) => o.type !== "enum");
      if (rest.length === 0)
        return withDefault({ ...base, type: "enum", choices: literal.flatMap((o) => o.choices ?? []) });
      if (rest.length === 1 && (rest[0].type === "unit" || rest[0].type === "number"))
        return withDefault({ ...rest[0], ...base, choices: literal.flatMap((o) => o.choices ?? []) });
      return withDefault({ ...base, type: "choice", options });
    }
    default:
      return withDefault({ ...base, type: "any" });
  }
}

function isOptional(s: z.ZodType): boolean {
  const t = defOf(s).type;
  return t === "optional" || t === "default";
}

function schemaOf(kind: Kind): z.ZodType | undefined {
  return defOf(ComponentSchema).options?.find((o) => {
    const lit = defOf(o).shape?.kind;
    return lit !== undefined && (defOf(lit).values ?? []).includes(kind);
  });
}

/** The form of a component kind: one descriptor per field, kind excluded, in the schema's order. */
export function fieldsFor(kind: Kind): FieldDescriptor[] {
  const schema = schemaOf(kind);
  if (!schema) return [];
  const fields = describe(schema, kind, [], "", true).fields ?? [];
  const refs = EDGE_FIELDS.filter((f) => f.path.startsWith(`components.<${kind}>.`) && !f.key);
  return fields
    .filter((f) => f.key !== "kind")
    .map((f) => {
      const ref = refs.find((r) => r.path === `components.<${kind}>.${f.key}`);
      return ref ? { ...f, references: ref.kinds } : f;
    });
}

/** The kind's one-line description (its `kind` field's help). */
export function kindHelp(kind: Kind): string {
  const schema = schemaOf(kind);
  const lit = schema ? defOf(schema).shape?.kind : undefined;
  return (lit && metaOf(lit)?.description) ?? "";
}
