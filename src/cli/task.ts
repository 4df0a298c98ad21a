// One run of a grid or a comparison: what a worker thread is asked to do. The
// same function runs in a worker or in-process, so where a run happens cannot
// change its result.
import { loadDesign } from "../design/load.js";
import { headlineMetrics, type Metric } from "../report/headline.js";
import type { Report } from "../report/json.js";
import { runDesign } from "../run.js";

export interface RunTask {
  id: number;
  /** the design's text and file name (for messages); each run parses it afresh */
  text: string;
  file: string;
  sets: string[];
  seed: number;
  /** send the whole report back (compare --html needs its series), not only the headline metrics */
  full: boolean;
}

export interface TaskResult {
  metrics: Metric[];
  report?: Report;
  stoppedBy: string | null;
}

export function executeTask(task: RunTask, onProgress?: (fraction: number) => void): TaskResult {
  const loaded = loadDesign(task.text, task.file, task.sets);
  const report = runDesign(loaded, { seed: task.seed, onProgress: onProgress && ((f) => onProgress(f)) });
  return {
    metrics: headlineMetrics(report),
    ...(task.full ? { report } : {}),
    stoppedBy: report.engine.stoppedBy,
  };
}
