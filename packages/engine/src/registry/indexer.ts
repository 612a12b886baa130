import { createHash } from "node:crypto";
import { watch, type FSWatcher } from "node:fs";
import { readFile, readdir, realpath } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { StoredFile } from "@bifrost/storage/workflows.repo.js";
import { CompileError, compileEntry } from "../compiler/compiler.js";
import type { WorkerPool } from "../pool/worker-pool.js";
import { cleanStack } from "../executor/outcome.js";
import type { Registry } from "./registry.js";

const INDEX_TIMEOUT_MS = 15_000;

/** Workspace files that may define workflows: TypeScript, not tests or declarations. */
export function isEntryFile(rel: string): boolean {
  const parts = rel.split(/[\\/]/);
  if (parts.some((p) => p.startsWith(".") || p === "node_modules")) return false;
  return /\.(m?ts)$/.test(rel) && !/\.(d|test|spec)\.m?ts$/.test(rel);
}

/** `orgs/<org id>/…` belongs to that organization; everything else is global. */
export function orgOfPath(rel: string): string | null {
  const m = /^orgs\/([^/]+)\//.exec(rel.split(sep).join("/"));
  return m ? m[1]! : null;
}

async function hashFile(path: string): Promise<string | null> {
  try {
    return createHash("sha256").update(await readFile(path)).digest("hex");
  } catch {
    return null;
  }
}

/**
 * Keeps the registry in step with the workspace folder: compiles each entry file with
 * esbuild, imports it in an isolated indexing child to read its definitions (never in
 * this process), and watches for saves. Work is serialized so two saves of one file
 * never race.
 */
