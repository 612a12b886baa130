import { join } from "node:path";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import { isWorkflowName, workflowTemplate, WORKFLOW_TEMPLATES } from "@bifrost/contracts/templates.js";
import type { LoadError } from "@bifrost/contracts/workflow-options.js";
import { CompileError, compileEntry } from "@bifrost/engine/compiler/compiler.js";
import { orgOfPath } from "@bifrost/engine/registry/indexer.js";
import type { Engine } from "@bifrost/engine/engine.js";
import type { StoredWorkflow } from "@bifrost/storage/workflows.repo.js";
import { z } from "zod";
import { forbidden, HttpError, validationFailed } from "../../http-error.js";
import { parseBody } from "../../parse.js";
import type { ChangeAudit } from "../audit/audit.js";
import type { FilesService } from "../files/files.service.js";
import { checkRelativePath } from "../files/safe-path.js";
import { publicWorkflow, type WorkflowsService } from "./workflows.service.js";

/** Largest workflow source accepted (bytes of UTF-8): 413 above. */
export const MAX_SOURCE_BYTES = 1024 * 1024;

export const CreateWorkflowBody = z
  .object({
    name: z.string().refine(isWorkflowName, "must be an identifier: letters, digits and _ (not first a digit, not a reserved word such as class), at most 100"),
    source: z.string().optional(),
    template: z.enum(WORKFLOW_TEMPLATES).optional(),
    folder: z.string().optional(),
  })
  .strict()
  .refine((b) => (b.source === undefined) !== (b.template === undefined), { path: ["source"], message: "give either source or template, not both or neither" });

export const UpdateWorkflowBody = z.object({ source: z.string() }).strict();

/** One problem of a file that did not register, with where it is when the compiler said so. */
export interface SourceProblem {
  message: string;
  exportName: string | null;
  line: number | null;
  column: number | null;
}

/** `file.ts:3:17: text` (esbuild's form, the workspace root already cut off) → line 3, column 17. */
export function sourceProblem(filePath: string, e: { message: string; exportName: string | null }): SourceProblem {
  const escaped = filePath.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`(?:^|\\n)${escaped}:(\\d+):(\\d+): `).exec(e.message) ?? /:(\d+):(\d+): /.exec(e.message);
  return { message: e.message, exportName: e.exportName, line: m ? Number(m[1]) : null, column: m ? Number(m[2]) : null };
}

function loadFailed(filePath: string, problems: SourceProblem[]): HttpError {
  const first = problems[0]!;
  const where = first.line !== null ? ` (line ${first.line}, column ${first.column})` : "";
  return new HttpError(422, "load_error", `${filePath} does not register${where}: ${first.message}`, [{ path: "source", message: first.message }], { filePath, problems });
}

/** A change's events: the one committed before the file changes, and the one after an undo. */
export type ChangeEvents = (target: string, details: Record<string, unknown>) => { change: ChangeAudit; undone: () => Promise<void> };

/** What a create or update answers: the workflow, and every workflow its file defines. */
export interface WorkflowFileResult {
  workflow: ReturnType<typeof publicWorkflow>;
  filePath: string;
  workflows: ReturnType<typeof publicWorkflow>[];
}

/**
 * Workflow create / update / delete (SPEC §4, issue 14 part 2): each writes or removes a
 * workspace file and answers once the registry agrees. A change that does not register is
 * undone (the file removed, or its previous source put back) and answered 422 with the
 * load error's line and column, so through this API a working workflow is never replaced
 * by a broken one. Platform admins only (the permission table); acting in an organization
 * (`X-Bifrost-Org`) they work in that organization's `orgs/<id>/` folder only.
 */
