// The studio server over real HTTP on 127.0.0.1 (port 0), with a real temp
// workspace: the workspace API, every way a path could escape the workspace
// (each refused with 400 and a reason, nothing outside touched), writes that
// are atomic (an aborted or refused upload leaves the old file as it was, and
// readers never see a half-written design), and create/duplicate that never
// overwrite.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadDesign } from "../src/design/load.js";
import { createStudioServer, listen, stop } from "../src/cli/studio-server.js";
import { Workspace } from "../src/cli/workspace.js";

const HELLO = readFileSync("examples/hello.yaml", "utf8");
const MAX_BYTES = 64 * 1024;

let base = "";
let port = 0;
let server: Server;
let root = "";
let outside = "";

/** Raw HTTP, so that paths and headers go out exactly as written (fetch would normalise them). */
function http(
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString("utf8"),
          headers: res.headers,
        }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

const json = (v: unknown) => [JSON.stringify(v), { "content-type": "application/json" }] as const;
const q = (p: string) => `?path=${encodeURIComponent(p)}`;
const tempFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".tmp"));

beforeAll(async () => {
  const top = mkdtempSync(join(tmpdir(), "archsim-studio-"));
  root = join(top, "ws");
  outside = join(top, "outside");
  const staticDir = join(top, "static");
  mkdirSync(root);
  mkdirSync(outside);
  mkdirSync(join(staticDir, "assets"), { recursive: true });
  writeFileSync(join(staticDir, "index.html"), "<!doctype html><title>studio</title>");
  writeFileSync(join(staticDir, "assets", "index-abc123.js"), "console.log(1)");
  writeFileSync(join(outside, "secret.yaml"), "secret: 1\n");
  const workspace = await Workspace.open(root, MAX_BYTES);
  server = createStudioServer({ workspace, staticDir, examplesDir: "examples" });
  ({ port, url: base } = await listen(server, 0));
});

afterAll(async () => {
  await stop(server);
});

beforeEach(() => {
  writeFileSync(join(root, "hello.yaml"), HELLO);
});

