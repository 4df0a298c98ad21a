// Checks of the fields that price a design (instanceType, pricing, storage):
// every name is in the price catalogue, of a family the component can use,
// and a component is priced one way only.
import {
  FAMILIES_BY_KIND,
  INSTANCE_TYPES,
  type InstanceFamily,
  instancePrice,
  SERVICES,
  servicePrice,
} from "../cost/prices.js";
import type { ComponentSpec, Design } from "./schema.js";
import { didYouMean } from "./suggest.js";
import type { Problem } from "./validate.js";

const FAMILY_NAMES: Record<InstanceFamily, string> = {
  ec2: "a compute (EC2) instance type such as m5.large",
  elasticache: "an ElastiCache node type such as cache.r6g.large",
  rds: "an RDS instance type such as db.m5.large",
  msk: "an MSK broker type such as kafka.m5.large",
  mq: "an Amazon MQ broker type such as mq.m5.large",
};

/** The allowed type of the same size and generation under another product's prefix: cache.r6g.large -> db.r6g.large. */
function sameSize(type: string, allowed: string[]): string | undefined {
  const bare = type.replace(/^(cache|db|kafka|mq)\./, "");
  const managed = allowed.filter((n) => n !== bare && n.endsWith(`.${bare}`));
  return managed[0] ?? (allowed.includes(bare) ? bare : undefined);
}

function instanceTypeProblem(
  path: (string | number)[],
  type: string,
  kind: string,
  families: readonly InstanceFamily[],
): Problem | null {
  const allowed = Object.keys(INSTANCE_TYPES).filter((n) =>
    families.includes(INSTANCE_TYPES[n as keyof typeof INSTANCE_TYPES].family),
  );
  const expected = families.map((f) => FAMILY_NAMES[f]).join(", or ");
  const price = instancePrice(type);
  if (!price)
    return {
      path,
      message: `unknown instance type "${type}": it is not in the price catalogue`,
      expected,
      suggestion: didYouMean(type, allowed) ?? didYouMean(type, Object.keys(INSTANCE_TYPES)),
      hint: "the catalogue is src/cost/prices.ts (listed in docs/design-file.md#cost)",
    };
  if (!families.includes(price.family))
    return {
      path,
      message: `"${type}" is ${FAMILY_NAMES[price.family].replace(/ such as .*/, "")}, which cannot run a ${kind}`,
      expected,
      suggestion: sameSize(type, allowed) ?? didYouMean(type.replace(/^[a-z]+\./, ""), allowed),
    };
  return null;
}

export function costProblems(d: Design): Problem[] {
  const out: Problem[] = [];
  for (const [name, c] of Object.entries(d.components) as [string, ComponentSpec][]) {
    const at = (...p: (string | number)[]) => ["components", name, ...p];
    // a Redis broker (list, stream, pub/sub) also runs on ElastiCache nodes
    const redis = (c.kind === "topic" || c.kind === "queue") && (c.profile ?? "").startsWith("redis-");
    const families = [...(FAMILIES_BY_KIND[c.kind] ?? []), ...(redis ? (["elasticache"] as const) : [])];
    if ("instanceType" in c && c.instanceType !== undefined) {
      const p = instanceTypeProblem(at("instanceType"), c.instanceType, c.kind, families);
      if (p) out.push(p);
    }
    if (c.kind === "service" && c.resize?.instanceType !== undefined) {
      const p = instanceTypeProblem(at("resize", "instanceType"), c.resize.instanceType, c.kind, families);
      if (p) out.push(p);
    }
    if ("pricing" in c && c.pricing !== undefined) {
      const names = Object.keys(SERVICES).filter((n) => SERVICES[n as keyof typeof SERVICES].kind === c.kind);
      const s = servicePrice(c.pricing);
      if (!s || s.kind !== c.kind)
        out.push({
          path: at("pricing"),
          message: s
            ? `"${c.pricing}" prices a ${s.kind}, not a ${c.kind}`
            : `unknown pricing "${c.pricing}": it is not in the price catalogue`,
          expected: `one of ${names.join(", ")}`,
          suggestion: didYouMean(c.pricing, names),
        });
      if ("instanceType" in c && c.instanceType !== undefined)
        out.push({
          path: at("pricing"),
          message: `a ${c.kind} is priced by its instances (instanceType) or by usage (pricing), not both`,
          hint: "remove one of them",
          atKey: true,
        });
      if (c.kind === "queue") {
        const profile = c.profile ?? "sqs";
        if (profile !== "sqs")
          out.push({
            path: at("pricing"),
            message: `pricing ${c.pricing} is SQS's, and this queue is ${profile}: its nodes are priced by instanceType`,
            hint: "use instanceType (e.g. mq.m5.large), or profile: sqs",
            atKey: true,
          });
        else if (s?.kind === "queue" && (c.type ?? "standard") !== c.pricing.replace("sqs-", ""))
          out.push({
            path: at("pricing"),
            message: `pricing ${c.pricing} is for ${c.pricing.replace("sqs-", "")} queues, and this queue is ${c.type ?? "standard"}`,
            suggestion: `sqs-${c.type ?? "standard"}`,
          });
      }
    }
    if (c.kind === "queue" && c.instanceType !== undefined && (c.profile ?? "sqs") === "sqs")
      out.push({
        path: at("instanceType"),
        message: "an SQS queue has no instances to price: it is priced by requests",
        hint: `use pricing: sqs-${c.type ?? "standard"}, or profile: rabbitmq for a broker on instances`,
        atKey: true,
      });
  }
  return out;
}
