// From text to a validated design: parse YAML/JSON keeping positions, apply
// --set overrides, run the schema, then the whole-design checks. Every problem
// becomes a diagnostic with file:line:col, what was expected and a suggestion.
import type { z } from "zod";
import { DesignError, type Diagnostic } from "./errors.js";
import { COMPONENT_KINDS, type Design, DesignSchema } from "./schema.js";
import { DesignSource, parseOverride } from "./source.js";
import { didYouMean } from "./suggest.js";
import { type Problem, validateDesign } from "./validate.js";

export interface LoadedDesign {
  design: Design;
  source: DesignSource;
  file: string;
}

type Path = (string | number)[];
// zod 4 keeps a schema's definition under _zod.def; only the parts walked here are typed
type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
};
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

export function loadDesign(text: string, file: string, overrides: string[] = []): LoadedDesign {
  const source = DesignSource.parse(text, file);
  const diags: Diagnostic[] = [];
  // values that came from --set are blamed on the --set, not on the file
  const overridden: { path: string[]; arg: string }[] = [];
  for (const arg of overrides) {
    try {
      const { path, value } = parseOverride(arg);
      const full = resolveOverridePath(path, source.data);
      source.setPath(full, value);
      overridden.push({ path: full, arg });
    } catch (e) {
      const err = e as Error & { expected?: string; suggestion?: string };
      diags.push({
        file: "--set",
        line: 1,
        col: 1,
        path: [],
        message: `${arg}: ${err.message}`,
        expected: err.expected,
        suggestion: err.suggestion,
      });
    }
  }
  if (diags.length) throw new DesignError(diags);

  const at = (p: Problem): Diagnostic => {
    const o = [...overridden].reverse().find((x) => x.path.every((seg, i) => String(p.path[i]) === seg));
    if (o)
      return {
        file: `--set ${o.arg}`,
        line: 0,
        col: 0,
        path: p.path,
        message: p.message,
        expected: p.expected,
        suggestion: p.suggestion,
        hint: p.hint,
      };
    const pos =
      p.atKey && p.path.length
        ? source.locateKey(p.path.slice(0, -1), String(p.path[p.path.length - 1]))
        : source.locate(p.path);
    return {
      file,
      line: pos.line,
      col: pos.col,
      path: p.path,
      message: p.message,
      expected: p.expected,
      suggestion: p.suggestion,
      hint: p.hint,
    };
  };

  const pre = precheck(source.data);
  if (pre.length) throw new DesignError(pre.map(at));
  const parsed = DesignSchema.safeParse(source.data);
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((i) => describeIssue(i as Issue, [], source.data));
    throw new DesignError(dedupe(problems).map(at).sort(byPosition));
  }
  const problems = validateDesign(parsed.data);
  if (problems.length) throw new DesignError(problems.map(at).sort(byPosition));
  return { design: parsed.data, source, file };
}

/** `api.instances` is short for `components.api.instances`. */
function resolveOverridePath(path: string[], data: unknown): string[] {
  const top = Object.keys(defOf(DesignSchema).shape ?? {});
  if (top.includes(path[0])) return path;
  const comps = (data as { components?: Record<string, unknown> } | null)?.components;
  if (comps && path[0] in comps) return ["components", ...path];
  const suggestion = didYouMean(path[0], [...top, ...Object.keys(comps ?? {})]);
  throw Object.assign(new Error(`"${path[0]}" is neither a top-level field nor a component`), {
    expected: `a path such as components.api.instances or api.instances`,
    suggestion,
  });
}

