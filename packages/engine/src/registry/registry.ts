import { randomUUID } from "node:crypto";
import { resolveWorkflowSettings, type LoadError } from "@bifrost/contracts/workflow-options.js";
import type { StoredFile, StoredWorkflow, WorkflowsRepo } from "@bifrost/storage/workflows.repo.js";

const scopeKey = (orgId: string | null, name: string) => `${orgId ?? ""}\u0000${name}`;

export interface WorkflowQuery {
  /** `undefined` = all organizations (platform admin); otherwise the org plus global workflows. */
  orgId?: string | null;
  category?: string;
  tag?: string;
  kind?: string;
  /** Case-insensitive text found in name, description or tags. */
  text?: string;
}

/**
 * Which workflows exist, in memory for the hot path and persisted for listing. A name is
 * unique per scope (an organization, or global): when two files define the same name,
 * the file indexed first keeps it and the other is reported as a load error.
 */
export class Registry {
  private files = new Map<string, StoredFile>();
  private byId = new Map<string, StoredWorkflow>();
  private byName = new Map<string, StoredWorkflow>();
  private conflicts = new Map<string, LoadError[]>();
  private readonly ids = new Map<string, string>();
  private readonly listeners = new Set<() => void>();

  /** Names of the custom roles that exist (lower case); null = not checked. */
  private roles: Set<string> | null = null;

  constructor(
    private readonly repo: WorkflowsRepo,
    /** The custom roles' names: a role-based workflow naming another is not registered (fail closed). */
    private readonly knownRoles?: () => Promise<string[]>,
  ) {}

  async load(): Promise<void> {
    if (this.knownRoles) this.roles = new Set((await this.knownRoles()).map((r) => r.toLowerCase()));
    for (const w of await this.repo.listWorkflows()) this.ids.set(scopeKey(w.orgId, w.name), w.id);
    this.files = new Map((await this.repo.listFiles()).map((f) => [f.path, f]));
    this.recompute();
  }

  file(path: string): StoredFile | undefined {
    return this.files.get(path);
  }

  filePaths(): string[] {
    return [...this.files.keys()];
  }

  /** Records what indexing found for files (`null` = deleted) and persists the result. */
  async apply(changes: { path: string; file: StoredFile | null }[]): Promise<void> {
    const before = this.snapshotByFile();
    for (const { path, file } of changes) {
      if (file) this.files.set(path, file);
      else this.files.delete(path);
    }
    this.recompute();
    const after = this.snapshotByFile();
    const touched = new Set(changes.map((c) => c.path));
    for (const [path, text] of after) if (before.get(path) !== text) touched.add(path);
    for (const path of before.keys()) if (!after.has(path)) touched.add(path);
    await this.repo.save(
      [...touched].map((path) => ({
        path,
        file: this.files.get(path) ?? null,
        workflows: [...this.byId.values()].filter((w) => w.filePath === path),
      })),
    );
    for (const listener of this.listeners) listener();
  }

  /**
   * Custom roles were created, renamed or deleted: role-based workflows that name them
   * register (or stop) now, without a file change.
   */
  async rolesChanged(): Promise<void> {
    if (!this.knownRoles) return;
    this.roles = new Set((await this.knownRoles()).map((r) => r.toLowerCase()));
    await this.apply([]);
  }

  /** Role-based workflows that name `role` (any case): what deleting or renaming it would unregister. */
  usingRole(role: string): StoredWorkflow[] {
    const wanted = role.toLowerCase();
    return [...this.byId.values()].filter((w) => w.access.level === "roleBased" && w.access.roles.some((r) => r.toLowerCase() === wanted));
  }

  /** Called after every change (schedules and caches hook in here). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Finds a workflow by id or name, as seen from `orgId`: an organization sees its own
   * workflows and the global ones; `undefined` (platform admin, no org) sees every id and
   * global names.
   */
  resolve(idOrName: string, orgId: string | null | undefined): StoredWorkflow | undefined {
    const byId = this.byId.get(idOrName);
    if (byId && (orgId === undefined || byId.orgId === null || byId.orgId === orgId)) return byId;
    if (orgId) {
      const own = this.byName.get(scopeKey(orgId, idOrName));
      if (own) return own;
    }
    return this.byName.get(scopeKey(null, idOrName));
  }

