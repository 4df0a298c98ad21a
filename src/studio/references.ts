// Every place a design names a component, in one table: the canvas draws its
// edges from it, renames and deletes follow it, and a test walks the design's
// JSON Schema so that a new field naming a component cannot be left out.
// The table works on the raw parsed YAML (not the validated design), because
// the canvas must show a design while it is still being written.
import { COMPONENT_KINDS } from "../design/schema.js";

export type Kind = (typeof COMPONENT_KINDS)[number];

/** A field whose value (or key) is a component's name. */
export interface ReferenceField {
  /**
   * Where it is written, in the docs' path notation: `<kind>` is a component of
   * that kind, `<*>` any key of a mapping, `[]` each item of a list.
   */
  path: string;
  /** the edge's label on the canvas */
  role: string;
  /** the kinds it may name (as the validation checks them) */
  kinds: readonly Kind[];
  /** the mapping's key is the name (calls.<dependency>, layout.<component>), not its value */
  key?: boolean;
  /** messages flow from the named component to the one writing the field (a consumer's topic) */
  reverse?: boolean;
  /** values that are keywords, not names (a gateway's store: local) */
  keywords?: readonly string[];
  /** the design cannot do without it: deleting the named component is refused, not unlinked */
  required?: boolean;
}

const CALLEES = ["service", "load-balancer", "gateway", "block-store"] as const;
const STORES = ["database", "quorum-store", "multi-leader"] as const;

/** The reference fields of a route's (or a consumer's) steps, below `prefix` (the step). */
function stepFields(prefix: string, saga: boolean): ReferenceField[] {
  const out: ReferenceField[] = [
    { path: `${prefix}.call`, role: "call", kinds: CALLEES },
    { path: `${prefix}.read`, role: "read", kinds: STORES },
    { path: `${prefix}.cache`, role: "cache", kinds: ["cache"] },
    { path: `${prefix}.transaction`, role: "transaction", kinds: ["database"] },
    { path: `${prefix}.update`, role: "update", kinds: ["database"] },
    { path: `${prefix}.write`, role: "write", kinds: STORES },
    { path: `${prefix}.outbox`, role: "outbox", kinds: ["topic"] },
    { path: `${prefix}.publish`, role: "publish", kinds: ["topic", "queue", "exchange"] },
    { path: `${prefix}.request`, role: "request", kinds: ["queue"] },
    { path: `${prefix}.notify`, role: "notify", kinds: ["realtime"] },
    {
      path: `${prefix}.preferences.deferTo`,
      role: "defer",
      kinds: ["topic", "queue", "exchange"],
      required: true,
    },
  ];
  if (saga)
    out.push(
      { path: `${prefix}.saga[].call`, role: "saga", kinds: CALLEES },
      { path: `${prefix}.mint.store`, role: "mint", kinds: ["database"], required: true },
    );
  return out;
}

/** Component references inside components: each becomes an edge of the canvas. */
export const EDGE_FIELDS: readonly ReferenceField[] = [
  {
    path: "components.<workload>.target",
    role: "target",
    kinds: ["dns", "load-balancer", "service", "cdn", "gateway"],
    required: true,
  },
  { path: "components.<load-balancer>.backend", role: "backend", kinds: ["service", "gateway"] },
  { path: "components.<load-balancer>.rules[].backend", role: "rule", kinds: ["service", "gateway"] },
  {
    path: "components.<dns>.endpoints[].target",
    role: "endpoint",
    kinds: ["load-balancer", "service", "cdn"],
  },
  ...stepFields("components.<service>.routes.<*>[]", true),
  { path: "components.<service>.sessionStore", role: "sessions", kinds: ["cache", "database"] },
  {
    path: "components.<service>.calls.<*>",
    role: "policy",
    kinds: [...CALLEES, ...STORES, "cache", "topic", "queue"],
    key: true,
  },
  {
    path: "components.<gateway>.routes.<*>",
    role: "route",
    kinds: ["service", "load-balancer"],
    required: true,
  },
  { path: "components.<gateway>.routes.<*>[]", role: "route", kinds: ["service", "load-balancer"] },
  { path: "components.<gateway>.store", role: "store", kinds: ["limiter-store"], keywords: ["local"] },
  { path: "components.<gateway>.calls.<*>", role: "policy", kinds: ["service", "load-balancer"], key: true },
  { path: "components.<queue>.deadLetter", role: "dead letters", kinds: ["queue"] },
  { path: "components.<exchange>.bindings[].queue", role: "binding", kinds: ["queue"], required: true },
  { path: "components.<exchange>.alternateExchange", role: "alternate", kinds: ["exchange"] },
  { path: "components.<consumer>.topic", role: "consume", kinds: ["topic"], reverse: true },
  { path: "components.<consumer>.queue", role: "consume", kinds: ["queue"], reverse: true },
  ...stepFields("components.<consumer>.steps[]", false),
  {
    path: "components.<consumer>.calls.<*>",
    role: "policy",
    kinds: [...CALLEES, ...STORES, "cache", "topic", "queue"],
    key: true,
  },
  { path: "components.<cdn>.origin", role: "origin", kinds: ["load-balancer", "service"], required: true },
  { path: "components.<database>.sharding.directory", role: "directory", kinds: ["service"] },
  { path: "components.<relay>.from", role: "relay", kinds: ["database"], reverse: true, required: true },
  { path: "components.<relay>.to", role: "relay", kinds: ["topic"], required: true },
];

