// The block service of a file-sync design (Dropbox/Drive, DC-08): a service's
// `call` step uploads a file, the request's key. A key the store has not seen
// is a new file (every block sent, save those dedup finds stored); a key it
// has is an edit of that file. What crosses the wire is decided by the
// content-addressed BlockStore (whole file, or delta: the blocks whose hashes
// the server lacks), and it takes that many bytes over the client's uplink,
// plus `opTime` of the server's own work (hash list check, commit). The
// connection holds one of the node's workers meanwhile.
//
// Saves of one file whose uploads overlap started from the same version: the
// one that commits second is counted as a conflict copy (the copy's blocks
// are not stored again here).
//
// The files present at the start (`files`) were uploaded before the run: they
// set the stored bytes and the dedup saving, and are not counted as uploads.
import type { Sampler } from "../kernel/distributions.js";
import { BlockStore, type BlockStoreConfig } from "../mechanisms/block-store.js";
import type { Job } from "./job.js";
import { OK } from "./outcomes.js";
import type { ComponentReport, Sim } from "./runtime.js";
import { Station, type StationConfig } from "./station.js";

export interface BlockServiceConfig extends StationConfig {
  blocks: BlockStoreConfig;
  /** files already uploaded at the start: keys 0..files-1 */
  files: number;
  /** bytes of a new file, drawn once per file */
  fileSize: Sampler;
  /** bytes per millisecond of a client's upload link */
  uplinkBytesPerMs: number;
  /** server time per upload */
  opTime: Sampler;
}

const MiB = 1024 * 1024;

export class BlockService extends Station {
  readonly kind = "block-store";
  private store!: BlockStore;
  private doneEv = -1;
  private readonly totals = {
    uploads: 0,
    newFiles: 0,
    edits: 0,
    fileBytes: 0,
    changedBlocks: 0,
    changedBytes: 0,
    uploadedBlocks: 0,
    uploadedBytes: 0,
    dedupHits: 0,
    conflicts: 0,
  };
  /** uploads in progress: job id -> the file version the save started from */
  private readonly bases = new Map<number, number>();
  private uploadedSeries: number[] = [];
  private uploadedAtTick = 0;
  private startSaving = 0;

  constructor(
    name: string,
    private readonly bc: BlockServiceConfig,
  ) {
    super(name, bc);
  }

  override attach(sim: Sim, index: number): void {
    super.attach(sim, index);
    this.doneEv = sim.q.on((id) => this.done(id));
    // contents and file sizes from a stream of its own, apart from the station's service times
    const rng = sim.stream(`${this.name}/blocks`);
    this.store = new BlockStore(this.bc.blocks, rng);
    for (let f = 0; f < this.bc.files; f++) this.store.addFile(f, this.drawSize());
    this.startSaving = this.saving();
  }

  private drawSize(): number {
    return Math.max(1, Math.round(this.bc.fileSize.sample(this.rng)));
  }

  private saving(): number {
    const logical = this.store.logicalBytes;
    return logical > 0 ? 1 - this.store.storedBytes / logical : 0;
  }

  protected begin(job: Job): void {
    const s = this.store;
    const isNew = !s.has(job.key);
    this.bases.set(job.id, s.versionOf(job.key));
    const r = isNew ? s.addFile(job.key, this.drawSize()) : s.edit(job.key);
    const t = this.totals;
    t.uploads++;
    if (isNew) t.newFiles++;
    else t.edits++;
    t.fileBytes += r.bytes;
    t.changedBlocks += r.changedBlocks;
    t.changedBytes += r.changedBytes;
    t.uploadedBlocks += r.uploadedBlocks;
    t.uploadedBytes += r.uploadedBytes;
    t.dedupHits += r.dedupHits;
    const ms = this.bc.opTime.sample(this.rng) + r.uploadedBytes / this.bc.uplinkBytesPerMs;
    this.sim.q.schedule(ms + this.slowMs, this.doneEv, job.id);
  }

  private done(id: number): void {
    const job = this.sim.pool.jobs[id];
    const base = this.bases.get(id)!;
    this.bases.delete(id);
    if (job.cancelled) return this.sim.release(job);
    // another save of the file committed during this upload: kept as a conflict copy
    if (this.store.commitVersion(job.key, base)) this.totals.conflicts++;
    this.finish(job, OK);
  }

  override tick(second: number): void {
    super.tick(second);
    const b = this.totals.uploadedBytes;
    this.uploadedSeries.push(Math.round(((b - this.uploadedAtTick) / MiB) * 1000) / 1000);
    this.uploadedAtTick = b;
  }

  report(now: number): ComponentReport {
    const base = this.stationReport(now);
    const s = this.store;
    return {
      ...base,
      sync: this.bc.blocks.sync,
      dedup: this.bc.blocks.dedup,
      blockSize: this.bc.blocks.blockSize,
      ...this.totals,
      files: s.fileCount,
      logicalBytes: s.logicalBytes,
      storedBytes: s.storedBytes,
      storedBlocks: s.storedBlocks,
      dedupSaving: this.saving(),
      startDedupSaving: this.startSaving,
      series: { ...(base.series as object), uploadedMiB: this.uploadedSeries },
    };
  }
}
