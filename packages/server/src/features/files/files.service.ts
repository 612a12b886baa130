import { join } from "node:path";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import { forbidden, HttpError, notFound } from "../../http-error.js";
import { resolveScope } from "../sdk/scope.js";
import type { FileEntry, FileStore } from "./file-store.js";
import { LocalFileStore } from "./local-file-store.js";
import { checkRelativePath } from "./safe-path.js";
import { withChangeAudit, type ChangeAudit } from "../audit/audit.js";

/** The audit of a file change through the API, given the file's label (`workspace/a.ts`). */
export type FileAudit = (label: string) => ChangeAudit;

export const FILE_LOCATIONS = ["workspace", "temp", "uploads"] as const;
export type FileLocation = (typeof FILE_LOCATIONS)[number];
export const FILE_MODES = ["local", "cloud"] as const;
export type FileMode = (typeof FILE_MODES)[number];

/** Where a call acts. Defaults: the workspace, local mode, the caller's organization. */
export interface FileOptions {
  location?: FileLocation;
  mode?: FileMode;
  /** uploads/temp only: an organization id or "global" (platform admins for others'). */
  scope?: string;
}

export const DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024;
export const DEFAULT_TEMP_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const SWEEP_EVERY_MS = 60 * 60 * 1000;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const tooLarge = (what: string, bytes: number, max: number) =>
  new HttpError(413, "file_too_large", `${what} is ${bytes} bytes; files may be at most ${max} bytes`);

/** Text or base64 text as the bytes to store; bad base64 is a 400, not silently dropped characters. */
export function contentBytes(content: string, asBase64: boolean | undefined, maxBytes: number): Buffer {
  if (!asBase64) {
    const size = Buffer.byteLength(content, "utf8");
    if (size > maxBytes) throw tooLarge("The content", size, maxBytes);
    return Buffer.from(content, "utf8");
  }
  const compact = content.replace(/\s+/g, "");
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) {
    throw new HttpError(400, "invalid_base64", "content is not valid base64 (asBase64: true expects standard base64 with padding)");
  }
  const size = (compact.length / 4) * 3 - (compact.endsWith("==") ? 2 : compact.endsWith("=") ? 1 : 0);
  if (size > maxBytes) throw tooLarge("The content", size, maxBytes);
  return Buffer.from(compact, "base64");
}

/** Disk stores for uploads and temp: `<dataDir>/files/<mode>/<location>/<scope>/`. */
export function localFileStores(dataDir: string): Record<FileMode, (prefix: string) => FileStore> {
  return {
    local: (prefix) => new LocalFileStore(join(dataDir, "files", "local", prefix)),
    // Stands in for an object store until one is configured: same interface, own root.
    cloud: (prefix) => new LocalFileStore(join(dataDir, "files", "cloud", prefix)),
  };
}

/**
 * Who may see a workspace path: platform admins everything; an organization global
 * files and its own `orgs/<id>/` subtree, read-only, and no dot files (`.env`, `.git`).
 */
export function checkWorkspaceAccess(caller: SdkCaller, rel: string, access: "read" | "write"): void {
  if (caller.isPlatformAdmin) return;
  if (access === "write") throw forbidden("Only platform admins can change workspace files");
  const parts = rel.split("/");
  if (parts.some((p) => p.startsWith("."))) throw forbidden(`"${rel}" is not visible to organizations`);
  if (parts[0] === "orgs" && parts.length > 1 && parts[1] !== caller.orgId) {
    throw forbidden("An organization can only read its own orgs/<id>/ workspace files and global ones");
  }
}

/** The entries of a workspace folder an organization may see. */
export function visibleWorkspaceEntries(caller: SdkCaller, entries: FileEntry[]): FileEntry[] {
  if (caller.isPlatformAdmin) return entries;
  return entries.filter((e) => {
    const parts = e.path.split("/");
    if (parts.some((p) => p.startsWith("."))) return false;
    return !(parts[0] === "orgs" && parts.length > 1 && parts[1] !== caller.orgId);
  });
}