describe("studio server: the workspace API", () => {
  it("binds to 127.0.0.1 only", () => {
    expect(base).toBe(`http://127.0.0.1:${port}/`);
    const addr = server.address();
    expect(typeof addr === "object" && addr?.address).toBe("127.0.0.1");
  });

  it("lists design files, reads and writes them", async () => {
    mkdirSync(join(root, "sub"), { recursive: true });
    writeFileSync(join(root, "sub", "b.yml"), "name: b\n");
    writeFileSync(join(root, "notes.txt"), "not a design");
    mkdirSync(join(root, ".git"), { recursive: true });
    writeFileSync(join(root, ".git", "x.yaml"), "hidden");
    const list = await http("GET", "/api/files");
    expect(list.status).toBe(200);
    expect(list.headers["content-type"]).toMatch(/application\/json/);
    expect(list.headers["cache-control"]).toBe("no-store");
    const files = JSON.parse(list.text) as { path: string; size: number }[];
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(["hello.yaml", "sub/b.yml"]));
    expect(files.map((f) => f.path)).not.toContain("notes.txt");
    expect(files.some((f) => f.path.startsWith(".git"))).toBe(false);
    expect(files.find((f) => f.path === "hello.yaml")?.size).toBe(Buffer.byteLength(HELLO));

    const read = await http("GET", `/api/file${q("hello.yaml")}`);
    expect(read.status).toBe(200);
    expect(read.text).toBe(HELLO);

    const edited = HELLO.replace("instances: 3", "instances: 5");
    expect((await http("PUT", `/api/file${q("hello.yaml")}`, edited)).status).toBe(200);
    expect(readFileSync(join(root, "hello.yaml"), "utf8")).toBe(edited);
    expect(tempFiles(root)).toEqual([]);

    expect((await http("GET", `/api/file${q("missing.yaml")}`)).status).toBe(404);
  });

  it("does not overwrite a file changed on disk since it was read (ETag / If-Match)", async () => {
    const read = await http("GET", `/api/file${q("hello.yaml")}`);
    const etag = read.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]{24}"$/);
    const mine = HELLO.replace("seed: 42", "seed: 43");
    const first = await http("PUT", `/api/file${q("hello.yaml")}`, mine, { "if-match": etag });
    expect(first.status).toBe(200);
    const next = first.headers.etag as string;
    expect(next).not.toBe(etag);
    expect(JSON.parse(first.text).version).toBe(next.slice(1, -1));

    // someone else saves (another editor): a save based on the old version is refused, the file left alone
    const theirs = HELLO.replace("seed: 42", "seed: 99");
    writeFileSync(join(root, "hello.yaml"), theirs);
    const stale = await http("PUT", `/api/file${q("hello.yaml")}`, mine.replace("43", "44"), {
      "if-match": next,
    });
    expect(stale.status).toBe(412);
    expect(JSON.parse(stale.text).error).toMatch(/changed on disk since it was opened/);
    expect(readFileSync(join(root, "hello.yaml"), "utf8")).toBe(theirs);
    expect(tempFiles(root)).toEqual([]);

    // without If-Match (the user chose to overwrite) the save goes through
    expect((await http("PUT", `/api/file${q("hello.yaml")}`, mine)).status).toBe(200);
    expect(readFileSync(join(root, "hello.yaml"), "utf8")).toBe(mine);
  });

  it("creates a new design (valid starter text) and refuses to overwrite an existing file", async () => {
    const created = await http("POST", "/api/new", ...json({ path: "fresh/new.yaml" }));
    expect(created.status).toBe(201);
    const text = readFileSync(join(root, "fresh", "new.yaml"), "utf8");
    expect(() => loadDesign(text, "new.yaml")).not.toThrow();

    const again = await http("POST", "/api/new", ...json({ path: "hello.yaml", text: "name: other\n" }));
    expect(again.status).toBe(409);
    expect(JSON.parse(again.text).error).toMatch(/already exists/);
    expect(readFileSync(join(root, "hello.yaml"), "utf8")).toBe(HELLO);
    expect(tempFiles(root)).toEqual([]);
  });

  it("duplicates a design and refuses to overwrite the target", async () => {
    const dup = await http("POST", "/api/duplicate", ...json({ from: "hello.yaml", to: "copy.yaml" }));
    expect(dup.status).toBe(201);
    expect(readFileSync(join(root, "copy.yaml"), "utf8")).toBe(HELLO);

    writeFileSync(join(root, "copy.yaml"), "name: mine\n");
    const over = await http("POST", "/api/duplicate", ...json({ from: "hello.yaml", to: "copy.yaml" }));
    expect(over.status).toBe(409);
    expect(readFileSync(join(root, "copy.yaml"), "utf8")).toBe("name: mine\n");
    expect((await http("POST", "/api/duplicate", ...json({ from: "nope.yaml", to: "x.yaml" }))).status).toBe(
      404,
    );
  });

  it("lists every example with its story", async () => {
    const r = await http("GET", "/api/examples");
    expect(r.status).toBe(200);
    const examples = JSON.parse(r.text) as { path: string; name: string; story: string; text: string }[];
    const hello = examples.find((e) => e.path === "hello.yaml");
    expect(hello?.name).toBe("hello");
    expect(hello?.text).toBe(HELLO);
    expect(hello?.story).toMatch(/^A first design: users -> load balancer/);
    expect(examples.every((e) => e.story.length > 0)).toBe(true);
  });

  it("refuses bad requests with a reason", async () => {
    const bad = await http("POST", "/api/new", "not json", { "content-type": "application/json" });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error).toMatch(/JSON object/);
    expect((await http("DELETE", `/api/file${q("hello.yaml")}`)).status).toBe(404);
    expect((await http("GET", "/api/file")).status).toBe(400);
    const notDesign = await http("PUT", `/api/file${q("run.sh")}`, "rm -rf /");
    expect(notDesign.status).toBe(400);
    expect(JSON.parse(notDesign.text).error).toMatch(/\.yaml/);
  });
});

