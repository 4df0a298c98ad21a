// Checks of URL-seen tests (seen steps) and of the pages of sites (keys.pages):
// sizes the Bloom filter and the URL ids can hold.
import { MAX_PAGES } from "../mechanisms/seen-filter.js";
import type { Design } from "./schema.js";
import type { Problem } from "./validate.js";

/** Bloom filter positions come from 32-bit hashes; more probes than this only fill it. */
const MAX_BITS = 2 ** 32;
const MAX_HASHES = 64;
/** a URL id is key x 2^20 + page: keys below 2^33 keep it an exact integer */
const MAX_SITES = 2 ** 33;

export function seenProblems(d: Design): Problem[] {
  const out: Problem[] = [];
  for (const [name, c] of Object.entries(d.components)) {
    if (c.kind === "workload")
      c.routes.forEach((r, i) => {
        const at = ["components", name, "routes", i, "keys"];
        const pages = r.keys?.pages;
        if (pages === undefined) return;
        if (pages > MAX_PAGES)
          out.push({
            path: [...at, "pages"],
            message: `a site has at most ${MAX_PAGES} (2^20) pages, got ${pages}`,
            hint: `use more sites (keys.count) with fewer pages each, e.g. pages: ${MAX_PAGES}`,
          });
        if ((r.keys?.count ?? 0) > MAX_SITES)
          out.push({
            path: [...at, "count"],
            message: `with pages, at most 2^33 sites (keys), got ${r.keys?.count}`,
            hint: "fewer keys",
          });
      });
    if (c.kind !== "service") continue;
    for (const [route, steps] of Object.entries(c.routes))
      steps.forEach((s, i) => {
        if (!("seen" in s)) return;
        const at = ["components", name, "routes", route, i, "seen"];
        if (s.seen.bits > MAX_BITS)
          out.push({
            path: [...at, "bits"],
            message: `a Bloom filter here holds at most 2^32 bits, got ${s.seen.bits}`,
            hint: "4294967296 bits (512 MiB) is the largest; ~9.6 bits per URL give a 1% false-positive rate",
          });
        if (s.seen.hashes > MAX_HASHES)
          out.push({
            path: [...at, "hashes"],
            message: `at most ${MAX_HASHES} hashes, got ${s.seen.hashes}`,
            hint: "(bits / URLs) x ln 2 is the best count: 7 for ~10 bits per URL",
          });
      });
  }
  return out;
}
