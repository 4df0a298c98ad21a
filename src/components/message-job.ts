// The job a consumer instance processes one message as (a topic's or a work
// queue's): the consumer calls itself, so the message runs its steps like a
// request and answers back to the same instance.
import { type Job, OP_MESSAGE } from "./job.js";
import type { Sim } from "./runtime.js";

/**
 * `start`: when the message was fetched or received (an instance draining since
 * then still processes it); `origin`: when the user request behind its chain began.
 */
export function messageJob(
  sim: Sim,
  consumer: number,
  instance: number,
  route: number,
  key: number,
  start: number,
  origin: number,
): Job {
  const job = sim.pool.alloc();
  job.req = job.id;
  job.caller = job.callee = consumer;
  job.callerInstance = job.instance = instance;
  job.op = OP_MESSAGE;
  job.route = route;
  job.key = key;
  job.start = start;
  job.origin = origin;
  return job;
}
