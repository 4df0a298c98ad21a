// A design file as text plus its YAML syntax tree, so that any problem found
// later (by the schema, by cross-reference checks, by a unit parser) can be
// reported at the exact line and column the author wrote it. JSON files are
// read by the same YAML parser (JSON is YAML), which keeps node positions; only
// their syntax errors are restated in JSON terms.
import {
  type Document,
  isAlias,
  isCollection,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  Pair,
  parseDocument,
  Scalar,
  type YAMLError,
  YAMLMap,
  type YAMLSeq,
} from "yaml";
import { DesignError, type Diagnostic, UnitError } from "./errors.js";

export interface Position {
  /** 1-based */
  line: number;
  /** 1-based */
  col: number;
}

export type DesignPath = (string | number)[];

/** A problem found after parsing, to be placed in the file by `DesignSource.diagnostic`. */
export interface Located {
  path: DesignPath;
  message: string;
  expected?: string;
  suggestion?: string;
  hint?: string;
  /** point at the key of the last path element rather than its value (unknown or misplaced fields) */
  atKey?: boolean;
}

/** One step of a walk down the tree: the value node reached and the map key that led there. */
interface Step {
  node: unknown;
  key?: unknown;
}

const MERGE_KEY = "<<";

export class DesignSource {
  private cache: unknown;
  private fresh = false;

  private constructor(
    readonly file: string,
    readonly text: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    /** non-fatal findings, e.g. unknown YAML tags */
    readonly warnings: Diagnostic[],
  ) {}

  /** Parses YAML or JSON; throws DesignError listing every syntax error, duplicate key and dangling alias. */
  static parse(text: string, file: string): DesignSource {
    const lines = new LineCounter();
    const json = /\.json$/i.test(file);
    const doc = parseDocument(text, {
      lineCounter: lines,
      prettyErrors: false,
      // checked below instead, so the message can name both places
      uniqueKeys: false,
      // `<<: *defaults` is how YAML authors share settings; JSON has no such thing
      merge: !json,
    });
    const src = new DesignSource(file, text, doc, lines, []);
    src.warnings.push(...doc.warnings.map((w) => src.fromYamlError(w)));
    if (doc.errors.length > 0) {
      const jsonError = json ? src.jsonSyntaxError() : undefined;
      throw new DesignError(jsonError ? [jsonError] : doc.errors.map((e) => src.fromYamlError(e)));
    }
    const problems: Diagnostic[] = [];
    src.checkTree(doc.contents, [], problems);
    if (problems.length > 0) throw new DesignError(problems);
    void src.data; // fail at parse time, not at first use, on documents that cannot be converted (alias bombs)
    return src;
  }

  /** The design as plain JS values: maps are plain objects, sequences arrays. */
  get data(): unknown {
    if (!this.fresh) {
      try {
        this.cache = this.doc.toJS({ maxAliasCount: 1000 });
      } catch (e) {
        throw new DesignError([
          {
            file: this.file,
            line: 1,
            col: 1,
            path: [],
            message: `cannot read the document: ${(e as Error).message}`,
          },
        ]);
      }
      this.fresh = true;
    }
    return this.cache;
  }

  /**
   * Where the value at `path` is written. If the path does not exist, where
   * its deepest existing ancestor is introduced (its key, when it has one), so
   * "missing field" errors point at the map that lacks the field.
   */
  locate(path: DesignPath): Position {
    const { found, trail } = this.walk(path);
    return this.positionOf(trail, !found);
  }

  /** Where the key `key` of the map at `path` is written (for "unknown field" errors). */
  locateKey(path: DesignPath, key: string | number): Position {
    const { found, trail } = this.walk(path);
    if (found) {
      const map = this.deref(trail[trail.length - 1].node);
      const pair = isMap(map) ? this.findPair(map, key) : undefined;
      const at = pair && this.rangeStart(pair.key);
      if (at !== undefined) return this.pos(at);
    }
    return this.locate([...path, key]);
  }

