// The design's YAML as a document the canvas edits in place: comments, key
// order, flow or block style and the way numbers were written survive, so an
// edit on the canvas changes only what it must in the text the user wrote.
import { type Document, isMap, isScalar, isSeq, parseDocument, type Scalar, type Tags, YAMLMap } from "yaml";

/** Numbers print as written (1e9 stays 1e9) unless the canvas changed them. */
const keepNumbers = (tags: Tags): Tags =>
  tags.map((t) => {
    if (typeof t !== "object" || !t.stringify || !/:(float|int)$/.test(t.tag)) return t;
    const stringify = t.stringify.bind(t);
    return {
      ...t,
      stringify(node, ctx, onComment, onChompKeep) {
        const s = node as Scalar;
        if (typeof s.value === "number" && typeof s.source === "string" && Number(s.source) === s.value)
          return s.source;
        return stringify(node, ctx, onComment, onChompKeep);
      },
    };
  });

export function parseDoc(text: string): Document.Parsed {
  return parseDocument(text, { merge: true, uniqueKeys: false, customTags: keepNumbers });
}

/** The document as text, in the house style: `{ a: 1 }` for mappings, `[a, b]` for lists. */
export function printDoc(doc: Document): string {
  const padded = doc.toString({ lineWidth: 0, flowCollectionPadding: true });
  const tight = padded.replace(/\[ /g, "[").replace(/ \]/g, "]");
  if (tight === padded) return padded;
  // a bracket inside text would be changed too: keep the tightened text only if it means the same
  try {
    if (sameData(parseDocument(tight).toJS(), parseDocument(padded).toJS())) return tight;
  } catch {
    // fall through
  }
  return padded;
}

/** Sets a scalar in place (keeping its comments and quoting) or creates the value. */
export function setValue(doc: Document, path: (string | number)[], value: unknown): void {
  const node = doc.getIn(path, true);
  if (isScalar(node) && (value === null || typeof value !== "object")) {
    node.value = value;
    delete node.source;
    return;
  }
  const created = doc.createNode(value);
  flowInner(created, 0);
  doc.setIn(path, created);
}

/** Nested collections of a new value are written in flow style: `arrival: { process: poisson, rate: 100/s }`. */
export function flowInner(node: unknown, depth: number): void {
  if (isMap(node) || isSeq(node)) {
    if (depth >= 1) node.flow = true;
    for (const item of node.items) {
      const v = isMap(node) ? (item as { value: unknown }).value : item;
      flowInner(v, depth + 1);
    }
  }
}

/** Renames a key of the mapping at `path`, keeping its position and comments. */
export function renameKey(doc: Document, path: (string | number)[], from: string, to: string): boolean {
  const map = path.length ? doc.getIn(path, true) : doc.contents;
  if (!isMap(map)) return false;
  for (const pair of map.items) {
    const k = pair.key;
    if (isScalar(k) ? k.value === from : k === from) {
      if (isScalar(k)) {
        k.value = to;
        delete k.source;
      } else pair.key = doc.createNode(to);
      return true;
    }
  }
  return false;
}

/** The mapping at `path`, created (block style) when missing. */
export function mapAt(doc: Document, path: (string | number)[]): YAMLMap {
  const node = doc.getIn(path, true);
  if (isMap(node)) return node;
  const map = new YAMLMap();
  doc.setIn(path, map);
  return map;
}

/** Deep equality of plain parsed data (browser-safe: no node:util). */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null)
    return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) => k in b && sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
