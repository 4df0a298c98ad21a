// The engine in a Web Worker: the same simulator as `archsim run`, stepped by
// the run panel's messages (src/live/protocol.ts) so the page never waits for it.
import { EngineHost, type ToEngine } from "../../../src/live/protocol.js";

const host = new EngineHost();

self.onmessage = (e: MessageEvent<ToEngine>) => {
  for (const reply of host.handle(e.data, performance.now())) self.postMessage(reply);
};
