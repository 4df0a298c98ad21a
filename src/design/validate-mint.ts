// Checks of mint steps (a URL shortener's new codes): the fields each way of
// minting takes, and a space the codes and the preloaded links fit in.
import { BITMAP_CODES, MAX_CODE_LENGTH, MAX_SET_PRELOAD, codeSpace } from "../mechanisms/short-codes.js";
import { preloadCount } from "./build-mint.js";
import type { Design } from "./schema.js";
import type { Problem } from "./validate.js";

const MAX_BITS = 2 ** 32;
const MAX_HASHES = 64;
const n = (v: number): string => v.toLocaleString("en-US");

export function mintProblems(d: Design): Problem[] {
  const out: Problem[] = [];
  for (const [name, c] of Object.entries(d.components)) {
    if (c.kind !== "service") continue;
    for (const [route, steps] of Object.entries(c.routes))
      steps.forEach((s, i) => {
        if (!("mint" in s)) return;
        const m = s.mint;
        const at = ["components", name, "routes", route, i, "mint"];
        const field = (f: string, message: string, hint?: string): void => {
          out.push({ path: [...at, f], message, hint, atKey: true });
        };
        if (m.length > MAX_CODE_LENGTH) {
          out.push({
            path: [...at, "length"],
            message: `a code has at most ${MAX_CODE_LENGTH} characters here, got ${m.length}`,
            hint: `62^${MAX_CODE_LENGTH} = ${n(codeSpace(MAX_CODE_LENGTH))} codes is the largest space (62^9 is past 2^53); the case's 7 characters give ${n(codeSpace(7))}`,
          });
          return;
        }
        const space = codeSpace(m.length);
        if (m.codes === "counter") {
          if (m.store === undefined)
            out.push({
              path: at,
              message: "counter codes take their ranges from a counter kept in a store: no store given",
              hint: "add store: <a database> (one write of the counter's row per range)",
            });
          if (m.bloom)
            field(
              "bloom",
              "counter codes are unique by construction: there is nothing to check",
              "remove bloom, or use codes: random",
            );
          if (m.attempts !== undefined)
            field("attempts", "counter codes never collide: every creation takes one id", "remove attempts");
        } else {
          if (m.range !== undefined)
            field(
              "range",
              "range is the counter's: random codes are drawn one by one",
              "remove range, or use codes: counter",
            );
          if (!m.bloom && m.store === undefined)
            out.push({
              path: at,
              message:
                "a random code must be checked before it is taken: no bloom filter and no store to read",
              hint: "add bloom: { bits: 10M, hashes: 7 } (about 9.6 bits per code in use for 1% false positives), store: <the codes' database>, or both",
            });
          if (m.bloom && m.bloom.bits > MAX_BITS)
            out.push({
              path: [...at, "bloom", "bits"],
              message: `a Bloom filter here holds at most 2^32 bits, got ${n(m.bloom.bits)}`,
              hint: "~9.6 bits per code in use give a 1% false-positive rate",
            });
          if (m.bloom && m.bloom.hashes > MAX_HASHES)
            out.push({
              path: [...at, "bloom", "hashes"],
              message: `at most ${MAX_HASHES} hashes, got ${m.bloom.hashes}`,
              hint: "(bits / codes in use) x ln 2 is the best count: 7 for ~10 bits per code",
            });
        }
        const pre = preloadCount(m.preload, space);
        if (pre >= space)
          out.push({
            path: [...at, "preload"],
            message: `${n(pre)} codes preloaded fill the space of 62^${m.length} = ${n(space)}: no code is left to mint`,
            hint: `preload fewer codes (e.g. ${m.codes === "random" ? "90%" : n(Math.floor(space / 2))}), or a longer code: length ${m.length + 1} holds ${n(codeSpace(m.length + 1))}`,
          });
        else if (m.codes === "random" && space > BITMAP_CODES && pre > MAX_SET_PRELOAD)
          out.push({
            path: [...at, "preload"],
            message: `with codes of ${m.length} characters, at most ${n(MAX_SET_PRELOAD)} random codes can be preloaded (each is recorded and added to the filter), got ${n(pre)}`,
            hint: `a share of a shorter code's space shows the same occupancy: length 4 (${n(codeSpace(4))} codes) takes any preload`,
          });
      });
  }
  return out;
}
