export * from "./caching.js";
export * from "./queueing.js";
