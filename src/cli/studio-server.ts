// The studio's HTTP server (node:http only): the built front-end from
// dist/studio, the workspace API and the example gallery. It listens on
// 127.0.0.1 only, and answers only requests addressed to it by a loopback
// name, so a web page elsewhere cannot reach the workspace through the
// browser (DNS rebinding) or post to it from another origin.
import { readFile, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, resolve, sep } from "node:path";
import { type Example, listExamples } from "./studio-examples.js";
import { type Workspace, WorkspaceError } from "./workspace.js";

export const HOST = "127.0.0.1";

export interface StudioServerOptions {
  workspace: Workspace;
  /** the built front-end (dist/studio) */
  staticDir: string;
  /** the example designs (examples/) */
  examplesDir: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".wasm": "application/wasm",
  ".txt": "text/plain; charset=utf-8",
};

/** Bodies of JSON requests (new, duplicate) are small. */
const MAX_JSON = 4 * 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  type: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "content-type": type,
    "content-length": String(Buffer.byteLength(body)),
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    ...headers,
  });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, value: unknown) =>
  send(res, status, JSON.stringify(value), "application/json; charset=utf-8");

/** Loopback names only: any other Host is a page elsewhere trying to reach this server. */
function hostAllowed(host: string | undefined, port: number): boolean {
  if (!host) return false;
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(host.toLowerCase());
}

/** A cross-origin page may send simple requests without asking: writes must come from the studio itself. */
function originAllowed(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true; // not a browser, or a same-origin GET/HEAD
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`].includes(origin);
}

async function readBody(req: IncomingMessage, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new HttpError(413, `request body larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req, MAX_JSON);
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new HttpError(400, "expected a JSON object body");
}

const STARTER = `# A new design. Its first comment paragraph is its story: say what it shows.
name: untitled
duration: 30s

components:
  users:
    kind: workload
    target: api
    arrival: { process: poisson, rate: 100/s }
    routes:
      - route: GET /

  api:
    kind: service
    instances: 2
    concurrency: 8
    routes:
      GET /:
        - compute: exp(5ms)
`;

export function createStudioServer(opts: StudioServerOptions): Server {
  const staticDir = resolve(opts.staticDir);
  let examples: Promise<Example[]> | null = null;
  const server = createServer((req, res) => {
    const port = (server.address() as AddressInfo | null)?.port ?? 0;
    handle(req, res, port).catch((e: unknown) => {
      // read what is left of a refused upload, so the client gets the answer rather than a reset
      req.resume();
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof WorkspaceError || e instanceof HttpError)
        sendJson(res, e.status, { error: e.message });
      else sendJson(res, 500, { error: `internal error: ${(e as Error).message}` });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, port: number): Promise<void> {
    if (!hostAllowed(req.headers.host, port))
      throw new HttpError(403, "the studio answers only at 127.0.0.1 or localhost");
    const url = new URL(req.url ?? "/", `http://${HOST}`);
    const method = req.method ?? "GET";
    if (!url.pathname.startsWith("/api/")) {
      if (method !== "GET" && method !== "HEAD") throw new HttpError(405, `${method} is not allowed here`);
      return serveStatic(url.pathname, res, method === "HEAD");
    }
    if (method !== "GET" && method !== "HEAD" && !originAllowed(req.headers.origin, port))
      throw new HttpError(403, "cross-origin writes are refused");
    const ws = opts.workspace;
    const route = `${method} ${url.pathname}`;
    switch (route) {
      case "GET /api/files":
        return sendJson(res, 200, await ws.list());
      case "GET /api/file": {
        const { text, version } = await ws.readVersioned(url.searchParams.get("path"));
        // the version comes back as If-Match on save: a file changed by someone else is not overwritten
        return send(res, 200, text, "text/plain; charset=utf-8", { etag: `"${version}"` });
      }
      case "PUT /api/file": {
        const match = req.headers["if-match"]?.replace(/^"(.*)"$/, "$1");
        const ifMatch = match === "*" ? undefined : match;
        // streamed into the temp file: an upload cut short never reaches the design
        const version = await ws.write(
          url.searchParams.get("path"),
          req as AsyncIterable<Uint8Array>,
          ifMatch,
        );
        send(res, 200, JSON.stringify({ ok: true, version }), "application/json; charset=utf-8", {
          etag: `"${version}"`,
        });
        return;
      }
      case "POST /api/new": {
        const body = await readJson(req);
        if (body.text !== undefined && typeof body.text !== "string")
          throw new HttpError(400, '"text" must be a string');
        await ws.create(body.path, typeof body.text === "string" ? body.text : STARTER);
        return sendJson(res, 201, { ok: true });
      }
      case "POST /api/duplicate": {
        const body = await readJson(req);
        await ws.duplicate(body.from, body.to);
        return sendJson(res, 201, { ok: true });
      }
      case "GET /api/examples":
        // read once: the examples ship with archsim and do not change while it runs
        examples ??= listExamples(opts.examplesDir).catch((e: Error) => {
          examples = null;
          throw new HttpError(500, `cannot read the examples: ${e.message}`);
        });
        return sendJson(res, 200, await examples);
      default:
        throw new HttpError(404, `no such API: ${route}`);
    }
  }

  async function serveStatic(pathname: string, res: ServerResponse, head: boolean): Promise<void> {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      throw new HttpError(400, "malformed URL");
    }
    if (rel.endsWith("/")) rel += "index.html";
    const file = normalize(join(staticDir, rel));
    if (!file.startsWith(staticDir + sep) || rel.includes("\0")) throw new HttpError(400, "invalid path");
    let body: Buffer;
    try {
      if (!(await stat(file)).isFile()) throw new Error("not a file");
      body = await readFile(file);
    } catch {
      if (rel === "/index.html")
        return send(
          res,
          503,
          "The studio's front-end is not built: run `npm run build` in the archsim folder, then restart archsim studio.\n",
          "text/plain; charset=utf-8",
        );
      throw new HttpError(404, `not found: ${pathname}`);
    }
    // hashed asset names change with their content: cache them for good; index.html always revalidates
    const cache = rel.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache";
    const type = TYPES[extname(file).toLowerCase()] ?? "application/octet-stream";
    if (head) {
      res.writeHead(200, {
        "content-type": type,
        "content-length": String(body.length),
        "cache-control": cache,
      });
      res.end();
      return;
    }
    send(res, 200, body, type, { "cache-control": cache });
  }

  return server;
}

/** Listens on 127.0.0.1:port (0: any free port) and resolves with the server's address. */
export function listen(server: Server, port: number): Promise<{ port: number; url: string }> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once("error", onError);
    server.listen(port, HOST, () => {
      server.off("error", onError);
      const p = (server.address() as AddressInfo).port;
      resolve({ port: p, url: `http://${HOST}:${p}/` });
    });
  });
}

/** Stops accepting, lets requests in flight (a save) finish, then drops idle keep-alive connections. */
export function stop(server: Server, graceMs = 3000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
