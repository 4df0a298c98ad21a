// Runs tasks on a pool of worker threads, `jobs` at a time. Results arrive in
// completion order; stop() terminates every worker at once (Ctrl-C), and the
// results already delivered are all the caller keeps.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { RunTask, TaskResult } from "./task.js";

export interface PoolHandlers {
  onResult(task: RunTask, result: TaskResult): void;
  onProgress?(task: RunTask, fraction: number): void;
}

type Message =
  | { id: number; type: "progress"; fraction: number }
  | { id: number; type: "done"; result: TaskResult }
  | { id: number; type: "error"; message: string };

export class TaskError extends Error {}

export function defaultJobs(): number {
  return availableParallelism();
}

export interface PoolRun {
  /** resolves when every task is done or the pool was stopped; rejects on the first failed task */
  done: Promise<{ stopped: boolean }>;
  stop(): Promise<void>;
}

export function runPool(tasks: readonly RunTask[], jobs: number, h: PoolHandlers): PoolRun {
  const queue = [...tasks];
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const workers = new Set<Worker>();
  let stopped = false;
  let finish!: (v: { stopped: boolean }) => void;
  let fail!: (e: Error) => void;
  const done = new Promise<{ stopped: boolean }>((res, rej) => {
    finish = res;
    fail = rej;
  });
  const terminateAll = () => Promise.all([...workers].map((w) => w.terminate())).then(() => undefined);
  const abort = (e: Error) => {
    if (stopped) return;
    stopped = true;
    void terminateAll().then(() => fail(e));
  };

  const next = (w: Worker) => {
    const task = queue.shift();
    if (!task) {
      workers.delete(w);
      void w.terminate();
      if (workers.size === 0 && !stopped) finish({ stopped: false });
      return;
    }
    w.postMessage(task);
  };

  const size = Math.max(1, Math.min(jobs, tasks.length));
  if (tasks.length === 0) finish({ stopped: false });
  for (let i = 0; i < size && tasks.length > 0; i++) {
    const w = new Worker(new URL("./worker.js", import.meta.url));
    workers.add(w);
    w.on("message", (m: Message) => {
      if (stopped) return;
      const task = byId.get(m.id)!;
      if (m.type === "progress") h.onProgress?.(task, m.fraction);
      else if (m.type === "error") abort(new TaskError(m.message));
      else {
        h.onResult(task, m.result);
        next(w);
      }
    });
    w.on("error", (e) => abort(e));
    // a worker that dies on its own (out of memory) while it still has work is a failure, not a finish
    w.on("exit", (code) => {
      if (workers.has(w)) abort(new TaskError(`a worker thread exited with code ${code}`));
    });
    next(w);
  }
  return {
    done,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await terminateAll();
      finish({ stopped: true });
    },
  };
}
