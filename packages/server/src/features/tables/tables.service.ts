import { randomUUID } from "node:crypto";
import type { FieldError } from "@bifrost/contracts/execution.js";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import type { InTransaction } from "@bifrost/storage/audit.repo.js";
import type { Schema } from "@bifrost/storage/schema.js";
import type { Kysely } from "kysely";
import { parseOrder, parseWhere, type Parsed } from "@bifrost/storage/tables-filter.js";
import type { DocumentInput, TableRow, TablesRepo, WriteResult } from "@bifrost/storage/tables.repo.js";
import { HttpError, notFound, validationFailed } from "../../http-error.js";
import { resolveScope } from "../sdk/scope.js";
import { DEFAULT_LIMIT, MAX_DOCUMENT_BYTES } from "./tables.schemas.js";

export type Document = { id: string } & Record<string, unknown>;

export interface TableInfo {
  name: string;
  /** "global" or the organization id the table belongs to. */
  scope: string;
  documentCount: number;
  createdAt: string;
}

export interface QueryInput {
  where?: Record<string, unknown>;
  orderBy?: string;
  orderDir?: "asc" | "desc";
  limit?: number;
  offset?: number;
}

export interface QueryResult {
  documents: Document[];
  total: number;
  limit: number;
  offset: number;
}

/** An API change's audit event, written in the change's transaction, told the scope it acted in. */
export type TableAudit = (db: Kysely<Schema>, scope: string) => Promise<void>;

interface Scoped {
  scope?: string;
  /** Through the API: the change's event (the SDK's calls inside runs have none). */
  audit?: TableAudit;
}

const alsoOf = (options: Scoped, scope: string): InTransaction | undefined => (options.audit ? (db) => options.audit!(db, scope) : undefined);

const conflict = (message: string) => new HttpError(409, "conflict", message);
const tooLarge = (message: string) => new HttpError(413, "payload_too_large", message);
const noTable = (name: string) => notFound(`Table "${name}"`);

function unwrap<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw validationFailed(parsed.errors);
  return parsed.value;
}

const toInfo = (row: TableRow): TableInfo => ({ name: row.name, scope: row.scope, documentCount: row.documentCount, createdAt: row.createdAt });

/**
 * Tables of JSON documents (SPEC §2 `tables`) per scope: an organization id or "global".
 * Names live per scope with no fallback: an organization reads a global table by naming
 * `scope: "global"`, and only platform admins write there or act in another organization.
 */
export class TablesService {
  constructor(private readonly deps: { repo: TablesRepo; organizations: OrganizationsRepo }) {}

  private scope(caller: SdkCaller, options: Scoped, mode: "read" | "write"): Promise<string> {
    return resolveScope(caller, options.scope, mode, this.deps.organizations);
  }

  /** Creates a table; `created` is false when `ifNotExists` found it already there. */
  async create(caller: SdkCaller, name: string, options: Scoped & { ifNotExists?: boolean } = {}): Promise<{ table: TableInfo; created: boolean }> {
    const scope = await this.scope(caller, options, "write");
    const created = await this.deps.repo.createTable(scope, name, undefined, alsoOf(options, scope));
    if (!created && !options.ifNotExists) throw conflict(`Table "${name}" already exists`);
    return { table: toInfo((await this.deps.repo.getTable(scope, name))!), created };
  }

  async list(caller: SdkCaller, options: Scoped = {}): Promise<TableInfo[]> {
    const scope = await this.scope(caller, options, "read");
    return (await this.deps.repo.listTables(scope)).map(toInfo);
  }

  async describe(caller: SdkCaller, name: string, options: Scoped = {}): Promise<TableInfo> {
    const scope = await this.scope(caller, options, "read");
    const row = await this.deps.repo.getTable(scope, name);
    if (!row) throw noTable(name);
    return toInfo(row);
  }

  async drop(caller: SdkCaller, name: string, options: Scoped = {}): Promise<boolean> {
    const scope = await this.scope(caller, options, "write");
    return this.deps.repo.dropTable(scope, name, alsoOf(options, scope));
  }

  async insert(caller: SdkCaller, table: string, document: Record<string, unknown>, options: Scoped = {}): Promise<Document> {
    return (await this.insertBatch(caller, table, [document], options, "document"))[0]!;
  }

  async upsert(caller: SdkCaller, table: string, document: Record<string, unknown>, options: Scoped = {}): Promise<Document> {
    return (await this.upsertBatch(caller, table, [document], options, "document"))[0]!;
  }

  /** All documents or none: validation, size and id conflicts are checked before anything stays written. */
  async insertBatch(caller: SdkCaller, table: string, documents: Record<string, unknown>[], options: Scoped = {}, label = "documents"): Promise<Document[]> {
    const scope = await this.scope(caller, options, "write");
    const prepared = prepareAll(documents, label);
    const seen = new Set<string>();
    for (const d of prepared.inputs) {
      if (seen.has(d.id)) throw conflict(`The batch holds document id "${d.id}" twice`);
      seen.add(d.id);
    }
    const result = await this.deps.repo.insertDocuments(scope, table, prepared.inputs, undefined, alsoOf(options, scope));
    this.check(result, table);
    return prepared.documents;
  }

