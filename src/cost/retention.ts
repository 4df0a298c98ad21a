// What a log's retained data occupies once the run's publish rate has gone
// on for the whole retention period (the steady state a month of it
// reaches): each message stays `retention`; with tiered storage (Pulsar) the
// first `after` of it on the brokers' disks, in `copies` replicas, and the
// rest in object storage, which keeps its own redundancy (one copy paid).
// Offloading pays off as soon as data is kept longer than `after`: every
// byte-day past it costs an object store's price instead of `copies` disks'.
export interface RetainedGb {
  /** GB held on the brokers' disks (all replicas) */
  diskGb: number;
  /** GB held in object storage */
  objectGb: number;
}

export function retainedGb(
  bytesPerSecond: number,
  retentionMs: number,
  tieredAfterMs: number,
  copies: number,
): RetainedGb {
  const onDisk = Math.min(retentionMs, tieredAfterMs);
  const offloaded = Math.max(0, retentionMs - tieredAfterMs);
  return {
    diskGb: (bytesPerSecond * (onDisk / 1000) * copies) / 1e9,
    objectGb: (bytesPerSecond * (offloaded / 1000)) / 1e9,
  };
}