const ANY_KIND: readonly Kind[] = COMPONENT_KINDS;

/** References outside components (scheduled faults, canvas positions): renamed and deleted with it, not drawn. */
export const OTHER_FIELDS: readonly ReferenceField[] = [
  { path: "faults[].kill", role: "fault", kinds: ANY_KIND },
  { path: "faults[].slow", role: "fault", kinds: ANY_KIND },
  { path: "faults[].link.from", role: "fault", kinds: ANY_KIND },
  { path: "faults[].link.to", role: "fault", kinds: ANY_KIND },
  { path: "layout.<*>", role: "layout", kinds: ANY_KIND, key: true },
];

export const REFERENCE_FIELDS: readonly ReferenceField[] = [...EDGE_FIELDS, ...OTHER_FIELDS];

/** One place where a component is named. */
export interface Reference {
  field: ReferenceField;
  /** the component writing it (undefined outside components) */
  owner: string | undefined;
  /** the component named */
  name: string;
  /** where the name is written: the value's path, or the key's mapping path plus the key */
  path: (string | number)[];
}

type Data = Record<string, unknown>;
const isMap = (v: unknown): v is Data => v !== null && typeof v === "object" && !Array.isArray(v);

/** Splits `a.<b>.c[].d` into ["a", "<b>", "c", "[]", "d"]. */
export function segments(path: string): string[] {
  return path
    .replace(/\[\]/g, ".[]")
    .split(".")
    .filter((s) => s.length > 0);
}

/** Every reference a (possibly invalid) design makes, in the order of REFERENCE_FIELDS. */
export function referencesOf(
  data: unknown,
  fields: readonly ReferenceField[] = REFERENCE_FIELDS,
): Reference[] {
  const out: Reference[] = [];
  for (const field of fields) {
    const segs = segments(field.path);
    const walk = (v: unknown, i: number, path: (string | number)[], owner: string | undefined): void => {
      if (i === segs.length) {
        if (typeof v === "string" && !field.keywords?.includes(v)) out.push({ field, owner, name: v, path });
        return;
      }
      const seg = segs[i];
      const last = i === segs.length - 1;
      if (seg === "[]") {
        if (Array.isArray(v)) v.forEach((item, j) => walk(item, i + 1, [...path, j], owner));
        return;
      }
      if (!isMap(v)) return;
      if (seg === "<*>") {
        for (const [k, item] of Object.entries(v))
          if (last && field.key) out.push({ field, owner, name: k, path: [...path, k] });
          else walk(item, i + 1, [...path, k], owner);
        return;
      }
      if (seg.startsWith("<")) {
        const kind = seg.slice(1, -1);
        for (const [k, item] of Object.entries(v))
          if (isMap(item) && item.kind === kind) walk(item, i + 1, [...path, k], k);
        return;
      }
      if (seg in v) walk(v[seg], i + 1, [...path, seg], owner);
    };
    walk(data, 0, [], undefined);
  }
  return out;
}
