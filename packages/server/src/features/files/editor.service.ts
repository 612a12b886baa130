import { isUtf8 } from "node:buffer";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { LoadError } from "@bifrost/contracts/workflow-options.js";
import type { Registry } from "@bifrost/engine/registry/registry.js";
import { HttpError, notFound } from "../../http-error.js";
import { publicWorkflow } from "../workflows/workflows.service.js";
import type { FileEntry } from "./file-store.js";
import { checkWorkspaceAccess, contentBytes, visibleWorkspaceEntries, type FileAudit, type FilesService } from "./files.service.js";
import { checkRelativePath } from "./safe-path.js";

/** Largest tree the editor gets in one answer; deeper folders can be asked for by `path`. */
export const MAX_TREE_NODES = 10_000;

export interface TreeNode extends FileEntry {
  /** Folders only. */
  children?: TreeNode[];
}

export type Encoding = "utf8" | "base64";

/** A load error with where it points in the file (1-based), when that can be told. */
export interface LocatedLoadError extends LoadError {
  line: number | null;
  column: number | null;
}

/** What a saved file registers: so the editor shows at once whether it loads. */
export interface FileRegistration {
  workflows: ReturnType<typeof publicWorkflow>[];
  loadErrors: LocatedLoadError[];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Where a load error points in its file: the first `path:line:column` in the message
 * (esbuild's compile errors, the stack of a module that threw while loading), else the
 * line that declares the export it names (invalid options, duplicate names), else none.
 */
export function locateLoadError(error: LoadError, source: string | null): LocatedLoadError {
  const at = new RegExp(`(?:^|[\\s(/])${escapeRegExp(error.filePath)}:(\\d+):(\\d+)`).exec(error.message);
  if (at) return { ...error, line: Number(at[1]), column: Number(at[2]) };
  if (error.exportName && source !== null) {
    const lines = source.split("\n");
    const declaration = new RegExp(`\\bexport\\s+(?:const|let|var|function)\\s+${escapeRegExp(error.exportName)}\\b`);
    const index = lines.findIndex((l) => declaration.test(l));
    if (index >= 0) return { ...error, line: index + 1, column: lines[index]!.indexOf(error.exportName) + 1 };
  }
  return { ...error, line: null, column: null };
}

/**
 * The browser editor's view of the workspace: a tree, files with metadata, and saves
 * that index the file before answering (a saved workflow is runnable when the save
 * returns). Reads and writes go through `FilesService`, so the same path checks, access
 * rules and size limits apply as for `files.*` with `location: "workspace"`.
 */
export class WorkspaceEditor {
  constructor(private readonly deps: { files: FilesService; registry: Registry }) {}

  private registration(path: string, source: string | null): FileRegistration {
    return {
      workflows: this.deps.registry.list().filter((w) => w.filePath === path).map(publicWorkflow),
      loadErrors: this.deps.registry
        .loadErrors()
        .filter((e) => e.filePath === path)
        .map((e) => locateLoadError(e, source)),
    };
  }

  /** The workspace (or one folder of it) as nested nodes, without node_modules and dot folders. */
  async tree(caller: SdkCaller, path = ""): Promise<{ tree: TreeNode; truncated: boolean }> {
    const rel = checkRelativePath(path, { allowRoot: true });
    checkWorkspaceAccess(caller, rel, "read");
    const store = this.deps.files.workspace;
    const root = rel === "" ? { name: "", path: "", type: "directory" as const, size: 0, modifiedAt: new Date(0).toISOString() } : await store.stat(rel);
    if (!root) throw notFound(`Folder "workspace/${rel}"`);
    if (root.type !== "directory") throw new HttpError(409, "conflict", `"workspace/${rel}" is a file, not a folder`);
    let count = 0;
    let truncated = false;
    const walk = async (node: TreeNode): Promise<TreeNode> => {
      const entries = visibleWorkspaceEntries(caller, (await store.list(node.path)) ?? []).filter(
        (e) => !e.name.startsWith(".") && e.name !== "node_modules",
      );
      node.children = [];
      for (const entry of entries) {
        if (++count > MAX_TREE_NODES) {
          truncated = true;
          break;
        }
        node.children.push(entry.type === "directory" ? await walk({ ...entry }) : entry);
      }
      return node;
    };
    return { tree: await walk({ ...root }), truncated };
  }

  /** A file with its metadata; binary files (not UTF-8) come as base64. */
  async open(caller: SdkCaller, path: string): Promise<FileEntry & { content: string; encoding: Encoding } & FileRegistration> {
    const { data, entry } = await this.deps.files.read(caller, path);
    const encoding: Encoding = isUtf8(data) && !data.includes(0) ? "utf8" : "base64";
    const content = data.toString(encoding);
    return { ...entry, content, encoding, ...this.registration(entry.path, encoding === "utf8" ? content : null) };
  }

  /** Creates or replaces a workspace file (platform admins), then indexes it. */
  async save(caller: SdkCaller, path: string, content: string, encoding: Encoding = "utf8", audit?: FileAudit): Promise<FileEntry & FileRegistration> {
    const data = contentBytes(content, encoding === "base64", this.deps.files.maxFileBytes);
    const entry = await this.deps.files.write(caller, path, data, {}, audit);
    return { ...entry, ...this.registration(entry.path, encoding === "utf8" ? content : null) };
  }

  /**
   * Renames or moves a file or folder (platform admins), re-indexing both places; answers
   * the new entry and, for a file, what it registers at its new path.
   */
  async move(caller: SdkCaller, from: string, to: string): Promise<FileEntry & FileRegistration> {
    const { entry } = await this.deps.files.moveInWorkspace(caller, from, to);
    if (entry.type === "directory") return { ...entry, workflows: [], loadErrors: [] };
    const data = await this.deps.files.workspace.read(entry.path);
    return { ...entry, ...this.registration(entry.path, data && isUtf8(data) ? data.toString("utf8") : null) };
  }

  remove(caller: SdkCaller, path: string, audit?: FileAudit): Promise<boolean> {
    return this.deps.files.delete(caller, path, {}, audit);
  }

  /** Creates a folder and its parents (platform admins); an existing folder is fine. */
  async mkdir(caller: SdkCaller, path: string): Promise<FileEntry> {
    const rel = checkRelativePath(path);
    checkWorkspaceAccess(caller, rel, "write");
    return this.deps.files.workspace.mkdir(rel);
  }
}
