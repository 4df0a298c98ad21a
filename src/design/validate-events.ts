// Checks of event flows between databases and topics: a relay reads a
// database and publishes to a topic, once per (database, source, topic); an
// outbox write names a topic whose outbox relay exists, on a database; an
// outbox relay has writes that fill its outbox.
import type { ComponentSpec, Design } from "./schema.js";
import type { Problem } from "./validate.js";

type Kind = ComponentSpec["kind"];
type Ref = (
  path: (string | number)[],
  name: string,
  kinds: Kind[],
  role: string,
) => ComponentSpec | undefined;
type RelaySpec = Extract<ComponentSpec, { kind: "relay" }>;
type ServiceSpec = Extract<ComponentSpec, { kind: "service" | "consumer" }>;

function relays(d: Design): [string, RelaySpec][] {
  return Object.entries(d.components).filter((e): e is [string, RelaySpec] => e[1].kind === "relay");
}

/** The write steps of every service and consumer, with their paths. */
function writeSteps(d: Design): { path: (string | number)[]; write: string; outbox?: string }[] {
  const out: { path: (string | number)[]; write: string; outbox?: string }[] = [];
  for (const [name, c] of Object.entries(d.components)) {
    if (c.kind !== "service" && c.kind !== "consumer") continue;
    const routes =
      (c as ServiceSpec).kind === "consumer"
        ? { "*": (c as Extract<ServiceSpec, { kind: "consumer" }>).steps }
        : (c as Extract<ServiceSpec, { kind: "service" }>).routes;
    for (const [route, steps] of Object.entries(routes))
      steps.forEach((s, i) => {
        if ("write" in s)
          out.push({
            path:
              c.kind === "consumer"
                ? ["components", name, "steps", i]
                : ["components", name, "routes", route, i],
            write: s.write,
            outbox: s.outbox,
          });
      });
  }
  return out;
}

export function relayProblems(name: string, c: RelaySpec, d: Design, ref: Ref): Problem[] {
  const out: Problem[] = [];
  const at = (...p: (string | number)[]) => ["components", name, ...p];
  const db = ref(at("from"), c.from, ["database"], "relay database");
  const topic = ref(at("to"), c.to, ["topic"], "relay topic");
  if (!db || !topic) return out;
  const source = c.source ?? "outbox";
  const twin = relays(d).find(
    ([n, r]) => n !== name && r.from === c.from && r.to === c.to && (r.source ?? "outbox") === source,
  );
  if (twin && twin[0] < name)
    out.push({
      path: at(),
      message: `relays "${twin[0]}" and "${name}" both publish ${c.from}'s ${source} to ${c.to}: every event would be published twice`,
      hint: `remove one of them`,
      atKey: true,
    });
  if (source === "outbox" && !writeSteps(d).some((w) => w.write === c.from && w.outbox === c.to))
    out.push({
      path: at(),
      message: `relay "${name}" publishes ${c.from}'s outbox rows for ${c.to}, and no write step puts any there`,
      hint: `add outbox: ${c.to} to a step that writes ${c.from}, or use source: log to publish every write`,
      atKey: true,
    });
  return out;
}

/** A write step with outbox: the topic exists, the store is a database, and a relay publishes its rows. */
export function outboxProblems(
  s: { write: string; outbox?: string; cache?: string },
  p: (string | number)[],
  d: Design,
  ref: Ref,
): Problem[] {
  if (s.outbox === undefined) return [];
  const out: Problem[] = [];
  if (!ref([...p, "outbox"], s.outbox, ["topic"], "outbox topic")) return out;
  const store = d.components[s.write];
  if (store && store.kind !== "database") {
    out.push({
      path: [...p, "outbox"],
      message: `an outbox row is committed in the same transaction as the write; "${s.write}" is a ${store.kind}, which has no transactions across rows`,
      hint: "write to a database, or publish with a publish step",
      atKey: true,
    });
    return out;
  }
  if (s.cache !== undefined)
    out.push({
      path: [...p, "outbox"],
      message:
        "with a cache on the step the write goes through the cache, which writes the row without its outbox row",
      hint: "remove cache from this step",
      atKey: true,
    });
  if (
    !relays(d).some(([, r]) => r.from === s.write && r.to === s.outbox && (r.source ?? "outbox") === "outbox")
  )
    out.push({
      path: [...p, "outbox"],
      message: `nothing publishes ${s.write}'s outbox rows for ${s.outbox}: they would wait forever`,
      hint: `add a component { kind: relay, from: ${s.write}, to: ${s.outbox} }`,
      atKey: true,
    });
  return out;
}