export class WorkflowFilesService {
  /** One change at a time (in this process): two creates of one name cannot both pass the duplicate check. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: { engine: Engine; files: FilesService; workflows: WorkflowsService }) {}

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private get registry() {
    return this.deps.engine.registry;
  }

  private sourceBytes(source: string): Buffer {
    const data = Buffer.from(source, "utf8");
    if (data.byteLength > MAX_SOURCE_BYTES) throw new HttpError(413, "source_too_large", `source is ${data.byteLength} bytes; a workflow file may be at most ${MAX_SOURCE_BYTES} bytes`);
    return data;
  }

  /** esbuild first, before anything is written: a syntax error is a 422 with its line and column. */
  private async compiles(rel: string, source: string): Promise<void> {
    try {
      await compileEntry({ entryPath: join(this.deps.engine.config.workspace, rel), source, mode: "module", rootDir: this.deps.engine.config.workspace, outDir: this.deps.engine.buildDir });
    } catch (error) {
      if (error instanceof CompileError) throw loadFailed(rel, [sourceProblem(rel, { message: error.message, exportName: null })]);
      throw error;
    }
  }

  /** Where a new file goes: `folder/name.ts`, checked against the caller's organization. */
  private async placeFor(caller: SdkCaller, name: string, folder: string | undefined): Promise<string> {
    let rel: string;
    try {
      rel = checkRelativePath(folder ?? (caller.orgId ? `orgs/${caller.orgId}` : ""), { allowRoot: true });
    } catch (error) {
      throw validationFailed([{ path: "folder", message: (error as Error).message }]);
    }
    const parts = rel === "" ? [] : rel.split("/");
    if (parts.some((p) => p.startsWith(".") || p === "node_modules")) throw validationFailed([{ path: "folder", message: "must not be a dot folder or node_modules (files there are never registered)" }]);
    const path = rel === "" ? `${name}.ts` : `${rel}/${name}.ts`;
    const org = orgOfPath(path);
    if (parts[0] === "orgs" && org === null) throw validationFailed([{ path: "folder", message: "orgs/ holds one folder per organization: orgs/<organization id>/…" }]);
    if (caller.orgId && org !== caller.orgId) throw forbidden(`Acting in organization ${caller.orgId}, workflows go under orgs/${caller.orgId}/ (send no X-Bifrost-Org to write elsewhere)`);
    if (org && !(await this.deps.engine.repos.organizations.get(org))) throw validationFailed([{ path: "folder", message: `names organization ${org}, which does not exist` }]);
    return path;
  }

  private checkActsOn(caller: SdkCaller, w: StoredWorkflow): void {
    if (caller.orgId && w.orgId !== caller.orgId) throw forbidden(`Workflow "${w.name}" is not organization ${caller.orgId}'s own: change it without X-Bifrost-Org`);
  }

  /** Workspace files whose bundle includes `filePath` (they import it, directly or not). */
  private importersOf(filePath: string): string[] {
    return this.registry.filePaths().filter((p) => p !== filePath && Object.hasOwn(this.registry.file(p)?.inputs ?? {}, filePath));
  }

  private errorsOf(filePath: string): LoadError[] {
    return this.registry.loadErrors().filter((e) => e.filePath === filePath);
  }

  private result(filePath: string, name: string): WorkflowFileResult | LoadError[] {
    const errors = this.errorsOf(filePath);
    const workflows = this.registry.list().filter((w) => w.filePath === filePath);
    const workflow = workflows.find((w) => w.name === name);
    if (errors.length > 0 || !workflow) {
      return errors.length > 0 ? errors : [{ filePath, exportName: null, message: `the file registers no workflow named "${name}"`, updatedAt: new Date().toISOString() }];
    }
    return { workflow: publicWorkflow(workflow), filePath, workflows: workflows.map(publicWorkflow) };
  }

  /** Writes a new workflow file from `source` or a template; 201 once registered. */
  create(caller: SdkCaller, input: unknown, audit: ChangeEvents): Promise<WorkflowFileResult> {
    return this.serialized(() => this.createNow(caller, input, audit));
  }

