// The studio's in-browser check (studio/src/check.ts) is the CLI's loader: the
// problems it returns carry the positions, expectations and suggestions the
// editor marks and lists.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkDesign } from "../studio/src/check.js";

const HELLO = readFileSync("examples/hello.yaml", "utf8");
const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

describe("studio check", () => {
  it("a valid design has no problems", () => {
    const c = checkDesign(HELLO, "hello.yaml");
    expect(c.errors).toEqual([]);
    expect(c.text).toBe(HELLO);
  });

  it("a misspelt kind is placed on its line and column, with the suggestion", () => {
    const text = HELLO.replace("kind: cache", "kind: cahce");
    const [d, ...rest] = checkDesign(text, "hello.yaml").errors;
    expect(rest).toEqual([]);
    const line = lineOf(text, "kind: cahce");
    expect(d.line).toBe(line);
    expect(d.col).toBe(text.split("\n")[line - 1].indexOf("cahce") + 1);
    expect(d.suggestion).toBe("cache");
  });

  it("a YAML syntax error is a located problem, not an exception", () => {
    const text = HELLO.replace("  lb:\n", "  lb: [\n");
    const errors = checkDesign(text, "hello.yaml").errors;
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0].line).toBeGreaterThan(0);
  });
});