interface Target {
  store: FileStore;
  rel: string;
  location: FileLocation;
  /** Human name for messages: `uploads/<path>`. */
  label: string;
}

/**
 * The `files` module (SPEC §2): the workspace (the code folder), and per-organization
 * uploads and temp folders, in local or cloud mode. Worker children cannot touch the
 * disk, so every SDK call lands here, checked against the execution's principal.
 */
export class FilesService {
  readonly maxFileBytes: number;
  readonly workspace: LocalFileStore;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;

  constructor(
    private readonly deps: {
      workspace: string;
      stores: Record<FileMode, (prefix: string) => FileStore>;
      organizations: OrganizationsRepo;
      /** Re-indexes workspace paths (engine.indexer.refresh): a saved workflow is live when the call returns. */
      refresh: (paths: string[]) => Promise<void>;
      maxFileBytes?: number;
      tempMaxAgeMs?: number;
      log?: (message: string) => void;
    },
  ) {
    this.maxFileBytes = deps.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.workspace = new LocalFileStore(deps.workspace);
  }

  private async target(caller: SdkCaller, path: string, options: FileOptions, access: "read" | "write", allowRoot = false): Promise<Target> {
    const location = options.location ?? "workspace";
    const mode = options.mode ?? "local";
    const rel = checkRelativePath(path, { allowRoot });
    if (location === "workspace") {
      if (mode !== "local") {
        throw new HttpError(400, "bad_request", 'The workspace is the platform\'s code folder and has no cloud copy: use mode "cloud" with location "uploads" or "temp"');
      }
      if (options.scope !== undefined) {
        throw new HttpError(400, "bad_request", 'scope applies to uploads and temp; workspace files belong to an organization by their orgs/<id>/ path');
      }
      checkWorkspaceAccess(caller, rel, access);
      return { store: this.workspace, rel, location, label: `workspace/${rel}` };
    }
    const scope = await resolveScope(caller, options.scope, access, this.deps.organizations);
    return { store: this.deps.stores[mode](`${location}/${scope}`), rel, location, label: `${location}/${rel}` };
  }

  /** A file's bytes: 404 when missing, 413 above the per-file limit. */
  async read(caller: SdkCaller, path: string, options: FileOptions = {}): Promise<{ data: Buffer; entry: FileEntry }> {
    const t = await this.target(caller, path, options, "read");
    const entry = await t.store.stat(t.rel);
    if (!entry) throw notFound(`File "${t.label}"`);
    if (entry.type === "directory") throw new HttpError(409, "conflict", `"${t.label}" is a folder, not a file`);
    if (entry.size > this.maxFileBytes) throw tooLarge(`"${t.label}"`, entry.size, this.maxFileBytes);
    const data = await t.store.read(t.rel);
    if (!data) throw notFound(`File "${t.label}"`);
    return { data, entry };
  }

  /** Creates or replaces a file; with `audit`, its event is committed before the file changes. */
  async write(caller: SdkCaller, path: string, data: Uint8Array, options: FileOptions = {}, audit?: FileAudit): Promise<FileEntry> {
    const t = await this.target(caller, path, options, "write");
    if (data.byteLength > this.maxFileBytes) throw tooLarge(`"${t.label}"`, data.byteLength, this.maxFileBytes);
    const entry = await withChangeAudit(audit?.(t.label), () => t.store.write(t.rel, data));
    if (t.location === "workspace") await this.deps.refresh([t.rel]);
    return entry;
  }

