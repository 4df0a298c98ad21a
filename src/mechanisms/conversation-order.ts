// Per-conversation message order (CR-09): what a chat client shows, and how
// often a message lands above messages already on the screen.
//
// Users are grouped into conversations of `members` consecutive ids (2: one
// to one). A message is stamped with an ordering key when it is sent, and a
// client shows its conversation's messages sorted by that key:
//   - client-clock: the key is the sender's own clock at sending, which is
//     off by a fixed offset per user (clock skew). Two senders whose clocks
//     disagree by more than the time between their messages get them shown
//     the wrong way round;
//   - server-sequence: the key is the next number of the conversation's
//     central sequencer, handed out in the order the server accepts
//     messages.
// A viewer (one device's screen) keeps the highest key it shows; a message
// delivered with a lower key is inserted above messages already shown: an
// out-of-order delivery, the "reply above the question" users notice. When
// each viewer's deliveries come in the order the server accepted them (a
// FIFO connection fed by one mailbox), a server sequence never produces one.
//
// Memory: one number per conversation and one per viewer.

export const ORDERINGS = ["client-clock", "server-sequence"] as const;
export type Ordering = (typeof ORDERINGS)[number];

export class ConversationOrder {
  readonly conversations: number;
  /** per conversation: the last sequence number the sequencer handed out */
  private readonly last: Float64Array;
  /** per viewer: the highest key shown so far */
  private readonly shown: Float64Array;
  /** messages stamped */
  stamped = 0;
  /** deliveries shown */
  delivered = 0;
  /** deliveries whose key is below one already shown */
  outOfOrder = 0;

  constructor(
    readonly users: number,
    /** users per conversation */
    readonly members: number,
    readonly ordering: Ordering,
    /** per user: how far its clock is ahead of true time, ms (negative: behind) */
    private readonly offsets: Float64Array,
    /** screens showing conversations (device connections) */
    viewers: number,
  ) {
    if (!(members >= 2 && Number.isInteger(members)))
      throw new RangeError(`a conversation needs at least 2 members, got ${members}`);
    if (offsets.length !== users) throw new RangeError(`${offsets.length} clock offsets for ${users} users`);
    this.conversations = Math.ceil(users / members);
    this.last = new Float64Array(this.conversations);
    this.shown = new Float64Array(viewers).fill(-Infinity);
  }

  conversationOf(user: number): number {
    return Math.floor(user / this.members);
  }

  /** The conversation's members are users first(conv) .. end(conv) - 1. */
  first(conv: number): number {
    return conv * this.members;
  }

  end(conv: number): number {
    const e = (conv + 1) * this.members;
    return e < this.users ? e : this.users;
  }

  /** The ordering key of a message `sender` sends to its conversation at true time `now`. */
  stamp(sender: number, now: number): number {
    this.stamped++;
    if (this.ordering === "client-clock") return now + this.offsets[sender];
    return ++this.last[this.conversationOf(sender)];
  }

  /** A message with `key` reaches `viewer`'s screen; true when it lands above one shown already. */
  show(viewer: number, key: number): boolean {
    this.delivered++;
    if (key < this.shown[viewer]) {
      this.outOfOrder++;
      return true;
    }
    this.shown[viewer] = key;
    return false;
  }
}
