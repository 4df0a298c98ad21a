// The progress bar: on a terminal only, after a second, and wiped at the end.
import { describe, expect, it } from "vitest";
import { progressBar } from "../src/cli/progress.js";

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, s: { isTTY, write: (x: string) => writes.push(x) } as unknown as NodeJS.WriteStream };
}

describe("progressBar", () => {
  it("stays silent when stderr is not a terminal", () => {
    const { writes, s } = stream(false);
    const bar = progressBar(s);
    bar.update(0.5, 5000, "1/2 runs");
    bar.done();
    expect(writes).toEqual([]);
  });

  it("on a terminal, shows the fraction, the time left and the note once a second has passed", () => {
    const { writes, s } = stream(true);
    const bar = progressBar(s);
    bar.update(0.1, 500, "0/4 runs");
    expect(writes).toEqual([]);
    bar.update(0.25, 2000, "1/4 runs");
    // a quarter done in 2 s leaves 6 s
    expect(writes[0]).toMatch(/^\r\[#{8}\.{22}\]\s+25%\s+6s left \(1\/4 runs\)/);
    bar.done();
    expect(writes[1]).toBe("\r\x1b[2K");
  });
});
