// The gallery's stories: every example design starts with a comment block
// whose first paragraph tells what it shows, and the gallery lists every one.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listExamples, storyOf } from "../src/cli/studio-examples.js";

function yamlFiles(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) return yamlFiles(dir, rel);
    return /\.ya?ml$/.test(e.name) ? [rel] : [];
  });
}

describe("example stories", () => {
  const files = yamlFiles("examples");

  it("finds the examples", () => {
    expect(files.length).toBeGreaterThan(10);
  });

  for (const file of files)
    it(`examples/${file} has a one-paragraph story`, () => {
      const story = storyOf(readFileSync(join("examples", file), "utf8"));
      // a sentence at least: words, and more than a title
      expect(story, "start the file with a comment paragraph saying what it shows").toMatch(/^\S/);
      expect(story.split(/\s+/).length).toBeGreaterThanOrEqual(8);
    });

  it("the gallery lists every example, with its story and text", async () => {
    const listed = await listExamples("examples");
    expect(listed.map((e) => e.path).sort()).toEqual([...files].sort());
    for (const e of listed) {
      expect(e.text).toBe(readFileSync(join("examples", e.path), "utf8"));
      expect(e.story).toBe(storyOf(e.text));
      expect(e.name.length).toBeGreaterThan(0);
    }
  });
});

describe("storyOf", () => {
  it("takes the first paragraph, prose lines joined into one", () => {
    const text = "# One line\n# and the next.\n#\n# A second paragraph.\nname: x\n";
    expect(storyOf(text)).toBe("One line and the next.");
  });

  it("keeps an indented line (a diagram) on its own line", () => {
    const text = "# Two stacks:\n#   a -> b\n#   a -> c\n# compared.\n#\nname: x\n";
    expect(storyOf(text)).toBe("Two stacks:\n  a -> b\n  a -> c\ncompared.");
  });

  it("skips empty comment lines before the paragraph and stops at the first non-comment line", () => {
    expect(storyOf("#\n# Story here.\nname: x\n# not the story\n")).toBe("Story here.");
  });

  it("is empty without a leading comment", () => {
    expect(storyOf("name: x\n# later comment\n")).toBe("");
    expect(storyOf("")).toBe("");
  });
});
