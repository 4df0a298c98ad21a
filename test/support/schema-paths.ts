// Paths of a JSON Schema in the docs' notation (test/docs.test.ts): `<kind>` for
// a component of that kind, `<*>` for a key of a free-form mapping, `[]` for
// each item of a list. Used by the studio model's tests to find every field
// that could name a component.
export interface SchemaNode {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  $ref?: string;
  $defs?: Record<string, SchemaNode>;
}

export interface SchemaPath {
  path: string;
  node: SchemaNode;
  /** the path is a mapping whose keys are free (a record): `<path>.<*>` names its keys */
  record: boolean;
}

/** Every path of the schema, each with the schema node found there (one per alternative). */
export function schemaPaths(root: SchemaNode): SchemaPath[] {
  const out: SchemaPath[] = [];
  const resolve = (n: SchemaNode): SchemaNode => {
    if (!n.$ref) return n;
    const name = n.$ref.replace(/^#\/\$defs\//, "");
    return resolve(root.$defs?.[name] ?? {});
  };
  const seen = new Set<SchemaNode>();
  const walk = (raw: SchemaNode, path: string): void => {
    const n = resolve(raw);
    if (seen.has(n) && path.length > 400) return;
    const options = n.anyOf ?? n.oneOf ?? [];
    for (const o of options) walk(o, path);
    const isRecord =
      n.properties === undefined &&
      typeof n.additionalProperties === "object" &&
      n.additionalProperties !== null;
    out.push({ path, node: n, record: isRecord });
    if (n.properties) {
      const kind = n.properties.kind?.const;
      for (const [k, v] of Object.entries(n.properties)) walk(v, path ? `${path}.${k}` : k);
      void kind;
    }
    if (n.items) walk(n.items, `${path}[]`);
    if (isRecord) {
      const value = resolve(n.additionalProperties as SchemaNode);
      const alts = value.anyOf ?? value.oneOf ?? [];
      const kinds = alts.map((a) => resolve(a).properties?.kind?.const);
      if (alts.length > 1 && kinds.every((k) => typeof k === "string"))
        alts.forEach((a, i) => walk(a, `${path}.<${String(kinds[i])}>`));
      else walk(value, `${path}.<*>`);
    }
  };
  walk(root, "");
  return out;
}

/** A plain text value (not an enum, constant or unit written as a string or a number). */
export function isText(n: SchemaNode): boolean {
  return n.type === "string" && n.const === undefined && n.enum === undefined;
}
