// Reading an estimate's inputs, written as people write them (`10M` users,
// `10:1`, `2KB`, `5y`, `1k/s`), from command-line flags or a small YAML file
// whose keys are the same names. Errors say which input, what was expected
// and, in a file, where.
import { instancePrice, INSTANCE_TYPES } from "../cost/prices.js";
import { DesignError, type Diagnostic, UnitError } from "../design/errors.js";
import { DesignSource } from "../design/source.js";
import { didYouMean } from "../design/suggest.js";
import { parseCount, parseDuration, parsePercent, parseRate, parseSize } from "../design/units.js";
import { ESTIMATE_DEFAULTS, type EstimateInput } from "./estimate.js";
import type { StarterOptions } from "./emit.js";

type Raw = string | number;

interface Field {
  what: string;
  expected: string;
  parse: (v: Raw) => number | string | [number, number];
}

const DAY_MS = 86_400_000;

/** `10:1`, `100:1`, `1:0` (reads only). */
export function parseRatio(v: Raw): [number, number] {
  const m = /^\s*([0-9.]+)\s*:\s*([0-9.]+)\s*$/.exec(String(v));
  const r = m ? [Number(m[1]), Number(m[2])] : [];
  if (!m || !(r[0] >= 0 && r[1] >= 0 && r[0] + r[1] > 0))
    throw new UnitError(`cannot read "${v}" as a read:write ratio`, "reads:writes such as 10:1 or 100:1");
  return [r[0], r[1]];
}

/** Days: a duration (`30d`, `720h`) or years (`5y`, `1.5 years`, of 365 days). */
export function parseRetentionDays(v: Raw): number {
  const y = /^\s*([0-9.]+)\s*(y|yr|yrs|years?)\s*$/i.exec(String(v));
  if (y) return Number(y[1]) * 365;
  try {
    return parseDuration(v) / DAY_MS;
  } catch (e) {
    const err = e as UnitError;
    throw new UnitError(err.message, "a retention such as 5y, 18 months as 540d, or 30d", err.suggestion);
  }
}

function positiveInt(v: Raw): number {
  const n = parseCount(v);
  if (!Number.isInteger(n) || n < 1)
    throw new UnitError(`"${v}" is not a whole number >= 1`, "a whole number such as 3");
  return n;
}

const number = (v: Raw): number => {
  const n = parseCount(v);
  return n;
};

function instanceType(v: Raw): string {
  const s = String(v);
  if (!instancePrice(s))
    throw new UnitError(
      `unknown instance type "${s}"`,
      "an instance type of the price catalogue, such as m5.large",
      didYouMean(s, Object.keys(INSTANCE_TYPES)),
    );
  return s;
}

export const ESTIMATE_FIELDS: Record<string, Field> = {
  dau: { what: "daily active users", expected: "a count such as 10M", parse: parseCount },
  actionsPerUser: { what: "actions per user per day", expected: "a count such as 20", parse: number },
  readWrite: { what: "read:write ratio", expected: "reads:writes such as 10:1", parse: parseRatio },
  readSize: { what: "bytes a read returns", expected: "a size such as 1KB", parse: parseSize },
  writeSize: { what: "bytes a write stores", expected: "a size such as 500B", parse: parseSize },
  retention: {
    what: "how long data is kept",
    expected: "a retention such as 5y or 30d",
    parse: parseRetentionDays,
  },
  replication: { what: "copies of the data", expected: "a whole number such as 3", parse: positiveInt },
  peakFactor: { what: "peak / average rate", expected: "a number such as 2", parse: number },
  capacity: { what: "requests/s one instance handles", expected: "a rate such as 1k/s", parse: parseRate },
  instanceType: { what: "the service's instance type", expected: "such as m5.large", parse: instanceType },
  concurrency: { what: "workers per instance", expected: "a whole number such as 8", parse: positiveInt },
  targetUtilization: {
    what: "utilisation to size for",
    expected: "a percentage such as 70%",
    parse: parsePercent,
  },
  keys: { what: "keys of the emitted design", expected: "a whole number such as 100k", parse: positiveInt },
  duration: {
    what: "simulated time of the emitted design",
    expected: "a duration such as 60s",
    parse: parseDuration,
  },
};

export interface ParsedEstimate {
  input: EstimateInput;
  starter: StarterOptions;
}

