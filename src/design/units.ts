// Quantities as people write them in design files: `250ms`, `10k/s`, `64MiB`,
// `1e6`, `99.9%`, `exp(5ms)`. Everything is converted to plain numbers in base
// units (milliseconds, per second, bytes, fractions) so nothing downstream ever
// sees a unit. Parsing is strict, because a silently misread unit is a wrong
// simulation, but every rejection says what was expected and, when the intent
// is recognisable (`10 secs`, `250mS`, `1,000,000`), what to write instead.
import type { DistSpec } from "../kernel/distributions.js";
import { UnitError } from "./errors.js";
import { didYouMean } from "./suggest.js";

export type DistUnit = "duration" | "size" | "count";

export const DURATION_EXPECTED = "a duration such as 250ms, 2s or 1.5m";
export const RATE_EXPECTED = "a rate such as 500/s, 10k/s or 100/min";
export const SIZE_EXPECTED = "a size such as 512B, 64MiB or 4GB";
export const COUNT_EXPECTED = "a count such as 100, 10k or 1e6";
export const PERCENT_EXPECTED = "a percentage such as 99.9% (or a fraction such as 0.999)";
export const BANDWIDTH_EXPECTED = "a bandwidth such as 10Gbps, 100Mbit/s or 50MB/s";

const DURATION_UNIT_LIST = "ns, us (µs), ms, s, m (min), h, d";

// ---------------------------------------------------------------- numbers

/** A decimal number: `12`, `-1.5`, `.5`, `1e-3`, `1_000_000`. */
const NUM = String.raw`[+-]?(?:\d+(?:_\d+)*(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?`;
const NUM_ONLY = new RegExp(`^${NUM}$`);
const LEADING_NUM = new RegExp(`^(${NUM})\\s*(.*)$`, "s");

/**
 * The number `num` × 10^shift, computed by moving the decimal point in the
 * text rather than multiplying, so `99.9%` is exactly 0.999 and `1.1KB`
 * exactly 1100 (99.9 / 100 in floating point is 0.9990000000000001).
 */
function scaled(num: string, shift: number): number {
  const clean = num.replace(/_/g, "");
  const e = clean.search(/[eE]/);
  const mantissa = e < 0 ? clean : clean.slice(0, e);
  const exponent = e < 0 ? 0 : Number(clean.slice(e + 1));
  return Number(`${mantissa}e${exponent + shift}`) + 0; // + 0 turns -0 into 0
}

function lex(s: string): { num: string; unit: string } | undefined {
  const m = LEADING_NUM.exec(s.trim());
  return m ? { num: m[1], unit: m[2].trim() } : undefined;
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "a list";
  if (typeof x === "object") return "a map";
  return `${typeof x} ${String(x)}`;
}

function asText(x: unknown, what: string, expected: string): string | number {
  if (typeof x === "string" || typeof x === "number") return x;
  throw new UnitError(`expected ${what}, got ${describe(x)}`, expected);
}

/** `1,000,000` → `1_000_000`; `1,5s` → `1.5s` (decimal comma). */
function commaFix(s: string): string | undefined {
  const t = s.trim();
  const thousands = /^([+-]?\d{1,3}(?:,\d{3})+)(?!\d)/.exec(t);
  if (thousands) return thousands[1].replace(/,/g, "_") + t.slice(thousands[1].length);
  const decimal = /^([+-]?\d+),(\d+)/.exec(t);
  if (decimal) return `${decimal[1]}.${decimal[2]}${t.slice(decimal[0].length)}`;
  return undefined;
}

function checkFinite(v: number, text: string, expected: string): number {
  if (Number.isNaN(v)) throw new UnitError(`${text} is not a number`, expected);
  if (!Number.isFinite(v)) throw new UnitError(`${text} is too large`, expected);
  return v;
}

// ---------------------------------------------------------------- durations

/** unit → [decimal shift, multiplier] to milliseconds */
const DURATION_UNITS: Record<string, [number, number]> = {
  ns: [-6, 1],
  us: [-3, 1],
  µs: [-3, 1], // U+00B5 micro sign
  μs: [-3, 1], // U+03BC Greek small mu: looks identical, so both must work
  ms: [0, 1],
  s: [3, 1],
  m: [3, 60],
  min: [3, 60],
  h: [3, 3600],
  d: [3, 86400],
};

const DURATION_ALIASES: Record<string, string> = {};
for (const [canonical, words] of Object.entries({
  ns: ["nsec", "nsecs", "nano", "nanos", "nanosecond", "nanoseconds"],
  us: ["usec", "usecs", "micro", "micros", "microsecond", "microseconds"],
  ms: ["msec", "msecs", "milli", "millis", "millisecond", "milliseconds"],
  s: ["sec", "secs", "second", "seconds"],
  m: ["mins", "minute", "minutes"],
  h: ["hr", "hrs", "hour", "hours"],
  d: ["day", "days"],
})) {
  for (const w of words) DURATION_ALIASES[w] = canonical;
}

const DURATION_PIECE = new RegExp(`\\s*(${NUM})\\s*(ns|us|µs|μs|ms|min|s|m|h|d)(?![A-Za-zµμ])\\s*`, "y");

/** Strict reading (canonical units only, `1h30m` allowed); undefined if it is not one. */
function tryDuration(s: string): number | undefined {
  const t = s.trim();
  if (t === "") return undefined;
  DURATION_PIECE.lastIndex = 0;
  let total = 0;
  let pieces = 0;
  while (DURATION_PIECE.lastIndex < t.length) {
    const m = DURATION_PIECE.exec(t);
    if (!m) return undefined;
    // a sign only makes sense in front of the whole value, not inside `1h-30m`
    if (pieces > 0 && /^[+-]/.test(m[1])) return undefined;
    const [shift, mult] = DURATION_UNITS[m[2]];
    total += scaled(m[1], shift) * mult;
    pieces++;
  }
  return pieces > 0 ? total + 0 : undefined;
}

function canonicalDurationUnit(u: string): string | undefined {
  const lower = u.toLowerCase();
  if (lower === "μs" || lower === "µs") return "µs";
  return DURATION_UNITS[lower] ? lower : DURATION_ALIASES[lower];
}

/** Rewrites every unit in `s` through `canon`; the fixed text if that changed anything. */
function fixUnits(s: string, canon: (unit: string) => string | undefined): string | undefined {
  const fixed = s.trim().replace(new RegExp(`(${NUM})\\s*([A-Za-zµμ]+)`, "g"), (_, n: string, u: string) => {
    return n + (canon(u) ?? u);
  });
  return fixed !== s.trim() ? fixed : undefined;
}

function durationFromNumber(v: number, text: string): number {
  checkFinite(v, text, DURATION_EXPECTED);
  if (v === 0) return 0;
  if (v < 0) throw new UnitError(`duration ${text} is negative`, DURATION_EXPECTED);
  throw new UnitError(
    `${text} has no unit`,
    DURATION_EXPECTED,
    undefined,
    `write a unit, e.g. ${text}ms or ${text}s (only 0 may be written without one)`,
  );
}

