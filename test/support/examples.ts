// Every example design under examples/, for tests that must hold for all of them.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export interface ExampleFile {
  file: string;
  text: string;
}

export function exampleFiles(dir = "examples"): ExampleFile[] {
  const out: ExampleFile[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...exampleFiles(path));
    else if (/\.ya?ml$/.test(name)) out.push({ file: path, text: readFileSync(path, "utf8") });
  }
  return out;
}
