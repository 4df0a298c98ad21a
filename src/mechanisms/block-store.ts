// A content-addressed block store for file sync (Dropbox/Drive, DC-08). A
// file is a list of fixed-size blocks, each named by its content (the hash of
// its bytes; here a content id stands for the hash). Two things it decides:
//
// - what an edit uploads: the whole file, or (delta sync) only the blocks
//   whose hashes the server answers it lacks after the client sends the file's
//   hash list: the changed blocks, minus, with dedup, those whose content the
//   store already holds for anyone;
// - what it stores: with dedup, one copy of each distinct block however many
//   files (or places in one file) refer to it, freed when the last reference
//   goes; without, every file's blocks in full.
//
// Block contents are drawn, not hashed from real bytes: a new full block is,
// with probability `duplicate`, a copy of one of `commonBlocks` common
// contents (the same installer, photo or library in many users' folders),
// else content nobody has. So the dedup saving emerges from which contents
// are really shared, and a pool seen only once saves nothing.
//
// Only each file's current version is kept (old versions' blocks are freed),
// so memory is bounded by the files' blocks plus the common pool.
//
// Saves of one file that overlap (the second starts before the first
// commits, so from the same version) conflict: commitVersion reports the
// later one, which file sync keeps as a "conflict copy".

/** The randomness the store draws from (a kernel Rng fits). */
export interface BlockRandom {
  /** uniform in [0, 1) */
  next(): number;
  /** uniform integer in [0, n) */
  int(n: number): number;
}

export type SyncMode = "delta" | "whole-file";

export interface BlockStoreConfig {
  /** bytes per block; a file's last block holds the remainder */
  blockSize: number;
  /** one stored copy per distinct content (and, with delta sync, no upload of a content already stored) */
  dedup: boolean;
  /** what a client uploads after an edit */
  sync: SyncMode;
  /** share of new full blocks whose content is a common one, in [0, 1] */
  duplicate: number;
  /** how many common contents there are (> 0) */
  commonBlocks: number;
  /** share of a file's blocks an edit rewrites, in [0, 1]; an edit rewrites at least one */
  changed: number;
}

/** What one upload (a new file, or an edit) did. */
export interface SyncResult {
  /** blocks in the file */
  blocks: number;
  /** bytes of the file: what a whole-file sync sends */
  bytes: number;
  /** blocks whose content is new to the file (all of them for a new file) */
  changedBlocks: number;
  /** bytes of those blocks: what a delta sync sends without dedup */
  changedBytes: number;
  /** blocks sent over the wire */
  uploadedBlocks: number;
  uploadedBytes: number;
  /** changed blocks whose content the store already held, or this upload carried already (dedup only): not stored again */
  dedupHits: number;
}

interface FileEntry {
  /** content id of each block */
  blocks: number[];
  /** bytes of the file */
  bytes: number;
  /** versions committed (see commitVersion) */
  version: number;
}

export class BlockStore {
  private readonly files = new Map<number, FileEntry>();
  /** dedup: content id -> references from files' blocks */
  private readonly refs = new Map<number, number>();
  /** bytes of each fresh (non-common) content that has references; common ones are full blocks */
  private readonly sizes = new Map<number, number>();
  private nextId: number;
  private logical = 0;
  private stored = 0;
  /** scratch for picking an edit's blocks without replacement */
  private order = new Int32Array(16);
  private readonly seen = new Set<number>();

  constructor(
    readonly cfg: BlockStoreConfig,
    private readonly rand: BlockRandom,
  ) {
    if (!(cfg.blockSize > 0)) throw new RangeError(`blockSize must be > 0, got ${cfg.blockSize}`);
    if (!(cfg.duplicate >= 0 && cfg.duplicate <= 1))
      throw new RangeError(`duplicate must be in [0, 1], got ${cfg.duplicate}`);
    if (!(cfg.changed >= 0 && cfg.changed <= 1))
      throw new RangeError(`changed must be in [0, 1], got ${cfg.changed}`);
    if (!Number.isInteger(cfg.commonBlocks) || cfg.commonBlocks < 1)
      throw new RangeError(`commonBlocks must be a whole number > 0, got ${cfg.commonBlocks}`);
    this.nextId = cfg.commonBlocks; // ids below are the common contents
  }

  has(file: number): boolean {
    return this.files.has(file);
  }

  /** The file's block list (content ids), for inspection. */
  blocksOf(file: number): readonly number[] | undefined {
    return this.files.get(file)?.blocks;
  }

  /** Bytes of a content id. */
  bytesOf(id: number): number {
    return id < this.cfg.commonBlocks ? this.cfg.blockSize : (this.sizes.get(id) ?? 0);
  }

  get fileCount(): number {
    return this.files.size;
  }

  /** Bytes of all files' current versions, as users see them. */
  get logicalBytes(): number {
    return this.logical;
  }

  /** Bytes the store holds: distinct contents with dedup, every file's blocks without. */
  get storedBytes(): number {
    return this.cfg.dedup ? this.stored : this.logical;
  }