/** A duration in milliseconds: `250ms`, `2s`, `1.5m`, `1h30m`, `1e3ms`, `0`. */
export function parseDuration(x: string | number): number {
  const input = asText(x, "a duration", DURATION_EXPECTED);
  if (typeof input === "number") return durationFromNumber(input, String(input));
  const s = input.trim();
  if (s === "") throw new UnitError("empty duration", DURATION_EXPECTED);
  if (NUM_ONLY.test(s)) return durationFromNumber(scaled(s, 0), s);
  const v = tryDuration(s);
  if (v !== undefined) {
    if (v < 0) throw new UnitError(`duration "${s}" is negative`, DURATION_EXPECTED);
    return checkFinite(v, `"${s}"`, DURATION_EXPECTED);
  }
  throw durationError(s);
}

function durationError(s: string): UnitError {
  const comma = commaFix(s);
  if (comma !== undefined && tryDuration(comma) !== undefined)
    return new UnitError(`"${s}": write numbers without commas`, DURATION_EXPECTED, comma);
  const lx = lex(s);
  if (!lx) return notANumber(s, "a duration", DURATION_EXPECTED);
  const other = kindOf(s, "duration");
  if (other) return new UnitError(`"${s}" is ${other}, not a duration`, DURATION_EXPECTED);
  const week = /^(w|wk|wks|week|weeks)$/i.test(lx.unit);
  if (week && NUM_ONLY.test(lx.num)) {
    return new UnitError(
      `"${s}": weeks are not a unit; write days`,
      DURATION_EXPECTED,
      `${scaled(lx.num, 0) * 7}d`,
    );
  }
  const fixed = fixUnits(s, canonicalDurationUnit);
  const bad = firstBadUnit(s, (u) => u in DURATION_UNITS);
  if (fixed !== undefined && tryDuration(fixed) !== undefined) {
    return new UnitError(`"${s}": unknown duration unit "${bad ?? lx.unit}"`, DURATION_EXPECTED, fixed);
  }
  // no edit-distance guess here: units are one or two letters, so every unit is "close" to every typo
  return new UnitError(
    `"${s}": unknown duration unit "${bad ?? lx.unit}"`,
    `${DURATION_EXPECTED} (units: ${DURATION_UNIT_LIST})`,
  );
}

function firstBadUnit(s: string, ok: (u: string) => boolean): string | undefined {
  for (const m of s.matchAll(new RegExp(`(${NUM})\\s*([^\\d\\s.,+-][^\\d\\s]*)`, "g"))) {
    if (!ok(m[2])) return m[2];
  }
  return undefined;
}

function notANumber(s: string, what: string, expected: string): UnitError {
  if (/^[A-Za-z_]\w*\s*\(/.test(s)) {
    return new UnitError(
      `"${s}" is a distribution, but this field takes a single value`,
      expected,
      undefined,
      "distributions are accepted only where a value varies per request, e.g. service times",
    );
  }
  return new UnitError(`"${s}" is not ${what}`, expected);
}

// ---------------------------------------------------------------- rates

/** denominator unit → [decimal shift, divisor] to per second */
const RATE_DENOMINATORS: Record<string, [number, number]> = {
  ns: [9, 1],
  us: [6, 1],
  µs: [6, 1],
  μs: [6, 1],
  ms: [3, 1],
  s: [0, 1],
  m: [0, 60],
  min: [0, 60],
  h: [0, 3600],
  d: [0, 86400],
};
const MULTIPLIERS: Record<string, number> = { "": 0, k: 3, K: 3, M: 6, G: 9, T: 12 };

const RATE_RE = new RegExp(`^(${NUM})\\s*([kKMGT]?)\\s*(?:\\/\\s*([A-Za-zµμ]+)|(rps|qps))?$`);

function tryRate(s: string, allowBare: boolean): number | undefined {
  const m = RATE_RE.exec(s.trim());
  if (!m) return undefined;
  const [, num, mult, denom, perSecond] = m;
  if (denom === undefined && perSecond === undefined)
    return allowBare ? scaled(num, MULTIPLIERS[mult]) : undefined;
  const [shift, div] = denom === undefined ? [0, 1] : (RATE_DENOMINATORS[denom] ?? [Number.NaN, 1]);
  if (Number.isNaN(shift)) return undefined;
  return scaled(num, MULTIPLIERS[mult] + shift) / div;
}

/** A rate per second: `500/s`, `10k/s`, `100/min`, `3.6k/h`, `2/ms`, `10krps`, or a bare number per second. */
export function parseRate(x: string | number): number {
  const input = asText(x, "a rate", RATE_EXPECTED);
  const text = String(input).trim();
  let v: number | undefined;
  if (typeof input === "number") v = input;
  else if (text === "") throw new UnitError("empty rate", RATE_EXPECTED);
  else v = tryRate(text, true);
  if (v === undefined) throw rateError(text);
  checkFinite(v, `"${text}"`, RATE_EXPECTED);
  if (v < 0) throw new UnitError(`rate "${text}" is negative`, RATE_EXPECTED);
  return v;
}

const RATE_WORDS = /^(rps|qps|tps|ops|rpm|qpm|rph)$/i;

function rateError(s: string): UnitError {
  const comma = commaFix(s);
  if (comma !== undefined && tryRate(comma, true) !== undefined)
    return new UnitError(`"${s}": write numbers without commas`, RATE_EXPECTED, comma);
  const lx = lex(s);
  if (!lx) return notANumber(s, "a rate", RATE_EXPECTED);
  const other = kindOf(s, "rate");
  if (other) return new UnitError(`"${s}" is ${other}, not a rate`, RATE_EXPECTED);
  const m = /^([kKMGT]?)\s*(.*)$/.exec(lx.unit)!;
  const [, mult, rest] = m;
  let denom: string | undefined;
  const slash = /^(?:[A-Za-z]{2,}\s*)?\/\s*(?:1\s*)?([A-Za-zµμ]+)$/.exec(rest); // `req/s`, `/sec`, `/1s`
  const perWord = /^(?:[A-Za-z]+\s+)?per\s+([A-Za-z]+)$/i.exec(rest); // `per second`
  if (slash) denom = slash[1];
  else if (perWord) denom = perWord[1];
  else if (RATE_WORDS.test(rest)) denom = { rpm: "min", qpm: "min", rph: "h" }[rest.toLowerCase()] ?? "s";
  if (denom !== undefined) {
    const canon = canonicalDurationUnit(denom);
    const per = canon === "m" ? "min" : canon;
    const fixed = per && RATE_DENOMINATORS[per] ? `${lx.num}${mult}/${per}` : undefined;
    if (fixed !== undefined) return new UnitError(`"${s}" is not written as a rate`, RATE_EXPECTED, fixed);
    return new UnitError(
      `"${s}": unknown time unit "${denom}"`,
      `${RATE_EXPECTED} (per ${DURATION_UNIT_LIST})`,
    );
  }
  if (rest.startsWith("m"))
    return new UnitError(
      `"${s}": "m" is not a multiplier`,
      `${RATE_EXPECTED} (k = 10^3, M = 10^6, G = 10^9, T = 10^12)`,
    );
  return new UnitError(`"${s}" is not a rate`, RATE_EXPECTED);
}

// ---------------------------------------------------------------- sizes

/** lower-case unit → bytes per unit */
const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  pb: 1e15,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  pib: 2 ** 50,
};
const SIZE_SHIFT: Record<string, number> = { kb: 3, mb: 6, gb: 9, tb: 12, pb: 15 };
const SIZE_ALIASES: Record<string, string> = {
  byte: "B",
  bytes: "B",
  k: "KiB",
  m: "MiB",
  g: "GiB",
  t: "TiB",
  kilobyte: "KB",
  kilobytes: "KB",
  megabyte: "MB",
  megabytes: "MB",
  gigabyte: "GB",
  gigabytes: "GB",
  terabyte: "TB",
  terabytes: "TB",
};

