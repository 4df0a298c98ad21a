// The values of a sweep parameter, from `--set path=spec`:
//   2..16          every integer from 2 to 16
//   0.1..0.5:0.1   from 0.1 to 0.5 in steps of 0.1 (the end is included when a step lands on it)
//   1k/s..8k/s:x2  geometric: 1k/s, 2k/s, 4k/s, 8k/s
//   1e4,200/s,5k/s a list, each value written as in a design file (units allowed)
// Range ends and steps may carry a unit suffix, the same on all of them. The
// values stay strings: the design's own parser reads units and the schema
// judges them, exactly as for `archsim run --set`.

export class SweepSpecError extends Error {
  constructor(
    message: string,
    readonly expected?: string,
    readonly suggestion?: string,
  ) {
    super(message);
  }
}

export interface SweepParameter {
  /** the path as written, e.g. components.api.instances or api.instances */
  path: string;
  values: string[];
}

/** A guard against a typo like 1..1e9 turning into a billion runs. */
export const MAX_VALUES = 10_000;

const RANGE_FORM = "a..b (integers), a..b:step, a..b:xF (geometric), or a list v1,v2,...";
const NUM = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?`;
const PART = new RegExp(`^(${NUM})(\\S*)$`, "i");

export function parseSweepSet(arg: string): SweepParameter {
  const eq = arg.indexOf("=");
  if (eq <= 0 || eq === arg.length - 1)
    throw new SweepSpecError(`"${arg}" is not path=values`, "e.g. --set components.api.instances=2..16");
  const path = arg.slice(0, eq).trim();
  const spec = arg.slice(eq + 1).trim();
  return { path, values: parseValues(spec) };
}

export function parseValues(spec: string): string[] {
  // a YAML flow value such as [p99 < 50ms] is one value, commas and all
  if (/^[[{"']/.test(spec)) return [spec];
  if (spec.includes("..")) return parseRange(spec);
  const values = spec.split(",").map((v) => v.trim());
  if (values.some((v) => v === ""))
    throw new SweepSpecError(
      `empty value in the list "${spec}"`,
      "values separated by single commas, e.g. 1e4,2e4",
    );
  return values;
}

function parsePart(s: string, what: string, spec: string): { n: number; unit: string } {
  const m = PART.exec(s.trim());
  if (!m) throw new SweepSpecError(`${what} "${s}" of "${spec}" is not a number`, RANGE_FORM);
  return { n: Number(m[1]), unit: m[2] };
}

/** Twelve significant digits: 0.1 + 0.2 prints as 0.3. */
const tidy = (x: number) => String(Number(x.toPrecision(12)));

function parseRange(spec: string): string[] {
  const m = /^([^.]*(?:\.[^.]+)*)\.\.([^:]+)(?::(.+))?$/.exec(spec);
  if (!m) throw new SweepSpecError(`cannot read the range "${spec}"`, RANGE_FORM);
  const from = parsePart(m[1], "the start", spec);
  const to = parsePart(m[2], "the end", spec);
  const stepText = m[3]?.trim();
  const geometric = stepText !== undefined && /^x/i.test(stepText);
  const step =
    stepText === undefined
      ? undefined
      : parsePart(geometric ? stepText.slice(1) : stepText, "the step", spec);
  const unit = from.unit || to.unit;
  for (const [p, what] of [
    [from, "start"],
    [to, "end"],
    ...(step && !geometric ? [[step, "step"] as const] : []),
  ] as const)
    if (p.unit !== "" && p.unit !== unit)
      throw new SweepSpecError(
        `the ${what} of "${spec}" is in "${p.unit}" but the range is in "${unit}"`,
        "the same unit on both ends and the step, e.g. 10ms..50ms:10ms",
      );
  if (from.n > to.n)
    throw new SweepSpecError(
      `the range "${spec}" runs backwards`,
      "a start no larger than the end",
      `${m[2]}..${m[1]}`,
    );
  const out: number[] = [];
  if (geometric) {
    const f = step!.n;
    if (!(f > 1))
      throw new SweepSpecError(`the factor of "${spec}" must be greater than 1`, "e.g. 1k/s..64k/s:x2");
    if (!(from.n > 0)) throw new SweepSpecError(`a geometric range must start above 0, "${spec}" does not`);
    for (let x = from.n; x <= to.n * (1 + 1e-9) && out.length <= MAX_VALUES; x *= f) out.push(x);
  } else {
    if (step === undefined && !(Number.isInteger(from.n) && Number.isInteger(to.n)))
      throw new SweepSpecError(
        `"${spec}" has fractional ends and no step`,
        "a step for fractional ranges, e.g. 0.1..0.5:0.1",
        `${spec}:${tidy((to.n - from.n) / 4)}${unit}`,
      );
    const d = step?.n ?? 1;
    if (!(d > 0)) throw new SweepSpecError(`the step of "${spec}" must be greater than 0`, RANGE_FORM);
    // count the steps rather than adding them up, so rounding never drops or adds the end
    const count = Math.floor((to.n - from.n) / d + 1e-9) + 1;
    if (count > MAX_VALUES + 1) out.length = MAX_VALUES + 1;
    else for (let i = 0; i < count; i++) out.push(from.n + i * d);
  }
  if (out.length > MAX_VALUES)
    throw new SweepSpecError(
      `"${spec}" has more than ${MAX_VALUES} values`,
      "a larger step or a shorter range",
    );
  return out.map((x) => `${tidy(x)}${unit}`);
}

/** Every combination of the parameters' values; the first parameter varies slowest. */
export function cartesian(params: readonly SweepParameter[]): string[][] {
  let points: string[][] = [[]];
  for (const p of params) points = points.flatMap((pt) => p.values.map((v) => [...pt, v]));
  return points;
}