  /** Distinct contents held (dedup), or blocks held. */
  get storedBlocks(): number {
    if (this.cfg.dedup) return this.refs.size;
    let n = 0;
    for (const f of this.files.values()) n += f.blocks.length;
    return n;
  }

  /** The file's committed version: what a save that starts now is based on (0 for a file not held). */
  versionOf(file: number): number {
    return this.files.get(file)?.version ?? 0;
  }

  /**
   * Commits a save that started from version `base`. If another save of the
   * file committed since, the two were concurrent: the server cannot merge
   * two versions of an arbitrary file, so this one is kept beside it as a
   * conflict copy (true). Either way the file's version moves on.
   */
  commitVersion(file: number, base: number): boolean {
    const f = this.files.get(file);
    if (!f) throw new Error(`no file ${file}`);
    const conflict = f.version !== base;
    f.version++;
    return conflict;
  }

  /** Uploads a file the store does not have: every block is new to it. */
  addFile(file: number, bytes: number): SyncResult {
    if (this.files.has(file)) throw new Error(`file ${file} exists already`);
    if (!(bytes > 0)) throw new RangeError(`a file has at least one byte, got ${bytes}`);
    const n = Math.ceil(bytes / this.cfg.blockSize);
    const blocks = new Array<number>(n);
    for (let i = 0; i < n; i++) blocks[i] = this.newContent(this.blockBytes(bytes, n, i));
    this.files.set(file, { blocks, bytes, version: 0 });
    this.logical += bytes;
    const all = Array.from({ length: n }, (_, i) => i);
    return this.commit(blocks, bytes, all, []);
  }

  /** An edit of an existing file rewrites max(1, round(changed x blocks)) of its blocks, chosen at random. */
  edit(file: number): SyncResult {
    const f = this.files.get(file);
    if (!f) throw new Error(`no file ${file}`);
    const n = f.blocks.length;
    const k = Math.max(1, Math.round(this.cfg.changed * n));
    if (this.order.length < n) this.order = new Int32Array(Math.max(n, 2 * this.order.length));
    const order = this.order;
    for (let i = 0; i < n; i++) order[i] = i;
    const positions: number[] = [];
    const old: number[] = [];
    for (let i = 0; i < k; i++) {
      // partial Fisher-Yates: the first k of a uniform permutation
      const j = i + this.rand.int(n - i);
      const p = order[j];
      order[j] = order[i];
      order[i] = p;
      positions.push(p);
      old.push(f.blocks[p]);
      f.blocks[p] = this.newContent(this.blockBytes(f.bytes, n, p));
    }
    return this.commit(f.blocks, f.bytes, positions, old);
  }

  /** Bytes of block i of a file of `bytes` bytes in n blocks. */
  private blockBytes(bytes: number, n: number, i: number): number {
    return i < n - 1 ? this.cfg.blockSize : bytes - (n - 1) * this.cfg.blockSize;
  }

  /** A content for a new block: a common one (full blocks only), or one nobody has. */
  private newContent(bytes: number): number {
    const cfg = this.cfg;
    if (bytes === cfg.blockSize && cfg.duplicate > 0 && this.rand.next() < cfg.duplicate)
      return this.rand.int(cfg.commonBlocks);
    const id = this.nextId++;
    this.sizes.set(id, bytes);
    return id;
  }

  /**
   * Accounts an upload: `positions` of `blocks` hold new contents, replacing
   * `old` (empty for a new file). References are added before the old ones
   * are dropped, so a content that only moved within the store stays.
   */
  private commit(blocks: number[], bytes: number, positions: number[], old: number[]): SyncResult {
    const cfg = this.cfg;
    let changedBytes = 0;
    let dedupHits = 0;
    let uploadedBlocks = 0;
    let uploadedBytes = 0;
    const seen = this.seen;
    seen.clear();
    for (const p of positions) {
      const id = blocks[p];
      const b = this.bytesOf(id);
      changedBytes += b;
      if (!cfg.dedup) {
        uploadedBlocks++;
        uploadedBytes += b;
        continue;
      }
      const had = this.refs.get(id) ?? 0;
      // a content already stored, or sent earlier in this same upload
      const held = had > 0 || seen.has(id);
      if (held) dedupHits++;
      else {
        seen.add(id);
        uploadedBlocks++;
        uploadedBytes += b;
      }
      if (had === 0) this.stored += b;
      this.refs.set(id, had + 1);
    }
    for (const id of old) this.release(id);
    if (cfg.sync === "whole-file") {
      uploadedBlocks = blocks.length;
      uploadedBytes = bytes;
    }
    return {
      blocks: blocks.length,
      bytes,
      changedBlocks: positions.length,
      changedBytes,
      uploadedBlocks,
      uploadedBytes,
      dedupHits,
    };
  }

  private release(id: number): void {
    if (!this.cfg.dedup) {
      this.sizes.delete(id);
      return;
    }
    const r = (this.refs.get(id) ?? 0) - 1;
    if (r > 0) {
      this.refs.set(id, r);
      return;
    }
    this.stored -= this.bytesOf(id);
    this.refs.delete(id);
    this.sizes.delete(id);
  }
}