  /** A Diagnostic for a problem found in `data`, placed at its source position. */
  diagnostic(p: Located): Diagnostic {
    const last = p.path[p.path.length - 1];
    const { line, col } =
      p.atKey && p.path.length > 0 ? this.locateKey(p.path.slice(0, -1), last) : this.locate(p.path);
    const d: Diagnostic = { file: this.file, line, col, path: p.path, message: p.message };
    if (p.expected !== undefined) d.expected = p.expected;
    if (p.suggestion !== undefined) d.suggestion = p.suggestion;
    if (p.hint !== undefined) d.hint = p.hint;
    return d;
  }

  /**
   * Sets the value at `path` (a `--set a.b.c=value` override), creating maps
   * for missing intermediate keys. Nodes not on the path keep their source
   * positions. An aliased or merged (`<<`) node on the path is copied first, so
   * the override changes only this place, not every user of the anchor.
   */
  setPath(path: string[], value: unknown): void {
    const where = path.join(".");
    if (path.length === 0) throw new UnitError("an override needs a path", OVERRIDE_EXPECTED);
    const root = this.doc.contents;
    if (!isCollection(root)) {
      if (root !== null && !(isScalar(root) && root.value === null)) {
        throw new UnitError(
          `cannot set ${where}: the document is not a map`,
          "a design file that is a map of settings",
        );
      }
      this.doc.contents = new YAMLMap() as typeof this.doc.contents;
    }
    let parent = this.doc.contents as YAMLMap | YAMLSeq;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      const here = path.slice(0, i + 1).join(".");
      let child: unknown;
      let put: (n: unknown) => void;
      if (isMap(parent)) {
        const map = parent;
        const own = map.items.find((p) => keyName(p.key) === seg);
        if (own) {
          child = own.value;
          put = (n) => {
            own.value = n;
          };
        } else {
          const merged = this.findPair(map, seg);
          child = merged ? this.copy(merged.value) : undefined;
          const pair = new Pair(new Scalar(seg), child);
          map.items.push(pair);
          put = (n) => {
            pair.value = n;
          };
        }
      } else {
        const seq = parent;
        const idx = /^\d+$/.test(seg) ? Number(seg) : -1;
        if (idx < 0 || idx > seq.items.length) {
          throw new UnitError(
            `cannot set ${where}: ${path.slice(0, i).join(".") || "the document"} is a list, and "${seg}" is not one of its positions`,
            `an index from 0 to ${seq.items.length} (${seq.items.length} appends)`,
          );
        }
        child = seq.items[idx];
        put = (n) => {
          seq.items[idx] = n;
        };
      }
      if (last) {
        put(this.doc.createNode(value));
        break;
      }
      if (isAlias(child)) {
        child = this.copy(child);
        put(child);
      }
      if (child === undefined || child === null || (isScalar(child) && child.value === null)) {
        child = new YAMLMap();
        put(child);
      }
      if (!isMap(child) && !isSeq(child)) {
        const shown = isScalar(child) ? JSON.stringify(child.value) : "a value";
        throw new UnitError(`cannot set ${where}: ${here} is ${shown}, not a map`, OVERRIDE_EXPECTED);
      }
      parent = child;
    }
    this.fresh = false;
  }

  /** The (possibly overridden) document as YAML, comments kept. */
  toString(): string {
    return this.doc.toString();
  }

  // ---------------------------------------------------------------- internals

  private pos(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    // a byte-order mark is not a column anyone can see
    return { line, col: line === 1 && this.text.charCodeAt(0) === 0xfeff ? Math.max(1, col - 1) : col };
  }

  private rangeStart(n: unknown): number | undefined {
    return isNode(n) && n.range ? n.range[0] : undefined;
  }

  private positionOf(trail: Step[], preferKey: boolean): Position {
    for (let i = trail.length - 1; i >= 0; i--) {
      const { node, key } = trail[i];
      const keyAt = this.rangeStart(key);
      const nodeAt = this.isEmptyValue(node) ? undefined : this.rangeStart(node);
      const at = preferKey ? (keyAt ?? nodeAt) : (nodeAt ?? keyAt);
      if (at !== undefined) return this.pos(at);
      preferKey = true; // falling back to an ancestor: point where it is introduced
    }
    return { line: 1, col: 1 };
  }

  /** `a:` with nothing after it holds an empty null scalar positioned at the end of the line: point at `a` instead. */
  private isEmptyValue(n: unknown): boolean {
    return isScalar(n) && n.value === null && !!n.range && n.range[0] === n.range[1];
  }

  private deref(n: unknown): unknown {
    return isAlias(n) ? n.resolve(this.doc) : n;
  }

  private copy(n: unknown): unknown {
    const target = this.deref(n);
    if (!isNode(target)) return target;
    const clone = target.clone();
    if (isScalar(clone) || isCollection(clone)) clone.anchor = undefined;
    return clone;
  }

  /** The pair for `key` in a map, looking through `<<` merges the way YAML does: own keys win, then earlier merges. */
  private findPair(map: YAMLMap, key: string | number, depth = 0): Pair | undefined {
    const name = String(key);
    const own = map.items.find((p) => keyName(p.key) === name);
    if (own || depth > 20) return own;
    for (const p of map.items) {
      if (keyName(p.key) !== MERGE_KEY || !isScalar(p.key) || typeof p.key.value !== "symbol") continue;
      const v = this.deref(p.value);
      const sources = isSeq(v) ? v.items.map((x) => this.deref(x)) : [v];
      for (const s of sources) {
        const hit = isMap(s) ? this.findPair(s, key, depth + 1) : undefined;
        if (hit) return hit;
      }
    }
    return undefined;
  }

  private walk(path: DesignPath): { found: boolean; trail: Step[] } {
    const trail: Step[] = [{ node: this.doc.contents }];
    let node: unknown = this.doc.contents;
    for (const seg of path) {
      const target = this.deref(node);
      let step: Step | undefined;
      if (isMap(target)) {
        const pair = this.findPair(target, seg);
        if (pair) step = { node: pair.value, key: pair.key };
      } else if (isSeq(target)) {
        const idx = typeof seg === "number" ? seg : /^\d+$/.test(seg) ? Number(seg) : -1;
        if (idx >= 0 && idx < target.items.length) step = { node: target.items[idx] };
      }
      if (!step) return { found: false, trail };
      trail.push(step);
      node = step.node;
    }
    return { found: true, trail };
  }

  private fromYamlError(e: YAMLError): Diagnostic {
    const { line, col } = this.pos(e.pos[0]);
    const d: Diagnostic = { file: this.file, line, col, path: [], message: e.message.split("\n")[0] };
    switch (e.code) {
      case "MULTIPLE_DOCS":
        d.message = "a second YAML document starts here, but a design file holds exactly one";
        d.hint = "remove the --- line, or split the designs into separate files";
        break;
      case "TAB_AS_INDENT":
        d.message = "a tab is used for indentation; YAML indents with spaces only";
        break;
      case "TAG_RESOLVE_FAILED":
        d.hint = "design files need no YAML tags; remove it";
        break;
    }
    return d;
  }

  /** JSON.parse's own message for a broken .json file, which speaks JSON rather than YAML. */
  private jsonSyntaxError(): Diagnostic | undefined {
    const bom = this.text.charCodeAt(0) === 0xfeff ? 1 : 0;
    try {
      JSON.parse(this.text.slice(bom));
      return undefined;
    } catch (e) {
      const raw = (e as Error).message;
      const m = /at position (\d+)/.exec(raw);
      const offset = m ? Number(m[1]) + bom : this.text.trimEnd().length;
      const message = raw
        .replace(/\s*in JSON at position \d+.*$/, "")
        .replace(/ \(line \d+ column \d+\)$/, "");
      const { line, col } = this.pos(Math.min(offset, Math.max(0, this.text.length - 1)));
      return { file: this.file, line, col, path: [], message: `invalid JSON: ${message}` };
    }
  }

  /** Duplicate keys, keys that are not names, and aliases to missing anchors. */
  private checkTree(node: unknown, path: DesignPath, out: Diagnostic[]): void {
    const at = (n: unknown, message: string, hint?: string) => {
      const p = this.pos(this.rangeStart(n) ?? 0);
      out.push({ file: this.file, ...p, path, message, ...(hint ? { hint } : {}) });
    };
    if (isAlias(node)) {
      if (!node.resolve(this.doc))
        at(node, `*${node.source} refers to no anchor`, `define &${node.source} before it`);
      return;
    }
    if (isMap(node)) {
      const seen = new Map<string, unknown>();
      for (const pair of node.items) {
        const k = pair.key;
        if (!isScalar(k)) {
          at(k, "a key must be a plain name, not a list or map");
          continue;
        }
        const name = keyName(k);
        const first = seen.get(name);
        if (first !== undefined && name !== MERGE_KEY) {
          const p = this.pos(this.rangeStart(first) ?? 0);
          const shown = name === "" ? "(empty)" : `"${name}"`;
          at(
            k,
            `duplicate key ${shown}: it is already defined at line ${p.line}, column ${p.col}`,
            "YAML would keep only one of them; remove or rename one",
          );
        } else seen.set(name, k);
        this.checkTree(pair.value, [...path, name], out);
      }
    } else if (isSeq(node)) {
      for (let i = 0; i < node.items.length; i++) this.checkTree(node.items[i], [...path, i], out);
    }
  }
}

