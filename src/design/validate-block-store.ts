// Checks of a block store's settings that the schema cannot express: a block
// size, a common pool and an uplink that must be positive and whole, a pool
// set without copies to draw from it, and a start population too big to keep.
import type { ComponentSpec } from "./schema.js";
import type { Problem } from "./validate.js";

type BlockStoreSpec = Extract<ComponentSpec, { kind: "block-store" }>;

/** Files are kept block list by block list: more than this many blocks at the start would take gigabytes. */
export const MAX_START_BLOCKS = 20_000_000;

export function blockStoreProblems(name: string, c: BlockStoreSpec): Problem[] {
  const out: Problem[] = [];
  const at = (...p: (string | number)[]) => ["components", name, ...p];
  if (c.blockSize !== undefined && !(c.blockSize >= 1))
    out.push({
      path: at("blockSize"),
      message: `blockSize is ${c.blockSize} bytes`,
      expected: "a size of at least 1B, e.g. 4MiB",
    });
  for (const field of ["files", "commonBlocks"] as const) {
    const v = c[field];
    if (v !== undefined && (!Number.isInteger(v) || v < (field === "files" ? 0 : 1)))
      out.push({
        path: at(field),
        message: `${field} is ${v}`,
        expected: field === "files" ? "a whole number ≥ 0" : "a whole number > 0",
      });
  }
  if (c.uplink !== undefined && !(c.uplink > 0))
    out.push({
      path: at("uplink"),
      message: "an uplink of zero never finishes an upload",
      expected: "a bandwidth > 0, e.g. 100Mbps",
    });
  if (c.commonBlocks !== undefined && c.duplicate === undefined)
    out.push({
      path: at("commonBlocks"),
      message: `commonBlocks does nothing without duplicate: no block of "${name}" is a copy of a common one`,
      hint: "set duplicate (e.g. 50%) to the share of new blocks that are copies",
      atKey: true,
    });
  // the start population must fit: blocks per file x files
  const blockSize = c.blockSize ?? 4 * 1024 * 1024;
  const files = c.files ?? 0;
  const size = c.fileSize;
  const typical = typeof size === "object" && size && "value" in size ? Number(size.value) : undefined;
  if (typical !== undefined && files * Math.ceil(typical / blockSize) > MAX_START_BLOCKS)
    out.push({
      path: at("files"),
      message: `${files} files of ${typical} bytes are ${files * Math.ceil(typical / blockSize)} blocks at the start: archsim keeps every block's content id`,
      expected: `at most ${MAX_START_BLOCKS} blocks (fewer files, larger blocks)`,
    });
  return out;
}
