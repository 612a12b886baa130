import type { Kysely } from "kysely";
import type { ExecutableKind, IndexedDefinition, WorkflowSummary } from "@bifrost/contracts/workflow-options.js";
import type { Schema } from "./schema.js";

/** A registered workflow with where its compiled module lives. */
export interface StoredWorkflow extends WorkflowSummary {
  modulePath: string;
}

/** What indexing one workspace file found. */
export interface StoredFile {
  path: string;
  orgId: string | null;
  sourceHash: string;
  modulePath: string;
  inputs: Record<string, string>;
  definitions: IndexedDefinition[];
  errors: { exportName: string | null; message: string }[];
  createdAt: string;
  updatedAt: string;
}

type Settings = Omit<
  WorkflowSummary,
  "id" | "name" | "kind" | "orgId" | "filePath" | "exportName" | "paramsSchema" | "sourceHash" | "updatedAt"
>;

function toStored(row: Schema["workflows"]): StoredWorkflow {
  const settings = JSON.parse(row.settings) as Settings;
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as ExecutableKind,
    orgId: row.organization_id,
    filePath: row.file_path,
    exportName: row.export_name,
    paramsSchema: JSON.parse(row.params_schema) as Record<string, unknown>,
    sourceHash: row.source_hash,
    modulePath: row.module_path,
    updatedAt: row.updated_at,
    ...settings,
  };
}

function toRow(w: StoredWorkflow): Schema["workflows"] {
  const { id, name, kind, orgId, filePath, exportName, paramsSchema, sourceHash, modulePath, updatedAt, ...settings } = w;
  return {
    id,
    name,
    kind,
    organization_id: orgId,
    file_path: filePath,
    export_name: exportName,
    settings: JSON.stringify(settings),
    params_schema: JSON.stringify(paramsSchema),
    source_hash: sourceHash,
    module_path: modulePath,
    updated_at: updatedAt,
  };
}

function toFile(r: Schema["workflow_files"]): StoredFile {
  return {
    path: r.path,
    orgId: r.organization_id,
    sourceHash: r.source_hash,
    modulePath: r.module_path,
    inputs: JSON.parse(r.inputs) as Record<string, string>,
    definitions: JSON.parse(r.definitions) as IndexedDefinition[],
    errors: JSON.parse(r.errors) as StoredFile["errors"],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The registry's persistent copy: listing workflows reads this, never user code. */
export class WorkflowsRepo {
  constructor(private readonly db: Kysely<Schema>) {}

  async listWorkflows(): Promise<StoredWorkflow[]> {
    const rows = await this.db.selectFrom("workflows").selectAll().orderBy("name").execute();
    return rows.map(toStored);
  }

  async listFiles(): Promise<StoredFile[]> {
    const rows = await this.db.selectFrom("workflow_files").selectAll().orderBy("path").execute();
    return rows.map(toFile);
  }

  /**
   * Saves what indexing found, atomically: the files that changed (or `null` for a file
   * that is gone) and the full set of registered workflows of every file touched.
   */
  async save(files: { path: string; file: StoredFile | null; workflows: StoredWorkflow[] }[]): Promise<void> {
    if (files.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (const { path, file, workflows } of files) {
        await trx.deleteFrom("workflows").where("file_path", "=", path).execute();
        if (workflows.length > 0) await trx.insertInto("workflows").values(workflows.map(toRow)).execute();
        await trx.deleteFrom("workflow_files").where("path", "=", path).execute();
        if (file) {
          await trx
            .insertInto("workflow_files")
            .values({
              path: file.path,
              organization_id: file.orgId,
              source_hash: file.sourceHash,
              module_path: file.modulePath,
              inputs: JSON.stringify(file.inputs),
              definitions: JSON.stringify(file.definitions),
              errors: JSON.stringify(file.errors),
              created_at: file.createdAt,
              updated_at: file.updatedAt,
            })
            .execute();
        }
      }
    });
  }
}
