// The studio's workspace: a folder of design files, addressed by paths
// relative to it. Two guarantees: no path reaches outside the folder (not by
// "..", an absolute path, an encoded separator or a symlink), and a write
// never leaves a half-written design (temp file in the same directory, fsync,
// rename; a failed or aborted write leaves the old file as it was).
import { createHash, randomBytes } from "node:crypto";
import { constants, type Stats } from "node:fs";
import {
  link,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  stat,
  unlink,
} from "node:fs/promises";
import { basename, dirname, join, relative, sep } from "node:path";

/** Design files the workspace lists and accepts. */
export const DESIGN_EXTENSIONS = [".yaml", ".yml", ".json"];
/** A design bigger than this is a mistake (the largest example is a few KB). */
export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;
const MAX_PATH = 1024;
/** Folders never listed: tools' state and dependencies, not designs. */
const SKIPPED_DIRS = new Set(["node_modules"]);

export interface FileEntry {
  path: string;
  size: number;
  mtimeMs: number;
}

/** A refused request: `status` is the HTTP status the server answers with, `message` the reason. */
export class WorkspaceError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409 | 412 | 413 | 500,
  ) {
    super(message);
    this.name = "WorkspaceError";
  }
}

/**
 * Checks a workspace-relative path by its text alone and returns its segments.
 * The server decodes the query string once; anything still looking encoded is
 * refused rather than guessed at.
 */
export function checkRelativePath(path: unknown): string[] {
  const bad = (why: string) => new WorkspaceError(`invalid path ${JSON.stringify(path)}: ${why}`, 400);
  if (typeof path !== "string" || path === "") throw bad("a workspace-relative path is needed");
  if (path.length > MAX_PATH) throw bad(`longer than ${MAX_PATH} characters`);
  if (path.includes("\0")) throw bad("contains a NUL character");
  if (/%[0-9a-f]{2}/i.test(path)) throw bad("contains a percent-encoded character (encode the path once)");
  if (path.includes("\\")) throw bad('use "/" to separate folders');
  if (path.startsWith("/") || /^[a-z]:/i.test(path)) throw bad("absolute paths are not allowed");
  const segments = path.split("/");
  for (const s of segments) {
    if (s === "..") throw bad('".." would leave the workspace');
    if (s === "" || s === ".") throw bad("empty or '.' folder names are not allowed");
    if (s.startsWith("."))
      throw bad("hidden files and folders (starting with '.') are not part of the workspace");
  }
  const name = segments[segments.length - 1];
  if (!DESIGN_EXTENSIONS.some((e) => name.toLowerCase().endsWith(e)))
    throw bad(`a design file ends in ${DESIGN_EXTENSIONS.join(", ")}`);
  return segments;
}

function inside(root: string, abs: string): boolean {
  const r = relative(root, abs);
  return r === "" || (!r.startsWith(`..${sep}`) && r !== ".." && !r.startsWith(sep) && !/^[a-z]:/i.test(r));
}

async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

export class Workspace {
  private constructor(
    /** the folder's real path (symlinks resolved) */
    readonly root: string,
    readonly maxBytes: number,
  ) {}

  static async open(dir: string, maxBytes = DEFAULT_MAX_BYTES): Promise<Workspace> {
    let root: string;
    try {
      root = await realpath(dir);
    } catch {
      throw new WorkspaceError(`workspace folder ${dir} does not exist`, 404);
    }
    if (!(await stat(root)).isDirectory()) throw new WorkspaceError(`workspace ${dir} is not a folder`, 400);
    return new Workspace(root, maxBytes);
  }