const SIZE_RE = new RegExp(`^(${NUM})\\s*([A-Za-z]*)$`);

function trySize(s: string, allowBare: boolean): number | undefined {
  const m = SIZE_RE.exec(s.trim());
  if (!m || (!allowBare && m[2] === "")) return undefined;
  const unit = m[2].toLowerCase();
  if (!(unit in SIZE_UNITS)) return undefined;
  // decimal units move the decimal point so `1.1KB` is exactly 1100
  return unit in SIZE_SHIFT ? scaled(m[1], SIZE_SHIFT[unit]) : scaled(m[1], 0) * SIZE_UNITS[unit];
}

/** A size in bytes: `512B`, `4KB` (10^3), `64MiB` (2^20), `1.5GB`; a bare number is bytes. */
export function parseSize(x: string | number): number {
  const input = asText(x, "a size", SIZE_EXPECTED);
  const text = String(input).trim();
  let v: number | undefined;
  if (typeof input === "number") v = input;
  else if (text === "") throw new UnitError("empty size", SIZE_EXPECTED);
  else v = trySize(text, true);
  if (v === undefined) throw sizeError(text);
  checkFinite(v, `"${text}"`, SIZE_EXPECTED);
  if (v < 0) throw new UnitError(`size "${text}" is negative`, SIZE_EXPECTED);
  return v;
}

function sizeError(s: string): UnitError {
  const comma = commaFix(s);
  if (comma !== undefined && trySize(comma, true) !== undefined)
    return new UnitError(`"${s}": write numbers without commas`, SIZE_EXPECTED, comma);
  const lx = lex(s);
  if (!lx) return notANumber(s, "a size", SIZE_EXPECTED);
  const alias = SIZE_ALIASES[lx.unit.toLowerCase()];
  if (alias) {
    const hint = alias.endsWith("iB")
      ? `or ${lx.num}${alias.replace("i", "")} for powers of 1000`
      : undefined;
    return new UnitError(`"${s}": unknown size unit "${lx.unit}"`, SIZE_EXPECTED, `${lx.num}${alias}`, hint);
  }
  const other = kindOf(s, "size");
  if (other) return new UnitError(`"${s}" is ${other}, not a size`, SIZE_EXPECTED);
  return new UnitError(
    `"${s}": unknown size unit "${lx.unit}"`,
    `${SIZE_EXPECTED} (units: B, KB, MB, GB, TB in powers of 1000; KiB, MiB, GiB, TiB in powers of 1024)`,
  );
}

// ---------------------------------------------------------------- bandwidths

/** bits: `10Gbps`, `100Mbit/s`, `1Gb/s` (a lower-case b is a bit, as networks write it) */
const BITS_RE = new RegExp(`^(${NUM})\\s*([kKMGT]?)(?:bps|bits?\\/s|b\\/s)$`);
/** bytes: a size with its unit, per time unit (`50MB/s`, `1GiB/s`, `10KB/ms`) or `MBps` */
const BYTES_RE = new RegExp(`^(${NUM}\\s*[A-Za-z]+)\\s*(?:\\/\\s*([A-Za-zµμ]+)|ps)$`);

function tryBandwidth(s: string): number | undefined {
  const t = s.trim();
  const bits = BITS_RE.exec(t);
  if (bits) return scaled(bits[1], MULTIPLIERS[bits[2]]) / 8;
  const bytes = BYTES_RE.exec(t);
  if (!bytes) return undefined;
  // `gb/s` could be either: only an upper-case B is a byte
  if (!/B$/.test(bytes[1])) return undefined;
  const size = trySize(bytes[1], false);
  const per = bytes[2] === undefined ? "s" : bytes[2];
  if (size === undefined || !(per in RATE_DENOMINATORS)) return undefined;
  const [shift, div] = RATE_DENOMINATORS[per];
  return scaled(String(size), shift) / div;
}

/** A bandwidth in bytes per second: `10Gbps`, `100Mbit/s`, `1Gb/s` (bits), `50MB/s`, `1GiB/s`, `10KB/ms` (bytes). */
export function parseBandwidth(x: string | number): number {
  const input = asText(x, "a bandwidth", BANDWIDTH_EXPECTED);
  const text = String(input).trim();
  if (typeof input === "number")
    throw new UnitError(
      `${text} has no unit`,
      BANDWIDTH_EXPECTED,
      undefined,
      `write a unit, e.g. ${text}Mbps (bits) or ${text}MB/s (bytes)`,
    );
  if (text === "") throw new UnitError("empty bandwidth", BANDWIDTH_EXPECTED);
  const v = tryBandwidth(text);
  if (v === undefined) throw bandwidthError(text);
  checkFinite(v, `"${text}"`, BANDWIDTH_EXPECTED);
  if (v <= 0) throw new UnitError(`bandwidth "${text}" must be greater than zero`, BANDWIDTH_EXPECTED);
  return v;
}

function bandwidthError(s: string): UnitError {
  const lx = lex(s);
  if (!lx) return notANumber(s, "a bandwidth", BANDWIDTH_EXPECTED);
  if (trySize(s, false) !== undefined)
    return new UnitError(`"${s}" is a size, not a bandwidth`, BANDWIDTH_EXPECTED, `${s}/s`);
  const slash = /^([A-Za-z]+)\s*\/\s*(.+)$/.exec(lx.unit);
  if (slash && /^[kmgt]b$/.test(slash[1]))
    return new UnitError(
      `"${s}": is "${slash[1]}" bits or bytes?`,
      BANDWIDTH_EXPECTED,
      undefined,
      `write ${lx.num}${slash[1][0].toUpperCase()}b/${slash[2]} for bits or ${lx.num}${slash[1].toUpperCase()}/${slash[2]} for bytes`,
    );
  if (slash && trySize(`${lx.num}${slash[1]}`, false) !== undefined)
    return new UnitError(
      `"${s}": unknown time unit "${slash[2]}"`,
      `${BANDWIDTH_EXPECTED} (per ${DURATION_UNIT_LIST})`,
    );
  if (tryRate(s, false) !== undefined)
    return new UnitError(`"${s}" is a rate, not a bandwidth`, BANDWIDTH_EXPECTED);
  return new UnitError(`"${s}" is not a bandwidth`, BANDWIDTH_EXPECTED);
}

