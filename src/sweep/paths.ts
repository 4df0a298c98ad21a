// A swept path must name something that exists: `--set components.apii.instances=...`
// would otherwise create a component "apii" and fail with a puzzling message
// about its kind. Fields inside a component are checked by the schema itself
// (unknown fields are reported with a "did you mean").
import { parseOverride } from "../design/source.js";
import { didYouMean } from "../design/suggest.js";
import { SweepSpecError } from "./values.js";

/** The path's segments, with the `api.instances` shorthand expanded to `components.api.instances`. */
export function resolveSweepPath(path: string, data: unknown): string[] {
  let segs: string[];
  try {
    segs = parseOverride(`${path}=0`).path;
  } catch (e) {
    throw new SweepSpecError((e as Error).message, "a dotted path such as components.api.instances");
  }
  const root = (data ?? {}) as Record<string, unknown>;
  const comps = (root.components ?? {}) as Record<string, unknown>;
  if (!(segs[0] in root) && segs[0] in comps) segs = ["components", ...segs];
  if (segs[0] === "components" && segs.length > 1 && !(segs[1] in comps))
    throw new SweepSpecError(
      `the design has no component "${segs[1]}"`,
      `one of ${Object.keys(comps).join(", ")}`,
      didYouMean(segs[1], Object.keys(comps)),
    );
  return segs;
}
