// Operational transformation (CR-04) for plain text, one character per
// operation, as collaborative editors (Jupiter, Google Docs) exchange them.
// Two sites edit the same text at once; each applies its own operation
// first, then the other's transformed against it, and both end with the same
// text (the TP1 property). That is what lets an editor merge concurrent edits
// where a file-sync service can only keep both versions (a conflict copy).
//
// Operations on single characters keep the set closed under transformation: a
// delete transformed against a concurrent delete of the same character
// becomes a no-op, never a split range.

export type Op =
  | {
      readonly type: "insert";
      readonly pos: number;
      readonly ch: string;
      /** the editing site; orders concurrent inserts at the same position */
      readonly site: number;
    }
  | { readonly type: "delete"; readonly pos: number }
  | { readonly type: "noop" };

export const NOOP: Op = { type: "noop" };

/** The text after `op`. Throws on a position outside the text: an operation for another state. */
export function apply(text: string, op: Op): string {
  if (op.type === "noop") return text;
  if (op.type === "insert") {
    if (op.pos < 0 || op.pos > text.length)
      throw new RangeError(`insert at ${op.pos} outside a text of length ${text.length}`);
    return text.slice(0, op.pos) + op.ch + text.slice(op.pos);
  }
  if (op.pos < 0 || op.pos >= text.length)
    throw new RangeError(`delete at ${op.pos} outside a text of length ${text.length}`);
  return text.slice(0, op.pos) + text.slice(op.pos + 1);
}

export function applyAll(text: string, ops: readonly Op[]): string {
  return ops.reduce(apply, text);
}

/**
 * `a` rewritten to apply after `b`, where both were made on the same text.
 * Concurrent inserts at one position go in site order (the lower site's
 * character first), so both sites order them alike.
 */
export function transform(a: Op, b: Op): Op {
  if (a.type === "noop" || b.type === "noop") return a;
  if (a.type === "insert") {
    if (b.type === "insert") {
      if (a.pos === b.pos && a.site === b.site)
        throw new RangeError(`concurrent inserts at ${a.pos} from one site ${a.site}: sites must differ`);
      const before = a.pos < b.pos || (a.pos === b.pos && a.site < b.site);
      return before ? a : { ...a, pos: a.pos + 1 };
    }
    // b deletes: a position after the deleted character moves back
    return a.pos <= b.pos ? a : { ...a, pos: a.pos - 1 };
  }
  if (b.type === "insert") return a.pos < b.pos ? a : { type: "delete", pos: a.pos + 1 };
  if (a.pos < b.pos) return a;
  if (a.pos > b.pos) return { type: "delete", pos: a.pos - 1 };
  return NOOP; // both deleted the same character: it is gone already
}

/**
 * Two concurrent sequences made on the same text, each rewritten to apply
 * after the other: `[a', b']` such that a then b' equals b then a'. Each of
 * a's operations is transformed across all of b's while b's are transformed
 * across it (the usual grid walk), which needs TP1 only.
 */
export function transformSeq(a: readonly Op[], b: readonly Op[]): [Op[], Op[]] {
  let other = b.slice();
  const out: Op[] = [];
  for (let x of a) {
    const next: Op[] = [];
    for (const y of other) {
      next.push(transform(y, x));
      x = transform(x, y);
    }
    other = next;
    out.push(x);
  }
  return [out, other];
}
