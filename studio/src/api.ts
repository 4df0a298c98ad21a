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

async function call(
  method: string,
  url: string,
  body?: string,
  headers?: Record<string, string>,
): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { method, body, headers });
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

const JSON_TYPE = { "content-type": "application/json" };
const q = (path: string) => `?path=${encodeURIComponent(path)}`;

export async function listFiles(): Promise<FileEntry[]> {
  return (await call("GET", "api/files")).json() as Promise<FileEntry[]>;
}

/** The file's text and its version (the server's ETag), to be given back on save. */
export async function readFile(path: string): Promise<{ text: string; version: string | null }> {
  const res = await call("GET", `api/file${q(path)}`);
  return { text: await res.text(), version: res.headers.get("etag") };
}

/**
 * Saves the text atomically and returns the new version. With a version, the
 * save is refused (ApiError, status 412) if the file changed on disk since.
 */
export async function writeFile(path: string, text: string, version?: string | null): Promise<string | null> {
  const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
  if (version) headers["if-match"] = version;
  const res = await call("PUT", `api/file${q(path)}`, text, headers);
  return res.headers.get("etag");
}

/** Creates a file; refuses (409) when it exists. Without text, the server writes a starter design. */
export async function newFile(path: string, text?: string): Promise<void> {
  await call("POST", "api/new", JSON.stringify({ path, text }), JSON_TYPE);
}

/** Copies a workspace file; refuses (409) when `to` exists. */
export async function duplicateFile(from: string, to: string): Promise<void> {
  await call("POST", "api/duplicate", JSON.stringify({ from, to }), JSON_TYPE);
}

export async function listExamples(): Promise<Example[]> {
  return (await call("GET", "api/examples")).json() as Promise<Example[]>;
}
