// Capacity units in DynamoDB's sense: what one read or write of an item costs
// against provisioned (or on-demand) throughput. A strongly consistent read
// costs one read unit per started 4 KiB of the item, an eventually consistent
// read half that; a write costs one write unit per started 1 KiB. Every
// operation costs at least one unit's worth (an empty item included). Pure
// arithmetic, so cost models can price the counts later.

/** Bytes of item one read capacity unit covers. */
export const READ_UNIT_BYTES = 4096;
/** Bytes of item one write capacity unit covers. */
export const WRITE_UNIT_BYTES = 1024;

function checkBytes(bytes: number): void {
  if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new RangeError(`bytes must be >= 0, got ${bytes}`);
}

/** Read capacity units of reading an item of `bytes`: strongly consistent, or eventually (half). */
export function readCapacityUnits(bytes: number, strong: boolean): number {
  checkBytes(bytes);
  const units = Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));
  return strong ? units : units / 2;
}

/** Write capacity units of writing an item of `bytes`. */
export function writeCapacityUnits(bytes: number): number {
  checkBytes(bytes);
  return Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
}