  private async createNow(caller: SdkCaller, input: unknown, audit: ChangeEvents): Promise<WorkflowFileResult> {
    const body = parseBody(CreateWorkflowBody, input);
    const path = await this.placeFor(caller, body.name, body.folder);
    const org = orgOfPath(path);
    const holder = this.registry.list().find((w) => w.orgId === org && w.name === body.name);
    if (holder) throw new HttpError(409, "conflict", `A workflow named "${body.name}" already exists${org ? ` in organization ${org}` : " in the global scope"} (${holder.filePath})`);
    if (await this.deps.files.workspace.exists(path)) throw new HttpError(409, "conflict", `workspace/${path} already exists`);
    const source = body.source ?? workflowTemplate(body.template!, body.name);
    const data = this.sourceBytes(source);
    await this.compiles(path, source);
    const a = audit(path, { name: body.name, template: body.template ?? null });
    await this.deps.files.write(caller, path, data, {}, () => a.change);
    const done = this.result(path, body.name);
    if (!Array.isArray(done)) return done;
    // It compiled but does not register (its top-level code threw, a duplicate, an unknown role…): undone.
    await this.deps.files.delete(caller, path);
    await a.undone();
    throw loadFailed(path, done.map((e) => sourceProblem(path, e)));
  }

  /** Replaces the source of the workflow's file; the previous source stays when the new one does not register. */
  update(caller: SdkCaller, idOrName: string, input: unknown, audit: ChangeEvents): Promise<WorkflowFileResult> {
    return this.serialized(() => this.updateNow(caller, idOrName, input, audit));
  }

  private async updateNow(caller: SdkCaller, idOrName: string, input: unknown, audit: ChangeEvents): Promise<WorkflowFileResult> {
    const w = this.deps.workflows.find(caller, idOrName);
    this.checkActsOn(caller, w);
    const { source } = parseBody(UpdateWorkflowBody, input);
    const data = this.sourceBytes(source);
    await this.compiles(w.filePath, source);
    const previous = await this.deps.files.workspace.read(w.filePath);
    // Files importing this one are re-indexed with it: one it breaks is a reason to undo too.
    const importers = this.importersOf(w.filePath);
    const brokenBefore = new Set(importers.filter((p) => this.errorsOf(p).length > 0));
    const a = audit(w.filePath, { id: w.id, name: w.name });
    await this.deps.files.write(caller, w.filePath, data, {}, () => a.change);
    const done = this.result(w.filePath, w.name);
    const broken = importers.filter((p) => !brokenBefore.has(p)).flatMap((p) => this.errorsOf(p));
    if (!Array.isArray(done) && broken.length === 0) return done;
    if (previous) await this.deps.files.write(caller, w.filePath, previous);
    else await this.deps.files.delete(caller, w.filePath);
    // An importer that failed to compile no longer lists this file among its inputs: indexed again by name.
    await this.deps.engine.indexer.refresh(importers);
    await a.undone();
    const problems = Array.isArray(done) ? done : broken;
    throw loadFailed(w.filePath, problems.map((e) => sourceProblem(e.filePath, e)));
  }

  /** Removes the workflow's file (and so every workflow it defines); 409 while other files import it. */
  delete(caller: SdkCaller, idOrName: string, audit: (target: string, details: Record<string, unknown>) => ChangeAudit): Promise<void> {
    return this.serialized(() => this.deleteNow(caller, idOrName, audit));
  }

  private async deleteNow(caller: SdkCaller, idOrName: string, audit: (target: string, details: Record<string, unknown>) => ChangeAudit): Promise<void> {
    const w = this.deps.workflows.find(caller, idOrName);
    this.checkActsOn(caller, w);
    const importers = this.importersOf(w.filePath);
    if (importers.length > 0) {
      throw new HttpError(409, "conflict", `${w.filePath} is imported by ${importers.join(", ")}: change those files first`, undefined, { importedBy: importers });
    }
    const defined = this.registry.list().filter((x) => x.filePath === w.filePath).map((x) => x.name);
    await this.deps.files.delete(caller, w.filePath, {}, () => audit(w.filePath, { id: w.id, name: w.name, workflows: defined }));
  }
}
