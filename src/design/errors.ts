// Errors a design author sees. Every problem in a design file becomes a
// Diagnostic that names the exact place (file:line:col), says what was
// expected there and, when a likely intent is recognisable, what to write
// instead. Unit parsers do not know where a value came from, so they throw a
// UnitError and the loader attaches the position.

export interface Diagnostic {
  file: string;
  /** 1-based; 0 when the position is unknown */
  line: number;
  /** 1-based; 0 when the position is unknown */
  col: number;
  /** path of the offending value inside the design, e.g. ["components", "api", "instances"] */
  path: (string | number)[];
  message: string;
  expected?: string;
  /** a replacement the author probably meant; shown as "did you mean …?" */
  suggestion?: string;
  /** free-form advice that is not a drop-in replacement */
  hint?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.col}` : d.file;
  const lines = [`${where}: ${d.message}`];
  if (d.expected) lines.push(`  expected: ${d.expected}`);
  if (d.suggestion) lines.push(`  did you mean ${d.suggestion}?`);
  if (d.hint) lines.push(`  hint: ${d.hint}`);
  return lines.join("\n");
}

export class DesignError extends Error {
  constructor(public readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join("\n"));
    this.name = "DesignError";
  }
}

/** A value that could not be read as the quantity a field wants. */
export class UnitError extends Error {
  constructor(
    message: string,
    public readonly expected: string,
    public readonly suggestion?: string,
    public readonly hint?: string,
  ) {
    super(message);
    this.name = "UnitError";
  }
}