  async upsertBatch(caller: SdkCaller, table: string, documents: Record<string, unknown>[], options: Scoped = {}, label = "documents"): Promise<Document[]> {
    const scope = await this.scope(caller, options, "write");
    const prepared = prepareAll(documents, label);
    // The last document with an id wins, as if they were upserted one after the other.
    const byId = new Map(prepared.inputs.map((d) => [d.id, d]));
    this.check(await this.deps.repo.upsertDocuments(scope, table, [...byId.values()], undefined, alsoOf(options, scope)), table);
    return prepared.documents;
  }

  /** The document, or null when there is none (a missing table is 404). */
  async get(caller: SdkCaller, table: string, id: string, options: Scoped = {}): Promise<Document | null> {
    const scope = await this.scope(caller, options, "read");
    const data = await this.deps.repo.getDocument(scope, table, id);
    if (data === null) {
      await this.requireTable(scope, table);
      return null;
    }
    return JSON.parse(data) as Document;
  }

  /** Shallow merge: the patch's top-level keys replace the document's. */
  async update(caller: SdkCaller, table: string, id: string, patch: Record<string, unknown>, options: Scoped = {}): Promise<Document> {
    const scope = await this.scope(caller, options, "write");
    if (patch.id !== undefined && patch.id !== id) throw validationFailed([{ path: "patch.id", message: "cannot change a document's id" }]);
    const result = await this.deps.repo.updateDocument(scope, table, id, (data) => {
      const merged = { ...(JSON.parse(data) as Record<string, unknown>), ...patch, id };
      return prepare(merged, "patch").input.data;
    }, undefined, alsoOf(options, scope));
    const data = this.check(result, table);
    if (data === null) throw notFound(`Document "${id}" in table "${table}"`);
    return JSON.parse(data) as Document;
  }

  async deleteDocument(caller: SdkCaller, table: string, id: string, options: Scoped = {}): Promise<boolean> {
    return (await this.deleteBatch(caller, table, [id], options)) > 0;
  }

  /** Deletes in one transaction; ids that do not exist are skipped. Resolves how many went. */
  async deleteBatch(caller: SdkCaller, table: string, ids: string[], options: Scoped = {}): Promise<number> {
    const scope = await this.scope(caller, options, "write");
    return this.check(await this.deps.repo.deleteDocuments(scope, table, [...new Set(ids)], alsoOf(options, scope)), table);
  }

  async query(caller: SdkCaller, table: string, options: Scoped & QueryInput = {}): Promise<QueryResult> {
    const scope = await this.scope(caller, options, "read");
    const where = unwrap(parseWhere(options.where));
    const order = unwrap(parseOrder(options.orderBy, options.orderDir));
    const limit = options.limit ?? DEFAULT_LIMIT;
    const offset = options.offset ?? 0;
    await this.requireTable(scope, table);
    const page = await this.deps.repo.query(scope, table, where, order, limit, offset);
    return { documents: page.documents.map((d) => JSON.parse(d) as Document), total: page.total, limit, offset };
  }

  async count(caller: SdkCaller, table: string, options: Scoped & { where?: Record<string, unknown> } = {}): Promise<number> {
    const scope = await this.scope(caller, options, "read");
    const where = unwrap(parseWhere(options.where));
    await this.requireTable(scope, table);
    return this.deps.repo.count(scope, table, where);
  }

  private async requireTable(scope: string, table: string): Promise<void> {
    if (!(await this.deps.repo.getTable(scope, table))) throw noTable(table);
  }

  private check<T>(result: WriteResult<T>, table: string): T {
    if (result.ok) return result.value;
    if (result.reason === "no_table") throw noTable(table);
    throw conflict(result.id === null ? `A document id in the batch already exists in table "${table}"` : `A document with id "${result.id}" already exists in table "${table}"`);
  }
}

/** The stored form of a document: an id (generated when absent) and its JSON, within the size limit. */
function prepare(input: Record<string, unknown>, at: string): { document: Document; input: DocumentInput } {
  const id = input.id ?? randomUUID();
  if (typeof id !== "string" || id.length === 0 || id.length > 256) throw validationFailed([{ path: `${at}.id`, message: "must be a string of 1 to 256 characters" }]);
  const data = JSON.stringify({ ...input, id });
  const bytes = Buffer.byteLength(data, "utf8");
  if (bytes > MAX_DOCUMENT_BYTES) throw tooLarge(`${at} is ${bytes} bytes of JSON; a document may be at most ${MAX_DOCUMENT_BYTES} bytes (1 MiB)`);
  return { document: JSON.parse(data) as Document, input: { id, data } };
}

function prepareAll(documents: Record<string, unknown>[], label: string): { documents: Document[]; inputs: DocumentInput[] } {
  const errors: FieldError[] = [];
  const out: { documents: Document[]; inputs: DocumentInput[] } = { documents: [], inputs: [] };
  documents.forEach((d, i) => {
    const at = label === "document" ? label : `${label}.${i}`;
    try {
      const p = prepare(d, at);
      out.documents.push(p.document);
      out.inputs.push(p.input);
    } catch (error) {
      if (error instanceof HttpError && error.fields) errors.push(...error.fields);
      else throw error;
    }
  });
  if (errors.length > 0) throw validationFailed(errors);
  return out;
}
