// Preloaded into every benchmark child (`node --import ./bench/rss-hook.mjs`):
// prints the process's peak resident set size (getrusage maxrss) on exit, so
// archsim and the reference are measured the same way.
process.on("exit", () => {
  process.stderr.write(`\nBENCH_MAXRSS_KIB ${process.resourceUsage().maxRSS}\n`);
});
