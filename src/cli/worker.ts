// A worker thread of the run pool (pool.ts): runs the tasks it is sent, one at
// a time, and answers with their results and, now and then, their progress.
import { parentPort } from "node:worker_threads";
import { executeTask, type RunTask } from "./task.js";

const port = parentPort;
if (!port) throw new Error("worker.ts runs as a worker thread");
port.on("message", (task: RunTask) => {
  try {
    const result = executeTask(task, (fraction) =>
      port.postMessage({ id: task.id, type: "progress", fraction }),
    );
    port.postMessage({ id: task.id, type: "done", result });
  } catch (e) {
    port.postMessage({ id: task.id, type: "error", message: (e as Error).message });
  }
});
