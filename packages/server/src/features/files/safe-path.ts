import { lstat, realpath } from "node:fs/promises";
import { dirname, relative, resolve, sep } from "node:path";
import { HttpError } from "../../http-error.js";

/** Longest path a caller may name, in characters. */
export const MAX_PATH_CHARS = 1024;

const invalid = (path: string, why: string) =>
  new HttpError(400, "invalid_path", `Path ${JSON.stringify(path.length > 200 ? `${path.slice(0, 200)}…` : path)} is not allowed: ${why}`);

/**
 * Checks a path a user gave (SDK, HTTP, editor) and returns it normalized as
 * `a/b/c.txt` (or "" for the root when `allowRoot`). Every file route and SDK method
 * goes through here: `..`, absolute paths, backslashes, NUL bytes, empty and overlong
 * paths are refused with a 400 that names the path.
 */
export function checkRelativePath(path: string, options: { allowRoot?: boolean } = {}): string {
  if (path.includes("\0")) throw invalid(path.replaceAll("\0", "\\0"), "it contains a NUL byte");
  if (path.length > MAX_PATH_CHARS) throw invalid(path, `it is longer than ${MAX_PATH_CHARS} characters`);
  if (path.includes("\\")) throw invalid(path, "use / to separate folders, not \\");
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path) || path.startsWith("~")) {
    throw invalid(path, "it must be relative to its location (no leading /, drive letter or ~)");
  }
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw invalid(path, "it must not contain .. segments");
  if (parts.length === 0 && !options.allowRoot) throw invalid(path, "it is empty (name a file)");
  return parts.join("/");
}

function inside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel));
}

async function existing(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return false;
    throw error;
  }
}

/**
 * The absolute location of a checked relative path inside `root`. After resolving, the
 * deepest part of it that exists is resolved through symlinks: a link that leads out of
 * the root is refused like `..`. (A link created between this check and the use of the
 * path is not caught; only someone with shell access to the disk could make one.)
 */
export async function resolveInside(root: string, rel: string): Promise<string> {
  const base = resolve(root);
  const abs = resolve(base, rel);
  if (!inside(base, abs)) throw invalid(rel, "it leads outside its location");
  let probe = abs;
  while (probe !== base && !(await existing(probe))) probe = dirname(probe);
  if (!(await existing(probe))) return abs; // the root itself is not created yet
  const realRoot = await realpath(base);
  const realProbe = await realpath(probe).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT" || error.code === "ELOOP") throw invalid(rel, "it goes through a broken symbolic link");
    throw error;
  });
  if (!inside(realRoot, realProbe)) throw invalid(rel, "it goes through a symbolic link that leads outside its location");
  return abs;
}
