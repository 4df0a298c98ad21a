// archsim studio [--port 4173] [--open] [workspace-dir]: serves the studio
// (built into dist/studio by `npm run build`) with a folder of design files,
// on 127.0.0.1 only, until Ctrl-C.
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { positiveInt, UsageError } from "./shared.js";
import { createStudioServer, listen, stop } from "./studio-server.js";
import { Workspace, WorkspaceError } from "./workspace.js";

export const DEFAULT_PORT = 4173;

/** The package's folder: two levels up from both src/cli/studio.ts and dist/cli/main.js. */
const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface StudioOptions {
  port: string;
  open?: boolean;
}

function parsePort(v: string): number {
  if (v === "0") return 0;
  return positiveInt(65535)(v);
}

function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

/** The command that opens a URL in the system's browser, if one can be found. */
function browserCommand(): { cmd: string; args: string[] } | null {
  if (process.env.BROWSER) return { cmd: process.env.BROWSER, args: [] };
  if (process.platform === "darwin") return { cmd: "open", args: [] };
  if (process.platform === "win32") return { cmd: "explorer.exe", args: [] };
  for (const cmd of ["xdg-open", "sensible-browser", "x-www-browser", "gio"])
    if (onPath(cmd)) return { cmd, args: cmd === "gio" ? ["open"] : [] };
  return null;
}

function openBrowser(url: string, log: (s: string) => void): void {
  const b = browserCommand();
  if (!b) {
    log(`no browser launcher found (tried $BROWSER, xdg-open, sensible-browser): open ${url} yourself\n`);
    return;
  }
  const child = spawn(b.cmd, [...b.args, url], { detached: true, stdio: "ignore" });
  child.on("error", (e) => log(`could not start ${b.cmd} (${e.message}): open ${url} yourself\n`));
  child.unref();
  log(`opening ${url} with ${b.cmd}\n`);
}

export function addStudio(cli: Command): void {
  cli
    .command("studio")
    .description("design, run and break systems in the browser, with a folder of design files")
    .argument("[workspace-dir]", "the folder of design files (default: the current folder)")
    .option("--port <n>", "port on 127.0.0.1 (0: any free port)", String(DEFAULT_PORT))
    .option("--open", "open the studio in the system's browser")
    .action(async (dir: string | undefined, o: StudioOptions) => {
      let port: number;
      try {
        port = parsePort(o.port);
      } catch (e) {
        throw new UsageError(`--port: ${(e as Error).message}`);
      }
      let workspace: Workspace;
      try {
        workspace = await Workspace.open(dir ?? process.cwd());
      } catch (e) {
        if (e instanceof WorkspaceError) throw new UsageError(e.message);
        throw e;
      }
      const staticDir = join(PACKAGE_ROOT, "dist", "studio");
      const log = (s: string) => process.stderr.write(s);
      if (!existsSync(join(staticDir, "index.html")))
        log(`warning: the studio's front-end is not built (${staticDir}): run \`npm run build\`\n`);

      const server = createStudioServer({
        workspace,
        staticDir,
        examplesDir: join(PACKAGE_ROOT, "examples"),
      });
      let url: string;
      try {
        ({ url } = await listen(server, port));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EADDRINUSE")
          throw new UsageError(
            `port ${port} on 127.0.0.1 is in use (another archsim studio?): try --port ${port + 1 <= 65535 ? port + 1 : 0}, or --port 0 for any free port`,
          );
        if (code === "EACCES")
          throw new UsageError(
            `port ${port} needs privileges: use a port above 1023, e.g. --port ${DEFAULT_PORT}`,
          );
        throw e;
      }
      process.stdout.write(`archsim studio: ${url} (workspace: ${workspace.root})\n`);
      log("press Ctrl-C to stop\n");
      if (o.open) openBrowser(url, log);

      // Ctrl-C (or a service manager's SIGTERM): finish saves in flight, then exit 0
      await new Promise<void>((resolve) => {
        const quit = () => {
          process.off("SIGINT", quit);
          process.off("SIGTERM", quit);
          log("stopping the studio\n");
          void stop(server).then(resolve);
        };
        process.on("SIGINT", quit);
        process.on("SIGTERM", quit);
      });
    });
}
