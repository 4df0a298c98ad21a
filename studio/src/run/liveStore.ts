// The latest live frame, outside React state: the run panel puts each frame
// here and only what shows it subscribes (a node's colour, an edge's dots), so
// a frame re-renders those few parts and never the App, the editor or the
// canvas as a whole. Subscribers select a primitive (a string, a number), and
// re-render only when it changes.
import { createContext, useContext, useSyncExternalStore } from "react";
import type { LiveFrame } from "../../../src/live/frame.js";

export interface LiveStore {
  get(): LiveFrame | null;
  set(frame: LiveFrame | null): void;
  subscribe(listener: () => void): () => void;
  /** requests sent between the two components, either way, in the latest frame */
  flowBetween(a: string, b: string): number;
}

export function createLiveStore(): LiveStore {
  let frame: LiveFrame | null = null;
  let counts: Map<string, number> | null = null;
  const listeners = new Set<() => void>();
  return {
    get: () => frame,
    set(f) {
      frame = f;
      counts = null;
      for (const l of listeners) l();
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    flowBetween(a, b) {
      if (!frame) return 0;
      // summed once per frame, however many edges ask
      if (!counts) {
        counts = new Map();
        for (const f of frame.flows)
          counts.set(`${f.from}->${f.to}`, (counts.get(`${f.from}->${f.to}`) ?? 0) + f.count);
      }
      return counts.get(`${a}->${b}`) ?? counts.get(`${b}->${a}`) ?? 0;
    },
  };
}

/** A store that never has a frame: the canvas outside a run. */
const EMPTY: LiveStore = createLiveStore();

export const LiveContext = createContext<LiveStore>(EMPTY);

/** `select`'s answer for the latest frame; the caller re-renders when it changes. It must be a primitive. */
export function useLive<T extends string | number | boolean | null | undefined>(
  select: (store: LiveStore) => T,
): T {
  const store = useContext(LiveContext);
  return useSyncExternalStore(store.subscribe, () => select(store));
}