// ---------------------------------------------------------------- counts and percentages

const COUNT_RE = new RegExp(`^(${NUM})\\s*([kKMGT]?)$`);

function tryCount(s: string): number | undefined {
  const m = COUNT_RE.exec(s.trim());
  return m ? scaled(m[1], MULTIPLIERS[m[2]]) : undefined;
}

const COUNT_ALIASES: Record<string, string> = {
  thousand: "k",
  m: "M",
  mil: "M",
  mio: "M",
  mm: "M",
  million: "M",
  g: "G",
  bn: "G",
  billion: "G",
};

/** A plain number: `100`, `1e6`, `10k`, `2.5M`, `1_000_000` (k, M, G, T are powers of 1000). */
export function parseCount(x: string | number): number {
  const input = asText(x, "a count", COUNT_EXPECTED);
  const text = String(input).trim();
  let v: number | undefined;
  if (typeof input === "number") v = input;
  else if (text === "") throw new UnitError("empty count", COUNT_EXPECTED);
  else v = tryCount(text);
  if (v === undefined) throw countError(text);
  return checkFinite(v, `"${text}"`, COUNT_EXPECTED);
}

function countError(s: string): UnitError {
  const comma = commaFix(s);
  if (comma !== undefined && tryCount(comma) !== undefined)
    return new UnitError(`"${s}": write numbers without commas`, COUNT_EXPECTED, comma);
  const lx = lex(s);
  if (!lx) return notANumber(s, "a count", COUNT_EXPECTED);
  const alias = COUNT_ALIASES[lx.unit.toLowerCase()];
  if (alias && lx.unit !== "M") {
    const msg =
      lx.unit === "m"
        ? `"m" is not a multiplier (it would read as milli)`
        : `unknown multiplier "${lx.unit}"`;
    return new UnitError(
      `"${s}": ${msg}`,
      `${COUNT_EXPECTED} (k = 10^3, M = 10^6, G = 10^9, T = 10^12)`,
      `${lx.num}${alias}`,
    );
  }
  const other = kindOf(s, "count");
  if (other) return new UnitError(`"${s}" is ${other}, not a count`, COUNT_EXPECTED);
  return new UnitError(
    `"${s}" is not a count`,
    `${COUNT_EXPECTED} (k = 10^3, M = 10^6, G = 10^9, T = 10^12)`,
  );
}

export const KEYS_EXPECTED =
  "a key such as 42 or 10k, or a range of keys a..b such as 10..20 (both ends included)";

/**
 * A key or a range of keys with both ends included, as [lo, hi]: `42`,
 * `10k`, `10..20`, `1M..2M`. Keys are whole numbers in [0, 2^53).
 */
export function parseKeyRange(x: string | number): [number, number] {
  const text = String(x).trim();
  // 10-20, 10...20, 10 to 20: a range written some other way
  const loose = /^(\d+[kKMGT]?)\s*(?:-|–|\.\.\.|to)\s*(\d+[kKMGT]?)$/.exec(text);
  const parts = typeof x === "number" ? [x] : text.split("..");
  if (parts.length > 2 || loose)
    throw new UnitError(
      `"${text}" is not a key or a range of keys`,
      KEYS_EXPECTED,
      loose ? `${loose[1]}..${loose[2]}` : undefined,
    );
  const ends = parts.map((p) => {
    let v: number;
    try {
      v = parseCount(typeof p === "number" ? p : p.trim());
    } catch (e) {
      throw new UnitError(`"${text}": ${(e as Error).message}`, KEYS_EXPECTED, (e as UnitError).suggestion);
    }
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** 53)
      throw new UnitError(`"${text}": keys are whole numbers from 0 to 2^53 - 1`, KEYS_EXPECTED);
    return v;
  });
  const [lo, hi = lo] = ends;
  if (lo > hi)
    throw new UnitError(`"${text}" is an empty range: ${lo} is above ${hi}`, KEYS_EXPECTED, `${hi}..${lo}`);
  return [lo, hi];
}

const PERCENT_RE = new RegExp(`^(${NUM})\\s*%$`);

function tryPercent(s: string): number | undefined {
  const m = PERCENT_RE.exec(s.trim());
  return m ? scaled(m[1], -2) : undefined;
}

/** A fraction: `99.9%` → 0.999; a bare number in [0, 1] is already a fraction. */
export function parsePercent(x: string | number): number {
  const input = asText(x, "a percentage", PERCENT_EXPECTED);
  const text = String(input).trim();
  if (typeof input === "number" || NUM_ONLY.test(text)) {
    const v = checkFinite(typeof input === "number" ? input : scaled(text, 0), text, PERCENT_EXPECTED);
    if (v >= 0 && v <= 1) return v + 0;
    if (v > 1 && v <= 100) {
      return throwPercent(`${text} is not a fraction between 0 and 1`, `${text}%`);
    }
    return throwPercent(`${text} is outside 0% to 100%`);
  }
  if (text === "") throw new UnitError("empty percentage", PERCENT_EXPECTED);
  const v = tryPercent(text);
  if (v !== undefined) {
    if (v >= 0 && v <= 1) return v;
    return throwPercent(`"${text}" is outside 0% to 100%`);
  }
  const comma = commaFix(text);
  if (comma !== undefined && tryPercent(comma) !== undefined)
    return throwPercent(`"${text}": use a decimal point`, comma);
  const lx = lex(text);
  if (!lx) throw notANumber(text, "a percentage", PERCENT_EXPECTED);
  if (/^(pct|percent|per\s*cent|percentage)$/i.test(lx.unit))
    return throwPercent(`"${text}": write % for percent`, `${lx.num}%`);
  const other = kindOf(text, "percent");
  if (other) return throwPercent(`"${text}" is ${other}, not a percentage`);
  return throwPercent(`"${text}" is not a percentage`);
}

function throwPercent(message: string, suggestion?: string): never {
  throw new UnitError(message, PERCENT_EXPECTED, suggestion);
}

/** What else a string is, to tell the author they put it in the wrong kind of field. */
function kindOf(s: string, not: string): string | undefined {
  if (not !== "duration" && tryDuration(s) !== undefined) return "a duration";
  if (not !== "size" && trySize(s, false) !== undefined) return "a size";
  const slash = s.lastIndexOf("/");
  if (
    slash > 0 &&
    trySize(s.slice(0, slash), false) !== undefined &&
    tryRate(`1${s.slice(slash)}`, false) !== undefined
  )
    return "a bandwidth (size per time)";
  if (not !== "rate" && tryRate(s, false) !== undefined) return "a rate";
  if (not !== "percent" && tryPercent(s) !== undefined) return "a percentage";
  return undefined;
}

// ---------------------------------------------------------------- formatting

