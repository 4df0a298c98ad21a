// The workspace API of `archsim studio` (src/cli/studio-server.ts): JSON over
// fetch, same origin. Every failure becomes an ApiError carrying the server's reason.

export interface FileEntry {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface Example {
  path: string;
  name: string;
  story: string;
  text: string;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

async function call(method: string, url: string, body?: string, type?: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { method, body, headers: type ? { "content-type": type } : undefined });
  } catch (e) {
    throw new ApiError(`the studio server is not reachable (${(e as Error).message})`, 0);
  }
  if (!res.ok) {
    let reason = `${res.status} ${res.statusText}`;
    try {
      const j = (await res.json()) as { error?: string };
      if (j.error) reason = j.error;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(reason, res.status);
  }
  return res;
}

const q = (path: string) => `?path=${encodeURIComponent(path)}`;

export async function listFiles(): Promise<FileEntry[]> {
  return (await call("GET", "api/files")).json() as Promise<FileEntry[]>;
}

export async function readFile(path: string): Promise<string> {
  return (await call("GET", `api/file${q(path)}`)).text();
}

export async function writeFile(path: string, text: string): Promise<void> {
  await call("PUT", `api/file${q(path)}`, text, "text/plain; charset=utf-8");
}

/** Creates a file; refuses (409) when it exists. Without text, the server writes a starter design. */
export async function newFile(path: string, text?: string): Promise<void> {
  await call("POST", "api/new", JSON.stringify({ path, text }), "application/json");
}

/** Copies a workspace file; refuses (409) when `to` exists. */
export async function duplicateFile(from: string, to: string): Promise<void> {
  await call("POST", "api/duplicate", JSON.stringify({ from, to }), "application/json");
}

export async function listExamples(): Promise<Example[]> {
  return (await call("GET", "api/examples")).json() as Promise<Example[]>;
}
