// The property panel's forms come from the zod schema: every field of every
// kind, with the schema's own description as help, its choices, and values in
// the units the schema reads.
import { describe, expect, it } from "vitest";
import { ComponentSchema, COMPONENT_KINDS, jsonSchema } from "../src/design/schema.js";
import { loadDesign } from "../src/design/load.js";
import { defaultIn, type FieldDescriptor, fieldsFor, kindHelp } from "../src/studio/forms.js";
import type { Kind } from "../src/studio/references.js";

interface Node {
  description?: string;
  properties?: Record<string, Node>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: Node[];
  oneOf?: Node[];
}
const components = (jsonSchema() as { properties: { components: { additionalProperties: Node } } }).properties
  .components.additionalProperties;
const kindSchema = (k: string) =>
  (components.oneOf ?? components.anyOf ?? []).find((o) => o.properties?.kind?.const === k)!;

describe.each(COMPONENT_KINDS as readonly Kind[])("%s", (kind) => {
  const fields = fieldsFor(kind);
  const json = kindSchema(kind);

  it("has a field per schema field, required where the schema requires it, with its description as help", () => {
    const names = Object.keys(json.properties ?? {}).filter((k) => k !== "kind");
    expect(fields.map((f) => f.key)).toEqual(names);
    for (const f of fields) {
      expect(f.required, f.key).toBe((json.required ?? []).includes(f.key));
      const desc = json.properties![f.key].description;
      if (desc) expect(f.help, f.key).toBe(desc);
      expect(f.help.length, `${kind}.${f.key} has help`).toBeGreaterThan(0);
    }
    expect(kindHelp(kind)).toBe(json.properties!.kind.description);
  });

  it("offers exactly the schema's choices for enums", () => {
    for (const f of fields) {
      const node = json.properties![f.key];
      if (f.type === "enum") {
        const values = node.enum ?? (node.anyOf ?? node.oneOf ?? []).flatMap((o) => o.enum ?? [o.const]);
        expect(f.choices?.slice().sort(), f.key).toEqual(values.slice().sort());
      }
    }
  });

  it("gives unit fields examples the schema accepts, and their defaults as described", () => {
    const schema = (
      ComponentSchema as unknown as {
        options: { shape: Record<string, { safeParse(v: unknown): { success: boolean } }> }[];
      }
    ).options.find((o) => (o.shape.kind as unknown as { value: string }).value === kind)!;
    const check = (f: FieldDescriptor) => {
      if (f.type === "unit") {
        expect(f.unit, f.key).toBeDefined();
        expect(f.examples?.length, `${kind}.${f.key} examples`).toBeGreaterThan(0);
        // an example of the unit is a value this very field accepts
        if (f.path.length === 1)
          expect(
            f.examples!.some((e) => schema.shape[f.key].safeParse(e).success),
            `${kind}.${f.key} accepts ${String(f.examples)}`,
          ).toBe(true);
      }
      if (f.default !== undefined) expect(f.help).toContain(f.default);
      for (const sub of f.fields ?? []) check(sub);
    };
    fields.forEach(check);
  });
});

it("reads the defaults the descriptions state", () => {
  expect(defaultIn("time between probes (default 10s)")).toBe("10s");
  expect(defaultIn("balancing policy (default round-robin)")).toBe("round-robin");
  expect(defaultIn("waiting requests per instance before rejecting (default 1000, or unbounded)")).toBe(
    "1000",
  );
  expect(defaultIn("the service behind it")).toBeUndefined();
  const lb = fieldsFor("load-balancer");
  expect(lb.find((f) => f.key === "algorithm")).toMatchObject({ type: "enum", default: "round-robin" });
  expect(lb.find((f) => f.key === "backend")).toMatchObject({
    type: "text",
    references: ["service", "gateway"],
  });
  const svc = fieldsFor("service");
  expect(svc.find((f) => f.key === "queue")).toMatchObject({
    type: "unit",
    unit: "count",
    choices: [0, "unbounded"],
  });
  expect(svc.find((f) => f.key === "drain")).toMatchObject({
    type: "unit",
    unit: "duration",
    default: "300s",
  });
  const hc = lb.find((f) => f.key === "healthCheck")!;
  expect(hc.type).toBe("object");
  expect(hc.fields?.find((f) => f.key === "interval")).toMatchObject({ unit: "duration", default: "10s" });
  // a design written with the examples is valid: the forms' hints are real values
  expect(() =>
    loadDesign(
      "duration: 1s\ncomponents:\n  u: { kind: workload, target: s, arrival: { process: poisson, rate: 10/s }, routes: [{ route: r }] }\n  s: { kind: service, drain: 2s, routes: { '*': [{ compute: 1ms }] } }\n",
      "x.yaml",
    ),
  ).not.toThrow();
});
