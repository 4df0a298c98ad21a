// `archsim studio` as a user meets it: the built binary serving a workspace
// folder on 127.0.0.1, a clear error when the port is taken, --open with and
// without a browser launcher, and Ctrl-C stopping it cleanly (exit 0).
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

interface Running {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
}

function studio(args: string[], env: NodeJS.ProcessEnv = process.env): Running {
  const child = spawn(process.execPath, ["bin/archsim.js", "studio", ...args], { env });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exit };
}

async function until(what: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
}

const urlOf = (out: string) => /archsim studio: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];

describe("archsim studio", () => {
  it("serves the workspace on 127.0.0.1 and stops cleanly on Ctrl-C", async () => {
    const ws = mkdtempSync(join(tmpdir(), "archsim-studio-cli-"));
    writeFileSync(join(ws, "a.yaml"), "name: a\n");
    const s = studio(["--port", "0", ws]);
    await until(() => urlOf(s.out()) !== undefined);
    const url = urlOf(s.out())!;
    expect(s.out()).toContain(`(workspace: ${ws})`);
    const files = (await (await fetch(`${url}api/files`)).json()) as { path: string }[];
    expect(files.map((f) => f.path)).toEqual(["a.yaml"]);
    const page = await fetch(url);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    s.child.kill("SIGINT");
    expect(await s.exit).toBe(0);
    expect(s.err()).toMatch(/stopping the studio/);
    await expect(fetch(`${url}api/files`)).rejects.toThrow();
  });

  it("a port in use is a clear error with a suggestion (exit 2)", async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const s = studio(["--port", String(port), tmpdir()]);
      expect(await s.exit).toBe(2);
      expect(s.err()).toContain(`port ${port} on 127.0.0.1 is in use`);
      expect(s.err()).toMatch(/try --port \d+, or --port 0 for any free port/);
      expect(s.err()).not.toMatch(/^\s+at\s/m);
    } finally {
      blocker.close();
    }
  });

  it("refuses a missing workspace folder and a bad port (exit 2)", async () => {
    const missing = studio(["--port", "0", join(tmpdir(), "no-such-folder-for-archsim")]);
    expect(await missing.exit).toBe(2);
    expect(missing.err()).toMatch(/does not exist/);
    const bad = studio(["--port", "http"]);
    expect(await bad.exit).toBe(2);
    expect(bad.err()).toMatch(/--port: expected a whole number/);
  });

  it("--open starts the browser named by $BROWSER with the studio's URL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "archsim-browser-"));
    const opened = join(dir, "opened.txt");
    const fake = join(dir, "fake-browser.sh");
    writeFileSync(fake, `#!/bin/sh\necho "$1" > ${opened}\n`);
    chmodSync(fake, 0o755);
    const s = studio(["--port", "0", "--open", dir], { ...process.env, BROWSER: fake });
    await until(() => {
      try {
        return readFileSync(opened, "utf8").length > 0;
      } catch {
        return false;
      }
    });
    expect(readFileSync(opened, "utf8").trim()).toBe(urlOf(s.out()));
    // the browser can write its file before the studio's stderr line reaches us
    await until(() => s.err().includes("opening "));
    expect(s.err()).toContain(`opening ${urlOf(s.out())} with ${fake}`);
    s.child.kill("SIGINT");
    expect(await s.exit).toBe(0);
  });

  it("--open without any browser launcher says so and keeps serving", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: mkdtempSync(join(tmpdir(), "empty-path-")) };
    delete env.BROWSER;
    const s = studio(["--port", "0", "--open", mkdtempSync(join(tmpdir(), "archsim-ws-"))], env);
    await until(() => /no browser launcher found/.test(s.err()));
    expect(s.err()).toContain(`open ${urlOf(s.out())} yourself`);
    expect((await fetch(`${urlOf(s.out())}api/files`)).status).toBe(200);
    s.child.kill("SIGINT");
    expect(await s.exit).toBe(0);
  });
});