/** Three significant digits without exponent notation where avoidable. */
function sig3(v: number): number {
  return Number(v.toPrecision(3));
}

// [unit, multiply ms by, divide ms by, next unit starts at]
const DURATION_STEPS: [string, number, number, number][] = [
  ["ns", 1e6, 1, 1000],
  ["µs", 1e3, 1, 1000],
  ["ms", 1, 1, 1000],
  ["s", 1, 1e3, 60],
  ["m", 1, 6e4, 60],
  ["h", 1, 36e5, 24],
  ["d", 1, 864e5, Number.POSITIVE_INFINITY],
];

/** `950µs`, `12.3ms`, `1.50s`, `2.50m`: always three significant digits so table columns line up. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return Number.isNaN(ms) ? "NaN" : ms > 0 ? "∞" : "-∞";
  if (ms === 0) return "0ms";
  if (ms < 0) return `-${formatDuration(-ms)}`;
  for (const [unit, mul, div, next] of DURATION_STEPS) {
    const v = (ms * mul) / div;
    if (next === Number.POSITIVE_INFINITY && v >= 1000) return `${Math.round(v)}${unit}`;
    const text = v.toPrecision(3);
    // compare the rounded text, so 999.97µs becomes 1.00ms rather than 1.00e+3µs
    if (Number(text) < next) return `${text}${unit}`;
  }
  return `${ms}ms`; // unreachable: the last step has no upper bound
}

/** `500/s`, `10k/s`, `1.23M/s`; slow rates per minute or hour (`30/min`) rather than `0.5/s`. */
export function formatRate(perSec: number): string {
  if (!Number.isFinite(perSec)) return Number.isNaN(perSec) ? "NaN" : perSec > 0 ? "∞/s" : "-∞/s";
  if (perSec === 0) return "0/s";
  if (perSec < 0) return `-${formatRate(-perSec)}`;
  if (sig3(perSec) < 1)
    return sig3(perSec * 60) >= 1 ? `${sig3(perSec * 60)}/min` : `${sig3(perSec * 3600)}/h`;
  const prefixes = ["", "k", "M", "G", "T"];
  let v = perSec;
  for (let i = 0; ; i++) {
    const r = sig3(v);
    if (r < 1000 || i === prefixes.length - 1) return `${r}${prefixes[i]}/s`;
    v /= 1000;
  }
}

function sizeIn(bytes: number, base: number, units: string[]): { text: string; exact: boolean } {
  let i = 0;
  while (i < units.length - 1 && bytes >= base ** (i + 1)) i++;
  let r = bytes / base ** i >= 100 ? Math.round(bytes / base ** i) : sig3(bytes / base ** i);
  if (r >= base && i < units.length - 1) {
    i++; // rounding carried into the next unit: 1023.7KiB is 1MiB
    r = sig3(bytes / base ** i);
  }
  return { text: `${r}${units[i]}`, exact: r * base ** i === bytes };
}

/**
 * `512B`, `64MiB`, `4GB`, `1.5KiB`. Binary units unless the value is a round
 * number only in decimal units, so a size shows the way it was probably written.
 */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes)) return Number.isNaN(bytes) ? "NaN" : bytes > 0 ? "∞" : "-∞";
  if (bytes < 0) return `-${formatSize(-bytes)}`;
  const bin = sizeIn(bytes, 1024, ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]);
  const dec = sizeIn(bytes, 1000, ["B", "KB", "MB", "GB", "TB", "PB"]);
  if (dec.exact && (!bin.exact || dec.text.length < bin.text.length)) return dec.text;
  return bin.text;
}

// ---------------------------------------------------------------- distributions

const EXAMPLES: Record<DistUnit, [string, string, string, string]> = {
  duration: ["1ms", "3ms", "10ms", "50ms"],
  size: ["1KiB", "4KiB", "64KiB", "1MiB"],
  count: ["1", "3", "10", "50"],
};

const DIST_NAMES: Record<string, DistSpec["type"]> = {
  const: "constant",
  constant: "constant",
  exp: "exponential",
  exponential: "exponential",
  uniform: "uniform",
  normal: "normal",
  lognormal: "lognormal",
  pareto: "pareto",
  weibull: "weibull",
  empirical: "empirical",
  histogram: "histogram",
  mix: "mixture",
  mixture: "mixture",
};

function forms(unit: DistUnit): Record<DistSpec["type"], string> {
  const [a, b, c, d] = EXAMPLES[unit];
  return {
    constant: `a value such as ${c}`,
    exponential: `exp(mean), e.g. exp(${c})`,
    uniform: `uniform(min, max) with min < max, e.g. uniform(${a}, ${b})`,
    normal: `normal(mean, stddev), e.g. normal(${c}, ${a})`,
    lognormal: `lognormal(median=…, p99=…) with p99 > median, e.g. lognormal(median=${c}, p99=${d}), or lognormal(mu=…, sigma=…)`,
    pareto: `pareto(scale=…, shape=…) with both > 0, e.g. pareto(scale=${a}, shape=2.5)`,
    weibull: `weibull(scale=…, shape=…) with both > 0, e.g. weibull(scale=${c}, shape=1.5)`,
    empirical: `empirical(${a}, ${b}, ${c}) or with weights empirical(${a}: 5, ${c}: 1)`,
    histogram: `histogram(0..${a}: 5, ${a}..${c}: 1) with from < to and weights > 0`,
    mixture: `mix(0.9: exp(${a}), 0.1: exp(${d})) with weights > 0`,
  };
}

function distExpected(unit: DistUnit): string {
  const [a, b, c, d] = EXAMPLES[unit];
  return `a value such as ${c} or a distribution such as exp(${c}), uniform(${a}, ${b}), normal(${c}, ${a}), lognormal(median=${c}, p99=${d}), pareto(scale=${a}, shape=2.5), weibull(scale=${c}, shape=1.5), empirical(${a}, ${b}, ${c}), mix(0.9: exp(${a}), 0.1: exp(${d}))`;
}

const VALUE_PARSERS: Record<DistUnit, (x: string | number) => number> = {
  duration: parseDuration,
  size: parseSize,
  count: parseCount,
};

interface Atom {
  kind: "atom";
  text: string;
  start: number;
  end: number;
}
interface Call {
  kind: "call";
  name: string;
  nameStart: number;
  nameEnd: number;
  args: Arg[];
  start: number;
  end: number;
}
type Expr = Atom | Call;
interface Arg {
  label?: Atom;
  sep?: "=" | ":";
  value: Expr;
}

