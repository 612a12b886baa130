import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, posix, sep } from "node:path";
import { ApiError, CliError } from "./errors.js";
import type { Client } from "./client.js";

/** What saving (or opening) a workspace file registered, as the editor endpoints answer. */
export interface Registration {
  workflows: { name: string; kind: string }[];
  loadErrors: { filePath: string; exportName: string | null; message: string }[];
}

export interface LocalFile {
  rel: string;
  data: Buffer;
  hash: string;
}

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

const NOT_PUSHED = new Set(["package.json", "package-lock.json", "npm-shrinkwrap.json", "vitest.config.ts", "vitest.workspace.ts", "vite.config.ts"]);

/**
 * Which files of a folder `watch` pushes: workflow sources (`.ts`, `.mts`) and JSON they
 * may import, never tests, declarations, tool configuration, node_modules or dot folders.
 */
export function isPushable(rel: string): boolean {
  const parts = rel.split("/");
  if (parts.some((p) => p.startsWith(".") || p === "node_modules")) return false;
  const name = parts.at(-1)!;
  if (NOT_PUSHED.has(name) || /^tsconfig.*\.json$/.test(name)) return false;
  if (/\.(test|spec)\.m?ts$/.test(name) || /\.d\.m?ts$/.test(name)) return false;
  return /\.(m?ts|json)$/.test(name);
}

/** True for paths `watch` never looks at (so its own state file and editors' temp files do not wake it). */
export function isIgnoredPath(rel: string): boolean {
  return rel.split(/[\\/]/).some((p) => p.startsWith(".") || p === "node_modules");
}

/** Reads the pushable files of a folder; a stat cache skips re-reading unchanged ones. */
export class LocalScanner {
  private readonly cache = new Map<string, { mtimeMs: number; size: number; file: LocalFile }>();

  constructor(readonly root: string) {}

  scan(): Map<string, LocalFile> {
    const found = new Map<string, LocalFile>();
    const walk = (dir: string, prefix: string) => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch (error) {
        if (prefix === "") throw new CliError(`Cannot read ${dir}: ${(error as Error).message}`);
        return; // a folder removed while we walked
      }
      for (const entry of entries) {
        if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
        const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
        const abs = join(dir, entry.name);
        if (entry.isDirectory()) walk(abs, rel);
        else if (entry.isFile() && isPushable(rel)) {
          try {
            const st = statSync(abs);
            const hit = this.cache.get(rel);
            if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) {
              found.set(rel, hit.file);
              continue;
            }
            const data = readFileSync(abs);
            const file = { rel, data, hash: sha256(data) };
            this.cache.set(rel, { mtimeMs: st.mtimeMs, size: st.size, file });
            found.set(rel, file);
          } catch {
            // removed between readdir and read: it is simply not there
          }
        }
      }
    };
    walk(this.root, "");
    for (const rel of this.cache.keys()) if (!found.has(rel)) this.cache.delete(rel);
    return found;
  }
}

