import { randomBytes } from "node:crypto";
import { lstat, mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { Stats } from "node:fs";
import { HttpError } from "../../http-error.js";
import type { FileEntry, FileStore } from "./file-store.js";
import { checkRelativePath, resolveInside } from "./safe-path.js";

const TEMP_SUFFIX = ".bifrost-tmp";
const conflict = (message: string) => new HttpError(409, "conflict", message);

const missing = (error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
};

function entryOf(path: string, s: Stats): FileEntry {
  return { name: basename(path), path, type: s.isDirectory() ? "directory" : "file", size: s.isDirectory() ? 0 : s.size, modifiedAt: s.mtime.toISOString() };
}

/**
 * A `FileStore` on the local disk under `root`. Every path goes through
 * `resolveInside`, so `..` and symlinks out of the root are refused here too, whatever
 * the caller checked before.
 */
export class LocalFileStore implements FileStore {
  constructor(readonly root: string) {}

  /** Only `stat`, `exists`, `list` and `mkdir` may name the root itself (""). */
  private at(path: string, allowRoot = false): Promise<string> {
    return resolveInside(this.root, checkRelativePath(path, { allowRoot }));
  }

  async stat(path: string): Promise<FileEntry | null> {
    const abs = await this.at(path, true);
    try {
      const s = await stat(abs);
      return s.isFile() || s.isDirectory() ? entryOf(checkRelativePath(path, { allowRoot: true }), s) : null;
    } catch (error) {
      if (missing(error)) return null;
      throw error;
    }
  }

  async exists(path: string): Promise<boolean> {
    return (await this.stat(path)) !== null;
  }

  async read(path: string): Promise<Buffer | null> {
    const abs = await this.at(path);
    try {
      return await readFile(abs);
    } catch (error) {
      if (missing(error)) return null;
      if ((error as NodeJS.ErrnoException).code === "EISDIR") throw conflict(`"${path}" is a folder, not a file`);
      throw error;
    }
  }

  async write(path: string, data: Uint8Array): Promise<FileEntry> {
    const abs = await this.at(path);
    if ((await this.stat(path))?.type === "directory") throw conflict(`"${path}" is a folder: it cannot be overwritten with a file`);
    await this.mkdirAt(dirname(abs), path);
    // Written beside the target, then renamed over it: a reader (or the workspace
    // watcher) never sees half a file. The dot name keeps the indexer away from it.
    const temp = `${dirname(abs)}/.${basename(abs)}.${randomBytes(6).toString("hex")}${TEMP_SUFFIX}`;
    try {
      await writeFile(temp, data);
      await rename(temp, abs);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return (await this.stat(path))!;
  }

  /** Creates a folder (and its parents); a file in the way is a 409. */
  async mkdir(path: string): Promise<FileEntry> {
    await this.mkdirAt(await this.at(path, true), path);
    return (await this.stat(path))!;
  }

  private async mkdirAt(abs: string, path: string): Promise<void> {
    try {
      await mkdir(abs, { recursive: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST" || code === "ENOTDIR") throw conflict(`a file is in the way of the folders "${path}" needs`);
      throw error;
    }
  }

  async list(path: string): Promise<FileEntry[] | null> {
    const rel = checkRelativePath(path, { allowRoot: true });
    const abs = await this.at(rel, true);
    let names: string[];
    try {
      names = await readdir(abs);
    } catch (error) {
      if (missing(error)) return null;
      throw error;
    }
    const out: FileEntry[] = [];
    for (const name of names) {
      if (name.endsWith(TEMP_SUFFIX)) continue;
      const child = rel === "" ? name : `${rel}/${name}`;
      try {
        const link = (await lstat(`${abs}/${name}`)).isSymbolicLink();
        // A link that leads out of the root is not part of this store.
        if (link) await this.at(child);
        const entry = await this.stat(child);
        if (entry) out.push(entry);
      } catch (error) {
        if (error instanceof HttpError || missing(error)) continue;
        throw error;
      }
    }
    return out.sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === "directory" ? -1 : 1));
  }

  /**
   * Renames or moves a file or folder (with everything in it), creating the target's
   * parent folders. 404 when `from` is missing; 409 when `to` exists or lies inside `from`.
   */
  async move(from: string, to: string): Promise<FileEntry> {
    const [src, dst] = [checkRelativePath(from), checkRelativePath(to)];
    if (dst === src || dst.startsWith(`${src}/`)) throw conflict(`"${src}" cannot be moved into itself`);
    const [absFrom, absTo] = [await this.at(src), await this.at(dst)];
    try {
      await lstat(absFrom);
    } catch (error) {
      if (missing(error)) throw new HttpError(404, "not_found", `"${src}" was not found`);
      throw error;
    }
    if (await this.exists(dst)) throw conflict(`"${dst}" already exists`);
    await this.mkdirAt(dirname(absTo), dst);
    await rename(absFrom, absTo);
    return (await this.stat(dst))!;
  }

  async delete(path: string): Promise<boolean> {
    const abs = await this.at(path);
    try {
      await lstat(abs);
    } catch (error) {
      if (missing(error)) return false;
      throw error;
    }
    // rm removes a symlink itself, never what it points to.
    await rm(abs, { recursive: true, force: true });
    return true;
  }
}