/** Recursive descent over `name(arg, label = arg, label: arg, …)`; atoms are left as text for the unit parsers. */
class DistSyntax {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly unit: DistUnit,
  ) {}

  parse(): Expr {
    const e = this.expr();
    this.ws();
    if (this.i < this.s.length) this.fail(`unexpected "${this.s[this.i]}"`);
    return e;
  }

  private fail(what: string): never {
    throw new UnitError(
      `cannot read distribution "${this.s}": ${what} at character ${this.i + 1}`,
      distExpected(this.unit),
    );
  }

  private ws() {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  private expr(): Expr {
    this.ws();
    const start = this.i;
    while (this.i < this.s.length && !"(),:=".includes(this.s[this.i])) this.i++;
    const raw = this.s.slice(start, this.i);
    const text = raw.trimEnd();
    const end = start + text.length;
    if (this.s[this.i] === "(") {
      if (!/^[A-Za-z_]\w*$/.test(text))
        this.fail(text === "" ? "missing distribution name" : `"${text}" is not a name`);
      this.i++;
      const args: Arg[] = [];
      this.ws();
      if (this.s[this.i] === ")") this.i++;
      else {
        for (;;) {
          args.push(this.arg());
          this.ws();
          const c = this.s[this.i];
          this.i++;
          if (c === ")") break;
          if (c !== ",") {
            this.i--;
            this.fail(c === undefined ? 'missing ")"' : `expected "," or ")" but found "${c}"`);
          }
        }
      }
      return { kind: "call", name: text, nameStart: start, nameEnd: end, args, start, end: this.i };
    }
    if (text === "")
      this.fail(this.i < this.s.length ? `expected a value before "${this.s[this.i]}"` : "expected a value");
    return { kind: "atom", text, start, end };
  }

  private arg(): Arg {
    const first = this.expr();
    this.ws();
    const c = this.s[this.i];
    if (first.kind === "atom" && (c === "=" || c === ":")) {
      this.i++;
      return { label: first, sep: c, value: this.expr() };
    }
    return { value: first };
  }
}

/** A UnitError from deep inside a distribution, restated for the whole text with a whole-text suggestion. */
function within(
  src: string,
  at: { start: number; end: number } | undefined,
  e: unknown,
  unit: DistUnit,
): never {
  if (!(e instanceof UnitError)) throw e;
  if (at === undefined || e.message.startsWith("cannot read distribution")) throw e;
  const suggestion =
    e.suggestion === undefined ? undefined : src.slice(0, at.start) + e.suggestion + src.slice(at.end);
  throw new UnitError(
    `cannot read distribution "${src}": ${e.message}`,
    e.expected === DURATION_EXPECTED || e.expected === SIZE_EXPECTED || e.expected === COUNT_EXPECTED
      ? distExpected(unit)
      : e.expected,
    suggestion,
    e.hint,
  );
}

/**
 * A distribution of durations (ms), sizes (bytes) or counts, as the kernel's
 * DistSpec. Accepts a plain value (a constant), the function form
 * (`exp(10ms)`, whose argument is the mean; `lognormal(median=5ms, p99=50ms)`;
 * `mix(0.9: exp(1ms), 0.1: exp(50ms))`) or the object form
 * (`{ type: exponential, mean: 10ms }`, where a bare number is in base units).
 */
export function parseDistribution(x: unknown, unit: DistUnit = "duration"): DistSpec {
  const spec =
    typeof x === "object" && x !== null && !Array.isArray(x) ? fromObject(x, unit, "") : fromText(x, unit);
  checkDist(spec, unit, typeof x === "string" ? x.trim() : undefined);
  return spec;
}

function fromText(x: unknown, unit: DistUnit): DistSpec {
  if (typeof x === "number") return { type: "constant", value: VALUE_PARSERS[unit](x) };
  if (typeof x !== "string")
    throw new UnitError(`expected a distribution, got ${describe(x)}`, distExpected(unit));
  const src = x.trim();
  if (src === "") throw new UnitError("empty distribution", distExpected(unit));
  if (!src.includes("(")) {
    const name = DIST_NAMES[src.toLowerCase()];
    if (name) {
      throw new UnitError(`"${src}" needs its parameters`, forms(unit)[name], `${src}(${EXAMPLES[unit][2]})`);
    }
    try {
      return { type: "constant", value: VALUE_PARSERS[unit](src) };
    } catch (e) {
      if (e instanceof UnitError && lex(src) === undefined) {
        const near = didYouMean(src, Object.keys(DIST_NAMES));
        throw new UnitError(
          e.message,
          distExpected(unit),
          near ? `${near}(${EXAMPLES[unit][2]})` : e.suggestion,
          e.hint,
        );
      }
      throw e;
    }
  }
  const expr = new DistSyntax(src, unit).parse();
  return fromExpr(expr, src, unit);
}

function fromExpr(e: Expr, src: string, unit: DistUnit): DistSpec {
  if (e.kind === "atom") return { type: "constant", value: value(e, src, unit) };
  const type = DIST_NAMES[e.name.toLowerCase()];
  if (!type) {
    const near = didYouMean(e.name, Object.keys(DIST_NAMES));
    throw new UnitError(
      `unknown distribution "${e.name}" in "${src}"`,
      distExpected(unit),
      near ? src.slice(0, e.nameStart) + near + src.slice(e.nameEnd) : undefined,
    );
  }
  const form = forms(unit)[type];
  const fail = (what: string): never => {
    throw new UnitError(`cannot read distribution "${src}": ${what}`, form);
  };
  switch (type) {
    case "constant": {
      const p = params(e, ["value"], src, form);
      return { type, value: value(p.value, src, unit) };
    }
    case "exponential": {
      const p = params(e, ["mean"], src, form, ["rate"], {}, []);
      if (!p.rate && !p.mean) fail("missing mean");
      if (p.rate && p.mean) fail("give either mean or rate, not both");
      if (p.rate) {
        if (unit !== "duration") fail("rate= only makes sense for durations");
        const perSec = numberOf(p.rate, src, unit, parseRate);
        if (!(perSec > 0)) fail("the rate must be greater than zero");
        return { type, mean: 1000 / perSec };
      }
      return { type, mean: value(p.mean, src, unit) };
    }
    case "uniform": {
      const p = params(e, ["min", "max"], src, form);
      return { type, min: value(p.min, src, unit), max: value(p.max, src, unit) };
    }
    case "normal": {
      const p = params(e, ["mean", "stddev"], src, form, [], { sd: "stddev", stdev: "stddev" });
      return { type, mean: value(p.mean, src, unit), stddev: value(p.stddev, src, unit) };
    }
    case "lognormal": {
      if (e.args.some((a) => a.sep !== "=")) fail("lognormal takes named parameters only");
      const p = params(e, [], src, form, ["median", "p99", "mu", "sigma"]);
      const has = (k: string) => p[k] !== undefined;
      if (has("median") && has("p99") && !has("mu") && !has("sigma"))
        return { type, median: value(p.median, src, unit), p99: value(p.p99, src, unit) };
      if (has("mu") && has("sigma") && !has("median") && !has("p99"))
        return { type, mu: plain(p.mu, src, unit), sigma: plain(p.sigma, src, unit) };
      if (has("median") && has("sigma") && !has("mu") && !has("p99")) {
        // a convenience: the median fixes mu = ln(median)
        const median = value(p.median, src, unit);
        if (!(median > 0)) fail("the median must be greater than zero");
        return { type, mu: Math.log(median), sigma: plain(p.sigma, src, unit) };
      }
      return fail("give median and p99, or mu and sigma");
    }
    case "pareto":
    case "weibull": {
      const p = params(e, ["scale", "shape"], src, form);
      return { type, scale: value(p.scale, src, unit), shape: plain(p.shape, src, unit) };
    }
    case "empirical": {
      if (e.args.length === 0) fail("empirical needs at least one value");
      const weighted = e.args.filter((a) => a.sep === ":").length;
      if (e.args.some((a) => a.sep === "="))
        fail("empirical takes values, optionally weighted as value: weight");
      if (weighted > 0 && weighted < e.args.length) fail("weight every value or none");
      if (weighted === 0) return { type, values: e.args.map((a) => value(a.value, src, unit)) };
      return {
        type,
        values: e.args.map((a) => value(a.label!, src, unit)),
        weights: e.args.map((a) => plain(a.value, src, unit, true)),
      };
    }
    case "histogram": {
      if (e.args.length === 0) fail("histogram needs at least one bucket");
      return {
        type,
        buckets: e.args.map((a) => {
          const range = a.sep === ":" ? /^(.*?)\s*\.\.\s*(.*)$/.exec(a.label!.text) : null;
          if (!range) return fail("each bucket is written from..to: weight");
          const at = a.label!;
          const fromAt = { ...at, end: at.start + range[1].length };
          const toAt = { ...at, start: at.end - range[2].length };
          return {
            from: convert(range[1], fromAt, src, unit, VALUE_PARSERS[unit]),
            to: convert(range[2], toAt, src, unit, VALUE_PARSERS[unit]),
            weight: plain(a.value, src, unit, true),
          };
        }),
      };
    }
    case "mixture": {
      if (e.args.length === 0) fail("mix needs at least one weighted part");
      return {
        type,
        parts: e.args.map((a) => {
          if (a.sep !== ":") return fail("each part is written weight: distribution");
          return { weight: plain(a.label!, src, unit, true), dist: fromExpr(a.value, src, unit) };
        }),
      };
    }
    default:
      return fail("unsupported");
  }
}