  /**
   * The absolute path for a workspace-relative one, after the text checks and
   * with every symlink on the way resolved: the result (or, for a file not yet
   * written, its nearest existing ancestor) must lie inside the workspace.
   */
  async resolve(path: unknown): Promise<string> {
    const segments = checkRelativePath(path);
    const abs = join(this.root, ...segments);
    let existing = abs;
    const missing: string[] = [];
    for (;;) {
      try {
        const real = await realpath(existing);
        if (!inside(this.root, real))
          throw new WorkspaceError(
            `invalid path ${JSON.stringify(path)}: a symlink leads outside the workspace`,
            400,
          );
        return join(real, ...missing);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== "ENOENT") {
          if (e instanceof WorkspaceError) throw e;
          throw new WorkspaceError(`cannot resolve ${JSON.stringify(path)}: ${(e as Error).message}`, 400);
        }
        // a dangling symlink is refused too: we cannot tell where a write would land
        if (await lstatOrNull(existing))
          throw new WorkspaceError(`invalid path ${JSON.stringify(path)}: a symlink leads nowhere`, 400);
        missing.unshift(basename(existing));
        existing = dirname(existing);
      }
    }
  }

  /** Every design file, depth first, sorted; hidden folders, node_modules and links leading outside skipped. */
  async list(): Promise<FileEntry[]> {
    const out: FileEntry[] = [];
    const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
      if (depth > 8) return;
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return; // unreadable folders are simply not listed
      }
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        if (e.name.startsWith(".") || SKIPPED_DIRS.has(e.name)) continue;
        const rel = prefix ? `${prefix}/${e.name}` : e.name;
        let real: string;
        let st: Stats;
        try {
          real = await realpath(join(dir, e.name));
          st = await stat(real);
        } catch {
          continue;
        }
        if (!inside(this.root, real)) continue;
        if (st.isDirectory()) await walk(join(dir, e.name), rel, depth + 1);
        else if (st.isFile() && DESIGN_EXTENSIONS.some((x) => e.name.toLowerCase().endsWith(x)))
          out.push({ path: rel, size: st.size, mtimeMs: Math.round(st.mtimeMs) });
      }
    };
    await walk(this.root, "", 0);
    return out;
  }

  async read(path: unknown): Promise<string> {
    return (await this.readVersioned(path)).text;
  }

  /** The text and its version (see `versionOf`), both from the same open file. */
  async readVersioned(path: unknown): Promise<{ text: string; version: string }> {
    const abs = await this.resolve(path);
    let fh;
    try {
      fh = await open(abs, constants.O_RDONLY);
      const st = await fh.stat({ bigint: true });
      if (!st.isFile()) throw new WorkspaceError(`${String(path)} is not a file`, 400);
      if (st.size > BigInt(this.maxBytes))
        throw new WorkspaceError(`${String(path)} is larger than ${this.maxBytes} bytes`, 413);
      const text = await fh.readFile("utf8");
      return { text, version: contentVersion(text) };
    } catch (e) {
      if (e instanceof WorkspaceError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT") throw new WorkspaceError(`no such file: ${String(path)}`, 404);
      if (code === "EISDIR") throw new WorkspaceError(`${String(path)} is not a file`, 400);
      throw new WorkspaceError(`cannot read ${String(path)}: ${(e as Error).message}`, 500);
    } finally {
      await fh?.close();
    }
  }

  /**
   * Replaces (or creates) a file atomically with the text or byte stream given,
   * and returns its new version. With `ifVersion`, the file must still be that
   * version (nobody else saved it since it was read), checked before and after
   * the upload, else 412 and the file is left alone.
   */
  async write(path: unknown, body: string | AsyncIterable<Uint8Array>, ifVersion?: string): Promise<string> {
    const abs = await this.resolve(path);
    const existing = await lstatOrNull(abs);
    if (existing && !existing.isFile()) throw new WorkspaceError(`${String(path)} is not a file`, 400);
    const check = async () => {
      if (ifVersion !== undefined && (await versionOf(abs)) !== ifVersion)
        throw new WorkspaceError(`${String(path)} changed on disk since it was opened`, 412);
    };
    await check();
    await this.commit(abs, body, "replace", existing?.mode, check);
    return (await versionOf(abs)) ?? "";
  }

  /** Creates a file; refuses (409) if anything exists at that path. */
  async create(path: unknown, body: string): Promise<void> {
    const abs = await this.resolve(path);
    if (await lstatOrNull(abs)) throw new WorkspaceError(`${String(path)} already exists`, 409);
    await this.commit(abs, body, "create");
  }

  async duplicate(from: unknown, to: unknown): Promise<void> {
    const text = await this.read(from);
    await this.create(to, text);
  }

  /**
   * Writes the body to a temp file beside the target, syncs it, then renames
   * it over the target ("replace") or hard-links it to the target, which fails
   * if the target appeared meanwhile ("create"). The temp name is hidden, so
   * it is never listed, and removed on any failure.
   */
  private async commit(
    abs: string,
    body: string | AsyncIterable<Uint8Array>,
    how: "replace" | "create",
    mode = 0o644,
    beforeRename: () => Promise<void> = async () => undefined,
  ): Promise<void> {
    const dir = dirname(abs);
    try {
      await mkdir(dir, { recursive: true });
    } catch (e) {
      throw new WorkspaceError(
        `cannot create the folder for ${relative(this.root, abs)}: ${(e as Error).message}`,
        400,
      );
    }
    // mkdir may have followed a symlink created meanwhile: check the folder again
    if (!inside(this.root, await realpath(dir)))
      throw new WorkspaceError("invalid path: a symlink leads outside the workspace", 400);
    const tmp = join(dir, `.${basename(abs)}.${randomBytes(6).toString("hex")}.tmp`);
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode & 0o777);
    let done = false;
    try {
      try {
        let size = 0;
        const chunks = typeof body === "string" ? [Buffer.from(body, "utf8")] : body;
        for await (const chunk of chunks) {
          size += chunk.byteLength;
          if (size > this.maxBytes)
            throw new WorkspaceError(`a design is limited to ${this.maxBytes} bytes`, 413);
          await fh.write(chunk);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      await beforeRename();
      if (how === "replace") await rename(tmp, abs);
      else {
        try {
          await link(tmp, abs);
          await unlink(tmp);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === "EEXIST") throw new WorkspaceError(`${relative(this.root, abs)} already exists`, 409);
          // file systems without hard links: check, then rename (a narrower race, still never a torn file)
          if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw e;
          if (await lstatOrNull(abs))
            throw new WorkspaceError(`${relative(this.root, abs)} already exists`, 409);
          await rename(tmp, abs);
        }
      }
      done = true;
      await syncDir(dir);
    } finally {
      if (!done) await unlink(tmp).catch(() => undefined);
    }
  }
}

/**
 * A file's version: a digest of its content (null when it does not exist).
 * Not its modification time: two saves within the file system's timestamp
 * granularity (milliseconds on some) with the same size would look alike.
 */
async function versionOf(abs: string): Promise<string | null> {
  try {
    return contentVersion(await readFile(abs, "utf8"));
  } catch {
    return null;
  }
}

function contentVersion(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 24);
}

/** Makes the rename itself durable; some platforms cannot open a folder for sync, which is not an error. */
async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, constants.O_RDONLY);
    await fh.sync();
  } catch {
    // EISDIR/EPERM/EINVAL on platforms without directory fsync
  } finally {
    await fh?.close();
  }
}