/** `./lib/format.js` imported from `a/b.ts` → `a/lib/format.ts` when that file is in the set. */
function resolveImport(from: string, spec: string, files: Set<string>): string | null {
  const base = posix.normalize(posix.join(posix.dirname(from), spec));
  const candidates = [base, base.replace(/\.m?js$/, (m) => (m === ".mjs" ? ".mts" : ".ts")), `${base}.ts`, `${base}.mts`, `${base}/index.ts`];
  return candidates.find((c) => files.has(c)) ?? null;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\b[^'"`]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|(?:^|[\s;])import\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/**
 * Files in an order where a relative import comes before the file importing it: the
 * platform compiles a file when it is saved, so a helper must be there first.
 */
export function importOrder(files: LocalFile[]): LocalFile[] {
  const byRel = new Map(files.map((f) => [f.rel, f]));
  const names = new Set(byRel.keys());
  const done = new Set<string>();
  const visiting = new Set<string>();
  const ordered: LocalFile[] = [];
  const visit = (f: LocalFile) => {
    if (done.has(f.rel) || visiting.has(f.rel)) return;
    visiting.add(f.rel);
    if (!f.rel.endsWith(".json")) {
      for (const m of f.data.toString("utf8").matchAll(IMPORT)) {
        const target = resolveImport(f.rel, (m[1] ?? m[2] ?? m[3])!, names);
        if (target && target !== f.rel) visit(byRel.get(target)!);
      }
    }
    visiting.delete(f.rel);
    done.add(f.rel);
    ordered.push(f);
  };
  for (const f of [...files].sort((a, b) => a.rel.localeCompare(b.rel))) visit(f);
  return ordered;
}

/** The instance's workspace through the editor endpoints (`/api/files/editor/*`). */
export class RemoteWorkspace {
  constructor(
    readonly client: Client,
    /** The workspace folder this local folder maps to ("" = the root). */
    readonly remoteDir: string,
  ) {}

  remotePath(rel: string): string {
    return this.remoteDir ? `${this.remoteDir}/${rel}` : rel;
  }

  localRel(remote: string): string {
    return this.remoteDir && remote.startsWith(`${this.remoteDir}/`) ? remote.slice(this.remoteDir.length + 1) : remote;
  }

  /** Every file under the folder, as paths relative to it (empty when the folder does not exist yet). */
  async files(): Promise<{ files: string[]; truncated: boolean }> {
    let answer: { tree: TreeNode; truncated: boolean };
    try {
      answer = await this.client.json("GET", "/api/files/editor/tree", { query: { path: this.remoteDir } });
    } catch (error) {
      if (this.remoteDir && error instanceof ApiError && error.status === 404) return { files: [], truncated: false };
      throw error;
    }
    const out: string[] = [];
    const walk = (node: TreeNode) => {
      for (const child of node.children ?? []) {
        if (child.type === "directory") walk(child);
        else out.push(this.localRel(child.path));
      }
    };
    walk(answer.tree);
    return { files: out.sort(), truncated: answer.truncated };
  }

  /** A file's bytes and what it registered, or null when it does not exist. */
  async open(rel: string): Promise<{ data: Buffer; registration: Registration } | null> {
    try {
      const f = await this.client.json<{ content: string; encoding: "utf8" | "base64" } & Registration>("GET", "/api/files/editor/file", { query: { path: this.remotePath(rel) } });
      return { data: Buffer.from(f.content, f.encoding === "base64" ? "base64" : "utf8"), registration: { workflows: f.workflows, loadErrors: f.loadErrors } };
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }

  /** Saves a file; the platform indexes it before answering, so the registration is current. */
  async save(file: LocalFile): Promise<Registration> {
    const text = file.data.toString("utf8");
    const utf8 = Buffer.from(text, "utf8").equals(file.data);
    const saved = await this.client.json<Registration>("POST", "/api/files/editor/file", {
      body: { path: this.remotePath(file.rel), content: utf8 ? text : file.data.toString("base64"), encoding: utf8 ? "utf8" : "base64" },
    });
    return { workflows: saved.workflows, loadErrors: saved.loadErrors };
  }

  /** Deletes a file; false when it was already gone. */
  async remove(rel: string): Promise<boolean> {
    try {
      await this.client.json("DELETE", "/api/files/editor/file", { query: { path: this.remotePath(rel) } });
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return false;
      throw error;
    }
  }
}

interface TreeNode {
  path: string;
  type: "file" | "directory";
  children?: TreeNode[];
}

/**
 * What a folder pushed to which instance (`<dir>/.bifrost/state.json`): the files the
 * instance has from it, by content hash. Only these are deleted remotely when they go
 * away here; anything else on the instance is left alone unless `--prune`.
 */
export class SyncState {
  private readonly path: string;
  private data: { version: 1; targets: Record<string, { files: Record<string, string> }> };

  constructor(
    root: string,
    private readonly target: string,
  ) {
    this.path = join(root, ".bifrost", "state.json");
    try {
      const parsed = JSON.parse(readFileSync(this.path, "utf8"));
      this.data = parsed?.version === 1 && parsed.targets ? parsed : { version: 1, targets: {} };
    } catch {
      this.data = { version: 1, targets: {} };
    }
  }

  /** rel → hash of what the instance holds from this folder. */
  get files(): Record<string, string> {
    return (this.data.targets[this.target] ??= { files: {} }).files;
  }

  save(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.data, null, 2)}\n`);
    renameSync(tmp, this.path);
  }
}

export const hashOf = sha256;

/** A local path for messages: relative to the current directory when inside it. */
export function displayPath(root: string, rel: string): string {
  const abs = join(root, ...rel.split("/"));
  const cwd = process.cwd();
  if (abs === cwd) return ".";
  return abs.startsWith(cwd + sep) ? abs.slice(cwd.length + 1) : abs;
}
