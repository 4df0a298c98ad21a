// Runs a batch of tasks on the worker pool with what a person at a terminal
// expects: a progress bar on stderr (only on a TTY), and Ctrl-C stopping the
// workers cleanly while keeping the results that had arrived.
import { runPool } from "./pool.js";
import { progressBar } from "./progress.js";
import type { RunTask, TaskResult } from "./task.js";

export interface BatchOutcome {
  results: Map<number, TaskResult>;
  /** true when Ctrl-C (SIGINT) stopped the batch */
  interrupted: boolean;
}

export async function runBatch(
  tasks: RunTask[],
  jobs: number,
  onResult?: (task: RunTask, result: TaskResult, results: Map<number, TaskResult>) => void,
): Promise<BatchOutcome> {
  const results = new Map<number, TaskResult>();
  const inFlight = new Map<number, number>();
  const bar = progressBar(process.stderr);
  const t0 = performance.now();
  let last = 0;
  const show = () => {
    const now = performance.now();
    if (now - last < 100) return; // workers report often; the terminal needs ten frames a second at most
    last = now;
    let partial = 0;
    for (const f of inFlight.values()) partial += f;
    bar.update((results.size + partial) / tasks.length, now - t0, `${results.size}/${tasks.length} runs`);
  };
  const pool = runPool(tasks, jobs, {
    onResult(task, result) {
      inFlight.delete(task.id);
      results.set(task.id, result);
      show();
      onResult?.(task, result, results);
    },
    onProgress(task, fraction) {
      inFlight.set(task.id, fraction);
      show();
    },
  });
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    void pool.stop();
  };
  process.once("SIGINT", onSigint);
  try {
    await pool.done;
  } finally {
    process.removeListener("SIGINT", onSigint);
    bar.done();
  }
  return { results, interrupted };
}
