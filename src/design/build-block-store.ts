// Builds a block-store component (file sync's content-addressed block service).
import { BlockService } from "../components/block-store.js";
import { QUEUE_FULL } from "../components/outcomes.js";
import { sampler } from "../kernel/distributions.js";
import { DEFAULTS, queueCap } from "./defaults.js";
import type { ComponentSpec } from "./schema.js";

type BlockStoreSpec = Extract<ComponentSpec, { kind: "block-store" }>;

export function buildBlockStore(name: string, c: BlockStoreSpec): BlockService {
  const D = DEFAULTS.blockStore;
  return new BlockService(name, {
    instances: c.instances ?? D.instances,
    concurrency: c.concurrency ?? D.concurrency,
    queue: queueCap(c.queue, D.queue),
    rejectCause: QUEUE_FULL,
    blocks: {
      blockSize: c.blockSize ?? D.blockSize,
      dedup: c.dedup ?? D.dedup,
      sync: c.sync ?? D.sync,
      duplicate: c.duplicate ?? D.duplicate,
      commonBlocks: c.commonBlocks ?? D.commonBlocks,
      changed: c.changed ?? D.changed,
    },
    files: c.files ?? D.files,
    fileSize: sampler(c.fileSize ?? D.fileSize),
    uplinkBytesPerMs: (c.uplink ?? D.uplink) / 1000,
    opTime: sampler(c.opTime ?? D.opTime),
  });
}
