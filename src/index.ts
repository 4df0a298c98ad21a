// archsim's public API: the same engine the CLI and the studio use.

export { DesignError, type Diagnostic, formatDiagnostic } from "./design/errors.js";
export { type LoadedDesign, loadDesign } from "./design/load.js";
export type { ComponentCost, CostSection } from "./cost/cost.js";
export { emitDesign, starterModel } from "./estimate/emit.js";
export { type Estimate, type EstimateInput, estimate } from "./estimate/estimate.js";
export { type Design, DesignSchema, jsonSchema } from "./design/schema.js";
export type { Report, RouteReport } from "./report/json.js";
export { type RunOptions, runDesign } from "./run.js";
export * as theory from "./theory/index.js";
export { VERSION } from "./version.js";