  getById(id: string): StoredWorkflow | undefined {
    return this.byId.get(id);
  }

  list(query: WorkflowQuery = {}): StoredWorkflow[] {
    const text = query.text?.toLowerCase();
    return [...this.byId.values()]
      .filter((w) => query.orgId === undefined || w.orgId === null || w.orgId === query.orgId)
      .filter((w) => !query.category || w.category === query.category)
      .filter((w) => !query.tag || w.tags.includes(query.tag))
      .filter((w) => !query.kind || w.kind === query.kind)
      .filter(
        (w) =>
          !text ||
          w.name.toLowerCase().includes(text) ||
          (w.description ?? "").toLowerCase().includes(text) ||
          w.tags.some((t) => t.toLowerCase().includes(text)),
      )
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Files that failed to compile or load, and definitions that were not registered. */
  loadErrors(orgId?: string | null): LoadError[] {
    const out: LoadError[] = [];
    for (const file of this.files.values()) {
      if (orgId !== undefined && file.orgId !== null && file.orgId !== orgId) continue;
      for (const e of file.errors) out.push({ filePath: file.path, exportName: e.exportName, message: e.message, updatedAt: file.updatedAt });
      out.push(...(this.conflicts.get(file.path) ?? []));
    }
    return out;
  }

  private recompute(): void {
    const byId = new Map<string, StoredWorkflow>();
    const byName = new Map<string, StoredWorkflow>();
    const conflicts = new Map<string, LoadError[]>();
    // Oldest file first: a workflow that works keeps working when a duplicate appears.
    const files = [...this.files.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.path.localeCompare(b.path));
    for (const file of files) {
      for (const def of file.definitions) {
        const key = scopeKey(file.orgId, def.name);
        const access = def.options.access;
        const unknown = access?.level === "roleBased" && this.roles ? (access.roles ?? []).filter((r) => !this.roles!.has(r.toLowerCase())) : [];
        if (unknown.length > 0) {
          // Roles are never created on first use, and an unknown role grants nobody: not registered.
          const list = conflicts.get(file.path) ?? [];
          list.push({
            filePath: file.path,
            exportName: def.exportName,
            message: `${def.name}: access names unknown role(s) ${unknown.map((m) => `"${m}"`).join(", ")}: not registered until an admin creates them with POST /api/roles (no file change needed)`,
            updatedAt: file.updatedAt,
          });
          conflicts.set(file.path, list);
          continue;
        }
        const holder = byName.get(key);
        if (holder) {
          const list = conflicts.get(file.path) ?? [];
          list.push({
            filePath: file.path,
            exportName: def.exportName,
            message: `duplicate workflow name "${def.name}": already defined by ${holder.filePath} (export ${holder.exportName}); this one is not registered`,
            updatedAt: file.updatedAt,
          });
          conflicts.set(file.path, list);
          continue;
        }
        let id = this.ids.get(key);
        if (!id) this.ids.set(key, (id = randomUUID()));
        const workflow: StoredWorkflow = {
          id,
          name: def.name,
          kind: def.kind,
          orgId: file.orgId,
          filePath: file.path,
          exportName: def.exportName,
          paramsSchema: def.paramsSchema,
          sourceHash: file.sourceHash,
          modulePath: file.modulePath,
          updatedAt: file.updatedAt,
          ...resolveWorkflowSettings(def.kind, def.options),
        };
        byId.set(id, workflow);
        byName.set(key, workflow);
      }
    }
    this.byId = byId;
    this.byName = byName;
    this.conflicts = conflicts;
  }

  private snapshotByFile(): Map<string, string> {
    const grouped = new Map<string, StoredWorkflow[]>();
    for (const w of this.byId.values()) grouped.set(w.filePath, [...(grouped.get(w.filePath) ?? []), w]);
    return new Map([...grouped].map(([p, ws]) => [p, JSON.stringify(ws)]));
  }
}
