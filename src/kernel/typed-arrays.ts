// Growing a typed array while keeping its contents: the pools and per-key
// tables of mechanisms and components double their arrays as they fill.

type Growable = Float64Array | Int32Array | Uint8Array;

/** A copy of `a`, `length` long (its own kind), the new tail set to `fill`. */
export function grown<T extends Growable>(a: T, length: number, fill = 0): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  if (fill !== 0) b.fill(fill, a.length);
  b.set(a);
  return b;
}