  /** The entries of a folder ("" = the location's root, empty until something is written). */
  async list(caller: SdkCaller, path = "", options: FileOptions = {}): Promise<FileEntry[]> {
    const t = await this.target(caller, path, options, "read", true);
    const entries = await t.store.list(t.rel);
    if (!entries) {
      if (t.rel === "") return [];
      if ((await t.store.stat(t.rel))?.type === "file") throw new HttpError(409, "conflict", `"${t.label}" is a file, not a folder`);
      throw notFound(`Folder "${t.label}"`);
    }
    return t.location === "workspace" ? visibleWorkspaceEntries(caller, entries) : entries;
  }

  /** Removes a file or a folder with everything in it; false when nothing was there. */
  async delete(caller: SdkCaller, path: string, options: FileOptions = {}, audit?: FileAudit): Promise<boolean> {
    const t = await this.target(caller, path, options, "write");
    // Nothing there: nothing changes, so no event either.
    if (audit && !(await t.store.exists(t.rel))) return false;
    const deleted = await withChangeAudit(audit?.(t.label), () => t.store.delete(t.rel));
    if (deleted && t.location === "workspace") await this.deps.refresh([t.rel]);
    return deleted;
  }

  /**
   * Renames or moves a workspace file or folder (platform admins: both paths are checked
   * as writes), then re-indexes what left the old path and what arrived at the new one.
   */
  async moveInWorkspace(caller: SdkCaller, from: string, to: string): Promise<{ entry: FileEntry; moved: string[] }> {
    const [src, dst] = [checkRelativePath(from), checkRelativePath(to)];
    checkWorkspaceAccess(caller, src, "write");
    checkWorkspaceAccess(caller, dst, "write");
    const entry = await this.workspace.move(src, dst);
    const moved = entry.type === "directory" ? await this.filesUnder(dst) : [dst];
    await this.deps.refresh([src, ...moved]);
    return { entry, moved };
  }

  private async filesUnder(dir: string): Promise<string[]> {
    const out: string[] = [];
    for (const e of (await this.workspace.list(dir)) ?? []) out.push(...(e.type === "directory" ? await this.filesUnder(e.path) : [e.path]));
    return out;
  }

  async exists(caller: SdkCaller, path: string, options: FileOptions = {}): Promise<boolean> {
    const t = await this.target(caller, path, options, "read");
    return t.store.exists(t.rel);
  }

  async stat(caller: SdkCaller, path: string, options: FileOptions = {}): Promise<FileEntry | null> {
    const t = await this.target(caller, path, options, "read", true);
    return t.store.stat(t.rel);
  }

  /**
   * Removes temp files (every mode, every organization) not modified for the temp
   * max age, and folders left empty. Runs at start-up and hourly.
   */
  async sweepTemp(now = Date.now()): Promise<number> {
    const cutoff = now - (this.deps.tempMaxAgeMs ?? DEFAULT_TEMP_MAX_AGE_MS);
    let removed = 0;
    const sweep = async (store: FileStore, dir: string): Promise<void> => {
      for (const entry of (await store.list(dir)) ?? []) {
        if (entry.type === "directory") {
          await sweep(store, entry.path);
          // A folder just created for a write has a fresh mtime: it stays.
          if (Date.parse(entry.modifiedAt) < cutoff && (await store.list(entry.path))?.length === 0) await store.delete(entry.path);
        } else if (Date.parse(entry.modifiedAt) < cutoff && (await store.delete(entry.path))) {
          removed++;
        }
      }
    };
    for (const mode of FILE_MODES) await sweep(this.deps.stores[mode]("temp"), "");
    return removed;
  }

  /** Starts the temp sweep (now, then hourly); `stop` ends it. */
  start(): void {
    const run = () => {
      this.sweeping ??= this.sweepTemp()
        .then(
          (n) => void (n > 0 && this.deps.log?.(`files: removed ${n} expired temp file(s)`)),
          (error: unknown) => this.deps.log?.(`files: temp cleanup failed: ${String(error)}`),
        )
        .finally(() => {
          this.sweeping = null;
        });
    };
    run();
    this.sweepTimer = setInterval(run, SWEEP_EVERY_MS);
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    await this.sweeping;
  }
}