/** Shape problems that would make the schema's own messages confusing. */
function precheck(data: unknown): Problem[] {
  if (data === null || typeof data !== "object" || Array.isArray(data))
    return [
      {
        path: [],
        message: "a design must be a mapping with duration and components",
        expected: "duration: 60s\ncomponents: { ... }",
      },
    ];
  const comps = (data as Record<string, unknown>).components;
  if (comps === undefined || comps === null || typeof comps !== "object" || Array.isArray(comps)) return [];
  const out: Problem[] = [];
  for (const [name, c] of Object.entries(comps as Record<string, unknown>)) {
    if (c === null || typeof c !== "object" || Array.isArray(c)) {
      out.push({
        path: ["components", name],
        message: `component "${name}" must be a mapping with a kind`,
        expected: `kind: one of ${COMPONENT_KINDS.join(", ")}`,
      });
      continue;
    }
    const kind = (c as Record<string, unknown>).kind;
    if (kind === undefined)
      out.push({
        path: ["components", name],
        message: `component "${name}" has no kind`,
        expected: `kind: one of ${COMPONENT_KINDS.join(", ")}`,
        atKey: true,
      });
    else if (typeof kind !== "string" || !(COMPONENT_KINDS as readonly string[]).includes(kind))
      out.push({
        path: ["components", name, "kind"],
        message: `unknown component kind "${String(kind)}"`,
        expected: `one of ${COMPONENT_KINDS.join(", ")}`,
        suggestion: typeof kind === "string" ? didYouMean(kind, COMPONENT_KINDS) : undefined,
      });
  }
  return out;
}

const FLOW_COMMA_HINT =
  'inside { ... } a comma ends the value: quote it, e.g. readTime: "lognormal(median=3ms, p99=25ms)"';

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
  expected?: string;
  values?: unknown[];
  errors?: Issue[][];
  options?: unknown[];
  discriminator?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  origin?: string;
  params?: { expected?: string; suggestion?: string; hint?: string };
}

function valueAt(data: unknown, path: Path): unknown {
  let v = data;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

function describeIssue(issue: Issue, prefix: Path, data: unknown): Problem[] {
  const path = [...prefix, ...(issue.path as Path)];
  const value = valueAt(data, path);
  const last = path[path.length - 1];
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeys(path, data);
      return (issue.keys ?? []).map((k) => ({
        path: [...path, k],
        atKey: true,
        message: `unknown field "${k}"`,
        expected: known.length ? `one of ${known.join(", ")}` : undefined,
        suggestion: didYouMean(k, known),
        // `{ t: f(a=1, b=2) }` splits at the comma and leaves "b=2)" as a key
        hint: /[=)]/.test(k) ? FLOW_COMMA_HINT : undefined,
      }));
    }
    case "invalid_type":
      if (value === undefined)
        return [
          {
            path,
            message: `missing required field "${String(last)}"`,
            expected: issue.expected,
            atKey: false,
          },
        ];
      return [{ path, message: `expected ${issue.expected}, got ${describe(value)}` }];
    case "invalid_value": {
      const values = (issue.values ?? []).map(String);
      return [
        {
          path,
          message: `"${String(value)}" is not allowed here`,
          expected: `one of ${values.join(", ")}`,
          suggestion: typeof value === "string" ? didYouMean(value, values) : undefined,
        },
      ];
    }
    case "invalid_union": {
      if (issue.discriminator) {
        const options = (issue.options ?? []).map(String);
        return [
          {
            path,
            message:
              value === undefined
                ? `missing "${issue.discriminator}"`
                : `unknown ${issue.discriminator} "${String(value)}"`,
            expected: `one of ${options.join(", ")}`,
            suggestion: typeof value === "string" ? didYouMean(value, options) : undefined,
          },
        ];
      }
      const branches = issue.errors ?? [];
      if (branches.length === 0) return [{ path, message: issue.message }];
      // Report the branch that got furthest: a step written `{ cal: db }` is best
      // explained by the step kinds it could have been.
      const base = path;
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        const keys = Object.keys(value);
        const branchKeys = branches.map((b) => b.find((i) => i.code === "unrecognized_keys"));
        if (branchKeys.every((b) => b)) {
          const vocabulary = unionKeys(path, data);
          return [
            {
              path: keys.length ? [...base, keys[0]] : base,
              atKey: keys.length > 0,
              message: keys.length ? `"${keys[0]}" does not start any form allowed here` : "empty mapping",
              expected: `a mapping with one of: ${vocabulary.join(", ")}`,
              suggestion: keys.length ? didYouMean(keys[0], vocabulary) : undefined,
              // `{ compute: uniform(1ms, 3ms) }` splits at the comma into two keys
              hint: keys.some((k) => /[=)]/.test(k)) ? FLOW_COMMA_HINT : undefined,
            },
          ];
        }
      }
      const best = branches.reduce((a, b) => (score(b) < score(a) ? b : a));
      return best.flatMap((i) => describeIssue(i, base, data));
    }
    case "too_small":
    case "too_big": {
      if (issue.origin === "array" && issue.code === "too_small")
        return [{ path, message: `needs at least ${issue.minimum} item(s)` }];
      if (issue.origin !== "number") return [{ path, message: issue.message }];
      const small = issue.code === "too_small";
      const bound = small ? issue.minimum : issue.maximum;
      const words = small
        ? issue.inclusive === false
          ? "greater than"
          : "at least"
        : issue.inclusive === false
          ? "less than"
          : "at most";
      return [
        {
          path,
          message: `${typeof last === "string" ? last : "the value"} ${String(value)} is too ${small ? "small" : "large"}`,
          expected: `a number ${words} ${String(bound)}`,
        },
      ];
    }
    case "custom":
      if (/missing "\)"/.test(issue.message) && !issue.params?.hint)
        issue.params = { ...issue.params, hint: FLOW_COMMA_HINT };
      return [
        {
          path,
          // refinements carry only a bare rule ("must be greater than zero"): name the field
          message:
            issue.params?.expected || typeof last !== "string" ? issue.message : `${last} ${issue.message}`,
          expected: issue.params?.expected,
          suggestion: issue.params?.suggestion,
          hint: issue.params?.hint,
        },
      ];
    default:
      return [{ path, message: issue.message }];
  }
}

