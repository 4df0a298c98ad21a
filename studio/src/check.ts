// The design checks the CLI runs (schema, then whole-design validation), run in
// the browser on every edit: their diagnostics become the editor's lint marks
// and the problems list.
import { DesignError, type Diagnostic } from "../../src/design/errors.js";
import { loadDesign } from "../../src/design/load.js";

export interface Checked {
  /** the text these diagnostics belong to */
  text: string;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

export function checkDesign(text: string, file: string): Checked {
  try {
    const loaded = loadDesign(text, file);
    return { text, errors: [], warnings: loaded.source.warnings };
  } catch (e) {
    if (e instanceof DesignError) return { text, errors: e.diagnostics, warnings: [] };
    // a checker bug must not take the editor down: show it as a problem at the top
    return {
      text,
      errors: [{ file, line: 0, col: 0, path: [], message: `internal error: ${(e as Error).message}` }],
      warnings: [],
    };
  }
}