/** Positional and `name=value` arguments by name; aliases map alternative names onto canonical ones. */
function params(
  e: Call,
  positional: string[],
  src: string,
  form: string,
  namedOnly: string[] = [],
  aliases: Record<string, string> = {},
  required: string[] = positional,
): Record<string, Expr> {
  const names = [...positional, ...namedOnly];
  const out: Record<string, Expr> = {};
  const fail = (what: string): never => {
    throw new UnitError(`cannot read distribution "${src}": ${what}`, form);
  };
  for (const [idx, a] of e.args.entries()) {
    let name: string;
    if (a.sep === undefined) {
      if (idx >= positional.length)
        fail(`${e.name} takes ${positional.length} parameter(s), got ${e.args.length}`);
      if (e.args.slice(0, idx).some((b) => b.sep !== undefined))
        fail("positional parameters must come first");
      name = positional[idx];
    } else if (a.sep === ":") {
      name = fail(`"${a.label!.text}: …" is not a parameter of ${e.name}; write name=value`);
    } else {
      const raw = a.label!.text.toLowerCase();
      name = aliases[raw] ?? names.find((n) => n.toLowerCase() === raw) ?? "";
      if (!name) {
        const near = didYouMean(a.label!.text, names);
        throw new UnitError(
          `cannot read distribution "${src}": ${e.name} has no parameter "${a.label!.text}"`,
          form,
          near ? src.slice(0, a.label!.start) + near + src.slice(a.label!.end) : undefined,
        );
      }
    }
    if (out[name]) fail(`${name} is given twice`);
    out[name] = a.value;
  }
  for (const n of required) if (!out[n]) fail(`missing ${n}`);
  return out;
}

function value(e: Expr, src: string, unit: DistUnit): number {
  if (e.kind !== "atom") {
    throw new UnitError(
      `cannot read distribution "${src}": ${e.name}(…) is used where a value belongs`,
      forms(unit).constant,
    );
  }
  return convert(e.text, e, src, unit, VALUE_PARSERS[unit]);
}

function numberOf(e: Expr, src: string, unit: DistUnit, parse: (x: string) => number): number {
  if (e.kind !== "atom")
    throw new UnitError(`cannot read distribution "${src}": expected a value`, distExpected(unit));
  return convert(e.text, e, src, unit, parse);
}

function convert(
  text: string,
  at: { start: number; end: number },
  src: string,
  unit: DistUnit,
  parse: (x: string) => number,
): number {
  try {
    return parse(text);
  } catch (err) {
    return within(src, at, err, unit);
  }
}

/** A unit-less parameter: shape, mu, sigma, a weight (weights may be written as percentages). */
function plain(e: Expr, src: string, unit: DistUnit, weight = false): number {
  return numberOf(e, src, unit, (t) => plainNumber(t, weight));
}

function plainNumber(x: unknown, weight: boolean): number {
  if (typeof x === "number") return x;
  if (typeof x === "string") {
    const t = x.trim();
    if (NUM_ONLY.test(t)) return scaled(t, 0);
    if (weight && tryPercent(t) !== undefined) return tryPercent(t)!;
  }
  throw new UnitError(
    `${typeof x === "string" ? `"${x}"` : describe(x)} is not a plain number`,
    weight ? "a weight such as 0.9, 5 or 90%" : "a number without a unit, such as 1.5",
  );
}

// ---- object form

const OBJECT_FIELDS: Record<DistSpec["type"], string[]> = {
  constant: ["value"],
  uniform: ["min", "max"],
  exponential: ["mean"],
  normal: ["mean", "stddev"],
  lognormal: ["median", "p99", "mu", "sigma"],
  pareto: ["scale", "shape"],
  weibull: ["scale", "shape"],
  empirical: ["values", "weights"],
  histogram: ["buckets"],
  mixture: ["parts"],
};