/** Builds the inputs from raw values by name; problems go to `fail` with the name they belong to. */
function build(
  raw: Record<string, Raw | undefined>,
  fail: (name: string, message: string, expected?: string, suggestion?: string) => void,
): ParsedEstimate | null {
  const v: Record<string, number | string | [number, number]> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const f = ESTIMATE_FIELDS[name];
    if (!f) {
      fail(
        name,
        `unknown input "${name}"`,
        `one of ${Object.keys(ESTIMATE_FIELDS).join(", ")}`,
        didYouMean(name, Object.keys(ESTIMATE_FIELDS)),
      );
      continue;
    }
    try {
      v[name] = f.parse(value);
    } catch (e) {
      const err = e as UnitError;
      fail(name, `${f.what}: ${err.message}`, err.expected ?? f.expected, err.suggestion);
    }
  }
  for (const name of ["dau", "actionsPerUser"])
    if (raw[name] === undefined)
      fail(name, `${ESTIMATE_FIELDS[name].what} (${name}) is required`, ESTIMATE_FIELDS[name].expected);
  if (Object.keys(v).length < Object.keys(raw).filter((k) => raw[k] !== undefined).length) return null;
  if (v.dau === undefined || v.actionsPerUser === undefined) return null;
  const [reads, writes] = (v.readWrite as [number, number] | undefined) ?? [
    ESTIMATE_DEFAULTS.reads,
    ESTIMATE_DEFAULTS.writes,
  ];
  const D = ESTIMATE_DEFAULTS;
  return {
    input: {
      dau: v.dau as number,
      actionsPerUser: v.actionsPerUser as number,
      reads,
      writes,
      readSize: (v.readSize as number) ?? D.readSize,
      writeSize: (v.writeSize as number) ?? D.writeSize,
      retentionDays: (v.retention as number) ?? D.retentionDays,
      replication: (v.replication as number) ?? D.replication,
      peakFactor: (v.peakFactor as number) ?? D.peakFactor,
      ...(v.capacity !== undefined && { capacity: v.capacity as number }),
      ...(v.instanceType !== undefined && { instanceType: v.instanceType as string }),
      concurrency: (v.concurrency as number) ?? D.concurrency,
      targetUtilization: (v.targetUtilization as number) ?? D.targetUtilization,
    },
    starter: {
      ...(v.keys !== undefined && { keys: v.keys as number }),
      ...(v.duration !== undefined && { durationMs: v.duration as number }),
    },
  };
}

/** Inputs from flags (and the values of a file, which flags override). Throws UnitError-like messages as one Error. */
export function inputFromValues(raw: Record<string, Raw | undefined>): ParsedEstimate {
  const problems: string[] = [];
  const parsed = build(raw, (name, message, expected, suggestion) =>
    problems.push(
      [message, expected && `  expected: ${expected}`, suggestion && `  did you mean ${suggestion}?`]
        .filter(Boolean)
        .join("\n"),
    ),
  );
  if (!parsed || problems.length) throw new Error(problems.join("\n"));
  return parsed;
}

/** Inputs from a YAML (or JSON) file, overridden by `flags`; problems in the file come with file:line:col. */
export function inputFromFile(
  text: string,
  file: string,
  flags: Record<string, Raw | undefined>,
): ParsedEstimate {
  const src = DesignSource.parse(text, file);
  const data = src.data;
  if (data === null || typeof data !== "object" || Array.isArray(data))
    throw new DesignError([
      src.diagnostic({
        path: [],
        message: "an estimate file is a mapping of inputs",
        expected: "dau: 10M, actionsPerUser: 20, ...",
      }),
    ]);
  const raw: Record<string, Raw | undefined> = {};
  const diagnostics: Diagnostic[] = [];
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (typeof v === "string" || typeof v === "number") raw[k] = v;
    else
      diagnostics.push(
        src.diagnostic({
          path: [k],
          message: `${k} must be a single value`,
          expected: ESTIMATE_FIELDS[k]?.expected,
        }),
      );
  }
  const fromFlags = new Set(Object.keys(flags).filter((k) => flags[k] !== undefined));
  const merged = { ...raw, ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) };
  const flagProblems: string[] = [];
  const parsed = build(merged, (name, message, expected, suggestion) => {
    if (fromFlags.has(name) || !(name in raw))
      flagProblems.push(
        [message, expected && `  expected: ${expected}`, suggestion && `  did you mean ${suggestion}?`]
          .filter(Boolean)
          .join("\n"),
      );
    else
      diagnostics.push(
        src.diagnostic({
          path: [name],
          message,
          expected,
          suggestion,
          atKey: message.startsWith("unknown input"),
        }),
      );
  });
  if (diagnostics.length) throw new DesignError(diagnostics);
  if (flagProblems.length || !parsed) throw new Error(flagProblems.join("\n"));
  return parsed;
}