describe("studio server: no path escapes the workspace", () => {
  const attempts: [string, string, RegExp][] = [
    ["parent", "../outside/secret.yaml", /"\.\."/],
    ["parent in the middle", "sub/../../outside/secret.yaml", /"\.\."/],
    ["absolute", `${"/"}etc/passwd.yaml`, /absolute/],
    ["windows drive", "C:/x.yaml", /absolute/],
    ["backslash", "..\\outside\\secret.yaml", /"\/"/],
    ["double-encoded", "%2e%2e%2foutside%2fsecret.yaml", /percent-encoded/],
    ["NUL", "hello.yaml\0.yaml", /NUL/],
    ["hidden", ".git/config.yaml", /hidden/],
    ["empty segment", "a//b.yaml", /empty/],
  ];

  for (const [what, path, reason] of attempts)
    it(`refuses a ${what} path for reading, writing, creating and duplicating`, async () => {
      const read = await http("GET", `/api/file${q(path)}`);
      const write = await http("PUT", `/api/file${q(path)}`, "pwned: 1\n");
      const create = await http("POST", "/api/new", ...json({ path, text: "pwned: 1\n" }));
      const dupTo = await http("POST", "/api/duplicate", ...json({ from: "hello.yaml", to: path }));
      const dupFrom = await http("POST", "/api/duplicate", ...json({ from: path, to: "stolen.yaml" }));
      for (const r of [read, write, create, dupTo, dupFrom]) {
        expect(r.status).toBe(400);
        expect(JSON.parse(r.text).error).toMatch(reason);
      }
      expect(readFileSync(join(outside, "secret.yaml"), "utf8")).toBe("secret: 1\n");
      expect(readdirSync(outside)).toEqual(["secret.yaml"]);
    });

  it("decodes the query once: an encoded '..' is still '..'", async () => {
    const r = await http("GET", "/api/file?path=..%2Foutside%2Fsecret.yaml");
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error).toMatch(/"\.\."/);
  });

  it("refuses symlinks that lead outside, and does not list them", async () => {
    symlinkSync(outside, join(root, "linked-dir"));
    symlinkSync(join(outside, "secret.yaml"), join(root, "linked.yaml"));
    symlinkSync(join(outside, "nothing-here.yaml"), join(root, "dangling.yaml"));
    for (const path of ["linked-dir/secret.yaml", "linked-dir/new.yaml", "linked.yaml", "dangling.yaml"]) {
      const read = await http("GET", `/api/file${q(path)}`);
      const write = await http("PUT", `/api/file${q(path)}`, "pwned: 1\n");
      const create = await http("POST", "/api/new", ...json({ path, text: "pwned: 1\n" }));
      for (const r of [read, write, create]) {
        expect(r.status).toBe(400);
        expect(JSON.parse(r.text).error).toMatch(/symlink/);
      }
    }
    const files = JSON.parse((await http("GET", "/api/files")).text) as { path: string }[];
    expect(files.map((f) => f.path).filter((p) => p.includes("link") || p.includes("dangling"))).toEqual([]);
    expect(readFileSync(join(outside, "secret.yaml"), "utf8")).toBe("secret: 1\n");
    expect(readdirSync(outside)).toEqual(["secret.yaml"]);
  });

  it("follows symlinks that stay inside the workspace", async () => {
    mkdirSync(join(root, "real"), { recursive: true });
    writeFileSync(join(root, "real", "inner.yaml"), "name: inner\n");
    symlinkSync(join(root, "real"), join(root, "alias"));
    const r = await http("GET", `/api/file${q("alias/inner.yaml")}`);
    expect(r.status).toBe(200);
    expect(r.text).toBe("name: inner\n");
  });

  it("answers only requests addressed to a loopback name, and writes only from its own origin", async () => {
    const rebound = await http("GET", "/api/files", undefined, { host: `attacker.example:${port}` });
    expect(rebound.status).toBe(403);
    const foreign = await http("PUT", `/api/file${q("hello.yaml")}`, "pwned: 1\n", {
      origin: "http://attacker.example",
    });
    expect(foreign.status).toBe(403);
    expect(readFileSync(join(root, "hello.yaml"), "utf8")).toBe(HELLO);
    const own = await http("PUT", `/api/file${q("hello.yaml")}`, HELLO, {
      origin: `http://localhost:${port}`,
    });
    expect(own.status).toBe(200);
  });
});

