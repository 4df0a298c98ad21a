// Checks of fan-out read and write steps: a fan-out touches many keys of its
// own, so nothing that is about the request's one key (a cache in front of
// it, salting, a scatter over shards, the in-process cache, version checks,
// an idempotency key, an outbox row) can go with it.
import { MAX_FAN_OUT_KEYS } from "../mechanisms/fan-out.js";
import type { FanOutDesign } from "./schema.js";
import type { Problem } from "./validate.js";

interface FanningStep {
  read?: string;
  write?: string;
  fanout?: FanOutDesign;
  cache?: string;
  salt?: number;
  scatter?: boolean;
  l1?: boolean;
  readYourWrites?: string;
  idempotency?: unknown;
  outbox?: string;
}

const EXCLUSIVE = ["cache", "salt", "scatter", "l1", "idempotency", "outbox"] as const;

export function fanOutProblems(s: FanningStep, path: (string | number)[]): Problem[] {
  const f = s.fanout;
  if (f === undefined) return [];
  const at = [...path, "fanout"];
  const out: Problem[] = [];
  for (const k of EXCLUSIVE)
    if (s[k] !== undefined && s[k] !== false)
      out.push({
        path: [...path, k],
        atKey: true,
        message: `a fan-out step reads or writes many keys of its own; ${k} concerns the request's one key`,
        hint: `remove ${k}, or make it a separate step`,
      });
  if (s.readYourWrites === "version-check")
    out.push({
      path: [...path, "readYourWrites"],
      atKey: true,
      message:
        "a fan-out read gathers many keys; version-check compares one key's version with the user's write",
      hint: "use primary-after-write or bounded-lag, or remove readYourWrites",
    });
  if (f.keys > MAX_FAN_OUT_KEYS)
    out.push({
      path: [...at, "keys"],
      message: `a fan-out's key space is at most ${MAX_FAN_OUT_KEYS} (2^26) keys, got ${f.keys}`,
      hint: "scale the key space down (the fanned-out keys are what matters, not how many exist)",
    });
  if (f.count.type === "constant" && f.count.value > f.keys)
    out.push({
      path: [...at, "count"],
      message: `fanout.count ${f.count.value} is more than the ${f.keys} keys there are: a request's keys are distinct`,
      hint: `raise fanout.keys to at least ${Math.ceil(f.count.value)}`,
    });
  if (f.hot && f.hot.count > f.keys)
    out.push({
      path: [...at, "hot", "count"],
      message: `fanout.hot.count ${f.hot.count} is more than the ${f.keys} keys there are: a request's keys are distinct`,
      hint: `raise fanout.keys to at least ${f.hot.count}`,
    });
  return out;
}