function fromObject(o: object, unit: DistUnit, where: string): DistSpec {
  const obj = o as Record<string, unknown>;
  const at = (field: string) => (where ? `${where}.${field}` : field);
  const rawType = obj.type;
  if (typeof rawType !== "string") {
    throw new UnitError(
      `a distribution written as a map needs a type${where ? ` (at ${where})` : ""}`,
      `one of ${Object.keys(OBJECT_FIELDS).join(", ")}`,
    );
  }
  const type = DIST_NAMES[rawType.toLowerCase()];
  if (!type) {
    throw new UnitError(
      `unknown distribution type "${rawType}"${where ? ` at ${where}` : ""}`,
      `one of ${Object.keys(OBJECT_FIELDS).join(", ")}`,
      didYouMean(rawType, Object.keys(DIST_NAMES)),
    );
  }
  const form = forms(unit)[type];
  const fields = OBJECT_FIELDS[type];
  for (const k of Object.keys(obj)) {
    if (k !== "type" && !fields.includes(k)) {
      throw new UnitError(
        `${type} has no field "${k}"${where ? ` (at ${where})` : ""}`,
        `fields ${fields.join(", ")}`,
        didYouMean(k, fields),
      );
    }
  }
  const fail = (what: string): never => {
    throw new UnitError(`${type} distribution${where ? ` at ${where}` : ""}: ${what}`, form);
  };
  const need = (k: string): unknown => (obj[k] === undefined ? fail(`missing ${k}`) : obj[k]);
  const val = (k: string, x: unknown = need(k)): number => {
    try {
      // the object form mirrors DistSpec, whose numbers are in base units (ms, bytes), so a bare
      // number needs no unit here; written as text it goes through the unit parser like anywhere else
      if (typeof x === "number") {
        if (unit === "count") return checkFinite(x, String(x), COUNT_EXPECTED);
        const expected = unit === "duration" ? DURATION_EXPECTED : SIZE_EXPECTED;
        if (!(checkFinite(x, String(x), expected) >= 0)) throw new UnitError(`${x} is negative`, expected);
        return x;
      }
      return VALUE_PARSERS[unit](asText(x, `a ${unit}`, distExpected(unit)));
    } catch (e) {
      if (e instanceof UnitError)
        throw new UnitError(`${at(k)}: ${e.message}`, e.expected, e.suggestion, e.hint);
      throw e;
    }
  };
  const num = (k: string, x: unknown = need(k), weight = false): number => {
    try {
      return plainNumber(x, weight);
    } catch (e) {
      if (e instanceof UnitError)
        throw new UnitError(`${at(k)}: ${e.message}`, e.expected, e.suggestion, e.hint);
      throw e;
    }
  };
  const list = (k: string): unknown[] => {
    const v = need(k);
    return Array.isArray(v) ? v : fail(`${k} must be a list`);
  };
  switch (type) {
    case "constant":
      return { type, value: val("value") };
    case "uniform":
      return { type, min: val("min"), max: val("max") };
    case "exponential":
      return { type, mean: val("mean") };
    case "normal":
      return { type, mean: val("mean"), stddev: val("stddev") };
    case "lognormal": {
      const has = (k: string) => obj[k] !== undefined;
      if (has("median") && has("p99") && !has("mu") && !has("sigma"))
        return { type, median: val("median"), p99: val("p99") };
      if (has("mu") && has("sigma") && !has("median") && !has("p99"))
        return { type, mu: num("mu"), sigma: num("sigma") };
      return fail("give median and p99, or mu and sigma");
    }
    case "pareto":
    case "weibull":
      return { type, scale: val("scale"), shape: num("shape") };
    case "empirical": {
      const values = list("values").map((v, i) => val(`values.${i}`, v));
      if (obj.weights === undefined) return { type, values };
      const weights = list("weights").map((w, i) => num(`weights.${i}`, w, true));
      if (weights.length !== values.length) fail(`${values.length} values but ${weights.length} weights`);
      return { type, values, weights };
    }
    case "histogram":
      return {
        type,
        buckets: list("buckets").map((b, i) => {
          if (typeof b !== "object" || b === null)
            return fail(`buckets.${i} must be a map with from, to and weight`);
          const r = b as Record<string, unknown>;
          return {
            from: val(`buckets.${i}.from`, r.from ?? fail(`buckets.${i} is missing from`)),
            to: val(`buckets.${i}.to`, r.to ?? fail(`buckets.${i} is missing to`)),
            weight: num(`buckets.${i}.weight`, r.weight ?? fail(`buckets.${i} is missing weight`), true),
          };
        }),
      };
    case "mixture":
      return {
        type,
        parts: list("parts").map((p, i) => {
          if (typeof p !== "object" || p === null)
            return fail(`parts.${i} must be a map with weight and dist`);
          const r = p as Record<string, unknown>;
          const d = r.dist ?? fail(`parts.${i} is missing dist`);
          const dist =
            typeof d === "object" && d !== null && !Array.isArray(d)
              ? fromObject(d, unit, at(`parts.${i}.dist`))
              : fromText(d, unit);
          return {
            weight: num(`parts.${i}.weight`, r.weight ?? fail(`parts.${i} is missing weight`), true),
            dist,
          };
        }),
      };
  }
}

// ---- parameter checks, shared by both forms

function checkDist(spec: DistSpec, unit: DistUnit, src: string | undefined): void {
  const show = (v: number) =>
    unit === "duration" ? formatDuration(v) : unit === "size" ? formatSize(v) : String(sig3(v));
  const form = forms(unit)[spec.type];
  const fail = (what: string, hint?: string): never => {
    const head = src !== undefined ? `distribution "${src}"` : `${spec.type} distribution`;
    throw new UnitError(`${head}: ${what}`, form, undefined, hint);
  };
  const positive = (name: string, v: number) => {
    if (!(v > 0)) fail(`${name} must be greater than zero (got ${Number.isFinite(v) ? v : String(v)})`);
  };
  const weights = (ws: number[]) => {
    for (const w of ws)
      if (!(w > 0) || !Number.isFinite(w)) fail(`weights must be greater than zero (got ${w})`);
  };
  switch (spec.type) {
    case "constant":
      return;
    case "exponential":
      return positive("the mean", spec.mean);
    case "uniform":
      if (!(spec.min < spec.max))
        fail(
          `min (${show(spec.min)}) must be less than max (${show(spec.max)})`,
          "for a fixed value write it alone",
        );
      return;
    case "normal":
      positive("the standard deviation", spec.stddev);
      if (unit !== "count" && spec.mean < 3 * spec.stddev) {
        fail(
          `the mean (${show(spec.mean)}) must be at least 3 standard deviations (3 × ${show(spec.stddev)}) above zero`,
          "negative draws are redrawn, which would raise the mean and distort the shape; for a skewed positive quantity use lognormal(median=…, p99=…)",
        );
      }
      return;
    case "lognormal":
      if ("median" in spec) {
        positive("the median", spec.median);
        if (!(spec.p99 > spec.median))
          fail(`p99 (${show(spec.p99)}) must be greater than the median (${show(spec.median)})`);
      } else {
        if (!Number.isFinite(spec.mu)) fail(`mu must be a finite number (got ${spec.mu})`);
        positive("sigma", spec.sigma);
      }
      return;
    case "pareto":
    case "weibull":
      positive("the scale", spec.scale);
      positive("the shape", spec.shape);
      return;
    case "empirical":
      if (spec.values.length === 0) fail("needs at least one value");
      if (spec.weights) weights(spec.weights);
      return;
    case "histogram":
      if (spec.buckets.length === 0) fail("needs at least one bucket");
      for (const b of spec.buckets) {
        if (!(b.from < b.to))
          fail(`bucket ${show(b.from)}..${show(b.to)} must go from a smaller to a larger value`);
      }
      weights(spec.buckets.map((b) => b.weight));
      return;
    case "mixture":
      if (spec.parts.length === 0) fail("needs at least one part");
      weights(spec.parts.map((p) => p.weight));
      for (const p of spec.parts) checkDist(p.dist, unit, src);
      return;
  }
}