/** Fewer and deeper problems mean a closer match. */
function score(branch: Issue[]): number {
  return branch.length * 10 - Math.max(0, ...branch.map((i) => i.path.length));
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Walks the schema along `path`, choosing union branches by discriminator. */
function schemaAt(path: Path, data: unknown): z.ZodType[] {
  let current: z.ZodType[] = [DesignSchema];
  for (let i = 0; i <= path.length; i++) {
    current = current.flatMap((s) => unwrap(s, valueAt(data, path.slice(0, i))));
    if (i === path.length) break;
    const seg = path[i];
    current = current.flatMap((s) => {
      const d = defOf(s);
      if (d.type === "object")
        return d.shape && typeof seg === "string" && d.shape[seg] ? [d.shape[seg]] : [];
      if (d.type === "record") return d.valueType ? [d.valueType] : [];
      if (d.type === "array") return d.element ? [d.element] : [];
      return [];
    });
  }
  return current;
}

function unwrap(s: z.ZodType, value: unknown): z.ZodType[] {
  const d = defOf(s);
  if (d.innerType) return unwrap(d.innerType, value);
  if (d.type === "pipe" && d.in) return unwrap(d.in, value);
  if (d.type === "union" && d.options) {
    if (d.discriminator && value && typeof value === "object") {
      const tag = (value as Record<string, unknown>)[d.discriminator];
      const match = d.options.filter((o) => {
        const lit = defOf(o).shape?.[d.discriminator!];
        return lit && (defOf(lit) as { values?: unknown[] }).values?.includes(tag);
      });
      if (match.length) return match.flatMap((o) => unwrap(o, value));
    }
    return d.options.flatMap((o) => unwrap(o, value));
  }
  return [s];
}

function knownKeys(path: Path, data: unknown): string[] {
  return [...new Set(schemaAt(path, data).flatMap((s) => Object.keys(defOf(s).shape ?? {})))];
}

function unionKeys(path: Path, data: unknown): string[] {
  // the first key of each alternative is the one that names it (compute, call, read, ...)
  return [
    ...new Set(
      schemaAt(path, data)
        .map((s) => Object.keys(defOf(s).shape ?? {})[0])
        .filter(Boolean),
    ),
  ];
}

function dedupe(ps: Problem[]): Problem[] {
  const seen = new Set<string>();
  return ps.filter((p) => {
    const k = `${p.path.join(".")}|${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.line - b.line || a.col - b.col;
}