describe("studio server: atomic writes", () => {
  it("an upload cut off halfway leaves the old file intact and no temp file behind", async () => {
    const big = `${HELLO}\n# ${"x".repeat(40_000)}\n`;
    await new Promise<void>((resolve, reject) => {
      const sock = connect(port, "127.0.0.1", () => {
        sock.write(
          `PUT /api/file${q("hello.yaml")} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
            `Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(big)}\r\n\r\n`,
        );
        sock.write(big.slice(0, 20_000), () => {
          // give the server time to stream the first half into its temp file, then drop the connection
          setTimeout(() => {
            sock.destroy();
            resolve();
          }, 200);
        });
      });
      sock.on("error", reject);
    });
    // the server notices the abort and cleans up
    for (let i = 0; i < 50 && tempFiles(root).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(readFileSync(join(root, "hello.yaml"), "utf8")).toBe(HELLO);
    expect(tempFiles(root)).toEqual([]);
  });

  it("a write refused part-way (too large) leaves the old file intact", async () => {
    const huge = Buffer.alloc(MAX_BYTES + 1024, "a");
    const r = await http("PUT", `/api/file${q("hello.yaml")}`, huge);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text).error).toMatch(/limited to/);
    expect(readFileSync(join(root, "hello.yaml"), "utf8")).toBe(HELLO);
    expect(tempFiles(root)).toEqual([]);
  });

  it("readers during a stream of writes see one whole version or another, never a mix", async () => {
    // two versions of equal length that differ in every line: any torn read is neither
    const a = `${"a: 1\n".repeat(6000)}`;
    const b = `${"b: 2\n".repeat(6000)}`;
    const seen = new Set<string>();
    const writes = (async () => {
      for (let i = 0; i < 20; i++) {
        const r = await http("PUT", `/api/file${q("race.yaml")}`, i % 2 ? b : a);
        expect(r.status).toBe(200);
      }
    })();
    let reads = 0;
    let done = false;
    void writes.finally(() => (done = true));
    while (!done) {
      const r = await http("GET", `/api/file${q("race.yaml")}`);
      reads++;
      if (r.status === 200)
        seen.add(r.text === a ? "a" : r.text === b ? "b" : `torn (${r.text.length} chars)`);
    }
    await writes;
    expect(reads).toBeGreaterThan(0);
    expect([...seen].filter((s) => s.startsWith("torn"))).toEqual([]);
    expect(readFileSync(join(root, "race.yaml"), "utf8")).toBe(b);
  });
});

describe("studio server: the front-end", () => {
  it("serves index.html revalidated and hashed assets cached for good, with their types", async () => {
    const index = await http("GET", "/");
    expect(index.status).toBe(200);
    expect(index.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(index.headers["cache-control"]).toBe("no-cache");
    expect(index.headers["x-content-type-options"]).toBe("nosniff");
    const js = await http("GET", "/assets/index-abc123.js");
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toMatch(/immutable/);
    expect((await http("GET", "/assets/missing.js")).status).toBe(404);
    // the URL parser folds %2e%2e into "..", which cannot climb above "/"
    const climb = await http("GET", "/%2e%2e/%2e%2e/etc/passwd");
    expect([400, 404]).toContain(climb.status);
    expect(climb.text).not.toMatch(/root:/);
    expect((await http("POST", "/")).status).toBe(405);
  });
});