/** A map key as it appears in `data` (toJS turns every key into a string, null into ""). */
function keyName(k: unknown): string {
  if (!isScalar(k)) return String(k);
  if (typeof k.value === "symbol") return MERGE_KEY;
  return k.value === null || k.value === undefined ? "" : String(k.value);
}

export const OVERRIDE_EXPECTED =
  'path=value, e.g. components.api.instances=4 or components."my.svc".timeout=2s';
const OVERRIDE_VALUE_EXPECTED = 'a YAML value such as 8, true, 250ms, "some text" or [a, b]';

/**
 * Reads a `--set` argument: a dotted path (segments containing dots or `=`
 * can be quoted) and a value read as YAML, so `8` is a number, `true` a
 * boolean, `[a, b]` a list and `250ms` stays a string for the unit parsers.
 */
export function parseOverride(arg: string): { path: string[]; value: unknown } {
  const fail = (what: string, suggestion?: string): never => {
    throw new UnitError(`cannot read override "${arg}": ${what}`, OVERRIDE_EXPECTED, suggestion);
  };
  const path: string[] = [];
  let i = 0;
  const ws = () => {
    while (i < arg.length && /\s/.test(arg[i])) i++;
  };
  for (;;) {
    ws();
    const q = arg[i];
    let seg: string;
    if (q === '"' || q === "'") {
      seg = "";
      i++;
      while (i < arg.length && arg[i] !== q) {
        if (q === '"' && arg[i] === "\\" && i + 1 < arg.length) i++;
        seg += arg[i++];
      }
      if (i >= arg.length) fail(`unterminated ${q} in the path`);
      i++;
      ws();
    } else {
      const start = i;
      while (i < arg.length && arg[i] !== "." && arg[i] !== "=") i++;
      seg = arg.slice(start, i).trim();
      if (seg === "") {
        fail(
          i >= arg.length || arg[i] === "="
            ? path.length
              ? "the path ends with a dot"
              : "the path is empty"
            : "empty name between dots",
        );
      }
    }
    path.push(seg);
    if (arg[i] === ".") {
      i++;
      continue;
    }
    if (arg[i] === "=") {
      i++;
      break;
    }
    if (i >= arg.length) fail('no "=" between the path and the value');
    fail(`unexpected "${arg[i]}" after ${JSON.stringify(seg)} in the path`);
  }
  const text = arg.slice(i).trim();
  if (text === "") fail('no value after "="', `${arg}""`);
  return { path, value: overrideValue(text, arg, arg.slice(0, i)) };
}

function overrideValue(text: string, arg: string, pathPart: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false });
  const asString = `${pathPart}"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  if (doc.errors.length > 0) {
    throw new UnitError(
      `cannot read the value in "${arg}": ${doc.errors[0].message.split("\n")[0]}`,
      OVERRIDE_VALUE_EXPECTED,
      asString,
    );
  }
  const c = doc.contents;
  // `a=x: y` or `a=#fff` were not meant as a YAML block map or a comment: keep the text as written
  const blockCollection = isCollection(c) && !c.flow;
  const commented = doc.comment || doc.commentBefore || (isNode(c) && (c.comment || c.commentBefore));
  if (blockCollection || commented) return text;
  if (isAlias(c)) {
    throw new UnitError(
      `cannot read the value in "${arg}": an alias has no anchor to refer to here`,
      OVERRIDE_VALUE_EXPECTED,
      asString,
    );
  }
  return doc.toJS();
}
