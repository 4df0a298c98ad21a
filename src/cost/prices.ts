// The price catalogue: every dollar figure archsim uses, as data in one place,
// so that updating prices is an edit of this file and nothing else.
//
// Source: AWS public on-demand list prices, region us-east-1 (N. Virginia),
// Linux, no upfront commitment, no free tier, as published on the EC2,
// ElastiCache, RDS for PostgreSQL (Single-AZ), MSK, Amazon MQ, SQS,
// CloudFront, Elastic Load Balancing, Route 53, API Gateway, S3 and data
// transfer pricing pages as of mid-2024, written down from those list prices
// without re-checking the pages (no network here): spot-check before relying
// on a figure. Prices change and differ by region; these are for comparing
// designs, not for a bill. The ALB
// and S3 figures agree with the seeds (CATALOGUE §1.4).
//
// Everything here must stay plain data (no Node imports): the core bundles for
// the browser (test/browser-core.test.ts).

export const PRICES_AS_OF = "2024-06";
export const PRICES_SOURCE = "AWS on-demand list prices, us-east-1, as of mid-2024 (not re-verified)";

/** Hours in a month for every $/month figure: 365 × 24 / 12 = 730, as cloud bills use. */
export const HOURS_PER_MONTH = 730;

/** Which product an instance type belongs to, which decides the components it can price. */
export type InstanceFamily = "ec2" | "elasticache" | "rds" | "msk" | "mq";

export interface InstancePrice {
  family: InstanceFamily;
  vcpu: number;
  memoryGiB: number;
  /** dollars per instance-hour */
  hourly: number;
}

const ec2 = (vcpu: number, memoryGiB: number, hourly: number): InstancePrice => ({
  family: "ec2",
  vcpu,
  memoryGiB,
  hourly,
});
const managed =
  (family: InstanceFamily) =>
  (vcpu: number, memoryGiB: number, hourly: number): InstancePrice => ({ family, vcpu, memoryGiB, hourly });
const cache = managed("elasticache");
const rds = managed("rds");
const msk = managed("msk");
const mq = managed("mq");

/** Instance types: compute (EC2) and the node types of managed caches, databases and brokers. */
export const INSTANCE_TYPES = {
  // EC2 general purpose, burstable
  "t3.micro": ec2(2, 1, 0.0104),
  "t3.small": ec2(2, 2, 0.0208),
  "t3.medium": ec2(2, 4, 0.0416),
  "t3.large": ec2(2, 8, 0.0832),
  "t3.xlarge": ec2(4, 16, 0.1664),
  "t3.2xlarge": ec2(8, 32, 0.3328),
  // EC2 general purpose
  "m5.large": ec2(2, 8, 0.096),
  "m5.xlarge": ec2(4, 16, 0.192),
  "m5.2xlarge": ec2(8, 32, 0.384),
  "m5.4xlarge": ec2(16, 64, 0.768),
  "m5.8xlarge": ec2(32, 128, 1.536),
  "m5.12xlarge": ec2(48, 192, 2.304),
  "m5.16xlarge": ec2(64, 256, 3.072),
  "m5.24xlarge": ec2(96, 384, 4.608),
  "m6i.large": ec2(2, 8, 0.096),
  "m6i.xlarge": ec2(4, 16, 0.192),
  "m6i.2xlarge": ec2(8, 32, 0.384),
  "m6i.4xlarge": ec2(16, 64, 0.768),
  "m6i.8xlarge": ec2(32, 128, 1.536),
  "m6i.16xlarge": ec2(64, 256, 3.072),
  "m6i.32xlarge": ec2(128, 512, 6.144),
  // EC2 compute optimised
  "c5.large": ec2(2, 4, 0.085),
  "c5.xlarge": ec2(4, 8, 0.17),
  "c5.2xlarge": ec2(8, 16, 0.34),
  "c5.4xlarge": ec2(16, 32, 0.68),
  "c5.9xlarge": ec2(36, 72, 1.53),
  "c5.18xlarge": ec2(72, 144, 3.06),
  // EC2 memory optimised
  "r5.large": ec2(2, 16, 0.126),
  "r5.xlarge": ec2(4, 32, 0.252),
  "r5.2xlarge": ec2(8, 64, 0.504),
  "r5.4xlarge": ec2(16, 128, 1.008),
  "r5.8xlarge": ec2(32, 256, 2.016),
  "r5.16xlarge": ec2(64, 512, 4.032),
  // ElastiCache (Redis OSS / Memcached) nodes
  "cache.t3.micro": cache(2, 0.5, 0.017),
  "cache.t3.small": cache(2, 1.37, 0.034),
  "cache.t3.medium": cache(2, 3.09, 0.068),
  "cache.m5.large": cache(2, 6.38, 0.156),
  "cache.m5.xlarge": cache(4, 12.93, 0.311),
  "cache.m5.2xlarge": cache(8, 26.04, 0.623),
  "cache.r5.large": cache(2, 13.07, 0.216),
  "cache.r5.xlarge": cache(4, 26.32, 0.431),
  "cache.r5.2xlarge": cache(8, 52.82, 0.862),
  "cache.r6g.large": cache(2, 13.07, 0.206),
  "cache.r6g.xlarge": cache(4, 26.32, 0.411),
  "cache.r6g.2xlarge": cache(8, 52.82, 0.821),
  // RDS for PostgreSQL, Single-AZ (storage is priced apart: STORAGE.gp3)
  "db.t3.micro": rds(2, 1, 0.018),
  "db.t3.small": rds(2, 2, 0.036),
  "db.t3.medium": rds(2, 4, 0.072),
  "db.m5.large": rds(2, 8, 0.178),
  "db.m5.xlarge": rds(4, 16, 0.356),
  "db.m5.2xlarge": rds(8, 32, 0.712),
  "db.m5.4xlarge": rds(16, 64, 1.424),
  "db.r5.large": rds(2, 16, 0.25),
  "db.r5.xlarge": rds(4, 32, 0.5),
  "db.r5.2xlarge": rds(8, 64, 1.0),
  "db.r5.4xlarge": rds(16, 128, 2.0),
  "db.r6g.large": rds(2, 16, 0.225),
  "db.r6g.xlarge": rds(4, 32, 0.45),
  // MSK (Kafka) brokers
  "kafka.t3.small": msk(2, 2, 0.0456),
  "kafka.m5.large": msk(2, 8, 0.21),
  "kafka.m5.xlarge": msk(4, 16, 0.42),
  "kafka.m5.2xlarge": msk(8, 32, 0.84),
  "kafka.m5.4xlarge": msk(16, 64, 1.68),
  // Amazon MQ (RabbitMQ) brokers, single-instance
  "mq.t3.micro": mq(2, 1, 0.0302),
  "mq.m5.large": mq(2, 8, 0.288),
  "mq.m5.xlarge": mq(4, 16, 0.576),
  "mq.m5.2xlarge": mq(8, 32, 1.152),
  "mq.m5.4xlarge": mq(16, 64, 2.304),
} as const satisfies Record<string, InstancePrice>;

