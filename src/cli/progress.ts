// A progress bar on stderr, shown only once a run has taken a second of wall
// time and only on a terminal (logs stay clean). `note` (e.g. "3/20 runs")
// follows the percentage.
export function progressBar(stream: NodeJS.WriteStream): {
  update(fraction: number, wallMs: number, note?: string): void;
  done(): void;
} {
  let shown = false;
  const enabled = stream.isTTY === true;
  return {
    update(fraction, wallMs, note) {
      if (!enabled || wallMs < 1000) return;
      shown = true;
      const width = 30;
      const filled = Math.round(Math.min(1, fraction) * width);
      const eta = fraction > 0 ? ((wallMs / fraction - wallMs) / 1000).toFixed(0) : "?";
      stream.write(
        `\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${eta}s left ${note ? `(${note}) ` : ""}`,
      );
    },
    done() {
      if (shown) stream.write("\r\x1b[2K");
    },
  };
}