export class Indexer {
  private chain: Promise<void> = Promise.resolve();
  private watcher: FSWatcher | null = null;
  private pendingPaths = new Set<string>();
  private debounce: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: {
      workspace: string;
      buildDir: string;
      registry: Registry;
      pool: WorkerPool;
      /** Keeps each compiled bundle by its hash (in the database). */
      storeModule: (hash: string, code: string) => Promise<void>;
      log: (level: "info" | "warn" | "error", message: string) => void;
    },
  ) {}

  /** Indexes every entry file, skipping those whose sources are unchanged since the last run. */
  scan(): Promise<void> {
    return this.enqueue(async () => {
      const onDisk = await this.listEntries();
      const gone = this.deps.registry.filePaths().filter((p) => !onDisk.includes(p));
      await this.indexNow([...onDisk, ...gone], false);
    });
  }

  /** Re-indexes the given workspace paths (and every file that imports them), then resolves. */
  refresh(paths: string[]): Promise<void> {
    return this.enqueue(() => this.indexNow(paths, true));
  }

  watch(): void {
    try {
      this.watcher = watch(this.deps.workspace, { recursive: true }, (_event, filename) => {
        if (!filename) return;
        const rel = filename.toString();
        if (rel.split(/[\\/]/).some((p) => p === "node_modules" || p.startsWith("."))) return;
        this.pendingPaths.add(rel);
        if (this.debounce) clearTimeout(this.debounce);
        this.debounce = setTimeout(() => {
          const paths = [...this.pendingPaths];
          this.pendingPaths.clear();
          void this.refresh(paths);
        }, 30);
      });
      this.watcher.on("error", (error) => this.deps.log("error", `workspace watcher: ${error.message}`));
    } catch (error) {
      this.deps.log("warn", `cannot watch ${this.deps.workspace} (${String(error)}); files are indexed at start-up and through the API only`);
    }
  }

  async stop(): Promise<void> {
    this.watcher?.close();
    if (this.debounce) clearTimeout(this.debounce);
    await this.chain;
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.chain.then(work, work);
    this.chain = next.catch((error: unknown) => this.deps.log("error", `indexing failed: ${String(error)}`));
    return next;
  }

  private async listEntries(dir = this.deps.workspace): Promise<string[]> {
    const out: string[] = [];
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return out;
    }
    for (const e of entries) {
      if (e.name.startsWith(".") || e.name === "node_modules") continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) out.push(...(await this.listEntries(full)));
      else if (e.isFile() && isEntryFile(relative(this.deps.workspace, full))) out.push(relative(this.deps.workspace, full));
    }
    return out.sort();
  }

  private async indexNow(paths: string[], includeDependents: boolean): Promise<void> {
    const targets = new Set<string>();
    for (const p of paths) {
      const rel = p.split(sep).join("/");
      if (isEntryFile(rel)) targets.add(rel);
      // A deleted folder: forget every file that was under it.
      for (const known of this.deps.registry.filePaths()) if (known.startsWith(`${rel}/`)) targets.add(known);
      if (includeDependents) {
        for (const known of this.deps.registry.filePaths()) {
          if (Object.hasOwn(this.deps.registry.file(known)?.inputs ?? {}, rel)) targets.add(known);
        }
      }
    }
    const changes: { path: string; file: StoredFile | null }[] = [];
    for (const rel of targets) {
      const change = await this.indexFile(rel, includeDependents);
      if (change !== "unchanged") changes.push({ path: rel, file: change });
    }
    if (changes.length > 0) await this.deps.registry.apply(changes);
  }

  /** What one file defines now; `null` when it is gone, "unchanged" when nothing changed. */
  private async indexFile(rel: string, force: boolean): Promise<StoredFile | null | "unchanged"> {
    const abs = join(this.deps.workspace, rel);
    const previous = this.deps.registry.file(rel);
    const source = await readFile(abs, "utf8").catch(() => null);
    if (source === null) return previous ? null : "unchanged";
    const now = new Date().toISOString();
    const base = { path: rel, orgId: orgOfPath(rel), createdAt: previous?.createdAt ?? now, updatedAt: now };
    // A file's organization is its folder's: a symbolic link (the file or a folder above
    // it) could put one organization's code under another's path, or the global scope.
    if (!(await this.isPlainFile(rel))) {
      const message = "not indexed: workspace files and folders may not be symbolic links (a link could move code between organizations)";
      return { ...base, sourceHash: "", modulePath: "", inputs: { [rel]: "" }, definitions: [], errors: [{ exportName: null, message }] };
    }
    if (previous && !force && (await this.inputsUnchanged(previous))) return "unchanged";

    let compiled;
    try {
      compiled = await compileEntry({ entryPath: abs, source, mode: "module", rootDir: this.deps.workspace, outDir: this.deps.buildDir });
    } catch (error) {
      const message = error instanceof CompileError ? error.message : String(error);
      return { ...base, sourceHash: "", modulePath: "", inputs: { [rel]: (await hashFile(abs)) ?? "" }, definitions: [], errors: [{ exportName: null, message }] };
    }
    await this.deps.storeModule(compiled.hash, compiled.code);
    const inputs: Record<string, string> = {};
    for (const input of compiled.inputs) {
      if (input.includes("node_modules") || input.startsWith("..")) continue;
      inputs[input] = (await hashFile(join(this.deps.workspace, input))) ?? "";
    }
    if (previous && previous.sourceHash === compiled.hash && previous.errors.length === 0) {
      return { ...previous, inputs };
    }
    // Top-level code of one organization's files never shares a process with another's.
    const org = orgOfPath(rel);
    const tenant = org ? `org:${org}` : "index:global";
    const result = await this.deps.pool.index({ type: "index", modulePath: compiled.modulePath }, { timeoutMs: INDEX_TIMEOUT_MS, tenant });
    const file: StoredFile = { ...base, sourceHash: compiled.hash, modulePath: compiled.modulePath, inputs, definitions: [], errors: [] };
    switch (result.kind) {
      case "done":
        if (result.outcome.ok) {
          file.definitions = result.outcome.definitions;
          file.errors = result.outcome.errors;
        } else {
          const stack = cleanStack(result.outcome.error.stack, this.deps.workspace);
          file.errors = [{ exportName: null, message: `failed to load: ${stack?.split("\n").slice(0, 4).join("\n") ?? result.outcome.error.message}` }];
        }
        break;
      case "timeout":
        file.errors = [{ exportName: null, message: `failed to load: its top-level code ran longer than ${INDEX_TIMEOUT_MS / 1000} s` }];
        break;
      case "memory":
        file.errors = [{ exportName: null, message: `failed to load: ${result.detail}` }];
        break;
      case "crashed":
        file.errors = [{ exportName: null, message: `failed to load: the process exited (code ${result.exitCode}, signal ${result.signal}) ${result.stderr.slice(-300)}`.trim() }];
        break;
      case "cancelled":
        file.errors = [{ exportName: null, message: "failed to load: indexing was interrupted (platform shutting down)" }];
        break;
    }
    return file;
  }

  /** Whether the file's real path is the path it is listed under (no link on the way). */
  private async isPlainFile(rel: string): Promise<boolean> {
    try {
      const root = await realpath(this.deps.workspace);
      return (await realpath(join(this.deps.workspace, rel))) === join(root, rel);
    } catch {
      return false;
    }
  }

  private async inputsUnchanged(file: StoredFile): Promise<boolean> {
    const entries = Object.entries(file.inputs);
    if (entries.length === 0) return false;
    for (const [path, hash] of entries) if ((await hashFile(join(this.deps.workspace, path))) !== hash) return false;
    return true;
  }
}