export type InstanceTypeName = keyof typeof INSTANCE_TYPES;

/** Usage-priced managed services, by the component kind they price. */
export const SERVICES = {
  /** Application Load Balancer: per LB-hour and per LCU-hour. */
  alb: {
    kind: "load-balancer",
    hourly: 0.0225,
    lcuHourly: 0.008,
    // An LCU is the largest of four dimensions; with keep-alive clients the
    // binding one is rule evaluations, 1,000 per second. archsim prices one
    // rule evaluation per request.
    requestsPerSecondPerLcu: 1000,
  },
  /** Network Load Balancer: per LB-hour and per NLCU-hour (800 new TCP flows/s each; one per request). */
  nlb: { kind: "load-balancer", hourly: 0.0225, lcuHourly: 0.006, requestsPerSecondPerLcu: 800 },
  /** CloudFront: data out to the internet (first 10 TB, US/Europe) and HTTPS requests. */
  cloudfront: { kind: "cdn", perGbOut: 0.085, per10kRequests: 0.01 },
  /** SQS: per million API requests; a message costs a send, a receive and a delete, a redelivery another receive. */
  "sqs-standard": { kind: "queue", perMillionRequests: 0.4 },
  "sqs-fifo": { kind: "queue", perMillionRequests: 0.5 },
  /** Route 53: a hosted zone per month and standard queries per million (answered by the authoritative servers). */
  route53: { kind: "dns", zoneMonthly: 0.5, perMillionQueries: 0.4 },
  /** API Gateway: HTTP APIs and REST APIs, per million requests (first tier). */
  "apigw-http": { kind: "gateway", perMillionRequests: 1.0 },
  "apigw-rest": { kind: "gateway", perMillionRequests: 3.5 },
} as const;

export type ServiceName = keyof typeof SERVICES;

/** Storage, per GB-month (GB = 10^9 bytes). */
export const STORAGE = {
  /** EBS/RDS general purpose SSD, what a database's `storage` is priced at */
  gp3: { perGbMonth: 0.115 },
  /** S3 Standard, first 50 TB; also what `archsim estimate` prices retained data at */
  s3: { perGbMonth: 0.023 },
} as const;

/** Data transfer, per GB. */
export const TRANSFER = {
  /** out of the cloud to the internet (first 10 TB) */
  internetOutPerGb: 0.09,
  /** between availability zones of one region, each way */
  interZonePerGb: 0.01,
  /** between regions */
  interRegionPerGb: 0.02,
} as const;

/** The instance families each component kind can be priced with (ec2: it runs on its own instances). */
export const FAMILIES_BY_KIND: Record<string, readonly InstanceFamily[]> = {
  service: ["ec2"],
  consumer: ["ec2"],
  gateway: ["ec2"],
  realtime: ["ec2"],
  "limiter-store": ["ec2", "elasticache"],
  "block-store": ["ec2"],
  cache: ["ec2", "elasticache"],
  database: ["ec2", "rds"],
  "quorum-store": ["ec2"],
  "multi-leader": ["ec2", "rds"],
  topic: ["ec2", "msk"],
  queue: ["ec2", "mq"],
};

export function instancePrice(name: string): InstancePrice | undefined {
  return Object.hasOwn(INSTANCE_TYPES, name) ? INSTANCE_TYPES[name as InstanceTypeName] : undefined;
}

export function servicePrice(name: string): (typeof SERVICES)[ServiceName] | undefined {
  return Object.hasOwn(SERVICES, name) ? SERVICES[name as ServiceName] : undefined;
}
