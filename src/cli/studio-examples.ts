// The example designs the studio's gallery shows: every examples/**/*.yaml
// with its name and its story, the first paragraph of the file's leading
// comment block.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";

export interface Example {
  /** relative to the examples folder, "/"-separated */
  path: string;
  /** the design's `name`, else the file's name without .yaml */
  name: string;
  story: string;
  text: string;
}

/**
 * The first paragraph of the comment lines the file starts with: comment lines
 * up to the first empty one ("#" alone). Prose lines are joined with spaces;
 * an indented line (a diagram or a table under the prose) keeps its own line.
 * Empty when the file does not start with a comment.
 */
export function storyOf(text: string): string {
  let story = "";
  let afterIndented = false;
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith("#")) break;
    const body = line.replace(/^#+ ?/, "").trimEnd();
    if (body.trim() === "") {
      if (story) break;
      continue;
    }
    const indented = /^\s/.test(body);
    if (story === "") story = body.trimStart();
    else story += indented || afterIndented ? `\n${body}` : ` ${body}`;
    afterIndented = indented;
  }
  return story;
}

function nameOf(text: string, file: string): string {
  try {
    const name = (parse(text) as { name?: unknown } | null)?.name;
    if (typeof name === "string" && name.trim()) return name;
  } catch {
    // an example that does not parse is still listed; its tests will say why
  }
  return file.replace(/\.ya?ml$/, "");
}

export async function listExamples(dir: string): Promise<Example[]> {
  const out: Example[] = [];
  const walk = async (sub: string): Promise<void> => {
    const entries = await readdir(join(dir, sub), { withFileTypes: true });
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(rel);
      else if (e.isFile() && /\.ya?ml$/.test(e.name)) {
        const text = await readFile(join(dir, rel), "utf8");
        out.push({ path: rel, name: nameOf(text, e.name), story: storyOf(text), text });
      }
    }
  };
  await walk("");
  return out;
}
