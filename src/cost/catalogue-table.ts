// The price catalogue as Markdown tables, for docs/design-file.md: the docs
// test checks the page holds exactly these tables, so they cannot drift.
import { INSTANCE_TYPES, SERVICES, STORAGE, TRANSFER } from "./prices.js";

const FAMILY: Record<string, string> = {
  ec2: "EC2",
  elasticache: "ElastiCache",
  rds: "RDS PostgreSQL",
  msk: "MSK (Kafka)",
  mq: "Amazon MQ (RabbitMQ)",
};

export function instanceTable(): string {
  const head = ["| Type | Product | vCPU | Memory (GiB) | $/hour |", "|---|---|---|---|---|"];
  const rows = Object.entries(INSTANCE_TYPES).map(
    ([n, p]) => `| \`${n}\` | ${FAMILY[p.family]} | ${p.vcpu} | ${p.memoryGiB} | ${p.hourly} |`,
  );
  return [...head, ...rows].join("\n");
}

export function serviceTable(): string {
  const head = ["| Pricing | Prices a | Prices |", "|---|---|---|"];
  const rows = Object.entries(SERVICES).map(([n, p]) => {
    const parts = Object.entries(p)
      .filter(([k]) => k !== "kind")
      .map(([k, v]) => `${k} ${v}`);
    return `| \`${n}\` | ${p.kind} | ${parts.join(", ")} |`;
  });
  const storage = Object.entries(STORAGE).map(
    ([n, p]) => `| storage \`${n}\` | — | perGbMonth ${p.perGbMonth} |`,
  );
  const transfer = Object.entries(TRANSFER).map(([k, v]) => `| transfer | — | ${k} ${v} |`);
  return [...head, ...rows, ...storage, ...transfer].join("\n");
}
