// How an AMQP exchange (RabbitMQ, MQ-15) picks the queues a message goes to,
// from its bindings: direct (the binding key equals the routing key), topic
// (the binding key is a pattern of dot-separated words, `*` standing for
// exactly one word and `#` for zero or more), fanout (every binding) and
// headers (the binding's header values all, or any, equal the message's).
// Pure: the exchange component calls route() per message.

export type ExchangeType = "direct" | "topic" | "fanout" | "headers";

export interface Binding {
  /** index of the bound queue (the caller's numbering) */
  queue: number;
  /** direct: the routing key; topic: a pattern; unused otherwise */
  key: string;
  /** headers: the values the binding asks for, and whether all or any must equal the message's */
  headers: Readonly<Record<string, string>>;
  match: "all" | "any";
}

export interface Message {
  key: string;
  headers: Readonly<Record<string, string>>;
}

/**
 * Whether a topic binding pattern matches a routing key. Words are split on
 * dots (an empty key is one empty word, as RabbitMQ has it). `#` may stand
 * for no word at all, so `a.#` matches `a`, and `#` matches everything.
 */
export function topicMatches(pattern: string, key: string): boolean {
  const p = pattern.split(".");
  const k = key.split(".");
  // reachable[j]: the pattern's first i words can match the key's first j words
  let reachable = new Uint8Array(k.length + 1);
  reachable[0] = 1;
  for (let i = 0; i < p.length; i++) {
    const next = new Uint8Array(k.length + 1);
    const w = p[i];
    for (let j = 0; j <= k.length; j++) {
      if (reachable[j] === 0) continue;
      if (w === "#") {
        // zero or more words: every later position is reachable too
        for (let t = j; t <= k.length; t++) next[t] = 1;
        break;
      }
      if (j < k.length && (w === "*" || w === k[j])) next[j + 1] = 1;
    }
    reachable = next;
  }
  return reachable[k.length] === 1;
}

export function headersMatch(b: Binding, headers: Readonly<Record<string, string>>): boolean {
  const wanted = Object.entries(b.headers);
  if (wanted.length === 0) return b.match === "all";
  const equal = ([h, v]: [string, string]) => Object.hasOwn(headers, h) && headers[h] === v;
  return b.match === "all" ? wanted.every(equal) : wanted.some(equal);
}

/** Whether one binding takes the message. */
export function bindingMatches(type: ExchangeType, b: Binding, m: Message): boolean {
  switch (type) {
    case "direct":
      return b.key === m.key;
    case "topic":
      return topicMatches(b.key, m.key);
    case "fanout":
      return true;
    case "headers":
      return headersMatch(b, m.headers);
  }
}

/**
 * The queues the message is routed to, each once (two bindings of one queue
 * that both match still give it one copy, as in RabbitMQ), in binding order.
 */
export function route(type: ExchangeType, bindings: readonly Binding[], m: Message): number[] {
  const out: number[] = [];
  for (const b of bindings) if (!out.includes(b.queue) && bindingMatches(type, b, m)) out.push(b.queue);
  return out;
}
